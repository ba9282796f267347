"""The record's files: every published entry (or those the record's filters choose) as CSV or JSON.

/cooperation/export.csv and /cooperation/export.json, served through Wagtail's serve view (see cms/urls.py). The
columns are partnership.serializers.EXPORT_FIELDS (stable, documented in the README).
"""

import csv
import functools
import json

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import translation
from django.utils.translation import gettext

from partnership.serializers import EXPORT_FIELDS, csv_cell, entry_data, entry_values, export_rows, period_display

from .record_views import entry_filter

# Entries read per batch (one query for their relations each), and the size of the chunks sent.
EXPORT_BATCH = 2000
CHUNK_CHARACTERS = 256 * 1024
PERIODS_KEPT = 4096


def invalid_filters_response(filterset, as_json=False):
    errors = {name: [str(m) for m in messages] for name, messages in filterset.form.errors.items()}
    if as_json:
        return HttpResponse(json.dumps({"errors": errors}), status=400, content_type="application/json")
    lines = [f"{name}: {' '.join(messages)}" for name, messages in errors.items()]
    return HttpResponse(
        gettext("Invalid filters.") + "\n" + "\n".join(lines) + "\n",
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def exported_entries(filterset):
    """The filtered entries as ``partnership.serializers.ExportRow`` (plain values, not model instances),
    in the record's order, read EXPORT_BATCH at a time: one query for the rows, one a batch for their
    relations (``export_rows``)."""
    # In the request's language, fixed now: the rows are read while the response streams.
    language = translation.get_language()

    @functools.lru_cache(maxsize=PERIODS_KEPT)  # many entries share a period
    def period(*columns):
        return period_display(*columns, language=language)

    return export_rows(filterset.qs, period, batch_size=EXPORT_BATCH)


def _batched(texts):
    # A few large writes instead of one a row: the server sends each chunk it is given as it comes.
    chunk, size = [], 0
    for text in texts:
        chunk.append(text)
        size += len(text)
        if size >= CHUNK_CHARACTERS:
            yield "".join(chunk)
            chunk, size = [], 0
    if chunk:
        yield "".join(chunk)


class _Echo:
    def write(self, value):
        return value


def export_csv(request, record_page):
    filterset = entry_filter(request, record_page)
    if filterset.is_bound and not filterset.is_valid():
        return invalid_filters_response(filterset)
    writer = csv.writer(_Echo())
    base = request.build_absolute_uri(record_page.url)

    entries = exported_entries(filterset)

    def rows():
        yield "\ufeff" + writer.writerow(EXPORT_FIELDS)  # the mark lets spreadsheets read UTF-8
        for entry in entries:
            yield writer.writerow([csv_cell(value) for value in entry_values(entry, f"{base}{entry.slug}/")])

    response = StreamingHttpResponse(_batched(rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cooperation-entries.csv"'
    return response


def export_json(request, record_page):
    filterset = entry_filter(request, record_page)
    if filterset.is_bound and not filterset.is_valid():
        return invalid_filters_response(filterset, as_json=True)
    base = request.build_absolute_uri(record_page.url)

    entries = exported_entries(filterset)

    def chunks():
        yield '{"fields": ' + json.dumps(EXPORT_FIELDS) + ', "entries": ['
        for index, entry in enumerate(entries):
            yield ("," if index else "") + json.dumps(entry_data(entry, f"{base}{entry.slug}/"), ensure_ascii=False)
        yield "]}"

    response = StreamingHttpResponse(_batched(chunks()), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="cooperation-entries.json"'
    return response
