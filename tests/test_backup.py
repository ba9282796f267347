"""Backup and restore: the whole site moves into a fresh database, and nothing is lost.

The round trip: the fixtures are loaded into the test database and editors change things (drafts
of an entry and a page, a page in moderation, a new editor, an image rendition); ``backup_site``
writes the archive; a *separate* fresh database — an SQLite file, or a new PostgreSQL database
when the suite runs on PostgreSQL — is migrated and ``restore_site`` loads the archive into it, in
subprocesses with their own database and media folder. Then every public page must be the same
byte for byte (apart from CSRF tokens and CSP nonces), and every row and every media file equal.
"""

import difflib
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client

from cms import backup
from tests.conftest import run_load_fixtures

PROJECT_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

FIXED_URLS = [
    "/",
    "/partners/",
    "/partners/japan/",
    "/cooperation/",
    "/cooperation/?kind=contribution&sort=title",
    "/cooperation/export.csv",
    "/cooperation/export.json",
    "/cooperation/feed.atom",
    "/cooperation/feeds/japan.atom",
    "/sitemap.xml",
    "/robots.txt",
    "/search/?q=japan",
    "/search/?q=maritime",
    "/api/v2/entries/",
    "/api/v2/entries/?partner=japan&fields=amount,currency,period",
    "/api/v2/pages/",
    "/api/v2/images/",
]
# Parts of a page that differ on every request whatever the database: tokens and nonces.
VOLATILE = [
    (re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")'), rb"\1TOKEN\2"),
    (re.compile(rb'(nonce=")[^"]*(")'), rb"\1NONCE\2"),
]


# --- What is compared: the same function runs in the test and in a subprocess on the restored site ------


def public_urls():
    from partnership.models import CooperationEntry

    entries = CooperationEntry.objects.public().order_by("slug").values_list("slug", flat=True)
    return [*FIXED_URLS, *(f"/cooperation/{slug}/" for slug in entries)]


def render_pages():
    client = Client()
    pages = {}
    for url in public_urls():
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for pattern, replacement in VOLATILE:
            body = pattern.sub(replacement, body)
        pages[url] = {
            "status": response.status_code,
            "content_type": response.get("Content-Type"),
            "body": body.decode("utf-8", errors="surrogateescape"),
        }
    return pages


def natural_content_type(pk):
    content_type = ContentType.objects.get_for_id(pk)
    return [content_type.app_label, content_type.model]


def database_rows():
    """Every backed-up row, as the backup serializes it (content type ids inside revisions by natural key)."""
    rows = {}
    for item in json.loads(serialize_all()):
        if item["model"] == "wagtailcore.revision" and isinstance(item["fields"]["content"].get("content_type"), int):
            item["fields"]["content"]["content_type"] = natural_content_type(item["fields"]["content"]["content_type"])
        rows.setdefault(item["model"], []).append(item)
    return rows


def serialize_all():
    stream = io.StringIO()
    backup.serialize_rows(stream)
    return stream.getvalue()


def media_files():
    return {name: backup.storage_checksum(name)[0] for name in backup.storage_files()}


def derived_indexes():
    """The reference index (rebuilt on restore), without its ids."""
    from wagtail.models import ReferenceIndex

    return sorted(
        [natural_content_type(ref.content_type_id), ref.object_id, natural_content_type(ref.to_content_type_id)]
        + [ref.to_object_id, ref.model_path, ref.content_path]
        for ref in ReferenceIndex.objects.all()
    )


def site_state():
    """Rows, files and derived indexes first; then the pages; then whether rendering had to make renditions."""
    from wagtail.images import get_image_model
    from wagtail.models import Site

    Site.clear_site_root_paths_cache()
    Rendition = get_image_model().get_rendition_model()
    state = {"rows": database_rows(), "files": media_files(), "references": derived_indexes()}
    renditions_before = Rendition.objects.count()
    state["pages"] = render_pages()
    state["renditions_made_by_rendering"] = Rendition.objects.count() - renditions_before
    return state


def refusals(archive, failing):
    """Restore into this site (refused: it holds content), then force a restore that fails; what is left."""
    from django.core.management.base import CommandError

    errors = {}
    for key, args in (("refused", [archive]), ("failed", ["--force", failing])):
        try:
            call_command("restore_site", *args, stdout=io.StringIO())
        except CommandError as error:
            errors[key] = str(error)
    return {**errors, "rows": database_rows()}


STATE_SCRIPT = (
    "import json, sys, django; django.setup(); from tests import test_backup; "
    "state = test_backup.refusals(*sys.argv[3:]) if sys.argv[2:3] == ['refusals'] else test_backup.site_state(); "
    "open(sys.argv[1], 'w', encoding='utf-8').write(json.dumps(state))"
)


# --- A separate, fresh database ---------------------------------------------------------------------------


@contextmanager
def fresh_database(tmp_path):
    """The URL of a new, empty database of the suite's kind, dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    name = f"{config['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    connect = {
        "dbname": "postgres",
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "autocommit": True,
    }
    with psycopg.connect(**connect) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0].split("?")[0] + f"/{name}"
    finally:
        with psycopg.connect(**connect) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(database_url, media_root):
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "PYTEST_CURRENT_TEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.test",
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(media_root),
        PAGE_CACHE_SECONDS="0",
    )
    return env


def manage(env, *args, check=True):
    result = subprocess.run(
        [PYTHON, "manage.py", *map(str, args)], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    if check and result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    return result


def state_of(env, tmp_path, *args):
    """Run site_state() (or another function of STATE_SCRIPT's) in a subprocess on the restored site."""
    output = tmp_path / f"state-{uuid.uuid4().hex[:6]}.json"
    result = subprocess.run(
        [PYTHON, "-c", STATE_SCRIPT, str(output), *map(str, args)],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        pytest.fail(f"Reading the restored site failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(output.read_text(encoding="utf-8"))


def with_manifest_changed(archive, copy, change):
    """Copy the archive with its manifest changed by ``change`` (the data and files keep their checksums)."""
    with tarfile.open(archive) as source, tarfile.open(copy, "w:gz") as target:
        for member in source.getmembers():
            content = source.extractfile(member).read()
            if member.name == backup.MANIFEST_NAME:
                manifest = json.loads(content)
                change(manifest)
                content = json.dumps(manifest).encode()
            backup.add_bytes(target, member.name, content)


# --- Editors at work --------------------------------------------------------------------------------------


def editors_change_things():
    from wagtail.images import get_image_model

    from cms.models import PartnerPage
    from partnership.models import CooperationEntry

    editor = User.objects.create_user("erin", "erin@example.org", "a long passphrase", first_name="Erin")
    editor.groups.add(Group.objects.get(name="Editors"))
    editor.user_permissions.add(Permission.objects.get(codename="view_partner"))

    entry = CooperationEntry.objects.get(slug=CooperationEntry.objects.order_by("pk").values_list("slug")[0][0])
    entry.title = f"{entry.title} (draft correction)"
    entry.save_revision(user=editor)

    page = PartnerPage.objects.get(slug="japan")
    page.title = "Relations with Japan (draft)"
    page.save_revision(user=editor)
    page.get_workflow().start(page, editor)

    get_image_model().objects.first().get_rendition("fill-160x90")
    return entry, page


# --- The round trip ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_round_trip_into_a_fresh_database_loses_nothing(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "source-media"
    archive = tmp_path / "site.tar.gz"
    with fresh_database(tmp_path) as target_url:
        env = environment(target_url, tmp_path / "restored-media")
        migrate = subprocess.Popen(
            [PYTHON, "manage.py", "migrate", "--noinput", "--skip-checks", "-v0"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            run_load_fixtures()
            entry, page = editors_change_things()
            render_pages()  # what readers ask for first makes its renditions: they are part of the site
            call_command("backup_site", str(archive), stdout=io.StringIO())
            source = site_state()
        finally:
            output, _ = migrate.communicate(timeout=120)
        assert migrate.returncode == 0, output

        restored = manage(env, "restore_site", archive)
        assert "Restored" in restored.stdout
        target = state_of(env, tmp_path)

        # Every public page, byte for byte.
        assert list(target["pages"]) == list(source["pages"])
        for url, expected in source["pages"].items():
            assert expected["status"] == 200, url
            if target["pages"][url] != expected:
                lines = [page["body"].splitlines() for page in (expected, target["pages"][url])]
                diff = "\n".join(difflib.unified_diff(*lines, "original", "restored", lineterm="", n=1))
                pytest.fail(f"{url} differs after the restore ({target['pages'][url]['status']}):\n{diff[:5000]}")
        assert target["renditions_made_by_rendering"] == 0  # the renditions came back with their files

        # Every row: revisions and their contents, users, groups, permissions, workflows, locales, sites, images…
        assert sorted(target["rows"]) == sorted(source["rows"])
        for model, rows in source["rows"].items():
            assert target["rows"][model] == rows, model
        assert target["files"] == source["files"]
        assert target["references"] == source["references"]

        # What the editors did is there (the generic comparison above holds it; named here for the reader).
        rows = source["rows"]
        revisions = [r["fields"] for r in rows["wagtailcore.revision"]]
        assert (
            sum(
                r["object_id"] == str(entry.pk) and r["base_content_type"] == ["partnership", "cooperationentry"]
                for r in revisions
            )
            == 2
        )
        assert any(r["content"]["title"] == "Relations with Japan (draft)" for r in revisions)
        erin = next(u["fields"] for u in rows["auth.user"] if u["fields"]["username"] == "erin")
        editors = next(g for g in rows["auth.group"] if g["fields"]["name"] == "Editors")
        assert erin["groups"] == [editors["pk"]]
        assert erin["user_permissions"] == [["view_partner", "partnership", "partner"]]
        moderators = next(g for g in rows["auth.group"] if g["fields"]["name"] == "Moderators")
        assert ["publish_cooperationentry", "partnership", "cooperationentry"] in moderators["fields"]["permissions"]
        assert any(
            row["fields"]["group"] == moderators["pk"]
            and row["fields"]["permission"] == ["publish_page", "wagtailcore", "page"]
            for row in rows["wagtailcore.grouppagepermission"]
        )
        assert len(rows["wagtailcore.workflowstate"]) == 1
        assert len(rows["wagtailimages.rendition"]) >= 1
        image_files = {r["fields"]["file"] for r in rows["wagtailimages.image"] + rows["wagtailimages.rendition"]}
        assert image_files <= set(target["files"])

        # A second restore into what is now a site with content is refused; a forced restore that fails
        # half-way (after emptying the tables and loading the rows) is rolled back. Neither changes anything.
        failing = tmp_path / "miscounted.tar.gz"
        with_manifest_changed(archive, failing, lambda manifest: manifest["counts"].update({"auth.user": 99}))
        after = state_of(env, tmp_path, "refusals", archive, failing)
        assert "already hold content" in after["refused"]
        assert "auth.user: 1 rows, the backup has 99" in after["failed"]
        assert after["rows"] == target["rows"]


# --- The parts that need no second database ---------------------------------------------------------------


def test_a_damaged_archive_is_refused(tmp_path):
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(b"not an archive")
    with pytest.raises(backup.BackupError, match="not a readable backup archive"):
        backup.read_archive(damaged, tmp_path / "out")


def test_a_changed_file_in_the_archive_is_refused(tmp_path):
    archive = tmp_path / "site.tar.gz"
    manifest = {
        "format": backup.FORMAT,
        "version": backup.FORMAT_VERSION,
        "data": {"name": "data.json", "sha256": hashlib.sha256(b"[]").hexdigest(), "size": 2},
        "media": {"files": {"a.png": {"sha256": hashlib.sha256(b"png").hexdigest(), "size": 3}}, "missing": []},
    }
    with tarfile.open(archive, "w:gz") as tar:
        backup.add_bytes(tar, "manifest.json", json.dumps(manifest).encode())
        backup.add_bytes(tar, "data.json", b"[]")
        backup.add_bytes(tar, "media/a.png", b"PNG")
    with pytest.raises(backup.BackupError, match="media file a.png is missing or does not match"):
        backup.read_archive(archive, tmp_path / "out")


def test_content_type_ids_inside_revisions_are_translated():
    content = {"title": "Japan", "content_type": 7, "comments": [{"content_type": 9, "pk": 7}], "pk": 7}
    assert backup.remap_content_type_ids(content, {7: 40, 9: 41}) == {
        "title": "Japan",
        "content_type": 40,
        "comments": [{"content_type": 41, "pk": 7}],
        "pk": 7,
    }


def test_derived_and_transient_tables_are_left_out_and_said_why():
    labels = {model._meta.label_lower for model in backup.backup_models()}
    assert {"wagtailcore.page", "wagtailcore.revision", "partnership.cooperationentry", "auth.user"} <= labels
    assert {"wagtailimages.rendition", "wagtailcore.workflowstate", "wagtailcore.locale", "wagtailcore.site"} <= labels
    excluded = backup.excluded_models()
    for label in ("contenttypes.contenttype", "auth.permission", "sessions.session", "wagtailcore.referenceindex"):
        assert label not in labels and excluded[label]
    assert not any(model._meta.app_label == "wagtailsearch" for model in backup.backup_models())
    assert apps.get_model("wagtailsearch", "IndexEntry")._meta.label_lower in excluded
