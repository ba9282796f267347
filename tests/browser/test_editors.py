"""An editor corrects an entry and submits it; a moderator approves it; the Japan page shows it.
All in a real Chromium, through the Wagtail admin, as the people would."""

import json
import secrets
import subprocess
import urllib.request

import pytest

pytestmark = pytest.mark.browser

NEW_TITLE = "Liaison officer to NATO’s Maritime Command (MARCOM)"


def make_user(site, username, group):
    password = secrets.token_urlsafe(16)
    code = (
        "from django.contrib.auth.models import Group, User;"
        f"user = User.objects.create_user({username!r}, password={password!r});"
        f"user.groups.add(Group.objects.get(name={group!r}))"
    )
    subprocess.run([*site.manage, "shell", "-c", code], env=site.env, check=True, capture_output=True)
    return username, password


def log_in(new_context, site, username, password):
    page = new_context().new_page()
    page.goto(f"{site.url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/admin/")
    return page


def entry_id(site, slug):
    with urllib.request.urlopen(f"{site.url}/api/v2/entries/?limit=100") as response:
        return next(item["id"] for item in json.load(response)["items"] if item["slug"] == slug)


def test_an_editor_corrects_an_entry_and_a_moderator_publishes_it(fresh_site, new_context):
    site = fresh_site
    pk = entry_id(site, "japan-liaison-officer-maritime-command")
    edit_url = f"{site.url}/admin/snippets/partnership/cooperationentry/edit/{pk}/"

    editor = log_in(new_context, site, *make_user(site, "eve-editor", "Editors"))
    editor.goto(edit_url)
    editor.get_by_role("textbox", name="Title").fill(NEW_TITLE)
    editor.get_by_role("button", name="More actions").click()
    editor.get_by_role("button", name="Submit to Moderators approval").click()
    editor.wait_for_url("**/cooperationentry/")
    assert "has been submitted for moderation" in editor.locator(".messages").inner_text()
    # Submitted, not published: the public page still has the old title.
    public = new_context().new_page()
    public.goto(f"{site.url}/partners/japan/")
    assert public.get_by_text(NEW_TITLE).count() == 0

    moderator = log_in(new_context, site, *make_user(site, "max-moderator", "Moderators"))
    moderator.goto(edit_url)
    moderator.get_by_role("button", name="More actions").click()
    moderator.get_by_role("button", name="Approve and Publish", exact=True).click()
    moderator.wait_for_url("**/cooperationentry/**")
    assert f"'{NEW_TITLE}' updated" in moderator.locator(".messages").inner_text()

    public.goto(f"{site.url}/partners/japan/")
    assert public.get_by_role("link", name=NEW_TITLE).is_visible()
    assert public.locator(".page-header__meta").inner_text() != "Last updated: 12 September 2018"
    public.goto(f"{site.url}/cooperation/japan-liaison-officer-maritime-command/")
    assert public.locator("h1").inner_text() == NEW_TITLE
