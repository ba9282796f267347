from pathlib import Path

from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cms.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back the whole site up into one new signed archive (.tar.gz) with django-dbbackup: the database's "
        "own dump (dbbackup: SQLite's backup API, or pg_dump), every media file (mediabackup), and a manifest "
        "with their sizes and SHA-256, signed with BACKUP_SIGNING_KEY (or SECRET_KEY). "
        "Restore it with `manage.py restore_site`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help="The archive to write (must not exist). Default: site-<date and time>.tar.gz in the backup "
            "folder (BACKUP_DIR, by default var/backups).",
        )

    def handle(self, *args, path, **options):
        if path is None:
            folder = Path(storages["dbbackup"].path(""))
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"site-{timezone.now():%Y-%m-%d-%H%M%S}.tar.gz"
        try:
            manifest = backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        database, media = manifest["members"]["database.dump"], manifest["media"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up the database ({database['size']} bytes) and {media['files']} media files "
                f"({media['bytes']} bytes) to {path}."
            )
        )
