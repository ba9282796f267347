"""An entry's public fields, listed once: the API, the CSV and JSON exports and the admin's inspect view read them.

``ENTRY_FIELDS`` holds, in the exports' column order, each field a reader may see of a published
entry: its name (the CSV column, the JSON key, the API field), its label for people, how its
exported value is read from an entry, how the API serialises it and what the admin's inspect view
shows for it. Column names and order are part of the exports' contract (README, "Exports"): add at
the end, never rename.

This module reads entries by attribute only and imports nothing from the models, so that the
models can build their ``api_fields`` from it.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Value
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from rest_framework.fields import CharField
from rest_framework.relations import SlugRelatedField
from wagtail.api import APIField

from .dates import FuzzyDate, format_period


@dataclass(frozen=True)
class EntryField:
    """One public field of a cooperation entry.

    - ``name``: the CSV column, JSON key and API field name.
    - ``label``: what people read (the admin's inspect view).
    - ``value``: ``entry -> str | bool | list[str] | None``, the exported value (JSON-ready);
      None for ``url``, the entry's public address, which only the site knows (see ``entry_data``).
    - ``exported``: whether the CSV and JSON exports carry it.
    - ``api``: how the API serialises it; None when the API does not serve it.
    - ``inspect``: the entry attribute the inspect view shows; None when it shows none.
    """

    name: str
    label: str
    value: Callable[[Any], Any] | None
    exported: bool = True
    api: APIField | None = None
    inspect: str | None = None


def _attribute(name):
    return lambda entry: getattr(entry, name)


def _isoformat(name):
    def value(entry):
        moment = getattr(entry, name)
        return moment.isoformat() if moment else None

    return value


def _or_none(name):
    return lambda entry: getattr(entry, name) or None


def _slugs(name):
    return lambda entry: [related.slug for related in getattr(entry, name).all()]


def _slug_list_api(name):
    return APIField(name, serializer=SlugRelatedField(slug_field="slug", many=True, read_only=True))


ENTRY_FIELDS = (
    EntryField("slug", _("Slug"), _attribute("slug"), api=APIField("slug"), inspect="slug"),
    # The API gives each entry its own detail_url instead.
    EntryField("url", _("Address"), None),
    EntryField(
        "partner",
        _("Partner"),
        lambda entry: entry.partner.slug,
        api=APIField("partner", serializer=SlugRelatedField(slug_field="slug", read_only=True)),
        inspect="partner",
    ),
    EntryField("kind", _("Kind"), _attribute("kind"), api=APIField("kind"), inspect="kind"),
    EntryField("title", _("Title"), _attribute("title"), api=APIField("title"), inspect="title"),
    EntryField(
        "description", _("Description"), _attribute("description"), api=APIField("description"), inspect="description"
    ),
    EntryField(
        "period",
        _("When"),
        _attribute("period_display"),
        api=APIField("period", serializer=CharField(source="period_in_own_language", read_only=True)),
        inspect="period_display",
    ),
    EntryField("start_date", _("Start date"), _isoformat("start_date"), api=APIField("start_date")),
    EntryField("start_precision", _("Start precision"), _or_none("start_precision"), api=APIField("start_precision")),
    EntryField("end_date", _("End date"), _isoformat("end_date"), api=APIField("end_date")),
    EntryField("end_precision", _("End precision"), _or_none("end_precision"), api=APIField("end_precision")),
    EntryField("ongoing", _("Ongoing"), _attribute("ongoing"), api=APIField("ongoing")),
    EntryField(
        "amount",
        _("Amount"),
        lambda entry: str(entry.amount) if entry.amount is not None else None,
        api=APIField("amount"),
        inspect="amount_display",
    ),
    EntryField("currency", _("Currency"), _or_none("currency"), api=APIField("currency")),
    # Not in the exports, whose columns are fixed (README); the API and the inspect view show it.
    EntryField(
        "direction",
        _("Which way support flowed"),
        _attribute("direction"),
        exported=False,
        api=APIField("direction"),
        inspect="direction",
    ),
    EntryField("areas", _("Areas"), _slugs("areas"), api=_slug_list_api("areas"), inspect="areas"),
    EntryField(
        "programmes",
        _("Programmes, funds and bodies"),
        _slugs("programmes"),
        api=_slug_list_api("programmes"),
        inspect="programmes",
    ),
    EntryField("places", _("Places"), _slugs("places"), api=_slug_list_api("places"), inspect="places"),
    EntryField(
        "beneficiaries",
        _("Beneficiary countries"),
        _slugs("beneficiaries"),
        api=_slug_list_api("beneficiaries"),
        inspect="beneficiaries",
    ),
    EntryField(
        "source",
        _("Source"),
        lambda entry: entry.source.title if entry.source_id else None,
        api=APIField("source", serializer=CharField(source="source.title", read_only=True, default=None)),
        inspect="source",
    ),
    EntryField(
        "source_section",
        _("Source section"),
        _attribute("source_section"),
        api=APIField("source_section"),
        inspect="source_section",
    ),
    EntryField(
        "source_quote",
        _("Source quote"),
        _attribute("source_quote"),
        api=APIField("source_quote"),
        inspect="source_quote",
    ),
    EntryField(
        "first_published_at",
        _("First published at"),
        _isoformat("first_published_at"),
        api=APIField("first_published_at"),
    ),
    EntryField(
        "last_published_at", _("Last published at"), _isoformat("last_published_at"), api=APIField("last_published_at")
    ),
)

# The exports' columns (CSV header, JSON "fields"), in order.
EXPORT_FIELDS = [field.name for field in ENTRY_FIELDS if field.exported]
# What the API may serve of an entry (the model's ``api_fields``), and what its detail shows by default.
API_FIELDS = [field.api for field in ENTRY_FIELDS if field.api is not None]
API_BODY_FIELDS = [field.name for field in ENTRY_FIELDS if field.exported and field.api is not None]
# The admin's inspect view: the attribute each field shows, and its label.
INSPECT_FIELDS = [field.inspect for field in ENTRY_FIELDS if field.inspect]
INSPECT_LABELS = {field.inspect: field.label for field in ENTRY_FIELDS if field.inspect}


_EXPORTED_VALUES = [field.value for field in ENTRY_FIELDS if field.exported]


def entry_values(entry, entry_url):
    """One entry's exported values (JSON-ready), in EXPORT_FIELDS order; see ``entry_data``."""
    return [entry_url if value is None else value(entry) for value in _EXPORTED_VALUES]


def entry_data(entry, entry_url):
    """One entry as the exports carry it: ``{column: JSON-ready value}`` in EXPORT_FIELDS order.

    ``entry_url`` is the entry's public address (absolute), which only the site knows. ``entry`` is
    a CooperationEntry, whose partner, source and four relations should be fetched with it
    (select/prefetch_related), or an ``ExportRow`` (``export_rows``), which gives the same.
    """
    return dict(zip(EXPORT_FIELDS, entry_values(entry, entry_url), strict=True))


def csv_cell(value):
    """A cell as text; a leading =, +, - or @ is neutralised so spreadsheets never run it as a formula.

    A list is joined with “; ”; None is an empty cell. Used by the public CSV export and the admin's
    listing exports alike.
    """
    if isinstance(value, list):
        value = "; ".join(value)
    if value is None:
        return ""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- Reading many entries for the exports -------------------------------------------------------------

# The relations the exports list by slug, each in its records' name order.
EXPORTED_RELATIONS = ("areas", "programmes", "places", "beneficiaries")
# The scalar columns an exported row is read from: (attribute on ExportRow, queryset lookup).
_ROW_COLUMNS = (
    ("pk", "pk"),
    ("slug", "slug"),
    ("partner_slug", "partner__slug"),
    ("kind", "kind"),
    ("title", "title"),
    ("description", "description"),
    ("start_date", "start_date"),
    ("start_precision", "start_precision"),
    ("end_date", "end_date"),
    ("end_precision", "end_precision"),
    ("ongoing", "ongoing"),
    ("amount", "amount"),
    ("currency", "currency"),
    ("direction", "direction"),
    ("source_id", "source_id"),
    ("source_title", "source__title"),
    ("source_section", "source_section"),
    ("source_quote", "source_quote"),
    ("first_published_at", "first_published_at"),
    ("last_published_at", "last_published_at"),
)


class _Record:
    """A related record as ENTRY_FIELDS read it: its slug (partner, areas, …) or title (source)."""

    __slots__ = ("slug", "title")

    def __init__(self, slug=None, title=None):
        self.slug, self.title = slug, title


class _Related(list):
    """A relation's records, read as ``entry.<relation>.all()``."""

    def all(self):
        return self


class ExportRow:
    """One entry read as plain values (no model instance), with the attributes ENTRY_FIELDS read:
    ``entry_data(row, url)`` gives exactly what it gives for the entry itself."""

    __slots__ = (*(name for name, _lookup in _ROW_COLUMNS), "partner", "source", "period_display", *EXPORTED_RELATIONS)

    def __init__(self, values, period):
        (
            self.pk,
            self.slug,
            partner_slug,
            self.kind,
            self.title,
            self.description,
            self.start_date,
            self.start_precision,
            self.end_date,
            self.end_precision,
            self.ongoing,
            self.amount,
            self.currency,
            self.direction,
            self.source_id,
            source_title,
            self.source_section,
            self.source_quote,
            self.first_published_at,
            self.last_published_at,
        ) = values
        self.partner = _Record(slug=partner_slug)
        self.source = _Record(title=source_title)
        self.period_display = period(
            self.start_date, self.start_precision, self.end_date, self.end_precision, self.ongoing
        )
        self.areas, self.programmes, self.places, self.beneficiaries = _Related(), _Related(), _Related(), _Related()


def period_display(start_date, start_precision, end_date, end_precision, ongoing, language=None):
    """An entry's period as written (``CooperationEntry.period_display``) from its five columns, in
    ``language`` (None: the active one): ``(date | None, str, date | None, str, bool) -> str``."""
    start = FuzzyDate(start_date, start_precision) if start_date and start_precision else None
    end = FuzzyDate(end_date, end_precision) if end_date and end_precision else None
    return format_period(start, end, ongoing, language=language)


def export_rows(queryset, period=period_display, batch_size=1000):
    """The entries of ``queryset`` as ExportRow, in its order, read ``batch_size`` at a time.

    Queries: one for the rows (streamed from a cursor: a server-side one on PostgreSQL) and one a
    batch for the four relations' slugs (a UNION ALL), so memory holds one batch whatever the count.
    ``period``: ``period_display`` or a stand-in with its arguments (the caller may memoise it: many
    entries share a period).
    """
    rows = queryset.values_list(*(lookup for _name, lookup in _ROW_COLUMNS)).iterator(chunk_size=batch_size)
    connection = connections[queryset.db]
    batch = []
    for values in rows:
        batch.append(ExportRow(values, period))
        if len(batch) == batch_size:
            yield from _with_relations(queryset.model, batch, connection)
            batch = []
    if batch:
        yield from _with_relations(queryset.model, batch, connection)


def _one_of(pks, connection):
    """``pks`` (ints) as the right side of an ``__in`` lookup: on PostgreSQL and SQLite one parameter,
    not one a value, which costs the ORM and the driver time for each of thousands."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (pks,))
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(pks),))
    return pks


def _with_relations(model, batch, connection):
    by_pk = {row.pk: row for row in batch}
    pks = _one_of(list(by_pk), connection)
    parts, ordering = [], None
    for index, name in enumerate(EXPORTED_RELATIONS):
        field = model._meta.get_field(name)
        entry, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        parts.append(
            field.remote_field.through.objects.filter(**{f"{entry}__in": pks})
            .annotate(relation=Value(index))
            .values_list("relation", entry, f"{target}__slug", f"{target}__name", target)
            .order_by()
        )
        # The union is ordered by the first part's column names.
        ordering = ordering or ("relation", entry, f"{target}__name", target)
    # One query for the four relations; in each, an entry's records by name (as the record page lists them).
    for relation, entry_pk, slug, _name, _pk in parts[0].union(*parts[1:], all=True).order_by(*ordering):
        getattr(by_pk[entry_pk], EXPORTED_RELATIONS[relation]).append(_Record(slug=slug))
    return batch
