"""Reading the record at /cooperation/ in a real Chromium, on a phone and a desktop, with and without
JavaScript, on screen and on paper: results first, filters behind a disclosure on a phone and beside
the results on a desktop, counts in words, partners' names when several are listed, and the pictures."""

import re

import pytest

from .conftest import axe_violations, html_checker_errors

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


def heading_count(page):
    text = page.locator("#results-title").inner_text()
    match = re.fullmatch(r"(\d+) entr(?:y|ies)(?:, page \d+ of \d+)?", text)
    assert match, text
    return int(match[1])


def summary_text(page):
    return " ".join(page.locator(".filters-panel > summary").inner_text().split())


def search_box(page):
    return page.get_by_role("searchbox", name="Search the entries")


def test_on_a_phone_the_results_come_first_and_the_filters_open_by_a_click(demo_site, page):
    page.set_viewport_size(PHONE)
    page.goto(f"{demo_site.url}/cooperation/")
    first_result = page.locator(".results .entry-list__item").first
    summary = page.locator(".filters-panel > summary")
    # In reading order (the document's) and on the screen, the first result comes before any filter.
    assert page.evaluate(
        "() => Boolean(document.querySelector('.entry-list__item').compareDocumentPosition("
        "document.querySelector('#filters input, #filters select')) & Node.DOCUMENT_POSITION_FOLLOWING)"
    )
    assert first_result.bounding_box()["y"] < summary.bounding_box()["y"]
    assert first_result.is_visible()
    # Nothing overflows sideways: not the pagination's last link (17 pages), nor its hidden words.
    assert page.locator(".pagination a[rel=next]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not search_box(page).is_visible()  # behind the closed disclosure
    assert summary_text(page) == "Filter the entries"
    summary.click()
    assert search_box(page).is_visible()
    page.get_by_role("checkbox", name=re.compile(r"^Milestone \d+ entr")).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/cooperation/?*")
    assert "kind=milestone" in page.url
    assert summary_text(page) == "Filter the entries (1 filter applied)"
    assert not search_box(page).is_visible()  # closed again over the new results
    kinds = set(page.locator(".results .fact__kind").all_inner_texts())
    assert kinds == {"Milestone"}


def test_on_a_phone_filters_applied_are_cleared_from_the_top_of_the_results(demo_site, page):
    """With filters applied, a reader on a phone clears them from the line above the results, without
    opening the closed panel under them (its own "Clear all" is in there)."""
    page.set_viewport_size(PHONE)
    page.goto(f"{demo_site.url}/cooperation/?kind=milestone&partner=japan")
    assert summary_text(page) == "Filter the entries (2 filters applied)"
    assert not search_box(page).is_visible()  # the panel is closed
    clear = page.locator(".results__jump").get_by_role("link", name="Clear all filters")
    assert clear.is_visible()
    assert clear.bounding_box()["y"] < page.locator(".results .entry-list__item").first.bounding_box()["y"]
    clear.click()
    page.wait_for_url(f"{demo_site.url}/cooperation/")
    assert summary_text(page) == "Filter the entries"
    assert page.locator(".results__jump").get_by_role("link", name="Clear all filters").count() == 0


def test_on_a_phone_without_javascript_the_filters_open_and_apply(demo_site, new_context):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.goto(f"{demo_site.url}/cooperation/")
    assert not search_box(page).is_visible()
    page.locator(".filters-panel > summary").click()
    assert search_box(page).is_visible()
    search_box(page).fill("Japan")
    page.get_by_role("checkbox", name=re.compile(r"^Japan \d+ entr")).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/cooperation/?*")
    assert "partner=japan" in page.url and "q=Japan" in page.url
    assert summary_text(page) == "Filter the entries (2 filters applied)"
    assert set(page.locator(".results .fact__title").all_inner_texts())
    # The link at the top of the results leads to the filters and opens them.
    page.get_by_role("link", name="Filter the entries").click()
    assert search_box(page).is_visible()
    assert search_box(page).input_value() == "Japan"


def test_on_a_desktop_the_filters_are_a_column_beside_the_results(demo_site, page):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{demo_site.url}/cooperation/")
    assert search_box(page).is_visible()
    assert page.get_by_role("button", name="Apply filters").is_visible()
    filters = page.locator("#filters").bounding_box()
    results = page.locator(".results").bounding_box()
    assert filters["x"] + filters["width"] <= results["x"]  # on the left
    assert abs(filters["y"] - results["y"]) < 80  # side by side
    # No need to jump there with a mouse: the link takes one pixel, until the keyboard reaches it.
    jump, line = page.get_by_role("link", name="Filter the entries"), page.locator(".results__jump")
    assert line.bounding_box()["width"] <= 1
    jump.focus()
    assert line.bounding_box()["width"] > 50
    jump.press("Enter")
    page.wait_for_url("**/cooperation/#filters")
    page.get_by_role("checkbox", name=re.compile(r"^Sweden \d+ entr")).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/cooperation/?*")
    assert "partner=sweden" in page.url
    assert search_box(page).is_visible()


def test_counts_read_in_words(site, page):
    page.goto(f"{site.url}/cooperation/?area=maritime-security")
    assert page.locator("#results-title").inner_text() == "2 entries"
    post = page.locator(".facet__option", has=page.locator('input[value="post"]'))
    assert post.locator(".facet__count").inner_text() == "1 entry"
    japan = page.locator(".facet__option", has=page.locator('input[value="japan"]'))
    assert japan.locator(".facet__count").inner_text() == "2 entries"


def test_a_count_stays_on_the_first_line_of_a_wrapped_label(demo_site, page):
    page.set_viewport_size(PHONE)
    page.goto(f"{demo_site.url}/cooperation/")
    page.locator(".filters-panel > summary").click()
    for facet in page.locator(".facet").all():
        if not facet.evaluate("details => details.open"):
            facet.locator("summary").click()
    wrapped = 0
    for option in page.locator(".facet__option").all():
        label, count = option.locator(".facet__label").bounding_box(), option.locator(".facet__count").bounding_box()
        if not label or not count:
            continue  # scrolled out of a long facet's box
        line = count["height"]
        assert abs(label["y"] - count["y"]) < line / 2 + 2  # on the label's first line
        assert count["x"] >= label["x"] + label["width"] - 1  # after it, on the right
        wrapped += label["height"] > 1.5 * line
    assert wrapped  # some labels do wrap at this width


def test_the_partners_name_follows_titles_only_when_several_are_listed(demo_site, page):
    page.goto(f"{demo_site.url}/cooperation/")
    items = page.locator(".results .entry-list__item")
    assert items.count() == 20
    partners = page.locator(".results .fact__partner").all_inner_texts()
    assert len(partners) == 20 and all(re.fullmatch(r"\(.+\)", name) for name in partners)
    page.goto(f"{demo_site.url}/cooperation/?partner=japan")
    assert page.locator(".results .entry-list__item").count() == 20
    assert page.locator(".results .fact__partner").count() == 0


@pytest.mark.parametrize("query", ["", "?partner=japan", "?kind=contribution&partner=sweden"])
def test_the_pictures_have_names_and_their_numbers_add_up_to_the_entries_listed(demo_site, page, query):
    page.goto(f"{demo_site.url}/cooperation/{query}")
    total = heading_count(page)
    years = page.get_by_role("img", name="Entries over time, by kind")
    assert years.is_visible()
    assert "dated entr" in years.evaluate("svg => svg.querySelector('desc').textContent")
    assert page.get_by_role("img", name="Entries by area").is_visible()
    assert page.locator("#chart-years .chart__bar").count() > 0
    cells = page.locator("#chart-years tbody td:not(.chart__total)").all_text_contents()
    totals = page.locator("#chart-years tbody td.chart__total").all_text_contents()
    assert sum(int(n) for n in cells) == sum(int(n) for n in totals) == total
    # The table opens under its picture.
    table = page.locator("#chart-years table")
    assert not table.is_visible()
    page.locator("#chart-years summary").click()
    assert table.is_visible()
    assert table.get_by_role("columnheader", name="Total").is_visible()


def test_a_long_period_is_drawn_in_spans_of_years(demo_site, page):
    page.set_viewport_size(PHONE)
    page.goto(f"{demo_site.url}/cooperation/")
    rows = page.locator("#chart-years tbody th").all_text_contents()
    bars = {
        float(x)
        for x in page.locator("#chart-years .chart__bar").evaluate_all("rs => rs.map(r => r.getAttribute('x'))")
    }
    assert len(bars) <= 30
    if any(re.fullmatch(r"\d{4}–\d{4}", row) for row in rows):
        assert page.locator("#chart-years .chart__tick--year").count() <= 6
    svg = page.locator("#chart-years .chart__svg").bounding_box()
    assert svg["width"] <= PHONE["width"]  # scaled to the phone's width


def test_printing_shows_the_pictures_and_their_numbers(demo_site, page):
    page.goto(f"{demo_site.url}/cooperation/?partner=japan")
    page.emulate_media(media="print")
    assert page.get_by_role("img", name="Entries over time, by kind").is_visible()
    assert page.get_by_role("img", name="Entries by area").is_visible()
    assert page.locator("#chart-years table").is_visible()  # printed open
    assert page.locator("#chart-areas table").is_visible()
    assert not page.locator("#chart-years summary").is_visible()
    assert not search_box(page).is_visible()  # no filters on paper
    assert page.locator(".results .entry-list__item").first.is_visible()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("query", ["", "?partner=japan", "?year_from=abc"])
def test_the_record_passes_axe_and_the_html_checker(demo_site, page, viewport, query):
    page.set_viewport_size(viewport)
    page.goto(f"{demo_site.url}/cooperation/{query}")
    assert axe_violations(page) == []
    page.locator(".chart__numbers > summary").first.click()  # a table shown too
    if viewport == PHONE and query != "?year_from=abc":  # the filters open as well (errors open them already)
        page.locator(".filters-panel > summary").click()
    assert axe_violations(page) == []
    assert html_checker_errors(page.content()) == []
