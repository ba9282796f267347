"""The importer's quality and speed: each evaluation document imported into a site without partners.

For every document it reports the facts expected (written down before the importer read the
document), the entries proposed, how many match (same quote, kind, start and precision, end,
open end, amount and currency: ``partnership.importer.evaluation``), precision and recall, and
the time to read, propose and create the drafts (median of 5 imports, each rolled back, in one
process) and the time of the whole ``import_document`` command (median of 3, a new process each,
which includes starting Django).

Documents: the seed against the hand-made ``fixtures/japan.yaml``; the development documents the
rules were written against (``tests/partnership/import_documents/``); the held-out documents,
written blind by someone who never saw the rules and never used to change them
(``tests/partnership/import_documents_held_out/``). Run alone (``python bench/importer.py``) or as
part of ``make bench``; it prints a Markdown section.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

PROJECT_DIR = Path(__file__).resolve().parent.parent
TESTS = PROJECT_DIR / "tests" / "partnership"
RUNS, COMMAND_RUNS = 5, 3


def documents():
    """``[(set name, document path, expected facts path)]``."""
    found = [
        (
            "seed",
            PROJECT_DIR / "fixtures" / "sources" / "relations-with-japan.txt",
            PROJECT_DIR / "fixtures" / "japan.yaml",
        )
    ]
    for name, folder in (
        ("development", TESTS / "import_documents"),
        ("held out", TESTS / "import_documents_held_out"),
    ):
        for expected in sorted(folder.glob("*.expected.yaml")):
            found.append((name, expected.with_name(expected.name.replace(".expected.yaml", ".txt")), expected))
    return found


def measure():
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from partnership.importer import propose, read_document, save_proposal
    from partnership.importer.evaluation import expected_facts, proposed_facts, score

    call_command("migrate", verbosity=0)
    reference = [PROJECT_DIR / "fixtures" / name for name in ("site.yaml", "organisation.yaml")]
    call_command("load_fixtures", *[str(path) for path in reference if path.exists()], verbosity=0)
    rows = []
    for set_name, path, expected_path in documents():
        data = path.read_bytes()
        times = []
        for _ in range(RUNS):
            with transaction.atomic():
                started = time.perf_counter()
                proposal = propose(read_document(data, path.name))
                save_proposal(proposal, filename=path.name)
                times.append(time.perf_counter() - started)
                transaction.set_rollback(True)
        result = score(proposed_facts(proposal), expected_facts(expected_path))
        rows.append((set_name, path, result, statistics.median(times)))
    return rows


def command_seconds(path, env):
    times = []
    for _ in range(COMMAND_RUNS):
        with tempfile.TemporaryDirectory() as folder:
            database = Path(folder) / "db.sqlite3"
            subprocess.run(
                [sys.executable, str(PROJECT_DIR / "bench" / "importer.py"), "--prepare", str(database)],
                env=env,
                check=True,
            )
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "manage.py", "import_document", str(path)],
                cwd=PROJECT_DIR,
                env={**env, "DATABASE_URL": f"sqlite:///{database}"},
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def markdown(rows, command):
    lines = [
        "## Importing partner documents",
        "",
        "Each document imported (`read_document` → `propose` → `save_proposal`) into SQLite holding only the site's "
        "pages and the organisation's reference data (`site.yaml`, `organisation.yaml`). *matched*: proposals with "
        "the expected quote, kind, start and precision, end, open end, amount and currency. *ms*: median of "
        f"{RUNS} imports in one process. The whole `import_document` command on the seed, in a new process "
        f"(Django's start included): {command:.2f} s (median of {COMMAND_RUNS}).",
        "",
        "| set | document | expected | proposed | matched | precision | recall | ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    totals = {}
    for set_name, path, result, seconds in rows:
        lines.append(
            f"| {set_name} | `{path.name}` | {result.expected} | {result.proposed} | {result.matched} "
            f"| {100 * result.precision:.0f} % | {100 * result.recall:.0f} % | {1000 * seconds:.0f} |"
        )
        total = totals.setdefault(set_name, [0, 0, 0])
        total[0] += result.expected
        total[1] += result.proposed
        total[2] += result.matched
    for set_name, (expected, proposed, matched) in totals.items():
        precision = 100 * matched / proposed if proposed else 100
        recall = 100 * matched / expected if expected else 100
        lines.append(
            f"| **{set_name}, all** | | {expected} | {proposed} | {matched} | {precision:.0f} % | {recall:.0f} % | |"
        )
    return "\n".join(lines) + "\n"


def environment(database):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(DJANGO_SETTINGS_MODULE="cms.settings.dev", DATABASE_URL=f"sqlite:///{database}")
    return env


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--prepare":  # a fresh site for one timed command
        os.environ["DATABASE_URL"] = f"sqlite:///{sys.argv[2]}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")
        sys.path.insert(0, str(PROJECT_DIR))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        reference = [PROJECT_DIR / "fixtures" / name for name in ("site.yaml", "organisation.yaml")]
        call_command("load_fixtures", *[str(path) for path in reference if path.exists()], verbosity=0)
        return
    if len(sys.argv) == 2 and sys.argv[1] == "--measure":
        sys.path.insert(0, str(PROJECT_DIR))
        rows = measure()
        print(json.dumps([[s, str(p), r.expected, r.proposed, r.matched, t] for s, p, r, t in rows]))
        return
    print(section())


def section():
    """The Markdown section of ``make bench``'s results on the importer (measured in child processes)."""
    with tempfile.TemporaryDirectory() as folder:
        env = environment(Path(folder) / "db.sqlite3")
        measured = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--measure"], env=env, capture_output=True, text=True
        )
        if measured.returncode:
            sys.exit(f"Measuring the importer failed:\n{measured.stderr}")
        output = measured.stdout
        rows = []

        for set_name, path, expected, proposed, matched, seconds in json.loads(output.strip().splitlines()[-1]):
            result = SimpleNamespace(
                expected=expected,
                proposed=proposed,
                matched=matched,
                precision=matched / proposed if proposed else 1.0,
                recall=matched / expected if expected else 1.0,
            )
            rows.append((set_name, Path(path), result, seconds))
        command = command_seconds(documents()[0][1], env)
    return markdown(rows, command)


if __name__ == "__main__":
    main()
