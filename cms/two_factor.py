"""Two-factor sign-in for the admin: a time-based one-time password (TOTP), with recovery codes.

Built on django-otp (its TOTP and static devices). Any account may turn it on in *Account ›
Two-factor sign-in*; with ``TWO_FACTOR_REQUIRED`` (on in production unless ``ADMIN_2FA_REQUIRED=false``)
every account must, and is sent to that page until it has.

- **Sign-in**: ``LoginForm`` (``WAGTAILADMIN_USER_LOGIN_FORM``) adds a code field to Wagtail's
  login form. An account with a confirmed device must give a code from its authenticator app or one
  of its recovery codes (each works once); a wrong code counts as a failed login for django-axes.
- **Enrolment**: ``setup`` shows a QR code drawn on the server (segno, an inline SVG: nothing is
  downloaded) and the key as text, and asks for the first code; then it shows ten recovery codes,
  once. The same page turns two-factor sign-in off (not when it is required) or makes new recovery codes.
- **Enforcement**: ``TwoFactorMiddleware`` (after django-otp's ``OTPMiddleware``): an admin session
  of an account with a device that was not verified with a code is signed out; when two-factor sign-in
  is required, an account without a device can only reach the enrolment page (and sign out).
"""

import io

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm

RECOVERY_CODES = 10
# What an account without a device may reach while two-factor sign-in is required.
OPEN_URL_NAMES = {"wagtailadmin_login", "wagtailadmin_logout", "two_factor_setup", "wagtailadmin_javascript_catalog"}


def required():
    return getattr(settings, "TWO_FACTOR_REQUIRED", False)


def has_device(user):
    return django_otp.user_has_device(user, confirmed=True)


class LoginForm(WagtailLoginForm):
    """Wagtail's login form with a one-time code, required from accounts that have two-factor sign-in."""

    otp_token = forms.CharField(
        label=_("Code from your authenticator app (or a recovery code)"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_("Only if two-factor sign-in is on for your account."),
    )

    def clean(self):
        cleaned = super().clean()  # the password, through django-axes' throttle
        user = self.get_user() if not self.errors else None
        if user is None or not has_device(user):
            return cleaned
        # Recovery codes are stored in lower case; people type them as they read them.
        token = "".join(self.cleaned_data.get("otp_token", "").split()).lower()
        device = django_otp.match_token(user, token) if token else None
        if device is None:
            user_login_failed.send(  # a wrong code counts towards the lockout like a wrong password
                sender=__name__, credentials={"username": self.cleaned_data.get("username")}, request=self.request
            )
            raise forms.ValidationError(
                gettext("Enter the current code from your authenticator app, or one of your recovery codes."),
                code="invalid_otp",
            )
        user.otp_device = device  # django-otp marks the session verified when the login completes
        return cleaned


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.path_info.startswith("/admin/"):
            url_name = request.resolver_match.url_name if request.resolver_match else None
            if url_name is None:
                from django.urls import Resolver404, resolve

                try:
                    url_name = resolve(request.path_info).url_name
                except Resolver404:
                    url_name = None
            if not user.is_verified() and has_device(user):
                # A session that was never verified with a code (the device was added elsewhere): sign in again.
                logout(request)
                return redirect(f"{reverse('wagtailadmin_login')}?next={request.path}")
            if required() and not has_device(user) and url_name not in OPEN_URL_NAMES:
                messages.warning(
                    request, gettext("Set up two-factor sign-in to continue: it is required on this site.")
                )
                return redirect("two_factor_setup")
        return self.get_response(request)


def qr_svg(url):
    """The provisioning URL as an inline SVG QR code, drawn here (no network)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=5, xmldecl=False, svgns=True, title="QR code")
    return mark_safe(buffer.getvalue().decode())  # noqa: S308 - segno's own SVG, from our own URL


def new_recovery_codes(user):
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code from your authenticator app"), max_length=16)


@require_http_methods(["GET", "POST"])
def setup(request):
    """Turn two-factor sign-in on (QR code, first code, recovery codes), off, or make new recovery codes."""
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    context = {"required": required(), "confirmed": confirmed}
    if confirmed is not None:
        if request.method == "POST" and request.POST.get("action") == "recovery-codes":
            context["recovery_codes"] = new_recovery_codes(user)
        elif request.method == "POST" and request.POST.get("action") == "turn-off" and not required():
            form = CodeForm(request.POST)
            if form.is_valid() and django_otp.match_token(user, form.cleaned_data["code"]) is not None:
                TOTPDevice.objects.filter(user=user).delete()
                StaticDevice.objects.filter(user=user).delete()
                messages.success(request, gettext("Two-factor sign-in is off for your account."))
                return redirect("two_factor_setup")
            messages.error(request, gettext("That code is not right: two-factor sign-in is still on."))
        return TemplateResponse(request, "two_factor/setup.html", context)

    device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=False
    )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token("".join(form.cleaned_data["code"].split())):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            django_otp.login(request, device)
            context.update(confirmed=device, recovery_codes=new_recovery_codes(user), just_enrolled=True)
            return TemplateResponse(request, "two_factor/setup.html", context)
        form.add_error(
            "code", gettext("That code is not right. Check the time on your phone and enter the newest code.")
        )
    context.update(form=form, qr=qr_svg(device.config_url), key=device_key(device))
    return TemplateResponse(request, "two_factor/setup.html", context)


def device_key(device):
    """The secret as the base32 text authenticator apps accept when typed in."""
    import base64

    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


urlpatterns = [path("two-factor/", setup, name="two_factor_setup")]
