from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import ProtectedError

from cms import demo_data


class Command(BaseCommand):
    help = (
        "Add generated demo data for benchmarks and scale tests: partners with real partner-country names "
        "(in the existing frameworks), a published relation page for each under /partners/, and cooperation "
        "entries spread over them, published with a revision each; entries and partners are indexed for search "
        "(the admin's choosers find them). "
        "The fixtures must be loaded first (load_fixtures); the document's partner (Japan) is never touched. "
        "Deterministic: the same arguments on the same database give the same data. "
        "Everything generated is marked by its source document, “Generated demo data (not a real document)”. "
        "If demo data already exists the command refuses, unless --replace (delete it, then generate) or "
        "--delete (only delete it) is given. All or nothing, in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--partners",
            type=int,
            default=40,
            metavar="N",
            help=f"How many demo partners (1 to {demo_data.MAX_PARTNERS}; default 40).",
        )
        parser.add_argument(
            "--entries",
            type=int,
            default=10_000,
            metavar="N",
            help=f"How many cooperation entries, spread over the demo partners (1 to {demo_data.MAX_ENTRIES:,}; "
            "default 10,000).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            metavar="N",
            help="The random seed (a whole number ≥ 0; default 1). The same seed gives the same data.",
        )
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--replace", action="store_true", help="Delete the demo data already there first, then generate."
        )
        action.add_argument(
            "--delete", action="store_true", help="Delete the demo data already there, and generate nothing."
        )

    def handle(self, *args, partners, entries, seed, replace=False, delete=False, verbosity=1, **options):
        try:
            if delete:
                with transaction.atomic():
                    deleted_partners, deleted_entries = demo_data.delete_demo_data()
                message = (
                    f"Deleted the demo data: {deleted_partners} partners (with their pages), "
                    f"{deleted_entries:,} entries."
                    if deleted_partners or deleted_entries
                    else "No demo data to delete."
                )
            else:
                result = demo_data.generate_demo_data(partners=partners, entries=entries, seed=seed, replace=replace)
                replaced = ""
                if result.replaced:
                    replaced = f" (replacing {result.replaced[0]} partners and {result.replaced[1]:,} entries)"
                message = (
                    f"Generated {result.partners} demo partners, {result.pages} partner pages and "
                    f"{result.entries:,} cooperation entries with seed {seed}{replaced} in {result.seconds:.1f} s."
                )
        except demo_data.DemoDataError as error:
            raise CommandError(str(error)) from None
        except ProtectedError as error:
            raise CommandError(
                f"Cannot delete the demo data: other records refer to it ({error.args[0]}). Nothing was changed."
            ) from None
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(message))
