import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cms.page_fixtures import PageFixtures
from cms.translation_templates import write_templates
from partnership.loader import ALL_SECTIONS, FixtureError, FixtureLoader, LoadFailed, display_path

SECTION_ORDER = {section.name: position for position, section in enumerate(ALL_SECTIONS)}

# Below this many records a load takes well under a second: no progress bar.
PROGRESS_THRESHOLD = 200

ACTION_WORDS = {
    "created": "would create",
    "updated": "would update",
    "overwritten": "would overwrite an editor's change to",
    "kept": "would keep an editor's change to",
    "unchanged": "would leave unchanged",
}


class Command(BaseCommand):
    help = (
        "Load the fixtures (YAML or JSON) into the database: the partnership records "
        "(sources, frameworks, areas, places, programmes, partners, entries) and the site's pages. "
        "With no PATH, loads every fixture file under the project's fixtures/ folder. "
        "Idempotent: records are matched by slug, and a second run changes nothing. "
        "A record an editor has changed since it was loaded is kept unless --reset is given. "
        "All or nothing: any problem in any record stops the load, names the file, record and field, "
        "and leaves the database exactly as it was. Records missing from the fixtures are never deleted. "
        "Also makes sure the groups Editors and Moderators and the moderation workflow exist. "
        "Translations: the PO files among the paths (fixtures/fr/*.po; msgctxt “<model>:<English slug>:<path>” "
        "or “page:<English url_path>:<path>”, msgid the English text, msgstr the translation, the header's "
        "Language the locale) are loaded after the English, through wagtail-localize, in the same transaction: "
        "a message missing, empty or fuzzy, a broken PO file or a message for no record fails the load. "
        "--write-translation-templates DIR writes the PO templates (*.pot) of the English fixtures instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", metavar="PATH", help="Fixture files or folders (searched recursively).")
        parser.add_argument(
            "--reset", action="store_true", help="Overwrite records that editors have changed since they were loaded."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what would be created, updated or overwritten, and change nothing.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Never show a progress bar.")
        parser.add_argument(
            "--no-translations", action="store_true", help="Load the English fixtures only, not the PO files."
        )
        parser.add_argument(
            "--write-translation-templates",
            metavar="DIR",
            help=(
                "Write the PO templates of the fixtures (reference.pot, source.pot, entries.pot, pages.pot, "
                "<partner>-page.pot) into DIR, to translate into fixtures/<language>/*.po, and change nothing in "
                "the database (the English fixtures are loaded in a transaction that is rolled back). "
                "Merge them into existing translations with gettext's msgmerge."
            ),
        )

    def handle(
        self,
        *args,
        paths=(),
        reset=False,
        dry_run=False,
        no_progress=False,
        no_translations=False,
        write_translation_templates=None,
        verbosity=1,
        **options,
    ):
        paths = paths or [settings.PARTNERSHIP_FIXTURES_DIR]
        if write_translation_templates:
            try:
                written = write_templates(paths, Path(write_translation_templates))
            except FixtureError as error:
                raise CommandError(str(error)) from None
            for path, count in written:
                self.stdout.write(f"  {display_path(path)}: {count} message(s)")
            self.stdout.write(self.style.SUCCESS(f"Wrote {len(written)} PO template(s); the database is unchanged."))
            return
        show_progress = not no_progress and verbosity >= 1

        def progress(records, total):
            disabled = not show_progress or total < PROGRESS_THRESHOLD
            return tqdm(records, total=total, desc="Loading", unit="record", disable=disabled, file=sys.stderr)

        loader = FixtureLoader(
            reset=reset,
            dry_run=dry_run,
            progress=progress,
            page_loader=PageFixtures,
            translations=not no_translations,
        )
        try:
            report = loader.load(paths)
        except FixtureError as error:
            raise CommandError(str(error)) from None
        except LoadFailed as error:
            raise CommandError(str(error)) from error
        except KeyboardInterrupt:
            raise CommandError(
                f"Interrupted while {loader.stage or 'starting'}; the load was rolled back and nothing was loaded "
                "(the database is as it was).",
                returncode=130,
            ) from None
        self.print_report(report, verbosity)

    def print_report(self, report, verbosity):
        prefix = "Dry run, nothing written. " if report.dry_run else ""
        if verbosity >= 1:
            names = ", ".join(display_path(path) for path in report.files)
            self.stdout.write(f"{prefix}Read {len(report.files)} fixture file(s): {names}")
        listed = {"created", "updated", "overwritten", "kept"} if verbosity < 2 else set(ACTION_WORDS)
        if report.dry_run or verbosity >= 2:
            for action, section, slug in report.actions:
                if action in listed:
                    verb = ACTION_WORDS[action] if report.dry_run else action
                    self.stdout.write(f"  {verb} {section.noun} “{slug}”")
        elif report.total("kept"):
            for action, section, slug in report.actions:
                if action == "kept":
                    self.stdout.write(f"  kept {section.noun} “{slug}”: changed by an editor since it was loaded")
        if verbosity >= 1:
            for section in ALL_SECTIONS:
                counts = report.counts.get(section.name)
                if counts:
                    summary = ", ".join(f"{counts[a]} {a}" for a in ACTION_WORDS if counts[a])
                    self.stdout.write(f"  {section.name}: {summary}")
        if verbosity >= 1 and report.translation_files:
            names = ", ".join(display_path(path) for path in report.translation_files)
            self.stdout.write(f"Read {len(report.translation_files)} translation file(s): {names}")
        if report.dry_run or verbosity >= 2:
            for action, section, slug, language in report.translation_actions:
                if action in listed:
                    verb = ACTION_WORDS[action] if report.dry_run else action
                    self.stdout.write(f"  {verb} the {language} translation of {section.noun} “{slug}”")
        elif report.total("kept"):
            for action, section, slug, language in report.translation_actions:
                if action == "kept":
                    self.stdout.write(
                        f"  kept the {language} translation of {section.noun} “{slug}”: changed since it was loaded"
                    )
        if verbosity >= 1:
            for (language, name), counts in sorted(
                report.translation_counts.items(), key=lambda item: (item[0][0], SECTION_ORDER[item[0][1]])
            ):
                summary = ", ".join(f"{counts[a]} {a}" for a in ACTION_WORDS if counts[a])
                self.stdout.write(f"  {name} ({language}): {summary}")
        if report.roles_created and verbosity >= 1:
            verb = "Would create" if report.dry_run else "Created"
            self.stdout.write(f"  {verb} the editorial {', '.join(report.roles_created)}.")
        created, updated = report.total("created"), report.total("updated")
        overwritten, kept = report.total("overwritten"), report.total("kept")
        unchanged = report.total("unchanged")
        would = "would be " if report.dry_run else ""
        if not report.changed_anything:
            message = (
                f"{prefix}Nothing to do: nothing {would}created or updated; {unchanged} record(s) already up to date."
            )
        else:
            message = (
                f"{prefix}{created} {would}created, {updated} {would}updated, "
                f"{overwritten} editor change(s) {would}overwritten, {unchanged} unchanged."
            )
        if kept:
            message += f" Kept {kept} record(s) changed by an editor; use --reset to overwrite them."
        self.stdout.write(self.style.SUCCESS(message) if not kept else self.style.WARNING(message))
