"""Reading the record at /cooperation/: counts in words, the partner's name only when several
partners are listed, the filters after the results, and the pictures of the entries listed (their
tables give the same numbers as the listing)."""

import datetime
from collections import Counter

import pytest
from bs4 import BeautifulSoup

from partnership.models import Area, CooperationEntry, Partner
from tests.cms.french import RECORD_FR, add_french

pytestmark = pytest.mark.django_db


def soup_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.content, "html.parser")


def heading_count(soup):
    return int(soup.select_one("#results-title").get_text(strip=True).split()[0])


def add_partner_entry(slug="elsewhere-liaison"):
    """A live entry of a second partner (Elsewhere), a milestone of 1999 in the area of cyber defence."""
    japan_entry = CooperationEntry.objects.get(slug="japan-liaison-officer-maritime-command")
    partner = Partner.objects.create(
        name="Elsewhere", slug="elsewhere", framework=japan_entry.partner.framework, locale=japan_entry.locale
    )
    entry = CooperationEntry.objects.create(
        partner=partner,
        locale=japan_entry.locale,
        kind="milestone",
        title="Elsewhere's first contacts",
        slug=slug,
        start_date=datetime.date(1999, 1, 1),
        start_precision="year",
        source=japan_entry.source,
        source_section=japan_entry.source_section,
        source_quote=japan_entry.source_quote,
        source_order=999,
        live=True,
    )
    entry.areas.set([Area.objects.get(slug="cyber-defence")])
    entry.save()  # a ParentalManyToManyField is written by save()
    return entry


def test_counts_read_in_words(client, loaded):
    soup = soup_of(client, "/cooperation/?area=maritime-security")
    assert soup.select_one("#results-title").get_text(strip=True) == "2 entries"

    def count(facet, value):
        box = soup.select_one(f'input[name="{facet}"][value="{value}"]')
        return box.find_parent("label").select_one(".facet__count").get_text(strip=True)

    assert count("kind", "post") == "1 entry"
    assert count("partner", "japan") == "2 entries"
    assert count("kind", "milestone") == "0 entries"
    # The label and its count are apart, for the count to sit on the right of the label's first line.
    label = soup.select_one('input[name="kind"][value="post"]').find_parent("label")
    assert label.select_one(".facet__label").get_text(strip=True) == "Personnel post"


def test_the_partners_name_follows_titles_only_when_several_partners_are_listed(client, loaded):
    def partners_shown(url):
        return [span.get_text(strip=True) for span in soup_of(client, url).select(".results .fact__partner")]

    assert partners_shown("/cooperation/") == []  # Japan alone
    add_partner_entry()
    shown = partners_shown("/cooperation/?sort=title")
    assert "(Elsewhere)" in shown and "(Japan)" in shown and len(shown) == 20  # every title of the page
    assert partners_shown("/cooperation/?partner=japan") == []
    assert partners_shown("/cooperation/?partner=elsewhere") == []
    assert len(partners_shown("/cooperation/?partner=japan&partner=elsewhere")) == 20
    assert partners_shown("/cooperation/?area=maritime-security") == []  # only Japan's entries match
    assert partners_shown("/cooperation/?area=cyber-defence") != []  # both partners' entries match


def test_results_come_before_the_filters_in_a_disclosure(client, loaded):
    soup = soup_of(client, "/cooperation/?partner=japan&kind=post&kind=exercise&q=japan")
    record = soup.select_one(".record")
    order = [child.name + "." + child["class"][0] for child in record.find_all(recursive=False)]
    assert order == ["section.results", "details.filters-panel", "section.record-charts"]
    panel = record.select_one("details.filters-panel")
    assert not panel.has_attr("open")  # closed on a phone (a wide screen shows it by its CSS)
    assert panel.select_one("summary").get_text(" ", strip=True) == "Filter the entries (4 filters applied)"
    assert panel.select_one("form#filters")
    assert soup.select_one(".results__jump a")["href"] == "#filters"
    # A filter with an error opens it.
    errors = soup_of(client, "/cooperation/?year_from=abc")
    assert errors.select_one("details.filters-panel").has_attr("open")


def chart_numbers(soup, chart_id):
    """The chart's table: {row heading: [the cells' numbers]} (the total column last)."""
    table = soup.select_one(f"#{chart_id} table")
    return {
        row.th.get_text(strip=True): [int(td.get_text(strip=True)) for td in row.find_all("td")]
        for row in table.select("tbody tr")
    }


@pytest.mark.parametrize("query", ["", "?partner=japan&kind=milestone", "?area=support-for-operations"])
def test_the_pictures_count_the_entries_listed(client, loaded, query):
    add_partner_entry()
    soup = soup_of(client, f"/cooperation/{query}")
    total = heading_count(soup)
    years = chart_numbers(soup, "chart-years")
    assert sum(sum(cells[:-1]) for cells in years.values()) == total
    assert sum(cells[-1] for cells in years.values()) == total
    svg = soup.select_one("#chart-years svg")
    assert (
        svg["role"] == "img"
        and soup.select_one(f"#{svg['aria-labelledby']}").get_text() == "Entries over time, by kind"
    )
    # The areas' numbers are the database's: each entry once per area it is in.
    entries = CooperationEntry.objects.public().prefetch_related("areas")
    if query == "?partner=japan&kind=milestone":
        entries = entries.filter(partner__slug="japan", kind="milestone")
    elif query:
        entries = entries.filter(areas__slug="support-for-operations")
    assert len(entries) == total
    expected = Counter(area.name for entry in entries for area in entry.areas.all())
    assert {name: cells[0] for name, cells in chart_numbers(soup, "chart-areas").items()} == dict(expected)


def test_undated_entries_are_a_row_of_the_table(client, loaded):
    undated = CooperationEntry.objects.public().filter(start_date__isnull=True).count()
    assert undated  # the fixtures have some
    soup = soup_of(client, "/cooperation/")
    assert chart_numbers(soup, "chart-years")["No date"][-1] == undated
    description = soup.select_one("#chart-years desc").get_text()
    assert f"{undated} entries have no date and are not drawn." in description or undated == 1
    # …and said under the caption, for every reader: of Japan's 24 entries in the document, 17 are undated.
    soup = soup_of(client, "/cooperation/?partner=japan")
    note = soup.select_one("#chart-years .chart__note")
    assert note.get_text(strip=True) == "17 entries have no date and are not drawn."


def test_nothing_to_draw_is_said(client, loaded):
    soup = soup_of(client, "/cooperation/?q=zebra")
    assert soup.select_one("#chart-years svg") is None
    assert "nothing to draw" in soup.select_one("#chart-years .chart__empty").get_text()
    assert soup.select_one("#chart-years table") is None


def test_the_french_record_draws_in_french_with_numbers_svg_can_read(client, loaded):
    add_french()
    soup = soup_of(client, f"/fr/{RECORD_FR}/")
    assert [li.get_text(strip=True) for li in soup.select("#chart-years .chart__legend li")] == ["Poste de personnel"]
    assert chart_numbers(soup, "chart-years") == {"2013": [1, 1]}
    assert set(chart_numbers(soup, "chart-areas")) == {
        area.name for area in CooperationEntry.objects.get(locale__language_code="fr").areas.all()
    }
    assert all(name.endswith("(fr)") for name in chart_numbers(soup, "chart-areas"))
    # Coordinates are written the SVG way (a decimal point), not the French way (a decimal comma).
    for rect in soup.select(".chart__svg rect"):
        for attribute in ("x", "y", "width", "height"):
            float(rect[attribute])
    assert "," not in soup.select_one("#chart-years svg")["viewbox"]
