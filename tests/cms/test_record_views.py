"""The public record at /cooperation/: filters, facets, bad input, entry pages, exports, feeds,
search, API, sitemap and robots.txt, with query counts that do not grow with the data."""

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Locale

from cms import views as cms_views
from cms.search_backend import first_matches
from partnership.models import CooperationEntry
from tests.cms.test_models import add_entries

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def listed_slugs(client, query=""):
    response = client.get(f"/cooperation/?{query}")
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    return [a["href"].rstrip("/").rsplit("/", 1)[-1] for a in soup.select(".results .fact__title")], soup


def all_listed(client, query=""):
    """Every slug over every page of results."""
    slugs, soup = listed_slugs(client, query)
    pages = max(
        [int(a.get_text(strip=True).removeprefix("Page")) for a in soup.select(".pagination a:not([rel])")] or [1]
    )
    for number in range(2, pages + 1):
        slugs += listed_slugs(client, f"{query}&page={number}")[0]
    return slugs


def expected(**filters):
    return set(CooperationEntry.objects.public().filter(**filters).values_list("slug", flat=True))


# --- Filters --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "filters"),
    [
        ("partner=japan", {"partner__slug": "japan"}),
        ("kind=contribution", {"kind": "contribution"}),
        ("kind=post&kind=exercise", {"kind__in": ["post", "exercise"]}),
        ("area=maritime-security", {"areas__slug": "maritime-security"}),
        ("programme=trust-fund-projects", {"programmes__slug": "trust-fund-projects"}),
        ("beneficiary=afghanistan", {"beneficiaries__slug": "afghanistan"}),
    ],
)
def test_each_filter_alone(client, loaded, query, filters):
    assert set(all_listed(client, query)) == expected(**filters)
    assert expected(**filters)


def test_year_range_uses_the_whole_period(client, loaded):
    assert set(all_listed(client, "year_from=2010&year_to=2012")) == {
        "japan-pledge-for-afghanistan-2009-2013",
        "japan-tokyo-conference-on-afghanistan",
    }
    since_2013 = set(all_listed(client, "year_from=2013"))
    assert "japan-individual-partnership-and-cooperation-programme" in since_2013  # open-ended
    assert "japan-initial-contacts" not in since_2013


def test_text_search(client, loaded):
    assert set(all_listed(client, "q=trust+fund")) == {
        e.slug
        for e in CooperationEntry.objects.all()
        if "trust" in (e.title + e.description + e.source_quote).lower()
        and "fund" in (e.title + e.description + e.source_quote).lower()
    }
    assert all_listed(client, "q=zebra") == []
    # A word typed twice is one condition, not a second scan: the same entries.
    assert all_listed(client, "q=trust+FUND+fund+trust") == all_listed(client, "q=trust+fund")


def test_filters_combine(client, loaded):
    slugs = set(all_listed(client, "partner=japan&area=maritime-security&kind=post"))
    assert slugs == {"japan-liaison-officer-maritime-command"}
    assert set(all_listed(client, "area=support-for-operations&beneficiary=afghanistan&year_from=2009")) == {
        "japan-tokyo-conference-on-afghanistan",
        "japan-pledge-for-afghanistan-2009-2013",
    }


def test_sorting(client, loaded):
    newest = all_listed(client, "sort=date-desc")
    assert newest[:2] == ["japan-individual-partnership-and-cooperation-programme", "japan-interoperability-platform"]
    # The two dated to 1990 last (in reading order), then the undated.
    assert newest[5:7] == ["japan-initial-contacts", "japan-stabilising-the-balkans"]
    oldest = all_listed(client, "sort=date-asc")
    assert oldest[0] == "japan-initial-contacts"
    titles = [CooperationEntry.objects.get(slug=s).title for s in all_listed(client, "sort=title")]
    assert titles == sorted(titles)


def test_pagination_keeps_the_filters(client, loaded):
    add_entries(45)
    slugs, soup = listed_slugs(client, "kind=contribution&sort=title")
    assert len(slugs) == 20
    links = [a["href"] for a in soup.select(".pagination a")]
    assert links and all("kind=contribution" in link and "sort=title" in link for link in links)
    assert "page=2" in " ".join(links)
    everything = all_listed(client, "kind=contribution&sort=title")
    assert len(everything) == len(set(everything)) == len(expected(kind="contribution"))


def test_facet_counts_say_what_each_option_would_give(client, loaded):
    soup = listed_slugs(client, "area=maritime-security")[1]

    def count(facet, value):
        box = soup.select_one(f'input[name="{facet}"][value="{value}"]')
        return int(re.search(r"\d+", box.find_parent("label").select_one(".facet__count").get_text())[0])

    # Other facets count within the current filter...
    assert count("kind", "post") == 1 and count("kind", "exercise") == 1 and count("kind", "milestone") == 0
    assert count("partner", "japan") == 2
    # ...and a facet's own options count as if it were not set.
    assert count("area", "cyber-defence") == len(expected(areas__slug="cyber-defence"))
    assert count("area", "wider-cooperation") == len(expected(areas__slug="wider-cooperation"))
    assert soup.select_one('input[name="area"][value="maritime-security"]').has_attr("checked")


def test_the_url_is_the_state_and_filtered_pages_are_not_indexed(client, loaded):
    plain = BeautifulSoup(client.get("/cooperation/").content, "html.parser")
    assert plain.select_one('meta[name="robots"]') is None
    assert plain.select_one("form.filters")["method"] == "get"
    filtered = listed_slugs(client, "area=cyber-defence")[1]
    assert filtered.select_one('meta[name="robots"]')["content"] == "noindex, follow"
    assert (
        filtered.select_one('a[href^="/cooperation/export.csv?"]')["href"]
        == "/cooperation/export.csv?area=cyber-defence"
    )


# --- Bad input: a message, never a 500, never an unescaped reflection ---------------------------------

BAD_QUERIES = [
    ("partner=atlantis", "Partner", "atlantis is not one of the available choices"),
    ("area=a%22b%3Cx%3E", "Area or theme", "is not one of the available choices"),
    ("area=%00", "Area or theme", "is not one of the available choices"),
    ("year_from=abc", "From year", "Enter a whole number"),
    ("year_to=99999", "To year", "less than or equal to 2100"),
    ("kind=party", "Kind", "party is not one of the available choices"),
    ("sort=evil", "Sort by", "evil is not one of the available choices"),
    ("q=" + "x" * 201, "Search the entries", "at most 200 characters"),
    ("q=%00", "Search the entries", "Null characters are not allowed"),
]


@pytest.mark.parametrize(("query", "label", "message"), BAD_QUERIES, ids=[q[0][:24] for q in BAD_QUERIES])
def test_bad_filters_are_explained_and_left_out(client, loaded, query, label, message):
    response = client.get(f"/cooperation/?{query}")
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    notice = soup.select_one(".notice").get_text(" ", strip=True)
    assert label in notice and message in notice
    assert len(listed_slugs(client, query)[0]) == 20  # the bad filter is left out, not the results


@pytest.mark.parametrize(
    ("query", "same_as"),
    [
        ("partner=japan&partner=atlantis&kind=milestone", "partner=japan&kind=milestone"),
        ("area=nope&area=maritime-security", "area=maritime-security"),
        ("kind=party&kind=post&kind=milestone", "kind=post&kind=milestone"),
    ],
)
def test_a_bad_value_is_left_out_and_the_good_ones_of_its_filter_kept(client, loaded, query, same_as):
    """One unknown value among several of a filter was once the whole filter left out: every partner's
    entries under Japan's ticked box. The others are kept, and the page says which value was left out."""
    soup = listed_slugs(client, query)[1]
    expected = set(all_listed(client, same_as))
    assert expected and set(all_listed(client, query)) == expected
    bad = next(value for value in ("atlantis", "nope", "party") if value in query)
    assert f"{bad} is not one of the available choices" in soup.select_one(".notice").get_text(" ", strip=True)
    assert client.get(f"/cooperation/export.csv?{query}").status_code == 400  # the files refuse it, as before


def test_a_reversed_year_range_is_corrected_and_said(client, loaded):
    slugs, soup = listed_slugs(client, "year_from=2012&year_to=2010")
    assert set(slugs) == set(all_listed(client, "year_from=2010&year_to=2012"))
    assert "showing 2010 to 2012" in soup.select_one(".notice").get_text()


@pytest.mark.parametrize(
    ("page", "shown", "words"), [("99", 3, "showing the last one"), ("-3", 1, "start at 1"), ("abc", 1, "not a number")]
)
def test_impossible_page_numbers_are_corrected(client, loaded, page, shown, words):
    add_entries(25)
    soup = listed_slugs(client, f"page={page}")[1]
    assert soup.select_one('.pagination a[aria-current="page"]').get_text(strip=True).endswith(str(shown))
    assert words in soup.select_one(".notice").get_text()


def test_hostile_search_text_is_escaped_everywhere(client, loaded):
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    for url in ("/cooperation/", "/search/"):
        response = client.get(url, {"q": hostile})
        assert response.status_code == 200
        html = response.content.decode()
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- One entry --------------------------------------------------------------------------------------


def test_entry_page_shows_the_fact_and_where_it_came_from(client, loaded):
    response = client.get("/cooperation/japan-pledge-for-afghanistan-2009-2013/")
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.h1.get_text() == "US$5 billion pledged for Afghanistan"
    facts = {div.dt.get_text(): div.dd.get_text(" ", strip=True) for div in soup.select(".entry__facts div")}
    assert facts["When"] == "2009–2013"
    assert facts["Kind"] == "Financial contribution"
    assert facts["Amount"] == "USD 5 billion"
    assert facts["Beneficiaries"] == "Afghanistan"
    assert facts["Areas"] == "Support for NATO-led operations and missions"
    assert (
        "pledging US$5 billion to this end over a five-year period (2009-2013)"
        in soup.select_one("blockquote").get_text()
    )
    section_link = soup.select_one(".provenance figcaption a")
    assert section_link["href"] == "/partners/japan/#support-for-nato-led-operations-and-missions"
    related = [a.get_text() for a in soup.select("#related-title ~ ul .fact__title")]
    assert "Tokyo Conference to mobilise international support for Afghanistan" in related
    assert "US$5 billion pledged for Afghanistan" not in related


def test_the_section_anchors_exist_on_the_partner_page(client, loaded):
    soup = BeautifulSoup(client.get("/partners/japan/").content, "html.parser")
    for section in set(CooperationEntry.objects.values_list("source_section", flat=True)):
        from django.utils.text import slugify

        assert soup.find(id=slugify(section)), section


def test_unknown_draft_and_unpublished_entries_are_not_found(client, loaded):
    assert client.get("/cooperation/no-such-entry/").status_code == 404
    entry = CooperationEntry.objects.get(slug="japan-initial-contacts")
    entry.unpublish()
    assert client.get("/cooperation/japan-initial-contacts/").status_code == 404
    assert "japan-initial-contacts" not in all_listed(client)


def test_the_partner_page_links_to_its_record_and_entries(client, loaded):
    soup = BeautifulSoup(client.get("/partners/japan/").content, "html.parser")
    assert soup.select_one(".record-link a")["href"] == "/cooperation/?partner=japan"
    assert soup.select_one(".recorded .fact__title")["href"] == "/cooperation/japan-interoperability-platform/"
    assert soup.select_one(".timeline__title")["href"] == "/cooperation/japan-initial-contacts/"


# --- Exports, feeds, API: the same entries as the page -------------------------------------------------


def test_csv_export_holds_exactly_the_filtered_entries(client, loaded):
    response = client.get("/cooperation/export.csv", {"partner": "japan", "area": "maritime-security"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["slug"] for row in rows} == set(all_listed(client, "partner=japan&area=maritime-security"))
    assert list(rows[0]) == [
        "slug", "url", "partner", "kind", "title", "description", "period", "start_date", "start_precision",
        "end_date", "end_precision", "ongoing", "amount", "currency", "areas", "programmes", "places",
        "beneficiaries", "source", "source_section", "source_quote", "first_published_at", "last_published_at",
    ]  # fmt: skip
    training = next(row for row in rows if row["kind"] == "exercise")
    assert training["places"] == "baltic-sea; spain"
    assert training["url"] == "http://testserver/cooperation/japan-maritime-training-with-nato-ships/"


def test_csv_export_neutralises_spreadsheet_formulas(client, loaded):
    entry = CooperationEntry.objects.get(slug="japan-initial-contacts")
    entry.title = '=HYPERLINK("http://evil.example","click")'
    entry.save_revision().publish()
    text = b"".join(client.get("/cooperation/export.csv").streaming_content).decode("utf-8-sig")
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["slug"] == "japan-initial-contacts")
    assert row["title"].startswith("'=HYPERLINK")


def test_json_export_matches_the_page_and_the_csv(client, loaded):
    response = client.get("/cooperation/export.json", {"kind": "contribution", "year_from": "2009"})
    data = json.loads(b"".join(response.streaming_content))
    assert {e["slug"] for e in data["entries"]} == set(all_listed(client, "kind=contribution&year_from=2009"))
    pledge = data["entries"][0]
    assert pledge["amount"] == "5000000000.00" and pledge["currency"] == "USD" and pledge["period"] == "2009–2013"
    assert data["fields"] == list(pledge)


@pytest.mark.parametrize("url", ["/cooperation/export.csv", "/cooperation/export.json", "/api/v2/entries/"])
def test_exports_and_api_refuse_bad_filters_with_400(client, loaded, url):
    response = client.get(url, {"partner": "<atlantis>"})
    assert response.status_code == 400
    assert "<atlantis>" not in response.content.decode() or response["Content-Type"].startswith(
        ("text/plain", "application/json")
    )


def atom(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)


def test_the_feed_is_valid_atom_newest_first(client, loaded):
    entry = CooperationEntry.objects.get(slug="japan-initial-contacts")
    entry.description = "Corrected."
    entry.save_revision().publish()
    feed = atom(client, "/cooperation/feed.atom")
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None
    # RFC 4287: a feed whose entries name no author names one itself: the organisation (site settings).
    assert feed.find(f"{ATOM}author/{ATOM}name").text == "NATO"
    items = feed.findall(f"{ATOM}entry")
    assert len(items) == 24
    first = items[0]
    assert first.find(f"{ATOM}title").text == "Japan: Initial contacts between NATO and Japan"
    assert first.find(f"{ATOM}link").get("href") == "http://testserver/cooperation/japan-initial-contacts/"
    for item in items:
        for required in ("id", "title", "updated", "link"):
            assert item.find(f"{ATOM}{required}") is not None


def test_a_partner_feed_and_an_unknown_partner(client, loaded):
    assert len(atom(client, "/cooperation/feeds/japan.atom").findall(f"{ATOM}entry")) == 24
    assert client.get("/cooperation/feeds/atlantis.atom").status_code == 404


def test_the_api_returns_the_same_entries_as_the_page(client, loaded):
    query = {"partner": "japan", "area": "maritime-security"}
    data = client.get("/api/v2/entries/", query).json()
    assert {item["slug"] for item in data["items"]} == set(all_listed(client, "partner=japan&area=maritime-security"))
    assert data["meta"]["total_count"] == 2
    detail = client.get(f"/api/v2/entries/{data['items'][0]['id']}/").json()
    assert detail["areas"] and detail["source_quote"]
    assert client.get("/api/v2/entries/", {"limit": "abc"}).status_code == 400
    assert client.get("/api/v2/pages/").json()["meta"]["total_count"] == 4
    assert client.get("/api/v2/images/").status_code == 200


def test_the_api_hides_unpublished_entries(client, loaded):
    entry = CooperationEntry.objects.get(slug="japan-initial-contacts")
    entry.unpublish()
    slugs = {item["slug"] for item in client.get("/api/v2/entries/", {"limit": 50}).json()["items"]}
    assert "japan-initial-contacts" not in slugs and len(slugs) == 23
    assert client.get(f"/api/v2/entries/{entry.pk}/").status_code == 404


# --- Search, sitemap, robots ----------------------------------------------------------------------------


def test_site_search_finds_pages_and_entries(client, loaded):
    soup = BeautifulSoup(client.get("/search/", {"q": "Japan"}).content, "html.parser")
    titles = [li.get_text(" ", strip=True) for li in soup.select(".search-results li")]
    assert any("Relations with Japan" in title for title in titles)
    assert any("Liaison officer" in title for title in titles)
    assert soup.select_one('meta[name="robots"]')["content"] == "noindex, follow"


@pytest.mark.parametrize(
    ("words", "hit"),
    [
        (
            "Tokyo Conference",
            "Milestone Tokyo Conference to mobilise international support for Afghanistan Japan · July 2012",
        ),
        ("liaison officer", "Personnel post Liaison officer to NATO’s Maritime Command Japan"),
    ],
)
def test_a_site_search_hit_is_summarised_by_its_partner_then_its_period_when_it_has_one(client, loaded, words, hit):
    soup = BeautifulSoup(client.get("/search/", {"q": words}).content, "html.parser")
    assert hit in [li.get_text(" ", strip=True) for li in soup.select(".search-results li")]


def test_site_search_ranks_entries_on_postgresql_and_lists_them_newest_first_on_sqlite(client, loaded):
    def entry_titles(query):
        soup = BeautifulSoup(client.get("/search/", {"q": query}).content, "html.parser")
        links = [a["href"] for a in soup.select(".search-results li a")]
        return [link for link in links if link.startswith("/cooperation/")]

    found = entry_titles("Japan")
    assert len(found) >= 10
    # A repeated word changes nothing (it is searched once).
    assert entry_titles("Japan japan Japan") == entry_titles("Japan japan")
    by_slug = dict(CooperationEntry.objects.values_list("slug", "pk"))
    pks = [by_slug[link.split("/")[2]] for link in found]
    if connection.vendor == "sqlite":
        # Wagtail's FTS5 ranking costs a full-text query per match (cms.views.ranks_entries).
        assert pks == sorted(pks, reverse=True)
    else:  # by relevance: the title counts most, so an entry naming Japan in its title comes first
        assert "Japan" in CooperationEntry.objects.get(pk=pks[0]).title


def site_search_entry_pks(client, query):
    soup = BeautifulSoup(client.get("/search/", {"q": query}).content, "html.parser")
    by_slug = dict(CooperationEntry.objects.values_list("slug", "pk"))
    links = [a["href"] for a in soup.select(".search-results li a")]
    return [by_slug[link.split("/")[2]] for link in links if link.startswith("/cooperation/")]


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="ranking is PostgreSQL's")


@postgresql_only
def test_site_search_ranks_every_match_when_there_are_few(client, loaded):
    from wagtail.search.backends import get_search_backend

    entries = CooperationEntry.objects.public().filter(locale=Locale.objects.get(language_code="en"))
    ranked = [entry.pk for entry in get_search_backend().search("japan", entries)]
    assert 10 <= len(ranked) <= cms_views.SEARCH_CANDIDATES
    listed = site_search_entry_pks(client, "japan")  # the first page's, after the pages found
    assert len(listed) >= 10 and listed == ranked[: len(listed)]  # Wagtail's order over all matches


@postgresql_only
def test_site_search_ranks_a_bounded_set_of_matches_when_there_are_many(client, loaded, monkeypatch):
    from wagtail.search.backends import get_search_backend

    monkeypatch.setattr(cms_views, "SEARCH_CANDIDATES", 5)
    matches = {entry.pk for entry in get_search_backend().search("japan", CooperationEntry.objects.public())}
    listed = site_search_entry_pks(client, "japan")
    # Five of the matches, no more (the candidates), in Wagtail's order of relevance among them.
    assert len(listed) == 5 and set(listed) <= matches
    among = CooperationEntry.objects.filter(pk__in=listed)
    assert listed == [entry.pk for entry in get_search_backend().search("japan", among)]


@postgresql_only
def test_first_matches_are_the_querysets_entries_matching_every_word(loaded):
    from wagtail.search.backends import get_search_backend

    backend = get_search_backend()
    english = CooperationEntry.objects.public().filter(locale=Locale.objects.get(language_code="en"))
    for words in ("japan", "liaison officer", "japan nothingsuchword"):
        found = set(first_matches(backend, english, words, 1000).values_list("pk", flat=True))
        assert found == {entry.pk for entry in backend.search(words, english)}
    assert len(first_matches(backend, english, "japan", 3)) == 3
    assert not first_matches(backend, english.filter(partner__slug="nowhere"), "japan", 1000).exists()


def test_sitemap_lists_pages_and_entries(client, loaded):
    root = ET.fromstring(client.get("/sitemap.xml").content)
    locations = [loc.text for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert any(loc.endswith("/partners/japan/") for loc in locations)
    assert sum("/cooperation/japan-" in loc for loc in locations) == 24


def test_robots_txt(client, loaded):
    text = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in text and "Sitemap: http://testserver/sitemap.xml" in text


# --- Speed: the same number of queries with 10 or 1,000 more entries -------------------------------------


def query_count(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/cooperation/",
        "/cooperation/?partner=japan&area=wider-cooperation&kind=contribution&year_from=2000&q=entry&sort=title",
        "/cooperation/japan-joint-political-declaration/",
        "/cooperation/feed.atom",
        "/api/v2/entries/?partner=japan&area=wider-cooperation",
        "/search/?q=japan",
        "/sitemap.xml",
    ],
)
def test_query_counts_do_not_grow_with_entries(client, loaded, url):
    add_entries(10)
    small = query_count(client, url)
    add_entries_more(1000)
    assert query_count(client, url) == small


def add_entries_more(count):
    from partnership.models import Partner

    before, partners = CooperationEntry.objects.count(), Partner.objects.count()
    add_entries(count, offset=before)
    assert Partner.objects.count() == partners  # more entries, no more partners


@pytest.mark.parametrize("lines_in_sql", [True, False])
def test_exports_cost_a_constant_number_of_queries_per_batch(client, loaded, monkeypatch, lines_in_sql):
    batch = 200
    monkeypatch.setattr("cms.exports.EXPORT_BATCH", batch)
    monkeypatch.setattr("cms.exports.LINES_IN_SQL", lines_in_sql)
    add_entries(10)
    small = query_count(client, "/cooperation/export.csv")  # 34 entries: one batch
    add_entries_more(1000)
    batches = -(-CooperationEntry.objects.count() // batch)
    assert batches == 6
    response = client.get("/cooperation/export.csv")
    assert b"".join(response.streaming_content).count(b"\r\n") == 1 + CooperationEntry.objects.public().count()
    # The database writes the lines: their relations are read with the rows (one cursor), so further
    # batches cost nothing. Reading rows of values instead (databases other than PostgreSQL and SQLite),
    # each further batch costs one query for its areas, programmes, places and beneficiaries.
    further = 0 if lines_in_sql else 1
    assert query_count(client, "/cooperation/export.csv") == small + further * (batches - 1)
