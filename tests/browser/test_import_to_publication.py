"""From a partner's document to its published page, as the people would do it in a real Chromium:
an editor imports the seed into a site without partners and accepts the proposals; a moderator
approves the entries at once and publishes the page; a reader on a phone and on a desktop finds it
reads like the page loaded from the hand-made fixtures."""

import re

import pytest

from .test_editors import log_in, make_user

pytestmark = pytest.mark.browser

SEED = __import__("pathlib").Path(__file__).resolve().parents[2] / "fixtures" / "sources" / "relations-with-japan.txt"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


def reading(page):
    """What a reader reads in the page's main content: its headings, and its words in order."""
    main = page.locator("main")
    headings = [" ".join(text.split()) for text in main.locator("h1, h2, h3").all_inner_texts()]
    return headings, " ".join(main.inner_text().split())


def document_sentences():
    text = SEED.read_text(encoding="utf-8")
    lines = [re.sub(r"^•\s*", "", line.strip()) for line in text.splitlines()[3:] if line.strip()]
    return [sentence for line in lines for sentence in re.split(r"(?<=\.)\s+(?=[A-Z])", line) if sentence.endswith(".")]


def test_an_imported_document_is_reviewed_approved_and_published(partnerless_site, site, new_context):
    editor = log_in(new_context, partnerless_site, *make_user(partnerless_site, "ida-editor", "Editors"))
    editor.get_by_role("button", name="Partnerships").click()
    editor.get_by_role("link", name="Document imports").click()
    editor.get_by_role("link", name="Import a partner document").click()
    editor.get_by_label("Document file").set_input_files(SEED)
    editor.get_by_role("button", name="Import as drafts").click()
    editor.wait_for_url("**/admin/partnership/imports/*/")
    assert "24 entries proposed as drafts" in editor.locator(".messages").inner_text()
    # Nothing is public yet.
    reader = new_context().new_page()
    assert reader.goto(f"{partnerless_site.url}/partners/japan/").status == 404

    editor.get_by_role("button", name="Accept all remaining (24)").click()
    assert "24" in editor.locator(".messages").inner_text()
    assert editor.get_by_role("button", name=re.compile("^Accept")).count() == 0

    moderator = log_in(new_context, partnerless_site, *make_user(partnerless_site, "mo-moderator", "Moderators"))
    moderator.goto(f"{partnerless_site.url}/admin/snippets/partnership/cooperationentry/")
    moderator.get_by_role("checkbox", name="Select all").check()
    moderator.get_by_label("Approve the selected entries").click()
    moderator.get_by_role("button", name="Yes, approve").click()
    assert "24" in moderator.locator(".messages").inner_text()

    # The page, from the import's review screen, as the editor's message pointed the moderator to it.
    moderator.get_by_role("button", name="Partnerships").click()
    moderator.get_by_role("link", name="Document imports").click()
    moderator.get_by_role("link", name="Relations with Japan").first.click()
    moderator.get_by_role("link", name="Edit the page").click()
    moderator.get_by_role("button", name="More actions").click()
    moderator.get_by_role("button", name="Publish").click()
    assert "published" in moderator.locator(".messages").inner_text()

    for viewport in (PHONE, DESKTOP):
        imported, loaded = new_context().new_page(), new_context().new_page()
        imported.set_viewport_size(viewport)
        loaded.set_viewport_size(viewport)
        assert imported.goto(f"{partnerless_site.url}/partners/japan/").status == 200
        loaded.goto(f"{site.url}/partners/japan/")
        (imported_headings, imported_text), (loaded_headings, loaded_text) = reading(imported), reading(loaded)
        assert imported_headings == loaded_headings
        for sentence in document_sentences():
            assert sentence in imported_text and sentence in loaded_text, sentence
        # The facts are there to follow, as on the hand-made page: a link to each entry from its sentence
        # (21 of the 24: the highlights are the document's text, on both pages), and the 3 milestones
        # again from the timeline.
        links = "main a[href^='/cooperation/japan-']"
        assert imported.locator(links).count() == loaded.locator(links).count() == 21 + 3
        assert imported.locator("main .timeline li").count() == loaded.locator("main .timeline li").count()
