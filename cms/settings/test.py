"""The test suite: SQLite in memory unless DATABASE_URL names another database."""

import atexit
import os
import secrets
import shutil
import tempfile
from pathlib import Path

from .base import *  # noqa: F403

SECRET_KEY = secrets.token_urlsafe(50)
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

if not os.environ.get("DATABASE_URL"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

# Uploaded and generated images go to a throw-away folder, never the project's.
if os.environ.get("MEDIA_ROOT"):
    MEDIA_ROOT = Path(os.environ["MEDIA_ROOT"])  # a test server shares one with the commands that fill it
else:
    MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="partnership-test-media-"))
    atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
SERVE_MEDIA = True

# The page cache is switched on by the tests that test it (tests/cms/test_cache.py), so that every
# other test reads what it has just written. With REDIS_URL set (CI), this run's keys get their
# own prefix, never mixing with a server or another run on the same Redis.
PAGE_CACHE_SECONDS = 0
if REDIS_URL:  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = f"partnership-test-{secrets.token_hex(4)}"  # noqa: F405
