"""What must hold at 100,000 entries, checked on small data: the exports read rows, not model instances,
and give exactly what entries give; the API's deep pages are the same entries a plain slice gives, at the
same query count; the sitemap becomes an index of sections past its limit (a small ``limit`` here)."""

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from cms.demo_data import generate_demo_data
from cms.record_views import ALL_RELATIONS
from cms.views import EntrySitemap
from partnership.filters import SORTS, CooperationEntryFilter
from partnership.models import CooperationEntry
from partnership.serializers import EXPORT_FIELDS, entry_values, export_values
from tests.cms.french import add_french
from tests.cms.test_models import add_entries
from tests.test_query_counts import INDEX_BUILT, count_queries

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


# --- Exports: rows, not instances ----------------------------------------------------------------------


@pytest.mark.parametrize("sort", [None, *SORTS])
def test_export_values_give_exactly_what_entries_give_in_the_same_order(loaded, sort):
    """Every column of every entry, in every order, across batch boundaries (batches of 7), with entries
    of several areas, programmes, places and beneficiaries, undated ones and French ones."""
    generate_demo_data(partners=3, entries=60, seed=5)
    add_french()
    data = {"sort": sort} if sort else {}
    for language in ("en", "fr"):
        with translation.override(language):
            queryset = CooperationEntryFilter(data, queryset=CooperationEntry.objects.public()).qs
            rows = [row for batch in export_values(queryset, "u/", batch_size=7) for row in batch]
            entries = queryset.select_related("partner", "source").prefetch_related(*ALL_RELATIONS)
            expected = [entry_values(entry, f"u/{entry.slug}/") for entry in entries]
        assert len(rows) == CooperationEntry.objects.public().count() > 80
        assert rows == expected
    columns = [dict(zip(EXPORT_FIELDS, row, strict=True)) for row in rows]
    assert any(len(row["areas"]) > 1 for row in columns) and any(row["beneficiaries"] for row in columns)
    assert any(row["period"] == "" for row in columns) and any(row["places"] for row in columns)


def test_export_values_cost_one_query_for_the_rows_and_one_a_batch(loaded):
    queryset = CooperationEntry.objects.public().order_by("pk")
    with CaptureQueriesContext(connection) as context:
        assert [len(batch) for batch in export_values(queryset, "u/", batch_size=5)] == [5, 5, 5, 5, 4]
    assert len(context.captured_queries) == 1 + 5  # 24 entries: five batches
    with CaptureQueriesContext(connection) as context:
        assert list(export_values(queryset.none(), "u/", batch_size=5)) == []
    assert len(context.captured_queries) <= 1


# --- The API's deep pages ------------------------------------------------------------------------------


def api_slugs(client, url):
    data = client.get(url).json()
    return data["meta"]["total_count"], [item["slug"] for item in data["items"]]


def test_a_deep_api_page_holds_the_entries_a_slice_gives_at_the_first_pages_query_count(client, loaded):
    add_entries(1000)
    ordered = list(
        CooperationEntryFilter({}, queryset=CooperationEntry.objects.public()).qs.values_list("slug", flat=True)
    )
    first, deep = "/api/v2/entries/?limit=20", "/api/v2/entries/?offset=1010&limit=20"
    assert api_slugs(client, first) == (1024, ordered[:20])
    assert api_slugs(client, deep) == (1024, ordered[1010:1030])  # the last 14
    filtered = "/api/v2/entries/?kind=milestone&sort=title&offset=90&limit=20"
    milestones = CooperationEntryFilter(
        {"kind": ["milestone"], "sort": "title"}, queryset=CooperationEntry.objects.public()
    )
    assert api_slugs(client, filtered)[1] == list(milestones.qs.values_list("slug", flat=True))[90:110]
    # In the default order the API reads its total and pages from the facet index: the same as SQL gives.
    for query in (
        {"kind": ["milestone", "post"], "year_from": "2010"},
        {"partner": ["japan"], "area": ["wider-cooperation", "cyber-defence"], "year_to": "2015"},
        {"q": "liaison", "kind": ["milestone"]},
    ):
        sql = list(
            CooperationEntryFilter(query, queryset=CooperationEntry.objects.public()).qs.values_list("slug", flat=True)
        )
        assert len(sql) > 25, query  # enough for a second page
        url = "/api/v2/entries/?" + urlencode({**query, "offset": 5, "limit": 20}, doseq=True)
        assert api_slugs(client, url) == (len(sql), sql[5:25]), query
    client.get(first)  # warm Wagtail's caches
    assert count_queries(client, deep) == count_queries(client, first)
    add_entries(1000, offset=1000)
    deeper = "/api/v2/entries/?offset=2000&limit=20"
    # The first request after the entries changed rebuilds the facet index, as the record's does.
    assert count_queries(client, deeper) == count_queries(client, first) + INDEX_BUILT
    assert count_queries(client, deeper) == count_queries(client, first)


# --- Sitemap: an index past the limit ------------------------------------------------------------------


def locs(content):
    return [loc.text for loc in ET.fromstring(content).iter(f"{SITEMAP}loc")]


@pytest.fixture
def small_limit(monkeypatch):
    """Ten entries a sitemap file instead of EntrySitemap's 5,000: the 24 entries make three pages, and
    the site's URLs are more than one file may hold."""
    monkeypatch.setattr(EntrySitemap, "limit", 10)


def test_below_the_limit_the_sitemap_is_one_file(client, loaded):
    root = ET.fromstring(client.get("/sitemap.xml").content)
    assert root.tag == f"{SITEMAP}urlset"


def test_past_the_limit_the_sitemap_is_an_index_of_sections_whose_pages_list_every_url_once(
    client, loaded, small_limit
):
    add_french()
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    root = ET.fromstring(response.content)
    assert root.tag == f"{SITEMAP}sitemapindex"
    sections = locs(response.content)
    entries = CooperationEntry.objects.public().count()  # 25: the French one too
    assert sections == [
        "http://localhost/sitemap-pages.xml",
        "http://localhost/sitemap-entries.xml",
        "http://localhost/sitemap-entries.xml?p=2",
        "http://localhost/sitemap-entries.xml?p=3",
    ]
    assert entries == 25
    listed = []
    for section in sections[1:]:
        page = client.get(section.removeprefix("http://localhost"))
        assert page.status_code == 200
        urls = ET.fromstring(page.content).findall(f"{SITEMAP}url")
        assert len(urls) <= 10
        listed += [url.find(f"{SITEMAP}loc").text for url in urls]
        for url in urls:  # each entry with its languages (hreflang), as below the limit
            alternates = {link.get("hreflang"): link.get("href") for link in url.iter(f"{XHTML}link")}
            assert url.find(f"{SITEMAP}loc").text in alternates.values() and "x-default" in alternates
            assert url.find(f"{SITEMAP}lastmod") is not None
    assert len(listed) == len(set(listed)) == entries
    assert sum("/fr/" in url for url in listed) == 1
    pages = locs(client.get("/sitemap-pages.xml").content)
    assert "http://localhost/partners/japan/" in pages and any("/fr/" in url for url in pages)


def test_the_index_names_sections_on_the_site_records_root_url(client, loaded, small_limit, settings):
    from wagtail.models import Site

    Site.objects.filter(is_default_site=True).update(hostname="partners.example.org", port=443)
    settings.ALLOWED_HOSTS = ["*"]
    sections = locs(client.get("/sitemap.xml", HTTP_HOST="localhost").content)
    assert sections and all(url.startswith("https://partners.example.org/sitemap-") for url in sections)


@pytest.mark.parametrize(
    "url",
    [
        "/sitemap-entries.xml?p=0",
        "/sitemap-entries.xml?p=-1",
        "/sitemap-entries.xml?p=abc",
        "/sitemap-entries.xml?p=4",
        "/sitemap-entries.xml?p=1.5",
        "/sitemap-entries.xml?p=99999999999999999999999999",
        "/sitemap-nope.xml",
    ],
)
def test_a_sitemap_page_that_does_not_exist_is_a_404(client, loaded, small_limit, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("page", ["0", "-1", "abc", "2", "99999999999999999999999999"])
def test_below_the_limit_a_page_of_the_sitemap_that_does_not_exist_is_a_404(client, loaded, page):
    assert client.get("/sitemap.xml", {"p": page}).status_code == 404


def test_a_sitemap_sections_page_costs_the_same_queries_with_more_entries(client, loaded, small_limit):
    client.get("/sitemap-entries.xml?p=2")  # warm Wagtail's caches
    urls = ["/sitemap.xml", "/sitemap-pages.xml", "/sitemap-entries.xml", "/sitemap-entries.xml?p=2"]
    before = {url: count_queries(client, url) for url in urls}
    add_entries(1000)
    after = {url: count_queries(client, url) for url in [*urls, "/sitemap-entries.xml?p=100"]}
    assert after.pop("/sitemap-entries.xml?p=100") == before["/sitemap-entries.xml?p=2"]
    assert after == before
    assert len(locs(client.get("/sitemap.xml").content)) == 1 + 103  # pages, then 1,024 entries by ten


def test_the_sitemap_lists_no_entry_while_the_record_is_private(client, loaded, small_limit):
    from wagtail.models import PageViewRestriction

    from cms.models import CooperationRecordPage

    PageViewRestriction.objects.create(page=CooperationRecordPage.objects.first(), restriction_type="login")
    assert client.get("/sitemap-entries.xml").status_code == 404
    assert not any(re.search(r"/sitemap-entries", url) for url in locs(client.get("/sitemap.xml").content))


def test_relation_cells_read_a_related_model_again_for_a_record_added_since(loaded):
    """The exports' relation cells read each related model's records once, before the rows; a row naming a
    record added since has that model read again (here one forgotten, as if added after the read)."""
    from partnership.models import Area, Programme
    from partnership.serializers import _RelationCells

    cells = _RelationCells(CooperationEntry, as_json=False)
    with CaptureQueriesContext(connection) as context:
        cells.read_records()
    assert len(context.captured_queries) == 3  # areas, programmes, places (beneficiaries are places)
    area, programme = Area.objects.order_by("pk").first(), Programme.objects.order_by("pk").first()
    del cells.records[Area][area.pk]
    with CaptureQueriesContext(connection) as context:
        written = cells[f"{area.pk * 4},{programme.pk * 4 + 1}"]
    assert len(context.captured_queries) == 1  # the areas again
    assert written == (area.slug, programme.slug, "", "")
    assert cells[None] == cells[""] == ("", "", "", "")
