"""The structured records in the Wagtail admin, under one “Partnerships” menu: the snippet viewsets.

Registered by partnership.wagtail_hooks. Two people editing one entry are looked after by Wagtail
itself: its concurrent-editing notifications tell each who else is editing and who saved a newer
version, its autosave refuses to overwrite a newer version, and saving over one asks first.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.tables import Column, LiveStatusTagColumn, UpdatedAtColumn
from wagtail.snippets.views.chooser import SnippetChooserViewSet
from wagtail.snippets.views.snippets import CopyView, CreateView, EditView, InspectView, SnippetViewSetGroup
from wagtail.snippets.views.snippets import SnippetViewSet as WagtailSnippetViewSet
from wagtail.snippets.widgets import AdminSnippetChooser

from . import admin_forms, admin_views
from .admin_filters import EntryAdminFilterSet
from .import_views import DocumentImportViewSet
from .models import Area, CooperationEntry, Framework, Partner, Place, Programme, SourceDocument
from .serializers import INSPECT_FIELDS, INSPECT_LABELS


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


class RaceSafeSaveMixin:
    """A save the database refuses after the form was valid is shown as a form error, not a 500.

    Two saves of new records can both pass validation before either is written (a click on *Publish*
    while the form's first autosave is still on its way, two people at once): the second insert then
    breaks a unique constraint. The form comes back with the error on the field when one can be named.
    """

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except IntegrityError:
            try:
                form.instance.validate_constraints()
            except ValidationError as error:
                fields = error.update_error_dict({})
                for field, messages in fields.items():
                    form.add_error(field if field in form.fields else None, messages)
            if not form.errors:
                form.add_error(None, gettext("Another save changed this record at the same moment; save again."))
            self.produced_error_message = gettext("The %(model)s could not be saved.") % {
                "model": self.model._meta.verbose_name
            }
            return self.form_invalid(form)


class RaceSafeCreateView(RaceSafeSaveMixin, CreateView):
    pass


class RaceSafeEditView(RaceSafeSaveMixin, EditView):
    pass


class NewRecordCopyView(CopyView):
    """*Copy* opens a new record's form filled in from the original, without its slug.

    A slug is unique per language, so the original's slug made every copy fail on its first save. An
    entry (a ClusterableModel) is shown as a new record, with its areas, programmes and places, so its
    slug follows the title as any new record's; others get an empty slug to type.
    """

    def get_initial_form_instance(self):
        record = super().get_initial_form_instance()  # fetched for this request; never saved from here
        record.slug = ""
        if isinstance(record, ClusterableModel):
            # Its areas, programmes and places kept in memory, so that an unsaved copy still shows them.
            for field in record._meta.get_fields():
                if isinstance(field, ParentalManyToManyField):
                    setattr(record, field.name, list(getattr(record, field.name).all()))
            record.pk = record.id = None
        return record


class SnippetViewSet(WagtailSnippetViewSet):
    chooser_viewset_class = ChooserViewSet
    add_view_class = RaceSafeCreateView
    edit_view_class = RaceSafeEditView
    copy_view_class = NewRecordCopyView
    index_view_class = admin_views.IndexView  # exports neutralise formulas

    def get_edit_handler(self):
        # A viewset's ``panels`` with the form that offers only the record's own language's records in its
        # relations (admin_forms.TranslatableRecordForm); the entry's ``edit_handler`` names its own.
        if hasattr(self, "edit_handler"):
            return super().get_edit_handler()
        return ObjectList(self.panels, base_form_class=admin_forms.TranslatableRecordForm).bind_to_model(self.model)


class EntryInspectView(InspectView):
    """An entry's public fields, labelled as partnership.serializers names them (“When”, not “Period display”)."""

    def get_field_label(self, field_name, field):
        return INSPECT_LABELS.get(field_name) or super().get_field_label(field_name, field)


class CooperationEntryViewSet(SnippetViewSet):
    model = CooperationEntry
    workflow_action_view_class = admin_views.EntryWorkflowActionView
    edit_handler = admin_forms.ENTRY_EDIT_HANDLER
    icon = "list-ul"
    menu_label = _("Cooperation entries")
    list_display = [
        "title",
        Column("partner", label=_("Partner"), sort_key="partner__name"),
        Column("get_kind_display", label=_("Kind"), sort_key="kind"),
        Column("period_display", label=_("When"), sort_key="start_date"),
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
    inspect_view_class = EntryInspectView
    inspect_view_fields = INSPECT_FIELDS  # the public fields (partnership.serializers)
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
    panels = admin_forms.PARTNER_PANELS
    icon = "site"
    list_display = ["name", "framework", "iso_code"]
    list_filter = ["framework"]
    # No ``search_fields`` here: the model's index fields are searched (a field list made every search a
    # server error on SQLite's full-text index, which cannot restrict a search to one field).
    inspect_view_enabled = True
    list_export = ["name", "slug", "framework", "iso_code"]


class FrameworkViewSet(SnippetViewSet):
    model = Framework
    panels = admin_forms.FRAMEWORK_PANELS
    icon = "group"
    list_display = ["name", "slug"]


class AreaViewSet(SnippetViewSet):
    model = Area
    panels = admin_forms.AREA_PANELS
    icon = "tag"
    list_display = ["name", "category", "slug"]
    list_filter = ["category"]


class ProgrammeViewSet(SnippetViewSet):
    model = Programme
    panels = admin_forms.PROGRAMME_PANELS
    icon = "folder-open-inverse"
    menu_label = _("Programmes, funds and bodies")
    list_display = ["name", "acronym", "kind", "parent"]
    list_filter = ["kind"]
    # Searched by the model's index fields (name, acronym and aliases); see PartnerViewSet.
    inspect_view_enabled = True
    list_export = ["name", "slug", "acronym", "aliases", "kind", "parent"]


class PlaceViewSet(SnippetViewSet):
    model = Place
    panels = admin_forms.PLACE_PANELS
    icon = "globe"
    list_display = ["name", "kind", "iso_code"]
    list_filter = ["kind"]


class SourceDocumentViewSet(SnippetViewSet):
    model = SourceDocument
    panels = admin_forms.SOURCE_PANELS
    icon = "doc-full"
    menu_label = _("Source documents")
    list_display = ["title", "publisher", "last_updated"]


class PartnershipViewSetGroup(SnippetViewSetGroup):
    menu_label = _("Partnerships")
    menu_icon = "site"
    menu_order = 200
    items = (
        CooperationEntryViewSet,
        DocumentImportViewSet,  # not a snippet: importing partner documents and reviewing what they proposed
        PartnerViewSet,
        FrameworkViewSet,
        AreaViewSet,
        ProgrammeViewSet,
        PlaceViewSet,
        SourceDocumentViewSet,
    )
