"""SQL queries per public URL: pinned, each with what it is for, and identical with 1,000 more entries.

Pages are found by Wagtail's routing (``Page.route``), each level below the home page read as its own
type in one query (``cms.models.SitePage.routed_child``; Wagtail's own reads a Page, then its specific page),
and checked by Wagtail's own privacy check (``Page.get_view_restrictions``, run by its
``before_serve_page`` hook: two queries); these tests also prove it serves, refuses and protects
the site's pages as expected.
"""

from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageViewRestriction

from cms.demo_data import DEMO_SOURCE_SLUG, generate_demo_data
from cms.models import CooperationRecordPage, PartnerPage, PartnersIndexPage
from partnership.models import Partner
from tests.cms.french import ENTRY_FR, JAPAN_FR, PARTNERS_FR, RECORD_FR, add_french
from tests.cms.test_models import add_entries

pytestmark = pytest.mark.django_db

# Every page request starts with: 1 the Site for the host; 2 the active Locale; 3 the home page as
# its specific type. The routing then costs, for each level below the home page, the child page by
# its slug as its specific type (cms.models.SitePage.routed_child); Wagtail's privacy check, the
# pages above the page found (whether any is an alias) and the view restrictions on them and on the page.
PRIVACY = 2
ONE_LEVEL = 3 + 1 + PRIVACY  # 1-3, 4 the page one level down, 5-6 the privacy check
# Every HTML page adds, for its header: the organisation's settings (name, logo: Wagtail site
# settings) and the main navigation (the home page's live children shown in menus).
HEADER = 2
# Every page adds, for the language switcher and the head's hreflang links (cms_tags.language_links):
# the page's live, public translations and the home pages of every language (one query); an
# entry's page one more, the entry's translations.
LANGUAGES = 1
# The exports on PostgreSQL turn off JIT compilation for their lines' query (one query): see PINNED below.
EXPORT_JIT_OFF = 1 if connection.vendor == "postgresql" else 0
PINNED = {
    # 1-3, 4-5 the privacy check; 6 the record page's URL and privacy; 7 the latest entries; 8 the
    # live, public partner pages (their view restrictions a subquery: cms.models.live_partner_pages).
    "/": 3 + PRIVACY + 3 + HEADER + LANGUAGES,
    # 1-6; 7 the breadcrumbs (the page's ancestors); 8 the live, public partner pages with their
    # partner and framework.
    "/partners/": ONE_LEVEL + 2 + HEADER + LANGUAGES,
    # 1-4 as above, 5 the partner page with its partner, framework and photo (PartnerPage.routed_with);
    # 6-7 the privacy check; 8 the record page's URL and privacy; 9 the partner's live entries;
    # 10-12 their areas, programmes and places; 13 the areas named by the page's entry blocks; 14 the
    # breadcrumbs.
    "/partners/japan/": ONE_LEVEL + 1 + 7 + HEADER + LANGUAGES,
    # 1-6; 7 the record's version (whether this process's facet index is current: partnership.facet_index);
    # 8 the breadcrumbs; 9 one page of entries (by primary key, from the index; in another sort than the
    # default, the page in SQL's order); 10-11 their areas and programmes. The facets' options (read once
    # for the index's version: FacetIndex.derived), counts, total and charts come from the index: no query.
    "/cooperation/": ONE_LEVEL + 5 + HEADER + LANGUAGES,
    "/cooperation/?area=maritime-security&kind=post&kind=exercise&sort=title": ONE_LEVEL + 5 + HEADER + LANGUAGES,
    # + 1 the keys of the entries matching the words searched (the index holds no text).
    "/cooperation/?partner=japan&area=cyber-defence&programme=nope&q=japan&page=99": ONE_LEVEL + 6 + HEADER + LANGUAGES,
    # 1-6; 7 the entry; 8-11 its areas, programmes, places and beneficiaries; 12 its partner's
    # page; 13 related entries; 14 the breadcrumbs (the record page's ancestors).
    # + 2 the language links: the record page's translations and homes, the entry's translations.
    "/cooperation/japan-liaison-officer-maritime-command/": ONE_LEVEL + 8 + HEADER + LANGUAGES + 1,
    # Files under the record page (Wagtail's serve view, see cms/urls.py) are routed and checked the same way
    # (1-6), then: 7 the record's version (the facet index, which tells which records published entries
    # name, is current, and holds the facets' options, which validate the filters); 8 the areas' pks and
    # slugs in name order, 9 the programmes', 10 the places' (the relations' cells,
    # partnership.serializers.export_lines); 11 the entries' lines, written by the database with their
    # relations' pks, read from one cursor a batch at a time. No query a batch. See the export test below.
    # On PostgreSQL one more, before 11: ``SET LOCAL jit = off`` (partnership.serializers.export_lines).
    "/cooperation/export.csv": ONE_LEVEL + 5 + EXPORT_JIT_OFF,
    "/cooperation/export.json": ONE_LEVEL + 5 + EXPORT_JIT_OFF,
    # 1-6; 7 the organisation's settings (the feed's author); 8 the feed's entries with their partner.
    "/cooperation/feed.atom": ONE_LEVEL + 2,
    # 1-6; 7 the partner; 8 the organisation's settings; 9 its entries.
    "/cooperation/feeds/japan.atom": ONE_LEVEL + 3,
    # The API: no page routing. 1 whether the record pages are public (their entries are served only while
    # they are); 2 the record's version (the facet index, as /cooperation/'s: it gives the total and the
    # page's pks, no count; and the filters' options, FacetIndex.derived); 3 the page of entries by pk;
    # 4-7 their relations; 8 the Site (the URLs' host).
    "/api/v2/entries/?partner=japan&limit=20": 8,
    # + 1 the Site for the host (no page routing found it); + 1 the active Locale, whose pages and
    # entries alone are searched (the language links cost none here: search is in every language); + 1 the
    # partners of the entries found (cms.views.search: joined to the ranked entries, PostgreSQL planned badly).
    "/search/?q=japan": 4 + 1 + HEADER + 1 + 1,
    # 1 the record pages (record_links); 2 the Site; 3 its root page's translations; 4-5 how many pages and
    # entries are listed (one sitemap or an index?); 6 the pages' translations (hreflang); 7 the pages
    # counted again by Wagtail's sitemap; 8-12 the pages, then their specific fields (one query a page
    # type); 13 the entries (a page of them); 14 their translations.
    "/sitemap.xml": 14,
    # A route of the partners index (cms.compare), 1-6 as "/partners/"; 7 the record page's URL and
    # privacy; 8 the partner pages that may be compared (the form's choices, with partner and
    # framework); 9 the breadcrumbs; 10 the chosen partner's translations, for the language switcher's
    # link to the same start in the other language. With one partner chosen there is nothing to compare yet.
    "/partners/compare/?partner=japan": ONE_LEVEL + 4 + HEADER + LANGUAGES,
}
# Comparing two to four partners adds to the above: 11 the record's version (its facet index gives the
# counts by partner × area, kind and programme); 12 the areas' and programmes' names and the areas each
# partner declares (one UNION ALL); 13 each partner's latest milestones; 14 its latest amounts stated
# (the partners' translations, 10 above, are the compared partners').
COMPARE = ONE_LEVEL + 8 + HEADER + LANGUAGES


RECORD_URLS = [url for url in PINNED if url.startswith("/cooperation/?") or url == "/cooperation/"]


# After any change to the entries, the first request in each process rebuilds the record's facet index:
# the published entries (bit positions, partner, kind, years), then their areas, programmes and beneficiaries;
# then reads the records the facets offer (FacetIndex.derived, once for the new version).
INDEX_BUILT = 5
# …and, for the language switcher, each facet of records chosen in the URL (partner, area…) in every language
# (CooperationEntryFilter.record_translations, once for the new version too).
RECORD_FACETS = ("partner", "area", "programme", "beneficiary")


def chosen_record_facets(url):
    return len({name for name, _value in parse_qsl(urlsplit(url).query)} & set(RECORD_FACETS))


@pytest.mark.parametrize("url", RECORD_URLS)
def test_the_records_counts_and_charts_cost_the_same_queries_with_10_and_200_entries(client, loaded, url):
    """The record's counts and pictures come from its facet index, so a record of 10 generated entries
    (over 10 years) and one of 200 (over 20) cost the same: the pinned queries, and five more on the
    first request after the entries changed (the index rebuilt, and what is read once for it), whatever
    their number."""
    add_entries(10)
    client.get(url)  # warm Wagtail's caches
    with_10 = count_queries(client, url)
    add_entries(190, offset=10)
    assert count_queries(client, url) == with_10 + INDEX_BUILT + chosen_record_facets(url)
    assert count_queries(client, url) == with_10 == PINNED[url]


EXPORTS = ["/cooperation/export.csv", "/cooperation/export.json"]
EXPORT_BATCH_QUERIES = 0  # each further batch of entries: none (the relations are read with the rows)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)
    return len(context.captured_queries)


@pytest.mark.parametrize("url", [url for url in PINNED if url not in EXPORTS])
def test_query_counts_are_pinned_and_do_not_grow_with_1000_entries(client, loaded, url):
    client.get(url)  # warm Wagtail's site and rendition caches, as any running server has
    assert count_queries(client, url) == PINNED[url]
    add_entries(1000)
    client.get(url)
    assert count_queries(client, url) == PINNED[url], f"{url} costs more queries with 1,000 more entries"


@pytest.mark.parametrize("url", EXPORTS)
def test_exports_cost_a_fixed_number_of_queries_per_batch(client, loaded, url, monkeypatch):
    """Streamed in batches so that memory stays flat; the count does not grow with batches or rows
    (batches of 100 here, so that 1,024 entries make eleven)."""
    monkeypatch.setattr("cms.exports.EXPORT_BATCH", 100)
    count_queries(client, url)  # warm Wagtail's caches
    assert count_queries(client, url) == PINNED[url]  # 24 entries: one batch
    add_entries(1000)
    count_queries(client, url)  # the first request after a change rebuilds the facet index (test_facet_index)
    assert count_queries(client, url) == PINNED[url] + 10 * EXPORT_BATCH_QUERIES


def comparisons():
    """The URLs comparing Japan with one demo partner, and with three; each checked to compare them all."""
    others = list(Partner.objects.filter(source__slug=DEMO_SOURCE_SLUG).values_list("slug", flat=True))
    two = f"/partners/compare/?partner=japan&partner={others[0]}"
    four = f"/partners/compare/?partner=japan&{'&'.join(f'partner={slug}' for slug in others)}"
    return two, four


def test_comparing_partners_costs_the_same_with_more_entries_and_with_four_partners(client, loaded):
    generate_demo_data(partners=3, entries=30, seed=17)
    two, four = comparisons()
    client.get(two)  # warm Wagtail's caches
    assert count_queries(client, two) == COMPARE
    assert count_queries(client, four) == COMPARE
    add_entries(1000)  # Japan's
    generate_demo_data(partners=3, entries=900, seed=18, replace=True)
    two, four = comparisons()
    for url, columns in ((two, 2), (four, 4)):
        soup = BeautifulSoup(client.get(url).content, "html.parser")
        assert len(soup.select(".compare-table thead th")) == 6 * columns, url  # all six tables, every partner
        assert count_queries(client, url) == COMPARE, f"{url} costs more queries with more entries"


# The same URLs in French (tests/cms/french.py makes the French pages and an entry) cost the same, and
# two queries of routing more, whatever the URL: Wagtail's routing finds the site's root page in the
# active language (``root_page.localized``: its translation), and cms.wagtail_hooks checks that the
# page found is in the URL's language (the page's Locale).
FRENCH_ROUTING = 2
FRENCH_URLS = {
    "/": "/fr/",
    "/partners/": f"/fr/{PARTNERS_FR}/",
    "/partners/japan/": f"/fr/{PARTNERS_FR}/{JAPAN_FR}/",
    "/cooperation/": f"/fr/{RECORD_FR}/",
    "/cooperation/?area=maritime-security&kind=post&kind=exercise&sort=title": (
        f"/fr/{RECORD_FR}/?area=maritime-security-fr&kind=post&kind=exercise&sort=title"
    ),
    "/cooperation/japan-liaison-officer-maritime-command/": f"/fr/{RECORD_FR}/{ENTRY_FR}/",
    "/cooperation/export.csv": f"/fr/{RECORD_FR}/export.csv",
    "/cooperation/export.json": f"/fr/{RECORD_FR}/export.json",
    "/cooperation/feed.atom": f"/fr/{RECORD_FR}/feed.atom",
    "/cooperation/feeds/japan.atom": f"/fr/{RECORD_FR}/feeds/{JAPAN_FR}.atom",
    "/search/?q=japan": "/fr/search/?q=japon",
    "/partners/compare/?partner=japan": f"/fr/{PARTNERS_FR}/compare/?partner={JAPAN_FR}",
}


@pytest.mark.parametrize(("english", "french"), FRENCH_URLS.items(), ids=FRENCH_URLS.values())
def test_french_urls_cost_the_queries_english_ones_do(client, loaded, english, french):
    add_french()
    for url in (english, french):
        count_queries(client, url)  # warm Wagtail's caches
    assert count_queries(client, english) == PINNED[english]
    expected = PINNED[english] + (FRENCH_ROUTING if not english.startswith("/search/") else 0)
    assert count_queries(client, french) == expected, f"{french} costs other queries than {english}"


# --- Routing and privacy: Wagtail's, on the site's pages ------------------------------------------


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/partners/japan/", 200),
        ("/partners/japan/nothing-here/", 404),
        ("/partners/atlantis/", 404),
        ("/nowhere/", 404),
        ("/nowhere/at/all/", 404),
        ("/cooperation/japan-liaison-officer-maritime-command/", 200),
        ("/cooperation/no-such-entry/", 404),
        ("/cooperation/japan-liaison-officer-maritime-command/extra/", 404),
    ],
)
def test_routing_finds_pages_and_refuses_the_rest(client, loaded, url, status):
    assert client.get(url).status_code == status


@pytest.mark.parametrize(
    "url",
    [
        "/" + "a/" * 2000,
        "/partners/japan/" + "x/" * 2000,
        "/cooperation/" + "x/" * 2000,
        "/partners/" + "x" * 20_000 + "/",
    ],
    ids=["deep from the home page", "deep under a page", "deep under the record", "one huge slug"],
)
def test_deep_and_huge_urls_are_a_404_in_a_few_queries(client, loaded, url):
    """Wagtail's walk stops at the first slug that names no child page, so a deep URL costs no more
    than the site's own depth, and is a 404 (never a 500)."""
    client.get("/nowhere/")  # warm Wagtail's site caches, as any running server has
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 404
    # 1-3 as every request; 4-7 two levels down (the child by its slug, then as its specific type);
    # 8 the slug that names no child. The 404 page: its header (HEADER), its link to the partners
    # index, and Wagtail's redirects middleware looking the path up.
    assert len(context.captured_queries) <= 8 + HEADER + 2


def test_a_draft_page_is_not_served(client, loaded):
    PartnerPage.objects.get(slug="japan").unpublish()
    assert client.get("/partners/japan/").status_code == 404


def test_a_child_of_the_partners_index_of_another_type_is_found_as_wagtail_finds_it(client, loaded):
    """The index reads its partner pages as such, in one query (cms.models.SitePage.route); subpage_types
    are the admin's rule, not the tree's, so a page of another type under it is still Wagtail's to find."""
    PartnersIndexPage.objects.get().add_child(instance=Page(title="About our partners", slug="about"))
    response = client.get("/partners/about/")
    assert response.status_code == 200 and "About our partners" in response.content.decode()
    assert client.get("/partners/japan/").status_code == 200


def test_only_pages_under_the_sites_root_are_found(client, loaded):
    """A page elsewhere in the tree with a matching URL path is not this site's."""
    root = Page.get_first_root_node()
    other_home = root.add_child(instance=Page(title="Other site", slug="other-home"))
    other_home.add_child(instance=Page(title="Secret", slug="secret"))
    assert client.get("/secret/").status_code == 404
    assert client.get("/other-home/secret/").status_code == 404


@pytest.mark.parametrize("restricted", [PartnerPage, PartnersIndexPage], ids=["the page", "its parent"])
def test_a_private_partner_page_is_listed_on_neither_the_home_page_nor_the_partners_index(client, loaded, restricted):
    """Lists of partner pages leave out those a view restriction covers, on the page or above it (the
    restriction a subquery of the list's query: cms.models.live_partner_pages)."""

    def links_to_japan(url):
        soup = BeautifulSoup(client.get(url).content, "html.parser")
        return soup.select('main a[href="/partners/japan/"]')

    assert links_to_japan("/") and links_to_japan("/partners/")
    PageViewRestriction.objects.create(page=restricted.objects.get(), restriction_type=PageViewRestriction.LOGIN)
    assert not links_to_japan("/")
    if restricted is PartnerPage:
        assert not links_to_japan("/partners/")


@pytest.mark.parametrize(
    ("restricted", "url"),
    [
        (PartnerPage, "/partners/japan/"),
        (PartnersIndexPage, "/partners/japan/"),
        (CooperationRecordPage, "/cooperation/"),
        (CooperationRecordPage, "/cooperation/japan-liaison-officer-maritime-command/"),
    ],
    ids=["the page itself", "an ancestor", "the record", "an entry under the record"],
)
def test_private_pages_and_what_lies_under_them_stay_private(client, loaded, restricted, url):
    page = restricted.objects.get()
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    password = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="a-long-password-9"
    )
    PageViewRestriction.objects.exclude(pk=password.pk).delete()
    response = client.get(url)
    assert response.status_code == 200
    assert "password" in response.content.decode().lower()
    assert "Maritime Command" not in response.content.decode()
