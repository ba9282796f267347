"""The structured records in the Wagtail admin, under one “Partnerships” menu."""

from wagtail.admin.ui.tables import Column, LiveStatusTagColumn, UpdatedAtColumn
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .admin_filters import EntryAdminFilterSet
from .models import Area, CooperationEntry, Framework, Partner, Place, Programme, SourceDocument


class CooperationEntryViewSet(SnippetViewSet):
    model = CooperationEntry
    icon = "list-ul"
    menu_label = "Cooperation entries"
    list_display = [
        "title",
        Column("partner", label="Partner", sort_key="partner__name"),
        Column("get_kind_display", label="Kind", sort_key="kind"),
        Column("period_display", label="When", sort_key="start_date"),
        LiveStatusTagColumn(),
        UpdatedAtColumn(),
    ]
    filterset_class = EntryAdminFilterSet
    list_per_page = 50
    ordering = ["partner__name", "source_order"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "partner",
        "kind",
        "title",
        "slug",
        "description",
        "period_display",
        "amount_display",
        "areas",
        "programmes",
        "places",
        "beneficiaries",
        "source",
        "source_section",
        "source_quote",
    ]
    list_export = [
        "slug",
        "partner",
        "kind",
        "title",
        "period_display",
        "amount",
        "currency",
        "source_section",
        "live",
        "last_published_at",
    ]
    export_headings = {"period_display": "When", "partner": "Partner", "live": "Published"}
    export_filename = "cooperation-entries"

    def get_queryset(self, request):
        return CooperationEntry.objects.select_related("partner", "latest_revision")


class PartnerViewSet(SnippetViewSet):
    model = Partner
    icon = "site"
    list_display = ["name", "framework", "iso_code"]
    list_filter = ["framework"]
    search_fields = ["name"]
    inspect_view_enabled = True
    list_export = ["name", "slug", "framework", "iso_code"]


class FrameworkViewSet(SnippetViewSet):
    model = Framework
    icon = "group"
    list_display = ["name", "slug"]


class AreaViewSet(SnippetViewSet):
    model = Area
    icon = "tag"
    list_display = ["name", "category", "slug"]
    list_filter = ["category"]


class ProgrammeViewSet(SnippetViewSet):
    model = Programme
    icon = "folder-open-inverse"
    menu_label = "Programmes, funds and bodies"
    list_display = ["name", "acronym", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "acronym"]
    inspect_view_enabled = True
    list_export = ["name", "slug", "acronym", "kind", "parent"]


class PlaceViewSet(SnippetViewSet):
    model = Place
    icon = "globe"
    list_display = ["name", "kind", "iso_code"]
    list_filter = ["kind"]


class SourceDocumentViewSet(SnippetViewSet):
    model = SourceDocument
    icon = "doc-full"
    menu_label = "Source documents"
    list_display = ["title", "publisher", "last_updated"]


class PartnershipViewSetGroup(SnippetViewSetGroup):
    menu_label = "Partnerships"
    menu_icon = "site"
    menu_order = 200
    items = (
        CooperationEntryViewSet,
        PartnerViewSet,
        FrameworkViewSet,
        AreaViewSet,
        ProgrammeViewSet,
        PlaceViewSet,
        SourceDocumentViewSet,
    )


register_snippet(PartnershipViewSetGroup)
