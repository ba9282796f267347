"""A moderator imports a partner document and reviews it in a real Chromium: the document and the
proposals side by side on a wide screen, one above the other on a phone, no WCAG violation, and
Reject's confirmation working without JavaScript."""

import pytest

from ..partnership.test_import_admin import DOCUMENTS
from .conftest import AXE, WCAG_TAGS, axe_violations
from .test_editors import log_in, make_user

pytestmark = pytest.mark.browser


def content_violations(page):
    """WCAG violations (the suite's tags) in the review screen's own content, as axe-core finds them."""
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")  # as conftest.axe_violations loads it
    result = page.evaluate(
        "async (tags) => await axe.run({include: [['.import-summary'], ['.import-review']]},"
        " {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    return [{"id": v["id"], "targets": [n["target"] for n in v["nodes"]]} for v in result["violations"]]


def columns(page):
    """The document's and the proposals' boxes (top, left, bottom, right), measured in one go."""
    return page.evaluate(
        """() => ['.import-review__document', '.import-review__proposals'].map(selector => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return {top: box.top, left: box.left, bottom: box.bottom, right: box.right};
        })"""
    )


def test_a_moderator_imports_and_reviews_a_document(fresh_site, new_context):
    site = fresh_site
    username, password = make_user(site, "mia-moderator", "Moderators")
    page = log_in(new_context, site, username, password)

    page.goto(f"{site.url}/admin/partnership/imports/import/")
    page.get_by_label("Document file").set_input_files(DOCUMENTS / "relations-with-australia.txt")
    page.get_by_role("button", name="Import as drafts").click()
    page.wait_for_url("**/admin/partnership/imports/*/")
    assert "entries proposed as drafts" in page.locator(".messages").inner_text()
    review_url = page.url

    # Wide: the document on the left, the proposals on the right.
    document, proposals = columns(page)
    assert proposals["left"] >= document["right"]
    assert abs(proposals["top"] - document["top"]) < 5
    assert page.get_by_text("No fact proposed").count() > 1  # the legend and at least one sentence
    page.locator(".import-review__document a.import-marker").first.click()
    assert page.url.endswith("#" + page.locator(".import-card").first.get_attribute("id"))
    # Checked as a person sees it: once Wagtail's message banner has finished fading in (axe measures the
    # contrast of a half-transparent banner otherwise).
    page.wait_for_function("() => getComputedStyle(document.querySelector('.messages > ul')).opacity === '1'")
    page.evaluate("() => Promise.all(document.getAnimations().map(animation => animation.finished))")
    assert axe_violations(page) == []

    # A phone: one above the other.
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.import-review')).gridTemplateColumns.split(' ').length === 1"
    )
    document, proposals = columns(page)
    assert proposals["top"] >= document["bottom"]
    # This screen's own content (Wagtail's message banner slides under its header on a phone).
    assert content_violations(page) == []

    # Without JavaScript, Reject opens its confirmation and rejects.
    no_script = new_context(java_script_enabled=False).new_page()
    no_script.goto(f"{site.url}/admin/login/")
    no_script.get_by_label("Username").fill(username)
    no_script.get_by_label("Password").fill(password)
    no_script.get_by_role("button", name="Sign in").click()
    no_script.goto(review_url)
    card = no_script.locator(".import-card").first
    card.locator("summary").click()
    card.get_by_role("button", name="Yes, reject").click()
    assert "its draft entry is deleted" in no_script.locator(".messages").inner_text()
    assert "Rejected by mia-moderator" in no_script.locator(".import-card").first.inner_text()
