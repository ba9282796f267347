"""The public record of cooperation: listing with filters and facets, one entry, exports and feeds.

Thin views called by the routes of the record page (cms.models.CooperationRecordPage),
which owns the URL (/cooperation/) and the title and introduction editors write.
"""

import csv
import json
from urllib.parse import urlencode

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Length, Substr
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.feedgenerator import Atom1Feed
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.text import slugify
from wagtail.models import PageViewRestriction

from .filters import CooperationEntryFilter
from .models import Area, CooperationEntry, Partner, Place, Programme
from .text import xml_safe

PER_PAGE = 20
EXPORT_BATCH = 500
RELATED_LIMIT = 6

# The stable columns of the CSV and JSON exports (documented in the README).
EXPORT_FIELDS = [
    "slug",
    "url",
    "partner",
    "kind",
    "title",
    "description",
    "period",
    "start_date",
    "start_precision",
    "end_date",
    "end_precision",
    "ongoing",
    "amount",
    "currency",
    "areas",
    "programmes",
    "places",
    "beneficiaries",
    "source",
    "source_section",
    "source_quote",
    "first_published_at",
    "last_published_at",
]
SHOWN_RELATIONS = (
    Prefetch("areas", queryset=Area.objects.order_by("name")),
    Prefetch("programmes", queryset=Programme.objects.order_by("name")),
)
ALL_RELATIONS = (
    *SHOWN_RELATIONS,
    Prefetch("places", queryset=Place.objects.order_by("name")),
    Prefetch("beneficiaries", queryset=Place.objects.order_by("name")),
)


def public_entries(record_page):
    return CooperationEntry.objects.public().filter(locale_id=record_page.locale_id)


def entry_filter(request, record_page):
    return CooperationEntryFilter(request.GET, queryset=public_entries(record_page))


def record(request, record_page):
    filterset = entry_filter(request, record_page)
    entries = filterset.qs.select_related("partner").prefetch_related(*SHOWN_RELATIONS)
    counts = filterset.facet_counts()
    paginator = CountedPaginator(entries, PER_PAGE, count=filterset.total(counts))
    number, page_notice = page_number(request.GET.get("page"), paginator)
    query = request.GET.copy()
    query.pop("page", None)
    context = record_page.get_context(request)
    context.update(
        filterset=filterset,
        facets=facet_groups(filterset, counts),
        page_obj=paginator.page(number),
        page_links=paginator.get_elided_page_range(number, on_each_side=2, on_ends=1),
        filter_errors=filter_errors(filterset),
        notices=[*filterset.notices, *([page_notice] if page_notice else [])],
        querystring=query.urlencode(),
        noindex=filterset.is_filtered or number > 1,
        record_url=record_page.url,
    )
    return TemplateResponse(request, "partnership/record.html", context)


class CountedPaginator(Paginator):
    """A paginator told how many entries there are (the facet counts know it), saving a COUNT query."""

    def __init__(self, object_list, per_page, count):
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self):
        return self.known_count


def page_number(value, paginator):
    """A page number that exists, and a notice when the one asked for did not."""
    last = paginator.num_pages
    if value in (None, ""):
        return 1, ""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1, "The page number was not a number; showing the first page."
    if number < 1:
        return 1, "Page numbers start at 1; showing the first page."
    if number > last:
        return last, f"There are only {last} page(s) of results; showing the last one."
    return number, ""


def filter_errors(filterset):
    """Each problem in the filters, with the label of the filter it concerns, for the summary."""
    fields = filterset.form.fields
    return [
        {"field": name, "label": fields[name].label if name in fields else "Filters", "message": message}
        for name, messages in filterset.form.errors.items()
        for message in messages
    ]


def facet_groups(filterset, counts):
    """Each facet's options with how many entries each would give, for the template to list."""
    options_by_facet = filterset.options
    groups = []
    for name in filterset.FACETS:
        field = filterset.form.fields[name]
        chosen = set(filterset.data.getlist(name)) if filterset.data else set()
        options = [
            {
                "value": str(value),
                "label": label,
                "count": counts[name].get(str(value), 0),
                "checked": str(value) in chosen,
            }
            for value, label in options_by_facet[name]
        ]
        groups.append(
            {
                "name": name,
                "label": field.label,
                "options": options,
                "errors": filterset.form.errors.get(name, []),
                "open": bool(chosen) or len(options) <= 8,
            }
        )
    return groups


def entry_detail(request, record_page, slug):
    entry = get_object_or_404(
        public_entries(record_page).select_related("partner__framework", "source").prefetch_related(*ALL_RELATIONS),
        slug=slug,
    )
    context = record_page.get_context(request)
    context.update(entry_context(entry, record_page.url))
    return TemplateResponse(request, "partnership/entry_detail.html", context)


def without_view_restrictions(pages):
    """``pages`` less those a Wagtail view restriction covers (on the page or any ancestor).

    Wagtail's ``PageQuerySet.public()`` does the same with a query of its own first; this is one
    subquery (an ancestor's path is a prefix of the page's), so a page list costs no extra query.
    """
    covering = PageViewRestriction.objects.filter(
        page__path=Substr(OuterRef("path"), 1, Length("page__path")),
    )
    return pages.exclude(Exists(covering))


def entry_context(entry, record_url):
    """What the entry page shows, also used by the admin's preview of an entry."""
    partner_page = (
        without_view_restrictions(entry.partner.pages.live()).only("url_path", "title", "partner").first()
        if entry.partner_id
        else None
    )
    related = (
        CooperationEntry.objects.public()
        .filter(partner_id=entry.partner_id, locale_id=entry.locale_id)
        .filter(
            Q(areas__in=[a.pk for a in entry.areas.all()]) | Q(programmes__in=[p.pk for p in entry.programmes.all()])
        )
        .exclude(pk=entry.pk)
        .distinct()
        .order_by("source_order", "pk")[:RELATED_LIMIT]
    )
    return {
        "entry": entry,
        "partner_page": partner_page,
        "section_anchor": slugify(entry.source_section),
        "related_entries": related,
        "record_url": record_url,
        "partner_record_query": urlencode({"partner": entry.partner.slug}) if entry.partner_id else "",
    }


# --- Exports -----------------------------------------------------------------------------------


def invalid_filters_response(filterset, as_json=False):
    errors = {name: [str(m) for m in messages] for name, messages in filterset.form.errors.items()}
    if as_json:
        return HttpResponse(json.dumps({"errors": errors}), status=400, content_type="application/json")
    lines = [f"{name}: {' '.join(messages)}" for name, messages in errors.items()]
    return HttpResponse(
        "Invalid filters.\n" + "\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8"
    )


def exported_entries(filterset):
    # The source's full text is not exported: leave it in the database, not in every row.
    queryset = filterset.qs.select_related("partner", "source").defer("source__text").prefetch_related(*ALL_RELATIONS)
    return queryset.iterator(chunk_size=EXPORT_BATCH)


def entry_data(entry, record_full_url):
    def slugs(relation):
        return [related.slug for related in getattr(entry, relation).all()]

    return {
        "slug": entry.slug,
        "url": f"{record_full_url}{entry.slug}/",
        "partner": entry.partner.slug,
        "kind": entry.kind,
        "title": entry.title,
        "description": entry.description,
        "period": entry.period_display,
        "start_date": entry.start_date.isoformat() if entry.start_date else None,
        "start_precision": entry.start_precision or None,
        "end_date": entry.end_date.isoformat() if entry.end_date else None,
        "end_precision": entry.end_precision or None,
        "ongoing": entry.ongoing,
        "amount": str(entry.amount) if entry.amount is not None else None,
        "currency": entry.currency or None,
        "areas": slugs("areas"),
        "programmes": slugs("programmes"),
        "places": slugs("places"),
        "beneficiaries": slugs("beneficiaries"),
        "source": entry.source.title if entry.source_id else None,
        "source_section": entry.source_section,
        "source_quote": entry.source_quote,
        "first_published_at": entry.first_published_at.isoformat() if entry.first_published_at else None,
        "last_published_at": entry.last_published_at.isoformat() if entry.last_published_at else None,
    }


class _Echo:
    def write(self, value):
        return value


def csv_cell(value):
    """A cell as text; a leading =, +, - or @ is neutralised so spreadsheets never run it as a formula."""
    if isinstance(value, list):
        value = "; ".join(value)
    if value is None:
        return ""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(request, record_page):
    filterset = entry_filter(request, record_page)
    if filterset.is_bound and not filterset.is_valid():
        return invalid_filters_response(filterset)
    writer = csv.writer(_Echo())
    base = request.build_absolute_uri(record_page.url)

    def rows():
        yield "\ufeff" + writer.writerow(EXPORT_FIELDS)  # the mark lets spreadsheets read UTF-8
        for entry in exported_entries(filterset):
            data = entry_data(entry, base)
            yield writer.writerow([csv_cell(data[name]) for name in EXPORT_FIELDS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cooperation-entries.csv"'
    return response


def export_json(request, record_page):
    filterset = entry_filter(request, record_page)
    if filterset.is_bound and not filterset.is_valid():
        return invalid_filters_response(filterset, as_json=True)
    base = request.build_absolute_uri(record_page.url)

    def chunks():
        yield '{"fields": ' + json.dumps(EXPORT_FIELDS) + ', "entries": ['
        for index, entry in enumerate(exported_entries(filterset)):
            yield ("," if index else "") + json.dumps(entry_data(entry, base), ensure_ascii=False)
        yield "]}"

    response = StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="cooperation-entries.json"'
    return response


# --- Feeds -------------------------------------------------------------------------------------


def _xml_safe(value):
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list | tuple):
        return type(value)(_xml_safe(item) for item in value)
    return value


class XmlSafeAtom1Feed(Atom1Feed):
    """An Atom feed that drops the characters XML 1.0 cannot carry from every text it is given.

    New text cannot hold them (partnership.text.validate_text); this keeps data stored before that
    check, or written around it, from turning the feed into a server error.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*map(_xml_safe, args), **{name: _xml_safe(value) for name, value in kwargs.items()})

    def add_item(self, *args, **kwargs):
        super().add_item(*map(_xml_safe, args), **{name: _xml_safe(value) for name, value in kwargs.items()})


class EntriesFeed(Feed):
    """Newly published entries, newest first: site-wide, or for one partner."""

    feed_type = XmlSafeAtom1Feed
    limit = 50

    def get_object(self, request, record_page, partner_slug=None):
        partner = None
        if partner_slug is not None:
            partner = Partner.objects.filter(slug=partner_slug, locale_id=record_page.locale_id).first()
            if partner is None:
                raise Http404("No such partner.")
        self.base = request.build_absolute_uri(record_page.url)
        return {"record_page": record_page, "partner": partner}

    def title(self, obj):
        partner = obj["partner"]
        return f"Cooperation with {partner.name}" if partner else "Cooperation with partner countries"

    def subtitle(self, obj):
        return "Newly published cooperation entries."

    def link(self, obj):
        partner = obj["partner"]
        return obj["record_page"].url + (f"?{urlencode({'partner': partner.slug})}" if partner else "")

    def items(self, obj):
        entries = public_entries(obj["record_page"]).select_related("partner")
        if obj["partner"]:
            entries = entries.filter(partner=obj["partner"])
        return entries.order_by("-last_published_at", "-pk")[: self.limit]

    def item_title(self, item):
        return f"{item.partner.name}: {item.title}"

    def item_description(self, item):
        # The Atom summary is typed as HTML: the entry's plain text is escaped so that it stays text.
        period = f" ({item.period_display})" if item.period_display else ""
        return escape(f"{item.get_kind_display()}{period}. {item.description}")

    def item_link(self, item):
        return f"{self.base}{item.slug}/"

    def item_guid(self, item):
        return f"{self.base}{item.slug}/"

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at

    def item_categories(self, item):
        return [item.get_kind_display()]
