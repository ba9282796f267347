"""Faults: a load that fails halfway leaves everything as it was; a database that goes away gives a plain 503."""

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import suppress
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, execute_from_command_line
from django.db import DatabaseError, connection
from django.db.utils import InterfaceError, OperationalError, ProgrammingError
from django.test import Client, override_settings
from wagtail.models import Page
from wagtail.search import index as search_index

from cms import page_fixtures
from cms.models import PartnerPage
from partnership import loader as fixture_loader
from partnership.models import CooperationEntry
from tests.conftest import PROJECT_DIR, database_snapshot, run_load_fixtures

LIAISON = "japan-liaison-officer-maritime-command"


# --- 1. A load that fails halfway ------------------------------------------------------------------


def whole_database():
    """Every row of every table (a superset of conftest's database_snapshot: search index, tags, logs too)."""
    snapshot = database_snapshot()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label != "sessions":
            snapshot[model._meta.db_table] = list(model._base_manager.order_by("pk").values())
    return snapshot


def media_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


class Injected(DatabaseError):
    """The error a test injects: as if the database (or the disk) failed at that moment."""


class FaultInjector:
    """Make the loader fail at the ``occurrence``-th time it writes a record of ``model`` at ``point``.

    The points are the loader's per-record writes: ``save`` (a record's row, or a page), ``publish``
    (its revision's publication) and ``index`` (the search indexing at the end of the load).
    """

    def __init__(self, monkeypatch, point, model, occurrence, error=None):
        self.point, self.model, self.occurrence = point, model, occurrence
        self.error = error or Injected(f"injected failure at {point} of {model} #{occurrence}")
        self.seen = 0
        self.fired = False
        loader_save, loader_publish = fixture_loader.FixtureLoader._save, fixture_loader.FixtureLoader._publish
        pages_save, index = page_fixtures.PageFixtures._save, search_index.insert_or_update_object

        def save(instance, relations):
            self.check("save", instance)
            return loader_save(instance, relations)

        def publish(instance, first_time):
            self.check("publish", instance)
            return loader_publish(instance, first_time)

        def save_page(pages, page, *args, **kwargs):
            self.check("save", page)
            return pages_save(pages, page, *args, **kwargs)

        def insert_or_update_object(instance):
            self.check("index", instance)
            return index(instance)

        monkeypatch.setattr(fixture_loader.FixtureLoader, "_save", staticmethod(save))
        monkeypatch.setattr(fixture_loader.FixtureLoader, "_publish", staticmethod(publish))
        monkeypatch.setattr(page_fixtures.PageFixtures, "_save", save_page)
        monkeypatch.setattr(search_index, "insert_or_update_object", insert_or_update_object)

    def check(self, point, instance):
        if point == self.point and type(instance).__name__ == self.model:
            self.seen += 1
            if self.seen == self.occurrence:
                self.fired = True
                raise self.error


# (where to fail, which occurrence, what the message names): spread over every section and stage.
FAULTS = [
    ("save", "SourceDocument", 1, "sources[0]"),
    ("save", "Place", 3, "places[2]"),
    ("save", "Programme", 13, "programmes[12]"),
    ("save", "Partner", 1, "partners[0]"),
    ("save", "CooperationEntry", 12, "entries[11]"),
    ("publish", "CooperationEntry", 24, "entries[23]"),
    ("save", "HomePage", 1, "pages[0]"),
    ("save", "PartnerPage", 1, "(slug “japan”)"),
    ("index", "CooperationEntry", 5, "indexing the loaded records for search"),
    ("index", "PartnerPage", 1, "indexing the loaded records for search"),
]
FAULT_IDS = [f"{point}-{model}-{n}" for point, model, n, _ in FAULTS]


def assert_load_fails_and_changes_nothing(monkeypatch, fault, *args, **options):
    point, model, occurrence, names = fault
    before, files_before = whole_database(), media_files()
    injector = FaultInjector(monkeypatch, point, model, occurrence)
    with pytest.raises(CommandError) as error:
        run_load_fixtures(*args, **options)
    assert injector.fired, "the load never reached the injected failure"
    message = str(error.value)
    assert "nothing was loaded" in message and "the database is as it was" in message, message
    assert names in message, message
    assert f"Injected: injected failure at {point} of {model} #{occurrence}" in message, message
    assert whole_database() == before
    assert media_files() == files_before  # no placeholder photo left behind
    monkeypatch.undo()
    return message


@pytest.mark.django_db
@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_a_load_failing_halfway_into_an_empty_database_leaves_it_empty(monkeypatch, fault):
    assert_load_fails_and_changes_nothing(monkeypatch, fault)
    assert not CooperationEntry.objects.exists() and not PartnerPage.objects.exists()


@pytest.mark.django_db
def test_after_a_failed_load_the_next_load_works(monkeypatch):
    assert_load_fails_and_changes_nothing(monkeypatch, ("publish", "CooperationEntry", 3, "entries[2]"))
    assert "entries: 24 created" in run_load_fixtures()
    image = PartnerPage.objects.get().image
    assert image is not None and image.file.storage.exists(image.file.name)  # a committed load keeps its photo


def revise_every_record(folder):
    """Change every record of every fixture file, so that a load with --reset writes them all again."""
    for path in folder.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for records in data.values():
            for record in records:
                key = "title" if "title" in record else "name"
                record[key] = f"{record[key]} (revised)"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def loaded_and_edited(loaded, fixture_copy):
    """The fixtures loaded, then changed by editors: a published correction, a draft, a page draft."""
    corrected = CooperationEntry.objects.get(slug=LIAISON)
    corrected.title = "Corrected by an editor"
    corrected.save_revision().publish()
    drafted = CooperationEntry.objects.get(slug="japan-initial-contacts")
    drafted.title = "A draft by an editor"
    drafted.save_revision()
    page = PartnerPage.objects.get().get_latest_revision_as_object()
    page.title = "Relations with Japan (a draft)"
    page.save_revision()
    revise_every_record(fixture_copy)
    return fixture_copy


@pytest.mark.django_db
@pytest.mark.parametrize("fault", FAULTS[1::2], ids=FAULT_IDS[1::2])
def test_a_load_failing_halfway_over_loaded_and_edited_content_changes_nothing(monkeypatch, loaded_and_edited, fault):
    assert_load_fails_and_changes_nothing(monkeypatch, fault, loaded_and_edited, reset=True)
    assert CooperationEntry.objects.get(slug=LIAISON).title == "Corrected by an editor"
    assert PartnerPage.objects.get().get_latest_revision_as_object().title == "Relations with Japan (a draft)"
    # Without the fault, the same load does overwrite everything: the faults struck a load that writes.
    output = run_load_fixtures(loaded_and_edited, reset=True)
    assert "0 unchanged" in output and CooperationEntry.objects.get(slug=LIAISON).title.endswith("(revised)")


@pytest.mark.django_db
def test_a_failure_while_setting_up_the_roles_is_named_and_rolled_back(monkeypatch):
    before, files_before = whole_database(), media_files()

    def broken():
        raise Injected("the roles could not be written")

    monkeypatch.setattr(fixture_loader, "ensure_editorial_roles", broken)
    with pytest.raises(CommandError, match="while setting up the editorial roles and workflow"):
        run_load_fixtures()
    assert whole_database() == before and media_files() == files_before


@pytest.mark.django_db
@pytest.mark.parametrize("error", [KeyboardInterrupt(), Injected("disk full")], ids=["interrupt", "error"])
def test_the_command_line_exit_code_and_message_name_the_failure(monkeypatch, capsys, error):
    # run_from_argv closes every connection when it ends, which would end the test's transaction.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    before, files_before = whole_database(), media_files()
    FaultInjector(monkeypatch, "publish", "CooperationEntry", 7, error=error)
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "load_fixtures"])
    stderr = capsys.readouterr().err
    assert whole_database() == before and media_files() == files_before
    assert "japan.yaml: entries[6]" in stderr, stderr
    assert "nothing was loaded (the database is as it was)" in stderr
    assert "Traceback" not in stderr
    if isinstance(error, KeyboardInterrupt):
        assert exit_info.value.code == 130
        assert "Interrupted while loading" in stderr
    else:
        assert exit_info.value.code == 1
        assert "The load failed while loading" in stderr and "Injected: disk full" in stderr


@pytest.mark.django_db
def test_a_dry_run_leaves_no_placeholder_photo_behind():
    files_before = media_files()
    assert "would create page “japan”" in run_load_fixtures(dry_run=True)
    assert media_files() == files_before
    assert not Page.objects.filter(slug="japan").exists()


@pytest.mark.django_db
def test_a_fixture_problem_after_the_photo_was_drawn_leaves_no_photo_behind(fixture_copy):
    # The bad file sorts last: the partner page (and its photo) are made before the problem is found.
    (fixture_copy / "zz-bad.yaml").write_text(yaml.safe_dump({"entries": [{"slug": "x"}]}), encoding="utf-8")
    files_before = media_files()
    with pytest.raises(CommandError, match="nothing was loaded"):
        run_load_fixtures(fixture_copy)
    assert media_files() == files_before


# --- 2. The database out of reach: a plain 503, and recovery on its own ------------------------------


def refuse_connections(error=OperationalError):
    def cursor(*args, **kwargs):
        raise error('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    return cursor


def assert_plain_503(response):
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "<h1>Temporarily unavailable</h1>" in html
    for leak in ("Traceback", "OperationalError", "InterfaceError", "5432", "<style", "<script", " style="):
        assert leak not in html, leak


class FailingMiddleware:
    """A middleware below the 503 one whose database query fails (as sessions or authentication would)."""

    error = OperationalError

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise self.error("server closed the connection unexpectedly")


class FailingWithABug(FailingMiddleware):
    error = ProgrammingError


def with_middleware_after_sessions(name):
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1, name)
    return override_settings(MIDDLEWARE=middleware)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/partners/japan/", "/cooperation/?kind=post", "/api/v2/entries/", "/admin/"])
@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_view_that_cannot_reach_the_database_gives_a_plain_503(loaded, admin_client, monkeypatch, caplog, url, debug):
    # The test client would re-raise an error a middleware met (the admin's two-factor check reads the
    # session first); a browser sees only the response.
    admin_client.raise_request_exception = False
    with override_settings(DEBUG=debug), monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", refuse_connections())
        response = admin_client.get(url) if url == "/admin/" else Client(raise_request_exception=False).get(url)
    assert_plain_503(response)
    assert f"Database unavailable while serving GET {url.split('?')[0]}" in caplog.text
    assert "Connection refused" in caplog.text
    # The database is back: the same site answers again, nothing restarted.
    assert (admin_client if url == "/admin/" else Client()).get(url).status_code == 200


@pytest.mark.django_db
def test_an_interface_error_counts_too(loaded, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", refuse_connections(InterfaceError))
        assert_plain_503(Client().get("/partners/japan/"))


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_middleware_that_cannot_reach_the_database_gives_the_503_too(loaded, caplog, debug):
    with override_settings(DEBUG=debug), with_middleware_after_sessions("tests.cms.test_resilience.FailingMiddleware"):
        # The test client would re-raise the error it was told about; a browser sees only the response.
        response = Client(raise_request_exception=False).get("/")
    assert_plain_503(response)
    assert "Database unavailable while serving GET /" in caplog.text
    assert Client().get("/").status_code == 200


@pytest.mark.django_db
def test_a_programming_error_is_still_a_500(loaded):
    with with_middleware_after_sessions("tests.cms.test_resilience.FailingWithABug"):
        response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_the_503_page_makes_no_query():
    from cms.resilience import database_unavailable_response

    # No database access is allowed in this test: a single query would fail it.
    response = database_unavailable_response()
    assert_plain_503(response)
    assert 'lang="en"' in response.content.decode()


# --- 2b. For real: gunicorn on PostgreSQL through a proxy that the test cuts and restores ------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SwitchableProxy:
    """A TCP forwarder on 127.0.0.1:<port> to the database server, that can be cut (refusing and dropping
    every connection, as a database that went down) and restored on the same port."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.port = free_port()
        self.lock = threading.Lock()
        self.sockets = set()
        self.listener = None

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        listener.settimeout(0.1)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener):
        while self.listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, server}
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                self._close(end)

    def _close(self, end):
        with self.lock:
            self.sockets.discard(end)
        with suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()

    def cut(self):
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.close()
        with self.lock:
            open_sockets = list(self.sockets)
        for end in open_sockets:
            self._close(end)

    restore = start


def postgres_upstream():
    """Where PostgreSQL is (DATABASE_URL's server if it names one, else 127.0.0.1:5432), and whether it answers."""
    import dj_database_url
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    config = dj_database_url.parse(url) if url.startswith(("postgres://", "postgresql://")) else {}
    params = {
        "host": config.get("HOST") or "127.0.0.1",
        "port": int(config.get("PORT") or 5432),
        "user": config.get("USER") or "postgres",
        "password": config.get("PASSWORD") or None,
    }
    try:
        psycopg.connect(dbname="postgres", connect_timeout=3, **params).close()
    except psycopg.Error as error:
        return params, f"PostgreSQL is not reachable at {params['host']}:{params['port']}: {error}"
    return params, None


@pytest.fixture
def postgres_database():
    """A PostgreSQL database of its own (partnership_h5_…), dropped afterwards."""
    import psycopg
    from psycopg import sql

    params, problem = postgres_upstream()
    if problem:
        if os.environ.get("REQUIRE_POSTGRES_TESTS") == "1":
            pytest.fail(f"REQUIRE_POSTGRES_TESTS=1 but {problem}")
        pytest.skip(f"needs PostgreSQL (set REQUIRE_POSTGRES_TESTS=1 to make this a failure): {problem}")
    name = f"partnership_h5_{secrets.token_hex(4)}"
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield params, name
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_a_real_server_answers_503_while_postgresql_is_down_and_recovers_without_a_restart(postgres_database, tmp_path):
    params, name = postgres_database
    proxy = SwitchableProxy((params["host"], params["port"]))
    proxy.start()
    password = f":{params['password']}" if params["password"] else ""
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.test",
        DATABASE_URL=f"postgres://{params['user']}{password}@127.0.0.1:{proxy.port}/{name}",
        # A persistent connection: the harder case, a connection that dies between two requests.
        DATABASE_CONN_MAX_AGE="60",
        MEDIA_ROOT=str(tmp_path / "media"),
        WEB_CONCURRENCY="1",
        GUNICORN_ACCESS_LOG=str(tmp_path / "access.log"),
        LOG_LEVEL="WARNING",
    )
    manage = [sys.executable, str(PROJECT_DIR / "manage.py")]
    for command in (["migrate", "--noinput", "-v0"], ["load_fixtures", "-v0", "--no-progress"]):
        done = subprocess.run(
            [*manage, *command], env=env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"{command[0]} failed: {done.stderr[-3000:]}"

    port = free_port()
    log_path = tmp_path / "server.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(gunicorn), "cms.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            env=env,
            cwd=PROJECT_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(150):
            try:
                status, _, _ = fetch(url)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"gunicorn did not start: {log_path.read_text()}")
        assert status == 200
        assert fetch(f"{url}partners/japan/")[0] == 200  # the worker now holds an open connection

        proxy.cut()  # the database goes away: the open connection dies, new ones are refused
        for _ in range(2):  # the dead connection, then a refused one
            status, headers, html = fetch(url)
            assert status == 503, html[:2000]
            assert headers["Retry-After"].isdigit()
            assert "<h1>Temporarily unavailable</h1>" in html
            assert "Traceback" not in html and "<style" not in html and "<script" not in html

        proxy.restore()  # the database is back: the same server answers at once
        status, _, html = fetch(url)
        assert status == 200, html[:2000]
        assert fetch(f"{url}partners/japan/")[0] == 200
        assert server.poll() is None, "the server must not have been restarted"
    finally:
        server.terminate()
        server.wait(timeout=20)
        proxy.cut()
    log_text = log_path.read_text()
    assert "Database unavailable while serving GET /" in log_text, log_text
