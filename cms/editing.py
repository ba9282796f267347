"""Telling a person that someone else saved the page or entry they are editing, whatever path the save took.

Wagtail's edit forms post the revision they started from (``loaded_revision_id`` and
``loaded_revision_created_at``, or ``overwrite_revision_id`` once the form has autosaved). With
JavaScript, Wagtail refuses an autosave over a newer version and asks before a save replaces it.
Two paths it leaves silent are covered here: a form shown again after a validation error (it used
to start over from the newest version, so its next autosave replaced the other person's text
unannounced), and a save made without JavaScript.

No public API gives this: Wagtail's own check is a property of its edit views
(``is_out_of_date`` in wagtail/admin/views/pages/edit.py and wagtail/admin/views/generic/mixins.py),
which the ``before_edit_page``/``before_edit_snippet`` hooks do not receive, and the warning on a
save that replaces someone else's version is still an open request upstream (wagtail/wagtail#2565,
"Display warning when multiple users are editing the same page"). So ``is_out_of_date`` below reads
the same three posted fields the same way; tests/cms/test_editing.py checks that it answers as
Wagtail's views do and that Wagtail's forms still post those fields, so an upgrade that changes them
fails there.
"""

from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from wagtail.admin.utils import get_user_display_name


def is_out_of_date(posted, latest_id, latest_created_at):
    """Whether a posted edit form started from a version older than the latest revision, as Wagtail's
    edit views decide it (``EditView.is_out_of_date``).

    ``posted``: the POST data; ``latest_id``: the latest revision's pk; ``latest_created_at``: its
    ``created_at.isoformat()``. Without any of the fields, the form is taken as up to date.
    """
    if overwrite := posted.get("overwrite_revision_id"):
        return overwrite != str(latest_id)
    if loaded := posted.get("loaded_revision_id"):
        return loaded != str(latest_id) or posted.get("loaded_revision_created_at", "") != latest_created_at
    return False


def newer_revision_by_someone_else(request, latest_revision):
    """The latest revision, if someone other than the request's user saved it after the posted form was
    opened; else None (nothing posted, the form is up to date, or the newer version is the user's own
    autosave)."""
    if request.method != "POST" or latest_revision is None or latest_revision.user_id == request.user.pk:
        return None
    if is_out_of_date(request.POST, latest_revision.pk, latest_revision.created_at.isoformat()):
        return latest_revision
    return None


def form_base_revision(request, latest_id, latest_created_at):
    """What a form shown again after a POST says it started from: ``(id, created_at)``.

    The posted form's own base when someone else saved meanwhile (so that Wagtail keeps refusing its
    autosaves and asks before a save replaces their version), else the latest revision as Wagtail has it.
    """
    posted = request.POST if request is not None and request.method == "POST" else {}
    if not is_out_of_date(posted, latest_id, latest_created_at):
        return latest_id, latest_created_at
    if overwrite := posted.get("overwrite_revision_id"):
        return overwrite, ""
    return posted["loaded_revision_id"], posted.get("loaded_revision_created_at", "")


def newer_version_message(revision, noun):
    """“Ada saved a newer version of this page on 29 Nov 2026 at 14:02, after you opened it. …”"""
    return format_html(
        gettext(
            "{name} saved a newer version of this {noun} on {when}, after you opened it. Both versions are "
            "kept in the history, where you can compare them; saving this form makes yours the newest."
        ),
        name=get_user_display_name(revision.user) if revision.user else gettext("Someone else"),
        noun=noun,
        when=timezone.localtime(revision.created_at).strftime("%d %b %Y at %H:%M"),
    )
