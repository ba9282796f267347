"""Reading the Japan page on a phone and a desktop: prose first, facts on demand, targets large enough,
a side column on wide screens, and paper."""

import re

import pytest

from .conftest import axe_violations, html_checker_errors

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}
WIDTHS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
TRUST_FUND = "Japan has made generous contributions to Trust Fund projects"
ENTRY_HREF = re.compile(r"^/cooperation/[-\w]+/$")

# Every link in the main content, with its box, and whether it is a link inside running text (a paragraph
# of the document's text, the lead or a highlight), which WCAG 2.2's target-size spacing exception allows.
LINK_BOXES = """() => [...document.querySelectorAll("main a[href]")]
  .filter(a => a.getClientRects().length && !a.closest(".visually-hidden"))
  .map(a => {
    const box = a.getBoundingClientRect();
    return {
      text: a.innerText.trim().slice(0, 60),
      width: box.width,
      height: box.height,
      inline: !!a.closest(".rich-text p, .highlights p, .lead, .translation-note p") && getComputedStyle(a).display === "inline",
    };
  })"""


def open_japan(page, site, viewport):
    page.set_viewport_size(viewport)
    response = page.goto(f"{site.url}/partners/japan/")
    assert response.status == 200
    return response


@WIDTHS
def test_the_japan_page_has_no_axe_violations_and_valid_html(site, page, viewport):
    open_japan(page, site, viewport)
    assert axe_violations(page) == []
    assert html_checker_errors(page.content()) == []


@WIDTHS
def test_the_trust_fund_sentence_reads_as_prose(site, page, viewport):
    open_japan(page, site, viewport)
    passage = page.locator("p.passage", has_text=TRUST_FUND)
    assert passage.count() == 1
    # The sentence as running text, then one quiet marker at its end: nothing else in the paragraph.
    prose = passage.evaluate("p => [...p.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('')")
    assert " ".join(prose.split()).startswith(TRUST_FUND) and prose.strip().endswith("contaminated land in Azerbaijan.")
    assert passage.evaluate("p => [...p.children].map(e => e.className)") == ["passage__marker"]
    assert passage.evaluate("p => p.lastElementChild === p.querySelector('a')")
    name = " ".join(passage.locator("a").inner_text().split())
    assert re.fullmatch(r"\d+ facts? recorded from the passage “.+…”", name), name
    # In a screen reader's list of links, each marker is told apart by its passage's opening words.
    names = [" ".join(text.split()) for text in page.locator("a.passage__marker").all_inner_texts()]
    assert len(names) > 10 and len(set(names)) == len(names)
    text = passage.inner_text()
    assert page.locator(".passages .fact__kind, .passages .fact__title").count() == 0
    assert "Financial contribution" not in text
    # No line of the page's text begins with a lone separator.
    lines = [line.strip() for line in page.locator("main").inner_text().splitlines()]
    assert not [line for line in lines if line.startswith("·")]


@WIDTHS
def test_a_passage_marker_leads_to_its_facts_which_link_to_entries_and_back(site, page, viewport):
    open_japan(page, site, viewport)
    passage = page.locator("p.passage", has_text=TRUST_FUND)
    marker = passage.locator("a.passage__marker")
    count = int(marker.inner_text().split()[0])
    assert count >= 2
    marker.click()
    target = marker.get_attribute("href")
    assert page.url.endswith(target)
    facts = page.locator(target)
    assert facts.is_visible() and facts.evaluate("e => e.matches(':target')")
    links = facts.locator(".recorded__facts a")
    assert links.count() == count
    hrefs = [links.nth(i).get_attribute("href") for i in range(count)]
    assert all(ENTRY_HREF.match(href) for href in hrefs), hrefs
    kinds = facts.locator(".fact__kind").all_inner_texts()
    assert "Financial contribution" in kinds
    back = facts.locator("a.recorded__back")
    assert back.get_attribute("href") == f"#{passage.get_attribute('id')}"
    title = links.first.inner_text()
    links.first.click()
    page.wait_for_load_state()
    assert page.url.endswith(hrefs[0])
    assert page.locator("h1").inner_text() == title


@WIDTHS
def test_the_table_of_contents_lists_the_subsections(site, page, viewport):
    open_japan(page, site, viewport)
    toc = page.locator("nav.toc")
    assert toc.locator(":scope > ol > li > a").all_inner_texts() == ["Key areas of cooperation", "Milestones"]
    assert toc.locator("ol ol a").all_inner_texts() == [
        "Building capabilities and interoperability",
        "Support for NATO-led operations and missions",
        "Wider cooperation",
    ]
    toc.locator("text=Wider cooperation").click()
    assert page.url.endswith("#wider-cooperation")
    assert page.locator("h3#wider-cooperation").is_visible()


def test_timeline_items_link_to_entry_pages_that_exist(site, page):
    open_japan(page, site, DESKTOP)
    links = page.locator(".timeline a.timeline__title")
    assert links.count() == page.locator(".timeline li").count() == 3
    assert all(ENTRY_HREF.match(links.nth(i).get_attribute("href")) for i in range(3))
    title = links.nth(1).inner_text()
    assert title == "Tokyo Conference to mobilise international support for Afghanistan"
    with page.expect_navigation() as navigation:
        links.nth(1).click()
    assert navigation.value.status == 200
    assert page.locator("h1").inner_text() == title


@WIDTHS
def test_links_in_the_main_content_are_at_least_24_px(site, page, viewport):
    open_japan(page, site, viewport)
    boxes = page.evaluate(LINK_BOXES)
    assert len(boxes) > 30  # the markers, the facts, the table of contents, the timeline
    small = [box for box in boxes if not box["inline"] and (box["width"] < 24 or box["height"] < 24)]
    assert small == []
    for selector in ("a.passage__marker", "nav.toc a", ".timeline a", "a.recorded__back", ".recorded .fact__title"):
        sizes = page.locator(selector).evaluate_all("els => els.map(e => e.getBoundingClientRect())")
        assert sizes, selector
        assert all(size["width"] >= 24 and size["height"] >= 24 for size in sizes), (selector, sizes)


def test_on_a_desktop_the_content_and_side_column_use_the_width(site, page):
    open_japan(page, site, DESKTOP)
    geometry = page.evaluate("""() => {
        const box = s => document.querySelector(s).getBoundingClientRect();
        const main = document.querySelector("main"), style = getComputedStyle(main);
        return {
            container: main.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
            body: box(".partner-page__body"), aside: box(".partner-page__aside"), toc: box("nav.toc"),
        };
    }""")
    body, aside = geometry["body"], geometry["aside"]
    assert aside["left"] >= body["right"]  # beside, not below
    assert aside["top"] < body["top"] + 10  # the side column starts by the article, not after it
    assert body["width"] + aside["width"] >= 0.75 * geometry["container"]
    # The table of contents stays in view while the reader scrolls (sticky).
    page.locator("#milestones").scroll_into_view_if_needed()
    toc = page.locator("nav.toc").bounding_box()
    assert 0 <= toc["y"] < DESKTOP["height"]


def test_on_a_phone_there_is_one_column_and_no_horizontal_scrolling(site, page):
    open_japan(page, site, PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    body = page.locator(".partner-page__body").bounding_box()
    toc = page.locator("nav.toc").bounding_box()
    assert toc["y"] + toc["height"] <= body["y"]  # the contents come before the sections
    assert body["width"] >= PHONE["width"] - 2 * 24


def test_on_paper_the_facts_are_printed_and_markers_say_where(site, page):
    open_japan(page, site, DESKTOP)
    page.emulate_media(media="print")
    recorded = page.locator(".recorded")
    assert recorded.count() == 3
    assert all(recorded.nth(i).is_visible() for i in range(3))
    assert page.locator(".recorded__facts li").first.is_visible()
    marker = page.locator("p.passage", has_text=TRUST_FUND).locator("a.passage__marker")
    assert "(listed after this section)" in marker.inner_text()
    assert not page.locator("nav.toc").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
