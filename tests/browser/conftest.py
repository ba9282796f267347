"""Browser tests: a real Chromium (Debian's package) driven by Playwright, against a real server.

The browser comes from pytest-playwright's fixtures (``browser``, ``new_context``, ``page``);
this file only points them at Debian's Chromium and sets the window. They need /usr/bin/chromium
(or CHROMIUM_PATH), the pytest-playwright package and node_modules/axe-core (npm ci). Without
them the tests are skipped, and the reason is printed in the test summary; with
REQUIRE_BROWSER_TESTS set (CI, .ci/run) a missing one is a failure.
"""

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from ..conftest import PROJECT_DIR

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
AXE = PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"
# The Nu HTML Checker (W3C's validator), run locally from npm's vnu-jar with the machine's Java.
VNU = PROJECT_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def missing_requirement():
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
    if importlib.util.find_spec("pytest_playwright") is None:
        return "the pytest-playwright package is not installed (pip install -r requirements-dev.txt)"
    if not AXE.exists():
        return f"axe-core not found at {AXE.relative_to(PROJECT_DIR)} (run npm ci)"
    if not VNU.exists():
        return f"the Nu HTML Checker not found at {VNU.relative_to(PROJECT_DIR)} (run npm ci)"
    if shutil.which("java") is None:
        return "java not found (the Nu HTML Checker needs it: apt-get install default-jre-headless)"
    return None


def require_browser():
    """Skip the test if a requirement is missing, or fail it when REQUIRE_BROWSER_TESTS is set."""
    reason = missing_requirement()
    if reason and os.environ.get("REQUIRE_BROWSER_TESTS"):
        pytest.fail(f"Browser tests required (REQUIRE_BROWSER_TESTS is set) but {reason}")
    if reason:
        pytest.skip(f"Browser tests skipped: {reason}")


if importlib.util.find_spec("pytest_playwright") is None:
    # Without the plugin its fixtures do not exist: these stand-ins give the reason instead of an error.
    @pytest.fixture(scope="session")
    def browser():
        require_browser()

    @pytest.fixture
    def new_context(browser):
        require_browser()

    @pytest.fixture
    def page(browser):
        require_browser()

else:

    @pytest.fixture(scope="session")
    def browser_type_launch_args(browser_type_launch_args):
        """pytest-playwright's launch options, with Debian's Chromium instead of a downloaded browser."""
        require_browser()
        # Playwright's sync API runs an event loop in this thread; Django's ORM is used around it, never in it.
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}

    @pytest.fixture(scope="session")
    def browser_context_args(browser_context_args):
        return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def loaded_database(tmp_path_factory, name, *load_arguments):
    """A folder with an SQLite file migrated and loaded by ``load_fixtures *load_arguments`` (and its media)."""
    folder = tmp_path_factory.mktemp(name)
    env = site_environment(folder)
    manage = [sys.executable, str(PROJECT_DIR / "manage.py")]
    for command in (["migrate", "--noinput", "-v0"], ["load_fixtures", "-v0", *load_arguments]):
        subprocess.run([*manage, *command], env=env, cwd=PROJECT_DIR, check=True, capture_output=True)
    return folder


@pytest.fixture(scope="session")
def site_database(tmp_path_factory):
    """An SQLite file migrated and loaded with the fixtures (and their media) once per test process:
    each server below starts from a copy of it instead of migrating and loading anew."""
    # English only: the French reader's and the translation workflow's tests use the database below.
    return loaded_database(tmp_path_factory, "browser-site-database", "--no-translations")


@pytest.fixture(scope="session")
def translated_site_database(tmp_path_factory):
    """An SQLite file migrated and loaded with the fixtures and their French translations (fixtures/fr/*.po),
    as `make run` loads them."""
    return loaded_database(tmp_path_factory, "browser-translated-database")


@pytest.fixture(scope="session")
def bilingual_site(browser, tmp_path_factory, translated_site_database):
    """A real server with both languages, for tests that only read: shared by the whole session."""
    yield from running_site(tmp_path_factory, translated_site_database)


@pytest.fixture
def translated_site(browser, tmp_path_factory, translated_site_database):
    """A real server of its own with both languages, for a test that changes content."""
    yield from running_site(tmp_path_factory, translated_site_database)


@pytest.fixture(scope="session")
def partnerless_site_database(tmp_path_factory):
    """An SQLite file with the site's pages and the organisation's reference data, but no partner page or entry:
    where a partner's document is imported."""
    fixtures = [str(PROJECT_DIR / "fixtures" / name) for name in ("site.yaml", "organisation.yaml")]
    return loaded_database(tmp_path_factory, "browser-partnerless-database", *fixtures)


@pytest.fixture
def partnerless_site(browser, tmp_path_factory, partnerless_site_database):
    """A real server of its own with no partner page yet."""
    yield from running_site(tmp_path_factory, partnerless_site_database)


@pytest.fixture(scope="session")
def demo_site_database(tmp_path_factory):
    """The fixtures (English) and a few generated demo partners with their pages and entries, beside Japan:
    where partners are compared and the record has enough entries to draw."""
    folder = loaded_database(tmp_path_factory, "browser-demo-database", "--no-translations")
    command = ["generate_demo_data", "--partners", "3", "--entries", "300", "--seed", "17", "-v0"]
    subprocess.run(
        [sys.executable, str(PROJECT_DIR / "manage.py"), *command],
        env=site_environment(folder),
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
    )
    return folder


@pytest.fixture(scope="session")
def demo_site(browser, tmp_path_factory, demo_site_database):
    """A real server with Japan and three demo partners, for tests that only read: shared by the session."""
    yield from running_site(tmp_path_factory, demo_site_database)


@pytest.fixture(scope="session")
def site(browser, tmp_path_factory, site_database):
    """A real server for tests that only read: shared by the whole session."""
    yield from running_site(tmp_path_factory, site_database)


@pytest.fixture
def fresh_site(browser, tmp_path_factory, site_database):
    """A real server of its own, for a test that changes content."""
    yield from running_site(tmp_path_factory, site_database)


def site_environment(folder):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.test",
        "DATABASE_URL": f"sqlite:///{folder / 'site.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
    }


def running_site(tmp_path_factory, site_database):
    """A real server on 127.0.0.1, on its own copy of ``site_database`` (SQLite, the fixtures loaded).

    The server runs in its own process, as in production, and the test database is left alone.
    """
    folder = tmp_path_factory.mktemp("browser-site")
    shutil.copy2(site_database / "site.sqlite3", folder / "site.sqlite3")
    if (site_database / "media").exists():
        shutil.copytree(site_database / "media", folder / "media")
    env = site_environment(folder)
    manage = [sys.executable, str(PROJECT_DIR / "manage.py")]
    port = free_port()
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"],
        env=env,
        cwd=PROJECT_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # Generous: on a busy machine (CI with -n auto, several suites at once) Django takes a while to start.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and server.poll() is None:
            try:
                urllib.request.urlopen(f"{url}/", timeout=5)
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"the test server did not start: {(folder / 'server.log').read_text()}")
        yield SimpleNamespace(url=url, env=env, manage=manage)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def axe_violations(page):
    # Evaluated through the DevTools protocol: the site's Content-Security-Policy (no inline
    # scripts) stays on for the page under test, and axe-core is not an inline <script> it must allow.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [
        {"id": v["id"], "impact": v["impact"], "targets": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]


def html_checker_errors(html):
    """The Nu HTML Checker's errors (not warnings) on one HTML document, as its messages: [] when valid."""
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", "-"],
        input=html.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    messages = json.loads(result.stderr or b'{"messages": []}')["messages"]
    return [
        f"{m.get('lastLine', '?')}: {m['message']}"
        for m in messages
        if m.get("type") in ("error", "non-document-error")
    ]
