from django.core.management.base import BaseCommand, CommandError

from cms.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back the whole site up into one new archive (.tar.gz): every row (pages and their revisions, "
        "entries and theirs, images and renditions, users, groups, permissions, workflows, locales, sites, "
        "settings, logs), every media file, and a manifest with counts and checksums. "
        "Restore it with `manage.py restore_site`."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The archive to write, e.g. backups/site-2025-01-31.tar.gz (must not exist).")

    def handle(self, *args, path, **options):
        try:
            manifest = backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        counts = manifest["counts"]
        media = manifest["media"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {sum(counts.values())} rows of {len(counts)} models and {len(media['files'])} media files "
                f"to {path}."
            )
        )
        for label in ("wagtailcore.page", "wagtailcore.revision", "partnership.cooperationentry", "auth.user"):
            self.stdout.write(f"  {label}: {counts.get(label, 0)}")
        if media["missing"]:
            self.stderr.write(
                self.style.WARNING(
                    f"{len(media['missing'])} file(s) named in the database are not in the media storage "
                    f"(not in the backup): {', '.join(media['missing'])}"
                )
            )
