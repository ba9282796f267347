from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils import translation
from django.utils.html import format_html
from wagtail import hooks

from partnership.admin_views import approval_message

from .editing import newer_revision_by_someone_else, newer_version_message
from .imports import keep_rejected_sentences_on_the_page
from .models import entry_preview_context
from .page_fixtures import PageFixtures


@hooks.register("before_serve_page")
def serve_pages_only_in_their_own_language(page, request, serve_args, serve_kwargs):
    """/fr/… shows French pages only: an untranslated page is not served in English under a French URL.

    English URLs cost nothing here; only a prefixed URL looks up the page's locale.
    """
    language = translation.get_language()
    if language != settings.LANGUAGE_CODE and page.locale.language_code != language:
        raise Http404(translation.gettext("This page is not available in this language yet."))


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
    tell_of_a_newer_version(request, page, translation.gettext("page"))


@hooks.register("before_edit_snippet")
def tell_of_a_newer_snippet_version(request, instance):
    tell_of_a_newer_version(request, instance, instance._meta.verbose_name)


def copy_refusal(page):
    """The reason a page's model gives for refusing to be copied (``copy_refused_because()``), or None."""
    refused_because = getattr(page.specific, "copy_refused_because", None)
    return refused_because() if refused_because else None


@hooks.register("before_copy_page")
def refuse_copies_the_model_would_refuse(request, page):
    """Refuse a copy (or an alias) up front, with the reason, rather than create a page that cannot be published.

    Wagtail's copy does not run the model's ``clean``: a copy of a partner page was created, and publishing it
    later failed.
    """
    if reason := copy_refusal(page):
        messages.error(request, reason)
        return redirect("wagtailadmin_explore", page.get_parent().pk)
    return None


@hooks.register("register_admin_urls")
def two_factor_urls():
    from . import two_factor

    return two_factor.urlpatterns


@hooks.register("register_account_menu_item")
def two_factor_account_item(request):
    from django.urls import reverse

    return {
        "url": reverse("two_factor_setup"),
        "label": translation.gettext("Two-factor sign-in"),
        "help_text": translation.gettext("A code from an authenticator app when you sign in, with recovery codes."),
    }


# An entry's admin preview shows the public entry page around it: the page is the site's, so the
# site adds it here (partnership imports nothing from cms).
hooks.register("partnership_entry_preview_context", entry_preview_context)

# The partnership importer makes its draft partner page with the site's page loader, and a rejected
# proposal's sentence stays on the page the import made.
hooks.register("partnership_page_loader", lambda: PageFixtures)
hooks.register("partnership_proposal_rejected", keep_rejected_sentences_on_the_page)
