"""Every public surface in both languages: each lists only its language's items, each at its URL in
that language, and readers can switch between the two (issue 15, parts 4 and 5).

French content is made in each test with Wagtail's ``copy_for_translation`` (tests/cms/french.py):
French home, partners index, Japan's page and record page (/fr/cooperation-fr/), and one French
entry, translated from an English one; another English entry has no translation.
"""

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.utils import translation

from partnership.currencies import format_amount
from partnership.dates import FuzzyDate, format_period, parse_period
from partnership.models import CooperationEntry
from tests.cms.french import ENTRY_EN, ENTRY_FR, ENTRY_FR_TITLE, JAPAN_FR, RECORD_FR, add_french

pytestmark = pytest.mark.django_db

EN_RECORD = "/cooperation/"
FR_RECORD = f"/fr/{RECORD_FR}/"
EN_ENTRY = f"{EN_RECORD}{ENTRY_EN}/"
FR_ENTRY = f"{FR_RECORD}{ENTRY_FR}/"
UNTRANSLATED = "japan-initial-contacts"  # an English entry without a French translation
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture
def french(loaded):
    return add_french()


def body(response):
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode()


def soup(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.content, "html.parser")


# --- The record, its facets and its entries --------------------------------------------------------


def test_the_french_record_lists_french_entries_and_offers_french_records_as_facets(client, french):
    page = soup(client, FR_RECORD)
    titles = [a.get_text(strip=True) for a in page.select(".entry-list a, .results a") if ENTRY_FR in a["href"]]
    assert titles == [ENTRY_FR_TITLE]
    links = {a["href"] for a in page.select("main a")}
    assert f"{FR_RECORD}{ENTRY_FR}/" in links
    assert not any(ENTRY_EN in link or link.startswith(EN_RECORD) for link in links)
    partner_values = {box["value"] for box in page.select('input[name="partner"]')}
    area_values = {box["value"] for box in page.select('input[name="area"]')}
    assert partner_values == {JAPAN_FR}
    assert area_values == {"maritime-security-fr", "capabilities-and-interoperability-fr"}


def test_the_english_record_offers_no_french_record_or_entry(client, french):
    page = soup(client, EN_RECORD)
    assert JAPAN_FR not in {box["value"] for box in page.select('input[name="partner"]')}
    assert not any(value.endswith("-fr") for value in (box["value"] for box in page.select('input[name="area"]')))
    assert ENTRY_FR not in str(page)


def test_filters_take_the_slugs_of_the_records_language(client, french):
    page = soup(client, f"{FR_RECORD}?partner={JAPAN_FR}&area=maritime-security-fr")
    assert FR_ENTRY in {a["href"] for a in page.select("main a")}
    page = soup(client, f"{FR_RECORD}?partner=japan")  # the English slug names no French partner
    assert "japan" in page.select_one(".notice").get_text()
    assert FR_ENTRY in {a["href"] for a in page.select("main a")}  # the bad filter is left out
    english = soup(client, f"{EN_RECORD}?partner={JAPAN_FR}")
    assert ENTRY_FR not in str(english.select_one("main"))


@pytest.mark.parametrize(
    ("url", "status"),
    [(FR_ENTRY, 200), (EN_ENTRY, 200), (f"{EN_RECORD}{ENTRY_FR}/", 404), (f"{FR_RECORD}{ENTRY_EN}/", 404)],
    ids=["french at french", "english at english", "french at english", "english at french"],
)
def test_an_entry_opens_only_under_the_record_of_its_language(client, french, url, status):
    assert client.get(url).status_code == status


def test_the_french_entry_page_is_french(client, french):
    page = soup(client, FR_ENTRY)
    assert page.html["lang"] == "fr"
    assert page.h1.get_text(strip=True) == ENTRY_FR_TITLE
    text = page.select_one("main").get_text(" ", strip=True)
    assert "Avril 2013" in text or "avril 2013" in text  # Babel's French month
    assert "5 milliards\u00a0USD" in text
    crumbs = [a.get_text(strip=True) for a in page.select(".breadcrumbs a")]
    assert crumbs[1:] == ["Coopération", ENTRY_FR_TITLE]


def test_the_source_quote_from_an_english_document_says_it_is_english(client, french):
    quote = soup(client, FR_ENTRY).select_one("figure.quote")
    assert quote.get("lang") == "en"
    assert soup(client, EN_ENTRY).select_one("figure.quote").get("lang") is None


# --- Exports and feeds --------------------------------------------------------------------------


def test_the_french_csv_export_has_the_french_rows_at_french_urls(client, french):
    rows = list(csv.DictReader(io.StringIO(body(client.get(f"{FR_RECORD}export.csv")).lstrip("\ufeff"))))
    assert [row["slug"] for row in rows] == [ENTRY_FR]
    assert rows[0]["url"] == f"http://testserver{FR_ENTRY}"
    assert rows[0]["partner"] == JAPAN_FR
    english = list(csv.DictReader(io.StringIO(body(client.get(f"{EN_RECORD}export.csv")).lstrip("\ufeff"))))
    assert ENTRY_FR not in {row["slug"] for row in english}
    assert all(row["url"].startswith(f"http://testserver{EN_RECORD}") for row in english)


def test_the_french_json_export_has_the_french_rows(client, french):
    data = json.loads(body(client.get(f"{FR_RECORD}export.json")))
    assert [(entry["slug"], entry["url"]) for entry in data["entries"]] == [(ENTRY_FR, f"http://testserver{FR_ENTRY}")]
    response = client.get(f"{FR_RECORD}export.json?partner=japan")
    assert response.status_code == 400
    assert "partner" in json.loads(response.content)["errors"]


def test_each_language_has_its_feed(client, french):
    french_feed = ElementTree.fromstring(body(client.get(f"{FR_RECORD}feed.atom")))
    assert french_feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    links = [entry.find(f"{ATOM}link").get("href") for entry in french_feed.iter(f"{ATOM}entry")]
    assert links == [f"http://testserver{FR_ENTRY}"]
    english_feed = ElementTree.fromstring(body(client.get(f"{EN_RECORD}feed.atom")))
    assert english_feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    english_links = [entry.find(f"{ATOM}link").get("href") for entry in english_feed.iter(f"{ATOM}entry")]
    assert english_links and all(link.startswith(f"http://testserver{EN_RECORD}") for link in english_links)
    partner_feed = ElementTree.fromstring(body(client.get(f"{FR_RECORD}feeds/{JAPAN_FR}.atom")))
    assert [e.find(f"{ATOM}link").get("href") for e in partner_feed.iter(f"{ATOM}entry")] == [
        f"http://testserver{FR_ENTRY}"
    ]
    assert client.get(f"{FR_RECORD}feeds/japan.atom").status_code == 404  # the English partner's slug


# --- The API --------------------------------------------------------------------------------------


def test_the_api_filters_entries_by_locale_and_gives_each_its_own_url(client, french):
    data = client.get("/api/v2/entries/?locale=fr").json()
    assert [(item["slug"], item["meta"]["html_url"]) for item in data["items"]] == [
        (ENTRY_FR, f"http://localhost{FR_ENTRY}")
    ]
    english = client.get("/api/v2/entries/?locale=en&limit=100").json()["items"]
    assert ENTRY_FR not in {item["slug"] for item in english}
    assert {item["meta"]["html_url"] for item in english if item["slug"] == ENTRY_EN} == {f"http://localhost{EN_ENTRY}"}
    everything = client.get("/api/v2/entries/?limit=100").json()["items"]
    urls = {item["slug"]: item["meta"]["html_url"] for item in everything}
    assert urls[ENTRY_FR] == f"http://localhost{FR_ENTRY}" and urls[ENTRY_EN] == f"http://localhost{EN_ENTRY}"


def test_the_api_writes_each_entrys_period_in_its_own_language(client, french):
    """The API is not under a language prefix: each entry's period is in the entry's own language."""
    for slug in (ENTRY_EN, ENTRY_FR):
        entry = CooperationEntry.objects.get(slug=slug)
        entry.start_date, entry.start_precision, entry.end_date, entry.ongoing = date(2014, 1, 1), "year", None, True
        entry.save()
    everything = client.get("/api/v2/entries/?limit=100&fields=period").json()["items"]
    periods = {item["slug"]: item["period"] for item in everything}
    assert (periods[ENTRY_EN], periods[ENTRY_FR]) == ("since 2014", "depuis 2014")


def test_the_api_filters_take_the_slugs_of_the_locale(client, french):
    assert client.get(f"/api/v2/entries/?locale=fr&partner={JAPAN_FR}").json()["meta"]["total_count"] == 1
    response = client.get("/api/v2/entries/?locale=fr&partner=japan")
    assert response.status_code == 400 and "partner" in response.json()["message"]
    response = client.get("/api/v2/entries/?locale=xx")
    assert response.status_code == 400 and "locale" in response.json()["message"]


def test_the_api_lists_pages_of_one_locale(client, french):
    french_pages = client.get("/api/v2/pages/?locale=fr&limit=50").json()["items"]
    assert {item["meta"]["html_url"] for item in french_pages} == {
        "http://localhost/fr/",
        "http://localhost/fr/partenaires/",
        f"http://localhost/fr/partenaires/{JAPAN_FR}/",
        f"http://localhost{FR_RECORD}",
    }


# --- Search ---------------------------------------------------------------------------------------


def search_hits(client, url):
    return [(a.get_text(strip=True), a["href"]) for a in soup(client, url).select("main li a, main .search-results a")]


def test_search_finds_only_the_active_languages_pages_and_entries(client, french):
    hits = search_hits(client, "/fr/search/?q=liaison")
    assert (ENTRY_FR_TITLE, FR_ENTRY) in hits
    assert not any(href.startswith(EN_RECORD) or href.startswith("/partners/") for _title, href in hits)
    english = search_hits(client, "/search/?q=liaison")
    assert any(href == EN_ENTRY for _title, href in english)
    assert not any(href.startswith("/fr/") for _title, href in english)
    pages = search_hits(client, "/fr/search/?q=Japon")
    assert any(href == f"/fr/partenaires/{JAPAN_FR}/" for _title, href in pages)


def test_the_records_own_search_is_in_its_language(client, french):
    page = soup(client, f"{FR_RECORD}?q=liaison")
    assert FR_ENTRY in {a["href"] for a in page.select("main a")}
    assert ENTRY_FR not in str(soup(client, f"{EN_RECORD}?q=liaison").select_one("main"))


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="French stemming is PostgreSQL's (SQLite's FTS5 has none)"
)
def test_french_is_searched_with_french_stemming_on_postgresql(client, french):
    # "coopérer" stems like "coopération" in French only ('cooper'); English leaves both whole.
    hits = search_hits(client, "/fr/search/?q=coopérer")
    assert (ENTRY_FR_TITLE, FR_ENTRY) in hits
    assert search_hits(client, "/search/?q=coopérer") == []


# --- Sitemap --------------------------------------------------------------------------------------


def sitemap_urls(client):
    tree = ElementTree.fromstring(client.get("/sitemap.xml").content)
    return {
        url.find(f"{SITEMAP}loc").text: {link.get("hreflang"): link.get("href") for link in url.iter(f"{XHTML}link")}
        for url in tree.iter(f"{SITEMAP}url")
    }


def test_the_sitemap_lists_each_page_and_entry_at_its_url_with_its_translations(client, french):
    urls = sitemap_urls(client)
    expected = {
        "en": f"http://localhost{EN_ENTRY}",
        "fr": f"http://localhost{FR_ENTRY}",
        "x-default": f"http://localhost{EN_ENTRY}",
    }
    assert urls[f"http://localhost{EN_ENTRY}"] == expected
    assert urls[f"http://localhost{FR_ENTRY}"] == expected
    japan = {"en": "http://localhost/partners/japan/", "fr": f"http://localhost/fr/partenaires/{JAPAN_FR}/"}
    assert urls["http://localhost/partners/japan/"] == {**japan, "x-default": japan["en"]}
    assert urls[japan["fr"]] == {**japan, "x-default": japan["en"]}
    # No translation: Django's i18n sitemap still names the entry's own language (and x-default).
    untranslated = f"http://localhost{EN_RECORD}{UNTRANSLATED}/"
    assert urls[untranslated] == {"en": untranslated, "x-default": untranslated}
    assert f"http://localhost{EN_RECORD}{ENTRY_FR}/" not in urls


def test_every_url_the_sitemap_lists_opens(client, french):
    for url in sitemap_urls(client):
        assert client.get(url.removeprefix("http://localhost")).status_code == 200, url


# --- Home page ------------------------------------------------------------------------------------


def test_the_french_home_page_lists_french_entries_and_pages(client, french):
    page = soup(client, "/fr/")
    links = {a["href"] for a in page.select("main a")}
    assert FR_ENTRY in links
    assert f"/fr/partenaires/{JAPAN_FR}/" in links
    assert not any(link.startswith(EN_RECORD) or link.startswith("/partners/") for link in links)
    english = {a["href"] for a in soup(client, "/").select("main a")}
    assert not any(link.startswith("/fr/") or ENTRY_FR in link for link in english)


# --- The French entry made in the admin: the bug ------------------------------------------------------


ADMIN_ENTRIES = "/admin/snippets/partnership/cooperationentry"
NEW_FR = "japon-nouvelle-entree-amirale"


def test_a_french_entry_is_never_listed_at_an_english_url(client, french, admin_user):
    """Regression: an entry published in French through the admin was listed in the sitemap, search,
    home page and API at /cooperation/<slug>/, a 404. Every URL listed anywhere opens.

    (A new entry is written in English first, then translated: the admin refuses one written in French
    from scratch, tests/cms/test_translations.py.)"""
    from wagtail.models import Locale

    from tests.test_editors import entry_form

    model = CooperationEntry.objects.get(slug=ENTRY_FR)
    english = CooperationEntry.objects.get(translation_key=model.translation_key, locale__language_code="en")
    admin = client.__class__()
    admin.force_login(admin_user)
    data = entry_form(
        english,
        title="New flagship entry",
        slug="japan-new-flagship-entry",
        source_order=999,
        **{"action-publish": "publish"},
    )
    response = admin.post(f"{ADMIN_ENTRIES}/add/?locale=en", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    original = CooperationEntry.objects.get(slug="japan-new-flagship-entry")
    draft = original.copy_for_translation(Locale.objects.get(language_code="fr"))
    draft.slug, draft.title = NEW_FR, "Nouvelle entrée amirale"
    draft.save()
    data = entry_form(
        draft, title="Nouvelle entrée amirale", slug=NEW_FR, source_order=999, **{"action-publish": "publish"}
    )
    response = admin.post(f"{ADMIN_ENTRIES}/edit/{draft.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    created = CooperationEntry.objects.get(slug=NEW_FR)
    assert created.live and created.locale.language_code == "fr"
    wrong = f"{EN_RECORD}{NEW_FR}/"
    listed = [
        *sitemap_urls(client),
        *(href for _title, href in search_hits(client, "/fr/search/?q=amirale")),
        *(a["href"] for a in soup(client, "/fr/").select("main a")),
        *(item["meta"]["html_url"] for item in client.get("/api/v2/entries/?limit=100").json()["items"]),
    ]
    assert f"http://localhost{FR_RECORD}{NEW_FR}/" in listed  # the sitemap, at its French URL
    assert f"{FR_RECORD}{NEW_FR}/" in listed  # search and the home page
    assert not any(url.endswith(wrong) for url in listed)
    for url in listed:
        path = re.sub(r"^https?://[^/]+", "", url)
        assert client.get(path).status_code == 200, url


# --- Switching language ---------------------------------------------------------------------------


def switcher(page):
    return page.select_one(".language-switcher")


@pytest.mark.parametrize(
    ("url", "other"),
    [
        ("/", "/fr/"),
        ("/fr/", "/"),
        ("/partners/japan/", f"/fr/partenaires/{JAPAN_FR}/"),
        (f"/fr/partenaires/{JAPAN_FR}/", "/partners/japan/"),
        (EN_ENTRY, FR_ENTRY),
        (FR_ENTRY, EN_ENTRY),
        # The filters kept: a record chosen by its slug in that language; one with no translation there, and
        # the search words (words of the reader's language), left out.
        (
            f"{EN_RECORD}?kind=post&area=maritime-security&year_from=2000",
            f"{FR_RECORD}?kind=post&area=maritime-security-fr&year_from=2000",
        ),
        (f"{EN_RECORD}?partner=japan&q=liaison", f"{FR_RECORD}?partner={JAPAN_FR}"),
        (
            f"{FR_RECORD}?partner={JAPAN_FR}&kind=post&kind=exercise",
            f"{EN_RECORD}?partner=japan&kind=post&kind=exercise",
        ),
        (f"{EN_RECORD}?area=cyber-defence&area=maritime-security", f"{FR_RECORD}?area=maritime-security-fr"),
        ("/search/?q=japan", "/fr/search/?q=japan"),
    ],
)
def test_the_switcher_links_to_the_same_page_in_the_other_language(client, french, url, other):
    page = soup(client, url)
    link = switcher(page).select_one("a")
    assert link["href"] == other
    assert link["hreflang"] == ("fr" if other.startswith("/fr/") else "en")
    alternates = {link["hreflang"]: link["href"] for link in page.select('head link[rel="alternate"][hreflang]')}
    if not url.startswith("/search/"):
        assert alternates[link["hreflang"]] == f"http://testserver{other}"
        assert alternates[page.html["lang"]] == f"http://testserver{url}"
        assert "x-default" in alternates


def test_the_switcher_says_when_there_is_no_translation_and_links_to_the_other_home(client, french):
    page = soup(client, f"{EN_RECORD}{UNTRANSLATED}/")
    item = switcher(page).select_one("li")
    assert item["lang"] == "fr"
    assert item.select_one("a")["href"] == "/fr/"
    assert item.select_one(".language-switcher__missing").get_text(strip=True)
    assert not page.select('head link[rel="alternate"][hreflang]')


def test_the_switcher_says_so_in_french(client, french):
    """The sentence comes from the French catalogue (locale/fr): it passes once that is merged."""
    page = soup(client, f"{EN_RECORD}{UNTRANSLATED}/")
    assert switcher(page).select_one(".language-switcher__missing").get_text(strip=True) == (
        "Cette page n’existe pas en français."
    )


def test_without_a_french_site_there_is_nothing_to_switch_to(client, loaded):
    """English only (no French home page): no switcher, no hreflang links."""
    page = soup(client, "/partners/japan/")
    assert page.html["lang"] == "en"
    assert switcher(page) is None
    assert not page.select('head link[rel="alternate"][hreflang]')


def test_html_lang_is_the_pages_language(client, french):
    assert soup(client, "/").html["lang"] == "en"
    assert soup(client, FR_RECORD).html["lang"] == "fr"


# --- Dates and amounts --------------------------------------------------------------------------------


def test_english_dates_and_amounts_are_unchanged():
    with translation.override("en"):
        assert format_period(FuzzyDate.parse("April 2013")) == "April 2013"
        assert format_period(FuzzyDate.parse("2014"), ongoing=True) == "since 2014"
        assert format_period(FuzzyDate.parse("early 1990s")) == "the early 1990s"
        assert format_period(FuzzyDate.parse("2009"), FuzzyDate.parse("2013")) == "2009–2013"
        assert format_period(FuzzyDate.parse("April 2013"), FuzzyDate.parse("July 2013")) == "April–July 2013"
        assert str(parse_period("the early 1990s – mid-2000s")) == "the early 1990s – mid-2000s"
        assert format_amount(Decimal("5000000000"), "USD") == "USD 5 billion"


def test_french_dates_from_babel():
    with translation.override("fr"):
        assert format_period(FuzzyDate.parse("April 2013")) == "avril 2013"
        assert format_period(FuzzyDate.parse("12 September 2018")) == "12 septembre 2018"
        assert format_period(FuzzyDate.parse("2009"), FuzzyDate.parse("2013")) == "2009–2013"
        assert format_period(FuzzyDate.parse("April 2013"), FuzzyDate.parse("July 2013")) == "avril–juillet 2013"
        assert format_amount(Decimal("5000000000"), "USD") == "5 milliards\u00a0USD"


def test_french_period_words_from_the_catalogue():
    """ "since", decades: gettext (locale/fr, merged by the integrator)."""
    with translation.override("fr"):
        assert format_period(FuzzyDate.parse("2014"), ongoing=True) == "depuis 2014"
        assert format_period(FuzzyDate.parse("early 1990s")) == "au début des années 1990"
        assert format_period(FuzzyDate.parse("1990s")) == "les années 1990"
        assert format_period(FuzzyDate.parse("early 1990s"), ongoing=True) == "depuis le début des années 1990"
        assert format_period(FuzzyDate.parse("early 1990s"), FuzzyDate.parse("mid-2000s")) == (
            "au début des années 1990 – milieu des années 2000"
        )


def test_the_importer_still_reads_english_whatever_the_language():
    with translation.override("fr"):
        period = parse_period("since April 2013")
        assert period.ongoing and period.start == FuzzyDate.parse("2013-04")
        assert format_period(period.start, period.end, period.ongoing, language="en") == "since April 2013"


def test_the_admins_period_field_is_english_in_a_french_admin(french):
    """The field is read back by the English parser: a French admin still sees (and saves) English."""
    from partnership.admin_forms import ENTRY_EDIT_HANDLER

    entry = CooperationEntry.objects.get(slug=ENTRY_FR)
    form_class = ENTRY_EDIT_HANDLER.bind_to_model(CooperationEntry).get_form_class()
    with translation.override("fr"):
        assert entry.period_display == "avril 2013"
        assert form_class(instance=entry).initial["period"] == "April 2013"


def test_robots_txt_keeps_crawlers_out_of_every_languages_search_and_exports(client, french):
    lines = client.get("/robots.txt").content.decode().splitlines()
    for path in ("/search/", "/fr/search/", "/cooperation/export.", f"{FR_RECORD}export."):
        assert f"Disallow: {path}" in lines
