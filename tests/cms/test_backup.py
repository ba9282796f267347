"""Backup and restore: the whole site moves into a fresh database, and nothing is lost.

The round trip: in a fresh database (an SQLite file, or a new PostgreSQL database when the suite
runs on PostgreSQL), in a subprocess with its own media folder, the fixtures are loaded and editors
change things (drafts of an entry and a page, a page in moderation, a new editor, an image
rendition); ``backup_site`` writes the archive (django-dbbackup's dump and media tar, signed). A
second fresh database gets ``restore_site``. Then every public page must be the same byte for byte
(apart from CSRF tokens and CSP nonces), and every row of every table and every media file equal.
The source is a database of its own because the database's own dump tool (pg_dump) reads only
what is committed, never the test's open transaction.

The hostile archives need no database: unsigned or signed with another key, a member changed, a
member the manifest does not declare, media tars with ``../``, absolute names, links, or more
bytes than declared.
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
from django.core import serializers
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client

from cms import backup

PROJECT_DIR = Path(__file__).resolve().parents[2]
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


# --- What is compared: the same function runs in each subprocess, on the source and the restored site --


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


def database_rows():
    """Every row of every table (content types, permissions, revisions, the search and reference indexes…)."""
    rows = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped:
            continue
        queryset = model._base_manager.order_by(meta.pk.name)
        rows[meta.label_lower] = json.loads(serializers.serialize("json", queryset))
    return rows


def media_files(directory=""):
    """``{name: sha256}`` of every file in the media storage."""
    directories, files = default_storage.listdir(directory)
    found = {}
    for name in files:
        with default_storage.open(f"{directory}{name}", "rb") as handle:
            found[f"{directory}{name}"] = hashlib.sha256(handle.read()).hexdigest()
    for sub in directories:
        found.update(media_files(f"{directory}{sub}/"))
    return found


def site_state():
    """Rows and files first; then the pages; then whether rendering had to make renditions."""
    from wagtail.images import get_image_model
    from wagtail.models import Site

    Site.clear_site_root_paths_cache()
    Rendition = get_image_model().get_rendition_model()
    state = {"rows": database_rows(), "files": media_files()}
    renditions_before = Rendition.objects.count()
    state["pages"] = render_pages()
    state["renditions_made_by_rendering"] = Rendition.objects.count() - renditions_before
    return state


def make_source(archive):
    """The site an archive is made of: fixtures, editors at work, pages read; then backup_site."""
    from tests.conftest import run_load_fixtures

    run_load_fixtures()
    entry, page = editors_change_things()
    render_pages()  # what readers ask for first makes its renditions: they are part of the site
    call_command("backup_site", archive, stdout=io.StringIO())
    return {**site_state(), "entry": entry.pk}


def refusals(archive, failing):
    """Restore into this site (refused: it holds content), then force a restore that fails; what is left."""
    from django.core.management.base import CommandError

    errors = {}
    for key, args in (("refused", [archive]), ("failed", ["--force", failing])):
        try:
            call_command("restore_site", *args, stdout=io.StringIO())
        except CommandError as error:
            errors[key] = str(error)
    return {**errors, "rows": database_rows(), "files": media_files()}


STATE_SCRIPT = (
    "import json, sys, django; django.setup(); from tests.cms import test_backup; "
    "state = getattr(test_backup, sys.argv[2])(*sys.argv[3:]); "
    "open(sys.argv[1], 'w', encoding='utf-8').write(json.dumps(state))"
)
SIGNING_KEY = "a key for this test run only"


# --- A separate, fresh database ---------------------------------------------------------------------------


@contextmanager
def fresh_database(tmp_path, label):
    """The URL of a new, empty database of the suite's kind, dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / f'{label}.sqlite3'}"
        return
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    name = f"{config['NAME']}_{label}_{uuid.uuid4().hex[:8]}"
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
        BACKUP_SIGNING_KEY=SIGNING_KEY,  # each test process has a SECRET_KEY of its own
    )
    return env


def manage(env, *args, check=True):
    result = subprocess.run(
        [PYTHON, "manage.py", *map(str, args)], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    if check and result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    return result


def state_of(env, tmp_path, function, *args):
    """Run one of this module's functions (site_state, make_source, refusals) in a subprocess on a site."""
    output = tmp_path / f"state-{uuid.uuid4().hex[:6]}.json"
    result = subprocess.run(
        [PYTHON, "-c", STATE_SCRIPT, str(output), function, *map(str, args)],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        pytest.fail(f"{function} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(output.read_text(encoding="utf-8"))


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


def migrate(env):
    return subprocess.Popen(
        [PYTHON, "manage.py", "migrate", "--noinput", "--skip-checks", "-v0"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def pk_of(rows, label, **fields):
    return next(row["pk"] for row in rows[label] if all(row["fields"][k] == v for k, v in fields.items()))


def test_round_trip_into_a_fresh_database_loses_nothing(tmp_path, settings):
    settings.BACKUP_SIGNING_KEY = SIGNING_KEY
    archive = tmp_path / "site.tar.gz"
    with fresh_database(tmp_path, "source") as source_url, fresh_database(tmp_path, "restored") as target_url:
        source_env = environment(source_url, tmp_path / "source-media")
        target_env = environment(target_url, tmp_path / "restored-media")
        for process in [migrate(source_env), migrate(target_env)]:
            output, _ = process.communicate(timeout=180)
            assert process.returncode == 0, output

        source = state_of(source_env, tmp_path, "make_source", archive)
        restored = manage(target_env, "restore_site", archive)
        assert "Restored" in restored.stdout
        target = state_of(target_env, tmp_path, "site_state")

        # Every public page, byte for byte.
        assert list(target["pages"]) == list(source["pages"])
        for url, expected in source["pages"].items():
            assert expected["status"] == 200, url
            if target["pages"][url] != expected:
                lines = [page["body"].splitlines() for page in (expected, target["pages"][url])]
                diff = "\n".join(difflib.unified_diff(*lines, "original", "restored", lineterm="", n=1))
                pytest.fail(f"{url} differs after the restore ({target['pages'][url]['status']}):\n{diff[:5000]}")
        assert target["renditions_made_by_rendering"] == 0  # the renditions came back with their files

        # Every row of every table (revisions and their contents, users, groups, permissions, workflows,
        # locales, sites, images, the search and reference indexes…) and every media file.
        assert sorted(target["rows"]) == sorted(source["rows"])
        for model, rows in source["rows"].items():
            assert target["rows"][model] == rows, model
        assert target["files"] == source["files"]

        # What the editors did is there (the generic comparison above holds it; named here for the reader).
        rows = source["rows"]
        entry_type = pk_of(rows, "contenttypes.contenttype", app_label="partnership", model="cooperationentry")
        revisions = [r["fields"] for r in rows["wagtailcore.revision"]]
        assert (
            sum(r["object_id"] == str(source["entry"]) and r["base_content_type"] == entry_type for r in revisions) == 2
        )
        assert any(r["content"]["title"] == "Relations with Japan (draft)" for r in revisions)
        erin = next(u["fields"] for u in rows["auth.user"] if u["fields"]["username"] == "erin")
        assert erin["groups"] == [pk_of(rows, "auth.group", name="Editors")]
        assert erin["user_permissions"] == [pk_of(rows, "auth.permission", codename="view_partner")]
        assert len(rows["wagtailcore.workflowstate"]) == 1
        assert len(rows["wagtailimages.rendition"]) >= 1
        assert rows["wagtailsearch.indexentry"]
        image_files = {r["fields"]["file"] for r in rows["wagtailimages.image"] + rows["wagtailimages.rendition"]}
        assert image_files <= set(target["files"])

        # A second restore into what is now a site with content is refused; a forced restore of an archive
        # of ours whose database dump is broken fails before anything changes. Neither changes anything.
        failing = tmp_path / "broken-dump.tar.gz"
        resigned(archive, failing, {backup.DATABASE_NAME: b"not a database dump" * 100})
        after = state_of(target_env, tmp_path, "refusals", archive, failing)
        assert "already holds content" in after["refused"]
        assert "pages" in after["refused"] and "media files of the archive's names" in after["refused"]
        assert "not a sound SQLite database" in after["failed"] or "could not be restored" in after["failed"]
        assert after["rows"] == target["rows"]
        assert after["files"] == target["files"]


# --- Hostile and foreign archives: no database needed ----------------------------------------------------


def media_tar(path, members):
    """A tar of ``(TarInfo, content or None)``."""
    with tarfile.open(path, "w") as tar:
        for info, content in members:
            if content is not None:
                info.size = len(content)
            tar.addfile(info, io.BytesIO(content) if content is not None else None)


def plain(name, content):
    return tarfile.TarInfo(name), content


def build(folder, media=None, **manifest_changes):
    """A signed archive of ours in ``folder``: a database dump, media files, a manifest; its path.

    ``media``: the media tar's ``(TarInfo, content)`` members (default: one image); ``media_declared``
    replaces what the manifest says of them, any other keyword a manifest field.
    """
    media = media or [plain("original_images/a.png", b"PNG")]
    folder.mkdir(exist_ok=True)
    parts = folder / "parts"
    parts.mkdir(exist_ok=True)
    (parts / backup.DATABASE_NAME).write_bytes(b"SQLite format 3\0 and more")
    media_tar(parts / backup.MEDIA_NAME, media)
    files = [info.size for info, _content in media if info.isreg()]
    manifest = {
        "format": backup.FORMAT,
        "version": backup.FORMAT_VERSION,
        "created_at": "2025-01-31T12:00:00+00:00",
        "engine": "django.db.backends.sqlite3",
        "members": {name: backup.file_digest(parts / name) for name in (backup.DATABASE_NAME, backup.MEDIA_NAME)},
        "media": {"files": len(files), "bytes": sum(files)},
        **manifest_changes,
    }
    if "media_declared" in manifest:
        manifest["media"] = manifest.pop("media_declared")
    path = folder / "site.tar.gz"
    backup.write_archive(path, manifest, parts)
    return path


def rewritten(archive, copy, contents, extra=()):
    """Copy the archive, member for member, with some members' contents replaced and extra members added."""
    with tarfile.open(archive) as source, tarfile.open(copy, "w:gz") as target:
        for member in source.getmembers():
            content = contents.get(member.name, source.extractfile(member).read())
            member.size = len(content)
            target.addfile(member, io.BytesIO(content))
        for info, content in extra:
            media_tar_info = tarfile.TarInfo(info) if isinstance(info, str) else info
            media_tar_info.size = len(content)
            target.addfile(media_tar_info, io.BytesIO(content))


def resigned(archive, copy, contents):
    """Copy an archive of ours with some members' contents replaced, and sign it anew (as a bug of ours would)."""
    parts = copy.parent / f"{copy.name}-parts"
    parts.mkdir()
    with tarfile.open(archive) as source:
        manifest = json.loads(source.extractfile(backup.MANIFEST_NAME).read())
        for name in manifest["members"]:
            (parts / name).write_bytes(contents.get(name) or source.extractfile(name).read())
    manifest["members"] = {name: backup.file_digest(parts / name) for name in manifest["members"]}
    backup.write_archive(copy, manifest, parts)


def nothing_outside(tmp_path, into):
    """No file escaped the folder the archive is unpacked into, which holds declared members only."""
    assert list(tmp_path.rglob("escaped*")) == []
    assert list(Path("/tmp").glob("escaped*")) == []
    assert {path.name for path in into.iterdir()} <= {backup.DATABASE_NAME, backup.MEDIA_NAME}


@pytest.fixture
def signing_key(settings):
    settings.BACKUP_SIGNING_KEY = SIGNING_KEY


@pytest.fixture
def into(tmp_path):
    folder = tmp_path / "work" / "out"
    folder.mkdir(parents=True)
    return folder


def test_an_archive_of_ours_is_read_whole(tmp_path, into, signing_key):
    manifest = backup.read_archive(build(tmp_path / "a"), into)
    assert manifest["media"] == {"files": 1, "bytes": 3}
    assert sorted(path.name for path in into.iterdir()) == [backup.DATABASE_NAME, backup.MEDIA_NAME]


def test_a_damaged_archive_is_refused(tmp_path, into, signing_key):
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(b"not an archive")
    with pytest.raises(backup.BackupError, match="not a readable backup archive"):
        backup.read_archive(damaged, into)


def test_an_archive_signed_with_another_key_or_changed_after_signing_is_refused(tmp_path, into, settings):
    settings.BACKUP_SIGNING_KEY = "another site's key"
    foreign = build(tmp_path / "foreign")
    settings.BACKUP_SIGNING_KEY = SIGNING_KEY
    with pytest.raises(backup.BackupError, match="was not written by this site"):
        backup.read_archive(foreign, into)

    ours = build(tmp_path / "ours")
    with tarfile.open(ours) as archive:
        manifest = json.loads(archive.extractfile(backup.MANIFEST_NAME).read())
    for change in ({"media": {"files": 1, "bytes": 10**12}}, {"signature": None}, {"engine": "other"}):
        changed = tmp_path / f"changed-{uuid.uuid4().hex[:6]}.tar.gz"
        rewritten(ours, changed, {backup.MANIFEST_NAME: json.dumps({**manifest, **change}).encode()})
        with pytest.raises(backup.BackupError, match="was not written by this site"):
            backup.read_archive(changed, into)
    nothing_outside(tmp_path, into)


def test_archives_signed_with_a_retired_secret_key_open_while_it_is_a_fallback(tmp_path, into, settings):
    settings.BACKUP_SIGNING_KEY = ""
    settings.SECRET_KEY = "the key of last year"
    archive = build(tmp_path / "old")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "this year's key", ["the key of last year"]
    assert backup.read_archive(archive, into)["format"] == backup.FORMAT
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(backup.BackupError, match="was not written by this site"):
        backup.read_archive(archive, tmp_path / "work")


def test_a_changed_member_is_refused(tmp_path, into, signing_key):
    archive = build(tmp_path / "a")
    changed = tmp_path / "changed.tar.gz"
    rewritten(archive, changed, {backup.DATABASE_NAME: b"SQLite format 3\0 and MORE"})  # same size
    with pytest.raises(backup.BackupError, match="database.dump does not match its checksum"):
        backup.read_archive(changed, into)


@pytest.mark.parametrize("name", ["evil.sh", "../escaped.txt", "/tmp/escaped.txt", backup.DATABASE_NAME])
def test_a_member_the_manifest_does_not_declare_is_refused_and_not_written(tmp_path, into, signing_key, name):
    archive = build(tmp_path / "a")
    padded = tmp_path / "padded.tar.gz"
    rewritten(archive, padded, {}, extra=[(name, b"#!/bin/sh\necho hello\n")])
    with pytest.raises(backup.BackupError, match="which its manifest does not declare"):
        backup.read_archive(padded, into)
    nothing_outside(tmp_path, into)


def link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def directory(name):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    return info, None


@pytest.mark.parametrize(
    "member",
    [
        plain("../escaped.png", b"PNG"),
        plain("original_images/../../escaped.png", b"PNG"),
        plain("/tmp/escaped.png", b"PNG"),
        link("original_images/passwd.png", "/etc/passwd"),
        link("original_images/hard.png", "original_images/a.png", tarfile.LNKTYPE),
        directory("original_images"),
    ],
    ids=["parent", "nested-parent", "absolute", "symlink", "hardlink", "directory"],
)
def test_a_media_tar_with_anything_but_plain_files_under_plain_names_is_refused(tmp_path, into, signing_key, member):
    archive = build(tmp_path / "a", media=[plain("original_images/a.png", b"PNG"), member])
    with pytest.raises(backup.BackupError, match="not a plain file under a plain name"):
        backup.read_archive(archive, into)
    nothing_outside(tmp_path, into)


def test_a_media_tar_holding_more_than_declared_is_refused(tmp_path, into, signing_key):
    media = [plain("original_images/a.png", b"PNG"), plain("original_images/b.png", b"x" * 10_000)]
    for declared in ({"files": 1, "bytes": 10_003}, {"files": 2, "bytes": 3}, {"files": 3, "bytes": 20_000}):
        archive = build(tmp_path / uuid.uuid4().hex[:6], media, media_declared=declared)
        with pytest.raises(backup.BackupError, match="more than the manifest declares|fewer than the manifest"):
            backup.read_archive(archive, into)


@pytest.mark.django_db
def test_a_backup_of_another_database_engine_is_refused_before_anything_changes(tmp_path, signing_key):
    from wagtail.models import Page

    pages = Page.objects.count()
    archive = build(tmp_path / "a", engine="django.db.backends.mysql")
    with pytest.raises(backup.BackupError, match="The backup is of a django.db.backends.mysql database"):
        backup.restore(archive)
    assert Page.objects.count() == pages
