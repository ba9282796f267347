"""The admin is reachable and lists the structured records; the local admin account is generated."""

import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from partnership.models import CooperationEntry

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
