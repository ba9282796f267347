"""Two people, or one person and their own autosave, on the same entry or page — over HTTP, as the
admin's JavaScript posts (tests/browser/test_editing_at_a_human_pace.py does it in Chromium).

Wagtail looks after concurrent editing: its autosave (a JSON post) refuses to overwrite a version
someone else saved after the form was opened, and its editing-session notifications tell the person
and ask before a plain save replaces it. A plain save is the person's decision and goes through.
An editor's own autosave is never a reason to refuse their save (it once was: nobody could save
after pausing).
"""

import datetime
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import wagtail.admin
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.test import Client
from wagtail.admin.views.pages.edit import EditView as PageEditView
from wagtail.snippets.views.snippets import EditView as SnippetEditView

from cms.editing import is_out_of_date
from cms.models import PartnerPage
from partnership.models import CooperationEntry
from tests.test_editors import ENTRIES, SLUG, entry_form, page_form

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def editors(loaded, django_user_model):
    """Two people, each in their own browser: Alice (an editor) and Bob (a moderator, who may publish)."""
    people = {}
    for name, group in (("alice", "Editors"), ("bob", "Moderators")):
        user = django_user_model.objects.create_user(name, password=f"{name}-password-1", first_name=name.title())
        user.groups.add(Group.objects.get(name=group))
        client = Client()
        client.force_login(user)
        people[name] = client
    return people


def open_form(client, url):
    """GET the edit form as a browser does; return the revision it says it started from."""
    response = client.get(url)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    return {
        name: soup.select_one(f'input[name="{name}"]')["value"]
        for name in ("loaded_revision_id", "loaded_revision_created_at")
    }


def autosave(client, url, form, loaded):
    """What Wagtail's autosave posts after a pause: the whole form, asking for JSON; returns the hidden
    input the admin then adds to the form (the revision later autosaves and the final save overwrite)."""
    response = client.post(url, {**form, **loaded}, **JSON)
    assert response.status_code == 200, response.content
    assert response.json()["success"] is True
    return {"overwrite_revision_id": str(response.json()["revision_id"])}


def entry():
    return CooperationEntry.objects.get(slug=SLUG)


def messages_after(client, response):
    """The messages the person sees after ``response`` (the page it shows, or the one it redirects to)."""
    if response.status_code == 302:
        response = client.get(response["Location"])
    found = BeautifulSoup(response.content, "html.parser").select_one(".messages")
    return " ".join(found.stripped_strings) if found else ""


def hidden_inputs(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return {
        name: soup.select_one(f'input[name="{name}"]')["value"]
        for name in ("loaded_revision_id", "loaded_revision_created_at")
    }


# --- One person and their own autosave ------------------------------------------------------------


@pytest.mark.parametrize("race", [False, True], ids=["after-the-autosave", "while-the-autosave-runs"])
@pytest.mark.parametrize(
    "action", [{}, {"action-submit": "action-submit"}], ids=["save-draft", "submit-for-moderation"]
)
def test_an_editor_saves_after_their_own_autosave(editors, action, race):
    """Type, pause (Wagtail autosaves), then save or submit. ``race``: the click left before the autosave's
    answer reached the page, so the form still says it started from the revision it was opened on."""
    url = f"{ENTRIES}/edit/{entry().pk}/"
    loaded = open_form(editors["alice"], url)
    autosaved = autosave(editors["alice"], url, entry_form(entry(), title="Alice's title"), loaded)

    form = {**entry_form(entry(), title="Alice's title, finished"), **loaded, **action}
    if not race:
        form.update(autosaved)
    response = editors["alice"].post(url, form)

    assert response.status_code == 302, BeautifulSoup(response.content, "html.parser").select_one(".messages")
    assert entry().get_latest_revision_as_object().title == "Alice's title, finished"
    assert "newer version" not in messages_after(editors["alice"], response)  # her own autosave is no news
    assert (entry().current_workflow_state is not None) is bool(action)


def test_a_page_editor_submits_after_their_own_autosave(editors):
    page = PartnerPage.objects.get()
    url = f"/admin/pages/{page.pk}/edit/"
    loaded = open_form(editors["alice"], url)
    autosaved = autosave(editors["alice"], url, page_form(page, title="Relations with Japan (typing)"), loaded)
    response = editors["alice"].post(
        url, {**page_form(page, title="Relations with Japan (done)", **{"action-submit": "1"}), **loaded, **autosaved}
    )
    assert response.status_code == 302
    page = PartnerPage.objects.get()
    assert page.get_latest_revision_as_object().title == "Relations with Japan (done)"
    assert page.current_workflow_state is not None
    assert page.title == "Relations with Japan"  # submitted, not published


# --- Two people ------------------------------------------------------------------------------------


def test_the_second_persons_autosave_never_overwrites_the_first_persons_save(editors):
    url = f"{ENTRIES}/edit/{entry().pk}/"
    alices_form, bobs_form = open_form(editors["alice"], url), open_form(editors["bob"], url)
    response = editors["alice"].post(url, {**entry_form(entry(), title="Alice's title"), **alices_form})
    assert response.status_code == 302

    # Bob keeps typing: each of his autosaves is refused, so Alice's text stays the latest version…
    for _ in range(2):
        response = editors["bob"].post(url, {**entry_form(entry(), title="Bob's autosave"), **bobs_form}, **JSON)
        assert response.json()["error_code"] == "invalid_revision"
    assert entry().get_latest_revision_as_object().title == "Alice's title"

    # …until Bob, told by the admin that Alice saved a newer version, chooses to save over it.
    response = editors["bob"].post(url, {**entry_form(entry(), title="Bob's title"), **bobs_form})
    assert response.status_code == 302
    assert entry().get_latest_revision_as_object().title == "Bob's title"
    # Nothing is lost: Alice's version is in the history, under her name, and can be restored.
    history = [(r.user and r.user.username, r.as_object().title) for r in entry().revisions.order_by("created_at")]
    assert history[-2:] == [("alice", "Alice's title"), ("bob", "Bob's title")]

    # Alice's own form now starts from an older version: her autosave is refused in turn.
    response = editors["alice"].post(url, {**entry_form(entry(), title="Alice again"), **alices_form}, **JSON)
    assert response.json()["error_code"] == "invalid_revision"


def test_wagtail_itself_refuses_a_stale_autosave(editors):
    url = f"{ENTRIES}/edit/{entry().pk}/"
    alices_form, bobs_form = open_form(editors["alice"], url), open_form(editors["bob"], url)
    editors["alice"].post(url, {**entry_form(entry(), title="Alice's title"), **alices_form})
    response = editors["bob"].post(
        url, {**entry_form(entry(), title="Bob's autosave"), **bobs_form}, HTTP_ACCEPT="application/json"
    )
    assert response.json()["error_code"] == "invalid_revision"
    assert entry().get_latest_revision_as_object().title == "Alice's title"


def test_reverting_to_an_earlier_revision_still_works(editors):
    url = f"{ENTRIES}/edit/{entry().pk}/"
    first = entry().latest_revision
    editors["bob"].post(url, {**entry_form(entry(), title="A mistake"), **open_form(editors["bob"], url)})
    revert_url = f"{ENTRIES}/history/{entry().pk}/revisions/{first.pk}/revert/"
    revert_form = open_form(editors["bob"], revert_url)
    response = editors["bob"].post(revert_url, {**entry_form(first.as_object()), **revert_form})
    assert response.status_code == 302
    assert entry().get_latest_revision_as_object().title == "Liaison officer to NATO’s Maritime Command"


@pytest.mark.parametrize("kind", ["entry", "page"])
def test_a_form_shown_again_after_an_error_still_knows_it_is_out_of_date(editors, kind):
    """Bob saves while Alice types; Alice's save has an error, and the form comes back. Its autosaves must
    still be refused (they once silently replaced Bob's text), and Alice is told that Bob saved."""
    if kind == "entry":
        url, form = f"{ENTRIES}/edit/{entry().pk}/", lambda **c: entry_form(entry(), **c)
        mistake = {"amount": "five billion"}  # a draft may lack a title, not have a wrong amount
        latest = lambda: entry().get_latest_revision_as_object()  # noqa: E731
    else:
        url, form = f"/admin/pages/{partner_page().pk}/edit/", lambda **c: page_form(partner_page(), **c)
        mistake = {"title": ""}
        latest = lambda: partner_page().get_latest_revision_as_object()  # noqa: E731
    alices_form, bobs_form = open_form(editors["alice"], url), open_form(editors["bob"], url)
    assert editors["bob"].post(url, {**form(title="Bob's title"), **bobs_form}).status_code == 302

    response = editors["alice"].post(url, {**form(**mistake), **alices_form})
    assert response.status_code == 200
    assert "Bob saved a newer version of this" in messages_after(editors["alice"], response)
    shown_again = hidden_inputs(response)
    response = editors["alice"].post(url, {**form(title="Alice's title"), **shown_again}, **JSON)
    assert response.json()["error_code"] == "invalid_revision"
    assert latest().title == "Bob's title"


def test_a_save_without_javascript_over_a_newer_version_says_so(editors):
    """Without JavaScript nothing asks first: the save goes through (the person's decision) and says whose
    version it replaced, which stays in the history."""
    url = f"{ENTRIES}/edit/{entry().pk}/"
    alices_form, bobs_form = open_form(editors["alice"], url), open_form(editors["bob"], url)
    editors["bob"].post(url, {**entry_form(entry(), title="Bob's title"), **bobs_form})
    response = editors["alice"].post(url, {**entry_form(entry(), title="Alice's title"), **alices_form})
    assert response.status_code == 302
    assert "Bob saved a newer version of this cooperation entry" in messages_after(editors["alice"], response)
    titles = [r.as_object().title for r in entry().revisions.order_by("created_at")]
    assert titles[-2:] == ["Bob's title", "Alice's title"]


# --- Pages -----------------------------------------------------------------------------------------


def partner_page():
    return PartnerPage.objects.get()


def test_a_page_save_from_an_up_to_date_form_goes_through(editors):
    url = f"/admin/pages/{partner_page().pk}/edit/"
    for title in ("Relations with Japan (1)", "Relations with Japan (2)"):
        response = editors["alice"].post(
            url, {**page_form(partner_page(), title=title), **open_form(editors["alice"], url)}
        )
        assert response.status_code == 302
        assert partner_page().get_latest_revision_as_object().title == title


def test_a_stale_page_autosave_is_refused(editors):
    url = f"/admin/pages/{partner_page().pk}/edit/"
    alices_form, bobs_form = open_form(editors["alice"], url), open_form(editors["bob"], url)
    editors["alice"].post(url, {**page_form(partner_page(), title="Alice's page title"), **alices_form})
    response = editors["bob"].post(url, {**page_form(partner_page(), title="Bob's"), **bobs_form}, **JSON)
    assert response.json()["error_code"] == "invalid_revision"
    assert partner_page().get_latest_revision_as_object().title == "Alice's page title"


# --- Guards: what cms/editing.py and its template override rely on in Wagtail ---------------------
# No public API tells a hook whether a posted form is out of date (wagtail/wagtail#2565), so
# cms.editing reads Wagtail's posted fields as Wagtail's edit views do. These fail when Wagtail
# changes the fields, the template that posts them, or what it makes of them.

WAGTAIL_INPUTS = (
    Path(wagtail.admin.__file__).parent / "templates/wagtailadmin/generic/includes/_loaded_revision_inputs.html"
)


def hidden_input_names(html):
    return sorted(tag["name"] for tag in BeautifulSoup(html, "html.parser").select('input[type="hidden"]'))


def test_wagtails_template_posts_the_inputs_the_override_replaces():
    ours = Path(__file__).parents[2] / "templates/wagtailadmin/generic/includes/_loaded_revision_inputs.html"
    wagtails = WAGTAIL_INPUTS.read_text(encoding="utf-8")
    assert hidden_input_names(wagtails) == hidden_input_names(ours.read_text(encoding="utf-8"))
    assert hidden_input_names(wagtails) == ["loaded_revision_created_at", "loaded_revision_id"]
    # Wagtail's edit forms include it with the two variables the override reads.
    admin_templates = WAGTAIL_INPUTS.parents[2]
    for form in ("pages/edit.html", "generic/form.html", "generic/edit_partials.html"):
        text = (admin_templates / form).read_text(encoding="utf-8")
        assert re.search(
            r'{% include "wagtailadmin/generic/includes/_loaded_revision_inputs.html" with '
            r"loaded_revision_id=\S+ loaded_revision_created_at=loaded_revision_created_at only %}",
            text,
        ), form


LATEST = SimpleNamespace(pk=7, created_at=datetime.datetime(2026, 11, 29, 14, 2, tzinfo=datetime.UTC))
POSTS = [
    {},
    {"loaded_revision_id": "7", "loaded_revision_created_at": LATEST.created_at.isoformat()},
    {"loaded_revision_id": "7", "loaded_revision_created_at": "2026-11-29T14:01:00+00:00"},
    {"loaded_revision_id": "7"},
    {"loaded_revision_id": "6", "loaded_revision_created_at": LATEST.created_at.isoformat()},
    {"overwrite_revision_id": "7", "loaded_revision_id": "6"},
    {"overwrite_revision_id": "8", "loaded_revision_id": "7"},
]


@pytest.mark.parametrize("view_class", [PageEditView, SnippetEditView], ids=["pages", "snippets"])
@pytest.mark.parametrize("posted", POSTS)
def test_out_of_date_means_what_wagtails_edit_views_mean(rf, view_class, posted):
    view = view_class()
    view.request = rf.post("/", posted)
    view.__dict__["latest_revision"] = LATEST  # the view's cached_property, set as a test double
    ours = is_out_of_date(view.request.POST, LATEST.pk, LATEST.created_at.isoformat())
    assert view.is_out_of_date == ours
