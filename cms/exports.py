"""The record's files: every published entry (or those the record's filters choose) as CSV or JSON.

/cooperation/export.csv and /cooperation/export.json, served through Wagtail's serve view (see cms/urls.py). The
columns are partnership.serializers.EXPORT_FIELDS (stable, documented in the README).
"""

import csv
import json

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext

from partnership.serializers import EXPORT_FIELDS, csv_cell, entry_data

from .record_views import ALL_RELATIONS, entry_filter

EXPORT_BATCH = 500


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
    # The source's full text is not exported: leave it in the database, not in every row.
    queryset = filterset.qs.select_related("partner", "source").defer("source__text").prefetch_related(*ALL_RELATIONS)
    return queryset.iterator(chunk_size=EXPORT_BATCH)


class _Echo:
    def write(self, value):
        return value


def export_csv(request, record_page):
    filterset = entry_filter(request, record_page)
    if filterset.is_bound and not filterset.is_valid():
        return invalid_filters_response(filterset)
    writer = csv.writer(_Echo())
    base = request.build_absolute_uri(record_page.url)

    def rows():
        yield "\ufeff" + writer.writerow(EXPORT_FIELDS)  # the mark lets spreadsheets read UTF-8
        for entry in exported_entries(filterset):
            data = entry_data(entry, f"{base}{entry.slug}/")
            yield writer.writerow([csv_cell(data[name]) for name in EXPORT_FIELDS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cooperation-entries.csv"'
    return response


def export_json(request, record_page):
    filterset = entry_filter(request, record_page)
    if filterset.is_bound and not filterset.is_valid():
        return invalid_filters_response(filterset, as_json=True)
    base = request.build_absolute_uri(record_page.url)

    def chunks():
        yield '{"fields": ' + json.dumps(EXPORT_FIELDS) + ', "entries": ['
        for index, entry in enumerate(exported_entries(filterset)):
            yield ("," if index else "") + json.dumps(entry_data(entry, f"{base}{entry.slug}/"), ensure_ascii=False)
        yield "]}"

    response = StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="cooperation-entries.json"'
    return response
