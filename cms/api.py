"""Wagtail's API v2 at /api/v2/: pages, images, and the cooperation entries with the record's filters."""

import re

from wagtail.api.v2.filters import SearchFilter
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import BaseAPIViewSet
from wagtail.api.v2.views import PagesAPIViewSet as WagtailPagesAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet

from partnership.filters import CooperationEntryFilter
from partnership.models import CooperationEntry
from partnership.views import ALL_RELATIONS, EXPORT_FIELDS


class EntriesAPIViewSet(BaseAPIViewSet):
    """/api/v2/entries/: published entries, filtered exactly as /cooperation/ is (same parameter names)."""

    model = CooperationEntry
    # The record's filters do the filtering; Wagtail's field filters would read ?partner= as an id.
    filter_backends = []
    known_query_parameters = BaseAPIViewSet.known_query_parameters.union(CooperationEntryFilter.base_filters)
    listing_default_fields = [*BaseAPIViewSet.listing_default_fields, "slug", "partner", "kind", "title", "period"]
    # The export's columns, but the URL (the API gives its own detail_url).
    body_fields = [*BaseAPIViewSet.body_fields, *(name for name in EXPORT_FIELDS if name != "url")]

    # Only what this endpoint does: Wagtail's generic ?search=, ?order= and field filters are off here.
    allowed_query_parameters = frozenset(
        {"limit", "offset", "fields", "format", "type", "_", *CooperationEntryFilter.base_filters}
    )
    max_offset = 10**9

    def check_query_parameters(self, queryset):
        unknown = set(self.request.GET) - self.allowed_query_parameters
        if unknown:
            allowed = ", ".join(sorted(self.allowed_query_parameters - {"_", "type"}))
            raise BadRequestError(f"query parameter is not supported: {', '.join(sorted(unknown))} (use: {allowed})")
        offset = self.request.GET.get("offset", "0")
        if not offset.isdigit() or int(offset) > self.max_offset:
            raise BadRequestError(f"offset must be a whole number from 0 to {self.max_offset}")

    def get_queryset(self):
        filterset = CooperationEntryFilter(self.request.GET, queryset=CooperationEntry.objects.public())
        if not filterset.is_valid():
            problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.form.errors.items())
            raise BadRequestError(f"invalid filters: {problems}")
        return filterset.qs.select_related("partner").prefetch_related(*ALL_RELATIONS)


class WordsSearchFilter(SearchFilter):
    """?search= as words, as the site's search takes it: quotes, brackets and operators are syntax to the
    full-text engines (?search=a" was an SQLite FTS5 syntax error, a server error)."""

    def filter_queryset(self, request, queryset, view):
        if "search" not in request.GET:
            return queryset
        query = request.GET.copy()
        query["search"] = " ".join(re.sub(r"[^\w\s]", " ", query["search"]).split())
        return super().filter_queryset(_WithQuery(query), queryset, view)


class _WithQuery:
    def __init__(self, query):
        self.GET = query


# Parameters Wagtail reads as ids or counts. Wagtail parses them but does not bound them, and a number
# beyond 64 bits is a database error (SQLite: "datatype mismatch"): refuse it first, as a 400.
NUMERIC_PARAMETERS = {"id", "child_of", "descendant_of", "ancestor_of", "translation_of", "offset", "limit"}
MAX_DIGITS = 18  # every number of up to 18 digits fits a 64-bit integer


class BoundedNumbersMixin:
    def check_query_parameters(self, queryset):
        super().check_query_parameters(queryset)
        for name in NUMERIC_PARAMETERS.intersection(self.request.GET):
            if len(self.request.GET[name].lstrip("-")) > MAX_DIGITS:
                raise BadRequestError(f"{name}: the number is too large")


class BoundedImagesAPIViewSet(BoundedNumbersMixin, ImagesAPIViewSet):
    pass


class PagesAPIViewSet(BoundedNumbersMixin, WagtailPagesAPIViewSet):
    filter_backends = [
        WordsSearchFilter if backend is SearchFilter else backend for backend in WagtailPagesAPIViewSet.filter_backends
    ]


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PagesAPIViewSet)
api_router.register_endpoint("images", BoundedImagesAPIViewSet)
api_router.register_endpoint("entries", EntriesAPIViewSet)
