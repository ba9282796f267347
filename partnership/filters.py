"""The filters of the public record (/cooperation/), shared by its page, exports, feeds and API.

Every value comes from the query string and is validated by a form: an unknown
slug, a year that is not a year, a search too long, a sort that does not exist
each get a message naming the problem, and the filter is left out instead of
failing the request. A reversed year range is corrected, and the correction said.
"""

import re
from functools import reduce
from operator import and_

import django_filters
from django import forms
from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connections
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    Expression,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    TextField,
    Value,
)
from django.db.models.expressions import Col
from django.db.models.functions import Cast, ExtractYear, Upper
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .facet_index import EntriesInOrder
from .models import NEWEST_FIRST, Area, CooperationEntry, Partner, Place, Programme

MIN_YEAR, MAX_YEAR = 1900, 2100
SLUG_RE = re.compile(r"[-\w]{1,120}")
MAX_QUERY_LENGTH = 200
# Undated entries come last either way.
SORTS = {
    "date-desc": (_("Newest first"), list(NEWEST_FIRST)),
    "date-asc": (_("Oldest first"), [F("start_date").asc(nulls_last=True), "source_order", "pk"]),
    "title": (_("Title A–Z"), ["title", "pk"]),
}


class RecordFilterForm(forms.Form):
    """Checks the filters together: a reversed year range is put the right way round, and a value that
    is not one of a facet's choices is left out of it, not the whole facet (``?partner=japan&partner=x``
    is Japan's entries): its error stays, so the record says which value it left out, and the exports and
    the API refuse it."""

    notices: list

    def clean(self):
        cleaned = super().clean()
        getlist = getattr(self.data, "getlist", None)
        for name, field in self.fields.items():
            if getlist and name in self.errors and isinstance(field, forms.MultipleChoiceField):
                valid = {str(value) for value, _label in field.choices}
                kept = [value for value in dict.fromkeys(getlist(self.add_prefix(name))) if value in valid]
                if kept:
                    cleaned[name] = kept
        self.notices = []
        year_from, year_to = cleaned.get("year_from"), cleaned.get("year_to")
        if year_from and year_to and year_from > year_to:
            cleaned["year_from"], cleaned["year_to"] = year_to, year_from
            self.notices.append(
                gettext("The years were the wrong way round; showing %(start)s to %(end)s.")
                % {"start": year_to, "end": year_from}
            )
        return cleaned


class YearFilter(django_filters.NumberFilter):
    """A whole year: 2014, not 2014.5."""

    field_class = forms.IntegerField


class SlugsFilter(django_filters.MultipleChoiceFilter):
    """Records chosen by slug (?area=cyber-defence&area=…); several are alternatives.

    The choices are every record's slug, filled in by the filterset with one query for all
    facets; a value that is not one of them is refused without another query.

    A many-to-many relation is matched with a subquery rather than a join, so that an entry in
    two chosen areas is still one row: no DISTINCT, and facet counts are plain COUNTs.
    """

    def __init__(self, relation, label):
        self.relation = relation
        super().__init__(
            field_name=f"{relation}__slug",
            label=label,
            choices=[],
            widget=forms.CheckboxSelectMultiple,
        )

    def filter(self, queryset, value):
        if not value:
            return queryset
        field = queryset.model._meta.get_field(self.relation)
        if not field.many_to_many:
            return queryset.filter(**{f"{self.relation}__slug__in": value})
        through = field.remote_field.through
        chosen = through.objects.filter(**{f"{field.m2m_reverse_field_name()}__slug__in": value})
        return queryset.filter(pk__in=chosen.values(field.m2m_field_name()))


# PostgreSQL: an entry's title, description and source sentence, upper-cased and joined by newlines, kept by
# PostgreSQL itself in a generated column with a trigram index (partnership.0013). Not a model field: only
# the record's text search reads it.
SEARCH_TEXT = TextField()
SEARCH_TEXT.set_attributes_from_name("search_text")
SEARCH_TEXT.model = CooperationEntry


class EntrySearchText(Expression):
    """The generated column ``search_text`` of the entries' table, under the alias the query gives that table
    (its own, or U0… in a subquery): PostgreSQL only (partnership.0013)."""

    output_field = SEARCH_TEXT

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        title = F("title").resolve_expression(query, allow_joins, reuse, summarize, for_save)
        return Col(title.alias, SEARCH_TEXT)


def primary_keys(queryset):
    """The primary keys of ``queryset``'s rows, in no given order, in one query. PostgreSQL sends them as one
    array (one row, not one per entry: at 100,000 entries, “maritime” matches ~9,000, which Django fetched
    100 rows at a time, a row at a time in Python)."""
    if connections[queryset.db].vendor == "postgresql":
        return queryset.aggregate(ids=ArrayAgg("pk"))["ids"] or []
    return queryset.values_list("pk", flat=True)


class Like(Func):
    """``text LIKE pattern``, both given as expressions."""

    arg_joiner = " LIKE "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class CooperationEntryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search the entries"),
        method="filter_text",
        max_length=MAX_QUERY_LENGTH,
        help_text=_("Words in the title, description or source sentence."),
    )
    partner = SlugsFilter("partner", _("Partner"))
    kind = django_filters.MultipleChoiceFilter(
        choices=CooperationEntry.Kind.choices, label=_("Kind"), widget=forms.CheckboxSelectMultiple
    )
    area = SlugsFilter("areas", _("Area or theme"))
    programme = SlugsFilter("programmes", _("Programme, fund or body"))
    beneficiary = SlugsFilter("beneficiaries", _("Beneficiary country"))
    year_from = YearFilter(label=_("From year"), method="filter_years", min_value=MIN_YEAR, max_value=MAX_YEAR)
    year_to = YearFilter(label=_("To year"), method="filter_years", min_value=MIN_YEAR, max_value=MAX_YEAR)
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=[(key, label) for key, (label, _order) in SORTS.items()],
        method="sort_by",
        empty_label=None,
    )

    class Meta:
        model = CooperationEntry
        fields = []
        form = RecordFilterForm

    # Facets: the filter, the field counted, and how an option is named in the query string.
    FACETS = {
        "partner": ("partner__slug", "partner__name"),
        "kind": ("kind", None),
        "area": ("areas__slug", "areas__name"),
        "programme": ("programmes__slug", "programmes__name"),
        "beneficiary": ("beneficiaries__slug", "beneficiaries__name"),
    }

    # The records each slug facet chooses from, and the field they are listed by (then by name).
    FACET_RECORDS = {
        "partner": (Partner, "name"),
        "area": (Area, "category"),
        "programme": (Programme, "name"),
        "beneficiary": (Place, "name"),
    }

    def __init__(self, data=None, *args, locale_id=None, facet_index=None, **kwargs):
        """``locale_id``: the language (a Wagtail Locale's id) whose records the facets offer and
        whose slugs the filters accept: the record page's. None offers every language's (the API
        without ``?locale=``); the ``queryset`` given is filtered by the caller either way.

        ``facet_index``: a ``FacetIndex`` of exactly the ``queryset``'s entries (the record's: published,
        one language). With it, counts and the default order's pages come from the index, at a cost
        that does not grow with the entries; without it, from SQL aggregates."""
        self.locale_id = locale_id
        self.facet_index = facet_index
        super().__init__(data, *args, **kwargs)
        # ``choices``: every value a filter accepts; ``options``: those listed to readers (with counts).
        self.choices, self.options = self.facet_options()
        for name in self.FACET_RECORDS:
            self.filters[name].extra["choices"] = self.choices[name]
        for name in ("year_from", "year_to"):
            # A text box with a numeric keyboard, not type="number": a year typed wrong ("abc") is shown
            # back as typed beside its error, which a number box may not hold (and its arrows help no one).
            self.form.fields[name].widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
        self.form.fields["q"].widget = forms.TextInput(
            attrs={"type": "search", "maxlength": MAX_QUERY_LENGTH, "aria-describedby": "q-hint"}
        )

    def filter_text(self, queryset, name, value):
        """The entries holding every word (split on whitespace) as a case-insensitive substring of their title,
        description or source sentence (the same word may be in any of them, words in different ones).

        PostgreSQL: ``search_text LIKE UPPER('%word%')`` for each word, over the generated column of the three
        fields upper-cased and joined by newlines (partnership.0013): a word holds no newline, so it is in
        the joined text exactly when it is in one of the fields, and PostgreSQL upper-cases per character,
        so the same entries as ``UPPER(field) LIKE UPPER('%word%')`` on each (icontains), without
        upper-casing every candidate row again (at 100,000 entries, “maritime”: ~9,000 rows). Elsewhere
        (SQLite): icontains on each field."""
        words = list(dict.fromkeys(value.split()))[:20]  # a repeated word adds nothing but another scan
        if not words:
            return queryset
        connection = connections[queryset.db]
        if connection.vendor == "postgresql":
            return queryset.filter(
                *(
                    Like(EntrySearchText(), Upper(Value(f"%{connection.ops.prep_for_like_query(word)}%")))
                    for word in words
                )
            )
        matches = [
            Q(title__icontains=word) | Q(description__icontains=word) | Q(source_quote__icontains=word)
            for word in words
        ]
        return queryset.filter(reduce(and_, matches))

    def filter_years(self, queryset, name, value):
        # Both bounds are applied once, together, by filter_queryset.
        return queryset

    def sort_by(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        return self._filtered(queryset).order_by(*self.ordering)

    def _filtered(self, queryset, without=None):
        """The entries matching every valid filter (but ``without``), from the values already validated."""
        data = self.cleaned_data
        for name, value in data.items():
            if name != without:
                queryset = self.filters[name].filter(queryset, value)
        year_from, year_to = data.get("year_from"), data.get("year_to")
        if year_from or year_to:
            queryset = queryset.overlapping_years(year_from, year_to)
        return queryset

    @property
    def ordering(self):
        sort = getattr(self.form, "cleaned_data", {}).get("sort")
        return SORTS[sort if sort in SORTS else "date-desc"][1]

    @property
    def notices(self):
        self.errors  # noqa: B018 - validate first
        return getattr(self.form, "notices", [])

    @property
    def is_filtered(self):
        """Whether any filter is in use: such permutations are not for search engines."""
        return bool(self.data) and any(self.data.get(name) for name in self.filters if name != "sort")

    @property
    def cleaned_data(self):
        """The valid filters' values (an invalid one is left out and reported by the form)."""
        self.errors  # noqa: B018 - validate first
        return getattr(self.form, "cleaned_data", {})

    def index_bits(self, without=None):
        """The facet index's bitset of the entries matching every valid filter (but ``without``). A search
        (``q``) costs one query for the matching entries' keys, made once."""
        index, data = self.facet_index, self.cleaned_data
        bits = index.overlapping_years(data.get("year_from"), data.get("year_to"))
        for facet in self.FACETS:
            if facet != without:
                bits &= index.chosen(facet, data.get(facet))
        if data.get("q"):
            if not hasattr(self, "_text_bits"):
                matching = self.filter_text(self.queryset.order_by(), "q", data["q"])
                self._text_bits = index.of_ids(primary_keys(matching))
            bits &= self._text_bits
        return bits

    def listed_entries(self, queryset):
        """The matching entries in the chosen order, for a paginator to slice: ``queryset`` is the filterset's
        own with what to load (select_related, prefetch_related). In the default order with a facet index,
        a page is read by primary key (``EntriesInOrder``); otherwise it is ``queryset`` filtered and ordered."""
        sort = self.cleaned_data.get("sort") or "date-desc"
        if self.facet_index is None or sort != "date-desc":
            return self.filter_queryset(queryset)
        return EntriesInOrder(self.facet_index, self.index_bits(), queryset)

    def facet_counts(self):
        """For each option of each facet, how many entries it would give with the other filters kept:
        ``{facet: {option value: n}}``, options counting none left out.

        From the facet index when there is one (no query); else one query for every facet together (a
        UNION ALL of one aggregate per facet), whatever the number of entries or options.
        """
        if self.facet_index is not None:
            return {facet: self.facet_index.counts(self.index_bits(without=facet), facet) for facet in self.FACETS}
        per_facet = [
            self._filtered(self.queryset.all(), without=facet)
            .order_by()
            .values(facet_name=Value(facet, output_field=CharField()), value=F(field))
            # Each row is one entry, or one (entry, related record) pair: a plain count is exact.
            .annotate(n=Count("pk"))
            for facet, (field, _label) in self.FACETS.items()
        ]
        counts = {facet: {} for facet in self.FACETS}
        for row in per_facet[0].union(*per_facet[1:], all=True):
            if row["value"] is not None:
                counts[row["facet_name"]][str(row["value"])] = row["n"]
        return counts

    def matching(self, counts, facet):
        """``facet``'s options among the entries that match, with how many each has: ``{value: n}``, read
        from ``counts`` (``facet_counts()``): its options counting any, and if the facet is set, only those chosen."""
        chosen = {str(value) for value in self.cleaned_data.get(facet) or []}
        return {value: n for value, n in counts[facet].items() if n and (not chosen or value in chosen)}

    def total(self, counts):
        """How many entries match, read from the kind facet (every entry has exactly one kind)."""
        return sum(self.matching(counts, "kind").values())

    def chart_counts(self):
        """The matching entries counted for pictures, in one query (a UNION ALL of two aggregates),
        whatever the number of entries: ``{"years": {(start year or None, kind): n}, "areas": [(area name, n)]}``.

        An entry is counted once per area it is in (COUNT DISTINCT, should a join ever repeat it), and
        not at all in ``areas`` when it is in none; an entry without a start date has the year None.
        From the facet index when there is one (no query).
        """
        if self.facet_index is not None:
            bits = self.index_bits()
            names = dict(self.choices["area"])
            return {
                "years": self.facet_index.by_year_and_kind(bits),
                "areas": [
                    (names[slug], n) for slug, n in self.facet_index.counts(bits, "area").items() if slug in names
                ],
            }
        entries = self.qs.order_by()
        no_year = Cast(Value(None), IntegerField())
        by_year = entries.values(
            chart=Value("years", output_field=CharField()),
            year=Cast(ExtractYear("start_date"), IntegerField()),
            key=F("kind"),
            label=Value("", output_field=CharField()),
        ).annotate(n=Count("pk", distinct=True))
        by_area = entries.values(
            chart=Value("areas", output_field=CharField()),
            year=no_year,
            key=F("areas__slug"),
            label=F("areas__name"),
        ).annotate(n=Count("pk", distinct=True))
        counts = {"years": {}, "areas": []}
        for row in by_year.union(by_area, all=True):
            if row["chart"] == "years":
                year = int(row["year"]) if row["year"] is not None else None  # PostgreSQL's EXTRACT is numeric
                counts["years"][(year, row["key"])] = row["n"]
            elif row["key"] is not None:  # None: the entries in no area
                counts["areas"].append((row["label"], row["n"]))
        return counts

    # Editors may add programmes and places while writing an entry: such a record is offered to readers
    # only once a published entry names it (a Moderator approved that entry).
    PUBLISHED_THROUGH = {"programme": "programmes", "beneficiary": "beneficiaries"}

    # The organisation's reference data holds every partner country, most without a page or an entry
    # yet: a partner is listed to readers only once a published entry names it (else it would be an
    # option counting 0 whatever the filters). Any partner's slug is still a valid filter: it gives no
    # entries (the API and the exports an empty list, not a 400), and a chosen one stays listed.
    LISTED_THROUGH = {"partner": "partner"}

    def facet_records(self, facet, model):
        records = model.objects.all() if self.locale_id is None else model.objects.filter(locale_id=self.locale_id)
        if facet not in self.PUBLISHED_THROUGH or self.facet_index is not None:  # the index knows: facet_options
            return records
        named = CooperationEntry.objects.filter(live=True, **{self.PUBLISHED_THROUGH[facet]: OuterRef("pk")})
        return records.filter(Exists(named))

    def listed(self, facet):
        """Whether each record of ``facet`` is listed to readers: an expression to annotate its rows with."""
        if facet not in self.LISTED_THROUGH or self.facet_index is not None:  # the index knows: facet_options
            return Value(True, output_field=BooleanField())
        return Exists(CooperationEntry.objects.filter(live=True, **{self.LISTED_THROUGH[facet]: OuterRef("pk")}))

    def record_translations(self, facet):
        """``{slug: {language code: slug}}``: each record ``facet`` offers in this filter's language (by its
        slug), with its slug in every language it exists in, itself included; for the same filters in another
        language. Read once per version of the facet index (one query without one)."""
        model = self.FACET_RECORDS[facet][0]

        def read():
            by_key, own = {}, {}
            for key, slug, code, locale_id in model.objects.values_list(
                "translation_key", "slug", "locale__language_code", "locale_id"
            ):
                by_key.setdefault(key, {})[code] = slug
                if locale_id == self.locale_id:
                    own[slug] = key
            return {slug: by_key[key] for slug, key in own.items()}

        return self.read_once_per_version(("record translations", facet, self.locale_id), read)

    def read_once_per_version(self, key, read):
        """``read()``, kept with the facet index for its version (``FacetIndex.derived``); without an index,
        read each time."""
        return read() if self.facet_index is None else self.facet_index.derived(key, read)

    def facet_options(self):
        """Each facet's choices (every value its filter accepts) and options (those listed to readers,
        and any chosen), each a list of ``(slug, name)`` in the order readers expect; one query (a UNION ALL).
        With a facet index, which records published entries name is read from it, not from subqueries, and
        the records are read once for its version (``FacetIndex.derived``): no query."""

        def records():
            per_model = [
                self.facet_records(facet, model)
                .order_by()
                .values(facet_name=Value(facet, output_field=CharField()), value=F("slug"), label=F("name"))
                .annotate(sort_key=F(ordering), listed=self.listed(facet))
                for facet, (model, ordering) in self.FACET_RECORDS.items()
            ]
            return sorted(per_model[0].union(*per_model[1:], all=True), key=lambda r: (r["sort_key"], r["label"]))

        rows = self.read_once_per_version(("facet records", self.locale_id), records)
        choices = {facet: [] for facet in self.FACETS}
        options = {facet: [] for facet in self.FACETS}
        getlist = getattr(self.data, "getlist", None)  # a QueryDict; a plain dict chooses nothing here
        chosen = {facet: set(getlist(facet)) if getlist else set() for facet in self.FACETS}
        named = self.facet_index.bits if self.facet_index is not None else None
        for row in rows:
            facet, option = row["facet_name"], (row["value"], row["label"])
            if named is not None and facet in self.PUBLISHED_THROUGH and row["value"] not in named[facet]:
                continue
            listed = (
                row["listed"] if named is None or facet not in self.LISTED_THROUGH else row["value"] in named[facet]
            )
            choices[facet].append(option)
            if listed or str(row["value"]) in chosen[facet]:
                options[facet].append(option)
        choices["kind"] = options["kind"] = list(CooperationEntry.Kind.choices)
        return choices, options
