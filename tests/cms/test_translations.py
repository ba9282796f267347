"""Translations: the French fixtures loaded through wagtail-localize, what follows a translation
(its source document, its relations, its URLs), “needs updating”, and translating in the admin."""

import io
import json
import re

import polib
import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from wagtail.images.models import Image
from wagtail.models import Locale, Page
from wagtail_localize.models import StringTranslation, Translation, TranslationSource

from cms.blocks import SectionsBlock
from cms.models import CooperationRecordPage, HomePage, PartnerPage, PartnersIndexPage
from partnership.models import (
    Area,
    CooperationEntry,
    Framework,
    Partner,
    Place,
    Programme,
    SourceDocument,
)
from partnership.translation_status import needs_update
from tests.conftest import database_snapshot, run_load_fixtures

pytestmark = pytest.mark.django_db

ENTRIES = "/admin/snippets/partnership/cooperationentry"


def french():
    return Locale.objects.get(language_code="fr")


def english():
    return Locale.objects.get(language_code="en")


def translation_tables():
    """The rows of wagtail-localize's tables, for before/after comparisons."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (TranslationSource, Translation, StringTranslation)
    }


# --- Loading the French fixtures -------------------------------------------------------------------


def test_every_fixture_record_and_page_has_its_french_translation(translated):
    # The fixtures' counts (reference.yaml, organisation.yaml, japan.yaml, site.yaml, japan-page.yaml).
    expected = {
        SourceDocument: 1,
        Framework: 4,
        Area: 9,
        Place: 62,
        Programme: 56,
        Partner: 35,
        CooperationEntry: 24,
    }
    for model, count in expected.items():
        assert model.objects.filter(locale=english()).count() == count, model
        assert model.objects.filter(locale=french()).count() == count, model
    assert CooperationEntry.objects.filter(locale=french(), live=True).count() == 24
    french_pages = Page.objects.filter(locale=french()).live()
    assert french_pages.type(HomePage).count() == 1
    assert french_pages.type(PartnersIndexPage).count() == 1
    assert french_pages.type(CooperationRecordPage).count() == 1
    assert french_pages.type(PartnerPage).count() == 1
    # Each made with wagtail-localize's workflow, from its English original.
    entry = CooperationEntry.objects.get(slug="japan-initial-contacts")
    source = TranslationSource.objects.get(object_id=entry.translation_key, locale=english())
    assert Translation.objects.filter(source=source, target_locale=french(), enabled=True).exists()


def test_french_urls_and_slugs(translated, client):
    page = client.get("/fr/partenaires/japon/")
    assert page.status_code == 200
    assert "Relations avec le Japon" in page.content.decode()
    assert client.get("/fr/cooperation/").status_code == 200
    entry = CooperationEntry.objects.get(locale=french(), slug="japon-premiers-contacts")
    assert entry.title == "Premiers contacts entre l'OTAN et le Japon"
    response = client.get("/fr/cooperation/japon-premiers-contacts/")
    assert response.status_code == 200
    assert entry.title.replace("'", "&#x27;") in response.content.decode()
    # The English ones are where they were.
    assert client.get("/partners/japan/").status_code == 200
    assert client.get("/cooperation/japan-initial-contacts/").status_code == 200


def test_a_french_entry_quotes_the_french_document(translated):
    document = SourceDocument.objects.get(locale=french())
    assert document.slug == "otan-relations-avec-le-japon-2018"
    assert document.title == "Relations avec le Japon"
    entries = CooperationEntry.objects.filter(locale=french()).select_related("source")
    for entry in entries:
        assert entry.source_id == document.pk, entry.slug
        assert entry.source_quote and document.contains(entry.source_quote), entry.slug
    first = entries.get(slug="japon-premiers-contacts")
    assert first.source_quote == (
        "L'OTAN et le Japon entretiennent un dialogue et une coopération depuis leurs premiers contacts, "
        "au début des années 1990."
    )
    assert first.source_section == "Points forts"
    assert first.partner.locale_id == french().pk and first.partner.name == "Japon"


def test_relations_of_french_records_point_at_french_records(translated):
    english_entry = CooperationEntry.objects.get(slug="japan-interoperability-platform")
    entry = english_entry.get_translation(french())
    assert sorted(a.name for a in entry.areas.all()) == ["Développement des capacités et de l'interopérabilité"]
    assert sorted(p.name for p in entry.programmes.all()) == [
        "Initiative pour l'interopérabilité avec les partenaires",
        "Plateforme d'interopérabilité",
    ]
    for french_entry in CooperationEntry.objects.filter(locale=french()):
        for name in ("areas", "programmes", "places", "beneficiaries"):
            related = list(getattr(french_entry, name).all())
            assert all(obj.locale_id == french().pk for obj in related), (french_entry.slug, name)
            original = getattr(french_entry.get_translation(english()), name).all()
            assert len(related) == original.count(), (french_entry.slug, name)
    partner = Partner.objects.get(locale=french(), slug="japon")
    assert partner.areas.count() == 6 and all(a.locale_id == french().pk for a in partner.areas.all())
    assert partner.framework.locale_id == french().pk
    page = PartnerPage.objects.get(locale=french())
    assert page.partner_id == partner.pk
    # The page's “prose” blocks show the French entries, quoting the French document.
    areas = [block.value["area"] for block in page.body if block.block_type == "entries"]
    assert areas and all(area.locale_id == french().pk for area in areas)


def test_a_relation_to_a_record_not_yet_translated_keeps_the_original(translated):
    untranslated = Place.objects.create(locale=english(), name="Atlantis", slug="atlantis", kind="country")
    entry = CooperationEntry.objects.get(locale=french(), slug="japon-premiers-contacts")
    entry.places.set([untranslated])
    entry.save()
    assert list(entry.places.all()) == [untranslated]
    translated_place = untranslated.copy_for_translation(french())
    translated_place.name, translated_place.slug = "Atlantide", "atlantide"
    translated_place.save()
    entry.save()  # as a publication does
    entry.refresh_from_db()
    assert list(entry.places.all()) == [translated_place]


def test_a_second_load_changes_nothing_and_says_so(translated):
    before = database_snapshot(), translation_tables()
    output = run_load_fixtures(no_translations=False)
    assert "entries (fr): 24 unchanged" in output
    assert "pages (fr): 4 unchanged" in output
    assert "Nothing to do" in output
    assert (database_snapshot(), translation_tables()) == before


def test_a_translators_correction_is_kept_and_reset_overwrites_it(translated):
    entry = CooperationEntry.objects.get(locale=french(), slug="japon-premiers-contacts")
    entry.title = "Premiers contacts (corrigé)"
    entry.save_revision().publish()
    output = run_load_fixtures(no_translations=False)
    assert "kept the fr translation of entry “japan-initial-contacts”" in output
    assert CooperationEntry.objects.get(pk=entry.pk).title == "Premiers contacts (corrigé)"
    output = run_load_fixtures(no_translations=False, reset=True)
    assert "entries (fr): 1 overwritten, 23 unchanged" in output
    assert CooperationEntry.objects.get(pk=entry.pk).title == "Premiers contacts entre l'OTAN et le Japon"


# --- Broken translations: the load fails, names what is wrong, changes nothing ------------------------


def drop_message(path, msgctxt):
    po = polib.pofile(str(path))
    po.remove(next(entry for entry in po if entry.msgctxt == msgctxt))
    po.save(str(path))


def set_msgstr(path, msgctxt, msgstr):
    po = polib.pofile(str(path))
    next(entry for entry in po if entry.msgctxt == msgctxt).msgstr = msgstr
    po.save(str(path))


def add_message(path, msgctxt, msgid, msgstr):
    po = polib.pofile(str(path))
    po.append(polib.POEntry(msgctxt=msgctxt, msgid=msgid, msgstr=msgstr))
    po.save(str(path))


def break_syntax(path, *_):
    with open(path, "a", encoding="utf-8") as file:
        file.write("\nthis line is not PO syntax\n")


def to_latin_1(path, *_):
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1", errors="replace"))


BROKEN = {
    "missing message": (
        "entries.po",
        lambda path: drop_message(path, "cooperationentry:japan-initial-contacts:title"),
        [
            # The files holding the record's other messages, where the missing one belongs.
            "fixtures/fr/entries.po, ",
            "fixtures/fr/source.po: no translation for record “cooperationentry:japan-initial-contacts”, "
            "msgid “Initial contacts between NATO and Japan”",
        ],
    ),
    "empty msgstr": (
        "reference.po",
        lambda path: set_msgstr(path, "area:cyber-defence:name", ""),
        ["fixtures/fr/reference.po, line", "record “area:cyber-defence”", "msgid “Cyber defence”", "empty msgstr"],
    ),
    "no such record": (
        "reference.po",
        lambda path: add_message(path, "area:no-such-area:name", "No such area", "Aucun domaine"),
        ["fixtures/fr/reference.po, line", "record “area:no-such-area”", "msgid “No such area”", "no such record"],
    ),
    "bad syntax": ("entries.po", break_syntax, ["fixtures/fr/entries.po: not a valid PO file", "line"]),
    # polib alone would read this as “remiers contacts…”: the opening quote is missing.
    "msgstr without its opening quote": (
        "entries.po",
        lambda path: path.write_text(
            path.read_text(encoding="utf-8").replace(
                'msgstr "Premiers contacts entre', "msgstr Premiers contacts entre", 1
            ),
            encoding="utf-8",
        ),
        ["fixtures/fr/entries.po: not a valid PO file (line", "msgstr Premiers contacts entre"],
    ),
    "wrong encoding": ("pages.po", to_latin_1, ["fixtures/fr/pages.po: not UTF-8 text"]),
    "French quote not in the French document": (
        "source.po",
        lambda path: set_msgstr(
            path, "cooperationentry:japan-initial-contacts:source_quote", "Une phrase qui n'est pas dans le document."
        ),
        ["record “cooperationentry:japan-initial-contacts”", "Not found word for word"],
    ),
}


@pytest.mark.parametrize("kind", BROKEN)
def test_a_broken_translation_fails_the_load_and_changes_nothing(loaded, fixture_copy, kind):
    name, breaks, expected = BROKEN[kind]
    breaks(fixture_copy / "fr" / name)
    before = database_snapshot(), translation_tables()
    with pytest.raises(CommandError) as raised:
        call_command("load_fixtures", str(fixture_copy), stdout=io.StringIO(), stderr=io.StringIO())
    message = str(raised.value)
    assert raised.value.returncode == 1
    for part in expected:
        assert part in message
    assert "nothing was loaded" in message
    assert (database_snapshot(), translation_tables()) == before


def test_writing_the_templates_changes_nothing_and_covers_every_message(loaded, tmp_path):
    before = database_snapshot(), translation_tables()
    output = io.StringIO()
    call_command("load_fixtures", write_translation_templates=str(tmp_path), stdout=output)
    assert (database_snapshot(), translation_tables()) == before
    names = sorted(path.name for path in tmp_path.glob("*.pot"))
    assert names == ["entries.pot", "japan-page.pot", "pages.pot", "reference.pot", "source.pot"]
    entries = polib.pofile(str(tmp_path / "entries.pot"))
    assert ("cooperationentry:japan-initial-contacts:title", "Initial contacts between NATO and Japan") in {
        (entry.msgctxt, entry.msgid) for entry in entries
    }
    source = polib.pofile(str(tmp_path / "source.pot"))
    text = next(entry for entry in source if entry.msgctxt.endswith(":text"))
    assert "\n" in text.msgid and "<br" not in text.msgid  # plain text, as translators read it


# --- Blocks with every optional field empty ----------------------------------------------------------


def test_every_block_type_with_optional_fields_empty_can_be_translated(loaded):
    image = Image.objects.first()
    area = Area.objects.filter(locale=english()).first()
    # Stored as earlier fixture loads stored them: None for each optional text.
    raw = [
        {"type": "heading", "value": {"text": "Overview", "level": "h2", "anchor": None}},
        {"type": "paragraph", "value": "<p>A paragraph.</p>"},
        {
            "type": "bullet_list",
            "value": {
                "items": [{"type": "item", "value": "<p>A point.</p>", "id": "8f1a0c4e-0000-4000-8000-000000000001"}]
            },
        },
        {"type": "quote", "value": {"quote": "Words.", "attribution": None}},
        {"type": "image", "value": {"image": image.pk, "caption": None, "alt_text": None}},
        {
            "type": "key_facts",
            "value": {
                "title": None,
                "facts": [
                    {
                        "type": "item",
                        "value": {"label": "Since", "value": "1994"},
                        "id": "8f1a0c4e-0000-4000-8000-000000000002",
                    }
                ],
            },
        },
        {"type": "entries", "value": {"area": area.pk, "kind": None, "programme": None, "style": "prose"}},
        {"type": "timeline", "value": {"title": None, "kind": "milestone"}},
    ]
    assert {block["type"] for block in raw} == set(SectionsBlock().child_blocks)  # every block type
    index = PartnersIndexPage.objects.get(locale=english())
    partner = Partner.objects.filter(locale=english()).exclude(pages__isnull=False).first()
    page = index.add_child(
        instance=PartnerPage(title="Relations with someone", slug="someone", partner=partner, lead="A lead.")
    )
    PartnerPage.objects.filter(pk=page.pk).update(body=json.dumps(raw))
    page = PartnerPage.objects.get(pk=page.pk)
    source, _ = TranslationSource.update_or_create_from_instance(page)
    messages = {entry.msgid for entry in source.export_po()}
    assert {"Overview", "A paragraph.", "A point.", "Words.", "Since", "1994"} <= messages
    # The translation needs its parents in French first: the home page and the partners index.
    for parent in (index.get_parent(), index):
        parent_source, _ = TranslationSource.update_or_create_from_instance(parent.specific)
        Translation.objects.create(source=parent_source, target_locale=french()).save_target(publish=True)
    Translation.objects.create(source=source, target_locale=french()).save_target(publish=True)
    translation = page.get_translation(french())
    heading = translation.specific.body[0].value
    assert heading["anchor"] == "" and heading["text"] == "Overview"


# --- Needs updating ---------------------------------------------------------------------------------


def listing_status(client, entry):
    """(“Needs updating”, “Up to date”) in the row of the French ``entry`` in the admin's French listing."""
    html = client.get(f"{ENTRIES}/?locale=fr").content.decode()
    rows = [row for row in re.findall(r"<tr\b.*?</tr>", html, re.S) if f"/edit/{entry.pk}/" in row]
    assert len(rows) == 1
    return "Needs updating" in rows[0], "Up to date" in rows[0]


def test_a_changed_english_entry_marks_its_translation_until_it_is_synced_and_published(
    translated, admin_client, django_capture_on_commit_callbacks
):
    original = CooperationEntry.objects.get(locale=english(), slug="japan-initial-contacts")
    entry = original.get_translation(french())
    assert not needs_update(entry)
    assert listing_status(admin_client, entry) == (False, True)

    original.title = "First contacts between NATO and Japan"
    original.save_revision().publish()
    assert needs_update(entry)
    assert listing_status(admin_client, entry) == (True, False)
    response = admin_client.get(f"{ENTRIES}/edit/{entry.pk}/")
    assert response.status_code == 200
    assert any("Needs updating" in str(message) for message in get_messages(response.wsgi_request))
    # The English listing has no such column.
    assert "Needs updating" not in admin_client.get(f"{ENTRIES}/?locale=en").content.decode()

    source, _ = TranslationSource.update_or_create_from_instance(original)  # “Sync translated snippets”
    assert needs_update(entry)  # synced, not yet published
    translation = Translation.objects.get(source=source, target_locale=french())
    with django_capture_on_commit_callbacks(execute=True):
        translation.save_target(publish=True)  # published before the new title is translated…
    assert needs_update(entry)  # …so the French shows the English title: still needs updating
    po = translation.export_po()
    for message in po:
        if message.msgid == "First contacts between NATO and Japan":
            message.msgstr = "Tout premiers contacts entre l'OTAN et le Japon"
    translation.import_po(po)
    with django_capture_on_commit_callbacks(execute=True):
        translation.save_target(publish=True)
    assert not needs_update(entry)
    assert listing_status(admin_client, entry) == (False, True)
    assert CooperationEntry.objects.get(pk=entry.pk).title == "Tout premiers contacts entre l'OTAN et le Japon"


def test_a_changed_english_page_marks_its_translation(translated, admin_client):
    original = PartnerPage.objects.get(locale=english())
    page = original.get_translation(french())
    assert not needs_update(page)
    original.lead = "A new lead."
    original.save_revision().publish()
    assert needs_update(page)
    response = admin_client.get(f"/admin/pages/{page.pk}/edit/")
    assert response.status_code == 200
    assert any("Needs updating" in str(message) for message in get_messages(response.wsgi_request))


# --- The French page says what it translates ----------------------------------------------------------


def test_the_french_page_links_to_its_english_original(translated, client):
    from bs4 import BeautifulSoup

    note = BeautifulSoup(client.get("/fr/partenaires/japon/").content, "html.parser").select_one(".translation-note")
    assert " ".join(note.get_text().split()) == (
        "Cette page est une traduction de l’original anglais. Lire en anglais : Relations with Japan"
    )
    link = note.select_one("a")
    assert (link["href"], link["hreflang"], link.select_one("[lang]")["lang"]) == ("/partners/japan/", "en", "en")
    assert 'class="translation-note"' not in client.get("/partners/japan/").content.decode()


# --- Translating in the admin ----------------------------------------------------------------------


@pytest.fixture
def editor(translated, django_user_model):
    user = django_user_model.objects.create_user("editor", password="editor-password-1")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def test_editors_and_moderators_may_translate(editor, client, django_user_model):
    submit = Permission.objects.get(content_type__app_label="wagtail_localize", codename="submit_translation")
    assert Group.objects.get(name="Editors").permissions.filter(pk=submit.pk).exists()
    assert Group.objects.get(name="Moderators").permissions.filter(pk=submit.pk).exists()
    client.force_login(editor)
    # The French entry opens in wagtail-localize's translation editor.
    entry = CooperationEntry.objects.get(locale=french(), slug="japon-premiers-contacts")
    response = client.get(f"{ENTRIES}/edit/{entry.pk}/")
    assert response.status_code == 200
    assert "wagtail_localize" in response.content.decode() or "translation-editor" in response.content.decode()
    # An English entry with no French yet may be submitted for translation.
    original = CooperationEntry.objects.get(locale=english(), slug="japan-initial-contacts")
    url = reverse("wagtail_localize:submit_snippet_translation", args=["partnership", "cooperationentry", original.pk])
    assert client.get(url).status_code in (200, 302)
    stranger = django_user_model.objects.create_user("stranger", password="stranger-password-1")
    stranger.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(stranger)
    assert client.get(url).status_code in (302, 403)


def entry_translation(slug="japon-premiers-contacts"):
    entry = CooperationEntry.objects.get(locale=french(), slug=slug)
    return Translation.objects.get(source__object_id=entry.translation_key, target_locale=french())


def test_a_translation_is_exported_and_imported_as_a_po_file(editor, client):
    client.force_login(editor)
    translation = entry_translation()
    download = client.get(reverse("wagtail_localize:download_pofile", args=[translation.pk]))
    assert download.status_code == 200
    po = polib.pofile(download.content.decode())
    title = next(entry for entry in po if entry.msgctxt == "title")
    assert title.msgid == "Initial contacts between NATO and Japan"
    title.msgstr = "Premiers contacts (importé)"
    upload = SimpleUploadedFile("entry.po", str(po).encode(), content_type="text/x-gettext-translation")
    url = reverse("wagtail_localize:upload_pofile", args=[translation.pk])
    response = client.post(url, {"file": upload, "next": f"{ENTRIES}/"})
    assert response.status_code == 302
    assert StringTranslation.objects.filter(data="Premiers contacts (importé)", locale=french()).exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'msgid ""\nmsgstr ""\n\nthis line is not PO syntax\n', "is not a valid PO file"),
        ('msgid ""\nmsgstr ""\n\nmsgid "Japon"\nmsgstr "Japon é"\n'.encode("latin-1"), "is not UTF-8 text"),
        (
            b'msgid ""\nmsgstr ""\n"Language: fr\\n"\n\nmsgid "a"\nmsgstr "b"\n',
            "was not downloaded from this translation",
        ),
        (None, "Choose a PO file to upload"),
        (
            b'msgid ""\nmsgstr ""\n\nmsgid "Initial contacts"\nmsgstr Premiers contacts"\n',
            'is not a valid PO file (line 5: \u201cmsgstr Premiers contacts"\u201d)',
        ),
    ],
    ids=["bad syntax", "not UTF-8", "no translation header", "no file", "msgstr without its opening quote"],
)
def test_a_broken_po_upload_is_refused_with_a_message(editor, client, content, expected):
    client.force_login(editor)
    translation = entry_translation()
    before = translation_tables()
    data = {"next": f"{ENTRIES}/"}
    if content is not None:
        data["file"] = SimpleUploadedFile("broken.po", content)
    response = client.post(reverse("wagtail_localize:upload_pofile", args=[translation.pk]), data)
    assert response.status_code == 302
    assert any(expected in str(message) for message in get_messages(response.wsgi_request))
    assert translation_tables() == before


def test_a_record_created_directly_in_french_is_refused(loaded, django_user_model, client):
    moderator = django_user_model.objects.create_user("moderator", password="moderator-password-1")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(moderator)
    count = Area.objects.count()
    response = client.post(
        "/admin/snippets/partnership/area/add/?locale=fr",
        {"name": "Défense spatiale", "slug": "defense-spatiale", "category": "area"},
    )
    assert response.status_code == 200
    assert "Create it in English first, then translate it." in response.content.decode()
    assert Area.objects.count() == count
    entry = CooperationEntry(
        locale=french(),
        partner=Partner.objects.get(slug="japan"),
        kind="milestone",
        title="Un fait",
        slug="un-fait",
        source=SourceDocument.objects.get(),
        source_section="Points forts",
        source_quote="",
    )
    with pytest.raises(ValidationError, match="Create it in English first"):
        entry.full_clean()


@pytest.mark.parametrize(
    ("entry", "page"),
    [
        ("/cooperation/japan-joint-political-declaration/", "/partners/japan/"),
        ("/fr/cooperation/japon-declaration-politique-conjointe/", "/fr/partenaires/japon/"),
        ("/fr/cooperation/japon-officier-liaison-commandement-maritime/", "/fr/partenaires/japon/"),
    ],
)
def test_an_entrys_section_link_lands_on_that_section_in_its_language(translated, client, entry, page):
    from bs4 import BeautifulSoup

    link = BeautifulSoup(client.get(entry).content, "html.parser").select_one(".provenance figcaption a")
    path, _, anchor = link["href"].partition("#")
    assert path == page
    target = BeautifulSoup(client.get(page).content, "html.parser").find(id=anchor)
    assert target is not None, f"{page} has no #{anchor}"
