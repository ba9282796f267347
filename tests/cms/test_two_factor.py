"""Two-factor sign-in for the admin (cms/two_factor.py): enrolment, codes, recovery codes, enforcement."""

import json

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.cms.test_settings import read_settings

pytestmark = pytest.mark.django_db
PASSWORD = "editor-password-1"


@pytest.fixture
def editor(db, django_user_model):
    from partnership.roles import ensure_editorial_roles

    ensure_editorial_roles()
    user = django_user_model.objects.create_user("editor", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def code(device, steps_ahead=0):
    """The code an authenticator app shows, computed here from the device's key (as the app does)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=steps_ahead):06d}"


def enrol(user):
    """Turn two-factor sign-in on through the page, as the person would; returns (device, recovery codes)."""
    client = Client()
    client.force_login(user)
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "<svg" in text and "QR code" in text  # drawn on the server, inline
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert "Key: <code>" in text
    device.enrolment_code = code(device)
    response = client.post(reverse("two_factor_setup"), {"code": device.enrolment_code})
    assert response.status_code == 200
    enrolment_code = device.enrolment_code
    device.refresh_from_db()
    device.enrolment_code = enrolment_code
    assert device.confirmed
    codes = [token.token for token in StaticToken.objects.filter(device__user=user)]
    assert len(codes) == 10
    assert all(c in response.content.decode() for c in codes)  # shown once, on this page
    return device, codes


def sign_in(username, password, otp="", ip="198.51.100.4"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(
        reverse("wagtailadmin_login"), {"username": username, "password": password, "otp_token": otp}
    )
    return client, response


def test_the_login_form_asks_for_a_code(db):
    text = Client().get(reverse("wagtailadmin_login")).content.decode()
    assert 'name="otp_token"' in text and 'autocomplete="one-time-code"' in text


def test_enrolling_with_a_wrong_code_changes_nothing(editor):
    client = Client()
    client.force_login(editor)
    client.get(reverse("two_factor_setup"))
    response = client.post(reverse("two_factor_setup"), {"code": "000000"})
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=editor, confirmed=True).exists()
    assert not StaticToken.objects.exists()


def test_signing_in_needs_the_current_code_once_enrolled(editor):
    device, _ = enrol(editor)
    _, response = sign_in("editor", PASSWORD)  # the password alone is not enough any more
    assert response.status_code == 200 and "Enter the current code" in response.content.decode()
    _, response = sign_in("editor", PASSWORD, "123456" if code(device, 1) != "123456" else "654321")
    assert response.status_code == 200 and "Enter the current code" in response.content.decode()
    # django-otp also slows down guessing: after a wrong code the device refuses any code for a second.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    # The very code used to enrol is spent (computed then, so that a new 30-second step cannot change it).
    assert sign_in("editor", PASSWORD, device.enrolment_code)[1].status_code == 200
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    # The app's next code works.
    client, response = sign_in("editor", PASSWORD, code(device, 1))
    assert response.status_code == 302
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    assert client.session["otp_device_id"] == device.persistent_id


def test_a_recovery_code_works_once(editor):
    _, codes = enrol(editor)
    client, response = sign_in("editor", PASSWORD, codes[3])
    assert response.status_code == 302
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    _, response = sign_in("editor", PASSWORD, codes[3])
    assert response.status_code == 200 and "Enter the current code" in response.content.decode()
    assert StaticToken.objects.filter(device__user=editor).count() == 9


def test_without_two_factor_the_password_is_enough_in_development(editor):
    assert settings.TWO_FACTOR_REQUIRED is False
    client, response = sign_in("editor", PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_wrong_codes_count_towards_the_login_lockout(editor):
    enrol(editor)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _, response = sign_in("editor", PASSWORD, "000000", ip="203.0.113.50")
    _, response = sign_in("editor", PASSWORD, "000000", ip="203.0.113.50")
    assert response.status_code == 429


def test_a_session_never_verified_with_a_code_is_signed_out(editor):
    enrol(editor)
    client = Client()
    client.force_login(editor)  # a session from before the device was added
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("wagtailadmin_login"))
    assert "_auth_user_id" not in client.session


def test_when_required_an_account_without_a_device_must_enrol_first(editor, settings):
    settings.TWO_FACTOR_REQUIRED = True
    client, response = sign_in("editor", PASSWORD)
    assert response.status_code == 302
    for url in (reverse("wagtailadmin_home"), reverse("wagtailsnippets_partnership_cooperationentry:list")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("two_factor_setup")
    assert client.get(reverse("two_factor_setup")).status_code == 200
    device = TOTPDevice.objects.get(user=editor)
    client.post(reverse("two_factor_setup"), {"code": code(device)})
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    # And it cannot be turned off while required.
    response = client.post(reverse("two_factor_setup"), {"action": "turn-off", "code": code(device, 1)})
    assert TOTPDevice.objects.filter(user=editor, confirmed=True).exists()


PROBE_2FA = "import json, django; from django.conf import settings; django.setup(); print(json.dumps(settings.TWO_FACTOR_REQUIRED))"


@pytest.mark.parametrize(("value", "expected"), [(None, True), ("false", False), ("true", True)])
def test_production_settings_require_two_factor_unless_turned_off(value, expected):
    import os
    import subprocess
    import sys

    from tests.conftest import PROJECT_DIR

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "ADMIN_2FA_REQUIRED"}}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="example.org",
        DATABASE_URL="postgres://cms@db.internal:5432/partnership",
        WAGTAILADMIN_BASE_URL="https://example.org",
    )
    if value is not None:
        env["ADMIN_2FA_REQUIRED"] = value
    result = subprocess.run([sys.executable, "-c", PROBE_2FA], cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) is expected


def test_development_settings_leave_two_factor_optional():
    assert read_settings("cms.settings.dev").returncode == 0
