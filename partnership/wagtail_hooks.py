"""The structured records in the Wagtail admin, under one “Partnerships” menu.

Also: two editors cannot silently overwrite each other. Wagtail's edit forms carry the revision
the editor started from (``loaded_revision_id``, ``loaded_revision_created_at``) and Wagtail 7.4
refuses an out-of-date *autosave* with them, but a plain “Save draft” or “Publish” from a form
opened before someone else saved still replaces that newer version (the browser only shows a
warning, when its JavaScript runs). Here the same check refuses such a save on the server, for
cooperation entries and for pages, keeping what the editor typed in the form with the reason;
saving that form again then replaces the newer version knowingly.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.ui.tables import Column, LiveStatusTagColumn, UpdatedAtColumn
from wagtail.admin.utils import get_user_display_name
from wagtail.admin.views.pages.edit import EditView as PageEditView
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.chooser import SnippetChooserViewSet
from wagtail.snippets.views.snippets import EditView as SnippetEditView
from wagtail.snippets.views.snippets import SnippetViewSet as WagtailSnippetViewSet
from wagtail.snippets.views.snippets import SnippetViewSetGroup
from wagtail.snippets.widgets import AdminSnippetChooser

from . import admin_views
from .admin_filters import EntryAdminFilterSet
from .models import Area, CooperationEntry, Framework, Partner, Place, Programme, SourceDocument

# --- Refusing a save made from an out-of-date form ------------------------------------------------


def conflict_message(request, latest_revision, noun):
    """Why the save was refused: who saved what, when, and what the editor can do now."""
    when = timezone.localtime(latest_revision.created_at).strftime("%d %b %Y at %H:%M")
    if latest_revision.user_id is not None and latest_revision.user_id == request.user.pk:
        who = "You saved a newer version of this {noun} (in another window or tab) on {when}"
    else:
        who = "{name} saved a newer version of this {noun} on {when}"
    name = get_user_display_name(latest_revision.user) if latest_revision.user else "Someone else"
    return format_html(
        who + ", after you opened it. Your changes were not saved, so as not to overwrite that version. "
        "Compare it in the history, or save this form again to replace it with your version.",
        name=name,
        noun=noun,
        when=when,
    )


def is_out_of_date(request, latest_revision):
    """Wagtail's own test (EditView.is_out_of_date) for whether a posted form started from an older revision."""
    if latest_revision is None:
        return False
    if overwrite_revision_id := request.POST.get("overwrite_revision_id"):  # the form has autosaved
        return overwrite_revision_id != str(latest_revision.pk)
    if loaded_revision_id := request.POST.get("loaded_revision_id"):
        return loaded_revision_id != str(latest_revision.pk) or (
            request.POST.get("loaded_revision_created_at", "") != latest_revision.created_at.isoformat()
        )
    return False  # a form that does not say what it started from (a script): as Wagtail, let it be


class ConflictCheckingEditView(SnippetEditView):
    """The snippet edit view, refusing a save from a form opened before the latest revision was made."""

    def is_valid(self, form):
        valid = super().is_valid(form)
        # Wagtail refuses an out-of-date autosave (a JSON request) itself, before this.
        if not self.expects_json_response and self.latest_revision and self.is_out_of_date:
            form.add_error(None, conflict_message(self.request, self.latest_revision, self.model._meta.verbose_name))
            self.produced_error_message = f"The {self.model._meta.verbose_name} could not be saved."
            return False
        return valid


class ConflictRefusingPageEditView(PageEditView):
    """Wagtail's page edit view showing the posted form again with the conflict, without saving it."""

    def post(self, request, *args, **kwargs):
        self.form = self.form_class(
            request.POST,
            request.FILES,
            instance=self.page,
            subscription=self.subscription,
            parent_page=self.parent,
            for_user=request.user,
        )
        self.form.is_valid()
        self.form.add_error(None, conflict_message(request, self.latest_revision, "page"))
        return self.form_invalid(self.form)


@hooks.register("before_edit_page")
def refuse_a_page_save_from_an_out_of_date_form(request, page):
    if request.method != "POST" or not request.accepts("text/html") or getattr(request, "_conflict_checked", False):
        return None  # Wagtail deals with autosaves (JSON) itself
    if request.resolver_match is None or request.resolver_match.url_name != "edit":
        return None  # reverting to an earlier revision is a decision of its own
    request._conflict_checked = True
    if is_out_of_date(request, page.get_latest_revision()):
        return ConflictRefusingPageEditView.as_view()(request, page_id=page.pk)
    return None


# --- The viewsets ----------------------------------------------------------------------------------


class SnippetChooser(AdminSnippetChooser):
    """Shows “nothing chosen”, not a server error, when a refused form comes back with an id that is not a number."""

    def get_instance(self, value):
        try:
            return super().get_instance(value)
        except (ValueError, TypeError, ValidationError):
            return None


class ChooserViewSet(SnippetChooserViewSet):
    @cached_property
    def widget_class(self):
        return SnippetChooser(model=self.model, icon=self.icon)


class SnippetViewSet(WagtailSnippetViewSet):
    chooser_viewset_class = ChooserViewSet
    index_view_class = admin_views.IndexView  # exports neutralise formulas


class CooperationEntryViewSet(SnippetViewSet):
    model = CooperationEntry
    edit_view_class = ConflictCheckingEditView
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
    # Searched in the database, not the search index, so that any column's sort still works with a search
    # (the index can only sort by its filter fields: ?q=x&ordering=title was a server error).
    search_backend_name = None
    search_fields = ["title", "description", "source_quote", "slug"]
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
