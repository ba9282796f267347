"""The structured records in the Wagtail admin, under one “Partnerships” menu."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Area, CooperationEntry, Framework, Partner, Place, Programme, SourceDocument


class CooperationEntryViewSet(SnippetViewSet):
    model = CooperationEntry
    icon = "list-ul"
    menu_label = "Cooperation entries"
    list_display = ["title", "partner", "kind", "period_display", "source_section"]
    list_filter = ["partner", "kind", "areas", "programmes"]
    search_fields = ["title", "description", "source_quote"]
    list_per_page = 50


class PartnerViewSet(SnippetViewSet):
    model = Partner
    icon = "site"
    list_display = ["name", "framework", "iso_code"]
    list_filter = ["framework"]
    search_fields = ["name"]


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
