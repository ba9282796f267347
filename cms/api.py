"""Wagtail's API v2 at /api/v2/: pages, images, and the cooperation entries with the record's filters."""

from django.core.exceptions import ValidationError
from django.db import models
from rest_framework.fields import Field
from wagtail.api import APIField
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.utils import BadRequestError, get_full_url
from wagtail.api.v2.views import BaseAPIViewSet
from wagtail.api.v2.views import PagesAPIViewSet as WagtailPagesAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet
from wagtail.models import Locale

from partnership.facet_index import FacetIndex
from partnership.filters import CooperationEntryFilter
from partnership.models import CooperationEntry
from partnership.serializers import API_BODY_FIELDS

from .models import entry_url, record_links
from .record_views import ALL_RELATIONS

# Parameters Wagtail reads as ids or counts. Wagtail parses them but does not bound them, and a number
# beyond 64 bits is a database error (SQLite: "datatype mismatch"): refuse it first, as a 400.
NUMERIC_PARAMETERS = {"id", "child_of", "descendant_of", "ancestor_of", "translation_of", "offset", "limit"}
MAX_DIGITS = 18  # every number of up to 18 digits fits a 64-bit integer


SEARCH_OPERATORS = ("and", "or")


def language_codes():
    """The codes of the site's languages (its Wagtail Locales), for messages: ``["en", "fr"]``."""
    return list(Locale.objects.order_by("language_code").values_list("language_code", flat=True))


class ValidatedParametersMixin:
    """Every parameter Wagtail reads but does not check is checked here first: a bad one is a 400 naming it.

    Wagtail itself answers unknown parameters, fields, orderings, types, negative or non-numeric
    ids and limits with a 400. What it lets through to a server error is refused here: numbers
    beyond 64 bits (a database error), a ``search_operator`` other than ``and``/``or`` (Wagtail's
    search raises ValueError), an unknown ``locale`` (Wagtail's 404 reads as "no such endpoint"),
    a ``format`` this API does not render.
    """

    def check_query_parameters(self, queryset):
        super().check_query_parameters(queryset)
        self.check_parameter_values()
        self.check_field_filters(queryset.model)

    def check_field_filters(self, model):
        """?<field>=value filters (Wagtail's FieldsFilter): a value the field cannot hold is a 400, not a
        database error when the query runs (``?first_published_at=xx``, a 40-digit number)."""
        fields = set(self.get_available_fields(model, db_fields_only=True)) - {"locale"}
        for name in fields.intersection(self.request.GET):
            try:
                field = model._meta.get_field(name)
            except LookupError:
                continue
            if isinstance(field, models.BooleanField) or not hasattr(field, "to_python"):
                continue  # Wagtail parses booleans itself, with a message; tags are names
            target = field.target_field if isinstance(field, models.ForeignKey) else field
            value = self.request.GET[name]
            try:
                python_value = target.get_prep_value(target.to_python(value))
                if isinstance(python_value, int) and not -(2**63) <= python_value < 2**63:
                    raise ValueError("the number is too large")
            except (ValidationError, ValueError, TypeError, OverflowError) as error:
                reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                raise BadRequestError(f"{name}: {reason}") from None

    def check_parameter_values(self):
        query = self.request.GET
        for name in NUMERIC_PARAMETERS.intersection(query):
            for value in query.getlist(name):
                if len(value.strip().lstrip("+-")) > MAX_DIGITS:
                    raise BadRequestError(f"{name}: the number is too large")
        if "search_operator" in query and query["search_operator"].lower() not in SEARCH_OPERATORS:
            raise BadRequestError(f"search_operator must be one of: {', '.join(SEARCH_OPERATORS)}")
        if "locale" in query and not Locale.objects.filter(language_code=query["locale"]).exists():
            raise BadRequestError(f"locale: no such language ({', '.join(language_codes()) or 'none configured'})")
        if "format" in query and query["format"] not in self.rendered_formats():
            raise BadRequestError(f"format must be one of: {', '.join(self.rendered_formats())}")

    def rendered_formats(self):
        return [renderer.format for renderer in self.renderer_classes]

    def perform_content_negotiation(self, request, force=False):
        # DRF answers an unknown ?format= with a 404 before any check runs; it is a bad parameter.
        if not force and request.query_params.get("format", None) not in (None, *self.rendered_formats()):
            raise BadRequestError(f"format must be one of: {', '.join(self.rendered_formats())}")
        return super().perform_content_negotiation(request, force)

    def filter_queryset(self, queryset):
        """Wagtail's filters, each of whose 400s names the parameter it is about."""
        for backend in self.filter_backends:
            try:
                queryset = backend().filter_queryset(self.request, queryset, self)
            except BadRequestError as error:
                parameter = FILTER_PARAMETERS.get(backend.__name__)
                if parameter and parameter not in str(error):
                    raise BadRequestError(f"{parameter}: {error}") from error
                raise
        return queryset


# The parameter each of Wagtail's filter backends reads, to name it in the messages that do not.
FILTER_PARAMETERS = {
    "ChildOfFilter": "child_of",
    "DescendantOfFilter": "descendant_of",
    "AncestorOfFilter": "ancestor_of",
    "TranslationOfFilter": "translation_of",
    "LocaleFilter": "locale",
    "OrderingFilter": "order",
    "SearchFilter": "search",
}


class EntryHtmlUrlField(Field):
    """An entry's public page, in its own language (``http://…/fr/cooperation-fr/<slug>/``), as pages'
    ``html_url``; null when its language has no public record page to open it under."""

    def get_attribute(self, instance):
        return instance

    def to_representation(self, entry):
        url = entry_url(entry, self.context["view"].record_links())
        return get_full_url(self.context["request"], url) if url else None  # on the API's base URL, as detail_url


class EntriesAPIViewSet(ValidatedParametersMixin, BaseAPIViewSet):
    """/api/v2/entries/: published entries, filtered exactly as /cooperation/ is (same parameter names).

    ``?locale=fr``: one language's entries, its records' slugs as the filters' values (Wagtail's
    parameter for pages); without it, every language's.
    """

    model = CooperationEntry
    # The record's filters do the filtering; Wagtail's field filters would read ?partner= as an id.
    filter_backends = []
    known_query_parameters = BaseAPIViewSet.known_query_parameters.union(CooperationEntryFilter.base_filters)
    meta_fields = [*BaseAPIViewSet.meta_fields, APIField("html_url", serializer=EntryHtmlUrlField(read_only=True))]
    listing_default_fields = [
        *BaseAPIViewSet.listing_default_fields,
        "html_url",
        "slug",
        "partner",
        "kind",
        "title",
        "period",
    ]
    # The export's columns, but the URL (the API gives its own detail_url): partnership.serializers.
    body_fields = [*BaseAPIViewSet.body_fields, *API_BODY_FIELDS]

    # Only what this endpoint does: Wagtail's generic ?search=, ?order= and field filters are off here.
    allowed_query_parameters = frozenset(
        {"limit", "offset", "fields", "format", "type", "locale", "_", *CooperationEntryFilter.base_filters}
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
        self.check_parameter_values()

    def paginate_queryset(self, queryset):
        """One page of entries (Wagtail's ``offset`` and ``limit``).

        In the record's default order, the page's pks and the total come from the facet index (as on
        /cooperation/: no count, no scan of the ordered entries). Otherwise the page is found by a
        deferred join: its pks are sliced from the narrow ordered index of public entries
        (``entry_public_newest_first``: an index-only scan), and only those rows are read whole, so
        that a page near the end costs about what the first does."""
        filterset = self.get_filterset()
        listed = filterset.listed_entries(self.with_relations(filterset.queryset))
        if not isinstance(listed, models.QuerySet):  # read from the facet index
            return super().paginate_queryset(listed)
        window = super().paginate_queryset(queryset.prefetch_related(None).values("pk"))
        return queryset.filter(pk__in=window)

    @staticmethod
    def with_relations(queryset):
        return queryset.select_related("partner", "locale").prefetch_related(*ALL_RELATIONS)

    def get_queryset(self):
        # Wagtail asks for it twice (to check the parameters, then to list): build it, and its filters'
        # choices (a query), once a request.
        if not hasattr(self, "_entries"):
            self._entries = self._get_queryset()
        return self._entries

    def get_filterset(self):
        """The record's filters on this request's parameters (built with the queryset, once a request)."""
        self.get_queryset()
        return self._filterset

    def _get_queryset(self):
        entries = CooperationEntry.objects.public()
        locale_id = None
        if "locale" in self.request.GET:  # Wagtail asks for the queryset before checking the parameters
            locale = Locale.objects.filter(language_code=self.request.GET["locale"]).first()
            if locale is None:
                raise BadRequestError(f"locale: no such language ({', '.join(language_codes()) or 'none configured'})")
            locale_id = locale.pk
            entries = entries.filter(locale_id=locale_id)
        # Entries are served under their language's record page: while it is private, the API
        # serves none of that language's either.
        hidden = [locale for locale, link in self.record_links().items() if not link.entries_public]
        if hidden:
            entries = entries.exclude(locale_id__in=hidden)
        # The facet index holds exactly the published entries of one language (or of every language):
        # with a language's entries hidden, the counts and pages come from SQL instead.
        facet_index = None if hidden else FacetIndex.current(locale_id)
        filterset = CooperationEntryFilter(
            self.request.GET, queryset=entries, locale_id=locale_id, facet_index=facet_index
        )
        if not filterset.is_valid():
            problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.form.errors.items())
            raise BadRequestError(f"invalid filters: {problems}")
        self._filterset = filterset
        return self.with_relations(filterset.qs)

    def record_links(self):
        """``cms.models.record_links()``, looked up once a request (Wagtail asks for the queryset more than once)."""
        if not hasattr(self, "_record_links"):
            self._record_links = record_links()
        return self._record_links


class BoundedImagesAPIViewSet(ValidatedParametersMixin, ImagesAPIViewSet):
    pass


class PagesAPIViewSet(ValidatedParametersMixin, WagtailPagesAPIViewSet):
    pass


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PagesAPIViewSet)
api_router.register_endpoint("images", BoundedImagesAPIViewSet)
api_router.register_endpoint("entries", EntriesAPIViewSet)
