"""wagtail-localize's PO upload (a translation's “Upload PO file”), with a broken file refused clearly.

wagtail-localize's own view answers a file that is not a PO file with a message, but a PO file
without its translation header, or a request without a file, with a server error (KeyError). This
view, registered at the same admin URL before wagtail-localize's (partnership.wagtail_hooks), checks
the upload first: a file that is missing, not UTF-8, not valid PO syntax, or not exported from this
translation is refused with a message naming the problem, and nothing is imported. A good file goes
on to wagtail-localize's view unchanged.
"""

import contextlib
import os
import tempfile

import polib
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from wagtail.models import Page
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail_localize.models import Translation
from wagtail_localize.views import edit_translation

from .po_syntax import syntax_problem

TRANSLATION_ID_HEADER = "X-WagtailLocalize-TranslationID"


def user_can_edit(user, instance):
    if isinstance(instance, Page):
        return instance.permissions_for_user(user).can_edit()
    return ModelPermissionPolicy(type(instance)).user_has_permission(user, "change")


def po_upload_problem(upload, translation):
    """Why ``upload`` (an UploadedFile, or None) cannot be imported into ``translation``, or ''."""
    if upload is None:
        return _("Choose a PO file to upload.")
    data = upload.read()
    upload.seek(0)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return _("“%(name)s” is not UTF-8 text: save the PO file as UTF-8 and upload it again.") % {"name": upload.name}
    if problem := syntax_problem(data.decode("utf-8")):
        return _("“%(name)s” is not a valid PO file (%(error)s).") % {"name": upload.name, "error": problem}
    # polib reads a path as well as a text: the upload goes through a file, never as a text.
    with tempfile.NamedTemporaryFile(suffix=".po", delete=False) as file:
        file.write(data)
    try:
        po = polib.pofile(file.name, encoding="utf-8")
    except (OSError, ValueError, UnicodeError) as error:
        return _("“%(name)s” is not a valid PO file (%(error)s).") % {"name": upload.name, "error": error}
    finally:
        with contextlib.suppress(OSError):
            os.unlink(file.name)
    if po.metadata.get(TRANSLATION_ID_HEADER) != str(translation.uuid):
        return _(
            "“%(name)s” was not downloaded from this translation: download this translation's PO file, "
            "translate it, and upload that file."
        ) % {"name": upload.name}
    return ""


def upload_pofile(request, translation_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    translation = get_object_or_404(Translation, id=translation_id)
    if not user_can_edit(request.user, translation.get_target_instance()):
        raise PermissionDenied
    problem = po_upload_problem(request.FILES.get("file"), translation)
    if not problem:
        return edit_translation.upload_pofile(request, translation_id)
    messages.error(request, problem)
    # Back to the translation editor the form was posted from (its ``next``), if it is on this site.
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("wagtailadmin_home")
    return redirect(next_url)
