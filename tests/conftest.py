import contextlib
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction

PROJECT_DIR = Path(__file__).resolve().parent.parent
FIXTURES_DIR = PROJECT_DIR / "fixtures"
SOURCE_TEXT = (FIXTURES_DIR / "sources" / "relations-with-japan.txt").read_text(encoding="utf-8")


def run_load_fixtures(*args, **options):
    """Run load_fixtures and return what it printed.

    English only unless ``no_translations=False`` is given: the French PO files (fixtures/fr/) are the
    tests of translations' (tests/cms/test_translations.py), and follow the English fixtures they test.
    """
    options.setdefault("no_translations", True)
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


# --- The project's fixtures, loaded once per test process ----------------------------------------
#
# Loading the fixtures takes about a second; most tests read them. So they are loaded once into the
# test database inside an open transaction that every test's own transaction nests in (as Django's
# TestCase.setUpTestData does), and rolled back only when a test needs the empty database again.
# Tests are ordered so that those reading the fixtures run first (tests/conftest.py's
# pytest_collection_modifyitems); each pytest-xdist worker then loads them about once.

DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}
SHARED_FIXTURES = pytest.StashKey()


def uses_database(item):
    fixtures = getattr(item, "fixturenames", ())
    return item.get_closest_marker("django_db") is not None or not DATABASE_FIXTURES.isdisjoint(fixtures)


def wants_fixtures(item):
    return "loaded" in getattr(item, "fixturenames", ())


class SharedFixtures:
    """The fixtures held in an outer transaction of the test database; ``load`` and ``discard`` are idempotent."""

    def __init__(self, blocker):
        self.blocker = blocker
        self.transaction = None

    @property
    def loaded(self):
        return self.transaction is not None

    def load(self):
        """Load the fixtures in an outer transaction; False if a test's transaction is already open (too late)."""
        if self.loaded:
            return True
        with self.blocker.unblock():
            if connection.in_atomic_block:
                return False
            self.transaction = contextlib.ExitStack()
            self.transaction.enter_context(transaction.atomic())
            try:
                run_load_fixtures()  # English: the tests of translations add French (``translated``)
            except BaseException:
                self.discard()
                raise
        return True

    def discard(self):
        """Roll the fixtures back: the database is as the migrations left it."""
        if self.loaded:
            with self.blocker.unblock():
                transaction.set_rollback(True)
                self.transaction.close()
            self.transaction = None


@pytest.fixture(scope="session")
def shared_fixtures(request, django_db_setup, django_db_blocker):
    """Only ``loaded`` asks for this, so the first test reading the fixtures gets them loaded here."""
    shared = SharedFixtures(django_db_blocker)
    request.config.stash[SHARED_FIXTURES] = shared
    shared.load()
    yield shared
    shared.discard()
    del request.config.stash[SHARED_FIXTURES]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before any of the test's fixtures: the shared fixtures loaded if it reads them, gone if it uses an empty database."""
    shared = item.config.stash.get(SHARED_FIXTURES, None)
    if shared is None:
        return  # not created yet: the first test that reads the fixtures creates and loads them
    if wants_fixtures(item):
        shared.load()
    elif uses_database(item):
        shared.discard()


def run_order(item):
    """0: reads the fixtures; 1: another database test (an empty database); 2: no database."""
    if wants_fixtures(item):
        return 0
    return 1 if uses_database(item) else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Tests reading the fixtures first, then the other database tests, then those without a database.

    A stable sort after pytest-django's own (database tests first, transactional ones after the
    others, tests without a database last): tests without a database must stay last, because
    Playwright's event loop gives the tests after it a new database connection, outside the
    shared fixtures' transaction.
    """
    items.sort(key=run_order)


@pytest.fixture
def loaded(shared_fixtures, db):
    """The database with the project's fixtures loaded (loaded once, rolled back with each test's transaction)."""
    if not shared_fixtures.load():
        run_load_fixtures()  # asked for late (request.getfixturevalue): loaded in this test's transaction


@pytest.fixture
def translated(loaded):
    """The fixtures and their French translations (fixtures/fr/*.po), added in this test's transaction."""
    run_load_fixtures(no_translations=False)


@pytest.fixture
def fixture_copy(tmp_path):
    """A writable copy of the project's fixtures folder, for tests that break or change it."""
    import shutil

    target = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, target)
    return target


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language: a request in French leaves French active in the
    thread (Django's LocaleMiddleware activates the URL's language and does not undo it)."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def no_facet_index():
    """Each test starts with no facet index held: a rolled-back test database gives its record version
    back, so an index built in an earlier test could match a later test's token (0 before any change)."""
    from partnership.facet_index import FacetIndex

    FacetIndex.forget()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: this run's keys only (Redis in CI is shared with others)."""
    from django.core.cache import cache

    if hasattr(cache, "delete_pattern"):
        # Every key under this run's prefix, whatever its version: Wagtail keeps its site root paths
        # as version 2, which delete_pattern("*") (this cache's version only) would leave behind.
        redis = cache.client.get_client(write=True)
        keys = list(redis.scan_iter(match=f"{cache.key_prefix}:*"))
        if keys:
            redis.delete(*keys)
    else:
        cache.clear()
    yield
