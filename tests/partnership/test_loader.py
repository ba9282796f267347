"""load_fixtures: fresh load, idempotence, editors' changes, --reset, --dry-run, and bad fixtures."""

import json
import textwrap

import pytest
import yaml
from django.core.management import CommandError, execute_from_command_line
from wagtail.search.models import IndexEntry

from partnership.models import Area, CooperationEntry, Partner, Place, Programme, SourceDocument
from tests.conftest import database_snapshot, run_load_fixtures

pytestmark = pytest.mark.django_db

LIAISON = "japan-liaison-officer-maritime-command"
SOURCE = "nato-relations-with-japan-2018"


def good_entry(**changes):
    entry = {
        "slug": "japan-extra",
        "partner": "japan",
        "kind": "post",
        "title": "An extra entry",
        "source": SOURCE,
        "section": "Wider cooperation",
        "quote": "Japan has designated a liaison officer to NATO’s Maritime Command.",
    }
    entry.update(changes)
    return {key: value for key, value in entry.items() if value is not None}


def write_yaml(path, data):
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# --- A good load ---------------------------------------------------------------------------


def test_fresh_load_creates_everything_and_reports_it():
    output = run_load_fixtures()
    assert "entries: 24 created" in output
    # 63 for Japan and what it names, 132 for the rest of the organisation (organisation.yaml: 3 frameworks,
    # 34 partners, 52 places, 43 programmes).
    assert "195 created, 0 updated" in output
    assert CooperationEntry.objects.count() == 24
    assert Partner.objects.get(slug="japan").framework.slug == "partners-across-the-globe"
    assert Area.objects.count() == 9
    assert (
        Programme.objects.get(slug="interoperability-platform").parent.slug == "partnership-interoperability-initiative"
    )
    assert SourceDocument.objects.get().text.startswith("Relations with Japan")
    pledge = CooperationEntry.objects.get(slug="japan-pledge-for-afghanistan-2009-2013")
    assert (pledge.amount, pledge.currency, pledge.period_display) == (5_000_000_000, "USD", "2009–2013")
    assert sorted(pledge.beneficiaries.values_list("slug", flat=True)) == ["afghanistan"]


def test_second_run_creates_and_changes_nothing_and_says_so(loaded):
    before = database_snapshot()
    output = run_load_fixtures()
    assert "Nothing to do: nothing created or updated; 195 record(s) already up to date." in output  # see above
    assert database_snapshot() == before


def test_a_changed_fixture_updates_a_record_no_editor_touched(loaded, fixture_copy):
    path = fixture_copy / "japan.yaml"
    data = yaml.safe_load(path.read_text())
    data["entries"][5]["title"] = "Liaison officer to MARCOM"
    data["entries"][5]["areas"] = ["maritime-security"]
    write_yaml(path, data)
    output = run_load_fixtures(fixture_copy)
    assert "1 updated" in output
    entry = CooperationEntry.objects.get(slug=LIAISON)
    assert entry.title == "Liaison officer to MARCOM"
    assert list(entry.areas.values_list("slug", flat=True)) == ["maritime-security"]
    assert "Nothing to do" in run_load_fixtures(fixture_copy)


def test_an_editors_change_is_kept_then_reset_overwrites_it(loaded):
    entry = CooperationEntry.objects.get(slug=LIAISON)
    entry.title = "Corrected by an editor"
    entry.areas.add(Area.objects.get(slug="cyber-defence"))
    entry.save()

    output = run_load_fixtures()
    assert f"kept entry “{LIAISON}”: changed by an editor since it was loaded" in output
    assert "Kept 1 record(s) changed by an editor; use --reset to overwrite them." in output
    entry.refresh_from_db()
    assert entry.title == "Corrected by an editor"

    output = run_load_fixtures(reset=True)
    assert "1 editor change(s) overwritten" in output
    entry = CooperationEntry.objects.get(slug=LIAISON)
    assert entry.title == "Liaison officer to NATO’s Maritime Command"
    assert "cyber-defence" not in entry.areas.values_list("slug", flat=True)
    assert "Nothing to do" in run_load_fixtures()


def test_an_editor_change_to_a_many_to_many_relation_alone_is_kept(loaded):
    entry = CooperationEntry.objects.get(slug=LIAISON)
    entry.places.add(Place.objects.get(slug="spain"))
    entry.save()
    assert "kept entry" in run_load_fixtures()
    assert CooperationEntry.objects.get(slug=LIAISON).places.filter(slug="spain").exists()


def test_windows_line_endings_from_a_browser_are_not_an_editors_change(loaded):
    entry = CooperationEntry.objects.get(slug="japan-maritime-training-with-nato-ships")
    entry.source_quote = entry.source_quote.replace("\n", "\r\n")
    entry.save()
    assert "Nothing to do" in run_load_fixtures()


def test_dry_run_lists_what_would_happen_and_writes_nothing():
    before = database_snapshot()
    output = run_load_fixtures(dry_run=True)
    assert "Dry run, nothing written." in output
    assert "would create entry “japan-initial-contacts”" in output
    assert "would create partner “japan”" in output
    assert database_snapshot() == before


def test_loaded_records_are_found_by_search_and_a_dry_run_indexes_nothing():
    """Wagtail indexes each record as the loader saves it, inside the load's transaction."""
    run_load_fixtures(dry_run=True)
    assert not IndexEntry.objects.exists()
    run_load_fixtures()
    found = CooperationEntry.objects.search("liaison officer maritime command")
    assert LIAISON in [entry.slug for entry in found]


def test_dry_run_names_updates_kept_and_overwritten_changes(loaded, fixture_copy):
    edited = CooperationEntry.objects.get(slug=LIAISON)
    edited.title = "Edited"
    edited.save()
    path = fixture_copy / "japan.yaml"
    data = yaml.safe_load(path.read_text())
    data["entries"][0]["title"] = "First contacts"
    write_yaml(path, data)
    before = database_snapshot()

    output = run_load_fixtures(fixture_copy, dry_run=True)
    assert "would update entry “japan-initial-contacts”" in output
    assert f"would keep an editor's change to entry “{LIAISON}”" in output
    output = run_load_fixtures(fixture_copy, dry_run=True, reset=True)
    assert f"would overwrite an editor's change to entry “{LIAISON}”" in output
    assert database_snapshot() == before


def test_a_single_file_loads_on_top_of_existing_reference_data(loaded, tmp_path):
    extra = write_yaml(tmp_path / "extra.yaml", {"entries": [good_entry()]})
    output = run_load_fixtures(extra)
    assert "1 created" in output
    assert CooperationEntry.objects.filter(slug="japan-extra").exists()


def test_json_fixtures_load_too(loaded, tmp_path):
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"entries": [good_entry(start="2015", ongoing=True)]}))
    run_load_fixtures(extra)
    assert CooperationEntry.objects.get(slug="japan-extra").period_display == "since 2015"


def test_a_large_load_shows_a_progress_bar(db, tmp_path, capsys):
    places = [{"slug": f"place-{n}", "name": f"Place {n}", "kind": "region"} for n in range(250)]
    write_yaml(tmp_path / "many.yaml", {"places": places})
    output = run_load_fixtures(tmp_path)
    assert "places: 250 created" in output
    assert "250/250" in capsys.readouterr().err


def test_a_small_load_shows_no_progress_bar(db, capsys):
    run_load_fixtures()
    assert "Loading" not in capsys.readouterr().err


# --- Bad fixtures: a clear message, a non-zero exit, the database exactly as it was ---------

BAD_RECORDS = [
    # (what is wrong, the bad file's content, words the message must hold)
    (
        "unknown partner",
        {"entries": [good_entry(partner="atlantis")]},
        ["field “partner”", "unknown partner “atlantis”"],
    ),
    ("unknown area", {"entries": [good_entry(areas=["underwater-basket-weaving"])]}, ["field “areas”", "unknown area"]),
    ("unreadable date", {"entries": [good_entry(start="sometime soon")]}, ["field “start”", "“sometime soon”"]),
    ("impossible date", {"entries": [good_entry(start="2013-02-30")]}, ["field “start”", "not a real date"]),
    ("missing title", {"entries": [good_entry(title=None)]}, ["field “title”", "missing required field"]),
    ("missing quote", {"entries": [good_entry(quote=None)]}, ["field “quote”", "missing required field"]),
    ("misspelt field", {"entries": [good_entry(titel="x")]}, ["field “titel”", "unknown field"]),
    ("end before start", {"entries": [good_entry(start="2013", end="2009")]}, ["field “end”", "before the start"]),
    ("negative amount", {"entries": [good_entry(amount=-5, currency="USD")]}, ["field “amount”", "cannot be negative"]),
    ("unknown currency", {"entries": [good_entry(amount=5, currency="XYZ")]}, ["field “currency”", "“XYZ”"]),
    (
        "amount not a number",
        {"entries": [good_entry(amount="lots", currency="USD")]},
        ["field “amount”", "not a number"],
    ),
    ("unknown kind", {"entries": [good_entry(kind="party")]}, ["field “kind”", "“party” is not one of"]),
    (
        "invented quote",
        {"entries": [good_entry(quote="Japan joined NATO.")]},
        ["field “quote”", "Not found word for word"],
    ),
    (
        "ongoing not a flag",
        {"entries": [good_entry(start="2014", ongoing="yes")]},
        ["field “ongoing”", "true or false"],
    ),
    ("record not a mapping", {"entries": ["just a string"]}, ["entries[0]", "must be a mapping"]),
    ("section not a list", {"entries": {"slug": "x"}}, ["section “entries” must be a list"]),
    ("unknown section", {"gossip": []}, ["unknown section “gossip”"]),
    (
        "bad iso code",
        {"places": [{"slug": "x", "name": "X", "kind": "country", "iso_code": "xyz"}]},
        ["field “iso_code”"],
    ),
    (
        "a region as beneficiary",
        {"entries": [good_entry(beneficiaries=["balkans"])]},
        ["field “beneficiaries”", "only countries can be beneficiaries; “balkans” is not one"],
    ),
    ("source outside folder", {"sources": [{"slug": "s", "title": "S", "file": "../../etc/passwd"}]}, ["outside"]),
]


@pytest.fixture(params=["empty database", "loaded database"])
def starting_state(request, db):
    if request.param == "loaded database":
        run_load_fixtures()
    return request.param


def assert_refused(paths, expected_words):
    before = database_snapshot()
    with pytest.raises(CommandError) as error:
        run_load_fixtures(*paths)
    message = str(error.value)
    for words in expected_words:
        assert words in message, message
    assert "nothing was loaded" in message
    assert database_snapshot() == before
    return message


@pytest.mark.parametrize(("problem", "content", "expected_words"), BAD_RECORDS, ids=[r[0] for r in BAD_RECORDS])
def test_a_bad_record_stops_the_whole_load(starting_state, fixture_copy, problem, content, expected_words):
    # The bad file sorts last, so every good record before it was already written when it fails.
    write_yaml(fixture_copy / "zz-bad.yaml", content)
    message = assert_refused([fixture_copy], expected_words)
    assert "zz-bad.yaml" in message


def test_the_message_names_the_file_the_record_and_the_field(db, fixture_copy):
    write_yaml(
        fixture_copy / "zz-bad.yaml", {"entries": [good_entry(), good_entry(slug="japan-worse", partner="mars")]}
    )
    message = assert_refused([fixture_copy], [])
    assert "zz-bad.yaml: entries[1] (slug “japan-worse”), field “partner”: unknown partner “mars”" in message


def test_every_problem_is_reported_at_once(db, fixture_copy):
    write_yaml(
        fixture_copy / "zz-bad.yaml",
        {
            "entries": [
                good_entry(partner="mars"),
                good_entry(slug="japan-two", start="never"),
                good_entry(slug="japan-three", amount=5, currency="ZZZ"),
            ]
        },
    )
    message = assert_refused([fixture_copy], ["3 problems", "unknown partner “mars”", "“never”", "“ZZZ”"])
    assert "entries[0]" in message and "entries[1]" in message and "entries[2]" in message


def test_broken_yaml(starting_state, fixture_copy):
    (fixture_copy / "zz-bad.yaml").write_text("entries:\n  - slug: x\n    title: [unclosed\n")
    assert_refused([fixture_copy], ["zz-bad.yaml: not valid YAML (line"])


def test_broken_json(starting_state, fixture_copy):
    (fixture_copy / "zz-bad.json").write_text('{"entries": [{"slug": "x",}]}')
    assert_refused([fixture_copy], ["zz-bad.json: not valid JSON (line 1, column"])


def test_duplicate_slug_across_files(starting_state, fixture_copy):
    write_yaml(fixture_copy / "zz-bad.yaml", {"entries": [good_entry(slug=LIAISON)]})
    assert_refused(
        [fixture_copy],
        ["zz-bad.yaml: entries[0]", f"duplicate slug “{LIAISON}”", "already used by", "japan.yaml: entries[5]"],
    )


def test_duplicate_slug_in_one_file(db, tmp_path):
    write_yaml(tmp_path / "dup.yaml", {"places": [{"slug": "x", "name": "X", "kind": "sea"}] * 2})
    assert_refused([tmp_path / "dup.yaml"], ["places[1]", "duplicate slug “x”", "places[0]"])


def test_reference_to_a_record_only_defined_later_in_the_order_is_refused(db, tmp_path):
    write_yaml(
        tmp_path / "order.yaml",
        {
            "programmes": [
                {"slug": "child", "name": "Child", "kind": "platform", "parent": "parent"},
                {"slug": "parent", "name": "Parent", "kind": "initiative"},
            ]
        },
    )
    assert_refused([tmp_path / "order.yaml"], ["programmes[0]", "field “parent”", "unknown programme “parent”"])


def test_a_missing_path_or_an_empty_folder(db, tmp_path):
    assert_refused([tmp_path / "nope.yaml"], ["nope.yaml: no such file or folder"])
    (tmp_path / "empty").mkdir()
    assert_refused([tmp_path / "empty"], ["no fixture files"])


def test_a_source_file_that_cannot_be_read(db, tmp_path):
    write_yaml(tmp_path / "s.yaml", {"sources": [{"slug": "s", "title": "S", "file": "missing.txt"}]})
    assert_refused([tmp_path / "s.yaml"], ["sources[0]", "field “file”", "cannot read “missing.txt”"])


def test_the_command_line_exits_non_zero_with_the_message(db, fixture_copy, capsys, monkeypatch):
    # run_from_argv closes every connection when it ends, which would end the test's transaction.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    write_yaml(fixture_copy / "zz-bad.yaml", {"entries": [good_entry(partner="mars")]})
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "load_fixtures", str(fixture_copy)])
    assert exit_info.value.code == 1
    assert "unknown partner “mars”" in capsys.readouterr().err
    assert CooperationEntry.objects.count() == 0


def test_help_describes_the_options(capsys):
    with pytest.raises(SystemExit):
        execute_from_command_line(["manage.py", "load_fixtures", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in ["--reset", "--dry-run", "All or nothing", "Idempotent"]:
        assert words in text


def test_an_example_fixture_from_the_readme_loads(loaded, tmp_path):
    fixture = tmp_path / "korea.yaml"
    fixture.write_text(
        textwrap.dedent(
            """\
            partners:
              - slug: republic-of-korea
                name: Republic of Korea
                framework: partners-across-the-globe
                iso_code: KR
            """
        )
    )
    # The README's example is the organisation fixture's record of the Republic of Korea: it loads, and
    # changes nothing (Japan, the Republic of Korea and six others are partners across the globe).
    assert "partners: 1 unchanged" in run_load_fixtures(fixture)
    assert Partner.objects.get(slug="republic-of-korea").framework.partners.count() == 8


def test_inserting_an_entry_does_not_republish_the_ones_after_it(loaded, fixture_copy):
    path = fixture_copy / "japan.yaml"
    data = yaml.safe_load(path.read_text())
    data["entries"].insert(0, good_entry(slug="japan-first-of-all"))
    write_yaml(path, data)
    revisions_before = {e.slug: e.revisions.count() for e in CooperationEntry.objects.all()}
    output = run_load_fixtures(fixture_copy)
    assert "1 created" in output and "0 updated" in output
    for entry in CooperationEntry.objects.exclude(slug="japan-first-of-all"):
        assert entry.revisions.count() == revisions_before[entry.slug]
    assert CooperationEntry.objects.get(slug="japan-initial-contacts").source_order == 2
    assert CooperationEntry.objects.order_by("source_order").first().slug == "japan-first-of-all"


# --- What the site plugs into the loader (partnership imports nothing from cms) -----------------


def test_a_loader_given_no_page_loader_refuses_fixtures_with_pages():
    from django.conf import settings

    from partnership.loader import FixtureError, FixtureLoader

    with pytest.raises(FixtureError, match="this loader loads no pages"):
        FixtureLoader().load([settings.PARTNERSHIP_FIXTURES_DIR])
    assert CooperationEntry.objects.count() == 0


def test_an_entry_moved_in_its_document_moves_the_sites_content_version_on(loaded, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from cms.cache import CONTENT_VERSION_KEY

    cache.set(CONTENT_VERSION_KEY, 1, timeout=None)
    with django_capture_on_commit_callbacks(execute=True):
        run_load_fixtures()
    assert cache.get(CONTENT_VERSION_KEY) == 1  # nothing changed: cached pages stay

    entry = CooperationEntry.objects.get(slug=LIAISON)
    CooperationEntry.objects.filter(pk=entry.pk).update(source_order=999)  # as if it had moved in the document
    with django_capture_on_commit_callbacks(execute=True):
        run_load_fixtures()
    entry.refresh_from_db()
    assert entry.source_order != 999
    assert cache.get(CONTENT_VERSION_KEY) != 1  # partnership.signals.records_reordered reached cms.cache


# --- A programme's aliases -----------------------------------------------------------------


def test_aliases_are_a_list_or_one_name_stored_one_per_line(db, tmp_path):
    fixture = write_yaml(
        tmp_path / "aliases.yaml",
        {
            "programmes": [
                {"slug": "a", "name": "A", "kind": "programme", "aliases": ["  First   alias ", "Second alias"]},
                {"slug": "b", "name": "B", "kind": "body", "aliases": "Only alias"},
                {"slug": "c", "name": "C", "kind": "body"},
            ]
        },
    )
    run_load_fixtures(fixture)
    assert Programme.objects.get(slug="a").aliases == "First alias\nSecond alias"
    assert Programme.objects.get(slug="a").alias_list == ["First alias", "Second alias"]
    assert Programme.objects.get(slug="b").alias_list == ["Only alias"]
    assert Programme.objects.get(slug="c").alias_list == []
    assert "3 record(s) already up to date" in run_load_fixtures(fixture)


@pytest.mark.parametrize(
    ("aliases", "message"),
    [
        ({"a": 1}, "must be a list of names (or one name)"),
        ([1, 2], "must be a list of names (or one name)"),
        (["Two\nlines"], "each name must be one non-empty line"),
        (["  "], "each name must be one non-empty line"),
        (["PfP", "pfp"], "names the same alias twice"),
        (["Bad \u202e alias"], "aliases"),
    ],
)
def test_bad_aliases_are_refused(db, tmp_path, aliases, message):
    fixture = write_yaml(
        tmp_path / "aliases.yaml", {"programmes": [{"slug": "a", "name": "A", "kind": "body", "aliases": aliases}]}
    )
    assert_refused([fixture], ["programmes[0]", "field “aliases”", message])


def test_rows_loaded_before_aliases_existed_are_still_unchanged(loaded):
    """A programme without aliases keeps the checksum it had before the field existed (no ``aliases``
    key), so a load after the migration does not mistake every such row for an editor's change."""
    import hashlib

    from partnership.loader import SECTIONS_BY_NAME, canonical_value, checksum

    section = SECTIONS_BY_NAME["programmes"]
    platform = Programme.objects.get(slug="interoperability-platform")
    assert platform.aliases == ""
    before = {
        attr: canonical_value(getattr(platform, attr))
        for field_ in section.scalar_fields
        if field_.key != "aliases"
        for attr in field_.attrs()
    }
    old = hashlib.sha256(json.dumps(before, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    assert checksum(section, platform, {}) == old == platform.fixture_checksum
