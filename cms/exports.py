"""The record's files: every published entry (or those the record's filters choose) as CSV or JSON.

/cooperation/export.csv and /cooperation/export.json, served through Wagtail's serve view (see cms/urls.py). The
columns are partnership.serializers.EXPORT_FIELDS (stable, documented in the README).
"""

import csv
import io
import json

from django.db import connections
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import translation
from django.utils.translation import gettext

from partnership.serializers import (
    EXPORT_FIELDS,
    FORMULA_STARTS,
    LINES_VENDORS,
    csv_cell,
    export_lines,
    export_values,
    period_display,
)

from .record_views import entry_filter

# Entries read per batch (one chunk sent; on databases other than PostgreSQL and SQLite, one query for
# their relations each).
EXPORT_BATCH = 5000
# Whether the database writes the files' lines (partnership.serializers.export_lines) where it can.
LINES_IN_SQL = True


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


def exported_batches(filterset, url_prefix, as_json):
    """The filtered entries in the record's order, EXPORT_BATCH a batch, each batch the text of a chunk of the
    file (without the header and, in JSON, the commas between batches). ``url_prefix``: the record page's
    absolute address (an entry's is it + slug + "/").

    On PostgreSQL and SQLite the database writes the lines (``partnership.serializers.export_lines``: three
    queries for the related records, one for the rows); elsewhere, or without LINES_IN_SQL, they are written
    here from ``export_values``' rows (one query for the rows, one a batch for their relations). Both give
    the same bytes."""
    # In the request's language, fixed now: the rows are read while the response streams.
    language = translation.get_language()

    def period(*columns):  # called once per distinct period: the rows' readers keep the texts
        return period_display(*columns, language=language)

    queryset = filterset.qs
    if LINES_IN_SQL and connections[queryset.db].vendor in LINES_VENDORS:
        lines = export_lines(queryset, url_prefix, as_json, period, batch_size=EXPORT_BATCH)
        return (",".join(batch) for batch in lines) if as_json else ("".join(batch) for batch in lines)
    rows = export_values(queryset, url_prefix, period, batch_size=EXPORT_BATCH)
    if not as_json:
        return (csv_text(batch) for batch in rows)
    # As json.dumps(..., ensure_ascii=False) writes it, without making an encoder a row.
    encode = json.JSONEncoder(ensure_ascii=False).encode
    fields = EXPORT_FIELDS
    return (",".join([encode(dict(zip(fields, row, strict=True))) for row in batch]) for batch in rows)


def csv_text(rows):
    """``rows`` (lists of JSON-ready values) as CSV lines, each cell as ``csv_cell`` writes it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    starts = FORMULA_STARTS
    # csv_cell, inlined for the common cases (text that starts with no formula sign, None): it would be
    # called 2.3 million times for 100,000 entries.
    writer.writerows(
        [
            [
                (value if value[:1] not in starts else csv_cell(value))
                if value.__class__ is str
                else ("" if value is None else csv_cell(value))
                for value in row
            ]
            for row in rows
        ]
    )
    return buffer.getvalue()


def export_csv(request, record_page):
    filterset = entry_filter(request, record_page)
    if filterset.is_bound and not filterset.is_valid():
        return invalid_filters_response(filterset)
    batches = exported_batches(filterset, request.build_absolute_uri(record_page.url), as_json=False)

    def chunks():
        yield "\ufeff" + csv_text([EXPORT_FIELDS])  # the mark lets spreadsheets read UTF-8
        yield from batches  # one chunk a batch: the server sends each as it comes

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cooperation-entries.csv"'
    return response


def export_json(request, record_page):
    filterset = entry_filter(request, record_page)
    if filterset.is_bound and not filterset.is_valid():
        return invalid_filters_response(filterset, as_json=True)
    batches = exported_batches(filterset, request.build_absolute_uri(record_page.url), as_json=True)

    def chunks():
        yield '{"fields": ' + json.dumps(EXPORT_FIELDS) + ', "entries": ['
        separator = ""
        for batch in batches:  # one chunk a batch
            yield separator + batch
            separator = ","
        yield "]}"

    response = StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="cooperation-entries.json"'
    return response
