"""An editor adds a cooperation entry through the admin, in a real Chromium, as a person would:
typing, pausing, picking from lists by typing, keyboard where a person would use it."""

import json
import os
import subprocess

import pytest

from .test_editors import log_in, make_user

pytestmark = pytest.mark.browser

PAUSE = 1500  # ms: longer than Wagtail's autosave interval (500 ms), as a person pauses between fields
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")  # set it to look at the filled form
QUOTE = "Japan has designated a liaison officer to NATO’s Maritime Command."


def saved_entry(site, slug):
    """The entry's latest revision (the draft), as the server's database has it."""
    code = (
        "import json; from partnership.models import CooperationEntry as E;"
        f"e = E.objects.get(slug={slug!r}); d = e.get_latest_revision_as_object();"
        "print(json.dumps({'live': e.live, 'title': d.title, 'kind': d.kind, 'partner': d.partner.slug,"
        " 'period': d.period_display, 'start': str(d.start_date), 'precision': d.start_precision, 'ongoing': d.ongoing,"
        " 'areas': sorted(a.slug for a in d.areas.all()), 'programmes': sorted(p.slug for p in d.programmes.all()),"
        " 'quote': d.source_quote, 'section': d.source_section, 'source_order': d.source_order,"
        " 'revisions': e.revisions.count(), 'author': e.latest_revision.user.username}))"
    )
    result = subprocess.run(
        [*site.manage, "shell", "-c", code], env=site.env, check=True, capture_output=True, text=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_an_editor_adds_an_entry_typing_as_the_document_writes(fresh_site, new_context):
    site = fresh_site
    page = log_in(new_context, site, *make_user(site, "ed-editor", "Editors"))
    page.goto(f"{site.url}/admin/snippets/partnership/cooperationentry/add/")
    page.wait_for_timeout(PAUSE)

    # The fact: the partner through Wagtail's chooser, searched by typing.
    page.get_by_role("button", name="Choose partner").click()
    page.wait_for_timeout(PAUSE)
    search = page.get_by_role("dialog").get_by_role("textbox", name="Search term")
    search.press_sequentially("Jap", delay=120)
    page.wait_for_timeout(PAUSE)
    page.get_by_role("dialog").get_by_role("link", name="Japan").click()
    page.wait_for_timeout(PAUSE)
    page.get_by_label("Kind").select_option(label="Personnel post")
    title = page.get_by_role("textbox", name="Title")
    title.press_sequentially("Liaison officer to the Maritime Command", delay=60)
    page.wait_for_timeout(PAUSE)
    title.press("Tab")  # leaving the title fills the slug, as for pages
    page.wait_for_timeout(PAUSE)
    assert page.get_by_role("textbox", name="Slug").input_value() == "liaison-officer-to-the-maritime-command"

    # When: typed as the document writes it, shown back as readers will see it.
    when = page.get_by_role("textbox", name="When")
    when.press_sequentially("from March 2010", delay=80)
    page.wait_for_timeout(PAUSE)
    assert page.locator("#id_period-shown").inner_text() == "Shown as: since March 2010"
    when.fill("")
    when.press_sequentially("2013 to 2009", delay=80)
    page.wait_for_timeout(PAUSE)
    assert "the end (2009) is before the start (2013)" in page.locator("#id_period-shown").inner_text()
    when.fill("")
    when.press_sequentially("since 2014", delay=80)
    page.wait_for_timeout(PAUSE)
    assert page.locator("#id_period-shown").inner_text() == "Shown as: since 2014"
    # The date fields, in their collapsed panel, follow the words.
    assert page.locator("#id_start_date").input_value() == "2014-01-01"
    assert page.locator("#id_start_precision").input_value() == "year"
    assert page.locator("#id_ongoing").is_checked()

    # Areas and programmes: type a few letters, pick.
    areas_filter = page.get_by_role("searchbox", name="Find areas")
    areas_filter.press_sequentially("mariti", delay=100)
    page.wait_for_timeout(PAUSE)
    areas = page.locator("#id_areas")
    assert areas.get_by_label("Maritime security", exact=True).is_visible()
    assert not areas.get_by_label("Cyber defence", exact=True).is_visible()
    areas_filter.press("Enter")  # the only match is ticked; the form is not submitted
    page.wait_for_timeout(PAUSE)
    assert areas.get_by_label("Maritime security", exact=True).is_checked()
    programmes_filter = page.get_by_role("searchbox", name="Find programmes")
    programmes_filter.press_sequentially("marcom", delay=100)  # programmes are found by acronym too
    page.wait_for_timeout(PAUSE)
    page.locator("#id_programmes").get_by_label("NATO Maritime Command (MARCOM)").check()
    page.wait_for_timeout(PAUSE)

    # Where it came from: the document, then its sentence, found by typing and picked with the keyboard.
    page.get_by_label("Source", exact=True).select_option(label="Relations with Japan")
    page.wait_for_timeout(PAUSE)
    sentence_filter = page.get_by_role("searchbox", name="Pick a sentence of the source document")
    sentence_filter.press_sequentially("liaison officer", delay=80)
    page.wait_for_timeout(PAUSE)
    sentence = page.get_by_role("button", name=QUOTE)
    sentence.focus()
    page.keyboard.press("Enter")
    page.wait_for_timeout(PAUSE)
    assert page.get_by_role("textbox", name="Source quote").input_value() == QUOTE
    assert (
        page.get_by_role("textbox", name="Source section").input_value() == "Building capabilities and interoperability"
    )

    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/entry-form.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    page.wait_for_timeout(PAUSE)
    assert page.url.split("/cooperationentry/")[1].startswith("edit/")
    # “created”, or “updated” when Wagtail's autosave created the draft while the editor paused.
    assert "Cooperation entry 'Liaison officer to the Maritime Command'" in page.locator(".messages").inner_text()

    saved = saved_entry(site, "liaison-officer-to-the-maritime-command")
    assert saved["live"] is False and saved["author"] == "ed-editor"
    assert saved["title"] == "Liaison officer to the Maritime Command"
    assert (saved["partner"], saved["kind"]) == ("japan", "post")
    assert (saved["period"], saved["start"], saved["precision"], saved["ongoing"]) == (
        "since 2014",
        "2014-01-01",
        "year",
        True,
    )
    assert saved["areas"] == ["maritime-security"]
    assert saved["programmes"] == ["maritime-command"]
    assert saved["quote"] == QUOTE and saved["section"] == "Building capabilities and interoperability"
