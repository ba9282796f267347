"""/partners/compare/: partners side by side (cms.compare), checked against the document's Japan data
and plain ORM counts, every count linking to a record page that lists that many entries, bad input
explained on the page (never a 500, nothing written), noindex, and the French route."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from wagtail.models import Locale, PageViewRestriction

from cms.compare import ITEMS_SHOWN
from cms.demo_data import DEMO_SOURCE_SLUG, generate_demo_data
from cms.models import CooperationRecordPage, PartnerPage
from partnership.models import CooperationEntry, Partner
from tests.cms.french import JAPAN_FR, PARTNERS_FR, RECORD_FR, add_french, translate_entry, translate_snippet
from tests.conftest import database_snapshot
from tests.test_hostile_input import HOSTILE_VALUES, check_response, query

pytestmark = pytest.mark.django_db

COMPARE = "/partners/compare/"
# The document's Japan (fixtures/): its framework, declared areas, entries by kind, milestones.
JAPAN_FRAMEWORK = "Partners across the globe"
JAPAN_AREAS = [
    "Cyber defence",
    "Defence science and technology",
    "Humanitarian assistance and disaster relief",
    "Maritime security",
    "Non-proliferation",
    "Women, peace and security",
]
JAPAN_KINDS = {
    "Milestone": 3,
    "Programme participation": 3,
    "Financial contribution": 10,
    "Personnel post": 3,
    "Exercise or training": 1,
    "Support to operations": 4,
}
JAPAN_MILESTONES = {  # year: (title, period as written)
    "1990": "the early 1990s",
    "2012": "July 2012",
    "2013": "April 2013",
}


@pytest.fixture
def demo(loaded):
    """The fixtures and three generated partners with pages and entries: the demo partners, by name."""
    generate_demo_data(partners=3, entries=90, seed=17)
    return list(Partner.objects.filter(source__slug=DEMO_SOURCE_SLUG).order_by("name"))


def soup_of(response):
    return BeautifulSoup(response.content, "html.parser")


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response, soup_of(response)


def table(soup, section_id):
    """``{row header: [cell, …]}`` of the table in the section headed ``section_id``, and its column names."""
    section = soup.find(id=section_id).find_parent("section")
    columns = [th.get_text(" ", strip=True) for th in section.select("thead th")]
    rows = {}
    for tr in section.select("tbody tr"):
        header = tr.find("th")
        label = header.find(string=True, recursive=False) or header.get_text()
        rows[" ".join(label.split())] = tr.find_all("td")
    return columns, rows


def count_of(cell):
    return int(re.match(r"\d+", cell.get_text(strip=True))[0])


def record_count(client, url):
    """How many entries the record lists at ``url`` (its results heading: “N entries”)."""
    response, soup = get(client, url)
    assert soup.select_one(".notice") is None, f"{url}: {soup.select_one('.notice').get_text(' ', strip=True)}"
    return int(re.match(r"\d+", soup.select_one(".results__title").get_text(strip=True))[0])


def public(partner):
    return CooperationEntry.objects.filter(partner=partner, live=True, locale_id=partner.locale_id)


# --- The comparison --------------------------------------------------------------------------------


def test_japan_beside_a_demo_partner(client, demo):
    other = demo[0]
    response, soup = get(client, f"{COMPARE}?partner=japan&partner={other.slug}")
    assert soup.find("h1").get_text(strip=True) == "Compare partners"

    columns, overview = table(soup, "compare-overview")
    assert columns == ["Japan", other.name]
    assert [td.get_text(strip=True) for td in overview["Framework"]] == [JAPAN_FRAMEWORK, other.framework.name]
    declared = [
        [li.get_text(strip=True) for li in td.find_all("li")] for td in overview["Areas of practical cooperation"]
    ]
    assert declared[0] == JAPAN_AREAS
    assert sorted(declared[1]) == sorted(other.areas.values_list("name", flat=True))
    assert [count_of(td) for td in overview["Cooperation entries"]] == [24, public(other).count()]

    columns, kinds = table(soup, "compare-kinds")
    assert columns == ["Japan", other.name]
    assert {label: count_of(cells[0]) for label, cells in kinds.items()} == JAPAN_KINDS
    for value, label in CooperationEntry.Kind.choices:
        assert count_of(kinds[str(label)][1]) == sum(1 for entry in public(other) if entry.kind == value)

    _columns, areas = table(soup, "compare-areas")
    for partner, number in ((Partner.objects.get(slug="japan"), 0), (other, 1)):
        by_area = {}
        for entry in public(partner).prefetch_related("areas"):
            for area in entry.areas.all():
                by_area[area.name] = by_area.get(area.name, 0) + 1
        shown = {label: count_of(cells[number]) for label, cells in areas.items() if count_of(cells[number])}
        assert shown == by_area
    assert count_of(areas["Maritime security"][0]) == 2  # the liaison officer and the training squadron

    _columns, programmes = table(soup, "compare-programmes")
    shared_by = [
        sum(1 for cell in cells if count_of(cell)) for cells in programmes.values()
    ]  # those shared by both come first
    assert shared_by == sorted(shared_by, reverse=True)
    assert count_of(programmes["Individual Partnership and Cooperation Programme"][0]) == 1

    _columns, milestones = table(soup, "compare-milestones")
    japan_milestones = {
        year: [li.find("span").get_text(strip=True) for li in cells[0].find_all("li")]
        for year, cells in milestones.items()
        if cells[0].find("li")
    }
    assert japan_milestones == {year: [period] for year, period in JAPAN_MILESTONES.items()}
    years = [label for label in milestones if label != "Undated"]
    assert years == sorted(years, key=int)
    other_milestones = sum(len(cells[1].find_all("li")) for cells in milestones.values())
    assert other_milestones == sum(1 for entry in public(other) if entry.kind == "milestone")

    _columns, amounts = table(soup, "compare-amounts")
    pledge = amounts["USD"][0].find("li")
    assert pledge.find("strong").get_text(strip=True) == "USD 5 billion"
    assert pledge.find("a")["href"] == "/cooperation/japan-pledge-for-afghanistan-2009-2013/"
    assert client.get(pledge.find("a")["href"]).status_code == 200
    stated = sum(len(cells[1].find_all("li")) for cells in amounts.values())
    assert stated == sum(1 for entry in public(other) if entry.amount is not None)
    for currency, cells in amounts.items():  # amounts are listed in their own currency, never added up
        for li in cells[1].find_all("li"):
            assert currency in li.find("strong").get_text()


def test_a_partner_with_more_milestones_and_amounts_than_shown_lists_its_latest_and_links_to_all(client, loaded):
    """A comparison must stay readable (and as quick) however many entries a partner has: each list shows
    a partner's ITEMS_SHOWN latest, says how many there are, and links to the record listing them."""
    generate_demo_data(partners=2, entries=500, seed=5)
    busiest = max(Partner.objects.filter(source__slug=DEMO_SOURCE_SLUG), key=lambda p: public(p).count())
    _response, soup = get(client, f"{COMPARE}?partner=japan&partner={busiest.slug}")
    for section, chosen, link in (
        ("compare-milestones", [e for e in public(busiest) if e.kind == "milestone"], "&kind=milestone"),
        ("compare-amounts", [e for e in public(busiest) if e.amount is not None], ""),
    ):
        assert len(chosen) > ITEMS_SHOWN, section
        dated = sorted((e for e in chosen if e.start_date), key=lambda e: (e.start_date, e.source_order, e.pk))
        assert len(dated) >= ITEMS_SHOWN, section
        latest = {f"/cooperation/{e.slug}/" for e in dated[-ITEMS_SHOWN:]}
        _columns, rows = table(soup, section)
        assert {a["href"] for cells in rows.values() for a in cells[1].select("li a")} == latest, section
        japan = [a["href"] for cells in rows.values() for a in cells[0].select("li a")]
        assert len(japan) <= ITEMS_SHOWN, section  # the document's Japan has fewer: all are shown
        foot = soup.find(id=section).find_parent("section").select_one("tfoot")
        cells = foot.find_all("td")
        assert cells[0].get_text(strip=True) == ""  # Japan's list is whole
        assert f"The latest {ITEMS_SHOWN} of {len(chosen)}." in cells[1].get_text(" ", strip=True), section
        href = cells[1].find("a")["href"]
        assert href == f"/cooperation/?partner={busiest.slug}{link}"
        if link:  # the milestones' link lists exactly them
            assert record_count(client, href) == len(chosen)


def test_every_count_links_to_a_record_page_listing_that_many_entries(client, demo):
    _response, soup = get(client, f"{COMPARE}?partner={demo[1].slug}&partner=japan")
    checked = 0
    for section in ("compare-overview", "compare-areas", "compare-kinds", "compare-programmes"):
        _columns, rows = table(soup, section)
        for cells in rows.values():
            for cell in cells:
                link = cell.find("a")
                if "compare-table__count" not in cell.get("class", []):
                    continue
                if count_of(cell) == 0:
                    assert link is None  # nothing to open
                    continue
                query = dict(parse_qsl(urlsplit(link["href"]).query))
                assert urlsplit(link["href"]).path == "/cooperation/"
                assert set(query) <= {"partner", "area", "kind", "programme"}
                assert record_count(client, link["href"]) == count_of(cell), link["href"]
                checked += 1
    assert checked > 30


def test_the_columns_keep_the_order_given_and_four_cost_like_two(client, demo):
    slugs = [demo[2].slug, "japan", demo[0].slug, demo[1].slug]
    _response, soup = get(client, f"{COMPARE}?{'&'.join(f'partner={slug}' for slug in slugs)}")
    columns, _rows = table(soup, "compare-kinds")
    names = dict(Partner.objects.filter(slug__in=slugs).values_list("slug", "name"))
    assert columns == [names[slug] for slug in slugs]
    canonical = soup.select_one('link[rel="canonical"]')["href"]
    assert canonical == f"http://testserver{COMPARE}?{'&'.join(f'partner={slug}' for slug in slugs)}"
    boxes = [box["value"] for box in soup.select('input[name="partner"]')]
    assert boxes[:4] == slugs  # the compared ones first, in the columns' order
    assert [box["value"] for box in soup.select('input[name="partner"][checked]')] == slugs


def test_every_permutation_is_noindex_and_the_bare_page_is_not(client, demo):
    _response, bare = get(client, COMPARE)
    assert bare.select_one('meta[name="robots"]') is None
    assert bare.select_one('link[rel="canonical"]')["href"] == f"http://testserver{COMPARE}"
    assert bare.select_one(".compare-form__prompt").get_text(strip=True) == "Choose two to four partners to compare."
    for query_string in ("partner=japan", f"partner=japan&partner={demo[0].slug}", "partner=", "x=1"):
        _response, soup = get(client, f"{COMPARE}?{query_string}")
        assert soup.select_one('meta[name="robots"]')["content"] == "noindex, follow", query_string


def test_the_form_lists_the_partners_with_a_live_public_page_in_this_language(client, demo):
    hidden = PartnerPage.objects.get(partner=demo[0])
    PageViewRestriction.objects.create(page=hidden, restriction_type=PageViewRestriction.LOGIN)
    PartnerPage.objects.get(partner=demo[1]).unpublish()
    _response, soup = get(client, COMPARE)
    listed = [box["value"] for box in soup.select('input[name="partner"]')]
    assert listed == ["japan", demo[2].slug]
    assert soup.find("form", class_="compare-form")["action"] == COMPARE
    assert soup.find("form", class_="compare-form")["method"] == "get"


def test_the_partner_page_links_to_a_comparison_starting_with_it(client, demo):
    _response, soup = get(client, "/partners/japan/")
    link = soup.select_one(".compare-link a")
    assert link.get_text(strip=True) == "Compare Japan with other partners"
    assert link["href"] == f"{COMPARE}?partner=japan"
    _response, soup = get(client, link["href"])
    assert soup.select_one('input[value="japan"]').has_attr("checked")
    assert soup.select_one(".compare-form__prompt").get_text(strip=True) == (
        "Choose at least one more partner to compare with Japan."
    )
    assert soup.select_one(".notice") is None  # not a mistake: a first step
    assert soup.find(id="compare-overview") is None


# --- Bad input ------------------------------------------------------------------------------------


def bad_inputs(demo):
    """(query string, the message the page must show, the partners still compared)."""
    a, b, c = (partner.slug for partner in demo)
    no_page = Partner.objects.filter(pages__isnull=True, locale__language_code="en").order_by("slug").first()
    return [
        ("partner=atlantis&partner=japan", "“atlantis” is not one of the partners listed here.", []),
        (
            f"partner=japan&partner=atlantis&partner={a}",
            "“atlantis” is not one of the partners listed here.",
            ["japan", a],
        ),
        ("partner=japan", "Choose at least one more partner to compare with Japan.", []),
        (
            f"partner=japan&partner={a}&partner={b}&partner={c}&partner=japan&partner={a}",
            "Japan was chosen more than once; it is compared once.",
            ["japan", a, b, c],
        ),
        (
            f"partner={a}&partner=japan&partner={b}&partner={c}&partner=japan",
            "Japan was chosen more than once; it is compared once.",
            [a, "japan", b, c],
        ),
        ("partner=japan&partner=japan", "Choose at least one more partner to compare with Japan.", []),
        ("partner=", "Choose two to four partners to compare.", []),
        ("partner=&partner=&partner=japan", "Choose at least one more partner to compare with Japan.", []),
        (f"partner=japan&partner={'x' * 5000}", f"“{'x' * 39}…” is not one of the partners listed here.", []),
        ("partner=japan&partner=%E6%97%A5%E6%9C%AC", "“日本” is not one of the partners listed here.", []),
        (f"partner=japan&partner={JAPAN_FR}", f"“{JAPAN_FR}” is not one of the partners listed here.", []),
        (f"partner=japan&partner={no_page.slug}", f"“{no_page.slug}” is not one of the partners listed here.", []),
        (f"partner=japan&partner={a}%00", f"“{a}\ufffd” is not one of the partners listed here.", []),
        ("partner=JAPAN&partner=Japan", "“JAPAN” is not one of the partners listed here.", []),
        ("partner[]=japan&partner[]=" + a, "Choose two to four partners to compare.", []),
        ("&".join(f"partner=nope{n}" for n in range(40)), "35 other values are not partners either.", []),
    ]


def test_bad_input_is_explained_on_the_page_and_changes_nothing(client, demo):
    before = database_snapshot()
    for query_string, message, compared in bad_inputs(demo):
        response = client.get(f"{COMPARE}?{query_string}")
        assert response.status_code == 200, query_string[:80]
        soup = soup_of(response)
        text = " ".join(soup.find("main").get_text(" ").split())
        assert message in text, (query_string[:80], text[:600])
        columns = table(soup, "compare-kinds")[0] if soup.find(id="compare-kinds") else []
        names = dict(Partner.objects.filter(slug__in=compared, locale__language_code="en").values_list("slug", "name"))
        assert columns == [names[slug] for slug in compared], query_string[:80]
        assert soup.select_one('meta[name="robots"]')["content"] == "noindex, follow"
    assert database_snapshot() == before


def test_five_partners_compare_the_first_four_and_name_the_fifth(client, demo):
    a, b, c = (partner.slug for partner in demo)
    response = client.get(f"{COMPARE}?partner={a}&partner=japan&partner={b}&partner={c}&partner=atlantis")
    soup = soup_of(response)
    assert table(soup, "compare-kinds")[0] == [demo[0].name, "Japan", demo[1].name, demo[2].name]
    # A fifth real partner:
    extra = generate_fifth_page(demo)
    response = client.get(f"{COMPARE}?partner={a}&partner=japan&partner={b}&partner={c}&partner={extra.slug}")
    assert response.status_code == 200
    soup = soup_of(response)
    text = " ".join(soup.find("main").get_text(" ").split())
    assert f"At most 4 partners can be compared at once: {extra.name} was left out." in text
    assert table(soup, "compare-kinds")[0] == [demo[0].name, "Japan", demo[1].name, demo[2].name]
    errors = soup.select("#compare-partners .field-error")
    assert [error.get_text(strip=True) for error in errors] == [
        f"At most 4 partners can be compared at once: {extra.name} was left out."
    ]
    assert soup.select_one(f'input[value="{extra.slug}"]').has_attr("checked") is False
    assert soup.select_one('.notice a[href="#compare-partners"]') is not None


def generate_fifth_page(demo):
    """A fifth partner with a live page: a copy of a demo partner's, about another partner record."""
    source = PartnerPage.objects.get(partner=demo[0])
    partner = Partner.objects.create(
        name="Fifthland", slug="fifthland", framework=demo[0].framework, locale=demo[0].locale, source=demo[0].source
    )
    page = PartnerPage(title="Relations with Fifthland", slug="fifthland", partner=partner, lead="Fifthland.")
    source.get_parent().add_child(instance=page)
    page.save_revision().publish()
    return partner


def test_hostile_values_beside_two_partners(client, demo):
    """Whatever the third value (tests/test_hostile_input.py's catalogue), the two real partners are
    compared, and nothing is reflected unescaped."""
    for value in HOSTILE_VALUES:
        qs = f"partner=japan&partner={demo[0].slug}&{query([('partner', value)])}"
        response = client.get(f"{COMPARE}?{qs}")
        check_response(response, value, f"compare {value.name}")
        if response.status_code == 414:
            continue  # longer than any link (cms/bad_requests.py)
        assert response.status_code == 200, value.name
        assert table(soup_of(response), "compare-kinds")[0] == ["Japan", demo[0].name], value.name


# --- French --------------------------------------------------------------------------------------


def add_french_partner(demo):
    """A demo partner with a dated milestone, in French (“<name> (fr)”), with a live French page and
    that milestone in French."""
    entries = CooperationEntry.objects.filter(partner__in=demo, live=True, kind="milestone").exclude(start_date=None)
    entry = entries.order_by("pk").first()
    partner = entry.partner
    french = add_french()
    framework = translate_snippet(partner.framework, french["locale"], name=f"{partner.framework.name} (fr)")
    partner_fr = translate_snippet(
        partner, french["locale"], name=f"{partner.name} (fr)", slug=f"{partner.slug}-fr", framework=framework
    )
    entry_fr = translate_entry(entry, french["locale"], f"{entry.title} (fr)", f"{entry.slug}-fr")
    copy = PartnerPage.objects.get(partner=partner).copy_for_translation(french["locale"])
    copy.partner, copy.title, copy.slug = partner_fr, f"Relations avec {partner_fr.name}", partner_fr.slug
    copy.save_revision().publish()
    return partner_fr, entry_fr


def test_the_french_route_compares_french_partners_with_french_links(client, demo):
    partner_fr, entry_fr = add_french_partner(demo)
    url = f"/fr/{PARTNERS_FR}/compare/?partner={JAPAN_FR}&partner={partner_fr.slug}"
    _response, soup = get(client, url)
    assert soup.find("html")["lang"] == "fr"
    columns, kinds = table(soup, "compare-kinds")
    assert columns == ["Japon", partner_fr.name]
    links = [cell.find("a") for cells in kinds.values() for cell in cells if cell.find("a")]
    assert links and all(link["href"].startswith(f"/fr/{RECORD_FR}/?partner=") for link in links)
    for link in links:
        assert record_count(client, link["href"]) == count_of(link.find_parent("td"))
    _columns, milestones = table(soup, "compare-milestones")
    titles = [a.get_text(strip=True) for cells in milestones.values() for a in cells[1].find_all("a")]
    assert titles == [entry_fr.title]
    # An English slug, and a French one on the English page, are not partners of that language.
    _response, soup = get(client, f"/fr/{PARTNERS_FR}/compare/?partner={JAPAN_FR}&partner=japan")
    assert "« japan »" in soup.find("main").get_text() or "“japan”" in soup.find("main").get_text()
    _response, soup = get(client, f"{COMPARE}?partner=japan&partner={partner_fr.slug}")
    assert f"“{partner_fr.slug}” is not one of the partners listed here." in soup.find("main").get_text()


def test_while_the_record_is_private_only_the_frameworks_are_compared(client, demo):
    PageViewRestriction.objects.create(
        page=CooperationRecordPage.objects.get(), restriction_type=PageViewRestriction.LOGIN
    )
    _response, soup = get(client, f"{COMPARE}?partner=japan&partner={demo[0].slug}")
    columns, overview = table(soup, "compare-overview")
    assert columns == ["Japan", demo[0].name]
    assert list(overview) == ["Framework"]
    assert soup.find(id="compare-kinds") is None
    assert "/cooperation/" not in str(soup.find("main"))
    assert "only the frameworks can be compared" in soup.find("main").get_text()


def test_the_language_switcher_links_to_the_same_comparison_in_the_other_language(client, demo):
    partner_fr, _entry_fr = add_french_partner(demo)
    english = f"{COMPARE}?partner=japan&partner={partner_fr.get_translation(Locale.get_default()).slug}"
    _response, soup = get(client, english)
    french_url = f"/fr/{PARTNERS_FR}/compare/?partner={JAPAN_FR}&partner={partner_fr.slug}"
    assert soup.select_one('link[rel="alternate"][hreflang="fr"]')["href"].endswith(french_url)
    assert soup.find("a", attrs={"hreflang": "fr"})["href"] == french_url
    # …and back: the French comparison's English link is the English comparison, partners in the same order.
    _response, soup = get(client, french_url)
    assert soup.find("a", attrs={"hreflang": "en"})["href"] == english
    # A partner with no French translation: no French comparison to link to; the switcher says so.
    other = next(partner for partner in demo if partner.translation_key != partner_fr.translation_key)
    _response, soup = get(client, f"{COMPARE}?partner=japan&partner={other.slug}")
    assert soup.select_one('link[rel="alternate"][hreflang="fr"]') is None
    # One partner chosen: the other language's comparison starts from the same partner.
    _response, soup = get(client, f"/fr/{PARTNERS_FR}/compare/?partner={JAPAN_FR}")
    assert soup.find("a", attrs={"hreflang": "en"})["href"] == f"{COMPARE}?partner=japan"
    # The partners index itself links to the other language's index, not to a comparison.
    _response, soup = get(client, "/partners/")
    assert soup.find("a", attrs={"hreflang": "fr"})["href"] == f"/fr/{PARTNERS_FR}/"
    assert soup.select_one('link[rel="alternate"][hreflang="fr"]')["href"].endswith(f"/fr/{PARTNERS_FR}/")


def test_the_partners_index_links_to_the_comparison_once_it_lists_two_partners(client, loaded):
    _response, soup = get(client, "/partners/")
    assert soup.select_one(".compare-link") is None  # Japan alone: nothing to compare
    generate_demo_data(partners=1, entries=5, seed=3)
    _response, soup = get(client, "/partners/")
    link = soup.select_one(".compare-link a")
    assert link["href"] == COMPARE
    assert get(client, link["href"])[1].find("h1").get_text(strip=True) == "Compare partners"


def test_a_partner_page_cannot_take_the_comparisons_address_as_its_slug(loaded):
    page = PartnerPage.objects.get(partner__slug="japan", locale__language_code="en")
    page.slug = "compare"
    with pytest.raises(ValidationError) as refused:
        page.full_clean()
    assert refused.value.message_dict["slug"] == [
        "“compare” is the address of the comparison of partners; choose another slug."
    ]
    page.slug = "japan-and-nato"
    page.full_clean()  # any other slug is fine
