"""Settings are secure by default and take secrets, hosts and the database from the environment."""

import json
import os
import secrets
import subprocess
import sys

from .conftest import PROJECT_DIR

PROBE = "import json, django; from django.conf import settings; django.setup(); print(json.dumps({{'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS, 'engine': settings.DATABASES['default']['ENGINE'], 'name': str(settings.DATABASES['default']['NAME']), 'key_set': bool(settings.SECRET_KEY)}}))"


def read_settings(module, **env):
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS"}}
    environment.update(env, DJANGO_SETTINGS_MODULE=module)
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format()], cwd=PROJECT_DIR, env=environment, capture_output=True, text=True
    )
    return result


def test_production_refuses_to_start_without_a_secret_key():
    result = read_settings("cms.settings.production", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable for production." in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = read_settings("cms.settings.production", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "Set the ALLOWED_HOSTS environment variable" in result.stderr


def test_production_reads_everything_from_the_environment():
    result = read_settings(
        "cms.settings.production",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="partners.example.org, www.partners.example.org",
        DATABASE_URL="postgres://cms@db.internal:5432/partnership",
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
    leave_out = {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in leave_out}
    environment.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="partners.example.org",
        DATABASE_URL="postgres://cms@db.internal:5432/partnership",
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
    base.update(DJANGO_SETTINGS_MODULE="cms.settings.production", SECRET_KEY="k" * 50, ALLOWED_HOSTS="example.org")
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
