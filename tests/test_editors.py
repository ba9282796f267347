"""Editors and moderators in the admin: the permission matrix over HTTP, drafts never public,
scheduled publishing, revert, history, and the admin's listing tools."""

import datetime
import io
import time

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.utils import timezone
from wagtail.models import ModelLogEntry, Page, WorkflowState

from cms.models import PartnerPage
from partnership.models import CooperationEntry

pytestmark = pytest.mark.django_db

ENTRIES = "/admin/snippets/partnership/cooperationentry"
SLUG = "japan-liaison-officer-maritime-command"


@pytest.fixture
def users(loaded, django_user_model):
    """One user per role; the groups come from load_fixtures."""
    people = {"anonymous": None}
    for role in ("editor", "moderator"):
        user = django_user_model.objects.create_user(role, password=f"{role}-password-1")
        user.groups.add(Group.objects.get(name=f"{role.title()}s"))
        people[role] = user
    people["administrator"] = django_user_model.objects.create_superuser("administrator", "", "admin-password-1")
    return people


def client_for(client, user):
    if user is not None:
        client.force_login(user)
    return client


def entry_form(entry, **changes):
    """What the admin's edit form posts for ``entry``, with ``changes``."""
    data = model_to_dict(
        entry,
        fields=[
            "partner", "kind", "title", "slug", "description", "start_date", "start_precision", "end_date",
            "end_precision", "ongoing", "amount", "currency", "areas", "programmes", "places", "beneficiaries",
            "source", "source_section", "source_quote", "source_order",
        ],
    )  # fmt: skip
    data.update(changes)
    form = {}
    for key, value in data.items():
        if value is None or value is False:
            continue
        if isinstance(value, list | tuple) or hasattr(value, "model"):  # a list or a queryset of related records
            form[key] = [getattr(v, "pk", v) for v in value]
        else:
            form[key] = value.isoformat() if isinstance(value, datetime.date) else value
    return form


def live_title(slug=SLUG):
    return CooperationEntry.objects.get(slug=slug).title


# --- Groups and workflow -------------------------------------------------------------------------


def test_load_fixtures_makes_the_roles_and_the_workflow(users):
    editors, moderators = Group.objects.get(name="Editors"), Group.objects.get(name="Moderators")
    assert editors.permissions.filter(codename="change_cooperationentry").exists()
    assert not editors.permissions.filter(codename="publish_cooperationentry").exists()
    assert moderators.permissions.filter(codename="publish_cooperationentry").exists()
    entry = CooperationEntry.objects.get(slug=SLUG)
    assert entry.get_workflow().name == "Moderators approval"
    assert PartnerPage.objects.get().get_workflow().name == "Moderators approval"
    # Idempotent: a second load changes nothing about them.
    before = sorted(moderators.permissions.values_list("codename", flat=True))
    call_command("load_fixtures", stdout=io.StringIO())
    assert sorted(Group.objects.get(name="Moderators").permissions.values_list("codename", flat=True)) == before


def test_loaded_entries_arrive_published_with_a_first_revision(loaded):
    for entry in CooperationEntry.objects.all():
        assert entry.live and not entry.has_unpublished_changes
        assert entry.revisions.count() == 1 and entry.live_revision_id == entry.latest_revision_id
        assert ModelLogEntry.objects.for_instance(entry).filter(action="wagtail.publish").exists()


# --- The permission matrix, over HTTP -------------------------------------------------------------

ROLES = ["anonymous", "editor", "moderator", "administrator"]


@pytest.mark.parametrize("role", ROLES)
def test_list_and_inspect(client, users, role):
    entry = CooperationEntry.objects.get(slug=SLUG)
    client = client_for(client, users[role])
    listing = client.get(f"{ENTRIES}/")
    inspect = client.get(f"{ENTRIES}/inspect/{entry.pk}/")
    if role == "anonymous":
        assert listing.status_code == inspect.status_code == 302
        assert listing["Location"].startswith("/admin/login/")
    else:
        assert listing.status_code == inspect.status_code == 200
        assert "Liaison officer to NATO’s Maritime Command" in listing.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_create_saves_a_draft(client, users, role):
    template = CooperationEntry.objects.get(slug=SLUG)
    data = entry_form(template, title="A new post", slug="japan-new-post", source_order=99)
    response = client_for(client, users[role]).post(f"{ENTRIES}/add/?locale=en", data)
    created = CooperationEntry.objects.filter(slug="japan-new-post").first()
    if role == "anonymous":
        assert response.status_code == 302 and created is None
    else:
        assert response.status_code == 302, response.content.decode()[:3000]
        assert created is not None and not created.live  # a draft until published
        assert list(created.areas.values_list("slug", flat=True))
        assert client.get(f"/cooperation/{created.slug}/").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_edit_saves_a_draft_without_touching_the_live_entry(client, users, role):
    entry = CooperationEntry.objects.get(slug=SLUG)
    response = client_for(client, users[role]).post(
        f"{ENTRIES}/edit/{entry.pk}/", entry_form(entry, title="Draft title")
    )
    entry.refresh_from_db()
    if role == "anonymous":
        assert response.status_code == 302 and not entry.has_unpublished_changes
    else:
        assert response.status_code == 302, response.content.decode()[:3000]
        assert entry.has_unpublished_changes
        assert entry.get_latest_revision_as_object().title == "Draft title"
    assert live_title() == "Liaison officer to NATO’s Maritime Command"


@pytest.mark.parametrize("role", ROLES)
def test_submit_for_moderation(client, users, role):
    entry = CooperationEntry.objects.get(slug=SLUG)
    data = entry_form(entry, title="Submitted title", **{"action-submit": "submit"})
    client_for(client, users[role]).post(f"{ENTRIES}/edit/{entry.pk}/", data)
    in_moderation = WorkflowState.objects.filter(
        base_content_type__model="cooperationentry", object_id=str(entry.pk), status="in_progress"
    ).exists()
    assert in_moderation == (role != "anonymous")
    assert live_title() == "Liaison officer to NATO’s Maritime Command"


@pytest.mark.parametrize(
    ("role", "allowed"), [("anonymous", False), ("editor", False), ("moderator", True), ("administrator", True)]
)
def test_publish(client, users, role, allowed):
    entry = CooperationEntry.objects.get(slug=SLUG)
    data = entry_form(entry, title="Published title", **{"action-publish": "publish"})
    client_for(client, users[role]).post(f"{ENTRIES}/edit/{entry.pk}/", data)
    assert (live_title() == "Published title") is allowed
    assert ("Published title" in client.get("/partners/japan/").content.decode()) is allowed


@pytest.mark.parametrize(
    ("role", "allowed"), [("anonymous", False), ("editor", False), ("moderator", True), ("administrator", True)]
)
def test_unpublish(client, users, role, allowed):
    entry = CooperationEntry.objects.get(slug=SLUG)
    client_for(client, users[role]).post(f"{ENTRIES}/unpublish/{entry.pk}/")
    entry.refresh_from_db()
    assert (not entry.live) is allowed
    assert (client.get(f"/cooperation/{SLUG}/").status_code == 404) is allowed


@pytest.mark.parametrize(
    ("role", "allowed"), [("anonymous", False), ("editor", False), ("moderator", True), ("administrator", True)]
)
def test_delete(client, users, role, allowed):
    entry = CooperationEntry.objects.get(slug=SLUG)
    client_for(client, users[role]).post(f"{ENTRIES}/delete/{entry.pk}/")
    assert (not CooperationEntry.objects.filter(pk=entry.pk).exists()) is allowed


# Pages: the same rules through Wagtail's page editor.


def page_form(page, **changes):
    from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield  # noqa: F401

    data = {
        "title": page.title,
        "slug": page.slug,
        "partner": page.partner_id,
        "lead": page.lead,
        "image": page.image_id or "",
        "image_caption": page.image_caption,
        "highlights": streamfield([("highlight", rich_text(h.value.source)) for h in page.highlights]),
        "body": streamfield([("heading", {"text": "Key areas of cooperation", "level": "h2", "anchor": ""})]),
    }
    data.update(changes)
    return nested_form_data(data)


@pytest.mark.parametrize(
    ("role", "can_edit", "can_publish"),
    [("anonymous", False, False), ("editor", True, False), ("moderator", True, True), ("administrator", True, True)],
)
def test_page_edit_submit_and_publish(client, users, role, can_edit, can_publish):
    page = PartnerPage.objects.get()
    client = client_for(client, users[role])
    client.post(f"/admin/pages/{page.pk}/edit/", page_form(page, title="Relations with Japan (draft)"))
    page.refresh_from_db()
    assert (page.get_latest_revision_as_object().title == "Relations with Japan (draft)") is can_edit
    client.post(
        f"/admin/pages/{page.pk}/edit/",
        page_form(page, title="Relations with Japan (new)", **{"action-publish": "publish"}),
    )
    page.refresh_from_db()
    assert (page.title == "Relations with Japan (new)") is can_publish
    client.post(f"/admin/pages/{page.pk}/edit/", page_form(page, title="For review", **{"action-submit": "submit"}))
    assert (page.current_workflow_state is not None) is (can_edit and not can_publish) or can_publish


@pytest.mark.parametrize(
    ("role", "allowed"), [("anonymous", False), ("editor", False), ("moderator", True), ("administrator", True)]
)
def test_page_unpublish_and_delete(client, users, role, allowed):
    page = PartnerPage.objects.get()
    client = client_for(client, users[role])
    client.post(f"/admin/pages/{page.pk}/unpublish/")
    page.refresh_from_db()
    assert (not page.live) is allowed
    client.post(f"/admin/pages/{page.pk}/delete/")
    assert (not Page.objects.filter(pk=page.pk).exists()) is allowed


# --- Nothing unpublished is public -----------------------------------------------------------------


PUBLIC_PLACES = [
    "/partners/japan/",
    "/cooperation/",
    "/cooperation/export.csv",
    "/cooperation/export.json",
    "/cooperation/feed.atom",
    "/api/v2/entries/?limit=100",
    "/search/?q=Zanzibar",
    "/sitemap.xml",
    "/",
]


def body(response):
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_drafts_scheduled_and_unpublished_entries_never_leak(client, loaded):
    template = CooperationEntry.objects.get(slug=SLUG)
    # A new entry saved only as a draft.
    draft = CooperationEntry(
        **{f: getattr(template, f) for f in ("partner", "kind", "source", "source_section", "source_quote", "locale")},
        title="Zanzibar draft entry",
        slug="zanzibar-draft",
        live=False,
    )
    draft.save()
    draft.save_revision()
    # A live entry with an unpublished change.
    template.title = "Zanzibar unapproved title"
    template.save_revision()
    # An entry scheduled for next year.
    scheduled = CooperationEntry.objects.get(slug="japan-initial-contacts")
    scheduled.title = "Zanzibar scheduled title"
    scheduled.go_live_at = timezone.now() + datetime.timedelta(days=365)
    scheduled.save_revision().publish()
    # An expired entry.
    expired = CooperationEntry.objects.get(slug="japan-joint-political-declaration")
    expired.title = "Zanzibar expired title"
    expired.save_revision().publish()
    expired.expire_at = timezone.now() - datetime.timedelta(days=1)
    expired.save()
    call_command("publish_scheduled", stdout=io.StringIO())

    for url in PUBLIC_PLACES:
        response = client.get(url)
        assert response.status_code == 200, url
        text = body(response)
        if url.startswith("/search/"):
            assert "0 results for" in text
        else:
            assert "Zanzibar" not in text, url
    for slug in ("zanzibar-draft", "japan-joint-political-declaration"):
        assert client.get(f"/cooperation/{slug}/").status_code == 404


def test_a_scheduled_entry_goes_live_after_publish_scheduled(client, loaded):
    entry = CooperationEntry.objects.get(slug=SLUG)
    entry.title = "Scheduled correction"
    entry.go_live_at = timezone.now() + datetime.timedelta(seconds=2)
    revision = entry.save_revision()
    revision.publish()  # with a future go-live date, this schedules it
    revision.refresh_from_db()
    assert revision.approved_go_live_at is not None
    assert live_title() == "Liaison officer to NATO’s Maritime Command"
    call_command("publish_scheduled", stdout=io.StringIO())
    assert live_title() == "Liaison officer to NATO’s Maritime Command"  # not yet
    time.sleep(2.5)  # the go-live time passes
    call_command("publish_scheduled", stdout=io.StringIO())
    assert live_title() == "Scheduled correction"
    assert "Scheduled correction" in client.get("/partners/japan/").content.decode()


def test_revert_restores_the_earlier_content(client, users):
    entry = CooperationEntry.objects.get(slug=SLUG)
    first = entry.latest_revision
    client_for(client, users["moderator"]).post(
        f"{ENTRIES}/edit/{entry.pk}/",
        entry_form(entry, title="A mistaken title", areas=[], **{"action-publish": "publish"}),
    )
    assert live_title() == "A mistaken title"
    revert_url = f"{ENTRIES}/history/{entry.pk}/revisions/{first.pk}/revert/"
    form = client.get(revert_url)
    assert form.status_code == 200 and "Liaison officer to NATO’s Maritime Command" in form.content.decode()
    compare = client.get(f"{ENTRIES}/history/{entry.pk}/revisions/compare/{first.pk}...live/")
    assert compare.status_code == 200 and "A mistaken title" in compare.content.decode()
    # The revert form is the earlier revision's content; publishing it restores it.
    response = client.post(revert_url, entry_form(first.as_object(), **{"action-publish": "publish"}))
    assert response.status_code == 302
    reverted = CooperationEntry.objects.get(slug=SLUG)
    assert reverted.title == "Liaison officer to NATO’s Maritime Command"
    assert set(reverted.areas.values_list("slug", flat=True)) == {
        "capabilities-and-interoperability",
        "maritime-security",
    }


def test_history_says_who_changed_what(client, users):
    entry = CooperationEntry.objects.get(slug=SLUG)
    client_for(client, users["moderator"]).post(
        f"{ENTRIES}/edit/{entry.pk}/",
        entry_form(entry, title="Changed by the moderator", **{"action-publish": "publish"}),
    )
    actions = list(ModelLogEntry.objects.for_instance(entry).values_list("action", "user__username"))
    assert ("wagtail.publish", "moderator") in actions
    history = client.get(f"{ENTRIES}/history/{entry.pk}/")
    assert history.status_code == 200 and "moderator" in history.content.decode()


# --- The admin's listing tools ----------------------------------------------------------------------


def test_entry_listing_filters_search_sort_and_export(client, users):
    client = client_for(client, users["editor"])
    japan = CooperationEntry.objects.first().partner
    filtered = client.get(f"{ENTRIES}/", {"kind": "post", "partner": japan.pk})
    rows = BeautifulSoup(filtered.content, "html.parser").select("tbody tr")
    assert len(rows) == 3
    assert client.get(f"{ENTRIES}/", {"year": "2013"}).status_code == 200
    searched = client.get(f"{ENTRIES}/", {"q": "Maritime"}).content.decode()
    assert "Liaison officer to NATO’s Maritime Command" in searched
    assert client.get(f"{ENTRIES}/", {"ordering": "-start_date"}).status_code == 200
    export = client.get(f"{ENTRIES}/", {"export": "csv", "kind": "post"})
    text = b"".join(export.streaming_content).decode() if export.streaming else export.content.decode()
    assert "Liaison officer to NATO’s Maritime Command" in text and "Published" in text
    assert client.get(f"{ENTRIES}/", {"export": "xlsx"}).status_code == 200


def test_the_admin_preview_shows_the_public_entry_page(client, users):
    entry = CooperationEntry.objects.get(slug=SLUG)
    client = client_for(client, users["editor"])
    url = f"{ENTRIES}/preview/{entry.pk}/"
    response = client.post(url, entry_form(entry, title="Previewed title"))
    assert response.status_code == 200 and response.json()["is_valid"]
    preview = client.get(url)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "<h1>Previewed title</h1>" in html and "Japan has designated a liaison officer" in html
