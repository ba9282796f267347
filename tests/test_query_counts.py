"""SQL queries per public URL: pinned, each with what it is for, and identical with 1,000 more entries.

The routing (HomePage.route) finds a page in two queries whatever its depth and learns on the way
whether any page on the path is private; these tests also prove it serves, refuses and protects
exactly as Wagtail's own walk would.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageViewRestriction

from cms.models import CooperationRecordPage, PartnerPage, PartnersIndexPage

from .test_pages import add_entries

pytestmark = pytest.mark.django_db

# Every request starts with: 1 the Site for the host; 2 the active Locale; 3 the home page as
# its specific type (Wagtail's routing). Pages below the home page then cost: 4 every page on the
# path, with whether any is private (HomePage.route); 5 the page found, as its specific type.
ROUTED = 5
# Every HTML page adds, for its header: the organisation's settings (name, logo: Wagtail site
# settings) and the main navigation (the home page's live children shown in menus).
HEADER = 2
PINNED = {
    # + 6 the view restrictions of the home page; 7 the live partner pages; 8 the latest entries.
    "/": 8 + HEADER,
    # + 6 the live partner pages with their partner and framework; 7 the record page's URL.
    "/partners/": 7 + HEADER,
    # + 6 the partner's live entries; 7-9 their areas, programmes and places; 10 the record page's
    # URL; 11 the areas named by the page's entry blocks. (The partner, framework and photo come
    # with the page; the breadcrumbs reuse the pages on the path.)
    "/partners/japan/": ROUTED + 6 + HEADER,
    # + 6 every facet's options (one UNION); 7 the facet counts (one UNION, which also gives the
    # total); 8 one page of entries; 9-10 their areas and programmes.
    "/cooperation/": ROUTED + 5 + HEADER,
    "/cooperation/?area=maritime-security&kind=post&kind=exercise&sort=title": ROUTED + 5 + HEADER,
    "/cooperation/?partner=japan&area=cyber-defence&programme=nope&q=japan&page=99": ROUTED + 5 + HEADER,
    # + 6 the entry; 7-10 its areas, programmes, places and beneficiaries; 11 its partner's page;
    # 12 related entries.
    "/cooperation/japan-liaison-officer-maritime-command/": ROUTED + 7 + HEADER,
    # Files under the record page (cms.views.record_file) are routed the same way (1-5), then:
    # 6 facet options (they validate the filters); 7 the entries, streamed in batches of 500;
    # 8-11 the batch's areas, programmes, places and beneficiaries. See the export test below.
    "/cooperation/export.csv": ROUTED + 6,
    "/cooperation/export.json": ROUTED + 6,
    # + 6 options; 7 the feed's entries with their partner.
    "/cooperation/feed.atom": 6,
    # + 6 options; 7 the partner; 8 its entries.
    "/cooperation/feeds/japan.atom": 7,
    # The API: no page routing. 1 options; 2 count; 3 the entries; 4-7 their relations; …
    # + 1 whether the record page is public (its entries are served only while it is).
    "/api/v2/entries/?partner=japan&limit=20": 10,
    "/search/?q=japan": 4 + 1 + HEADER,  # + 1 the Site for the host (no page routing found it)
    "/sitemap.xml": 11,
}


EXPORTS = ["/cooperation/export.csv", "/cooperation/export.json"]
EXPORT_BATCH_QUERIES = 4  # each further batch of 500 entries: its four relations


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
def test_exports_cost_a_fixed_number_of_queries_per_batch_of_500(client, loaded, url):
    """Streamed in batches so that memory stays flat: the count grows with batches, not with rows."""
    count_queries(client, url)  # warm Wagtail's caches
    assert count_queries(client, url) == PINNED[url]
    add_entries(1000)  # 1,024 entries: three batches
    assert count_queries(client, url) == PINNED[url] + 2 * EXPORT_BATCH_QUERIES


def test_no_public_page_costs_more_than_fourteen_queries():
    """Twelve for what a page shows, two for the header every page shares (HEADER)."""
    assert max(PINNED.values()) <= 14


# --- Routing: what Wagtail's walk does, in fewer queries ------------------------------------------


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


def test_a_draft_page_is_not_served(client, loaded):
    PartnerPage.objects.get(slug="japan").unpublish()
    assert client.get("/partners/japan/").status_code == 404


def test_only_pages_under_the_sites_root_are_found(client, loaded):
    """A page elsewhere in the tree with a matching URL path is not this site's."""
    root = Page.get_first_root_node()
    other_home = root.add_child(instance=Page(title="Other site", slug="other-home"))
    other_home.add_child(instance=Page(title="Secret", slug="secret"))
    assert client.get("/secret/").status_code == 404
    assert client.get("/other-home/secret/").status_code == 404


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
