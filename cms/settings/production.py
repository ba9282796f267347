"""Production: every secret and host comes from the environment.

Required (the site refuses to start without them): SECRET_KEY, ALLOWED_HOSTS (comma-separated),
DATABASE_URL (e.g. postgres://user@host:5432/name) and WAGTAILADMIN_BASE_URL (the admin's public
address, e.g. https://partners.example.org, used in notification e-mails and the admin's links).

Optional: SECURE_HSTS_PRELOAD=true once the operator has decided to submit the domain to the browsers'
preload list (https://hstspreload.org; hard to undo), off otherwise.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403


def _required(name, example=""):
    value = os.environ.get(name, "").strip()
    if not value:
        hint = f" (e.g. {example})" if example else ""
        raise ImproperlyConfigured(f"Set the {name} environment variable for production{hint}.")
    return value


SECRET_KEY = _required("SECRET_KEY")
ALLOWED_HOSTS = [host.strip() for host in _required("ALLOWED_HOSTS").split(",") if host.strip()]
# base.py falls back to an SQLite file and a local admin address; production never guesses either.
_required("DATABASE_URL", "postgres://user@db.internal:5432/partnership")  # read by base.py (dj_database_url)
WAGTAILADMIN_BASE_URL = _required("WAGTAILADMIN_BASE_URL", "https://partners.example.org").rstrip("/")
if not WAGTAILADMIN_BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"WAGTAILADMIN_BASE_URL must be the site's address with its scheme, e.g. https://partners.example.org "
        f"(it is {WAGTAILADMIN_BASE_URL!r})."
    )
CSRF_TRUSTED_ORIGINS = [
    origin.strip() for origin in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if origin.strip()
]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "true").lower() == "true"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# "preload" in the header is a request to be put in the browsers' built-in HTTPS-only lists, which takes
# months to undo: only when the operator asks for it.
SECURE_HSTS_PRELOAD = os.environ.get("SECURE_HSTS_PRELOAD", "false").strip().lower() == "true"
if not SECURE_HSTS_PRELOAD:
    # check --deploy warns when preload is off (security.W021); off is the deliberate default here.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
# (Also set for every environment in base.py, with COOP and the Content-Security-Policy.)

# Every admin account must use two-factor sign-in (cms/two_factor.py), unless the operator says otherwise.
TWO_FACTOR_REQUIRED = os.environ.get("ADMIN_2FA_REQUIRED", "true").strip().lower() not in ("false", "0", "no", "off")

# Behind reverse proxies, set TRUSTED_PROXY_COUNT to how many there are, so that the login
# throttle counts failures per client address from X-Forwarded-For, not per proxy. django-axes
# reads the address with django-ipware: each proxy appends the address it received from, so the
# client is TRUSTED_PROXY_COUNT entries from the right; whatever the client wrote further left is
# ignored. ipware counts only the proxies named in the header (the last one is REMOTE_ADDR), hence
# the - 1; not strict, so that a longer header (the client's own claims) still yields that entry.
# Without proxies (0, the default) only REMOTE_ADDR counts.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    AXES_IPWARE_PROXY_ORDER = "left-most"
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
    IPWARE_STRICT = False
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Static files from the app server itself (right after the security headers are set),
# compressed, with hashed names cached for a year.
# `manage.py collectstatic --noinput` fills STATIC_ROOT at each deployment.
MIDDLEWARE = [*MIDDLEWARE]  # noqa: F405
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware"
)
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Persistent database connections, checked before reuse so the site recovers by itself
# after the database has been away.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
