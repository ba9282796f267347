"""The record in a real Chromium: filter by area, see the results and the URL change, and axe-core."""

import pytest

from .conftest import axe_violations

pytestmark = pytest.mark.browser


def test_filtering_the_record_by_area(site, page):
    page.goto(f"{site.url}/cooperation/")
    before = page.locator(".results__title").inner_text()
    assert before.startswith("24 entries")
    area = page.locator("#filter-area")
    if not area.evaluate("details => details.open"):
        area.locator("summary").click()
    page.get_by_label("Maritime security").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/cooperation/?*")
    assert "area=maritime-security" in page.url
    assert page.locator(".results__title").inner_text() == "2 entries"
    titles = page.locator(".results .fact__title").all_inner_texts()
    assert set(titles) == {
        "Japan Maritime Self-Defense Force training squadron trains with NATO ships",
        "Liaison officer to NATO’s Maritime Command",
    }
    assert page.get_by_label("Maritime security").is_checked()
    assert page.locator('meta[name="robots"]').get_attribute("content") == "noindex, follow"
    assert axe_violations(page) == []


def test_an_entry_page_and_search_pass_axe(site, page):
    page.goto(f"{site.url}/cooperation/japan-pledge-for-afghanistan-2009-2013/")
    assert page.locator("h1").inner_text() == "US$5 billion pledged for Afghanistan"
    assert axe_violations(page) == []
    page.goto(f"{site.url}/search/?q=trust+fund")
    assert page.locator(".search-results li").count() > 0
    assert axe_violations(page) == []


def test_bad_filters_show_a_message_that_passes_axe(site, page):
    page.goto(f"{site.url}/cooperation/?partner=atlantis&year_from=abc&page=-1")
    assert page.locator(".notice").is_visible()
    assert axe_violations(page) == []
