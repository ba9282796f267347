"""Telling a person that someone else saved the page or entry they are editing, whatever path the save took.

Wagtail's edit forms post the revision they started from (``loaded_revision_id`` and
``loaded_revision_created_at``, or ``overwrite_revision_id`` once the form has autosaved). With
JavaScript, Wagtail refuses an autosave over a newer version and asks before a save replaces it.
Two paths it leaves silent are covered here: a form shown again after a validation error (it used
to start over from the newest version, so its next autosave replaced the other person's text
unannounced), and a save made without JavaScript.
"""

from django.utils import timezone
from django.utils.html import format_html
from wagtail.admin.utils import get_user_display_name


def newer_revision_by_someone_else(request, latest_revision):
    """The latest revision, if someone other than the request's user saved it after the posted form was
    opened; else None (nothing posted, the form is up to date, or the newer version is the user's own
    autosave)."""
    if request.method != "POST" or latest_revision is None or latest_revision.user_id == request.user.pk:
        return None
    overwrite = request.POST.get("overwrite_revision_id")
    loaded = request.POST.get("loaded_revision_id")
    if overwrite:
        return latest_revision if overwrite != str(latest_revision.pk) else None
    if loaded and (
        loaded != str(latest_revision.pk)
        or request.POST.get("loaded_revision_created_at", "") != latest_revision.created_at.isoformat()
    ):
        return latest_revision
    return None


def form_base_revision(request, latest_id, latest_created_at):
    """What a form shown again after a POST says it started from: ``(id, created_at)``.

    The posted form's own base when someone else saved meanwhile (so that Wagtail keeps refusing its
    autosaves and asks before a save replaces their version), else the latest revision as Wagtail has it.
    """
    posted = request.POST if request is not None and request.method == "POST" else {}
    overwrite, loaded = posted.get("overwrite_revision_id"), posted.get("loaded_revision_id")
    if overwrite and overwrite != str(latest_id):
        return overwrite, ""
    if loaded and (loaded != str(latest_id) or posted.get("loaded_revision_created_at", "") != latest_created_at):
        return loaded, posted.get("loaded_revision_created_at", "")
    return latest_id, latest_created_at


def newer_version_message(revision, noun):
    """“Ada saved a newer version of this page on 29 Nov 2026 at 14:02, after you opened it. …”"""
    return format_html(
        "{name} saved a newer version of this {noun} on {when}, after you opened it. Both versions are "
        "kept in the history, where you can compare them; saving this form makes yours the newest.",
        name=get_user_display_name(revision.user) if revision.user else "Someone else",
        noun=noun,
        when=timezone.localtime(revision.created_at).strftime("%d %b %Y at %H:%M"),
    )
