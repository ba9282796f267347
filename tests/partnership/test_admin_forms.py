"""Saving in the admin never ends in a server error or a broken URL.

- A slug another record of the same language already uses is an error on the slug field, at the
  first save (create, edit, save draft of a live entry, publish), for every model with a unique slug,
  and the database is as it was.
- A page whose slug changes or that moves never leaves a redirect to itself or to a page that is
  not live (a draft's slug changed back and forth once gave readers an endless 301 loop).
"""

import uuid

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.db import models
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Locale

from cms.models import PartnerPage, PartnersIndexPage
from partnership.models import (
    Area,
    CooperationEntry,
    Framework,
    Partner,
    Place,
    Programme,
    SourceDocument,
)
from tests.conftest import database_snapshot
from tests.test_editors import page_form

pytestmark = pytest.mark.django_db

DUPLICATE = "This slug is already used by another record in the same language; choose another."


def snippet_url(model, action, *args):
    tail = "/".join(str(a) for a in args)
    if not action:
        return f"/admin/snippets/partnership/{model._meta.model_name}/"
    return f"/admin/snippets/partnership/{model._meta.model_name}/{action}/{tail + '/' if tail else ''}"


def posted_form(response):
    """What a browser would post from the form in ``response``: every named field with its value."""
    soup = BeautifulSoup(response.content, "html.parser")
    form = soup.select_one("form[data-edit-form]") or soup.select_one("main form[method=post]")
    data = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        name = field["name"]
        if field.name == "select":
            chosen = [o.get("value", o.text) for o in field.select("option[selected]")]
            if field.has_attr("multiple"):
                data[name] = chosen
            elif chosen:
                data[name] = chosen[0]
            else:
                first = field.select_one("option")
                data[name] = first.get("value", "") if first else ""
        elif field.name == "textarea":
            data[name] = field.text.removeprefix("\n")
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data.setdefault(name, []).append(field.get("value", "on"))
        elif field.get("type") not in ("submit", "button", "file"):
            data[name] = field.get("value", "")
    return data


def field_errors(response, name):
    """The error messages shown on field ``name`` of the form in ``response``."""
    soup = BeautifulSoup(response.content, "html.parser")
    wrapper = soup.select_one(f"[data-field-wrapper]:has([name='{name}'])") or soup.select_one(
        f".w-field__wrapper:has([name='{name}'])"
    )
    assert wrapper is not None, f"no field {name} on the form"
    return " ".join(e.get_text(" ", strip=True) for e in wrapper.select(".error-message, .w-field__errors"))


@pytest.fixture
def admin(loaded, client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("ada", "ada@example.org", "pw-ada-12345"))
    return client


@pytest.fixture
def editor(loaded, client, django_user_model):
    user = django_user_model.objects.create_user("eve", password="pw-eve-12345")
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


# Each model with a unique slug, and a second record of it that a person would add: a new name, and
# the slug of an existing record (typed by hand, or filled in from a title that happens to match).
UNIQUE_SLUG_MODELS = [Framework, Area, Place, Programme, Partner, SourceDocument, CooperationEntry]


def two_records(model):
    """Two stored records of ``model``: the fixtures' first two, or the first and a copy of it."""
    records = list(model.objects.order_by("pk")[:2])
    if len(records) < 2:
        copy = model.objects.get(pk=records[0].pk)
        copy.pk = copy.id = None
        copy.slug += "-2"
        if hasattr(copy, "translation_key"):
            copy.translation_key = uuid.uuid4()
        copy.save()
        records.append(copy)
    return records


@pytest.mark.parametrize("model", UNIQUE_SLUG_MODELS, ids=lambda m: m.__name__)
def test_a_new_record_with_a_slug_in_use_is_a_form_error_not_a_500(admin, model):
    existing, other = two_records(model)
    data = posted_form(admin.get(snippet_url(model, "edit", other.pk)))
    data.update(slug=existing.slug)
    data["name" if "name" in data else "title"] = "A new one"
    before = database_snapshot()

    response = admin.post(snippet_url(model, "add"), data)

    assert response.status_code == 200
    assert DUPLICATE in field_errors(response, "slug") or "already exists" in field_errors(response, "slug")
    assert database_snapshot() == before


@pytest.mark.parametrize("model", UNIQUE_SLUG_MODELS, ids=lambda m: m.__name__)
def test_changing_a_slug_to_one_in_use_is_a_form_error(admin, model):
    existing, other = two_records(model)
    data = posted_form(admin.get(snippet_url(model, "edit", other.pk)))
    data.update(slug=existing.slug)
    before = database_snapshot()

    response = admin.post(snippet_url(model, "edit", other.pk), data)

    assert response.status_code == 200
    assert DUPLICATE in field_errors(response, "slug") or "already exists" in field_errors(response, "slug")
    assert database_snapshot() == before


@pytest.mark.parametrize("action", [{}, {"action-publish": "action-publish"}, {"action-submit": "action-submit"}])
def test_a_draft_of_a_live_entry_cannot_take_a_slug_in_use(editor, admin, action):
    """Save draft of a live entry keeps only a revision: the duplicate was once accepted, and publishing
    it failed later. Now every action refuses it at once, for editors and for those who may publish."""
    first, second = CooperationEntry.objects.order_by("pk")[:2]
    for client in (editor, admin):
        data = posted_form(client.get(snippet_url(CooperationEntry, "edit", second.pk)))
        data.update(slug=first.slug, **action)
        before = database_snapshot()
        response = client.post(snippet_url(CooperationEntry, "edit", second.pk), data)
        assert response.status_code == 200
        assert DUPLICATE in field_errors(response, "slug")
        assert database_snapshot() == before


def test_the_same_slug_in_another_language_is_allowed(admin):
    """Slugs are unique per language: the French record of a place may take the English record's slug.

    (A French record is a translation of an English one: one made directly in French is refused, see
    tests/cms/test_translations.py.)"""
    french = Locale.objects.get(language_code="fr")
    english_place = Place.objects.order_by("pk").first()
    french_place = english_place.copy_for_translation(french)
    french_place.name, french_place.slug = "Lieu", "lieu"
    french_place.save()
    data = posted_form(admin.get(snippet_url(Place, "edit", french_place.pk)))
    data.update(slug=english_place.slug)
    response = admin.post(snippet_url(Place, "edit", french_place.pk), data)
    assert response.status_code == 302, field_errors(response, "slug")
    assert Place.objects.filter(slug=english_place.slug, locale=french).exists()


# --- Redirects -------------------------------------------------------------------------------------


@pytest.fixture
def draft_page(admin):
    """A never-published partner page, as an editor would start one."""
    partner = Partner.objects.get(slug="mongolia")  # the organisation's reference data holds every partner
    index = PartnersIndexPage.objects.get()
    page = index.add_child(
        instance=PartnerPage(
            title="Relations with Mongolia", slug="mongolia", partner=partner, lead="Lead.", live=False
        )
    )
    return page


def edit_page(client, page, django_capture_on_commit_callbacks, **changes):
    """Post the page's edit form as the browser does, with ``changes``; run what happens on commit."""
    page.refresh_from_db()
    data = page_form(page.get_latest_revision_as_object(), **changes)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def django_user_model_get(pk):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=pk)


def assert_no_redirect_loop(client, path, limit=5):
    """Follow ``path`` as a browser would: it ends on a page (200) or a 404, never in a loop."""
    client.logout()
    seen = []
    for _ in range(limit):
        response = client.get(path)
        if response.status_code not in (301, 302):
            return response.status_code
        seen.append(path)
        path = response["Location"]
        assert path not in seen, f"redirect loop: {seen + [path]}"
    raise AssertionError(f"more than {limit} redirects: {seen}")


def test_a_drafts_slug_changed_back_and_forth_leaves_no_redirect_loop(
    admin, draft_page, django_capture_on_commit_callbacks
):
    for slug in ("mongolia-relations", "mongolia"):
        edit_page(admin, draft_page, django_capture_on_commit_callbacks, slug=slug)
    draft_page.refresh_from_db()
    assert draft_page.slug == "mongolia" and not draft_page.live

    assert not Redirect.objects.filter(redirect_page=draft_page).exists()
    assert assert_no_redirect_loop(admin, "/partners/mongolia/") == 404
    assert assert_no_redirect_loop(admin, "/partners/mongolia-relations/") == 404


def test_a_live_pages_old_url_redirects_once_and_never_to_itself(admin, django_capture_on_commit_callbacks):
    page = PartnerPage.objects.get(slug="japan")
    edit_page(admin, page, django_capture_on_commit_callbacks, slug="nippon", **{"action-publish": "1"})
    user = admin.session.get("_auth_user_id")
    admin.logout()
    response = admin.get("/partners/japan/")
    assert response.status_code == 301 and response["Location"].endswith("/partners/nippon/")
    assert admin.get("/partners/nippon/").status_code == 200

    admin.force_login(django_user_model_get(user))
    edit_page(admin, page, django_capture_on_commit_callbacks, slug="japan", **{"action-publish": "1"})
    assert assert_no_redirect_loop(admin, "/partners/japan/") == 200
    assert assert_no_redirect_loop(admin, "/partners/nippon/") == 200
    assert not Redirect.objects.filter(old_path="/partners/japan").exists()


def test_unpublishing_a_page_drops_the_redirects_that_lead_to_it(admin, django_capture_on_commit_callbacks):
    page = PartnerPage.objects.get(slug="japan")
    edit_page(admin, page, django_capture_on_commit_callbacks, slug="nippon", **{"action-publish": "1"})
    assert Redirect.objects.filter(redirect_page=page).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/admin/pages/{page.pk}/unpublish/")
    assert response.status_code == 302
    assert not Redirect.objects.filter(redirect_page=page).exists()
    assert assert_no_redirect_loop(admin, "/partners/japan/") == 404


@pytest.mark.parametrize("action", [{}, {"action-publish": "action-publish"}], ids=["save-draft", "publish"])
def test_a_slug_taken_between_the_check_and_the_save_is_a_form_error(admin, action, monkeypatch):
    """Two saves at the same moment (a click while the form's first autosave is on its way, two people):
    both pass validation, then the database refuses the second. That is a form error, not a 500."""
    template = CooperationEntry.objects.order_by("pk").first()
    data = posted_form(admin.get(snippet_url(CooperationEntry, "edit", template.pk)))
    data.update(title="Tokyo liaison office", slug="japan-tokyo-liaison-office", **action)
    # The other save: committed after this form's checks ran, before its insert. Simulated by a first
    # constraint check that does not see it yet.
    other = CooperationEntry.objects.get(pk=template.pk)
    other.pk = other.id = other.latest_revision_id = other.live_revision_id = None
    other.slug, other.translation_key = "japan-tokyo-liaison-office", uuid.uuid4()
    other.save()
    check = CooperationEntry.validate_constraints
    checks = []

    def before_the_other_save_landed(self, exclude=None):
        checks.append(exclude)
        return None if len(checks) == 1 else check(self, exclude)

    monkeypatch.setattr(CooperationEntry, "validate_constraints", before_the_other_save_landed)
    response = admin.post(snippet_url(CooperationEntry, "add"), data)

    assert response.status_code == 200
    assert DUPLICATE in field_errors(response, "slug")
    assert CooperationEntry.objects.filter(slug="japan-tokyo-liaison-office").count() == 1


def test_copying_an_entry_opens_a_new_entry_without_the_slug(admin):
    """The copy's form kept the original's slug, so every copy failed on its first save (a duplicate)."""
    original = CooperationEntry.objects.filter(areas__isnull=False).order_by("pk").first()
    response = admin.get(snippet_url(CooperationEntry, "copy", original.pk))
    assert response.status_code == 200
    data = posted_form(response)
    assert data["slug"] == ""  # filled in from the title as the editor types it
    assert data["title"] == original.title
    assert sorted(map(int, data["areas"])) == sorted(original.areas.values_list("pk", flat=True))

    before = database_snapshot()
    data.update(title="Joint statement", slug="japan-joint-statement")
    response = admin.post(snippet_url(CooperationEntry, "add"), data)
    assert response.status_code == 302, field_errors(response, "slug")
    copy = CooperationEntry.objects.get(slug="japan-joint-statement")
    assert sorted(copy.areas.values_list("pk", flat=True)) == sorted(original.areas.values_list("pk", flat=True))
    original_rows = [r for r in database_snapshot()["partnership_cooperationentry"] if r["id"] == original.pk]
    assert original_rows == [r for r in before["partnership_cooperationentry"] if r["id"] == original.pk]


@pytest.mark.parametrize(
    ("model", "words", "found"),
    [
        (Partner, "Japan", "Japan"),
        (Programme, "MARCOM", "NATO Maritime Command"),
        (Area, "maritime", "Maritime security"),
        (CooperationEntry, "joint declaration", "Joint political declaration signed"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_every_listing_search_finds_records_by_their_words(admin, model, words, found):
    """A search on a listing is over the words typed, in any order (a field list once made every search
    of the partner and programme listings a server error, and the entries' needed the exact phrase)."""
    response = admin.get(snippet_url(model, ""), {"q": words})
    assert response.status_code == 200
    assert found in BeautifulSoup(response.content, "html.parser").select_one("main").get_text(" ")


# --- A record's relations stay in its language ---------------------------------------------------------

# Every relation of a record in the admin to records that exist in each language (translatable snippets).
OWN_LANGUAGE_RELATIONS = [
    (CooperationEntry, "partner"),
    (CooperationEntry, "source"),
    (CooperationEntry, "areas"),
    (CooperationEntry, "programmes"),
    (CooperationEntry, "places"),
    (CooperationEntry, "beneficiaries"),
    (Partner, "framework"),
    (Partner, "areas"),
    (Programme, "parent"),
]


CHOSEN_IN_A_MODAL = ("partner", "framework", "parent")  # snippet choosers: their choices are not on the form


def offered_values(response, name):
    """The values the form in ``response`` offers for field ``name``: its checkboxes' and options' (a chooser
    offers its choices in a modal: none here)."""
    soup = BeautifulSoup(response.content, "html.parser")
    fields = soup.select(f"input[type=checkbox][name={name}], select[name={name}] option")
    return {int(field["value"]) for field in fields if field.get("value")}


@pytest.mark.parametrize(("model", "name"), OWN_LANGUAGE_RELATIONS, ids=lambda v: getattr(v, "__name__", v))
def test_a_records_form_offers_and_takes_only_records_of_its_own_language(admin, translated, model, name):
    """An English entry tagged with a French area would be counted under an area no English reader is
    offered (each language's record lists its own records): the form offers the English ones only, and
    one of another language posted anyway is refused on its field, with nothing saved."""
    record = model.objects.filter(locale__language_code="en").order_by("pk").first()
    related = model._meta.get_field(name).related_model
    english = set(related.objects.filter(locale__language_code="en").values_list("pk", flat=True))
    french = related.objects.filter(locale__language_code="fr").order_by("pk").first()
    assert french is not None and french.pk not in english

    response = admin.get(snippet_url(model, "edit", record.pk))
    offered = offered_values(response, name)
    assert offered <= english
    assert offered or name in CHOSEN_IN_A_MODAL
    data = posted_form(response)
    data[name] = [str(french.pk)] if model._meta.get_field(name).many_to_many else str(french.pk)
    before = database_snapshot()

    response = admin.post(snippet_url(model, "edit", record.pk), data)

    assert response.status_code == 200
    assert "Choose one in this record’s language (English)." in field_errors(response, name)
    assert database_snapshot() == before


def test_a_record_of_another_language_the_record_holds_is_kept(admin, translated):
    """A French entry keeps an English area until the area is translated (the model maps it then): the
    form offers it, ticked, beside the French ones, and saving the entry keeps it. (An entry translated
    with wagtail-localize is edited in its translation editor; one copied for translation, here.)"""
    english = CooperationEntry.objects.filter(locale__language_code="en").order_by("pk").first()
    space = Area.objects.create(name="Space", slug="space", locale=english.locale)  # not translated yet
    english.areas.add(space)
    english.save()
    english.get_translation(Locale.objects.get(language_code="fr")).delete()  # translated anew, by copying
    draft = english.copy_for_translation(Locale.objects.get(language_code="fr"))
    draft.slug = "premier-contact"
    draft.save()
    response = admin.get(snippet_url(CooperationEntry, "edit", draft.pk))
    offered = offered_values(response, "areas")
    assert space.pk in offered
    assert offered - {space.pk} == set(Area.objects.filter(locale__language_code="fr").values_list("pk", flat=True))
    data = posted_form(response)
    assert str(space.pk) in data["areas"]

    response = admin.post(snippet_url(CooperationEntry, "edit", draft.pk), data)

    assert response.status_code == 302, field_errors(response, "areas")
    assert space in CooperationEntry.objects.get(pk=draft.pk).areas.all()


def test_a_partner_pages_partner_is_one_of_its_language(admin, translated):
    """The page form too: the English Japan page cannot be made about the French partner record."""
    page = PartnerPage.objects.get(slug="japan", locale__language_code="en")
    french = Partner.objects.get(translation_key=page.partner.translation_key, locale__language_code="fr")
    admin.get(f"/admin/pages/{page.pk}/edit/")  # opened first, as an editor does (its photo's preview is made)
    before = database_snapshot()

    response = admin.post(f"/admin/pages/{page.pk}/edit/", page_form(page, partner=french.pk))

    assert response.status_code == 200
    assert "Choose one in this record’s language (English)." in response.content.decode()
    assert database_snapshot() == before
    english = Partner.objects.get(translation_key=page.partner.translation_key, locale__language_code="en")
    assert admin.post(f"/admin/pages/{page.pk}/edit/", page_form(page, partner=english.pk)).status_code == 302


@pytest.mark.parametrize("model", [CooperationEntry, Partner], ids=lambda m: m.__name__)
def test_a_record_saved_unchanged_from_a_browser_changes_nothing(admin, model):
    """A browser posts a textarea's line breaks as CRLF. Stored as posted, a quote of two lines saved
    unchanged was a changed quote: its translations were flagged out of date, and an entry's place in
    reading order recomputed, moving the partner's later entries down one place each."""
    record = model.objects.filter(locale__language_code="en", source_quote__contains="\n").order_by("pk").first()
    assert record is not None
    data = posted_form(admin.get(snippet_url(model, "edit", record.pk)))
    data = {name: value.replace("\n", "\r\n") if isinstance(value, str) else value for name, value in data.items()}
    assert "\r\n" in data["source_quote"]
    if model is CooperationEntry:
        data["action-publish"] = "publish"
    texts = {field.name for field in model._meta.fields if isinstance(field, models.TextField | models.CharField)}
    before = list(model.objects.order_by("pk").values("pk", *texts))
    orders = list(CooperationEntry.objects.order_by("pk").values_list("pk", "source_order"))

    response = admin.post(snippet_url(model, "edit", record.pk), data)

    assert response.status_code == 302, response.content.decode()[:500]
    assert list(model.objects.order_by("pk").values("pk", *texts)) == before
    assert list(CooperationEntry.objects.order_by("pk").values_list("pk", "source_order")) == orders
