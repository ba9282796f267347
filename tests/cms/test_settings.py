"""Settings are secure by default and take secrets, hosts and the database from the environment."""

import json
import os
import secrets
import subprocess
import sys

from tests.conftest import PROJECT_DIR

PROBE = "import json, django; from django.conf import settings; django.setup(); print(json.dumps({{'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS, 'engine': settings.DATABASES['default']['ENGINE'], 'name': str(settings.DATABASES['default']['NAME']), 'key_set': bool(settings.SECRET_KEY)}}))"


REQUIRED = {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "WAGTAILADMIN_BASE_URL"}
# What production needs, all of it: each test leaves out or changes one.
PRODUCTION_ENV = {
    "SECRET_KEY": "k" * 50,
    "ALLOWED_HOSTS": "partners.example.org",
    "DATABASE_URL": "postgres://cms@db.internal:5432/partnership",
    "WAGTAILADMIN_BASE_URL": "https://partners.example.org",
}


def run_python(code, module, **env):
    """Run ``code`` in a fresh interpreter with ``module`` as the settings and only ``env`` of REQUIRED set."""
    environment = {k: v for k, v in os.environ.items() if k not in REQUIRED | {"SECURE_HSTS_PRELOAD", "LOG_LEVEL"}}
    environment.update(env, DJANGO_SETTINGS_MODULE=module)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, env=environment, capture_output=True, text=True
    )


def read_settings(module, **env):
    return run_python(PROBE.format(), module, **env)


def production_without(name, **changes):
    env = {**PRODUCTION_ENV, **changes}
    env.pop(name, None)
    return read_settings("cms.settings.production", **env)


def test_production_refuses_to_start_without_a_secret_key():
    result = production_without("SECRET_KEY")
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable for production." in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = production_without("ALLOWED_HOSTS")
    assert result.returncode != 0
    assert "Set the ALLOWED_HOSTS environment variable" in result.stderr


def test_production_refuses_to_start_without_a_database_url():
    """Without it, base.py would quietly use an SQLite file in the project folder."""
    result = production_without("DATABASE_URL")
    assert result.returncode != 0
    assert "ImproperlyConfigured: Set the DATABASE_URL environment variable for production (e.g. postgres://" in (
        result.stderr
    )


def test_production_refuses_to_start_without_the_admin_base_url():
    """Without it, links in the admin's e-mails would point at http://127.0.0.1:8000."""
    result = production_without("WAGTAILADMIN_BASE_URL")
    assert result.returncode != 0
    assert "Set the WAGTAILADMIN_BASE_URL environment variable for production (e.g. https://" in result.stderr
    result = production_without("", WAGTAILADMIN_BASE_URL="partners.example.org")
    assert result.returncode != 0
    assert "WAGTAILADMIN_BASE_URL must be the site's address with its scheme" in result.stderr


def test_production_starts_with_every_required_variable_and_nothing_else():
    assert production_without("").returncode == 0


HSTS_PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps([settings.SECURE_HSTS_PRELOAD, settings.SECURE_HSTS_SECONDS, settings.SILENCED_SYSTEM_CHECKS]))"
)


def test_hsts_preload_is_off_unless_the_operator_turns_it_on():
    default = run_python(HSTS_PROBE, "cms.settings.production", **PRODUCTION_ENV)
    assert json.loads(default.stdout) == [False, 365 * 24 * 3600, ["security.W021"]]
    on = run_python(HSTS_PROBE, "cms.settings.production", **PRODUCTION_ENV, SECURE_HSTS_PRELOAD="true")
    assert json.loads(on.stdout) == [True, 365 * 24 * 3600, []]


RESOLVE_PROBE = (
    "import django; django.setup(); from django.urls import Resolver404, resolve\n"
    "try:\n    print(resolve('/_bench/minimal/').func.__module__)\n"
    "except Resolver404:\n    print('not found')"
)


def test_the_benchmark_baseline_is_served_by_the_bench_settings_only():
    """/_bench/minimal/ exists for `make bench`; production's URLs do not have it (Wagtail's page
    route answers it, with a 404, like any other path without a page)."""
    production = run_python(RESOLVE_PROBE, "cms.settings.production", **PRODUCTION_ENV)
    assert production.stdout.strip() == "wagtail.views", production.stderr
    bench = run_python(RESOLVE_PROBE, "cms.settings.bench", **PRODUCTION_ENV)
    assert bench.stdout.strip() == "bench.urls", bench.stderr


LOG_PROBE = (
    "import django, logging; django.setup(); "
    "logging.getLogger('django.request').warning('probe: a warning from Django'); "
    "logging.getLogger('cms.probe').warning('probe: a warning from the site'); "
    "logging.getLogger('django.request').info('probe: below LOG_LEVEL')"
)


def test_each_log_line_is_printed_once_in_every_environment():
    for module in ("cms.settings.dev", "cms.settings.production"):
        result = run_python(LOG_PROBE, module, **PRODUCTION_ENV)
        lines = [line for line in result.stderr.splitlines() if line.startswith("probe:")]
        assert lines == ["probe: a warning from Django", "probe: a warning from the site"], (module, result.stderr)


def test_production_reads_everything_from_the_environment():
    result = read_settings(
        "cms.settings.production",
        **{**PRODUCTION_ENV, "ALLOWED_HOSTS": "partners.example.org, www.partners.example.org"},
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is False
    assert values["hosts"] == ["partners.example.org", "www.partners.example.org"]
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "partnership"


def test_without_database_url_the_database_is_an_sqlite_file_in_the_project():
    result = read_settings("cms.settings.dev")
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(PROJECT_DIR / "db.sqlite3")
    assert values["debug"] is True


def test_debug_is_off_unless_in_development():
    from cms.settings import base

    assert base.DEBUG is False
    assert not hasattr(base, "SECRET_KEY")


def test_no_secret_is_written_in_the_repository():
    """Settings modules never assign a literal secret key."""
    for module in (PROJECT_DIR / "cms" / "settings").glob("*.py"):
        for line in module.read_text().splitlines():
            if line.strip().startswith("SECRET_KEY ="):
                assert "environ" in line or "secrets." in line or "_required" in line, (module, line)


def test_check_deploy_is_clean_with_the_documented_environment():
    """`manage.py check --deploy` under the production settings, with the variables the README lists."""
    # Not this test process's own variables: the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright.
    leave_out = REQUIRED | {"REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "SECURE_HSTS_PRELOAD"}
    environment = {k: v for k, v in os.environ.items() if k not in leave_out}
    environment.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="partners.example.org",
        DATABASE_URL="postgres://cms@db.internal:5432/partnership",
        WAGTAILADMIN_BASE_URL="https://partners.example.org",
        REDIS_URL="redis://cache.internal:6379/0",
        CSRF_TRUSTED_ORIGINS="https://partners.example.org",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_caches_pages_in_redis_only_when_it_is_given():
    probe = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.CACHES['default']['BACKEND'], settings.PAGE_CACHE_SECONDS]))"
    )
    base = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "PAGE_CACHE_SECONDS"}}
    base.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="cms.settings.production")
    with_redis = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=PROJECT_DIR,
        env={**base, "REDIS_URL": "redis://cache:6379/0"},
        capture_output=True,
        text=True,
    )
    without = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_DIR, env=base, capture_output=True, text=True)
    assert json.loads(with_redis.stdout) == ["django_redis.cache.RedisCache", 3600]
    # Without a shared cache, a page cached by one process could outlive a publication made by another.
    assert json.loads(without.stdout) == ["django.core.cache.backends.locmem.LocMemCache", 0]


CONCURRENT_WRITERS = """
import threading, time, django
django.setup()
from django.db import connection, transaction
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE counter (n integer)")
    cursor.execute("INSERT INTO counter VALUES (0)")
connection.close()
both_have_read = threading.Barrier(2)
errors = []

def write():
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT n FROM counter")
            try:
                both_have_read.wait(timeout=1)  # with IMMEDIATE the other is still waiting for BEGIN
            except threading.BrokenBarrierError:
                pass
            cursor.execute("UPDATE counter SET n = n + 1")
            time.sleep(0.2)
    except Exception as error:
        errors.append(str(error))
    finally:
        connection.close()

threads = [threading.Thread(target=write) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT n FROM counter")
    print(errors, cursor.fetchone()[0])
"""


def test_two_requests_writing_to_the_sqlite_file_at_once_both_succeed(tmp_path):
    """The README's default database under runserver's threads: an editor's autosave and the preview
    beside it both read, then write. Neither may fail with "database is locked" (a 503 in the admin)."""
    result = run_python(CONCURRENT_WRITERS, "cms.settings.dev", DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] 2"
