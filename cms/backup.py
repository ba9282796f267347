"""Back the whole site up into one archive, and restore it into a fresh database: nothing lost.

The archive (``.tar.gz``) holds:

``manifest.json``
    the format and its version, when and from what it was made (Django and Wagtail versions,
    database vendor), the migrations applied, the content types by id, the number of rows of
    every model, the SHA-256 and size of ``data.json`` and of every media file, what was left
    out and why, and what the search index held (to rebuild it alike).
``data.json``
    every row of every model, serialized by Django's serializers (what ``dumpdata`` uses), in
    primary-key order and with the primary keys kept: pages (with their tree paths), revisions,
    entries, images and renditions, users, groups, permissions, workflows and their states,
    locales, sites, settings, log entries, comments, redirects, taggings, …
``media/…``
    every file under the media storage (original images, renditions, documents).

What is left out, and why (also written into each manifest):

- content types and permissions: ``migrate`` creates them in the target, with ids of its own;
  the archive names them by natural key (``["partnership", "cooperationentry"]``,
  ``["publish_page", "wagtailcore", "page"]``), and content type ids written inside revisions
  are translated on restore;
- the search index and the reference index: derived from the content, rebuilt after a restore
  (the search index with the objects and title weights the backup's held, so that search results
  come in the same order — on the same database engine; another engine ranks in its own way);
- sessions: sign-ins do not move (people sign in again) — and they are tied to SECRET_KEY;
- Wagtail's editing sessions: who has an edit form open at this moment.

A restore goes into an empty, migrated database (``manage.py migrate`` on a new database), at
the same migrations as the backup's. It refuses a database that already holds content — users,
pages other than Wagtail's initial ones, entries, images, revisions, … — and media files that
differ from the backup's, unless told to replace them (``force``). Everything happens in one
transaction: what the migrations made is cleared, the rows are loaded (``loaddata``), content
type ids in revisions translated, sequences reset, row counts checked against the manifest,
media files written, the reference and search indexes rebuilt; any failure rolls the database
back to how it was.
"""

import datetime
import hashlib
import io
import itertools
import json
import os
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

import django
import wagtail
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers import json as json_serializer
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "partnership-cms-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DATA_NAME = "data.json"
MEDIA_PREFIX = "media/"

# Rows that `migrate` creates in every database: referred to by natural key, never copied.
NATURAL_KEY_MODELS = (ContentType, Permission)

EXCLUDED_MODELS = {
    "contenttypes.contenttype": "created by migrate in the target; the archive names content types by natural key",
    "auth.permission": "created by migrate in the target; the archive names permissions by natural key",
    "sessions.session": "sign-ins do not move: people sign in again (sessions are tied to SECRET_KEY)",
    "wagtailcore.referenceindex": "derived from the content; rebuilt after a restore",
    "wagtailadmin.editingsession": "who has an edit form open at this moment; transient",
}
EXCLUDED_APPS = {
    "wagtailsearch": "the search index is derived from the content; rebuilt after a restore",
    "modelsearch": "the search index is derived from the content; rebuilt after a restore",
}

# What Wagtail's and the project's migrations create in a new database: a fresh database has these
# rows, and a restore replaces them.
SEEDED_MODELS = {
    "wagtailcore.locale",
    "wagtailcore.site",
    "wagtailcore.collection",
    "wagtailcore.grouppagepermission",
    "wagtailcore.groupcollectionpermission",
    "wagtailcore.workflow",
    "wagtailcore.workflowpage",
    "wagtailcore.workflowcontenttype",
    "wagtailcore.workflowtask",
    "wagtailcore.task",
    "wagtailcore.groupapprovaltask",
}
SEEDED_GROUPS = {"Editors", "Moderators"}


class BackupError(Exception):
    """The backup or restore could not be made; for a restore, the database is as it was."""


# --- What is backed up ----------------------------------------------------------------------------------


def excluded_reason(model):
    """Why ``model`` is not in the archive, or None if it is."""
    label = model._meta.label_lower
    if label in EXCLUDED_MODELS:
        return EXCLUDED_MODELS[label]
    if model._meta.app_label in EXCLUDED_APPS:
        return EXCLUDED_APPS[model._meta.app_label]
    return None


def backup_models():
    """Every model whose rows go into the archive, in an order where natural-key dependencies come first.

    Proxy, unmanaged and swapped-out models have no table of their own; auto-created many-to-many
    tables travel with the model that declares the field.
    """
    chosen = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped or excluded_reason(model):
            continue
        chosen.setdefault(meta.app_config, []).append(model)
    return serializers.sort_dependencies(chosen.items(), allow_cycles=True)


def excluded_models():
    return {
        model._meta.label_lower: reason
        for model in apps.get_models(include_auto_created=True)
        if (reason := excluded_reason(model)) and not model._meta.auto_created
    }


class Serializer(json_serializer.Serializer):
    """Django's JSON serializer, naming only content types and permissions by natural key.

    Every other row keeps its primary key, and every other reference is that key: pages, revisions,
    users and images keep their ids, so URLs with ids (the API's), revisions' ``object_id`` and
    references inside revisions and StreamFields stay true.
    """

    def handle_fk_field(self, obj, field):
        self.use_natural_foreign_keys = field.remote_field.model in NATURAL_KEY_MODELS
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj, field):
        self.use_natural_foreign_keys = field.remote_field.model in NATURAL_KEY_MODELS
        super().handle_m2m_field(obj, field)


def iter_rows(counts):
    for model in backup_models():
        label = model._meta.label_lower
        counts[label] = 0
        for obj in model._base_manager.order_by(model._meta.pk.name).iterator(chunk_size=500):
            counts[label] += 1
            yield obj


class ExactJSONEncoder(json_serializer.DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds (Django's cuts them to milliseconds):
    a restored timestamp is the stored one, not one rounded down."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time):
            return o.isoformat()
        return super().default(o)


def serialize_rows(stream):
    """Write every backed-up row to ``stream`` as Django JSON; return the count of rows per model."""
    counts = {}
    Serializer().serialize(
        iter_rows(counts), stream=stream, indent=None, use_natural_primary_keys=False, cls=ExactJSONEncoder
    )
    return counts


def applied_migrations():
    applied = {}
    for app_label, name in MigrationRecorder(connection).applied_migrations():
        applied.setdefault(app_label, []).append(name)
    return {app_label: sorted(names) for app_label, names in sorted(applied.items())}


def unapplied_migrations():
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def content_type_table():
    return {str(ct.pk): [ct.app_label, ct.model] for ct in ContentType.objects.order_by("pk")}


# --- Media files -----------------------------------------------------------------------------------------


def storage_files(storage=None, directory=""):
    """Every file name under the storage, sorted."""
    storage = storage or default_storage
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return []
    names = [f"{directory}{name}" for name in files]
    for sub in directories:
        names.extend(storage_files(storage, f"{directory}{sub}/"))
    return sorted(names)


def referenced_files():
    """The names of the files the rows point to (images, renditions, documents, uploads)."""
    names = set()
    for model in backup_models():
        file_fields = [field.name for field in model._meta.local_fields if isinstance(field, models.FileField)]
        for field in file_fields:
            names.update(
                name
                for name in model._base_manager.exclude(**{field: ""}).values_list(field, flat=True)
                if name is not None
            )
    return names


def sha256_of(read):
    digest, size = hashlib.sha256(), 0
    while chunk := read(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def file_checksum(path):
    with open(path, "rb") as handle:
        return sha256_of(handle.read)


def storage_checksum(name, storage=None):
    with (storage or default_storage).open(name, "rb") as handle:
        return sha256_of(handle.read)


# --- Backup ----------------------------------------------------------------------------------------------


def backup(path):
    """Write the whole site into the archive at ``path`` (a new file); return the manifest."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists; name a new file (a backup never overwrites one).")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a folder.")
    if pending := unapplied_migrations():
        raise BackupError(f"The database is not fully migrated ({', '.join(pending)}): run `manage.py migrate` first.")
    partial = path.with_name(f".{path.name}.partial")
    with tempfile.TemporaryDirectory(prefix="partnership-backup-") as work:
        data_path = Path(work) / DATA_NAME
        with consistent_snapshot(), open(data_path, "w", encoding="utf-8") as stream:
            counts = serialize_rows(stream)
            migrations = applied_migrations()
            content_types = content_type_table()
            referenced = referenced_files()
            search_index = search_index_entries()
        data_sha256, data_size = file_checksum(data_path)
        names = storage_files()
        media, missing = {}, sorted(referenced - set(names))
        try:
            with tarfile.open(partial, "w:gz") as archive:
                with open(data_path, "rb") as handle:
                    info = archive_entry(DATA_NAME, data_size)
                    archive.addfile(info, handle)
                for name in names:
                    with default_storage.open(name, "rb") as handle:
                        content = handle.read()
                    media[name] = {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
                    add_bytes(archive, MEDIA_PREFIX + name, content)
                manifest = {
                    "format": FORMAT,
                    "version": FORMAT_VERSION,
                    "created_at": timezone.now().isoformat(),
                    "django": django.get_version(),
                    "wagtail": wagtail.__version__,
                    "database_vendor": connection.vendor,
                    "migrations": migrations,
                    "content_types": content_types,
                    "counts": counts,
                    "excluded": excluded_models(),
                    "search_index": search_index,
                    "data": {"name": DATA_NAME, "sha256": data_sha256, "size": data_size},
                    "media": {"files": media, "missing": missing},
                }
                add_bytes(archive, MANIFEST_NAME, json.dumps(manifest, indent=2, sort_keys=True).encode())
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


class consistent_snapshot:
    """Read every table from one snapshot: one transaction (repeatable read on PostgreSQL)."""

    def __enter__(self):
        outer = connection.in_atomic_block
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        if not outer and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return self

    def __exit__(self, *exc_info):
        return self.atomic.__exit__(*exc_info)


def archive_entry(name, size):
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(datetime.datetime.now().timestamp())
    info.mode = 0o644
    return info


def add_bytes(archive, name, content):
    archive.addfile(archive_entry(name, len(content)), io.BytesIO(content))


# --- Restore ---------------------------------------------------------------------------------------------


def read_archive(path, into):
    """Unpack the archive at ``path`` into the folder ``into``, check it whole; return its manifest."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    try:
        with tarfile.open(path, "r:*") as archive:
            archive.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{path} is not a readable backup archive: {error}") from error
    into = Path(into)
    try:
        manifest = json.loads((into / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{path} has no readable {MANIFEST_NAME}: it is not a backup of this site.") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a {FORMAT} archive.")
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is in version {manifest.get('version')} of the backup format; this site reads version {FORMAT_VERSION}."
        )
    problems = []
    expected = manifest["data"]
    if not (into / DATA_NAME).is_file() or file_checksum(into / DATA_NAME) != (expected["sha256"], expected["size"]):
        problems.append(f"{DATA_NAME} is missing or does not match its checksum")
    for name, expected in manifest["media"]["files"].items():
        if not safe_name(name):
            problems.append(f"media file name {name!r} is not a plain relative path")
            continue
        member = into / MEDIA_PREFIX / name
        if not member.is_file() or file_checksum(member) != (expected["sha256"], expected["size"]):
            problems.append(f"media file {name} is missing or does not match its checksum")
    if problems:
        raise BackupError(f"{path} is damaged, nothing was restored:\n  - " + "\n  - ".join(problems))
    return manifest


def safe_name(name):
    parts = PurePosixPath(name).parts
    return bool(parts) and not PurePosixPath(name).is_absolute() and ".." not in parts and "\\" not in name


def migration_problems(manifest):
    """How the target's migrations differ from the backup's (the schema must be the same)."""
    ours, theirs = applied_migrations(), manifest["migrations"]
    if not ours:
        return ["the database is not migrated: run `manage.py migrate` on it first"]
    problems = []
    for app_label in sorted(set(ours) | set(theirs)):
        missing = sorted(set(theirs.get(app_label, [])) - set(ours.get(app_label, [])))
        extra = sorted(set(ours.get(app_label, [])) - set(theirs.get(app_label, [])))
        if missing:
            problems.append(f"{app_label}: the backup has migrations this database lacks ({', '.join(missing)})")
        if extra:
            problems.append(f"{app_label}: this database has migrations the backup lacks ({', '.join(extra)})")
    return problems


def existing_content():
    """What the database holds beyond what migrations create; empty for a fresh database."""
    from wagtail.models import Page

    found = []
    for model in backup_models():
        label = model._meta.label_lower
        if label in SEEDED_MODELS:
            continue
        queryset = model._base_manager.all()
        if label == "wagtailcore.page":
            # The root and Wagtail's welcome page, plain pages made by its migrations.
            queryset = queryset.exclude(depth__lte=2, content_type=ContentType.objects.get_for_model(Page))
        elif label == "auth.group":
            queryset = queryset.exclude(name__in=SEEDED_GROUPS)
        elif model._meta.parents:
            continue  # counted as its parent (a page type is a page)
        if count := queryset.count():
            found.append(f"{count} {model._meta.verbose_name_plural if count != 1 else model._meta.verbose_name}")
    return found


def differing_media(manifest):
    """Media files already in the storage with other content than the backup's files of the same name."""
    differing = []
    for name, expected in manifest["media"]["files"].items():
        if default_storage.exists(name) and storage_checksum(name) != (expected["sha256"], expected["size"]):
            differing.append(name)
    return differing


def restore(path, force=False, rebuild_search_index=True):
    """Restore the archive at ``path`` into this (empty, migrated) database and the media storage.

    Returns a summary dict. Raises BackupError, with the database unchanged, if the archive is
    damaged, the schema differs, or — unless ``force`` — the database or media hold content already.
    """
    with tempfile.TemporaryDirectory(prefix="partnership-restore-") as work:
        manifest = read_archive(path, work)
        if problems := migration_problems(manifest):
            raise BackupError(
                "This database's schema is not the backup's; nothing was restored:\n  - "
                + "\n  - ".join(problems)
                + "\nRestore into a database migrated with the same code as the backup's."
            )
        if not force:
            found, differing = existing_content(), differing_media(manifest)
            if found or differing:
                held = [*found, *([f"{len(differing)} media file(s) unlike the backup's"] if differing else [])]
                raise BackupError(
                    f"The database or media folder already hold content ({', '.join(held)}); nothing was restored. "
                    "Restore into an empty database, freshly migrated, or pass --force to replace everything in it."
                )
        with transaction.atomic():
            clear_tables()
            call_command("loaddata", str(Path(work) / DATA_NAME), verbosity=0)
            translated = translate_content_types(manifest["content_types"])
            reset_sequences()
            check_counts(manifest["counts"])
            written = restore_media(Path(work) / MEDIA_PREFIX.rstrip("/"), manifest["media"]["files"])
            dropped = drop_renditions_without_files()
            rebuild_indexes(manifest.get("search_index"), rebuild_search_index)
    from wagtail.models import Site

    Site.clear_site_root_paths_cache()
    return {
        "rows": sum(manifest["counts"].values()),
        "models": len(manifest["counts"]),
        "media_files": len(manifest["media"]["files"]),
        "media_written": written,
        "renditions_dropped": dropped,
        "revisions_translated": translated,
        "created_at": manifest["created_at"],
    }


def clear_tables():
    """Empty every table except content types, permissions and the migration history."""
    keep = {ContentType._meta.db_table, Permission._meta.db_table}
    tables = [
        table
        for table in connection.introspection.django_table_names(only_existing=True, include_views=False)
        if table not in keep
    ]
    statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=False)
    connection.ops.execute_sql_flush(statements)


def translate_content_types(source_table):
    """Rewrite the content type ids written inside revisions' content to this database's ids.

    Foreign keys to content types travel by natural key, but a page revision's content is JSON
    holding its ``content_type`` as an id. Returns how many revisions were rewritten.
    """
    from wagtail.models import Revision

    ours = {(ct.app_label, ct.model): ct.pk for ct in ContentType.objects.all()}
    mapping = {
        int(old): ours[tuple(key)] for old, key in source_table.items() if ours.get(tuple(key), int(old)) != int(old)
    }
    if not mapping:
        return 0
    rewritten = 0
    for revision in Revision.objects.only("pk", "content").iterator():
        content = remap_content_type_ids(revision.content, mapping)
        if content != revision.content:
            Revision.objects.filter(pk=revision.pk).update(content=content)
            rewritten += 1
    return rewritten


def remap_content_type_ids(value, mapping):
    if isinstance(value, dict):
        return {
            key: (
                mapping.get(item, item)
                if key in ("content_type", "base_content_type") and isinstance(item, int)
                else remap_content_type_ids(item, mapping)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [remap_content_type_ids(item, mapping) for item in value]
    return value


def reset_sequences():
    """Set every id sequence past the restored rows (PostgreSQL; a no-op on SQLite)."""
    statements = connection.ops.sequence_reset_sql(no_style(), backup_models())
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def check_counts(expected):
    wrong = []
    for model in backup_models():
        label = model._meta.label_lower
        if label not in expected:
            if model._base_manager.exists():
                wrong.append(f"{label}: rows, but none in the backup")
            continue
        actual = model._base_manager.count()
        if actual != expected[label]:
            wrong.append(f"{label}: {actual} rows, the backup has {expected[label]}")
    unknown = sorted(set(expected) - {model._meta.label_lower for model in backup_models()})
    wrong.extend(f"{label}: in the backup, but not a model of this site" for label in unknown)
    if wrong:
        raise BackupError("The restored rows do not match the backup's counts:\n  - " + "\n  - ".join(wrong))


def restore_media(folder, files):
    """Write the backup's media files into the storage under their own names; return how many were written."""
    written = 0
    for name, expected in sorted(files.items()):
        if default_storage.exists(name):
            if storage_checksum(name) == (expected["sha256"], expected["size"]):
                continue
            default_storage.delete(name)
        with open(folder / name, "rb") as handle:
            saved = default_storage.save(name, File(handle, name=name))
        if saved != name:
            raise BackupError(f"The media storage saved {name} as {saved}; nothing was restored.")
        written += 1
    return written


def drop_renditions_without_files():
    """Rendition rows whose file is missing: dropped, so that Wagtail makes them again when needed."""
    from wagtail.images import get_image_model

    Rendition = get_image_model().get_rendition_model()
    missing = [pk for pk, name in Rendition.objects.values_list("pk", "file") if not default_storage.exists(name)]
    if missing:
        Rendition.objects.filter(pk__in=missing).delete()
    return len(missing)


def rebuild_indexes(search_entries, search=True):
    """Rebuild what is derived from the content: Wagtail's reference index and the search index.

    The search index is rebuilt from the content, with the objects the backup's index held, in the
    same order, and each entry's ``title_norm`` put back: the database backends rank titles by it,
    and it depends on the index's history (the average title length when the entry was made), so
    a fresh ``update_index`` would rank ties differently. The restored site's search pages show
    the same results in the same order. A backup made without a database search index (another
    backend) gets ``update_index``.
    """
    quiet = io.StringIO()
    call_command("rebuild_references_index", stdout=quiet, stderr=quiet)
    if not search:
        return
    if search_entries is None:
        call_command("update_index", stdout=quiet, stderr=quiet)
        return
    from wagtail.search.backends import get_search_backends

    backends = list(get_search_backends())
    for (app_label, model_name), run in itertools.groupby(search_entries, key=lambda entry: tuple(entry[0])):
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        ids = [object_id for _key, object_id, _norm in run]
        found = {str(obj.pk): obj for obj in model.get_indexed_objects().filter(pk__in=ids)}
        objects = [found[object_id] for object_id in ids if object_id in found]
        for backend in backends:
            backend.add_bulk(model, objects)
    IndexEntry = database_index_entry_model()
    if IndexEntry is not None:
        norms = {(tuple(key), object_id): norm for key, object_id, norm in search_entries}
        content_types = {ct.pk: (ct.app_label, ct.model) for ct in ContentType.objects.all()}
        entries = list(IndexEntry.objects.only("pk", "content_type_id", "object_id", "title_norm"))
        for entry in entries:
            entry.title_norm = norms.get((content_types[entry.content_type_id], entry.object_id), entry.title_norm)
        IndexEntry.objects.bulk_update(entries, ["title_norm"], batch_size=500)


def database_index_entry_model():
    """The database search backends' index table (Wagtail's), if it exists in this database."""
    try:
        IndexEntry = apps.get_model("wagtailsearch", "IndexEntry")
    except LookupError:
        return None
    return IndexEntry if IndexEntry._meta.db_table in connection.introspection.table_names() else None


def search_index_entries():
    """What the database search index holds, in its order: ``[[app_label, model], object_id, title_norm]``.

    None without a database search index.
    """
    IndexEntry = database_index_entry_model()
    if IndexEntry is None:
        return None
    content_types = {ct.pk: [ct.app_label, ct.model] for ct in ContentType.objects.all()}
    return [
        [content_types[content_type_id], object_id, title_norm]
        for content_type_id, object_id, title_norm in IndexEntry.objects.order_by("pk").values_list(
            "content_type_id", "object_id", "title_norm"
        )
    ]
