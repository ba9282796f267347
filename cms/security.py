"""Security headers for every response, and the login throttle's pieces.

The policies themselves are settings (``CONTENT_SECURITY_POLICY`` for the public site,
``ADMIN_CONTENT_SECURITY_POLICY`` for the Wagtail admin); this module only chooses between them.
"""

import datetime

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.template.response import TemplateResponse
from django.utils import timezone


def is_admin_request(request):
    """A request to the admin, or the request Wagtail makes up to render a preview inside the admin."""
    if getattr(request, "is_dummy", False):  # wagtail.models.PreviewableMixin.make_preview_request
        return True
    prefixes = tuple(settings.ADMIN_CONTENT_SECURITY_POLICY["URL_PREFIXES"])
    return request.path_info.startswith(prefixes)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the Wagtail admin's own policy under its URL prefixes.

    The public policy is the same for every request (no nonce), so a page cached whole stays valid.
    The admin needs inline scripts and styles and frames its own previews: it gets a looser policy
    and ``X-Frame-Options: SAMEORIGIN``. A view decorated with django-csp's ``@csp``/``@csp_replace``
    still wins over both. (``Permissions-Policy`` comes from django-permissions-policy's middleware.)
    """

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None and is_admin_request(request):
            parts.config = settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"]
        return parts

    def process_response(self, request, response):
        if is_admin_request(request) and response.get("X-Frame-Options") == "DENY":
            response["X-Frame-Options"] = "SAMEORIGIN"  # the admin frames its own previews
        return super().process_response(request, response)


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' throttle for logins over HTTP.

    Django's ``authenticate()`` called without a request (a management command, a shell, the test
    client's ``login()``) has no client address to throttle by: axes would raise ValueError there,
    this leaves such calls to the next backend. Every login form of the site passes the request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """The page shown instead of the login form once a name has failed too often from one address."""
    cool_off = get_cool_off(request) or datetime.timedelta(0)
    minutes = max(1, round(cool_off.total_seconds() / 60))
    # Every further failed attempt during the lockout starts the wait again, so it ends cool_off from now.
    retry_at = timezone.localtime(timezone.now() + cool_off)
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": get_failure_limit(request, credentials),
        "minutes": minutes,
        "retry_at": retry_at,
    }
    response = TemplateResponse(request, "login_locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response.render()
