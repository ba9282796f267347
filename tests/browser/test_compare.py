"""Comparing partners in a real Chromium: from the Japan page to Japan beside Finland, as a person
would, on a phone and a desktop (axe-core, the Nu HTML Checker, no sideways scrolling of the page),
then into the record through one of the counts."""

import re

import pytest

from .conftest import axe_violations, html_checker_errors

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


def page_scrolls_sideways(page):
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def test_comparing_japan_with_finland_from_the_japan_page(demo_site, page):
    page.set_viewport_size(PHONE)
    page.goto(f"{demo_site.url}/partners/japan/")
    page.get_by_role("link", name="Compare Japan with other partners").click()
    page.wait_for_url("**/partners/compare/?partner=japan")
    assert page.get_by_label("Japan").is_checked()
    assert (
        page.locator(".compare-form__prompt").inner_text() == "Choose at least one more partner to compare with Japan."
    )

    page.get_by_label("Finland").check()
    page.get_by_role("button", name="Compare", exact=True).click()
    page.wait_for_url("**/partners/compare/?partner=japan&partner=finland")
    kinds = page.locator("#compare-kinds").locator("xpath=..")
    assert kinds.locator("thead th").all_inner_texts() == ["Japan", "Finland"]
    assert page.locator('meta[name="robots"]').get_attribute("content") == "noindex, follow"

    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        assert axe_violations(page) == [], size
        assert html_checker_errors(page.content()) == [], size
        assert not page_scrolls_sideways(page), f"the page scrolls sideways at {size['width']} px"
    page.set_viewport_size(PHONE)
    region = page.locator('.compare-table[role="region"]').first
    assert region.get_attribute("tabindex") == "0" and region.get_attribute("aria-labelledby")
    region.focus()
    assert region.evaluate("element => element === document.activeElement")

    milestones = kinds.locator("tbody tr", has=page.locator("th", has_text="Milestone")).locator("td").first
    count = int(re.match(r"\d+", milestones.inner_text())[0])
    assert count == 3  # the document's three milestones with Japan
    milestones.get_by_role("link").click()
    page.wait_for_url("**/cooperation/?*")
    assert "partner=japan" in page.url and "kind=milestone" in page.url
    assert page.locator(".results__title").inner_text() == f"{count} entries"


def test_bad_choices_are_explained_and_pass_axe(demo_site, page):
    page.set_viewport_size(PHONE)
    page.goto(f"{demo_site.url}/partners/compare/?partner=japan&partner=atlantis&partner=japan")
    notice = page.locator(".notice")
    assert "“atlantis” is not one of the partners listed here." in notice.inner_text()
    assert "Japan was chosen more than once; it is compared once." in notice.inner_text()
    assert page.get_by_label("Japan").is_checked()
    assert axe_violations(page) == []
    assert html_checker_errors(page.content()) == []
    assert not page_scrolls_sideways(page)


def test_on_a_phone_the_comparison_says_its_tables_scroll_and_keeps_their_captions_in_view(demo_site, page):
    """On a phone each table is wider than the screen: a sentence above them says so (not on a desktop,
    where they fit), and each caption's text stays within the visible part of its table, wrapped there,
    whether the table is scrolled to its start or to its end (it was cut off mid-line)."""
    page.set_viewport_size(PHONE)
    page.goto(f"{demo_site.url}/partners/compare/?partner=japan&partner=finland")
    hint = page.get_by_text("swipe or scroll each one sideways")
    assert hint.is_visible()
    regions = page.locator('.compare-table[role="region"]')
    assert regions.count() >= 3
    for i in range(regions.count()):
        region = regions.nth(i)
        assert region.evaluate("box => box.scrollWidth > box.clientWidth"), "the table fits: nothing to say"
        caption = region.locator(".compare-table__caption")
        for scrolled in ("start", "end"):
            region.evaluate(f"box => {{ box.scrollLeft = '{scrolled}' === 'end' ? box.scrollWidth : 0; }}")
            shown, text = region.bounding_box(), caption.bounding_box()
            assert shown["x"] <= text["x"] and text["x"] + text["width"] <= shown["x"] + shown["width"], (
                f"table {i + 1}'s caption leaves the screen, scrolled to its {scrolled}"
            )
    assert not page_scrolls_sideways(page)
    page.set_viewport_size(DESKTOP)
    assert not hint.is_visible()
