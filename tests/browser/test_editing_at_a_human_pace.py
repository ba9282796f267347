"""Editors at a person's pace, in a real Chromium, with Wagtail's autosave running.

A person finds an entry through the listing, types, leaves the field, reads for a while (longer
than the autosave interval, so the form autosaves underneath), then saves, submits, and a moderator
approves. Two people on one entry are told the truth and lose nothing. A click on *Publish* while a
new entry's first autosave is still on its way publishes that entry, once.
"""

import json
import re
import subprocess
import urllib.request

import pytest

from .test_editors import log_in, make_user

pytestmark = pytest.mark.browser

ENTRIES = "/admin/snippets/partnership/cooperationentry"
# Wagtail autosaves 500 ms after a change (WAGTAIL_AUTOSAVE_INTERVAL); a person reading pauses longer.
READING = 2_500


def public_text(site, path):
    with urllib.request.urlopen(f"{site.url}{path}") as response:
        return response.read().decode()


def run_python(site, code):
    """Read the site's database in its own process (the server's SQLite file), as an operator would."""
    result = subprocess.run(
        [*site.manage, "shell", "-c", code], env=site.env, check=True, capture_output=True, text=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def type_at_the_end(page, label, text):
    """Click into a field, go to the end, type like a person (a key at a time), and leave the field.

    ``label``: the field's label, or a locator when a label is not unique (a page's title field and
    a block's title field are both "Title").
    """
    field = page.get_by_role("textbox", name=label, exact=True) if isinstance(label, str) else label
    field.click()
    field.press("Control+End")  # the end of the text, not of the wrapped line
    field.press_sequentially(text, delay=40)
    field.press("Tab")


def messages(page):
    return page.locator(".messages").inner_text()


def test_an_editor_and_a_moderator_work_on_an_entry_at_a_human_pace(fresh_site, new_context):
    site = fresh_site
    editor = log_in(new_context, site, *make_user(site, "eve-editor", "Editors"))

    # Found through the listing's search, as a person does.
    editor.goto(f"{site.url}{ENTRIES}/")
    editor.get_by_role("textbox", name="Search term").press_sequentially("declaration", delay=60)
    editor.keyboard.press("Enter")
    editor.get_by_role("link", name="Joint political declaration signed").click()
    editor.wait_for_url(re.compile(r".*/edit/\d+/$"))
    edit_url = editor.url

    type_at_the_end(editor, "Description", " It set out shared values and strategic interests.")
    editor.wait_for_timeout(READING)  # the form autosaves meanwhile
    editor.get_by_role("button", name="Save draft").click()
    editor.wait_for_load_state()
    assert "updated" in messages(editor), messages(editor)
    assert "could not be saved" not in messages(editor)

    # Back on the form it was saved from: more typing, another pause, then submit for moderation.
    type_at_the_end(editor, "Description", " Both sides reaffirmed it later.")
    editor.wait_for_timeout(READING)
    editor.get_by_role("button", name="More actions").click()
    editor.get_by_role("button", name="Submit to Moderators approval").click()
    editor.wait_for_url(f"**{ENTRIES}/")
    assert "submitted for moderation" in messages(editor), messages(editor)
    # Nothing is public before a moderator approves it.
    assert "Both sides reaffirmed it later." not in public_text(site, "/cooperation/japan-joint-political-declaration/")

    moderator = log_in(new_context, site, *make_user(site, "max-moderator", "Moderators"))
    moderator.goto(edit_url)
    moderator.wait_for_timeout(READING)  # reads it first
    moderator.get_by_role("button", name="More actions").click()
    moderator.get_by_role("button", name="Approve and Publish", exact=True).click()
    moderator.wait_for_load_state()
    assert "updated" in messages(moderator) or "approved" in messages(moderator), messages(moderator)

    entry_page = public_text(site, "/cooperation/japan-joint-political-declaration/")
    assert "It set out shared values and strategic interests. Both sides reaffirmed it later." in entry_page


def test_an_editor_and_a_moderator_work_on_the_japan_page_at_a_human_pace(fresh_site, new_context):
    site = fresh_site
    editor = log_in(new_context, site, *make_user(site, "eve-editor", "Editors"))
    # Found through the admin's search, as a person does.
    editor.goto(f"{site.url}/admin/")
    search = editor.get_by_role("textbox", name="Search", exact=True)
    search.click()
    search.press_sequentially("Japan", delay=60)
    search.press("Enter")
    editor.get_by_role("link", name="Relations with Japan", exact=True).first.click()
    editor.wait_for_url(re.compile(r".*/admin/pages/\d+/edit/$"))
    edit_url = editor.url

    type_at_the_end(editor, editor.locator("#id_title"), " and NATO")
    editor.wait_for_timeout(READING)
    editor.get_by_role("button", name="Save draft").click()
    editor.wait_for_load_state()
    assert "has been updated" in messages(editor) or "updated" in messages(editor), messages(editor)

    editor.wait_for_timeout(READING)
    editor.get_by_role("button", name="More actions").click()
    editor.get_by_role("button", name="Submit to Moderators approval").click()
    editor.wait_for_load_state()
    assert "submitted" in messages(editor), messages(editor)
    assert "<h1>Relations with Japan and NATO" not in public_text(site, "/partners/japan/")

    moderator = log_in(new_context, site, *make_user(site, "max-moderator", "Moderators"))
    moderator.goto(edit_url)
    moderator.wait_for_timeout(READING)
    moderator.get_by_role("button", name="More actions").click()
    moderator.get_by_role("button", name="Approve and Publish", exact=True).click()
    moderator.wait_for_load_state()
    assert "Relations with Japan and NATO" in public_text(site, "/partners/japan/")
    assert "‘Relations with Japan and NATO’ approved and published." in messages(moderator), messages(moderator)


def test_two_people_on_one_entry_are_told_and_lose_nothing(fresh_site, new_context):
    site = fresh_site
    eve = log_in(new_context, site, *make_user(site, "eve", "Editors"))
    ada = log_in(new_context, site, *make_user(site, "ada", "Moderators"))
    pk = run_python(
        site,
        "import json; from partnership.models import CooperationEntry as E;"
        "print(json.dumps(E.objects.get(slug='japan-joint-political-declaration').pk))",
    )
    edit_url = f"{site.url}{ENTRIES}/edit/{pk}/"
    eve.goto(edit_url)
    ada.goto(edit_url)

    type_at_the_end(eve, "Description", " Eve's sentence.")
    eve.wait_for_timeout(READING)
    eve.get_by_role("button", name="Save draft").click()
    eve.wait_for_load_state()
    assert "updated" in messages(eve)

    # Ada, still on the form she opened before Eve saved, types and pauses: her autosave must not
    # replace Eve's version behind anyone's back.
    type_at_the_end(ada, "Description", " Ada's sentence.")
    ada.wait_for_timeout(READING)
    latest = run_python(
        site,
        "import json; from partnership.models import CooperationEntry as E;"
        "print(json.dumps(E.objects.get(slug='japan-joint-political-declaration').get_latest_revision_as_object().description))",
    )
    assert latest.endswith(" Eve's sentence."), latest

    # Ada saves: the admin tells her who saved a newer version and lets her choose.
    ada.get_by_role("button", name="Save draft").click()
    dialog = ada.get_by_role("dialog").filter(has_text="saved a new version")
    dialog.wait_for()
    assert "Eve" in dialog.inner_text() or "eve" in dialog.inner_text()
    dialog.get_by_role("button", name="Save draft").click()
    ada.wait_for_load_state()
    assert "updated" in messages(ada)

    # Eve, going on, is told in turn before anything of hers replaces Ada's.
    eve.wait_for_timeout(READING)
    type_at_the_end(eve, "Description", " More from Eve.")
    eve.wait_for_timeout(READING)
    eve.get_by_role("button", name="Save draft").click()
    dialog = eve.get_by_role("dialog").filter(has_text="saved a new version")
    dialog.wait_for()
    assert "ada" in dialog.inner_text().lower()

    # The history tells the truth: both versions, each under its author's name.
    history = run_python(
        site,
        "import json; from partnership.models import CooperationEntry as E;"
        "e = E.objects.get(slug='japan-joint-political-declaration');"
        "print(json.dumps([[r.user.username if r.user else None, r.as_object().description[-20:]]"
        " for r in e.revisions.order_by('created_at')]))",
    )
    assert ["eve", "ion. Eve's sentence."] in history
    assert history[-1][0] == "ada" and history[-1][1].endswith("Ada's sentence.")


def test_publish_clicked_while_a_new_entrys_first_autosave_is_on_its_way(fresh_site, new_context):
    """The first autosave of a new entry creates it; a Publish click before its answer arrives once made a
    second record beside it (a 500, or a slug error) and left the first an unpublished draft."""
    site = fresh_site
    moderator = log_in(new_context, site, *make_user(site, "max-moderator", "Moderators"))
    held = []

    def hold_the_first_autosave_answer(route):
        # The autosave reaches the server (which creates the entry); its answer is held back until
        # after the click, as on a slow connection.
        if route.request.method == "POST" and "json" in route.request.headers.get("accept", "") and not held:
            held.append((route, route.fetch()))
        else:
            route.continue_()

    moderator.route(re.compile(r".*/cooperationentry/add/.*"), hold_the_first_autosave_answer)
    moderator.goto(f"{site.url}{ENTRIES}/add/")
    moderator.get_by_role("button", name="Choose partner").click()
    # The organisation has dozens of partners: the chooser is searched, as a person would.
    moderator.get_by_role("dialog").get_by_role("textbox", name="Search term").press_sequentially("Jap", delay=120)
    moderator.get_by_role("dialog").get_by_role("link", name="Japan").click()
    moderator.get_by_label("Kind").select_option(label="Milestone")
    moderator.get_by_label("Source", exact=True).select_option(label="Relations with Japan")
    sentences = moderator.get_by_role("searchbox", name="Pick a sentence of the source document")
    sentences.press_sequentially("joint political declaration", delay=30)
    moderator.get_by_role("button", name=re.compile("^NATO and Japan signalled their commitment")).click()
    title = moderator.get_by_role("textbox", name="Title")
    title.press_sequentially("Tokyo liaison office", delay=30)
    title.press("Tab")  # the slug follows the title
    type_at_the_end(moderator, "Description", "A liaison office opens in Tokyo.")
    for _ in range(50):  # the pause: the first autosave leaves
        if held:
            break
        moderator.wait_for_timeout(200)
    assert held, "the form did not autosave"

    moderator.get_by_role("button", name="More actions").click()
    moderator.get_by_role("button", name="Publish", exact=True).click()
    moderator.wait_for_timeout(1_000)
    route, answer = held[0]
    route.fulfill(response=answer)
    moderator.wait_for_url(re.compile(rf".*{ENTRIES}/(\?.*)?$"))

    assert "published" in messages(moderator), messages(moderator)
    stored = run_python(
        site,
        "import json; from partnership.models import CooperationEntry as E;"
        "print(json.dumps([[e.slug, e.live] for e in E.objects.filter(title='Tokyo liaison office')]))",
    )
    assert stored == [["tokyo-liaison-office", True]]
    assert "A liaison office opens in Tokyo." in public_text(site, "/cooperation/tokyo-liaison-office/")
