"""Who may reach what, over HTTP: the admin access matrix for every role, state-changing actions,
nothing unpublished in public, failed logins throttled, uploads limited, CSRF on every change."""

import datetime
import functools
import io
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import Page, WorkflowState

from cms.models import HomePage, PartnerPage
from partnership.models import CooperationEntry, DocumentImport, Partner, SourceDocument
from tests.test_editors import entry_form, page_form

from .conftest import PROJECT_DIR, SOURCE_TEXT

pytestmark = pytest.mark.django_db

SNIPPET = "wagtailsnippets_partnership_cooperationentry"
SLUG = "japan-liaison-officer-maritime-command"
ROLES = ["anonymous", "inactive", "editor", "moderator", "superuser"]


def png_bytes(size=(2, 2), mode="RGB"):
    buffer = io.BytesIO()
    PILImage.new(mode, size, "white").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def people(loaded, django_user_model):
    """One user per role (the groups come from load_fixtures); an inactive user is in Moderators."""
    users = {"anonymous": None}
    for role in ("editor", "moderator"):
        user = django_user_model.objects.create_user(role, password=f"{role}-password-1")
        user.groups.add(Group.objects.get(name=f"{role.title()}s"))
        users[role] = user
    inactive = django_user_model.objects.create_user("inactive", password="inactive-password-1", is_active=False)
    inactive.groups.add(Group.objects.get(name="Moderators"))
    users["inactive"] = inactive
    users["superuser"] = django_user_model.objects.create_superuser("superuser", "", "superuser-password-1")
    return users


@pytest.fixture
def things(people):
    """What the admin URLs name: the partner page, an entry, an image, a document, a user, a group."""
    return {
        "page": PartnerPage.objects.get(),
        "entry": CooperationEntry.objects.get(slug=SLUG),
        "image": Image.objects.create(title="An image", file=ContentFile(png_bytes(), name="an-image.png")),
        "document": Document.objects.create(title="A document", file=ContentFile(b"Some text.", name="a.txt")),
        "user": people["editor"],
        "group": Group.objects.get(name="Editors"),
        "import": DocumentImport.objects.create(
            source=SourceDocument.objects.get(title="Relations with Japan"), partner=Partner.objects.get(slug="japan")
        ),
    }


def client_as(user, **kwargs):
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


# --- The admin access matrix ------------------------------------------------------------------------
# Every admin URL of interest × every role. Anonymous visitors and inactive users are always sent to
# the login page; the other columns follow partnership/roles.py: Editors write and submit, Moderators
# also publish, unpublish, delete and keep the reference records, only superusers manage users,
# groups, sites, redirects, locales, collections and workflows.

OK, DENIED, LOGIN = "ok", "denied", "login"


def entry_url(name, *args):
    return lambda t: reverse(f"{SNIPPET}:{name}", args=[t["entry"].pk, *args])


ADMIN_URLS = {
    "dashboard": lambda t: reverse("wagtailadmin_home"),
    "account": lambda t: reverse("wagtailadmin_account"),
    "pages explorer": lambda t: reverse("wagtailadmin_explore_root"),
    "pages explorer (a section)": lambda t: reverse("wagtailadmin_explore", args=[t["page"].get_parent().pk]),
    "page add": lambda t: reverse("wagtailadmin_pages:add", args=["cms", "partnerpage", t["page"].get_parent().pk]),
    "page edit": lambda t: reverse("wagtailadmin_pages:edit", args=[t["page"].pk]),
    "page preview": lambda t: reverse("wagtailadmin_pages:preview_on_edit", args=[t["page"].pk]),
    "page view draft": lambda t: reverse("wagtailadmin_pages:view_draft", args=[t["page"].pk]),
    "page history": lambda t: reverse("wagtailadmin_pages:history", args=[t["page"].pk]),
    "page revision": lambda t: reverse(
        "wagtailadmin_pages:revisions_view", args=[t["page"].pk, t["page"].latest_revision_id]
    ),
    "page revisions compare": lambda t: f"/admin/pages/{t['page'].pk}/revisions/compare/earliest...live/",
    "page unpublish": lambda t: reverse("wagtailadmin_pages:unpublish", args=[t["page"].pk]),
    "page delete": lambda t: reverse("wagtailadmin_pages:delete", args=[t["page"].pk]),
    "entry listing": lambda t: reverse(f"{SNIPPET}:list"),
    "entry add": lambda t: reverse(f"{SNIPPET}:add"),
    "entry edit": entry_url("edit"),
    "entry copy": entry_url("copy"),
    "entry inspect": entry_url("inspect"),
    "entry preview": entry_url("preview_on_edit"),
    "entry history": entry_url("history"),
    "entry revision": lambda t: reverse(
        f"{SNIPPET}:revisions_view", args=[t["entry"].pk, t["entry"].latest_revision_id]
    ),
    "entry revisions compare": lambda t: (
        f"/admin/snippets/partnership/cooperationentry/history/{t['entry'].pk}/revisions/compare/earliest...live/"
    ),
    "entry revert": lambda t: reverse(
        f"{SNIPPET}:revisions_revert", args=[t["entry"].pk, t["entry"].latest_revision_id]
    ),
    "entry unpublish": entry_url("unpublish"),
    "entry delete": entry_url("delete"),
    "partner listing": lambda t: reverse("wagtailsnippets_partnership_partner:list"),
    "document imports": lambda t: reverse("partnership_imports:index"),
    "document import form": lambda t: reverse("partnership_imports:add"),
    "document import review": lambda t: reverse("partnership_imports:review", args=[t["import"].pk]),
    "partner add": lambda t: reverse("wagtailsnippets_partnership_partner:add"),
    "images": lambda t: reverse("wagtailimages:index"),
    "image add": lambda t: reverse("wagtailimages:add"),
    "image edit": lambda t: reverse("wagtailimages:edit", args=[t["image"].pk]),
    "image delete": lambda t: reverse("wagtailimages:delete", args=[t["image"].pk]),
    "documents": lambda t: reverse("wagtaildocs:index"),
    "document add": lambda t: reverse("wagtaildocs:add"),
    "document edit": lambda t: reverse("wagtaildocs:edit", args=[t["document"].pk]),
    "users": lambda t: reverse("wagtailusers_users:index"),
    "user add": lambda t: reverse("wagtailusers_users:add"),
    "user edit": lambda t: reverse("wagtailusers_users:edit", args=[t["user"].pk]),
    "groups": lambda t: reverse("wagtailusers_groups:index"),
    "group edit": lambda t: reverse("wagtailusers_groups:edit", args=[t["group"].pk]),
    "settings: sites": lambda t: reverse("wagtailsites:index"),
    "settings: redirects": lambda t: reverse("wagtailredirects:index"),
    "settings: locales": lambda t: reverse("wagtaillocales:index"),
    "settings: collections": lambda t: reverse("wagtailadmin_collections:index"),
    "workflows": lambda t: reverse("wagtailadmin_workflows:index"),
    "workflow tasks": lambda t: reverse("wagtailadmin_workflows:task_index"),
    "report: workflows": lambda t: reverse("wagtailadmin_reports:workflow"),
    "report: site history": lambda t: reverse("wagtailadmin_reports:site_history"),
    "report: aging pages": lambda t: reverse("wagtailadmin_reports:aging_pages"),
    "report: locked pages": lambda t: reverse("wagtailadmin_reports:locked_pages"),
}

# What each role gets on a GET: (editor, moderator, superuser); anonymous and inactive: LOGIN.
ADMIN_MATRIX = {
    "dashboard": (OK, OK, OK),
    "account": (OK, OK, OK),
    "pages explorer": (OK, OK, OK),
    "pages explorer (a section)": (OK, OK, OK),
    "page add": (OK, OK, OK),
    "page edit": (OK, OK, OK),
    "page preview": (OK, OK, OK),
    "page view draft": (OK, OK, OK),
    "page history": (OK, OK, OK),
    "page revision": (OK, OK, OK),
    "page revisions compare": (OK, OK, OK),
    "page unpublish": (DENIED, OK, OK),
    "page delete": (DENIED, OK, OK),
    "entry listing": (OK, OK, OK),
    "entry add": (OK, OK, OK),
    "entry edit": (OK, OK, OK),
    "entry copy": (OK, OK, OK),
    "entry inspect": (OK, OK, OK),
    "entry preview": (OK, OK, OK),
    "entry history": (OK, OK, OK),
    "entry revision": (OK, OK, OK),
    "entry revisions compare": (OK, OK, OK),
    "entry revert": (OK, OK, OK),  # a form: what it saves is a draft, unless its user may publish
    "entry unpublish": (DENIED, OK, OK),
    "entry delete": (DENIED, OK, OK),
    "partner listing": (OK, OK, OK),
    # Importing proposes draft entries: whoever may add entries (partnership/import_views.py).
    "document imports": (OK, OK, OK),
    "document import form": (OK, OK, OK),
    "document import review": (OK, OK, OK),
    "partner add": (DENIED, OK, OK),
    "images": (OK, OK, OK),
    "image add": (OK, OK, OK),
    "image edit": (OK, OK, OK),
    # Wagtail lets whoever may change any image (roles.py gives Editors change_image) delete it too.
    "image delete": (OK, OK, OK),
    "documents": (OK, OK, OK),
    "document add": (OK, OK, OK),
    "document edit": (OK, OK, OK),
    "users": (DENIED, DENIED, OK),
    "user add": (DENIED, DENIED, OK),
    "user edit": (DENIED, DENIED, OK),
    "groups": (DENIED, DENIED, OK),
    "group edit": (DENIED, DENIED, OK),
    "settings: sites": (DENIED, DENIED, OK),
    "settings: redirects": (DENIED, DENIED, OK),
    "settings: locales": (DENIED, DENIED, OK),
    "settings: collections": (DENIED, DENIED, OK),
    "workflows": (DENIED, DENIED, OK),
    "workflow tasks": (DENIED, DENIED, OK),
    "report: workflows": (OK, OK, OK),
    "report: site history": (OK, OK, OK),
    "report: aging pages": (OK, OK, OK),
    "report: locked pages": (DENIED, OK, OK),  # needs the lock permission
}


def expected(url_name, role):
    if role in ("anonymous", "inactive"):
        return LOGIN
    return ADMIN_MATRIX[url_name][["editor", "moderator", "superuser"].index(role)]


def outcome(response):
    """ok (the page), login (sent to the login page) or denied (403, or Wagtail's redirect home)."""
    location = response.get("Location", "")
    if response.status_code == 302 and location.startswith(reverse("wagtailadmin_login") + "?next="):
        return LOGIN
    if response.status_code == 200:
        return OK
    if response.status_code == 403 or (response.status_code == 302 and location == reverse("wagtailadmin_home")):
        return DENIED
    return f"HTTP {response.status_code} {location}".strip()


@pytest.mark.parametrize("role", ROLES)
def test_admin_access_matrix(people, things, role):
    client = client_as(people[role])
    wrong = []
    for name, url in ADMIN_URLS.items():
        response = client.get(url(things))
        if outcome(response) != expected(name, role):
            wrong.append(f"{name} ({url(things)}): expected {expected(name, role)}, got {outcome(response)}")
        if outcome(response) != OK:
            # Refused means refused: no admin content, no entry, no draft.
            assert b"Liaison officer" not in response.content and b"Relations with Japan" not in response.content
    assert not wrong, "\n".join(wrong)


def test_anonymous_admin_redirects_carry_the_way_back(people, things):
    response = Client().get(ADMIN_URLS["entry edit"](things))
    assert response["Location"] == f"/admin/login/?next={ADMIN_URLS['entry edit'](things)}"


def test_an_inactive_user_cannot_log_in(people):
    response = Client().post(reverse("wagtailadmin_login"), {"username": "inactive", "password": "inactive-password-1"})
    assert response.status_code == 200 and "_auth_user_id" not in Client().session
    assert Client().get(reverse("wagtailadmin_home")).status_code == 302


# --- State-changing actions, over HTTP --------------------------------------------------------------
# For each action: the least privileged role that may do it. Every role before it in ROLES is refused
# and changes nothing; that role succeeds. (Roles are ordered by privilege, and the permissions are
# nested, so this checks each action's boundary.)


def do_entry_edit(client, t):
    client.post(reverse(f"{SNIPPET}:edit", args=[t["entry"].pk]), entry_form(t["entry"], title="Edited title"))


def do_entry_create(client, t):
    data = entry_form(t["entry"], title="A new post", slug="japan-new-post", source_order=99)
    client.post(reverse(f"{SNIPPET}:add") + "?locale=en", data)


def entry_created_as_draft(t):
    """A new entry is a draft, with its areas, and not public until published."""
    created = CooperationEntry.objects.filter(slug="japan-new-post").first()
    if created is None:
        return False
    assert not created.live and created.areas.exists()
    assert Client().get("/cooperation/japan-new-post/").status_code == 404
    return True


def entry_draft_saved(t):
    """The edit is a draft: the live entry keeps its title."""
    entry = CooperationEntry.objects.get(pk=t["entry"].pk)
    return entry.get_latest_revision_as_object().title == "Edited title" and entry.title == t["entry"].title


def do_entry_submit(client, t):
    data = entry_form(t["entry"], title="Submitted title", **{"action-submit": "submit"})
    client.post(reverse(f"{SNIPPET}:edit", args=[t["entry"].pk]), data)


def entry_in_moderation(t):
    return WorkflowState.objects.filter(
        base_content_type__model="cooperationentry", object_id=str(t["entry"].pk), status="in_progress"
    ).exists()


def do_entry_publish(client, t):
    data = entry_form(t["entry"], title="Published title", **{"action-publish": "publish"})
    client.post(reverse(f"{SNIPPET}:edit", args=[t["entry"].pk]), data)


def do_page_edit(client, t):
    client.post(reverse("wagtailadmin_pages:edit", args=[t["page"].pk]), page_form(t["page"], title="Draft title"))


def do_page_submit(client, t):
    data = page_form(t["page"], title="For review", **{"action-submit": "submit"})
    client.post(reverse("wagtailadmin_pages:edit", args=[t["page"].pk]), data)


def do_page_publish(client, t):
    data = page_form(t["page"], title="Published title", **{"action-publish": "publish"})
    client.post(reverse("wagtailadmin_pages:edit", args=[t["page"].pk]), data)


def do_image_upload(client, t):
    upload = SimpleUploadedFile("new.png", png_bytes(), content_type="image/png")
    client.post(reverse("wagtailimages:add"), {"title": "Uploaded", "file": upload})


def do_user_add(client, t):
    client.post(
        reverse("wagtailusers_users:add"),
        {
            "username": "newcomer",
            "email": "newcomer@example.org",
            "first_name": "New",
            "last_name": "Comer",
            "password1": "a-long-password-77",
            "password2": "a-long-password-77",
            "is_active": "on",
        },
    )


def do_group_grant(client, t):
    """Give Editors the delete permission on entries through the group form."""
    group = t["group"]
    form = client.get(reverse("wagtailusers_groups:edit", args=[group.pk]))
    if form.status_code != 200:
        client.post(reverse("wagtailusers_groups:edit", args=[group.pk]), {"name": "Editors"})
        return
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(form.content, "html.parser")
    data = {}
    for field in soup.select("form input, form select, form textarea"):
        name = field.get("name")
        if not name or field.get("type") in ("submit", "button"):
            continue
        if field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data.setdefault(name, []).append(field.get("value", "on"))
        elif field.name == "select":
            data[name] = [o.get("value") for o in field.select("option[selected]")]
        else:
            data[name] = field.get("value", field.text)
    delete_entry = group.permissions.model.objects.get(codename="delete_cooperationentry")
    data.setdefault("permissions", []).append(str(delete_entry.pk))
    client.post(reverse("wagtailusers_groups:edit", args=[group.pk]), data)


def do_document_import(client, t):
    """Paste a newer version of Japan's page (later “Last updated”, one sentence added)."""
    newer = SOURCE_TEXT.replace("12 Sep. 2018 12:49", "3 Mar. 2020 10:00").replace(
        "with which NATO is developing relations.",
        "with which NATO is developing relations. In 2019, Japan opened a new mission to NATO in Brussels.",
    )
    client.post(reverse("partnership_imports:add"), {"text": newer})


def document_imported_as_drafts(t):
    document_import = DocumentImport.objects.exclude(pk=t["import"].pk).first()
    if document_import is None:
        return False
    assert not CooperationEntry.objects.filter(proposal__document_import=document_import, live=True).exists()
    return True


ACTIONS = {
    # name: (least privileged role allowed, do it, did it happen?)
    "document: import as drafts": ("editor", do_document_import, document_imported_as_drafts),
    "entry: create a draft": ("editor", do_entry_create, entry_created_as_draft),
    "entry: save a draft": ("editor", do_entry_edit, entry_draft_saved),
    "entry: submit for moderation": ("editor", do_entry_submit, entry_in_moderation),
    "entry: publish": (
        "moderator",
        do_entry_publish,
        lambda t: (
            CooperationEntry.objects.get(pk=t["entry"].pk).title == "Published title"
            and "Published title" in Client().get("/partners/japan/").content.decode()
        ),
    ),
    "entry: unpublish": (
        "moderator",
        lambda c, t: c.post(reverse(f"{SNIPPET}:unpublish", args=[t["entry"].pk])),
        lambda t: (
            not CooperationEntry.objects.get(pk=t["entry"].pk).live
            and Client().get(f"/cooperation/{SLUG}/").status_code == 404
        ),
    ),
    "entry: delete": (
        "moderator",
        lambda c, t: c.post(reverse(f"{SNIPPET}:delete", args=[t["entry"].pk])),
        lambda t: not CooperationEntry.objects.filter(pk=t["entry"].pk).exists(),
    ),
    "entry: lock": (
        "moderator",
        lambda c, t: c.post(reverse(f"{SNIPPET}:lock", args=[t["entry"].pk])),
        lambda t: CooperationEntry.objects.get(pk=t["entry"].pk).locked,
    ),
    "page: save a draft": (
        "editor",
        do_page_edit,
        lambda t: PartnerPage.objects.get().get_latest_revision_as_object().title == "Draft title",
    ),
    "page: submit for moderation": (
        "editor",
        do_page_submit,
        lambda t: PartnerPage.objects.get().current_workflow_state is not None,
    ),
    "page: publish": ("moderator", do_page_publish, lambda t: PartnerPage.objects.get().title == "Published title"),
    "page: unpublish": (
        "moderator",
        lambda c, t: c.post(reverse("wagtailadmin_pages:unpublish", args=[t["page"].pk])),
        lambda t: not PartnerPage.objects.get().live,
    ),
    "page: delete": (
        "moderator",
        lambda c, t: c.post(reverse("wagtailadmin_pages:delete", args=[t["page"].pk])),
        lambda t: not Page.objects.filter(pk=t["page"].pk).exists(),
    ),
    "image: upload": ("editor", do_image_upload, lambda t: Image.objects.filter(title="Uploaded").exists()),
    "user: create": (
        "superuser",
        do_user_add,
        lambda t: t["user"].__class__.objects.filter(username="newcomer").exists(),
    ),
    "group: grant a permission": (
        "superuser",
        do_group_grant,
        lambda t: t["group"].permissions.filter(codename="delete_cooperationentry").exists(),
    ),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_state_changing_actions(people, things, action):
    allowed_from, do, happened = ACTIONS[action]
    for role in ROLES[: ROLES.index(allowed_from)]:
        do(client_as(people[role]), things)
        assert not happened(things), f"{role} could {action}"
    do(client_as(people[allowed_from]), things)
    assert happened(things), f"{allowed_from} could not {action}"


# --- Nothing unpublished is public -----------------------------------------------------------------


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_unpublished_expired_and_draft_content_is_nowhere_in_public(client, people, things):
    entry, page = things["entry"], things["page"]
    # An entry published under a telling title, then unpublished.
    entry.title = "Zanzibar unpublished entry"
    entry.save_revision().publish()
    entry.unpublish()
    # An entry whose expiry date has passed (after publish_scheduled has run).
    expired = CooperationEntry.objects.get(slug="japan-initial-contacts")
    expired.title = "Zanzibar expired entry"
    expired.save_revision().publish()
    expired.expire_at = timezone.now() - datetime.timedelta(minutes=1)
    expired.save()
    # A draft of the home page, never published.
    home = HomePage.objects.get()
    home.title = "Zanzibar home draft"
    home.save_revision()
    # The partner page, published under a telling title, then expired.
    page.title = "Zanzibar expired page"
    page.save_revision().publish()
    page.refresh_from_db()
    page.expire_at = timezone.now() - datetime.timedelta(minutes=1)
    page.save()
    call_command("publish_scheduled", stdout=io.StringIO())
    page.refresh_from_db()
    assert not page.live and page.expired

    public = [
        "/",
        "/partners/",
        "/cooperation/",
        "/cooperation/export.csv",
        "/cooperation/export.json",
        "/cooperation/feed.atom",
        "/cooperation/feeds/japan.atom",
        "/api/v2/entries/?limit=100",
        "/api/v2/pages/?limit=100",
        "/search/?q=Zanzibar",
        "/sitemap.xml",
    ]
    for url in public:
        response = client.get(url)
        assert response.status_code == 200, url
        text = body(response)
        if url.startswith("/search/"):
            assert "0 results for" in text
        else:
            assert "Zanzibar" not in text, url
    for url in [
        f"/cooperation/{entry.slug}/",
        f"/cooperation/{expired.slug}/",
        "/partners/japan/",
        f"/api/v2/entries/{entry.pk}/",
        f"/api/v2/entries/{expired.pk}/",
        f"/api/v2/pages/{page.pk}/",
    ]:
        assert client.get(url).status_code == 404, url
    # Previews, drafts and revisions stay behind the login.
    for url in [
        reverse("wagtailadmin_pages:preview_on_edit", args=[home.pk]),
        reverse("wagtailadmin_pages:view_draft", args=[home.pk]),
        reverse("wagtailadmin_pages:revisions_view", args=[home.pk, home.latest_revision_id]),
        reverse(f"{SNIPPET}:preview_on_edit", args=[entry.pk]),
        reverse(f"{SNIPPET}:revisions_view", args=[entry.pk, entry.latest_revision_id]),
        reverse(f"{SNIPPET}:inspect", args=[expired.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), url
        assert "Zanzibar" not in response.content.decode()


# --- Failed logins are throttled --------------------------------------------------------------------


def log_in(username, password, ip="203.0.113.7"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(reverse("wagtailadmin_login"), {"username": username, "password": password})
    return client, response


def test_five_wrong_passwords_lock_that_name_from_that_address(people):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _, response = log_in("editor", "wrong-password")
        assert response.status_code == 200 and "_auth_user_id" not in response.client.session
    _, response = log_in("editor", "wrong-password")
    assert response.status_code == 429
    text = response.content.decode()
    assert "Too many failed log-in attempts" in text and "Try again in 15 minutes" in text
    assert response["Retry-After"] == "900"
    # Even the right password is refused now, from that address.
    client, response = log_in("editor", "editor-password-1")
    assert response.status_code == 429 and client.get(reverse("wagtailadmin_home")).status_code == 302
    # The same person from elsewhere, and someone else from the same address, are not locked out.
    _, response = log_in("editor", "editor-password-1", ip="198.51.100.9")
    assert response.status_code == 302
    _, response = log_in("moderator", "moderator-password-1")
    assert response.status_code == 302


def test_the_lockout_ends_after_the_cool_off(people):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in("editor", "wrong-password")
    assert log_in("editor", "editor-password-1")[1].status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    client, response = log_in("editor", "editor-password-1")
    assert response.status_code == 302 and client.get(reverse("wagtailadmin_home")).status_code == 200


def test_a_successful_login_resets_the_count(people):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in("editor", "wrong-password")
    assert log_in("editor", "editor-password-1")[1].status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in("editor", "wrong-password")[1].status_code == 200
    assert log_in("editor", "editor-password-1")[1].status_code == 302


# --- Uploads are limited in size and type -----------------------------------------------------------


def stored_files():
    root = settings.MEDIA_ROOT
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()} if root.exists() else set()


OVERSIZED_PNG = ("big.png", lambda: png_bytes() + b"\0" * settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE, "too big")
BAD_IMAGES = {
    "oversized": OVERSIZED_PNG,
    "svg": (
        "logo.svg",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "Not a supported image format",
    ),
    "html disguised as png": ("photo.png", lambda: b"<html><script>alert(1)</script></html>", "Not a valid .png image"),
    "gif disguised as png": ("photo.png", None, "does not match the file format"),
    "too many pixels": ("huge.png", lambda: png_bytes((8000, 5001), mode="1"), "too many pixels"),
}


def gif_bytes():
    buffer = io.BytesIO()
    PILImage.new("RGB", (2, 2)).save(buffer, "GIF")
    return buffer.getvalue()


@pytest.fixture
def editor(db, django_user_model):
    """An Editors-group user, without the whole fixtures (the groups alone)."""
    from partnership.roles import ensure_editorial_roles

    ensure_editorial_roles()
    user = django_user_model.objects.create_user("editor", password="editor-password-1")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.mark.parametrize("case", BAD_IMAGES)
@pytest.mark.parametrize("view", ["wagtailimages:add", "wagtailimages:add_multiple"])
def test_bad_images_are_refused_with_a_form_error(editor, case, view):
    name, content, message = BAD_IMAGES[case]
    data = gif_bytes() if content is None else content()
    client = client_as(editor)
    before = stored_files()
    upload = SimpleUploadedFile(name, data, content_type="image/png")
    if view.endswith("multiple"):
        response = client.post(reverse(view), {"files[]": upload}, headers={"x-requested-with": "XMLHttpRequest"})
        assert response.status_code == 200
        assert response.json()["success"] is False and message in response.json()["error_message"]
    else:
        response = client.post(reverse(view), {"title": "Bad", "file": upload})
        assert response.status_code == 200  # the form again, with the error
        assert message in response.content.decode()
    assert not Image.objects.exists()
    assert stored_files() == before


def test_a_good_image_is_accepted(editor):
    client = client_as(editor)
    upload = SimpleUploadedFile("good.png", png_bytes(), content_type="image/png")
    response = client.post(reverse("wagtailimages:add"), {"title": "Good", "file": upload})
    assert response.status_code == 302 and Image.objects.filter(title="Good").exists()


BAD_DOCUMENTS = {
    "exe": ("setup.exe", b"MZ\x90\x00" + b"\0" * 100, "File extension “exe” is not allowed"),
    "html": ("page.html", b"<html><script>alert(1)</script></html>", "File extension “html” is not allowed"),
    "svg": ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "File extension “svg” is not allowed"),
    "oversized": ("big.pdf", None, "too big"),
}


@pytest.mark.parametrize("case", BAD_DOCUMENTS)
@pytest.mark.parametrize("view", ["wagtaildocs:add", "wagtaildocs:add_multiple"])
def test_bad_documents_are_refused_with_a_form_error(editor, case, view):
    name, data, message = BAD_DOCUMENTS[case]
    data = data if data is not None else b"%PDF-1.4\n" + b"\0" * settings.WAGTAILDOCS_MAX_UPLOAD_SIZE
    client = client_as(editor)
    before = stored_files()
    upload = SimpleUploadedFile(name, data)
    if view.endswith("multiple"):
        response = client.post(reverse(view), {"files[]": upload}, headers={"x-requested-with": "XMLHttpRequest"})
        assert response.status_code == 200
        assert response.json()["success"] is False and message in response.json()["error_message"]
    else:
        response = client.post(reverse(view), {"title": "Bad", "file": upload})
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not Document.objects.exists()
    assert stored_files() == before


def test_documents_are_served_safely(client, db):
    document = Document.objects.create(title="Notes", file=ContentFile(b"<script>alert(1)</script>", name="notes.txt"))
    response = client.get(document.url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"


# --- CSRF on every state-changing request -----------------------------------------------------------


def csrf_client(user):
    return client_as(user, enforce_csrf_checks=True)


def test_login_without_a_csrf_token_is_refused(people):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("wagtailadmin_login"), {"username": "superuser", "password": "superuser-password-1"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


CSRF_POSTS = {
    "page edit": (
        lambda t: reverse("wagtailadmin_pages:edit", args=[t["page"].pk]),
        lambda t: page_form(t["page"], title="Forged"),
    ),
    "page publish": (
        lambda t: reverse("wagtailadmin_pages:edit", args=[t["page"].pk]),
        lambda t: page_form(t["page"], title="Forged", **{"action-publish": "publish"}),
    ),
    "page unpublish": (lambda t: reverse("wagtailadmin_pages:unpublish", args=[t["page"].pk]), lambda t: {}),
    "page delete": (lambda t: reverse("wagtailadmin_pages:delete", args=[t["page"].pk]), lambda t: {}),
    "page action through the admin API": (
        lambda t: f"/admin/api/main/pages/{t['page'].pk}/action/unpublish/",
        lambda t: {},
    ),
    "entry edit": (
        lambda t: reverse(f"{SNIPPET}:edit", args=[t["entry"].pk]),
        lambda t: entry_form(t["entry"], title="Forged"),
    ),
    "entry publish": (
        lambda t: reverse(f"{SNIPPET}:edit", args=[t["entry"].pk]),
        lambda t: entry_form(t["entry"], title="Forged", **{"action-publish": "publish"}),
    ),
    "entry add": (
        lambda t: reverse(f"{SNIPPET}:add") + "?locale=en",
        lambda t: entry_form(t["entry"], title="Forged", slug="forged"),
    ),
    "entry unpublish": (lambda t: reverse(f"{SNIPPET}:unpublish", args=[t["entry"].pk]), lambda t: {}),
    "entry delete": (lambda t: reverse(f"{SNIPPET}:delete", args=[t["entry"].pk]), lambda t: {}),
    "image upload": (
        lambda t: reverse("wagtailimages:add"),
        lambda t: {"title": "Forged", "file": SimpleUploadedFile("f.png", png_bytes(), content_type="image/png")},
    ),
    "image delete": (lambda t: reverse("wagtailimages:delete", args=[t["image"].pk]), lambda t: {}),
    "document upload": (
        lambda t: reverse("wagtaildocs:add"),
        lambda t: {"title": "Forged", "file": SimpleUploadedFile("f.txt", b"forged")},
    ),
    "user add": (
        lambda t: reverse("wagtailusers_users:add"),
        lambda t: {
            "username": "forged",
            "email": "f@example.org",
            "password1": "x-long-pass-9",
            "password2": "x-long-pass-9",
        },
    ),
}


def everything(t):
    """What a forged request might change."""
    return {
        "page": list(Page.objects.values_list("pk", "title", "live", "latest_revision_id").order_by("pk")),
        "entries": list(
            CooperationEntry.objects.values_list("pk", "title", "live", "latest_revision_id").order_by("pk")
        ),
        "images": list(Image.objects.values_list("pk", "title").order_by("pk")),
        "documents": list(Document.objects.values_list("pk", "title").order_by("pk")),
        "users": list(t["user"].__class__.objects.values_list("pk", "username").order_by("pk")),
    }


@pytest.mark.parametrize("name", CSRF_POSTS)
def test_admin_changes_without_a_csrf_token_are_refused(people, things, name):
    url, data = CSRF_POSTS[name]
    before = everything(things)
    response = csrf_client(people["superuser"]).post(url(things), data(things))
    assert response.status_code == 403
    assert everything(things) == before
    # With the token, the same client gets past the CSRF check (the form's own answer, not a 403).
    client = csrf_client(people["superuser"])
    client.get(reverse("wagtailadmin_home"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    assert client.post(url(things), data(things), headers={"x-csrftoken": token}).status_code != 403


def all_url_patterns(patterns=None, prefix=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from all_url_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def read_only(callback):
    """Whether a view answers only GET, HEAD (and OPTIONS)."""
    safe = {"get", "head", "options"}
    if getattr(callback, "actions", None) is not None:  # a DRF viewset route
        return set(callback.actions) <= safe
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is not None:
        return {m for m in view_class.http_method_names if hasattr(view_class, m)} <= safe
    return False


def enforces_csrf_itself(callback):
    """DRF views are csrf_exempt for Django and check CSRF in SessionAuthentication instead."""
    from rest_framework.authentication import SessionAuthentication

    view_class = getattr(callback, "cls", None)
    return view_class is not None and any(
        issubclass(auth, SessionAuthentication) for auth in view_class.authentication_classes
    )


def test_no_view_that_changes_state_is_csrf_exempt():
    exempt = [
        route
        for route, callback in all_url_patterns()
        if getattr(callback, "csrf_exempt", False) and not read_only(callback) and not enforces_csrf_itself(callback)
    ]
    assert exempt == []
    # The only exempt views taking a POST are the admin API's page actions and wagtail-localize's translation
    # editor's saves of a string or an override, which DRF checks (tested above).
    posting = [
        route
        for route, callback in all_url_patterns()
        if getattr(callback, "csrf_exempt", False) and not read_only(callback)
    ]
    assert posting == [
        "admin/api/main/^pages/<int:pk>/action/<str:action_name>/",
        "admin/localize/translate/<int:translation_id>/strings/<int:string_segment_id>/edit/",
        "admin/localize/translate/<int:translation_id>/overrides/<int:overridable_segment_id>/edit/",
    ]


@functools.cache
def production_client_address_settings(proxies):
    """The settings production derives from TRUSTED_PROXY_COUNT=proxies for reading the client's
    address (django-axes' AXES_IPWARE_*, django-ipware's IPWARE_*), read in a fresh process."""
    probe = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({k: getattr(settings, k) for k in dir(settings) if k.startswith(('AXES_IPWARE_', 'IPWARE_'))}))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="partners.example.org",
        DATABASE_URL="postgres://partnership@127.0.0.1:5432/partnership",
        WAGTAILADMIN_BASE_URL="https://partners.example.org",
        TRUSTED_PROXY_COUNT=str(proxies),
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def use_production_client_address_settings(settings, proxies):
    for name, value in production_client_address_settings(proxies).items():
        setattr(settings, name, value)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no proxy trusted: the header is the client's own claim
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.7, 203.0.113.9", "203.0.113.9"),  # the left part was written by the client
        (2, "198.51.100.7, 203.0.113.9", "198.51.100.7"),
        (2, "203.0.113.9", None),  # fewer entries than proxies: nothing in it is to be trusted
    ],
)
def test_the_login_throttle_counts_the_client_behind_trusted_proxies(settings, proxies, forwarded, expected):
    from axes.helpers import get_client_ip_address
    from django.test import RequestFactory

    use_production_client_address_settings(settings, proxies)
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert get_client_ip_address(request) == expected


@pytest.mark.parametrize(("proxies", "remote_addr"), [(0, "203.0.113.7"), (1, "10.0.0.1")])
def test_a_spoofed_forwarded_for_does_not_change_the_locked_out_address(settings, people, proxies, remote_addr):
    """The client at 203.0.113.7 (directly, or behind one proxy at 10.0.0.1) writes a new
    X-Forwarded-For at each try: every failure still counts against 203.0.113.7."""
    from axes.models import AccessAttempt

    use_production_client_address_settings(settings, proxies)

    def log_in_claiming(claimed, password):
        forwarded = f"{claimed}, 203.0.113.7" if proxies else claimed
        client = Client(REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_FOR=forwarded)
        return client.post(reverse("wagtailadmin_login"), {"username": "editor", "password": password})

    for attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in_claiming(f"198.51.100.{attempt}", "wrong-password")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    assert log_in_claiming("198.51.100.99", "editor-password-1").status_code == 429
    if proxies:  # someone else behind the same proxy is not locked out
        other = Client(REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_FOR="203.0.113.8")
        response = other.post(reverse("wagtailadmin_login"), {"username": "editor", "password": "editor-password-1"})
        assert response.status_code == 302
