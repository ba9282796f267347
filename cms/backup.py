"""The whole site in one signed archive, made and restored by django-dbbackup's commands.

django-dbbackup does the work: ``dbbackup`` dumps the database with its own tool (SQLite's online
backup API: a copy of the database file; PostgreSQL: ``pg_dump --format=custom``, restored by
``pg_restore --single-transaction``), ``mediabackup`` packs the media storage into a tar, and
``dbrestore``/``mediarestore`` put them back. What this module adds is what dbbackup leaves to its
user:

- **one archive** (``.tar.gz``) holding dbbackup's two files and ``manifest.json``: the format
  and its version, when it was made, the database engine, the size and SHA-256 of both files, the
  number and total size of the media files, and an HMAC-SHA256 of all that, keyed with
  ``BACKUP_SIGNING_KEY`` (by default ``SECRET_KEY``, and then also ``SECRET_KEY_FALLBACKS``);
- **a restore that refuses what this site did not write**: an archive without a valid signature,
  with a member the manifest does not declare, a member larger than declared or unlike its
  checksum, or a media tar holding anything but plain files under relative names (``../``,
  absolute paths, links and devices are refused) or more files or bytes than declared. Nothing is
  written anywhere — database, media storage — until the whole archive has passed;
- **a restore that refuses a site with content** (users, pages beyond the two Wagtail's
  migrations make, revisions, images, documents, entries, or media files of the archive's names)
  unless forced;
- on SQLite, a restore that replaces the database file in one step (:class:`SqliteReplaceConnector`)
  after checking the dump is a sound SQLite database, instead of writing over the file in place.
"""

import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from dbbackup.db.exceptions import ConnectorError
from dbbackup.db.sqlite import SqliteBackupConnector
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

FORMAT = "partnership-cms-backup"
FORMAT_VERSION = 2
MANIFEST_NAME = "manifest.json"
DATABASE_NAME = "database.dump"
MEDIA_NAME = "media.tar"
MAX_MANIFEST_BYTES = 64 * 1024


class BackupError(Exception):
    """The backup or restore could not be made; for a restore, nothing was changed."""


# --- The manifest's signature ------------------------------------------------------------------------


def signing_keys():
    """The key that signs new archives first, then older keys whose archives are still accepted."""
    if settings.BACKUP_SIGNING_KEY:
        return [settings.BACKUP_SIGNING_KEY]
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


def signature(manifest, key):
    """HMAC-SHA256 (hex) of the manifest without its ``signature``, as canonical JSON."""
    unsigned = {name: value for name, value in manifest.items() if name != "signature"}
    message = json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(f"cms.backup:{key}".encode(), message, hashlib.sha256).hexdigest()


def is_signed(manifest):
    given = manifest.get("signature")
    return isinstance(given, str) and any(
        hmac.compare_digest(given, signature(manifest, key)) for key in signing_keys()
    )


def file_digest(path):
    """``{"size": bytes, "sha256": hex}`` of the file at ``path``."""
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
    return {"size": Path(path).stat().st_size, "sha256": digest.hexdigest()}


# --- Backup ------------------------------------------------------------------------------------------


def backup(path):
    """Write the database and media files into a new archive at ``path``; return its manifest.

    Raises BackupError if ``path`` exists, its folder does not, or the database's dump tool fails
    (e.g. no ``pg_dump``).
    """
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists; name a new file (a backup never overwrites one).")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a folder.")
    with tempfile.TemporaryDirectory(prefix="partnership-backup-") as work:
        work = Path(work)
        quiet = {"quiet": True, "interactive": False}
        try:
            call_command("dbbackup", output_path=str(work / DATABASE_NAME), **quiet)
        except ConnectorError as error:  # e.g. no pg_dump on this machine
            raise BackupError(f"The database could not be dumped: {error}") from error
        # mediabackup lists the media folder: a site that has never stored a file may have none yet.
        Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
        call_command("mediabackup", output_path=str(work / MEDIA_NAME), **quiet)
        with tarfile.open(work / MEDIA_NAME) as media:
            files = [member.size for member in media.getmembers() if member.isreg()]
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "engine": connection.settings_dict["ENGINE"],
            "members": {name: file_digest(work / name) for name in (DATABASE_NAME, MEDIA_NAME)},
            "media": {"files": len(files), "bytes": sum(files)},
        }
        write_archive(path, manifest, work)
    return manifest


def write_archive(path, manifest, folder):
    """Sign ``manifest`` and write it, then the members it declares (files in ``folder``), to ``path``."""
    manifest = {**manifest, "signature": signature(manifest, signing_keys()[0])}
    partial = Path(path).with_name(f".{Path(path).name}.partial")
    try:
        with tarfile.open(partial, "w:gz") as archive:
            manifest_path = Path(folder) / MANIFEST_NAME
            manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
            for name in (MANIFEST_NAME, *manifest["members"]):
                archive.add(Path(folder) / name, arcname=name, recursive=False)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


# --- Restore -----------------------------------------------------------------------------------------


def read_archive(path, into):
    """Check the archive at ``path`` whole and unpack its members into the folder ``into``.

    Returns the manifest. Raises BackupError — having written nothing outside ``into`` — if the
    archive is unreadable, unsigned or signed with another key, or holds anything it does not declare.
    """
    try:
        with tarfile.open(path, "r:*") as archive:
            manifest = read_manifest(archive, path)
            declared, seen = manifest["members"], set()
            while (member := archive.next()) is not None:
                expected = declared.get(member.name)
                if expected is None or member.name in seen or not member.isreg() or member.size != expected["size"]:
                    raise BackupError(f"{path} holds {member.name!r}, which its manifest does not declare.")
                seen.add(member.name)
                with archive.extractfile(member) as source, open(Path(into) / member.name, "wb") as target:
                    shutil.copyfileobj(source, target)
                if file_digest(Path(into) / member.name) != expected:
                    raise BackupError(f"{path}: {member.name} does not match its checksum.")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{path} is not a readable backup archive: {error}") from error
    if missing := sorted(set(declared) - seen):
        raise BackupError(f"{path} lacks {', '.join(missing)}.")
    check_media_tar(Path(into) / MEDIA_NAME, manifest["media"])
    return manifest


def read_manifest(archive, path):
    first = archive.next()
    if first is None or first.name != MANIFEST_NAME or not first.isreg() or first.size > MAX_MANIFEST_BYTES:
        raise BackupError(f"{path} does not start with a {MANIFEST_NAME}: it is not a backup of this site.")
    try:
        manifest = json.loads(archive.extractfile(first).read())
    except ValueError as error:
        raise BackupError(f"{path} has no readable {MANIFEST_NAME}.") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a {FORMAT} archive.")
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is in version {manifest.get('version')} of the backup format; this site reads version {FORMAT_VERSION}."
        )
    if not is_signed(manifest):
        raise BackupError(
            f"{path} was not written by this site: its signature does not match BACKUP_SIGNING_KEY "
            "(or SECRET_KEY and SECRET_KEY_FALLBACKS). Restore with the key the backup was made with."
        )
    if set(manifest["members"]) != {DATABASE_NAME, MEDIA_NAME}:
        raise BackupError(f"{path} declares other members than {DATABASE_NAME} and {MEDIA_NAME}.")
    return manifest


def check_media_tar(path, declared):
    """Refuse a media tar holding anything but plain files under relative names, or more than declared."""
    files = size = 0
    with tarfile.open(path, "r:") as media:
        for member in media:
            if not member.isreg() or not safe_name(member.name):
                raise BackupError(
                    f"The media files hold {member.name!r}, which is not a plain file under a plain name."
                )
            files, size = files + 1, size + member.size
            if files > declared["files"] or size > declared["bytes"]:
                raise BackupError("The media files hold more than the manifest declares.")
    if (files, size) != (declared["files"], declared["bytes"]):
        raise BackupError("The media files are fewer than the manifest declares.")


def safe_name(name):
    path = PurePosixPath(name)
    return bool(path.parts) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def media_names(path):
    with tarfile.open(path, "r:") as media:
        return media.getnames()


def existing_content(media_files):
    """What this site holds beyond what ``migrate`` makes; empty for a new or freshly migrated database."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtail.models import Page, Revision

    from partnership.models import CooperationEntry

    if "django_migrations" not in connection.introspection.table_names():
        return []
    basic_page = ContentType.objects.get_for_model(Page)
    held = {
        "users": get_user_model().objects.count(),
        # The root and Wagtail's welcome page are plain pages that its migrations make.
        "pages": Page.objects.exclude(depth__lte=2, content_type=basic_page).count(),
        "revisions": Revision.objects.count(),
        "images": get_image_model().objects.count(),
        "documents": get_document_model().objects.count(),
        "cooperation entries": CooperationEntry.objects.count(),
        "media files of the archive's names": sum(default_storage.exists(name) for name in media_files),
    }
    return [f"{count} {what}" for what, count in held.items() if count]


def restore(path, force=False):
    """Restore the archive at ``path`` into this site's database and media storage; return its manifest.

    Raises BackupError, having changed nothing, if the archive is not this site's (see
    :func:`read_archive`), was made from another database engine, or — unless ``force`` — the site
    already holds content. The database is then restored by dbbackup's ``dbrestore`` (all or
    nothing: PostgreSQL in one transaction, SQLite by replacing the file), and the media files
    by its ``mediarestore``, replacing files of the same names.
    """
    with tempfile.TemporaryDirectory(prefix="partnership-restore-") as work:
        work = Path(work)
        manifest = read_archive(path, work)
        if manifest["engine"] != connection.settings_dict["ENGINE"]:
            raise BackupError(
                f"The backup is of a {manifest['engine']} database; this site uses {connection.settings_dict['ENGINE']}. "
                "A database's own dump restores into the same engine only."
            )
        if not force and (held := existing_content(media_names(work / MEDIA_NAME))):
            raise BackupError(
                f"This site already holds content ({', '.join(held)}); nothing was restored. Restore into a new "
                "database and an empty media folder, or pass --force to replace the database and those files."
            )
        connection.close()
        quiet = {"quiet": True, "interactive": False}
        try:
            call_command("dbrestore", input_path=str(work / DATABASE_NAME), **quiet)
        except ConnectorError as error:  # pg_restore failed: its single transaction is rolled back
            raise BackupError(f"The database could not be restored, nothing was changed: {error}") from error
        call_command("mediarestore", input_path=str(work / MEDIA_NAME), replace=True, **quiet)
    from wagtail.models import Site

    from cms.cache import content_changed

    # What the shared cache holds came from the old database: Wagtail's site root paths, and whole pages
    # (keyed by the content version, which moves on).
    Site.clear_site_root_paths_cache()
    content_changed()
    return manifest


class SqliteReplaceConnector(SqliteBackupConnector):
    """dbbackup's SQLite connector (the online backup API), restoring by replacing the file in one step.

    dbbackup's own writes the dump over the database file in place: a failure half-way leaves a
    broken database. This one checks that the dump is a sound SQLite database with Django's
    migration history, writes it beside the database file and renames it over the file.
    """

    def restore_dump(self, dump):
        target = Path(self.connection.settings_dict["NAME"])
        if str(target) == ":memory:" or not target.parent.is_dir():
            raise BackupError(f"Cannot restore into the SQLite database {target}: it is not a file.")
        partial = target.with_name(f".{target.name}.restoring")
        try:
            with open(partial, "wb") as handle:
                shutil.copyfileobj(dump, handle)
            check = sqlite3.connect(partial)
            try:
                sound = check.execute("PRAGMA quick_check").fetchone() == ("ok",)
                migrated = check.execute("SELECT 1 FROM sqlite_master WHERE name = 'django_migrations'").fetchone()
            except sqlite3.DatabaseError as error:
                raise BackupError(f"The database dump is not a sound SQLite database: {error}") from error
            finally:
                check.close()
            if not (sound and migrated):
                raise BackupError("The database dump is not a sound SQLite database of a Django site.")
            self.connection.close()
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
