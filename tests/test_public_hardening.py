"""Issue 12's public faults, fixed by kind: search syntax in every search box, the API's parameters,
characters XML cannot carry and bidi controls, the privacy of the record, the sitemap's hosts,
fixture parse bombs, and the page cache's key."""

import sqlite3

import pytest
from django.db import connection
from django.db.utils import InterfaceError, OperationalError, ProgrammingError
from django.test import Client

from cms.resilience import is_database_unavailable

pytestmark = pytest.mark.django_db


# --- A search term that is search syntax is never read as an outage ---------------------------------

SEARCH_SYNTAX = [
    '"',
    "'",
    '"japan',
    'japan"',
    "*",
    "japan*",
    "(",
    ")",
    "NOT",
    "japan OR",
    "AND NOT japan",
    "^japan",
    "title:japan",
    "-japan",
    "NEAR(japan maritime)",
    "{",
    "\\",
    "%",
    "_",
    "'\"",
    "japan - ",
    "+",
    ":",
    "🙂",
]

ADMIN_SEARCH_BOXES = [
    "/admin/images/",
    "/admin/images/chooser/",
    "/admin/pages/search/",
    "/admin/choose-page/search/",
    "/admin/snippets/partnership/cooperationentry/",
    "/admin/documents/",
    "/admin/users/",
]
PUBLIC_SEARCH_BOXES = ["/search/?q=", "/cooperation/?q=", "/api/v2/pages/?search=", "/api/v2/images/?search="]


@pytest.mark.parametrize("term", SEARCH_SYNTAX)
def test_search_syntax_gives_results_in_every_public_search_box(loaded, term):
    client = Client(raise_request_exception=False)
    for box in PUBLIC_SEARCH_BOXES:
        response = client.get(box.split("?")[0], {box.split("?")[1].rstrip("="): term})
        assert response.status_code == 200, (box, term, response.status_code)


@pytest.mark.parametrize("term", ['"', "japan*", "NEAR(japan maritime)", "AND NOT japan", "'\"", "title:japan"])
def test_search_syntax_gives_results_in_every_admin_search_box(loaded, admin_client, term):
    for box in ADMIN_SEARCH_BOXES:
        response = admin_client.get(box, {"q": term}, raise_request_exception=False)
        assert response.status_code == 200, (box, term, response.status_code)


def test_words_around_search_syntax_still_find_what_they_name(loaded, admin_client):
    assert "Relations with Japan" in Client().get("/search/", {"q": '"japan'}).content.decode()
    titles = [item["title"] for item in Client().get("/api/v2/pages/", {"search": 'japan"'}).json()["items"]]
    assert "Relations with Japan" in titles
    assert "Relations with Japan" in admin_client.get("/admin/pages/search/", {"q": '"Japan'}).content.decode()


def sqlite_error(code_statement):
    """A real SQLite OperationalError, wrapped as Django wraps driver errors."""
    try:
        code_statement()
    except sqlite3.OperationalError as cause:
        try:
            raise OperationalError(str(cause)) from cause
        except OperationalError as error:
            return error
    raise AssertionError("no error")


def test_only_a_real_connection_failure_counts_as_the_database_out_of_reach(tmp_path):
    memory = sqlite3.connect(":memory:")
    memory.execute("create virtual table t using fts5(body)")
    syntax = sqlite_error(lambda: memory.execute("select * from t where t match ?", ['"']).fetchall())
    missing_table = sqlite_error(lambda: memory.execute("select * from nowhere").fetchall())
    unopenable = sqlite_error(lambda: sqlite3.connect(tmp_path / "no" / "such" / "dir.sqlite3").execute("select 1"))
    assert not is_database_unavailable(syntax)
    assert not is_database_unavailable(missing_table)
    assert not is_database_unavailable(ProgrammingError("bad query"))
    assert is_database_unavailable(unopenable)
    assert is_database_unavailable(InterfaceError("connection already closed"))


def test_a_refused_postgresql_connection_is_an_outage():
    psycopg = pytest.importorskip("psycopg")
    try:
        psycopg.connect("host=127.0.0.1 port=1 user=nobody connect_timeout=2")
    except psycopg.OperationalError as cause:
        try:
            raise OperationalError(str(cause)) from cause
        except OperationalError as error:
            assert is_database_unavailable(error)
    else:
        raise AssertionError("port 1 answered")


def test_a_query_fault_reported_as_operational_error_is_a_500_not_a_503(loaded, monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite reports a query's own fault as OperationalError; PostgreSQL as ProgrammingError")
    from partnership import views

    def broken_record(request, record_page):
        with connection.cursor() as cursor:
            cursor.execute("select * from no_such_table")

    monkeypatch.setattr(views, "record", broken_record)
    response = Client(raise_request_exception=False).get("/cooperation/")
    assert response.status_code == 500
    assert "Retry-After" not in response


# --- API parameters: a bad one is a 400 naming it --------------------------------------------------

HOSTILE = ["xx", "", "-1", "9" * 40, "1.5", "%", "\u202e", "'", '"', "*", "null", "true", "0x10", "1e3", " 1", "𝟙"]
PAGE_PARAMETERS = [
    "fields",
    "order",
    "search",
    "search_operator",
    "type",
    "child_of",
    "descendant_of",
    "ancestor_of",
    "locale",
    "translation_of",
    "limit",
    "offset",
    "id",
    "slug",
    "title",
    "show_in_menus",
    "first_published_at",
    "format",
    "has_children",
    "nonsense",
]
IMAGE_PARAMETERS = [
    "fields",
    "order",
    "search",
    "search_operator",
    "limit",
    "offset",
    "id",
    "title",
    "tags",
    "format",
    "collection",
    "nonsense",
]
ENTRY_PARAMETERS = [
    "fields",
    "limit",
    "offset",
    "format",
    "type",
    "partner",
    "kind",
    "area",
    "programme",
    "beneficiary",
    "year_from",
    "year_to",
    "q",
    "sort",
    "page",
    "search",
    "order",
    "nonsense",
]


@pytest.mark.parametrize(
    ("endpoint", "parameters"),
    [("pages", PAGE_PARAMETERS), ("images", IMAGE_PARAMETERS), ("entries", ENTRY_PARAMETERS)],
)
def test_every_api_parameter_with_hostile_values_is_a_200_or_a_400_naming_it(loaded, endpoint, parameters):
    client = Client(raise_request_exception=False)
    for name in parameters:
        for value in HOSTILE:
            for query in ({name: value}, {name: value, "search": "japan"} if name != "search" else {name: value}):
                response = client.get(f"/api/v2/{endpoint}/", query)
                assert response.status_code in (200, 400), (endpoint, query, response.status_code)
                if response.status_code == 400:
                    message = response.json()["message"]
                    named = [key for key in query if key.lower() in message.lower()]
                    assert named, (endpoint, query, message)


@pytest.mark.parametrize("endpoint", ["pages", "images"])
def test_an_unknown_search_operator_is_a_400(loaded, endpoint):
    response = Client().get(f"/api/v2/{endpoint}/", {"search": "japan", "search_operator": "xx"})
    assert response.status_code == 400
    assert "search_operator" in response.json()["message"]
    ok = Client().get(f"/api/v2/{endpoint}/", {"search": "japan", "search_operator": "or"})
    assert ok.status_code == 200


def test_an_unknown_locale_is_a_400_naming_it(loaded):
    response = Client().get("/api/v2/pages/", {"locale": "xx"})
    assert response.status_code == 400
    assert "locale" in response.json()["message"]
    assert Client().get("/api/v2/pages/", {"locale": "en"}).status_code == 200


# --- The page cache's key varies only on what changes the response -----------------------------------


def test_accept_headers_make_at_most_one_key_per_representation():
    from django.test import RequestFactory

    from cms.cache import cache_key

    factory = RequestFactory()
    accepts = ["", "*/*", "text/html", "application/json", "text/html;q=0.1, */*", "x/y-1", "x/y-2", "a" * 500]
    for path, most in (("/cooperation/", 1), ("/partners/japan/", 1), ("/api/v2/entries/", 2)):
        keys = {cache_key(factory.get(path, HTTP_ACCEPT=accept), 1) for accept in accepts}
        assert len(keys) <= most, path
    html = cache_key(factory.get("/api/v2/pages/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8"), 1)
    json_ = cache_key(factory.get("/api/v2/pages/", HTTP_ACCEPT="application/json"), 1)
    assert html != json_


def test_query_parameter_order_makes_one_key_and_unknown_parameters_none():
    from django.test import RequestFactory

    from cms.cache import cache_key, is_cacheable_request

    factory = RequestFactory()
    one = cache_key(factory.get("/cooperation/?kind=post&area=cyber-defence"), 1)
    assert cache_key(factory.get("/cooperation/?area=cyber-defence&kind=post"), 1) == one
    assert cache_key(factory.get("/cooperation/?kind=post&area=maritime-security"), 1) != one
    # A parameter no view reads (a cache-buster, a tracking tag) is answered, never stored.
    for query in ("?utm_source=x", "?kind=post&x1=1", "?_cb=12345", "?q=" + "a" * 2000):
        assert not is_cacheable_request(factory.get("/cooperation/" + query)), query
    assert is_cacheable_request(factory.get("/cooperation/?kind=post&page=2"))
    assert is_cacheable_request(factory.get("/api/v2/pages/?type=cms.PartnerPage&fields=title&slug=japan"))


@pytest.mark.django_db
def test_a_client_varying_headers_and_junk_parameters_does_not_fill_the_cache(loaded, settings):
    from django.core.cache import cache

    settings.PAGE_CACHE_SECONDS = 60
    keys_before = stored_page_keys(cache)
    client = Client()
    for number in range(30):
        assert client.get("/cooperation/", {f"junk{number}": "1"}, HTTP_ACCEPT=f"x/y-{number}").status_code == 200
        assert client.get("/cooperation/", HTTP_ACCEPT=f"text/plain-{number}").status_code == 200
    assert len(stored_page_keys(cache) - keys_before) == 1


def stored_page_keys(cache):
    if hasattr(cache, "keys"):
        return set(cache.keys("partnership:page:*"))
    return {key for key in cache._cache if ":partnership:page:" in key}
