"""The record's files: every published entry (or those the record's filters choose) as CSV or JSON.

/cooperation/export.csv and /cooperation/export.json, served through Wagtail's serve view (see cms/urls.py). The
columns are partnership.serializers.EXPORT_FIELDS (stable, documented in the README).
"""

import csv
import io
import json

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import translation
from django.utils.translation import gettext

from partnership.serializers import EXPORT_FIELDS, FORMULA_STARTS, csv_cell, export_values, period_display

from .record_views import entry_filter

# Entries read per batch (one query for their relations each, and one chunk sent).
EXPORT_BATCH = 5000


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


def exported_values(filterset, url_prefix):
    """The filtered entries in the record's order, as lists of rows (``partnership.serializers.export_values``:
    each row ``entry_values(entry, url)``), EXPORT_BATCH rows a list: one query for the rows, one a batch
    for their relations. ``url_prefix``: the record page's absolute address (an entry's is it + slug + "/")."""
    # In the request's language, fixed now: the rows are read while the response streams.
    language = translation.get_language()

    def period(*columns):  # called once per distinct period: export_values keeps the texts
        return period_display(*columns, language=language)

    return export_values(filterset.qs, url_prefix, period, batch_size=EXPORT_BATCH)


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
    batches = exported_values(filterset, request.build_absolute_uri(record_page.url))

    def chunks():
        yield "\ufeff" + csv_text([EXPORT_FIELDS])  # the mark lets spreadsheets read UTF-8
        for batch in batches:  # one chunk a batch: the server sends each as it comes
            yield csv_text(batch)

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cooperation-entries.csv"'
    return response


def export_json(request, record_page):
    filterset = entry_filter(request, record_page)
    if filterset.is_bound and not filterset.is_valid():
        return invalid_filters_response(filterset, as_json=True)
    batches = exported_values(filterset, request.build_absolute_uri(record_page.url))
    # As json.dumps(..., ensure_ascii=False) writes it, without making an encoder a row.
    encode = json.JSONEncoder(ensure_ascii=False).encode
    fields = EXPORT_FIELDS

    def chunks():
        yield '{"fields": ' + json.dumps(EXPORT_FIELDS) + ', "entries": ['
        separator = ""
        for batch in batches:  # one chunk a batch
            yield separator + ",".join([encode(dict(zip(fields, row, strict=True))) for row in batch])
            separator = ","
        yield "]}"

    response = StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="cooperation-entries.json"'
    return response
