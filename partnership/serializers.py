"""An entry's public fields, listed once: the API, the CSV and JSON exports and the admin's inspect view read them.

``ENTRY_FIELDS`` holds, in the exports' column order, each field a reader may see of a published
entry: its name (the CSV column, the JSON key, the API field), its label for people, how its
exported value is read from an entry, how the API serialises it and what the admin's inspect view
shows for it. Column names and order are part of the exports' contract (README, "Exports"): add at
the end, never rename.

This module reads entries by attribute only and imports nothing from the models, so that the
models can build their ``api_fields`` from it.
"""

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import F, Func, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
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
    (select/prefetch_related). ``export_values`` gives the same values for many entries at once.
    """
    return dict(zip(EXPORT_FIELDS, entry_values(entry, entry_url), strict=True))


# The first characters that make a spreadsheet read a cell as a formula (csv_cell neutralises them).
FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))


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
    return f"'{text}" if text[:1] in FORMULA_STARTS else text


# --- Reading many entries for the exports -------------------------------------------------------------

# The relations the exports list by slug, each in its records' name order.
EXPORTED_RELATIONS = ("areas", "programmes", "places", "beneficiaries")


def period_display(start_date, start_precision, end_date, end_precision, ongoing, language=None):
    """An entry's period as written (``CooperationEntry.period_display``) from its five columns, in
    ``language`` (None: the active one): ``(date | None, str, date | None, str, bool) -> str``."""
    start = FuzzyDate(start_date, start_precision) if start_date and start_precision else None
    end = FuzzyDate(end_date, end_precision) if end_date and end_precision else None
    return format_period(start, end, ongoing, language=language)


def _one_of(pks, connection):
    """``pks`` (ints) as the right side of an ``__in`` lookup: on PostgreSQL and SQLite one parameter,
    not one a value, which costs the ORM and the driver time for each of thousands."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (pks,))
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(pks),))
    return pks


# --- The exports' fast path: rows of values, not objects --------------------------------------------------
#
# ``export_values`` gives for each entry exactly ``entry_values(entry, url)``, but reads the columns as the
# text the exports write (ISO dates and times made by the database), looks each distinct period up once, and
# builds no object per row: at 100,000 entries the per-row Python work is most of an export's time.


class _IsoDate(Func):
    """A date column as ``date.isoformat()`` writes it (YYYY-MM-DD), made by the database; NULL stays NULL."""

    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="to_char(%(expressions)s, 'YYYY-MM-DD')", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores dates in SQLite as that text already; `|| ''` drops the column's declared type, which
        # would have the driver read it back as a date.
        return self.as_sql(compiler, connection, template="(%(expressions)s || '')", **extra)


class _IsoMoment(Func):
    """An aware date and time as ``datetime.isoformat()`` writes it in UTC (the connection's time zone):
    ``2019-10-19T08:39:20.177374+00:00``, without the fraction when it is zero; NULL stays NULL."""

    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra):
        template = (
            "(to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
            " || CASE WHEN to_char(%(expressions)s, 'US') = '000000' THEN '' ELSE to_char(%(expressions)s, '.US') END"
            " || '+00:00')"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores them as naive UTC ``str(datetime)``: “2019-10-19 08:39:20.177374”.
        return self.as_sql(compiler, connection, template="(replace(%(expressions)s, ' ', 'T') || '+00:00')", **extra)


# The rows' columns, in the order ``export_values`` unpacks them.
_VALUE_COLUMNS = {
    "pk": F("pk"),
    "slug": F("slug"),
    "partner_slug": F("partner__slug"),
    "kind": F("kind"),
    "title": F("title"),
    "description": F("description"),
    "start_text": _IsoDate("start_date"),
    "start_precision": F("start_precision"),
    "end_text": _IsoDate("end_date"),
    "end_precision": F("end_precision"),
    "ongoing": F("ongoing"),
    # ``str(Decimal)``: PostgreSQL's numeric text is the same for the amount's two decimal places; elsewhere
    # the column itself, read as a Decimal and turned to text here (see ``export_values``).
    "amount": F("amount"),
    "currency": F("currency"),
    "source_title": F("source__title"),
    "source_section": F("source_section"),
    "source_quote": F("source_quote"),
    "first_text": _IsoMoment("first_published_at"),
    "last_text": _IsoMoment("last_published_at"),
}
# Past this many distinct periods the memo starts afresh, so that memory stays bounded whatever the data.
_PERIODS_KEPT = 50_000
# Between the slugs of one relation in the aggregated text (a character no slug holds).
_SLUG_SEPARATOR = "\x1f"


def export_values(queryset, url_prefix, period=period_display, batch_size=1000):
    """The entries of ``queryset`` in its order, as lists of rows, ``batch_size`` rows a list.

    Each row is ``entry_values(entry, f"{url_prefix}{entry.slug}/")`` for the entry (a list of
    JSON-ready values in EXPORT_FIELDS order: ``str | bool | list[str] | None``), without building the
    entry. Queries: one for the rows (streamed from a server-side cursor on PostgreSQL) and one a batch
    for the four relations' slugs (a UNION ALL, or on PostgreSQL an aggregate). ``period``: ``period_display`` or a stand-in with
    its arguments, called once per distinct period (its five columns).
    """
    connection = connections[queryset.db]
    amount_is_text = connection.vendor == "postgresql"
    columns = {**_VALUE_COLUMNS, **({"amount": Cast("amount", TextField())} if amount_is_text else {})}
    rows = queryset.values_list(*columns.values()).iterator(chunk_size=batch_size)
    periods = {}
    batch, pks = [], []
    for (
        pk,
        slug,
        partner_slug,
        kind,
        title,
        description,
        start_text,
        start_precision,
        end_text,
        end_precision,
        ongoing,
        amount,
        currency,
        source_title,
        source_section,
        source_quote,
        first_text,
        last_text,
    ) in rows:
        key = (start_text, start_precision, end_text, end_precision, ongoing)
        text = periods.get(key)
        if text is None:
            if len(periods) >= _PERIODS_KEPT:
                periods.clear()
            text = periods[key] = period(
                datetime.date.fromisoformat(start_text) if start_text else None,
                start_precision,
                datetime.date.fromisoformat(end_text) if end_text else None,
                end_precision,
                ongoing,
            )
        if amount is not None and not amount_is_text:
            amount = str(amount)
        # In EXPORT_FIELDS order; the relations (14-17) are filled in per batch.
        batch.append(
            [
                slug,
                f"{url_prefix}{slug}/",
                partner_slug,
                kind,
                title,
                description,
                text,
                start_text,
                start_precision or None,
                end_text,
                end_precision or None,
                ongoing,
                amount,
                currency or None,
                None,
                None,
                None,
                None,
                source_title,
                source_section,
                source_quote,
                first_text,
                last_text,
            ]
        )
        pks.append(pk)
        if len(batch) == batch_size:
            _fill_relations(queryset.model, batch, pks, connection)
            yield batch
            batch, pks = [], []
    if batch:
        _fill_relations(queryset.model, batch, pks, connection)
        yield batch


_FIRST_RELATION = EXPORT_FIELDS.index(EXPORTED_RELATIONS[0])


def _fill_relations(model, batch, pks, connection):
    """Put each row's four lists of slugs (each in its records' name order) into ``batch``, in one query."""
    if connection.vendor == "postgresql":
        lists = _relation_texts_postgresql(model, pks, connection)
    else:
        lists = {}
        for relation, entry_pk, slug, _name, _pk in _relation_slugs(model, pks, connection):
            found = lists.get(entry_pk)
            if found is None:
                found = lists[entry_pk] = ([], [], [], [])
            found[relation].append(slug)
    first = _FIRST_RELATION
    for row, pk in zip(batch, pks, strict=True):
        row[first : first + 4] = lists.get(pk) or ([], [], [], [])


def _relation_texts_postgresql(model, pks, connection):
    """``{entry pk: (areas, programmes, places, beneficiaries)}`` (lists of slugs, each in its records'
    name order), aggregated by the database: one row an entry and relation instead of one a slug."""
    quote = connection.ops.quote_name
    parts = []
    for index, name in enumerate(EXPORTED_RELATIONS):
        field = model._meta.get_field(name)
        through = field.remote_field.through._meta
        target = field.related_model._meta
        entry_column = quote(through.get_field(field.m2m_field_name()).column)
        target_column = quote(through.get_field(field.m2m_reverse_field_name()).column)
        target_pk = quote(target.pk.column)
        # Grouped over the batch's rows (an index lookup an entry), not a subquery an entry: half the time.
        parts.append(
            f"SELECT {index}, t.{entry_column}, string_agg(r.{quote('slug')}, %s ORDER BY r.{quote('name')}, r.{target_pk})"
            f" FROM {quote(through.db_table)} t JOIN {quote(target.db_table)} r ON r.{target_pk} = t.{target_column}"
            f" WHERE t.{entry_column} = ANY(%s::bigint[]) GROUP BY t.{entry_column}"
        )
    lists = {}
    separator = _SLUG_SEPARATOR
    # The ids as one array literal, written here: psycopg's array dumper is Python, a call an element.
    ids = "{" + ",".join(map(str, pks)) + "}"
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), [separator, ids] * len(parts))
        for relation, pk, text in cursor.fetchall():
            found = lists.get(pk)
            if found is None:
                found = lists[pk] = ([], [], [], [])
            found[relation].extend(text.split(separator))
    return lists


def _relation_slugs(model, pks, connection):
    """``(relation index, entry pk, slug, name, pk)`` of the entries ``pks``' four relations, by relation,
    entry, name and pk (one UNION ALL query)."""
    pks = _one_of(list(pks), connection)
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
    union = parts[0].union(*parts[1:], all=True).order_by(*ordering)
    # Run as the ORM wrote it, without its per-row converters: the columns are integers and text already.
    sql, params = union.query.sql_with_params()
    with connections[union.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
