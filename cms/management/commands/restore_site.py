from django.core.management.base import BaseCommand, CommandError

from cms.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore an archive made by `manage.py backup_site` (signed with this site's BACKUP_SIGNING_KEY or "
        "SECRET_KEY) into this site's database and media storage, with django-dbbackup's dbrestore and "
        "mediarestore. The whole archive is checked before anything is written. Refuses a site that already "
        "holds content unless --force is given. Run `manage.py migrate` afterwards if the code is newer."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The archive made by backup_site.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace what the database holds and the media files of the archive's names.",
        )

    def handle(self, *args, path, force, **options):
        try:
            manifest = restore(path, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the database and {manifest['media']['files']} media files from the backup of "
                f"{manifest['created_at']}."
            )
        )
