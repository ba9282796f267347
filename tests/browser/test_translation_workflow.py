"""Translating at a person's pace, in a real Chromium: an English entry changes, its French translation
says it needs updating, and is brought up to date through wagtail-localize's translation editor.

The site here has the French fixtures loaded (fixtures/fr/*.po, through load_fixtures), unlike the
shared browser database.
"""

import re

import pytest

from .test_editing_at_a_human_pace import READING, messages, public_text, type_at_the_end
from .test_editors import log_in, make_user

pytestmark = pytest.mark.browser

ENTRIES = "/admin/snippets/partnership/cooperationentry"
ENGLISH_TITLE = "Joint political declaration signed"
FRENCH_TITLE = "Signature d'une déclaration politique conjointe"
ENGLISH_ADDITION = " Both sides reaffirmed it in later meetings."
FRENCH_ADDITION = "Les deux parties l'ont réaffirmée lors de rencontres ultérieures."


def french_row(page):
    """The French listing's row of the entry (its title, and its “Translation” column)."""
    page.goto(page.url.split("/admin/")[0] + f"{ENTRIES}/?locale=fr")
    return page.get_by_role("row").filter(has_text=FRENCH_TITLE)


def test_a_changed_english_entry_is_marked_and_its_translation_brought_up_to_date(translated_site, new_context):
    site = translated_site
    # A Moderator: Editors translate too, but only a Moderator publishes, here both languages.
    person = log_in(new_context, site, *make_user(site, "mia-moderator", "Moderators"))

    # The English entry, found through the listing's search, corrected and published like a person.
    person.goto(f"{site.url}{ENTRIES}/?locale=en")
    person.get_by_role("textbox", name="Search term").press_sequentially("declaration", delay=60)
    person.keyboard.press("Enter")
    person.get_by_role("link", name=ENGLISH_TITLE).click()
    person.wait_for_url(re.compile(r".*/edit/\d+/$"))
    type_at_the_end(person, "Description", ENGLISH_ADDITION)
    person.wait_for_timeout(READING)  # longer than the autosave interval: the form autosaves meanwhile
    person.get_by_role("button", name="More actions").click()
    person.get_by_role("button", name="Publish", exact=True).click()
    person.wait_for_url(re.compile(rf".*{ENTRIES}/(\?.*)?$"))
    assert "published" in messages(person), messages(person)

    # The French entry is marked in the French listing.
    row = french_row(person)
    assert "Needs updating" in row.inner_text(), row.inner_text()

    # Synchronised from the English original (wagtail-localize's “Sync translated snippets”)…
    person.goto(f"{site.url}{ENTRIES}/?locale=en")
    person.get_by_role("button", name=re.compile(f"More options for .{ENGLISH_TITLE}")).click()
    person.get_by_role("link", name=f"Sync translations of '{ENGLISH_TITLE}'").click()
    person.wait_for_timeout(READING)  # reads what will be synchronised
    person.get_by_role("button", name="Submit").click()
    person.wait_for_load_state()

    # …then the new sentence translated in wagtail-localize's editor, and the translation published.
    row = french_row(person)
    assert "Needs updating" in row.inner_text(), row.inner_text()  # synchronised, not yet published
    row.get_by_role("link", name=FRENCH_TITLE).click()
    person.wait_for_url(re.compile(r".*/edit/\d+/$"))
    person.get_by_role("button", name="Translate", exact=True).first.click()
    field = person.locator("textarea").first
    field.press_sequentially(FRENCH_ADDITION, delay=40)
    person.wait_for_timeout(READING)
    person.get_by_role("button", name="Save", exact=True).click()
    person.wait_for_timeout(1_000)
    person.get_by_role("button", name=re.compile("^Publish in ")).click()
    person.wait_for_load_state()
    person.wait_for_timeout(1_000)

    row = french_row(person)
    assert "Up to date" in row.inner_text(), row.inner_text()
    english_page = public_text(site, "/cooperation/japan-joint-political-declaration/")
    french_page = public_text(site, "/fr/cooperation/japon-declaration-politique-conjointe/")
    assert ENGLISH_ADDITION.strip() in english_page
    assert FRENCH_ADDITION.replace("'", "&#x27;") in french_page
    assert ENGLISH_ADDITION.strip() not in french_page
