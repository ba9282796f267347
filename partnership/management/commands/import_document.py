from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from partnership.importer import DocumentError, FixtureError, fixture_yaml, propose, read_document, save_proposal
from partnership.loader import LoadFailed


class Command(BaseCommand):
    help = (
        "Import partner documents (“Relations with …”, as .txt, .html or .docx) as a draft partner page and draft "
        "cooperation entries, one per fact, each quoting its sentence, for editors to review in the admin "
        "(Partnerships › Document imports). Nothing is published. A newer version of a partner's document already "
        "imported (a later “Last updated”) proposes only its new or changed facts and changes nothing an editor "
        "made; the same or an older version is refused. A document that cannot be read, or names no known partner, is refused with the reason and nothing "
        "is created; each document is imported on its own, all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Partner documents (.txt, .html or .docx).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what each document would create, and create nothing."
        )
        parser.add_argument(
            "--fixture",
            metavar="OUT.yaml",
            help="Write the proposal as a fixture in the project's format (for review in a pull request) "
            "instead of creating anything. With several documents, OUT gets the partner's slug added to its name.",
        )

    def handle(self, *args, paths=(), dry_run=False, fixture=None, verbosity=1, **options):
        failed = []
        for path in map(Path, paths):
            try:
                self.import_one(path, dry_run, fixture, len(paths) > 1, verbosity)
            except (DocumentError, FixtureError, LoadFailed) as error:
                failed.append(path)
                self.stderr.write(f"{path}: not imported, nothing was created:\n  {error}")
        if failed:
            raise CommandError(f"{len(failed)} of {len(paths)} document(s) not imported: {', '.join(map(str, failed))}")

    def import_one(self, path, dry_run, fixture, several, verbosity):
        try:
            data = path.read_bytes()
        except OSError as error:
            raise DocumentError(f"cannot be read ({error.strerror})") from None
        document = read_document(data, path.name)
        proposal = propose(document, filename=path.name)
        summary = (
            f"{path}: “{document.title}” (last updated {document.last_updated:%d %b %Y %H:%M}), partner "
            f"“{proposal.partner['name']}”: {len(proposal.facts)} {'entry' if len(proposal.facts) == 1 else 'entries'} proposed"
        )
        if proposal.previous is not None or proposal.changes:
            summary += f" from {len(proposal.changes)} changed sentence(s); {proposal.unchanged} fact(s) already here"
        if proposal.new_records:
            summary += f"; new reference records: {', '.join(f'{s} “{slug}”' for s, slug in proposal.new_records)}"
        if fixture:
            out = Path(fixture)
            if several:
                out = out.with_name(f"{out.stem}-{proposal.partner['slug']}{out.suffix or '.yaml'}")
            out.write_text(fixture_yaml(proposal), encoding="utf-8")
            self.stdout.write(f"{summary}. Written to {out}; nothing was created.")
            return
        if dry_run:
            self.stdout.write(f"Dry run, nothing created. {summary}.")
            if verbosity >= 2:
                for fact in proposal.facts:
                    self.stdout.write(f"  {fact.kind}: {fact.title}")
            return
        document_import = save_proposal(proposal, filename=path.name)
        self.stdout.write(
            f"{summary}. Created as drafts; review them in the admin: Partnerships › Document imports › "
            f"“{document_import}”."
        )
