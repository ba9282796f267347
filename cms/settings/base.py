"""Settings shared by every environment.

Secure by default: DEBUG is off and nothing secret lives here. The ``dev``,
``test`` and ``production`` modules each start from this one.
"""

import os
from pathlib import Path

import dj_database_url

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent

DEBUG = False

# Hosts and secrets come from each environment's own module.
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "partnership",
    "wagtail.contrib.redirects",
    "wagtail.contrib.frontend_cache",
    # After wagtail.contrib.redirects: cms's receivers check the redirects Wagtail creates (cms/redirects.py).
    "cms",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.routable_page",
    "wagtail.api.v2",
    "rest_framework",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    # Translation through the admin and PO files; its locales app replaces wagtail.locales.
    "wagtail_localize",
    "wagtail_localize.locales",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "dbbackup",  # backup_site and restore_site drive its commands (cms/backup.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",  # PERMISSIONS_POLICY below
    # django-csp's middleware, with the admin's own policy (cms/security.py).
    "cms.security.ContentSecurityPolicyMiddleware",
    # The database out of reach, in a view or in a middleware below: a plain 503 (cms/resilience.py).
    "cms.resilience.DatabaseUnavailableMiddleware",
    # Over-long addresses (414) and numbers too large for the database (400) (cms/bad_requests.py).
    "cms.bad_requests.BadRequestMiddleware",
    # Headers on every answer, cached or not, so before the page cache.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    # s-maxage on public pages when a front cache (Varnish, a CDN) stores them (cms/frontend_cache.py).
    "cms.frontend_cache.SharedCacheControlMiddleware",
    # Anonymous pages from the shared cache, before anything that needs the database.
    "cms.cache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Two-factor sign-in (cms/two_factor.py): django-otp marks verified sessions; ours enforces it.
    "django_otp.middleware.OTPMiddleware",
    "cms.two_factor.TwoFactorMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Copies never touch their source, locks hold, validation errors are messages (cms/admin_guards.py).
    "cms.admin_guards.AdminGuardMiddleware",
    # Turns a locked-out login into the lockout page; django-axes wants it last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cms.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "cms.wsgi.application"

# The database comes from DATABASE_URL (PostgreSQL in production); without it,
# an SQLite file in the project folder, so a fresh clone needs no server.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two requests writing at once (an autosave beside the preview's session write under runserver):
    # SQLite's default deferred transactions fail at once with "database is locked" when both read
    # first; IMMEDIATE ones take the write lock at BEGIN, so the second waits its turn (up to 20 s).
    DATABASES["default"].setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=20)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache: Redis from REDIS_URL (shared by every app server and command), else memory local to
# one process. Whole public pages are cached only in a shared cache (see cms/cache.py): a
# per-process cache would not hear of a publication made by another process.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "partnership"),
            "OPTIONS": {
                # A cache that is down slows pages, it must not break them.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "3600" if REDIS_URL else "0"))
# The record's facet index (partnership.facet_index) is built by one process after each change and read by
# the others from this cache, when it is shared (Redis); a per-process cache would only hold a second copy.
FACET_INDEX_CACHE = "default" if REDIS_URL else None

# A front cache (Varnish in front of gunicorn, deploy/varnish/default.vcl; or a CDN speaking PURGE) at
# FRONTEND_CACHE_URL, e.g. http://127.0.0.1:6081: public pages then carry s-maxage=FRONTEND_CACHE_SECONDS
# and every publication purges the URLs that show it (cms/frontend_cache.py). Unset (`make run`), none.
FRONTEND_CACHE_URL = os.environ.get("FRONTEND_CACHE_URL", "").strip()
FRONTEND_CACHE_SECONDS = int(os.environ.get("FRONTEND_CACHE_SECONDS", str(60 * 60 * 24)))
if FRONTEND_CACHE_URL:
    WAGTAILFRONTENDCACHE = {
        "varnish": {"BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend", "LOCATION": FRONTEND_CACHE_URL}
    }
# French URLs have their own slugs (/fr/partenaires/japon/): cms/frontend_cache.py names each language's
# URLs itself, so Wagtail must not rewrite one language's paths into another's.
WAGTAILFRONTENDCACHE_LANGUAGES = []

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: English is the default language and carries no URL
# prefix; French is configured for the translations to come (under /fr/).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_URL = "/static/"
MEDIA_ROOT = BASE_DIR / "var" / "media"
MEDIA_URL = "/media/"
# Whether Django serves uploaded files itself (development and tests); production leaves them to the web server.
SERVE_MEDIA = False

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Complex page models can exceed Django's default of 1,000 fields per form.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

WAGTAIL_SITE_NAME = "Partnership CMS"
# No Gravatar: editors' e-mail hashes are not sent to a third party, and the admin works offline.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
# Wagtail's database backend, searching the words of a query (quotes and operators are not syntax).
# On PostgreSQL, French pages and records are indexed with French stemming (LANGUAGE_CONFIGS) and
# searched through the "fr" alias (SEARCH_CONFIG "french"; it writes nothing: the default one
# indexes every language), used when French is the active language (cms.views.search). SQLite's
# FTS5 has no stemming: there both aliases search the same way.
SEARCH_LANGUAGE_CONFIGS = {"fr": "french"}
WAGTAILSEARCH_BACKENDS = {
    "default": {"BACKEND": "cms.search_backend", "LANGUAGE_CONFIGS": SEARCH_LANGUAGE_CONFIGS},
    "fr": {"BACKEND": "cms.search_backend", "SEARCH_CONFIG": "french", "AUTO_UPDATE": False, "SEARCH_ONLY": True},
}
WAGTAILAPI_LIMIT_MAX = 100
if os.environ.get("WAGTAILAPI_BASE_URL"):
    WAGTAILAPI_BASE_URL = os.environ["WAGTAILAPI_BASE_URL"]
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
# Documents go through Wagtail's view (its privacy checks, a `default-src 'none'` policy, nosniff);
# only PDFs open in the browser, everything else downloads as an attachment.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_BLOCK_EMBEDDED_CONTENT = True
WAGTAILDOCS_INLINE_CONTENT_TYPES = ["application/pdf"]
# Images: raster formats only (no SVG, which can carry scripts), checked against their content.
WAGTAILIMAGES_EXTENSIONS = ["avif", "gif", "jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000  # e.g. 8000 × 5000, counting every frame of an animation
# Every admin image form decodes the whole upload first: a bomb or a damaged file is a form error (cms/images.py).
WAGTAILIMAGES_IMAGE_FORM_BASE = "cms.images.SafeImageForm"

# --- Security: headers on every response, login throttling, request size ---------------------------
# Every environment sends these; HSTS, secure cookies and the HTTPS redirect are in production.py.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # the admin's own responses get SAMEORIGIN: it frames its previews
# Permissions-Policy (django-permissions-policy): features no page of the site uses, turned off.
PERMISSIONS_POLICY = {"camera": [], "geolocation": [], "microphone": [], "payment": [], "usb": []}
# The public site: nothing inline, nothing from elsewhere, and no nonce, so that whole pages can be
# cached. Served by cms.security.ContentSecurityPolicyMiddleware (django-csp).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# The Wagtail admin (and the previews it shows in a frame) needs inline scripts and styles, Gravatar
# avatars, blob: image previews of uploads and Wagtail's release check.
ADMIN_CONTENT_SECURITY_POLICY = {
    "URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", "https://www.gravatar.com"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", "https://releases.wagtail.org"],
        "frame-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    },
}
# Two-factor sign-in for the admin (cms/two_factor.py): optional here, required in production.
WAGTAILADMIN_USER_LOGIN_FORM = "cms.two_factor.LoginForm"
TWO_FACTOR_REQUIRED = False
OTP_TOTP_ISSUER = "Partnership CMS"
# Failed logins (django-axes): 5 wrong passwords for one username from one address lock that pair
# out for 15 minutes (each further try restarts the wait); the page says so, with HTTP 429.
AUTHENTICATION_BACKENDS = [
    "cms.security.LoginThrottleBackend",  # axes' AxesStandaloneBackend: refuses a locked-out pair
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "cms.security.lockout_response"
AXES_ENABLE_ADMIN = False  # no django.contrib.admin here
# Request bodies held in memory (uploaded files are limited by WAGTAIL*_MAX_UPLOAD_SIZE above; the
# proxy in front should cap whole requests a little above that).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MiB of form fields, Django's default, stated
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # larger uploads are streamed to a temporary file

# Backups (django-dbbackup, driven by backup_site/restore_site; cms/backup.py): its own commands
# write to this storage, outside the repository (BACKUP_DIR, by default var/backups). Archives are
# signed with BACKUP_SIGNING_KEY, or SECRET_KEY (and SECRET_KEY_FALLBACKS) when it is unset: the
# restoring site needs the same key.
STORAGES["dbbackup"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": os.environ.get("BACKUP_DIR") or str(BASE_DIR / "var" / "backups")},
}
BACKUP_SIGNING_KEY = os.environ.get("BACKUP_SIGNING_KEY", "")
# SQLite: restore by replacing the database file in one step, not writing over it in place.
DBBACKUP_CONNECTOR_MAPPING = {"django.db.backends.sqlite3": "cms.backup.SqliteReplaceConnector"}
# PostgreSQL: objects restored belong to the restoring role, whoever owned them where the dump was made.
DBBACKUP_CONNECTORS = {"default": {"PG_OPTIONS": "--no-owner --no-privileges"}}

# Where load_fixtures looks when it is given no path.
PARTNERSHIP_FIXTURES_DIR = BASE_DIR / "fixtures"

LOG_LEVEL = os.environ.get("LOG_LEVEL", "WARNING").upper()
# One handler, on the root logger: every log line is printed once. Django's own "django" logger
# would also print to the console with DEBUG on, and then pass the line on to the root: it keeps
# no handler of its own here. (runserver's request lines, "django.server", keep Django's handler,
# which does not pass them on.)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django": {"handlers": [], "level": LOG_LEVEL, "propagate": True}},
}
