"""A French reader in a real Chromium, on a phone and on a desktop: the French Japan page, one of its
entries, the French record filtered, and back to English on the same content.

The site is loaded as `make run` loads it: the English fixtures and their French translations
(fixtures/fr/*.po, through wagtail-localize). Text the page marks as another language (``lang="en"``,
such as the switcher's "English") is left out of the check for English words; everything else on a
French page must be French.
"""

import re

import pytest

from .conftest import axe_violations

pytestmark = pytest.mark.browser


# Interface words and phrases of the English site (its header, footer, page furniture, the record's
# filters and the entry page), none of which is also a French word.
ENGLISH_INTERFACE = [
    "Skip to main content",
    "Partners",
    "Record of cooperation",
    "Search",
    "Highlights",
    "On this page",
    "Last updated",
    "Key areas of cooperation",
    "Milestones",
    "Filter the entries",
    "Search the entries",
    "Apply filters",
    "Clear all",
    "Years",
    "Sort by",
    "Newest first",
    "entries",
    "entry",
    "Kind",
    "Area or theme",
    "When",
    "Areas",
    "Where",
    "Amount",
    "Beneficiaries",
    "Download",
    "Home",
    "Milestone",
    "Financial contribution",
    "Support to operations",
    "Personnel post",
    "since",
    "early",
    "the",
    "and",
    "with",
    "NATO",
    "Japan",
]

FRENCH_ONLY_TEXT = """() => {
    const texts = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const element = walker.currentNode.parentElement;
        if (!element || element.closest("script, style, template")) continue;
        if (!element.closest("[lang]").getAttribute("lang").startsWith("fr")) continue;
        texts.push(walker.currentNode.textContent);
    }
    for (const element of document.querySelectorAll("[aria-label], [title], [alt], [placeholder]")) {
        if (!element.closest("[lang]").getAttribute("lang").startsWith("fr")) continue;
        for (const name of ["aria-label", "title", "alt", "placeholder"]) {
            if (element.hasAttribute(name)) texts.push(element.getAttribute(name));
        }
    }
    texts.push(document.title);
    return texts.join("\\n");
}"""


def english_left(page):
    """The English interface words found in the page's French text (an empty list when there are none)."""
    text = page.evaluate(FRENCH_ONLY_TEXT)
    return [words for words in ENGLISH_INTERFACE if re.search(rf"(?<![\w’']){re.escape(words)}(?![\w’'])", text)]


def open_facet(page, name):
    # On a phone the filters come after the results, behind a disclosure: opened first.
    if not page.locator("#filters").is_visible():
        page.locator(".filters-panel > summary").click()
    facet = page.locator(f"#filter-{name}")
    if not facet.evaluate("details => details.open"):
        facet.locator("summary").click()
    return facet


@pytest.mark.browser_context_args(viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2)
def test_on_a_phone_a_french_reader_reads_follows_filters_and_switches_back(bilingual_site, page):
    read_follow_filter_and_switch_back(bilingual_site, page)


def test_on_a_desktop_a_french_reader_reads_follows_filters_and_switches_back(bilingual_site, page):
    assert page.viewport_size["width"] == 1280
    read_follow_filter_and_switch_back(bilingual_site, page)


def read_follow_filter_and_switch_back(bilingual_site, page):
    # The French Japan page: French throughout, and it says it translates the English original.
    response = page.goto(f"{bilingual_site.url}/fr/partenaires/japon/")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Relations avec le Japon"
    assert page.locator("main h2").all_inner_texts() == [
        "Points forts",
        "Sur cette page",
        "Principaux domaines de coopération",
        "Grandes étapes",
    ]
    assert page.get_by_text("Dernière mise à jour : 12 septembre 2018").is_visible()
    note = page.locator(".translation-note")
    assert "traduction de l’original anglais" in note.inner_text()
    assert note.get_by_role("link").get_attribute("href") == "/partners/japan/"
    assert page.locator(".timeline__date").all_inner_texts() == [
        "Au début des années 1990",
        "Juillet 2012",
        "Avril 2013",
    ]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert english_left(page) == []
    assert axe_violations(page) == []

    # Follows an entry from the page's prose.
    page.get_by_role("link", name="Officier de liaison auprès du Commandement maritime de l'OTAN").click()
    page.wait_for_url("**/fr/cooperation/japon-officier-liaison-commandement-maritime/")
    assert page.locator("h1").inner_text() == "Officier de liaison auprès du Commandement maritime de l'OTAN"
    assert page.locator(".quote blockquote").inner_text().strip() == (
        "Le Japon a désigné un officier de liaison auprès du Commandement maritime de l'OTAN."
    )
    assert english_left(page) == []
    assert axe_violations(page) == []

    # The French record, from the Japan page's link, filtered by an area.
    page.go_back()
    page.get_by_role("link", name=re.compile(r"^Japon : les 24 fiches de coopération")).click()
    page.wait_for_url("**/fr/cooperation/?partner=japon")
    assert page.locator(".results__title").inner_text() == "24 fiches, page 1 sur 2"
    open_facet(page, "area").get_by_label("Sécurité maritime").check()
    page.get_by_role("button", name="Appliquer les filtres").click()
    page.wait_for_url(re.compile(r".*/fr/cooperation/\?.*area=securite-maritime"))
    assert page.locator(".results__title").inner_text() == "2 fiches"
    assert set(page.locator(".results .fact__title").all_inner_texts()) == {
        "L'escadre d'entraînement de la Force maritime d'autodéfense japonaise s'entraîne avec des navires de l'OTAN",
        "Officier de liaison auprès du Commandement maritime de l'OTAN",
    }
    assert english_left(page) == []
    assert axe_violations(page) == []

    # Back to English on the same content: the entry, then the page.
    page.get_by_role("link", name="Officier de liaison auprès du Commandement maritime de l'OTAN").click()
    page.wait_for_url("**/fr/cooperation/japon-officier-liaison-commandement-maritime/")
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/cooperation/japan-liaison-officer-maritime-command/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Liaison officer to NATO’s Maritime Command"
    page.goto(f"{bilingual_site.url}/fr/partenaires/japon/")
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/partners/japan/")
    assert page.locator("h1").inner_text() == "Relations with Japan"
    assert page.locator(".translation-note").count() == 0
    # …and the English page offers the French one.
    assert page.get_by_role("link", name="Français").get_attribute("href") == "/fr/partenaires/japon/"


@pytest.mark.parametrize("path", ["/fr/", "/fr/partenaires/", "/fr/cooperation/", "/fr/search/?q=cyberd%C3%A9fense"])
def test_every_french_page_type_is_french_and_passes_axe(bilingual_site, page, path):
    response = page.goto(f"{bilingual_site.url}{path}")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "fr"
    assert english_left(page) == []
    assert axe_violations(page) == []


def test_the_french_not_found_page_is_french(bilingual_site, page):
    response = page.goto(f"{bilingual_site.url}/fr/pas-de-telle-page/")
    assert response.status == 404
    assert page.locator("html").get_attribute("lang") == "fr"
    assert english_left(page) == []
    assert axe_violations(page) == []
