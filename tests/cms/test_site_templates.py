"""What every public page shares: the header's brand and menu (the organisation's settings and the
page tree), the links to the site's own pages (never hard-coded), and one pagination."""

import pytest
from bs4 import BeautifulSoup
from wagtail.models import Site

from cms.models import CooperationRecordPage, OrganisationSettings, PartnersIndexPage

pytestmark = pytest.mark.django_db

PUBLIC_URLS = ["/", "/partners/", "/partners/japan/", "/cooperation/", "/search/?q=japan", "/nowhere/"]


def soup_of(client, url):
    return BeautifulSoup(client.get(url).content, "html.parser")


def menu(soup):
    return [(a.get_text(strip=True), a["href"], a.get("aria-current")) for a in soup.select(".site-nav a")]


# --- The organisation's brand -------------------------------------------------------------------


def test_the_public_brand_is_the_organisations_never_the_softwares(client, loaded):
    for url in PUBLIC_URLS:
        html = client.get(url).content.decode()
        assert "Partnership CMS" not in html, url
        soup = BeautifulSoup(html, "html.parser")
        assert soup.select_one(".site-name").get_text(strip=True) == "NATO", url
        assert soup.title.get_text().endswith(" | NATO"), url


def test_editors_rename_the_organisation_in_its_site_settings(client, loaded):
    settings = OrganisationSettings.for_site(Site.objects.get(is_default_site=True))
    settings.name, settings.short_name = "North Atlantic Treaty Organization", "NATO"
    settings.save()
    soup = soup_of(client, "/partners/japan/")
    assert soup.select_one(".site-name").get_text(strip=True) == "North Atlantic Treaty Organization"
    assert soup.title.get_text().endswith(" | NATO")  # the short name ends the <title>
    assert soup.select_one('meta[property="og:site_name"]')["content"] == "North Atlantic Treaty Organization"
    assert "North Atlantic Treaty Organization with its partner countries" in soup.select_one(".site-footer").get_text()
    settings.short_name = ""
    settings.save()
    assert soup_of(client, "/").title.get_text().endswith(" | North Atlantic Treaty Organization")


def test_the_logo_is_shown_beside_the_name_when_there_is_one(client, loaded):
    from wagtail.images import get_image_model

    settings = OrganisationSettings.for_site(Site.objects.get(is_default_site=True))
    assert soup_of(client, "/").select_one(".site-name img") is None
    settings.logo = get_image_model().objects.first()
    settings.save()
    brand = soup_of(client, "/").select_one(".site-name")
    assert brand.img["alt"] == ""  # the name beside it says it all
    assert brand.img["class"] == ["site-name__logo"] and brand.get_text(strip=True) == "NATO"


# --- Navigation from the page tree --------------------------------------------------------------


def test_the_menu_is_the_home_pages_children_shown_in_menus_then_search(client, loaded):
    assert menu(soup_of(client, "/")) == [
        ("Partners", "/partners/", None),
        ("Record of cooperation", "/cooperation/", None),
        ("Search", "/search/", None),
    ]
    record = CooperationRecordPage.objects.get()
    record.title = "Cooperation record"
    record.save_revision().publish()
    index = PartnersIndexPage.objects.get()
    index.show_in_menus = False
    index.save_revision().publish()
    assert menu(soup_of(client, "/")) == [("Cooperation record", "/cooperation/", None), ("Search", "/search/", None)]


def test_the_menu_marks_the_section_the_reader_is_in(client, loaded):
    assert [item[2] for item in menu(soup_of(client, "/partners/japan/"))] == ["page", None, None]
    entry = "/cooperation/japan-liaison-officer-maritime-command/"
    assert [item[2] for item in menu(soup_of(client, entry))] == [None, "page", None]
    assert [item[2] for item in menu(soup_of(client, "/search/?q=japan"))] == [None, None, "page"]


def test_the_brand_links_to_the_sites_home_page_wherever_it_is(client, loaded):
    """The links follow the page tree: move the record and the menu and the search page's link follow."""
    record = CooperationRecordPage.objects.get()
    record.slug = "record"
    record.save_revision().publish()
    soup = soup_of(client, "/search/?q=nothing-at-all-here")
    assert soup.select_one(".site-name")["href"] == "/"
    assert ("Record of cooperation", "/record/", None) in menu(soup)
    assert soup.select_one("main p a")["href"] == "/record/"  # "browse the record of cooperation"


def test_the_404_page_links_to_the_home_page_and_the_partners_index_found_in_the_tree(client, loaded):
    response = client.get("/nowhere/")
    assert response.status_code == 404
    links = [a["href"] for a in BeautifulSoup(response.content, "html.parser").select("main a")]
    assert links == ["/", "/partners/"]
    PartnersIndexPage.objects.get().unpublish()
    links = [a["href"] for a in soup_of(client, "/nowhere/").select("main a")]
    assert links == ["/"]  # no link to a page that is not live


def test_the_entry_breadcrumbs_run_from_the_home_page_through_the_record(client, loaded):
    soup = soup_of(client, "/cooperation/japan-liaison-officer-maritime-command/")
    trail = [(a.get_text(), a["href"], a.get("aria-current")) for a in soup.select(".breadcrumbs a")]
    assert trail == [
        ("Home", "/", None),
        ("Record of cooperation", "/cooperation/", None),
        (
            "Liaison officer to NATO’s Maritime Command",
            "/cooperation/japan-liaison-officer-maritime-command/",
            "page",
        ),
    ]


# --- One pagination -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_url", "page_href"), [("/search/?q=japan", "?q=japan&page="), ("/cooperation/", "?page=")]
)
def test_every_paginated_list_has_the_same_accessible_pagination(client, loaded, first_url, page_href):
    """Search (25 results for "japan") and the record (more than 20 entries): two pages of 20 each."""
    separator = "&" if "?" in first_url else "?"
    first = soup_of(client, first_url).select_one("nav.pagination")
    second = soup_of(client, f"{first_url}{separator}page=2").select_one("nav.pagination")
    assert first["aria-label"] == "Pages of results" and second["aria-label"] == "Pages of results"
    assert first.select_one("[rel=prev]") is None
    assert first.select_one("[rel=next]")["href"] == f"{page_href}2"
    assert first.select_one('[aria-current="page"]')["href"] == f"{page_href}1"
    assert first.select_one('[aria-current="page"]').get_text() == "Page 1"
    assert second.select_one("[rel=prev]")["href"] == f"{page_href}1"
    assert second.select_one('[aria-current="page"]')["href"] == f"{page_href}2"
    assert second.select_one("[rel=next]") is None


def test_robots_txt_follows_the_url_configuration_and_the_page_tree(client, loaded):
    assert client.get("/robots.txt").content.decode() == (
        "User-agent: *\nDisallow: /admin/\nDisallow: /search/\nDisallow: /fr/search/\nDisallow: /api/v2/\n"
        "Disallow: /cooperation/export.\n"
        "\nSitemap: http://testserver/sitemap.xml\n"
    )
    record = CooperationRecordPage.objects.get()
    record.slug = "record"
    record.save_revision().publish()
    assert "\nDisallow: /record/export.\n" in client.get("/robots.txt").content.decode()


def test_reading_a_public_page_writes_nothing(client, loaded):
    """Each site has its organisation settings once saved (Wagtail's for_request would create them)."""
    other = Site.objects.create(hostname="127.0.0.1", root_page=Site.objects.get().root_page)
    assert OrganisationSettings.objects.filter(site=other).exists()
    count = OrganisationSettings.objects.count()
    assert client.get("/partners/", HTTP_HOST="127.0.0.1").status_code == 200
    assert OrganisationSettings.objects.count() == count
