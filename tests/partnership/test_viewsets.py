"""The admin is reachable and lists the structured records; the local admin account is generated."""

import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from partnership.models import CooperationEntry, Programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "", "a-long-test-password")
    client.force_login(user)
    return client


def test_the_admin_asks_anonymous_visitors_to_log_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.get("/admin/login/").status_code == 200


@pytest.mark.parametrize(
    "model", ["cooperationentry", "partner", "framework", "area", "programme", "place", "sourcedocument"]
)
def test_every_record_type_has_an_admin_listing(loaded, admin_client, model):
    response = admin_client.get(f"/admin/snippets/partnership/{model}/")
    assert response.status_code == 200


def test_the_entry_listing_and_edit_form_show_the_loaded_entries(loaded, admin_client):
    listing = admin_client.get("/admin/snippets/partnership/cooperationentry/").content.decode()
    assert "Joint political declaration signed" in listing
    assert "April 2013" in listing
    entry = CooperationEntry.objects.get(slug="japan-joint-political-declaration")
    edit = admin_client.get(f"/admin/snippets/partnership/cooperationentry/edit/{entry.pk}/")
    assert edit.status_code == 200
    assert "signed in April 2013" in edit.content.decode()


def test_create_local_admin_generates_a_password_shown_once():
    out = io.StringIO()
    call_command("create_local_admin", stdout=out)
    password = re.search(r"password: (\S+)", out.getvalue())[1]
    assert len(password) >= 16
    user = authenticate(username="admin", password=password)
    assert user is not None and user.is_superuser

    again = io.StringIO()
    call_command("create_local_admin", stdout=again)
    assert "already exists" in again.getvalue()
    assert "password:" not in again.getvalue()
    assert authenticate(username="admin", password=password) is not None
    assert get_user_model().objects.count() == 1


def test_two_local_admins_get_different_passwords():
    passwords = []
    for name in ("one", "two"):
        out = io.StringIO()
        call_command("create_local_admin", username=name, stdout=out)
        passwords.append(re.search(r"password: (\S+)", out.getvalue())[1])
    assert passwords[0] != passwords[1]


# --- The entry form, laid out for the job (issue 11) -----------------------------------------------

ENTRIES = "/admin/snippets/partnership/cooperationentry"


def test_the_entry_form_reads_in_an_editors_order(loaded, admin_client):
    from bs4 import BeautifulSoup

    entry = CooperationEntry.objects.get(slug="japan-joint-political-declaration")
    html = admin_client.get(f"{ENTRIES}/edit/{entry.pk}/").content.decode()
    soup = BeautifulSoup(html, "html.parser")
    headings = [h.get_text(strip=True) for h in soup.select("main h2, main h3") if h.get_text(strip=True)]
    wanted = ["The fact", "When", "How much, and which way", "Where and with whom", "Where it came from"]
    found = [h for h in headings if h in wanted]
    assert found == wanted, headings
    names = [field["name"] for field in soup.select("main form [name]") if field.get("name")]
    assert names.index("title") < names.index("period") < names.index("amount") < names.index("areas")
    assert names.index("areas") < names.index("source_quote")
    # Scheduling is where Wagtail puts it for pages: in the status side panel's dialog, not in the form's flow.
    dialog = html.index('id="schedule-publishing-dialog"')
    assert dialog < html.index('name="go_live_at"') < html.index('name="expire_at"')
    assert html.index('name="source_quote"') < dialog  # after the form's own fields, in the side panel
    # The date fields stay reachable, in a collapsed panel.
    assert soup.select_one("input[name=start_date]") is not None
    assert soup.select_one("[name=period]")["value"] == "April 2013"
    # Checkbox lists with a filter box, not multi-selects.
    assert not soup.select("select[multiple]")
    assert len(soup.select("[data-filtered-list]")) == 4
    assert soup.select_one("[data-sentence-picker]") is not None


def test_a_new_records_slug_follows_its_title(loaded, admin_client):
    from bs4 import BeautifulSoup

    for model, title in [("cooperationentry", "title"), *((m, "name") for m in ("partner", "framework", "area", "programme", "place")), ("sourcedocument", "title")]:  # fmt: skip
        soup = BeautifulSoup(admin_client.get(f"/admin/snippets/partnership/{model}/add/").content, "html.parser")
        title_input = soup.select_one(f"input[name={title}]")
        assert "w-sync" in title_input["data-controller"], model
        assert "w-sync#apply" in title_input.get("data-action", ""), model
        assert "w-slug" in soup.select_one("input[name=slug]")["data-controller"], model
    # Once saved, a reference record's slug is part of URLs: renaming it does not change it.
    from partnership.models import Programme

    programme = Programme.objects.get(slug="maritime-command")
    soup = BeautifulSoup(
        admin_client.get(f"/admin/snippets/partnership/programme/edit/{programme.pk}/").content, "html.parser"
    )
    assert "w-sync#apply" not in soup.select_one("input[name=name]").get("data-action", "")


def test_the_sentences_of_a_source_document(loaded, admin_client):
    from django.test import Client

    from partnership.models import SourceDocument

    source = SourceDocument.objects.get()
    answer = admin_client.get(f"/admin/partnership/sources/{source.pk}/sentences/").json()
    sentences = answer["sentences"]
    liaison = next(s for s in sentences if s["text"].startswith("Japan has designated a liaison officer"))
    assert liaison == {
        "text": "Japan has designated a liaison officer to NATO’s Maritime Command.",
        "section": "Building capabilities and interoperability",
    }
    assert all(source.contains(s["text"]) for s in sentences)
    assert len(sentences) == 25  # the document is short
    assert admin_client.get("/admin/partnership/sources/999999/sentences/").status_code == 404
    assert Client().get(f"/admin/partnership/sources/{source.pk}/sentences/").status_code == 302  # log in first


def test_the_programme_chooser_searches_by_name_and_acronym(loaded, admin_client):
    url = "/admin/snippets/choose/partnership/programme/results/"
    by_acronym = admin_client.get(url, {"q": "MARCOM"}).content.decode()
    assert "NATO Maritime Command" in by_acronym and "Science for Peace" not in by_acronym
    by_name = admin_client.get(url, {"q": "Interoperab"}).content.decode()
    assert "Interoperability Platform" in by_name and "NATO Maritime Command" not in by_name
    assert "Search term" in admin_client.get("/admin/snippets/choose/partnership/partner/").content.decode()


def test_a_programmes_aliases_are_edited_and_searched_in_the_admin(loaded, admin_client):
    marcom = Programme.objects.get(slug="maritime-command")
    response = admin_client.get(f"/admin/snippets/partnership/programme/edit/{marcom.pk}/")
    assert re.search(r'<textarea name="aliases"[^>]*>[^<]*Allied Maritime Command', response.content.decode())
    found = admin_client.get("/admin/snippets/partnership/programme/?q=Allied+Maritime+Command")
    assert "NATO Maritime Command" in found.content.decode()
