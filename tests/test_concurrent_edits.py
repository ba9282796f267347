"""Two editors saving the same entry or page: the second save, made from a form opened before the first,
is refused with a clear message and the first editor's change is kept — over HTTP, as browsers post."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.test import Client

from cms.models import PartnerPage
from partnership.models import CooperationEntry

from .test_editors import ENTRIES, SLUG, entry_form, page_form

pytestmark = pytest.mark.django_db

REFUSED = "saved a newer version of this"


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


def messages_in(response):
    return " ".join(BeautifulSoup(response.content, "html.parser").select_one(".messages").stripped_strings)


def entry():
    return CooperationEntry.objects.get(slug=SLUG)


# --- Cooperation entries ---------------------------------------------------------------------------


def test_a_stale_entry_save_is_refused_and_the_first_change_kept(editors):
    url = f"{ENTRIES}/edit/{entry().pk}/"
    alices_form, bobs_form = open_form(editors["alice"], url), open_form(editors["bob"], url)

    response = editors["alice"].post(url, {**entry_form(entry(), title="Alice's title"), **alices_form})
    assert response.status_code == 302
    alices_revision = entry().latest_revision

    response = editors["bob"].post(url, {**entry_form(entry(), title="Bob's title"), **bobs_form})
    assert response.status_code == 200  # the form again, with what Bob typed, and why it was not saved
    message = messages_in(response)
    assert "The cooperation entry could not be saved." in message
    assert "Alice saved a newer version of this cooperation entry on" in message
    assert "Your changes were not saved" in message
    assert 'value="Bob&#x27;s title"' in response.content.decode() or "Bob's title" in response.content.decode()
    current = entry()
    assert current.latest_revision_id == alices_revision.pk
    assert current.get_latest_revision_as_object().title == "Alice's title"

    # The form shown again now starts from Alice's version: saving it again replaces hers, knowingly.
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select_one('input[name="loaded_revision_id"]')["value"] == str(alices_revision.pk)
    again = {name: soup.select_one(f'input[name="{name}"]')["value"] for name in bobs_form}
    response = editors["bob"].post(url, {**entry_form(entry(), title="Bob's title"), **again})
    assert response.status_code == 302
    assert entry().get_latest_revision_as_object().title == "Bob's title"


def test_a_stale_publish_is_refused_and_the_live_entry_untouched(editors):
    url = f"{ENTRIES}/edit/{entry().pk}/"
    alices_form, bobs_form = open_form(editors["alice"], url), open_form(editors["bob"], url)
    editors["alice"].post(url, {**entry_form(entry(), title="Alice's draft"), **alices_form})

    response = editors["bob"].post(
        url, {**entry_form(entry(), title="Bob's published title", **{"action-publish": "publish"}), **bobs_form}
    )
    assert response.status_code == 200 and REFUSED in messages_in(response)
    assert entry().title == "Liaison officer to NATO’s Maritime Command"  # the live entry
    assert entry().get_latest_revision_as_object().title == "Alice's draft"


def test_a_save_from_an_up_to_date_form_is_not_refused(editors):
    url = f"{ENTRIES}/edit/{entry().pk}/"
    for title in ("First save", "Second save from a fresh form"):
        response = editors["alice"].post(url, {**entry_form(entry(), title=title), **open_form(editors["alice"], url)})
        assert response.status_code == 302
        assert entry().get_latest_revision_as_object().title == title


def test_the_same_editor_in_two_tabs_is_told_it_was_them(editors):
    url = f"{ENTRIES}/edit/{entry().pk}/"
    first_tab, second_tab = open_form(editors["alice"], url), open_form(editors["alice"], url)
    editors["alice"].post(url, {**entry_form(entry(), title="From the first tab"), **first_tab})
    response = editors["alice"].post(url, {**entry_form(entry(), title="From the second tab"), **second_tab})
    assert response.status_code == 200
    assert "You saved a newer version of this cooperation entry (in another window or tab)" in messages_in(response)
    assert entry().get_latest_revision_as_object().title == "From the first tab"


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


# --- Pages -----------------------------------------------------------------------------------------


def partner_page():
    return PartnerPage.objects.get()


def test_a_stale_page_save_is_refused_and_the_first_change_kept(editors):
    url = f"/admin/pages/{partner_page().pk}/edit/"
    alices_form, bobs_form = open_form(editors["alice"], url), open_form(editors["bob"], url)

    response = editors["alice"].post(url, {**page_form(partner_page(), title="Alice's page title"), **alices_form})
    assert response.status_code == 302
    alices_revision = partner_page().latest_revision

    response = editors["bob"].post(
        url, {**page_form(partner_page(), title="Bob's page title", **{"action-publish": "publish"}), **bobs_form}
    )
    assert response.status_code == 200
    message = messages_in(response)
    assert "Alice saved a newer version of this page on" in message and "Your changes were not saved" in message
    assert "Bob&#x27;s page title" in response.content.decode() or "Bob's page title" in response.content.decode()
    page = partner_page()
    assert page.latest_revision_id == alices_revision.pk
    assert page.get_latest_revision_as_object().title == "Alice's page title"
    assert page.title == "Relations with Japan"  # nothing was published

    soup = BeautifulSoup(response.content, "html.parser")
    again = {name: soup.select_one(f'input[name="{name}"]')["value"] for name in bobs_form}
    assert again["loaded_revision_id"] == str(alices_revision.pk)
    response = editors["bob"].post(
        url, {**page_form(partner_page(), title="Bob's page title", **{"action-publish": "publish"}), **again}
    )
    assert response.status_code == 302
    assert partner_page().title == "Bob's page title"


def test_a_page_save_from_an_up_to_date_form_is_not_refused(editors):
    url = f"/admin/pages/{partner_page().pk}/edit/"
    for title in ("Relations with Japan (1)", "Relations with Japan (2)"):
        response = editors["alice"].post(
            url, {**page_form(partner_page(), title=title), **open_form(editors["alice"], url)}
        )
        assert response.status_code == 302
        assert partner_page().get_latest_revision_as_object().title == title
