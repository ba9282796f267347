from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.templatetags.static import static
from django.utils import translation
from django.utils.html import format_html
from wagtail import hooks

from partnership.admin_views import approval_message

from .editing import newer_revision_by_someone_else, newer_version_message


@hooks.register("before_serve_page")
def serve_pages_only_in_their_own_language(page, request, serve_args, serve_kwargs):
    """/fr/… shows French pages only: an untranslated page is not served in English under a French URL.

    English URLs cost nothing here; only a prefixed URL looks up the page's locale.
    """
    language = translation.get_language()
    if language != settings.LANGUAGE_CODE and page.locale.language_code != language:
        raise Http404("This page is not available in this language yet.")


@hooks.register("insert_editor_js")
def submit_after_the_autosave():
    """Every editor (pages and snippets) holds a save made while an autosave is on its way (see the script)."""
    return format_html('<script src="{}"></script>', static("js/admin-submit-after-autosave.js"))


@hooks.register("after_edit_page")
def confirm_an_approval(request, page):
    """Say what a moderator's Approve did (published, or which step it waits for): Wagtail only says “updated”."""
    if request.POST.get("action-workflow-action") and request.POST.get("workflow-action-name") == "approve":
        messages.success(request, approval_message(page))


def tell_of_a_newer_version(request, instance, noun):
    if request.accepts("text/html") and (
        revision := newer_revision_by_someone_else(request, getattr(instance, "latest_revision", None))
    ):
        messages.warning(request, newer_version_message(revision, noun))


@hooks.register("before_edit_page")
def tell_of_a_newer_page_version(request, page):
    tell_of_a_newer_version(request, page, "page")


@hooks.register("before_edit_snippet")
def tell_of_a_newer_snippet_version(request, instance):
    tell_of_a_newer_version(request, instance, instance._meta.verbose_name)
