import io
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

PROJECT_DIR = Path(__file__).resolve().parent.parent
FIXTURES_DIR = PROJECT_DIR / "fixtures"
SOURCE_TEXT = (FIXTURES_DIR / "sources" / "relations-with-japan.txt").read_text(encoding="utf-8")


def run_load_fixtures(*args, **options):
    """Run load_fixtures and return what it printed."""
    out = io.StringIO()
    call_command("load_fixtures", *map(str, args), stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


SNAPSHOT_APPS = ("partnership", "cms", "wagtailcore", "wagtailimages", "auth")


def database_snapshot():
    """Every row of every table the loader may touch (pages, revisions, logs, images too), for before/after comparisons."""
    snapshot = {}
    for app in SNAPSHOT_APPS:
        for model in apps.get_app_config(app).get_models(include_auto_created=True):
            snapshot[model._meta.db_table] = list(model._base_manager.order_by("pk").values())
    return snapshot


@pytest.fixture
def loaded(db):
    """The database with the project's fixtures loaded."""
    run_load_fixtures()


@pytest.fixture
def fixture_copy(tmp_path):
    """A writable copy of the project's fixtures folder, for tests that break or change it."""
    import shutil

    target = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, target)
    return target


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: this run's keys only (Redis in CI is shared with others)."""
    from django.core.cache import cache

    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()
    yield
