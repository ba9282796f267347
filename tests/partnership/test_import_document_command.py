"""`manage.py import_document` as an operator runs it: drafts, a dry run, a fixture, and refusals that create nothing."""

import io

import pytest
import yaml
from django.core.management import CommandError, call_command

from partnership.models import CooperationEntry, DocumentImport
from tests.conftest import FIXTURES_DIR, database_snapshot, run_load_fixtures

SEED = FIXTURES_DIR / "sources" / "relations-with-japan.txt"


def site_without_partners():
    run_load_fixtures(
        *[FIXTURES_DIR / name for name in ("site.yaml", "organisation.yaml") if (FIXTURES_DIR / name).exists()]
    )


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_document", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_import_creates_drafts_and_says_where_to_review_them():
    site_without_partners()
    out, _ = run(SEED)
    assert "“Relations with Japan” (last updated 12 Sep 2018 12:49), partner “Japan”: 24 entries proposed" in out
    assert "Created as drafts; review them in the admin" in out
    assert CooperationEntry.objects.filter(live=False).count() == 24
    assert DocumentImport.objects.count() == 1


@pytest.mark.django_db
def test_dry_run_and_fixture_create_nothing(tmp_path):
    site_without_partners()
    before = database_snapshot()
    out, _ = run(SEED, "--dry-run")
    assert out.startswith("Dry run, nothing created.")
    target = tmp_path / "japan.yaml"
    out, _ = run(SEED, "--fixture", target)
    assert f"Written to {target}; nothing was created." in out
    assert database_snapshot() == before
    written = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert len(written["entries"]) == 24
    assert written["pages"][0]["slug"] == "japan" and written["sources"][0]["title"] == "Relations with Japan"


@pytest.mark.django_db
def test_a_bad_document_among_good_ones_is_refused_alone(tmp_path):
    site_without_partners()
    bad = tmp_path / "relations-with-atlantis.txt"
    bad.write_text(SEED.read_text(encoding="utf-8").replace("Relations with Japan", "Relations with Atlantis", 1))
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(CommandError, match="2 of 3 document\\(s\\) not imported"):
        call_command(
            "import_document", str(bad), str(SEED), str(binary), stdout=io.StringIO(), stderr=(err := io.StringIO())
        )
    assert "“Atlantis” is not one of" in err.getvalue()
    assert "is a binary file, not text" in err.getvalue()
    assert CooperationEntry.objects.count() == 24  # Japan's, and only them


@pytest.mark.django_db
def test_a_missing_file_is_named():
    site_without_partners()
    with pytest.raises(CommandError, match="1 of 1"):
        call_command("import_document", "no-such-file.txt", stdout=io.StringIO(), stderr=(err := io.StringIO()))
    assert "no-such-file.txt: not imported, nothing was created" in err.getvalue()
    assert "cannot be read" in err.getvalue()
