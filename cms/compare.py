"""Two to four partners side by side: /partners/compare/?partner=japan&partner=finland.

A route of the partners index (cms.models.PartnersIndexPage), in each language under its own
index (/fr/partenaires/compare/?partner=japon&…, with the French records' slugs).

- ``ComparePartnersForm`` validates the query string: each value that is not a partner with a live
  page under this index is named (unknown, another language's, junk, too long, empty ones are left
  out), a partner given twice is compared once, beyond four the rest are left out and named; the
  valid choices are kept and compared. The page always answers 200 and says what was wrong, as the
  record's listing does for its filters.
- ``build_comparison`` does the work in a constant number of queries whatever the number of entries
  and partners: the counts (entries by partner × area, × kind, × programme) come from the record's
  facet index (partnership.facet_index); one query reads the areas' and programmes' names and the
  areas each partner declares; two read each partner's latest milestones and amounts stated
  (``ITEMS_SHOWN``), the rest being a link into the record.
- ``compare_view`` is the thin view; ``compare_url_for`` gives a partner page its "Compare with…" link.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import CharField, Count, F, IntegerField, Value, Window
from django.db.models.functions import Cast, RowNumber
from django.template.response import TemplateResponse
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from partnership.facet_index import FacetIndex
from partnership.models import Area, CooperationEntry, Partner, Programme

ROUTE = "compare/"
MIN_PARTNERS, MAX_PARTNERS = 2, 4
SHOWN_LENGTH = 40  # a refused value is quoted back cut to this many characters
MAX_NAMED = 5  # refused values named one by one; the rest are counted


def shown(value):
    """``value`` as it may be quoted back to a reader: printable characters only (a control, a bidi
    override or a NUL becomes U+FFFD), cut to SHOWN_LENGTH characters with an ellipsis."""
    text = "".join(char if char.isprintable() else "\ufffd" for char in value)
    return text if len(text) <= SHOWN_LENGTH else f"{text[: SHOWN_LENGTH - 1]}…"


class PartnerSlugsField(forms.MultipleChoiceField):
    """The ``partner`` values in the order given (a list of strings). Which of them are partners is
    for the form to say, one message per value, keeping the others."""

    def validate(self, value):
        """Nothing here: ``ComparePartnersForm.clean_partner`` checks each value."""


class ComparePartnersForm(forms.Form):
    """``?partner=<slug>`` repeated: the partners to compare, in the order of the columns.

    ``pages``: the partner pages that may be compared (``PartnersIndexPage.comparable_pages()``),
    their partner selected. After validation, ``compared`` is the valid choices' pages (two to four
    for a comparison, in the order given, each once), ``notices`` what was corrected, and
    ``errors["partner"]`` each value left out and why.
    """

    partner = PartnerSlugsField(label=_("Partners to compare"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, data, pages):
        super().__init__(data)
        self.pages = {page.partner.slug: page for page in pages}
        self.fields["partner"].choices = [(slug, page.partner.name) for slug, page in self.pages.items()]
        self.compared = []
        self.notices = []

    def clean_partner(self):
        compared, errors, unknown = [], [], []
        for value in self.cleaned_data["partner"]:
            if not value.strip():
                continue  # an empty ?partner= chooses nothing
            page = self.pages.get(value)
            if page is None:
                unknown.append(value)
            elif page in compared:
                self.notices.append(
                    gettext("%(partner)s was chosen more than once; it is compared once.") % {"partner": page.partner}
                )
            else:
                compared.append(page)
        for value in unknown[:MAX_NAMED]:
            errors.append(
                ValidationError(
                    gettext("“%(value)s” is not one of the partners listed here."), params={"value": shown(value)}
                )
            )
        if len(unknown) > MAX_NAMED:
            more = len(unknown) - MAX_NAMED
            errors.append(
                ngettext(
                    "%(count)s other value is not a partner either.",
                    "%(count)s other values are not partners either.",
                    more,
                )
                % {"count": more}
            )
        if len(compared) > MAX_PARTNERS:
            left_out = compared[MAX_PARTNERS:]
            errors.append(
                ngettext(
                    "At most %(max)s partners can be compared at once: %(names)s was left out.",
                    "At most %(max)s partners can be compared at once: %(names)s were left out.",
                    len(left_out),
                )
                % {"max": MAX_PARTNERS, "names": ", ".join(page.partner.name for page in left_out)}
            )
            compared = compared[:MAX_PARTNERS]
        self.compared = compared
        if errors:
            raise ValidationError(errors)
        return [page.partner.slug for page in compared]

    @property
    def prompt(self):
        """What to do next when fewer than two partners are compared, or ''."""
        if not self.compared:
            return gettext("Choose two to four partners to compare.")
        if len(self.compared) < MIN_PARTNERS:
            return gettext("Choose at least one more partner to compare with %(partner)s.") % {
                "partner": self.compared[0].partner
            }
        return ""

    def options(self):
        """The checkboxes: ``[{"value": slug, "label": name, "checked": bool}]``, the compared partners
        first in the order of the columns, then the others by name."""
        chosen = [page.partner.slug for page in self.compared]
        others = [slug for slug in self.pages if slug not in chosen]
        return [
            {"value": slug, "label": self.pages[slug].partner.name, "checked": slug in chosen}
            for slug in [*chosen, *others]
        ]


# --- The comparison ---------------------------------------------------------------------------------


@dataclass
class Cell:
    count: int
    url: str = ""  # the record filtered to exactly these entries; '' for none, or without a public record
    link_text: str = ""  # what the link says, when a number alone would not

    @property
    def label(self):
        """The count as a cell shows it: the number, then for screen readers what it counts (HTML).

        Written here rather than by a template tag: a comparison has hundreds of cells."""
        return _count_label(get_language(), self.count)


@lru_cache(maxsize=2048)
def _count_label(language, count):
    # Looking a plural up costs tens of microseconds (every app's catalogue is tried); the translations
    # are fixed while the server runs, so each language's label for each count is looked up once.
    text = ngettext(
        '%(counter)s<span class="visually-hidden"> entry</span>',
        '%(counter)s<span class="visually-hidden"> entries</span>',
        count,
    )
    return mark_safe(text % {"counter": localize(count)})  # noqa: S308 - our own translated markup


@dataclass
class Row:
    label: str
    cells: list  # one Cell per compared partner, in column order
    shared_by: int = 0  # how many of the compared partners have entries in it

    @property
    def shared_label(self):
        """“shared by 3 partners”, for a row more than one compared partner has entries in."""
        return ngettext("shared by %(counter)s partner", "shared by %(counter)s partners", self.shared_by) % {
            "counter": localize(self.shared_by)
        }


@dataclass
class Item:
    """An entry shown in a cell: a milestone, or an amount stated."""

    title: str
    url: str  # the entry's page, or ''
    period: str  # as the document writes it: “April 2013”; '' when undated
    amount: str = ""  # “USD 5 billion”
    received: bool = False  # the partner received the amount rather than gave it


@dataclass
class ListRow:
    label: str
    cells: list  # one list of Items per compared partner, in column order


@dataclass
class Comparison:
    """What the page shows for ``partners`` (a list of Partner, the columns' order)."""

    partners: list
    totals: list = field(default_factory=list)  # one Cell per partner: all its entries
    declared_areas: list = field(default_factory=list)  # per partner, the names of the areas it declares
    areas: list = field(default_factory=list)  # Rows: entries by area or theme, areas before themes
    kinds: list = field(default_factory=list)  # Rows: entries by kind, every kind
    programmes: list = field(default_factory=list)  # Rows: those shared by most partners first
    milestones: list = field(default_factory=list)  # ListRows by year, undated last (each partner's latest)
    amounts: list = field(default_factory=list)  # ListRows by currency (never summed across currencies)
    # Per partner, a Cell (how many, and where to read them all) when its list shows only its latest; else [].
    more_milestones: list = field(default_factory=list)
    more_amounts: list = field(default_factory=list)
    items_shown: int = 0  # the most each list shows per partner (ITEMS_SHOWN)


def record_query(record_url, **filters):
    """The record's URL filtered by ``filters`` (names and values as partnership.filters takes them)."""
    return f"{record_url}?{urlencode(filters)}" if record_url else ""


def _records(partner_ids, locale_id):
    """One query: ``{"facet_name", "column_id", "value", "label", "sort_key"}`` rows for the language's areas
    (by category) and programmes, which the counts name by slug, and for the areas each partner declares
    (``column_id``: the partner's id; None for the others). Reference data: its size does not grow with
    the entries."""
    text = CharField()
    no_partner = Cast(Value(None), IntegerField())  # typed: PostgreSQL reads an untyped NULL as text
    areas = Area.objects.filter(locale_id=locale_id).values(
        facet_name=Value("area", output_field=text),
        column_id=no_partner,
        value=F("slug"),
        label=F("name"),
        sort_key=F("category"),
    )
    programmes = Programme.objects.filter(locale_id=locale_id).values(
        facet_name=Value("programme", output_field=text),
        column_id=no_partner,
        value=F("slug"),
        label=F("name"),
        sort_key=Value("", output_field=text),
    )
    declared = Partner.areas.through.objects.filter(partner_id__in=partner_ids).values(
        facet_name=Value("declared", output_field=text),
        column_id=F("partner_id"),
        value=F("area__slug"),
        label=F("area__name"),
        sort_key=F("area__category"),
    )
    return list(areas.order_by().union(programmes.order_by(), declared.order_by(), all=True))


# The items shown per partner in each list (milestones, amounts): its latest ones, then a link to all.
ITEMS_SHOWN = 10
# Latest first: the undated last (they are ranked after every dated one).
_LATEST_FIRST = (F("start_date").desc(nulls_last=True), F("source_order").desc(), F("pk").desc())


def _latest(entries, limit):
    """``entries``' latest ``limit`` per partner (by start date), each annotated with ``listed``: how many
    entries the partner has in ``entries``. Ranked in SQL (a window per partner): what is read does
    not grow with the partner's entries."""
    per_partner = {"partition_by": [F("partner_id")]}
    return (
        entries.annotate(
            rank=Window(RowNumber(), order_by=_LATEST_FIRST, **per_partner),
            listed=Window(Count("pk"), **per_partner),
        )
        .filter(rank__lte=limit)
        .only(
            "partner_id",
            "kind",
            "title",
            "slug",
            "start_date",
            "start_precision",
            "end_date",
            "end_precision",
            "ongoing",
            "amount",
            "currency",
            "direction",
        )  # fmt: skip
        .order_by(F("start_date").asc(nulls_last=True), "source_order", "pk")
    )


def _entries_shown(partner_ids, locale_id, limit=ITEMS_SHOWN):
    """Two queries: each partner's latest ``limit`` milestones, and its latest ``limit`` entries stating an
    amount, each list by date (undated last) and each entry annotated with ``listed`` (how many the
    partner has in that list)."""
    entries = CooperationEntry.objects.public().filter(locale_id=locale_id, partner_id__in=partner_ids)
    return (
        _latest(entries.filter(kind=CooperationEntry.Kind.MILESTONE), limit),
        _latest(entries.filter(amount__isnull=False), limit),
    )


def build_comparison(partners, locale_id, record_url, facet_index):
    """The comparison of ``partners`` (Partner records of the language ``locale_id``, in column order)
    from their public entries in that language; cells link into the record at ``record_url`` (its
    filters ``partner``, ``area``, ``kind`` and ``programme``, with the records' slugs), or nowhere
    when it is None. ``facet_index``: the language's ``partnership.facet_index.FacetIndex``, which gives
    the counts. Three queries, whatever the number of entries and partners: the records' names, then
    each partner's latest milestones and amounts stated (``ITEMS_SHOWN`` of each)."""
    ids = [partner.pk for partner in partners]
    column = {pk: number for number, pk in enumerate(ids)}
    slugs = {partner.pk: partner.slug for partner in partners}
    comparison = Comparison(partners=list(partners), declared_areas=[[] for _ in ids], items_shown=ITEMS_SHOWN)
    counts = {facet: defaultdict(lambda: [0] * len(ids)) for facet in ("area", "kind", "programme")}
    for number, partner in enumerate(partners):
        entries = facet_index.chosen("partner", [partner.slug])
        for facet, numbers in counts.items():
            for value, n in facet_index.counts(entries, facet).items():
                numbers[value][number] = n
    labels, order = {}, []
    for row in sorted(
        _records(ids, locale_id), key=lambda r: (r["sort_key"] or "", r["label"] or "", r["value"] or "")
    ):
        if row["facet_name"] == "declared":
            comparison.declared_areas[column[row["column_id"]]].append(row["label"])
            continue
        labels[row["facet_name"], row["value"]] = row["label"]
        order.append((row["facet_name"], row["value"]))

    def cells(name, value, numbers):
        return [
            Cell(n, record_query(record_url, partner=slugs[pk], **{name: value}) if n else "")
            for pk, n in zip(ids, numbers, strict=True)
        ]

    def row(name, value, label, numbers):
        return Row(label, cells(name, value, numbers), shared_by=sum(1 for n in numbers if n))

    kinds = counts["kind"]
    comparison.kinds = [row("kind", value, label, kinds[value]) for value, label in CooperationEntry.Kind.choices]
    # Every entry has exactly one kind: the kinds' counts add up to the partner's entries.
    totals = [sum(numbers[number] for numbers in kinds.values()) for number in range(len(ids))]
    comparison.totals = [
        Cell(total, record_query(record_url, partner=slugs[pk]) if total else "")
        for pk, total in zip(ids, totals, strict=True)
    ]
    counted = [(facet, value) for facet, value in order if value in counts[facet]]
    comparison.areas = [
        row("area", value, labels[facet, value], counts[facet][value]) for facet, value in counted if facet == "area"
    ]
    programmes = [
        row("programme", value, labels[facet, value], counts[facet][value])
        for facet, value in counted
        if facet == "programme"
    ]
    comparison.programmes = sorted(programmes, key=lambda r: (-r.shared_by, r.label.casefold()))
    milestones, amounts = _entries_shown(ids, locale_id)
    by_pk = {partner.pk: partner for partner in partners}
    comparison.milestones, comparison.more_milestones = _timeline(milestones, column, record_url, by_pk)
    comparison.amounts, comparison.more_amounts = _amounts(amounts, column, record_url, by_pk)
    return comparison


def _item_url(entry, record_url):
    return f"{record_url}{entry.slug}/" if record_url else ""


def _more(listed, shown, column, link):
    """Per partner (column order), a Cell of how many entries its list holds when it shows fewer, with
    ``link(partner_id, count)``'s URL and text; None for a partner whose list is whole; [] when every list is whole."""
    more = [None] * len(column)
    for pk, number in column.items():
        if listed.get(pk, 0) > shown[number]:
            more[number] = Cell(listed[pk], *link(pk, listed[pk]))
    return more if any(more) else []


def _timeline(entries, column, record_url, partners):
    """ListRows of the milestones by year (undated last), and ``_more``'s cells for them."""
    years, listed, shown = {}, {}, [0] * len(column)
    for entry in entries:
        year = entry.start_date.year if entry.start_date else None
        years.setdefault(year, [[] for _ in column])[column[entry.partner_id]].append(
            Item(entry.title, _item_url(entry, record_url), entry.period_display)
        )
        listed[entry.partner_id] = entry.listed
        shown[column[entry.partner_id]] += 1
    milestones = [ListRow(str(year), years[year]) for year in sorted(y for y in years if y is not None)]
    if None in years:
        milestones.append(ListRow(gettext("Undated"), years[None]))

    def link(pk, count):
        url = record_query(record_url, partner=partners[pk].slug, kind=CooperationEntry.Kind.MILESTONE)
        text = gettext("All %(count)s milestones of %(partner)s in the record")
        return url, text % {"count": count, "partner": partners[pk].name}

    return milestones, _more(listed, shown, column, link)


def _amounts(entries, column, record_url, partners):
    """ListRows of the amounts by currency code, and ``_more``'s cells for them (the record has no filter
    for amounts: they link to the partner's entries)."""
    currencies, listed, shown = {}, {}, [0] * len(column)
    for entry in entries:
        received = entry.direction == CooperationEntry.Direction.RECEIVED
        item = Item(entry.title, _item_url(entry, record_url), entry.period_display, entry.amount_display, received)
        currencies.setdefault(entry.currency, [[] for _ in column])[column[entry.partner_id]].append(item)
        listed[entry.partner_id] = entry.listed
        shown[column[entry.partner_id]] += 1
    amounts = [ListRow(code, currencies[code]) for code in sorted(currencies)]

    def link(pk, count):
        url = record_query(record_url, partner=partners[pk].slug)
        return url, gettext("Every entry of %(partner)s in the record") % {"partner": partners[pk].name}

    return amounts, _more(listed, shown, column, link)


# --- The view ---------------------------------------------------------------------------------------


def compare_view(request, index_page, context, pages, record):
    """``index_page``: the PartnersIndexPage; ``context``: the page's template context; ``pages``: its
    comparable partner pages; ``record``: the record's RecordLink in the page's language
    (cms.models.record_link). Always 200."""
    form = ComparePartnersForm(request.GET, pages)
    form.is_valid()
    compared = form.compared
    compare_url = index_page.get_url(request) + index_page.reverse_subpage("compare")
    comparison = None
    if len(compared) >= MIN_PARTNERS and record.entries_public:
        partners = [page.partner for page in compared]
        locale_id = index_page.locale_id
        comparison = build_comparison(partners, locale_id, record.url, FacetIndex.current(locale_id))
    query = urlencode([("partner", page.partner.slug) for page in compared])
    context.update(
        title=gettext("Compare partners"),
        form=form,
        options=form.options(),
        errors=form.errors.get("partner", []),
        notices=form.notices,
        prompt=form.prompt,
        columns=[
            {"page": page, "name": page.partner.name, "framework": page.partner.framework.name} for page in compared
        ]
        if len(compared) >= MIN_PARTNERS
        else [],
        comparison=comparison,
        entries_public=record.entries_public,
        compare_url=compare_url,
        # Every permutation is for readers, not search engines; the canonical URL keeps the order given.
        noindex=bool(request.GET),
        canonical_url=request.build_absolute_uri(f"{compare_url}?{query}" if query else compare_url),
    )
    return TemplateResponse(request, "cms/compare.html", context)


def compare_url_for(partner_page, request=None):
    """The comparison starting from ``partner_page`` (``/partners/compare/?partner=japan``), or ''
    when the page has no URL. No query: a page's URL is its parent's (the partners index) followed
    by its slug (Wagtail's ``url_path``)."""
    url = partner_page.get_url(request)
    ending = f"{partner_page.slug}/"
    if not url or not url.endswith(ending):
        return ""
    return f"{url.removesuffix(ending)}{ROUTE}?{urlencode({'partner': partner_page.partner.slug})}"
