"""The exports' files, byte for byte, against what the per-entry reference gives.

The views have the database write the lines (``partnership.serializers.export_lines``, PostgreSQL and
SQLite) or read rows of values (``export_values``, elsewhere, or with ``LINES_IN_SQL`` off): both paths are
checked. The reference is ``entry_values``/``entry_data`` on model instances, written as the exports' contract says
(README, "Exports"): the BOM and header, csv.writer's quoting, ``csv_cell``'s neutralisation, the JSON
shape. Many small batches, so that every batch boundary is crossed; English and French (the period's
words); entries with hostile text, amounts, open-ended and undated periods, and publication times with and
without a fraction of a second (the database writes those texts itself). Runs on whichever database the
suite runs on (SQLite, and PostgreSQL in CI's second pass): the relations are read differently on each.
"""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.utils import translation

from cms.demo_data import generate_demo_data
from cms.models import CooperationRecordPage
from cms.record_views import ALL_RELATIONS, entry_filter
from partnership.facet_index import record_changed
from partnership.models import Area, CooperationEntry
from partnership.serializers import EXPORT_FIELDS, csv_cell, csv_field, entry_data, entry_values
from tests.cms.french import RECORD_FR, add_french

RECORDS = {"en": "/cooperation/", "fr": f"/fr/{RECORD_FR}/"}


def expected_files(language, record_url, query=None):
    """(CSV bytes, JSON bytes, count) from model instances: the entries the record's filters choose (the
    view's own filterset), in its order, each through the per-entry reference."""
    record_page = CooperationRecordPage.objects.get(locale__language_code=language)
    request = RequestFactory().get(f"{record_url}export.csv", query or {})
    with translation.override(language):
        entries = entry_filter(request, record_page).qs.select_related("partner", "source")
        entries = entries.prefetch_related(*ALL_RELATIONS)
        base = f"http://testserver{record_url}"
        values = [entry_values(entry, f"{base}{entry.slug}/") for entry in entries]
        data = [entry_data(entry, f"{base}{entry.slug}/") for entry in entries]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(EXPORT_FIELDS)
    writer.writerows([[csv_cell(value) for value in row] for row in values])
    csv_bytes = ("\ufeff" + text.getvalue()).encode()
    json_bytes = (
        '{"fields": '
        + json.dumps(EXPORT_FIELDS)
        + ', "entries": ['
        + ",".join(json.dumps(entry, ensure_ascii=False) for entry in data)
        + "]}"
    ).encode()
    return csv_bytes, json_bytes, len(values)


def served(client, url, query=None):
    response = client.get(url, query or {})
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


def make_awkward_entries():
    """Entries whose cells test the texts the database writes and csv_cell's neutralisation."""
    entries = list(CooperationEntry.objects.public().order_by("pk"))
    moment = datetime.datetime(2021, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)
    awkward = [
        {"title": '=HYPERLINK("http://x")', "description": "-1+2", "amount": Decimal("1234567.50")},
        {"title": "@SUM(A1)", "source_quote": "+cmd", "amount": Decimal("0.00"), "currency": "EUR"},
        {"title": 'Quote "this", and; that\nnew line', "source_section": "\tTabbed", "amount": Decimal("7")},
        {"first_published_at": moment, "last_published_at": moment.replace(microsecond=5)},
        {"description": "Ünïcödé — “quotes” ✓", "first_published_at": moment.replace(year=1999)},
        {"start_date": None, "start_precision": "", "end_date": None, "end_precision": "", "ongoing": False},
        # Control characters, backslashes and quotes (JSON escapes them), a leading CR, a line break, a
        # leading minus; an empty description, no amount.
        {"title": 'Ctl\x01\x1f\x08\x0c back\\slash "q"', "description": "", "amount": None, "currency": ""},
        {"description": "\rCR first\r\nthen, comma", "source_section": "-minus", "source_quote": "a\tb\u2028c"},
    ]
    for entry, changes in zip(entries, awkward, strict=False):
        CooperationEntry.objects.filter(pk=entry.pk).update(**changes)
    record_changed()  # update() sends no signal: say so to the record
    return len(awkward)


def make_awkward_slugs():
    """The first area by name with a slug that starts with a formula sign, on the first entries, beside
    their other areas (listed in the areas' name order)."""
    area = Area.objects.order_by("name", "pk").first()
    Area.objects.filter(pk=area.pk).update(slug="-first-by-name")
    for entry in CooperationEntry.objects.public().order_by("pk")[:3]:
        entry.areas.add(area)
    record_changed()


@pytest.mark.parametrize("lines_in_sql", [True, False])
@pytest.mark.parametrize("batch", [7, 5000])
def test_exports_are_byte_for_byte_what_the_entries_give(client, loaded, monkeypatch, batch, lines_in_sql):
    monkeypatch.setattr("cms.exports.EXPORT_BATCH", batch)
    monkeypatch.setattr("cms.exports.LINES_IN_SQL", lines_in_sql)
    generate_demo_data(partners=3, entries=60, seed=5)
    add_french()
    make_awkward_entries()
    make_awkward_slugs()
    for language, record_url in RECORDS.items():
        csv_bytes, json_bytes, count = expected_files(language, record_url)
        assert count > (80 if language == "en" else 0)
        assert served(client, f"{record_url}export.csv") == csv_bytes, language
        assert served(client, f"{record_url}export.json") == json_bytes, language
    # The awkward cells made it through: neutralised, quoted, with and without a fraction of a second.
    text = served(client, "/cooperation/export.csv").decode()
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and "'+cmd" in text and "'\tTabbed" in text
    assert "2021-03-04T05:06:07+00:00" in text and "2021-03-04T05:06:07.000005+00:00" in text
    assert "1234567.50" in text and ",0.00," in text and ",7.00," in text
    assert '"\'\rCR first\r\nthen, comma"' in text and ",'-minus," in text and ",'-first-by-name; " in text
    data = served(client, "/cooperation/export.json").decode()
    assert '"Ctl\\u0001\\u001f\\b\\f back\\\\slash \\"q\\""' in data


@pytest.mark.parametrize("lines_in_sql", [True, False])
def test_a_filtered_export_is_byte_for_byte_what_its_entries_give(client, loaded, monkeypatch, lines_in_sql):
    monkeypatch.setattr("cms.exports.EXPORT_BATCH", 3)
    monkeypatch.setattr("cms.exports.LINES_IN_SQL", lines_in_sql)
    generate_demo_data(partners=3, entries=40, seed=9)
    query = {"kind": "contribution", "sort": "date-asc"}
    csv_bytes, json_bytes, count = expected_files("en", "/cooperation/", query)
    assert count > 3
    assert served(client, "/cooperation/export.csv", query) == csv_bytes
    assert served(client, "/cooperation/export.json", query) == json_bytes


@pytest.mark.parametrize(
    "text",
    ["", "plain", "a,b", 'say "hi"', "line\nbreak", "cr\rhere", "=1+2", "+1", "-1", "@x", "\tx", "\rx", "'q", " sp"],
)
def test_csv_field_writes_a_cell_as_csv_writer_writes_csv_cell(text):
    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_cell(text), "next"])
    assert buffer.getvalue() == csv_field(text) + ",next\r\n"
