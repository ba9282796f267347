"""Editors and moderators in the admin: drafts never public, scheduled publishing, revert, history,
and the admin's listing tools. (Who may do what is one matrix, in tests/test_access.py.)"""

import datetime
import io
import time

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.utils import timezone
from wagtail.models import ModelLogEntry, WorkflowState

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


def page_form(page, **changes):
    from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield  # noqa: F401

    data = {
        "title": page.title,
        "slug": page.slug,
        "partner": page.partner_id,
        "lead": page.lead,
        "image": page.image_id or "",
        "image_alt": page.image_alt,
        "image_caption": page.image_caption,
        "highlights": streamfield([("highlight", rich_text(h.value.source)) for h in page.highlights]),
        "body": streamfield([("heading", {"text": "Key areas of cooperation", "level": "h2", "anchor": ""})]),
    }
    data.update(changes)
    return nested_form_data(data)


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


# --- The entry form, built for the job (issue 11) -------------------------------------------------

PLEDGE = "japan-pledge-for-afghanistan-2009-2013"


def revision_of(entry):
    entry.refresh_from_db()
    return entry.get_latest_revision_as_object()


def test_the_form_reads_the_period_into_a_draft_revision(client, users):
    entry = CooperationEntry.objects.get(slug=SLUG)  # undated in the document
    revisions = entry.revisions.count()
    response = client_for(client, users["editor"]).post(
        f"{ENTRIES}/edit/{entry.pk}/", entry_form(entry, period="2009–2013")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = revision_of(entry)
    assert entry.revisions.count() == revisions + 1
    assert (draft.start_date, draft.start_precision) == (datetime.date(2009, 1, 1), "year")
    assert (draft.end_date, draft.end_precision, draft.ongoing) == (datetime.date(2013, 1, 1), "year", False)
    assert draft.period_display == "2009–2013"
    assert CooperationEntry.objects.get(slug=SLUG).start_date is None  # the live entry waits for publication

    client.post(f"{ENTRIES}/edit/{entry.pk}/", entry_form(draft, period="from March 2010"))
    draft = revision_of(entry)
    assert (draft.start_date, draft.start_precision, draft.end_date, draft.ongoing) == (
        datetime.date(2010, 3, 1),
        "month",
        None,
        True,
    )
    # The form shows it back as readers will see it.
    edit = client.get(f"{ENTRIES}/edit/{entry.pk}/").content.decode()
    field = BeautifulSoup(edit, "html.parser").select_one("input[name=period]")
    assert field["value"] == "since March 2010"
    assert "Shown as: <strong>since March 2010</strong>" in edit


def test_an_unreadable_period_is_a_form_error_and_nothing_is_saved(client, users):
    entry = CooperationEntry.objects.get(slug=SLUG)
    revisions = entry.revisions.count()
    response = client_for(client, users["editor"]).post(
        f"{ENTRIES}/edit/{entry.pk}/", entry_form(entry, period="2013–2009", title="Never saved")
    )
    assert response.status_code == 200
    assert "In “2013–2009” the end (2009) is before the start (2013)." in response.content.decode()
    assert entry.revisions.count() == revisions and revision_of(entry).title != "Never saved"


def test_an_empty_period_leaves_the_date_fields_as_they_are(client, users):
    entry = CooperationEntry.objects.get(slug=SLUG)
    data = entry_form(entry, period="", start_date="2012-07-01", start_precision="month")
    response = client_for(client, users["editor"]).post(f"{ENTRIES}/edit/{entry.pk}/", data)
    assert response.status_code == 302
    assert revision_of(entry).period_display == "July 2012"


def test_the_words_win_over_date_fields_left_behind(client, users):
    """A form whose date fields lag behind its words (autosave made the draft, the page kept its fields) saves the words."""
    entry = CooperationEntry.objects.get(slug=SLUG)
    client = client_for(client, users["editor"])
    client.post(f"{ENTRIES}/edit/{entry.pk}/", entry_form(entry, period="since 2014"))
    assert revision_of(entry).period_display == "since 2014"
    client.post(f"{ENTRIES}/edit/{entry.pk}/", entry_form(entry, period="since 2014", title="Again"))
    draft = revision_of(entry)
    assert draft.title == "Again" and draft.period_display == "since 2014"


def test_the_period_preview_answers_what_the_form_would_read(client, users):
    client = client_for(client, users["editor"])
    answer = client.get("/admin/partnership/period/", {"text": "the early 1990s"})
    assert answer.status_code == 200 and answer.json() == {
        "shown": "the early 1990s",
        "start_date": "1990-01-01",
        "start_precision": "early-decade",
        "end_date": "",
        "end_precision": "",
        "ongoing": False,
    }
    refused = client.get("/admin/partnership/period/", {"text": "next Tuesday"})
    assert refused.status_code == 400 and "“next Tuesday” is not a period" in refused.json()["error"]
    assert client.get("/admin/partnership/period/", {"text": "9" * 101}).status_code == 400


def test_quotes_match_whatever_their_typography_and_spacing(loaded):
    from partnership.models import SourceDocument

    source = SourceDocument.objects.get()
    document = "Japan has designated a liaison officer to NATO’s Maritime Command."
    assert source.contains(document)
    assert source.contains("Japan has designated a liaison officer to NATO's Maritime Command.")
    assert source.contains("Japan  has designated\na liaison officer to NATO`s Maritime Command.")
    assert source.contains('often referred to as "partners across the globe" - with which NATO')
    assert source.contains("a five-year period (2009–2013)")  # the document has a hyphen there
    assert not source.contains("Japan has designated two liaison officers")


def test_a_quote_typed_with_straight_quotes_is_accepted(client, users):
    entry = CooperationEntry.objects.get(slug=SLUG)
    quote = "Japan has designated a liaison officer to NATO's Maritime Command."
    response = client_for(client, users["editor"]).post(
        f"{ENTRIES}/edit/{entry.pk}/", entry_form(entry, source_quote=quote, **{"action-submit": "submit"})
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def test_a_new_entry_takes_its_place_in_reading_order_from_its_quote(client, users):
    template = CooperationEntry.objects.get(slug=SLUG)
    japan = template.partner
    before = list(CooperationEntry.objects.filter(partner=japan).order_by("source_order", "pk"))
    # The sentence right after the liaison officer's, in the document: the ISAF one.
    quote = (
        "Japan has provided much-valued support for the International Security Assistance Force (ISAF) and "
        "for wider reconstruction and development efforts in Afghanistan."
    )
    data = entry_form(template, title="Support to ISAF, again", slug="japan-isaf-again", source_quote=quote)
    data.pop("source_order", None)
    response = client_for(client, users["editor"]).post(f"{ENTRIES}/add/?locale=en", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    created = CooperationEntry.objects.get(slug="japan-isaf-again")
    after = list(CooperationEntry.objects.filter(partner=japan).order_by("source_order", "pk"))
    slugs = [e.slug for e in after]
    isaf = [e.slug for e in before if e.source.contains(quote) and quote[:40] in e.source_quote]
    assert isaf, "the fixtures quote the ISAF sentence"
    # Right after the last entry quoting the same (or an earlier) sentence, before the next one.
    position = slugs.index(created.slug)
    assert slugs[position - 1] == isaf[-1]
    assert [s for s in slugs if s != created.slug] == [e.slug for e in before]  # the others keep their order


def test_the_fixtures_keep_their_file_order(loaded):
    orders = list(CooperationEntry.objects.order_by("source_order").values_list("source_order", flat=True))
    assert orders == list(range(1, 25))


def test_beneficiaries_are_countries_only(client, users):
    from partnership.models import Place

    entry = CooperationEntry.objects.get(slug=SLUG)
    client = client_for(client, users["editor"])
    edit = BeautifulSoup(client.get(f"{ENTRIES}/edit/{entry.pk}/").content, "html.parser")
    offered = {box.find_parent("label").get_text(strip=True) for box in edit.select("input[name=beneficiaries]")}
    assert "Afghanistan" in offered and "The Balkans" not in offered and "Baltic Sea" not in offered
    places = {box.find_parent("label").get_text(strip=True) for box in edit.select("input[name=places]")}
    assert "The Balkans" in places  # a region stays a place
    balkans = Place.objects.get(slug="balkans")
    response = client.post(
        f"{ENTRIES}/edit/{entry.pk}/", entry_form(entry, beneficiaries=[balkans.pk], **{"action-submit": "submit"})
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not WorkflowState.objects.filter(object_id=str(entry.pk), status="in_progress").exists()


def test_which_way_support_flowed_is_shown_publicly_and_in_the_api(client, users):
    entry = CooperationEntry.objects.get(slug=PLEDGE)
    assert "Provided by Japan" in client.get(f"/cooperation/{PLEDGE}/").content.decode()
    client_for(client, users["moderator"]).post(
        f"{ENTRIES}/edit/{entry.pk}/", entry_form(entry, direction="received", **{"action-publish": "publish"})
    )
    client.logout()
    assert CooperationEntry.objects.get(slug=PLEDGE).direction == "received"
    assert "Received by Japan" in client.get(f"/cooperation/{PLEDGE}/").content.decode()
    api = client.get(f"/api/v2/entries/{entry.pk}/").json()
    assert api["direction"] == "received"


def submit(client, entry):
    response = client.post(f"{ENTRIES}/edit/{entry.pk}/", entry_form(entry, **{"action-submit": "submit"}))
    assert response.status_code == 302
    entry.refresh_from_db()
    return entry.current_workflow_task_state


def test_approve_says_so(client, users):
    entry = CooperationEntry.objects.get(slug=SLUG)
    task_state = submit(client_for(client, users["editor"]), entry)
    client.logout()
    moderator = client_for(client, users["moderator"])
    response = moderator.post(
        f"{ENTRIES}/workflow/action/{entry.pk}/approve/{task_state.pk}/", {"comment": ""}, follow=True
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert f"Cooperation entry ‘{entry.title}’ approved and published." in shown


def test_approve_from_the_edit_form_says_so(client, users):
    entry = CooperationEntry.objects.get(slug=SLUG)
    submit(client_for(client, users["editor"]), entry)
    client.logout()
    data = entry_form(entry, **{"action-workflow-action": "true", "workflow-action-name": "approve"})
    response = client_for(client, users["moderator"]).post(f"{ENTRIES}/edit/{entry.pk}/", data, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert f"Cooperation entry ‘{entry.title}’ approved and published." in shown


def test_moderators_approve_several_entries_at_once(client, users):
    first = CooperationEntry.objects.get(slug=SLUG)
    second = CooperationEntry.objects.get(slug=PLEDGE)
    untouched = CooperationEntry.objects.get(slug="japan-joint-political-declaration")
    editor = client_for(client, users["editor"])
    editor.post(
        f"{ENTRIES}/edit/{first.pk}/", entry_form(first, title="First, approved in bulk", **{"action-submit": "submit"})
    )
    editor.post(
        f"{ENTRIES}/edit/{second.pk}/",
        entry_form(second, title="Second, approved in bulk", **{"action-submit": "submit"}),
    )
    url = f"/admin/bulk/partnership/cooperationentry/approve/?id={first.pk}&id={second.pk}&id={untouched.pk}"
    # An editor cannot approve.
    refused = editor.get(url)
    assert "Yes, approve" not in refused.content.decode()
    editor.post(url)
    assert live_title() != "First, approved in bulk"
    client.logout()
    moderator = client_for(client, users["moderator"])
    listing = moderator.get(f"{ENTRIES}/").content.decode()
    assert "/admin/bulk/partnership/cooperationentry/approve/" in listing  # offered on the listing
    confirm = moderator.get(url).content.decode()
    assert "Yes, approve" in confirm and "Not in moderation" in confirm
    response = moderator.post(url, follow=True)
    assert "2 cooperation entries approved." in [str(m).strip() for m in response.context["messages"]]
    assert live_title() == "First, approved in bulk"
    assert live_title(PLEDGE) == "Second, approved in bulk"
    assert not CooperationEntry.objects.get(pk=untouched.pk).has_unpublished_changes


def test_no_revision_is_by_none(client, users):
    """Loaded entries' first revisions have no user: they are the system's, not “None”'s."""
    entry = CooperationEntry.objects.get(slug=SLUG)
    first = entry.latest_revision
    assert first.user is None
    client = client_for(client, users["moderator"])
    for url in (
        f"{ENTRIES}/history/{entry.pk}/revisions/{first.pk}/revert/",
        f"{ENTRIES}/history/{entry.pk}/",
        f"{ENTRIES}/edit/{entry.pk}/",
    ):
        html = client.get(url, follow=True).content.decode()
        text = " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())
        assert "by None" not in text, url
    revert = client.get(f"{ENTRIES}/history/{entry.pk}/revisions/{first.pk}/revert/", follow=True)
    shown = " ".join(BeautifulSoup(str(list(revert.context["messages"])[0]), "html.parser").get_text(" ").split())
    assert shown.endswith("by the system (fixtures loader or scheduled publishing)")


def test_editors_propose_a_programme_place_or_document_but_change_none(client, users):
    from partnership.models import Place, Programme, SourceDocument

    editor = client_for(client, users["editor"])
    response = editor.post(
        "/admin/snippets/partnership/programme/add/?locale=en",
        {"name": "Defence Education Enhancement Programme", "slug": "deep", "kind": "programme"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Programme.objects.filter(slug="deep").exists()
    assert (
        editor.post(
            "/admin/snippets/partnership/place/add/?locale=en",
            # A place the organisation's reference data does not hold already (it has Mongolia).
            {"name": "Sri Lanka", "slug": "sri-lanka", "kind": "country"},
        ).status_code
        == 302
    )
    assert editor.get("/admin/snippets/partnership/sourcedocument/add/").status_code == 200
    # Not public until an approved entry names it.
    assert "Defence Education Enhancement Programme" not in client.get("/cooperation/").content.decode()
    # Existing records stay the Moderators'.
    maritime = Programme.objects.get(slug="maritime-command")
    editor.post(
        f"/admin/snippets/partnership/programme/edit/{maritime.pk}/", {"name": "Renamed", "slug": "x", "kind": "body"}
    )
    assert Programme.objects.get(pk=maritime.pk).name != "Renamed"
    editor.post(f"/admin/snippets/partnership/place/delete/{Place.objects.get(slug='spain').pk}/")
    assert Place.objects.filter(slug="spain").exists()
    assert SourceDocument.objects.count() == 1
