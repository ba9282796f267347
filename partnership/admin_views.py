"""Admin views and actions beyond Wagtail's own: the entry form's helpers (the period read back,
a document's sentences), the approval message, approving several entries at once, and listings
whose CSV and XLSX exports neutralise text that a spreadsheet would run as a formula (``=HYPERLINK(…)``,
``@cmd``, ``+…``, ``-…``) with the public export's own function (``partnership.serializers.csv_cell``)."""

from functools import reduce
from operator import or_

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from wagtail.admin.ui.tables import Column
from wagtail.models import Locale, TranslatableMixin
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.views.snippets import IndexView as SnippetIndexView
from wagtail.snippets.views.snippets import WorkflowActionView

from .dates import InvalidFuzzyDate, parse_period
from .importer.documents import document_sentences
from .models import CooperationEntry, SourceDocument
from .serializers import csv_cell
from .translation_status import NEEDS_UPDATING, needs_update, status_label

MAX_PERIOD_LENGTH = 100


@require_GET
def period_preview(request):
    """``?text=since 2014`` → ``{"shown": "since 2014", "start_date": "2014-01-01", "start_precision": "year",
    "end_date": "", "end_precision": "", "ongoing": true}``, or ``{"error": …}`` with status 400."""
    text = request.GET.get("text", "")
    if len(text) > MAX_PERIOD_LENGTH:
        message = gettext("A period is at most %(limit)s characters.") % {"limit": MAX_PERIOD_LENGTH}
        return JsonResponse({"error": message}, status=400)
    try:
        period = parse_period(text)
    except InvalidFuzzyDate as problem:
        return JsonResponse({"error": str(problem)}, status=400)
    end = period.end
    return JsonResponse(
        {
            "shown": str(period),
            "start_date": period.start.date.isoformat(),
            "start_precision": period.start.precision,
            "end_date": end.date.isoformat() if end else "",
            "end_precision": end.precision if end else "",
            "ongoing": period.ongoing,
        }
    )


@require_GET
def source_sentences(request, pk):
    """A source document's sentences in reading order: ``{"source": title, "sentences": [{"text", "section"}]}``."""
    if not request.user.has_perm("partnership.view_sourcedocument"):
        raise PermissionDenied
    source = get_object_or_404(SourceDocument, pk=pk)
    return JsonResponse({"source": source.title, "sentences": document_sentences(source.text)})


# --- Approving ----------------------------------------------------------------------------------------


def approval_message(entry):
    """What a moderator is told after approving ``entry``: published, or which step it waits for now."""
    entry.refresh_from_db()
    name = f"{capfirst(entry._meta.verbose_name)} ‘{entry}’"
    state = entry.current_workflow_state
    if state is not None and state.current_task_state is not None:
        return gettext("%(name)s approved; it now waits for “%(task)s”.") % {
            "name": name,
            "task": state.current_task_state.task.name,
        }
    if entry.live and not entry.has_unpublished_changes:
        return gettext("%(name)s approved and published.") % {"name": name}
    return gettext("%(name)s approved.") % {"name": name}


def is_approval(request):
    return request.method == "POST" and request.POST.get("workflow-action-name") == "approve"


def add_approval_message_after_edit(request, instance):
    """The ``after_edit_snippet`` hook: “Approve” from the edit form says that it was approved."""
    if isinstance(instance, CooperationEntry) and is_approval(request) and "action-workflow-action" in request.POST:
        messages.success(request, approval_message(instance))


class EntryWorkflowActionView(WorkflowActionView):
    """Wagtail's workflow action (Approve from the status panel or the dashboard), saying what it did."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if self.action_name == "approve" and self.task_state.status == self.task_state.STATUS_APPROVED:
            messages.success(request, approval_message(self.object))
        return response


class ApproveBulkAction(SnippetBulkAction):
    """“Approve” on the entry listing: approves each chosen entry's current moderation step, as Approve does."""

    display_name = _("Approve")
    action_type = "approve"
    aria_label = _("Approve the selected entries")
    template_name = "partnership/bulk_actions/confirm_bulk_approve.html"
    action_priority = 20
    models = [CooperationEntry]

    def check_perm(self, entry):
        task_state = entry.current_workflow_task_state
        if task_state is None:
            return False
        actions = task_state.task.specific.get_actions(entry, self.request.user)
        return any(name == "approve" for name, *_ in actions)

    def get_actionable_objects(self):
        objects, details = super().get_actionable_objects()
        # An entry not in moderation has nothing to approve: say so, rather than “no permission”.
        not_in_moderation = [o for o in details["items_with_no_access"] if o.current_workflow_task_state is None]
        details["items_not_in_moderation"] = not_in_moderation
        details["items_with_no_access"] = [o for o in details["items_with_no_access"] if o not in not_in_moderation]
        return objects, details

    def get_execution_context(self):
        return {**super().get_execution_context(), "user": self.request.user}

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        approved = 0
        for entry in objects:
            task_state = entry.current_workflow_task_state
            if task_state is None:  # approved by someone else meanwhile
                continue
            task_state.task.specific.on_action(task_state, user, "approve")
            approved += 1
        return approved, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "%(count)d cooperation entry approved.", "%(count)d cooperation entries approved.", num_parent_objects
        ) % {"count": num_parent_objects}


# --- Exports of the listings ---------------------------------------------------------------------


class FormulaSafeExportMixin:
    """For views with Wagtail's ``SpreadsheetExportMixin``: every text cell goes through ``csv_cell``.

    Numbers, dates and booleans keep their types (an XLSX date stays a date); only text is changed.
    """

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        return csv_cell(value) if isinstance(value, str) else value


class IndexView(FormulaSafeExportMixin, SnippetIndexView):
    """The snippet listing (and its results-only view and exports).

    Listing a translation's language (``?locale=fr``), a “Translation” column says which records need
    updating since their English original changed (partnership.translation_status).
    """

    @cached_property
    def columns(self):
        columns = super().columns
        locale = getattr(self, "locale", None)
        if not issubclass(self.model, TranslatableMixin) or locale is None:
            return columns
        default = Locale.get_default()
        if locale.pk == default.pk:
            return columns
        return [
            *columns,
            Column("translation_status", label=_("Translation"), accessor=lambda obj: status_label(obj, default)),
        ]

    def search_queryset(self, queryset):
        """A listing searched in the database (``search_backend_name = None``) finds records holding every
        word typed, each in any of ``search_fields``: “joint declaration” finds “joint political
        declaration” (Wagtail's own database search wanted the exact phrase)."""
        if not self.is_searching or self.search_backend_name or not self.search_fields:
            return super().search_queryset(queryset)
        for word in self.search_query.split():
            queryset = queryset.filter(
                reduce(or_, (Q(**{f"{field}__icontains": word}) for field in self.search_fields))
            )
        return queryset


# --- Translations -------------------------------------------------------------------------------------


def warn_translation_needs_update(request, instance):
    """The ``before_edit_snippet`` and ``before_edit_page`` hooks: a translation whose English original
    changed since it was translated says so at the top of its edit view (wagtail-localize's editor)."""
    if request.method != "GET" or not isinstance(instance, TranslatableMixin):
        return
    if needs_update(instance):
        messages.warning(
            request,
            gettext(
                "%(status)s: the English original has changed since this translation was made. Sync it from the "
                "original (in the English listing, the original's “More options” menu, “Sync translated "
                "snippets”; for a page, “Sync translated pages” at the top of the original's edit view), "
                "translate what changed, then publish this translation."
            )
            % {"status": NEEDS_UPDATING},
        )
