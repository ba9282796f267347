from django.core.management.base import BaseCommand, CommandError

from cms.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore an archive made by `manage.py backup_site` into an empty database migrated with the same code, "
        "and its media files into the media storage. All or nothing: on any problem the database is unchanged. "
        "Refuses a database or media folder that already hold content unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The archive made by backup_site.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace whatever the database holds (every row but content types and permissions) "
            "and media files of the same names.",
        )
        parser.add_argument(
            "--skip-search-index",
            action="store_true",
            help="Do not rebuild the search index (run `manage.py update_index` later).",
        )

    def handle(self, *args, path, force, skip_search_index, **options):
        try:
            summary = restore(path, force=force, rebuild_search_index=not skip_search_index)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {summary['rows']} rows of {summary['models']} models and {summary['media_files']} media "
                f"files ({summary['media_written']} written) from the backup of {summary['created_at']}."
            )
        )
        if summary["revisions_translated"]:
            self.stdout.write(
                f"Content type ids written inside {summary['revisions_translated']} revision(s) were translated "
                "to this database's."
            )
        if summary["renditions_dropped"]:
            self.stdout.write(
                f"{summary['renditions_dropped']} image rendition(s) had no file and will be made again when needed."
            )
        if skip_search_index:
            self.stdout.write("The search index is empty: run `manage.py update_index`.")
