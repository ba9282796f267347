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
    from cms import record_views as views

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


# --- Privacy of the record: a view restriction covers every surface -----------------------------------


def restrict(page):
    from wagtail.models import PageViewRestriction

    PageViewRestriction.objects.create(page=page, restriction_type="password", password="a-long-password-9")


ENTRY_SLUG = "japan-liaison-officer-maritime-command"


def test_a_private_record_shows_its_entries_on_no_public_surface(loaded):
    from cms.models import CooperationRecordPage

    client = Client()
    assert f"/cooperation/{ENTRY_SLUG}/" in client.get("/sitemap.xml").content.decode()  # public first
    restrict(CooperationRecordPage.objects.get())
    surfaces = {
        "sitemap": client.get("/sitemap.xml"),
        "home": client.get("/"),
        "partner page": client.get("/partners/japan/"),
        "search": client.get("/search/", {"q": "maritime command liaison"}),
        "api listing": client.get("/api/v2/entries/"),
    }
    for name, response in surfaces.items():
        assert response.status_code == 200, name
        text = response.content.decode()
        assert "/cooperation/japan-" not in text, name
        assert "Maritime Command" not in text, name
    assert surfaces["api listing"].json()["meta"]["total_count"] == 0
    entry_id = __import__("partnership.models", fromlist=["x"]).CooperationEntry.objects.get(slug=ENTRY_SLUG).pk
    assert client.get(f"/api/v2/entries/{entry_id}/").status_code == 404
    for url in (f"/cooperation/{ENTRY_SLUG}/", "/cooperation/feed.atom", "/cooperation/feeds/japan.atom"):
        assert "Maritime Command" not in client.get(url).content.decode(), url
    assert "/cooperation/" not in [
        item["meta"]["html_url"][-13:] for item in client.get("/api/v2/pages/").json()["items"]
    ]


def test_a_private_partner_page_is_listed_nowhere(loaded):
    from cms.models import PartnerPage

    client = Client()
    restrict(PartnerPage.objects.get(slug="japan"))
    for url in ("/", "/partners/", "/sitemap.xml", "/search/?q=japan", f"/cooperation/{ENTRY_SLUG}/"):
        assert "/partners/japan/" not in client.get(url).content.decode(), url
    titles = [item["title"] for item in client.get("/api/v2/pages/").json()["items"]]
    assert "Relations with Japan" not in titles
    # The record is not the partner page's: its entries stay public.
    assert client.get(f"/cooperation/{ENTRY_SLUG}/").status_code == 200


# --- One host for every <loc>: the Site record's root URL ---------------------------------------------


def test_every_sitemap_loc_and_api_url_is_on_the_site_records_root_url(loaded, settings):
    import re

    from wagtail.models import Site

    Site.objects.filter(is_default_site=True).update(hostname="partners.example.org", port=443)
    settings.ALLOWED_HOSTS = ["*"]
    for host in ("testserver", "localhost", "partners.example.org"):
        xml = Client().get("/sitemap.xml", HTTP_HOST=host).content.decode()
        locs = re.findall(r"<loc>([^<]*)</loc>", xml)
        assert any("/cooperation/japan-" in loc for loc in locs) and any(loc.endswith("/partners/") for loc in locs)
        assert all(loc.startswith("https://partners.example.org/") for loc in locs), (host, locs)
        api = Client().get("/api/v2/pages/", HTTP_HOST=host).json()["items"]
        assert all(item["meta"]["detail_url"].startswith("https://partners.example.org/api/v2/") for item in api)
        assert all(item["meta"]["html_url"].startswith("https://partners.example.org/") for item in api)
        entries = Client().get("/api/v2/entries/", HTTP_HOST=host).json()["items"]
        assert all(item["meta"]["detail_url"].startswith("https://partners.example.org/api/v2/") for item in entries)
    settings.WAGTAILAPI_BASE_URL = "https://api.example.org"
    api = Client().get("/api/v2/pages/").json()["items"]
    assert all(item["meta"]["detail_url"].startswith("https://api.example.org/api/v2/") for item in api)


# --- A fixture whose parse expands beyond bounds is refused at once -----------------------------------

BILLION_LAUGHS = "\n".join(
    [
        'lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(f"lol{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]" for n in range(1, 9)),
        "entries: *l8",
        "",
    ]
)


def parse_bombs():
    return {
        "laughs.yaml": BILLION_LAUGHS,  # 10**9 strings once expanded, in under a kilobyte
        "loop.yaml": "entries: &x [1, *x]\n",
        "deep.yaml": "entries: " + "[" * 60 + "]" * 60 + "\n",
        "deeper.yaml": "entries: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
        "deep.json": '{"entries": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "wide.json": '{"entries": [' + ",".join(["[0,0,0,0,0,0,0,0,0]"] * 110_000) + "]}",
        "big.yaml": "entries:\n" + "  - {slug: x, title: " + "x" * 100 + "}\n" * 30_000,
    }


@pytest.mark.parametrize("name", list(parse_bombs()))
def test_a_fixture_that_expands_beyond_bounds_is_refused_quickly_naming_the_file(loaded, tmp_path, name):
    import time

    from django.core.management import CommandError

    from .conftest import database_snapshot, run_load_fixtures

    path = tmp_path / name
    path.write_text(parse_bombs()[name])
    before = database_snapshot()
    started = time.perf_counter()
    with pytest.raises(CommandError) as error:
        run_load_fixtures(path)
    assert time.perf_counter() - started < 1.0
    message = str(error.value)
    assert name in message
    assert "refused" in message or "not valid" in message
    assert "Traceback" not in message and len(message) < 500
    assert database_snapshot() == before


# --- Characters XML cannot carry, and bidi controls: refused on input, harmless on output ------------

REFUSED = {
    "\x0b": "U+000B",
    "\x00": "U+0000",
    "\x1b": "U+001B",
    "\x7f": "U+007F",
    "\x85": "U+0085",
    "\ufffe": "U+FFFE",
    "\u202e": "U+202E",
    "\u202a": "U+202A",
    "\u2066": "U+2066",
    "\u2069": "U+2069",
}


def text_fields(model):
    from django.db import models

    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
        and field.editable
        and not field.choices
        and not isinstance(field, models.SlugField | models.URLField)
    ]


@pytest.mark.parametrize(("character", "code"), list(REFUSED.items()))
def test_every_text_field_of_the_partnership_models_refuses_the_character_naming_it(character, code):
    from django.apps import apps
    from django.core.exceptions import ValidationError

    checked = 0
    for model in apps.get_app_config("partnership").get_models():
        for field in text_fields(model):
            if field.name == "iso_code":
                continue
            with pytest.raises(ValidationError) as error:
                field.clean(f"Japan{character}pan", None)
            assert code in " ".join(error.value.messages), (model, field.name)
            checked += 1
    assert checked >= 13


def test_tab_newline_and_carriage_return_are_still_text():
    from partnership.models import CooperationEntry

    field = CooperationEntry._meta.get_field("description")
    assert field.clean("one\ttwo\nthree\r\nfour", None) == "one\ttwo\nthree\r\nfour"


def test_the_admin_form_refuses_the_character_with_a_message(loaded):
    from django.forms import modelform_factory

    from partnership.models import CooperationEntry

    entry = CooperationEntry.objects.get(slug=ENTRY_SLUG)
    form_class = modelform_factory(CooperationEntry, fields=["title", "description"])
    form = form_class({"title": entry.title, "description": "A post\x0b in Naples."}, instance=entry)
    assert not form.is_valid()
    assert "U+000B" in " ".join(form.errors["description"])


def test_the_loader_reports_the_character_per_field(loaded, fixture_copy):
    from django.core.management import CommandError

    from .conftest import database_snapshot, run_load_fixtures

    path = fixture_copy / "japan.yaml"
    text = path.read_text()
    text = text.replace(
        "title: Initial contacts between NATO and Japan", 'title: "Initial\\u202E contacts between NATO and Japan"', 1
    )
    text = text.replace(
        "description: NATO and Japan have been engaged", 'description: "NATO and Japan\\v have been engaged', 1
    ).replace("since their initial contacts.\n", 'since their initial contacts."\n', 1)
    path.write_text(text)
    before = database_snapshot()
    with pytest.raises(CommandError) as error:
        run_load_fixtures(fixture_copy)
    message = str(error.value)
    assert "U+202E" in message and "field “title”" in message
    assert "U+000B" in message and "field “description”" in message
    assert database_snapshot() == before


def test_page_fields_and_streamfield_text_refuse_the_character(loaded):
    from django.core.exceptions import ValidationError

    from cms.models import PartnerPage

    page = PartnerPage.objects.get(slug="japan")
    page.title = "Relations with \u202eJapan"
    with pytest.raises(ValidationError) as error:
        page.full_clean()
    assert "U+202E" in " ".join(error.value.message_dict["title"])
    page.refresh_from_db()
    raw = page.body.raw_data
    raw.append({"type": "paragraph", "value": "<p>A\x0bB</p>"})
    page.body = raw
    with pytest.raises(ValidationError) as error:
        page.full_clean()
    assert "U+000B" in " ".join(error.value.message_dict["body"])


def test_stored_characters_xml_cannot_carry_leave_feeds_and_sitemap_well_formed(loaded):
    from xml.etree import ElementTree

    from partnership.models import CooperationEntry, Partner

    # Data stored before the check (or around it): update() runs no validation.
    CooperationEntry.objects.filter(slug=ENTRY_SLUG).update(
        title="Liaison\x0b officer\x01", description="Naples\x1b\x0c.", source_section="Sec\x08tion"
    )
    Partner.objects.filter(slug="japan").update(name="Ja\x0bpan")
    client = Client(raise_request_exception=False)
    for url in ("/cooperation/feed.atom", "/cooperation/feeds/japan.atom", "/sitemap.xml"):
        response = client.get(url)
        assert response.status_code == 200, url
        ElementTree.fromstring(response.content)  # well-formed, or this raises
    assert "Liaison officer" in client.get("/cooperation/feed.atom").content.decode()


def test_a_bidi_override_in_stored_text_or_a_query_cannot_spill_out_of_the_title(loaded):
    import re

    from cms.models import PartnerPage

    PartnerPage.objects.filter(slug="japan").update(title="Relations with \u202eJapan", seo_title="")
    html = Client().get("/partners/japan/").content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title == "\u2068Relations with \u202eJapan\u2069 | NATO"
    html = Client().get("/search/", {"q": "\u202ejapan\u2069"}).content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title.endswith("\u2069 | NATO") and "\u2068" in title
    assert title.count("\u2069") == 1  # the query's own isolate closing is dropped, not trusted
    plain = Client().get("/partners/").content.decode()
    assert "\u2068" not in plain  # ordinary titles are left exactly as they are
