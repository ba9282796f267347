"""The Japan page in a real Chromium: headings, caption, timeline, axe-core, phone width and paper."""

import pytest

from .conftest import axe_violations

pytestmark = pytest.mark.browser


def test_the_japan_page_reads_right_and_passes_axe(site, page):
    response = page.goto(f"{site.url}/partners/japan/")
    assert response.status == 200
    assert page.locator("h1").inner_text() == "Relations with Japan"
    assert page.locator("main h2").all_inner_texts() == [
        "Highlights",
        "On this page",
        "Key areas of cooperation",
        "Milestones",
    ]
    assert page.locator("main h3").all_inner_texts() == [
        "Building capabilities and interoperability",
        "Support for NATO-led operations and missions",
        "Wider cooperation",
    ]
    assert (
        page.locator("figure.figure figcaption").inner_text().startswith("Joint press point by NATO Secretary General")
    )
    photo = page.locator("figure img")
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0"), "the photo did not load"
    timeline = page.locator(".timeline li")
    assert timeline.count() == 3
    assert timeline.first.inner_text().splitlines() == ["The early 1990s", "Initial contacts between NATO and Japan"]
    assert timeline.first.is_visible()
    assert page.locator("text=Last updated: 12 September 2018").is_visible()
    assert axe_violations(page) == []


def test_the_skip_link_and_table_of_contents_work_from_the_keyboard(site, page):
    page.goto(f"{site.url}/partners/japan/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert skip.evaluate("a => a === document.activeElement")
    assert skip.is_visible()
    page.click("nav.toc >> text=Milestones")
    assert page.url.endswith("#milestones")


@pytest.mark.parametrize("path", ["/", "/partners/", "/partners/japan/", "/no-such-page/"])
def test_every_public_page_type_has_no_axe_violations(site, page, path):
    page.goto(f"{site.url}{path}")
    assert axe_violations(page) == []


@pytest.mark.browser_context_args(viewport={"width": 360, "height": 740}, is_mobile=True, device_scale_factor=2)
def test_phone_width_has_no_horizontal_scrolling(site, page):
    page.goto(f"{site.url}/partners/japan/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(page) == []


def test_on_paper_only_the_content_is_printed(site, page):
    page.goto(f"{site.url}/partners/japan/")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".toc").is_visible()
    assert page.locator(".timeline").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
