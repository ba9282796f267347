"""The public record of cooperation: the listing with filters and facets, and one entry's page.

Thin views called by the routes of the record page (cms.models.CooperationRecordPage), which
owns the URL (/cooperation/) and the title and introduction editors write. Its files (exports,
feeds) are in cms.exports and cms.feeds.
"""

from functools import lru_cache
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Length, Substr
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.formats import localize
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import get_language, gettext, ngettext
from wagtail.models import PageViewRestriction

from partnership.dates import PARSED_LANGUAGE
from partnership.facet_index import FacetIndex
from partnership.filters import CooperationEntryFilter
from partnership.models import Area, CooperationEntry, Place, Programme

from . import charts

PER_PAGE = 20
RELATED_LIMIT = 6

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
    """The record's filters over its entries, for the listing and the exports: the record's language only
    (its entries, and its records' slugs as the filters' values), with its facet index, which gives the
    counts, the charts and the listing's pages, and tells which records published entries name (the
    filters' choices) at a cost that does not grow with the record (partnership.facet_index); one query
    checks that it is current."""
    return CooperationEntryFilter(
        request.GET,
        queryset=public_entries(record_page),
        locale_id=record_page.locale_id,
        facet_index=FacetIndex.current(record_page.locale_id),
    )


def record(request, record_page):
    filterset = entry_filter(request, record_page)
    entries = filterset.listed_entries(filterset.queryset.select_related("partner").prefetch_related(*SHOWN_RELATIONS))
    counts = filterset.facet_counts()
    paginator = CountedPaginator(entries, PER_PAGE, count=filterset.total(counts))
    chart_counts = filterset.chart_counts()
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
        # A title is followed by its partner's name only when the entries listed come from several partners.
        show_partner=len(filterset.matching(counts, "partner")) > 1,
        filters_applied=filters_applied(filterset),
        charts=[
            charts.entries_by_year(chart_counts["years"], CooperationEntry.Kind.choices),
            charts.entries_by_area(chart_counts["areas"]),
        ],
    )
    return TemplateResponse(request, "partnership/record.html", context)


def filters_applied(filterset):
    """How many filters narrow the listing (each value chosen in a facet, the search, each year bound):
    shown on the phone's closed "Filter the entries" disclosure. The sort and invalid filters do not count."""
    data = filterset.cleaned_data
    chosen = sum(len(data.get(name) or []) for name in filterset.FACETS)
    return chosen + sum(1 for name in ("q", "year_from", "year_to") if data.get(name) not in (None, ""))


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
        return 1, gettext("The page number was not a number; showing the first page.")
    if number < 1:
        return 1, gettext("Page numbers start at 1; showing the first page.")
    if number > last:
        return last, ngettext(
            "There is only %(count)s page of results; showing the last one.",
            "There are only %(count)s pages of results; showing the last one.",
            last,
        ) % {"count": last}
    return number, ""


def filter_errors(filterset):
    """Each problem in the filters, with the label of the filter it concerns, for the summary."""
    fields = filterset.form.fields
    return [
        {"field": name, "label": fields[name].label if name in fields else gettext("Filters"), "message": message}
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
                "count": count,
                "count_label": entries_count(count),
                "checked": str(value) in chosen,
            }
            for value, label in options_by_facet[name]
            for count in [counts[name].get(str(value), 0)]
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


def entries_count(n):
    """“1 entry”, “1,234 entries”: ``n`` entries as the record writes it, in the active language. For lists
    of options (a facet can have hundreds): the same words as a ``blocktranslate count``, at a fraction of its cost."""
    return _entries_count(get_language(), n)


@lru_cache(maxsize=2048)
def _entries_count(language, n):
    # Looking a plural up costs tens of microseconds (every app's catalogue is tried); the translations
    # are fixed while the server runs, so each language's text for each count is looked up once.
    return ngettext("%(counter)s entry", "%(counter)s entries", n) % {"counter": localize(n)}


def entry_detail(request, record_page, slug):
    entry = get_object_or_404(
        public_entries(record_page)
        .select_related("partner__framework", "source__locale")
        .prefetch_related(*ALL_RELATIONS),
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
        # The quote is in its document's language (a French entry quotes the French document): it keeps
        # its own ``lang`` on a page in another language.
        "source_language": entry.source.locale.language_code if entry.source_id else PARSED_LANGUAGE,
    }
