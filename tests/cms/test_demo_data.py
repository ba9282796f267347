"""generate_demo_data (cms.demo_data): counts, determinism, public like loaded entries, found by search,
Japan untouched, refusals that change nothing, --replace and --delete, and a bounded cost per entry."""

import io
import json
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import ModelLogEntry, ReferenceIndex, Revision
from wagtail.search.backends import get_search_backend
from wagtail.search.models import IndexEntry

from cms import demo_data
from cms.models import PartnerPage, PartnersIndexPage
from partnership.currencies import ISO_4217_CODES
from partnership.filters import SORTS
from partnership.models import CooperationEntry, Partner, SourceDocument
from tests.conftest import database_snapshot

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(
    r"^Generated (\d+) demo partners, (\d+) partner pages and ([\d,]+) cooperation entries with seed (\d+)"
    r"( \(replacing \d+ partners and [\d,]+ entries\))? in \d+\.\d s\.$"
)


def generate(*args):
    out = io.StringIO()
    call_command("generate_demo_data", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def demo_entries():
    return CooperationEntry.objects.filter(source__slug=demo_data.DEMO_SOURCE_SLUG)


def natural_data():
    """Everything generated, without primary keys or the times rows were written."""

    def slugs(relation):
        return sorted(obj.slug for obj in relation.all())

    entries = [
        (
            e.slug,
            e.partner.slug,
            e.kind,
            e.title,
            e.description,
            e.start_date,
            e.start_precision,
            e.end_date,
            e.end_precision,
            e.ongoing,
            e.period_end,
            e.amount,
            e.currency,
            slugs(e.areas),
            slugs(e.programmes),
            slugs(e.places),
            slugs(e.beneficiaries),
            e.source_section,
            e.source_quote,
            e.source_order,
            e.translation_key,
            e.first_published_at,
            e.live,
        )
        for e in demo_entries()
        .select_related("partner")
        .prefetch_related("areas", "programmes", "places", "beneficiaries")
    ]
    partners = [
        (p.slug, p.name, p.iso_code, p.framework.slug, slugs(p.areas), p.translation_key)
        for p in Partner.objects.filter(source__slug=demo_data.DEMO_SOURCE_SLUG).select_related("framework")
    ]
    pages = [
        (
            p.slug,
            p.title,
            p.lead,
            p.translation_key,
            list(p.highlights.raw_data),
            list(p.body.raw_data),
            p.first_published_at,
        )
        for p in PartnerPage.objects.filter(partner__source__slug=demo_data.DEMO_SOURCE_SLUG)
    ]
    return sorted(entries), sorted(partners), sorted(pages, key=lambda p: p[0])


def japan_data():
    return list(CooperationEntry.objects.filter(partner__slug="japan").order_by("slug").values())


# --- What it generates -------------------------------------------------------------------------


def test_generates_valid_public_entries_on_pages_record_and_api_and_leaves_japan_alone(client, loaded):
    japan_before = japan_data()
    output = generate("--partners", 3, "--entries", 90, "--seed", 5)
    match = SUMMARY.match(output)
    assert match, output
    assert match.groups()[:4] == ("3", "3", "90", "5")
    assert japan_data() == japan_before

    # Counts, names, pages under /partners/, the labelled source.
    partners = Partner.objects.filter(source__slug=demo_data.DEMO_SOURCE_SLUG).order_by("pk")
    # The first real names no partner record has: the organisation's reference data (organisation.yaml)
    # holds every current partner, so the demo's are former and other countries.
    assert [p.name for p in partners] == ["Afghanistan", "Finland", "Sweden"]
    entries = list(demo_entries().prefetch_related("areas"))
    assert len(entries) == 90
    assert {e.partner_id for e in entries} <= {p.pk for p in partners}
    pages = PartnerPage.objects.live().child_of(PartnersIndexPage.objects.get()).filter(partner__in=partners)
    assert sorted(p.url for p in pages) == [
        "/partners/afghanistan/",
        "/partners/finland/",
        "/partners/sweden/",
    ]
    assert "demo data" in SourceDocument.objects.get(slug=demo_data.DEMO_SOURCE_SLUG).title.lower()

    # Valid records, published as loaded ones are.
    for entry in entries:
        entry.full_clean()  # dates and precisions, the quote found in the demo document, the currency
        assert entry.live and not entry.has_unpublished_changes and entry.first_published_at
        assert entry.latest_revision_id == entry.live_revision_id is not None
        # The filterable end: none while ongoing or undated, else the last day of the end (or of the start).
        if entry.ongoing or entry.start is None:
            assert entry.period_end is None
        else:
            assert entry.period_end == (entry.end or entry.start).last_day
        assert entry.kind != "contribution" or entry.amount is None or entry.currency
    for partner in partners:
        partner.full_clean()
    assert set(demo_data.CURRENCY_RATES) <= ISO_4217_CODES
    assert set(CooperationEntry.objects.public().values_list("pk", flat=True)) >= {e.pk for e in entries}
    assert len({e.kind for e in entries}) == 6
    assert len({e.start_precision for e in entries}) >= 4

    # Each revision is the entry as published, so the admin's history, compare and revert work.
    entry = entries[0]
    as_object = Revision.objects.get(pk=entry.live_revision_id).as_object()
    assert (as_object.title, as_object.slug, as_object.source_quote) == (entry.title, entry.slug, entry.source_quote)
    assert sorted(a.pk for a in as_object.areas.all()) == sorted(a.pk for a in entry.areas.all())
    actions = ModelLogEntry.objects.filter(object_id=str(entry.pk), content_type__model="cooperationentry")
    assert sorted(actions.values_list("action", flat=True)) == ["wagtail.edit", "wagtail.publish"]
    # Indexed for search like loaded entries, and the partners too (the admin's choosers search them).
    assert entry in CooperationEntry.objects.public().search(entry.title.split()[0])
    for partner in partners:
        assert partner in get_search_backend().search(partner.name, Partner), partner.name

    # On the record, the entry's own page, the partner's page and the API.
    partner = partners[0]
    mine = demo_entries().filter(partner=partner)
    themed = mine.filter(areas__category="theme").first()
    newest = mine.order_by(*SORTS["date-desc"][1]).first()  # the record's first page lists the newest first
    response = client.get(f"/cooperation/?partner={partner.slug}")
    assert response.status_code == 200
    assert f"/cooperation/{newest.slug}/" in response.content.decode()
    assert client.get(f"/cooperation/{themed.slug}/").status_code == 200
    response = client.get(f"/partners/{partner.slug}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Relations with {partner.name}" in page
    assert "generated demo data" in page
    assert f"/cooperation/{themed.slug}/" in page
    response = client.get(f"/api/v2/entries/?partner={partner.slug}&limit=100&fields=amount,currency,period")
    assert response.status_code == 200
    data = response.json()
    assert data["meta"]["total_count"] == mine.count()
    assert {item["slug"] for item in data["items"]} == set(mine.values_list("slug", flat=True))


# --- Determinism, replace, delete ---------------------------------------------------------------


def test_same_seed_same_data_other_seed_different_and_refusal_without_replace(loaded):
    before, search_rows_before = database_snapshot(), IndexEntry.objects.count()
    generate("--partners", 3, "--entries", 50, "--seed", 7)
    first = natural_data()
    assert len(first[0]) == 50

    snapshot = database_snapshot()
    with pytest.raises(CommandError, match="already exists.*--replace"):
        generate("--partners", 3, "--entries", 50, "--seed", 7)
    assert database_snapshot() == snapshot

    output = generate("--partners", 3, "--entries", 50, "--seed", 7, "--replace")
    assert "replacing 3 partners and 50 entries" in output
    assert natural_data() == first
    assert demo_entries().count() == 50

    generate("--partners", 3, "--entries", 50, "--seed", 8, "--replace")
    other = natural_data()
    assert other[0] != first[0]
    assert [e[0] for e in other[0]] != [e[0] for e in first[0]]

    # --delete leaves the database as it was before any demo data (search rows included).
    demo_keys = [str(pk) for pk in demo_entries().values_list("pk", flat=True)]
    assert generate("--delete") == "Deleted the demo data: 3 partners (with their pages), 50 entries."
    after = database_snapshot()
    # The record's version token is new (the record changed, then changed back): the rest is as it was.
    assert after.pop("partnership_recordversion") != before.pop("partnership_recordversion")
    assert after == before
    assert CooperationEntry.objects.count() == 24
    assert IndexEntry.objects.count() == search_rows_before
    assert not IndexEntry.objects.filter(object_id__in=demo_keys, content_type__model="cooperationentry").exists()
    assert generate("--delete") == "No demo data to delete."


# --- Refusals -------------------------------------------------------------------------------------


def test_refuses_without_the_fixtures(db):
    before = database_snapshot()
    with pytest.raises(CommandError, match="fixtures are not loaded.*load_fixtures"):
        generate("--partners", 2, "--entries", 10)
    assert database_snapshot() == before


def test_refuses_bad_arguments_and_changes_nothing(db):
    before = database_snapshot()
    for args, message in [
        (("--partners", 0), "--partners must be a whole number from 1 to 200"),
        (("--partners", -3), "--partners must be"),
        (("--partners", 201), "--partners must be"),
        (("--entries", 0), "--entries must be a whole number from 1 to 200,000"),
        (("--entries", -1), "--entries must be"),
        (("--entries", 200_001), "--entries must be"),
        (("--seed", -1), "--seed must be"),
        (("--entries", "many"), "invalid int value"),
        (("--replace", "--delete"), "not allowed with"),
    ]:
        with pytest.raises(CommandError, match=message):
            generate(*args)
    assert database_snapshot() == before


# --- Cost -----------------------------------------------------------------------------------------


def test_each_entry_costs_about_two_queries_not_a_save_and_publish(loaded):
    counts = {}
    for entries in (50, 400):
        with CaptureQueriesContext(connection) as queries:
            generate("--partners", 2, "--entries", entries, "--seed", 1)
        counts[entries] = len(queries)
        generate("--delete")
    # Entries are written in bulk (rows, relations, revisions, logs, reference and search rows: a few
    # INSERT batches); Wagtail's ReferenceIndex.create_or_update_for_object (2 queries) runs for one
    # entry of each partner only (its rows are the pattern). Saving, revising and publishing each entry
    # would cost over 7 queries an entry; indexing each one's references, 2.
    per_entry = (counts[400] - counts[50]) / (400 - 50)
    assert per_entry <= 0.1, counts
    assert counts[50] < 500, counts


def test_the_bulk_reference_rows_are_those_wagtail_writes(loaded):
    generate("--partners", 3, "--entries", 60, "--seed", 5)
    entries = list(demo_entries())
    fields = ("content_type_id", "base_content_type_id", "object_id", "to_content_type_id", "to_object_id")
    fields += ("model_path", "content_path", "content_path_hash")
    mine = ReferenceIndex.objects.filter(
        content_type__model="cooperationentry", object_id__in=[str(e.pk) for e in entries]
    )
    rows = set(mine.values_list(*fields))
    assert {row[5] for row in rows} == {"partner", "source"}
    assert len(rows) == 2 * len(entries)
    # Wagtail's own call, entry by entry, finds nothing to add or remove.
    ids = set(ReferenceIndex.objects.values_list("pk", flat=True))
    for entry in entries:
        ReferenceIndex.create_or_update_for_object(entry)
    assert set(ReferenceIndex.objects.values_list("pk", flat=True)) == ids
    assert {(str(e.pk), str(e.partner_id)) for e in entries} == {
        (row[2], row[4]) for row in rows if row[5] == "partner"
    }


def test_the_bulk_revisions_and_search_rows_are_those_wagtail_writes(loaded):
    """What the bulk path writes for each entry equals what Wagtail's own per-object calls give."""
    generate("--partners", 3, "--entries", 60, "--seed", 11)
    entries = list(demo_entries().order_by("pk"))
    assert len(entries) == 60

    # A revision's content is the entry's serializable_data() as saved before it had a revision
    # (save_revision() serialises the entry, then points it at the new revision).
    def as_json(data):
        return json.loads(json.dumps(data, cls=DjangoJSONEncoder))

    def amount(data):  # the same number, written as built (“21000000”) or as read back (“21000000.00”)
        value = data.pop("amount")
        return None if value is None else Decimal(value)

    for entry in entries:
        expected = as_json({**entry.serializable_data(), "latest_revision": None, "live_revision": None})
        content = Revision.objects.get(pk=entry.latest_revision_id).content
        assert amount(content) == amount(expected), entry.slug
        assert content == expected, entry.slug

    # Search rows: those the backend's per-object add() writes, column by column (the title norm aside:
    # the backend refreshes it from the average title length after each call).
    columns = [f.attname for f in IndexEntry._meta.concrete_fields if f.name not in ("id", "title_norm")]
    rows = IndexEntry.objects.filter(content_type__model="cooperationentry", object_id__in=[e.pk for e in entries])
    bulk = sorted(rows.values_list(*columns))
    assert len(bulk) == 60 and len(columns) >= 5, columns
    rows.delete()
    backend = get_search_backend()
    for entry in entries:
        backend.add(entry)
    assert sorted(rows.values_list(*columns)) == bulk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's GIN indexes")
def test_the_gin_indexes_dropped_for_the_bulk_inserts_are_built_again_as_they_were(loaded):
    def indexes():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
                " WHERE indrelid IN ('partnership_cooperationentry'::regclass, 'wagtailsearch_indexentry'::regclass)"
                " ORDER BY 1"
            )
            return cursor.fetchall()

    before = indexes()
    assert sum(" USING gin " in definition for _name, definition in before) >= 7, before
    generate("--partners", 2, "--entries", 30, "--seed", 3)
    assert indexes() == before
    # The record's text filter and the search, which use them, find the new entries.
    entry = demo_entries().first()
    assert entry in CooperationEntry.objects.public().search(entry.title.split()[-1])
    assert CooperationEntry.objects.filter(title__icontains=entry.title[-12:], pk=entry.pk).exists()
