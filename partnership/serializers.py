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

from django.db import connections, transaction
from django.db.models import Expression, F, Func, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, NullIf
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


# --- The exports' lines, written by the database ------------------------------------------------------------
#
# On PostgreSQL and SQLite, ``export_lines`` has the database write each entry's CSV line or JSON object but
# for four holes that Python fills in: the period (words in the request's language, one text per distinct
# period), the amount (SQLite reads decimals as floats, so Python writes it as ``str(Decimal)`` does) and
# the four relations (their records' pks, read with each row; each distinct list written once). At 100,000
# entries this saves most of an export's time: no Python object per cell, no csv.writer or JSON encoder call
# per row, no query per batch.

# The databases that write the files' lines (``export_lines``).
LINES_VENDORS = ("postgresql", "sqlite")
# The characters that make csv.writer (its default dialect: QUOTE_MINIMAL, “,”, “"”, “\r\n”) quote a field.
_CSV_QUOTED = (",", '"', "\r", "\n")
# The JSON keys and separators as ``json.dumps(dict)`` writes them (“, ” and “: ”).
_JSON_KEY = {name: ", " * (index > 0) + json.dumps(name) + ": " for index, name in enumerate(EXPORT_FIELDS)}


def csv_field(text):
    """``text`` as csv.writer writes it in a row of several cells, after ``csv_cell``'s neutralisation: with a
    leading ``'`` if it starts with a formula sign, and in double quotes (inner ones doubled) if it holds a
    comma, a double quote or a line break."""
    if text[:1] in FORMULA_STARTS:
        text = "'" + text
    if "," in text or '"' in text or "\r" in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _sql_text(value, vendor):
    """A constant text as an SQL expression without parameters: a literal, or when it holds a character that
    would need escaping (a quote, a percent sign, a backslash, a control character), the characters' codes."""
    if value and value.isprintable() and not any(character in value for character in "'%\\"):
        return f"'{value}'"
    function = "chr" if vendor == "postgresql" else "char"
    return f"({' || '.join(f'{function}({ord(character)})' for character in value)})" if value else "''"


def _csv_cell_sql(x, vendor):
    """SQL for ``csv_field(x)`` where ``x`` (SQL, evaluated several times) is text or NULL (an empty cell)."""
    position = "strpos" if vendor == "postgresql" else "instr"
    first = f"left({x}, 1)" if vendor == "postgresql" else f"substr({x}, 1, 1)"
    starts = ", ".join(_sql_text(start, vendor) for start in sorted(FORMULA_STARTS))
    sign = f"(CASE WHEN {first} IN ({starts}) THEN '''' ELSE '' END)"
    quoted = " OR ".join(f"{position}({x}, {_sql_text(character, vendor)}) > 0" for character in _CSV_QUOTED)
    return (
        f"(CASE WHEN {x} IS NULL THEN '' WHEN {quoted} THEN '\"' || {sign} || replace({x}, '\"', '\"\"') || '\"'"
        f" ELSE {sign} || {x} END)"
    )


def _json_value_sql(x, vendor):
    """SQL for ``json.dumps(x, ensure_ascii=False)`` where ``x`` is text or NULL (``null``)."""
    if vendor == "postgresql":
        return f"COALESCE(to_json({x})::text, 'null')"
    return f"json_quote({x})"  # NULL gives 'null'


class _Written(Expression):
    """Text the database writes from ``parts``, each ``(how, value)``: ``("text", constant str)``, or an
    expression as a CSV cell (``"csv"``), a JSON value (``"json"``), a boolean as ``True``/``False``
    (``"csv bool"``) or ``true``/``false`` (``"json bool"``), or as itself with NULL as '' (``"raw"``); or
    ``("csv url", slug)``: the CSV cell of ``url_prefix`` + slug + "/", for a prefix csv_field leaves as it is.
    PostgreSQL and SQLite only."""

    output_field = TextField()

    def __init__(self, *parts, url_prefix=""):
        super().__init__()
        self.parts, self.url_prefix = parts, url_prefix

    def get_source_expressions(self):
        return [value for how, value in self.parts if how != "text"]

    def set_source_expressions(self, expressions):
        expressions = iter(expressions)
        self.parts = tuple((how, value if how == "text" else next(expressions)) for how, value in self.parts)

    def as_sql(self, compiler, connection, **extra):
        vendor = connection.vendor
        pieces, params = [], []
        for how, value in self.parts:
            if how == "text":
                pieces.append(_sql_text(value, vendor))
                continue
            sql, value_params = compiler.compile(value)
            if how in ("csv", "json"):
                # The expression appears several times in the cell's SQL: its parameters as many times.
                template = (_csv_cell_sql if how == "csv" else _json_value_sql)("\x00", vendor)
                pieces.append(template.replace("\x00", f"({sql})"))
                params.extend(value_params * template.count("\x00"))
            elif how == "csv url":
                # The address, the url prefix (a constant csv_field leaves as it is) + slug + "/", is quoted
                # when the slug holds a character csv.writer quotes; it never starts with a formula sign.
                prefix = _sql_text(self.url_prefix, vendor)
                position = "strpos" if vendor == "postgresql" else "instr"
                quoted = " OR ".join(
                    f"{position}(({sql}), {_sql_text(character, vendor)}) > 0" for character in _CSV_QUOTED
                )
                pieces.append(
                    f"(CASE WHEN {quoted} THEN '\"' || {prefix} || replace(({sql}), '\"', '\"\"') || '/\"'"
                    f" ELSE {prefix} || ({sql}) || '/' END)"
                )
                params.extend(value_params * (len(_CSV_QUOTED) + 2))
            elif how in ("csv bool", "json bool"):
                true, false = ("True", "False") if how == "csv bool" else ("true", "false")
                pieces.append(f"(CASE WHEN ({sql}) THEN '{true}' ELSE '{false}' END)")
                params.extend(value_params)
            else:
                pieces.append(f"COALESCE(({sql}), '')")
                params.extend(value_params)
        if vendor == "postgresql":
            # One function call: a chain of || copies the text made so far at each step.
            return f"concat({', '.join(pieces)})", params
        return "(" + " || ".join(pieces) + ")", params


# The exported columns but the holes, as the database reads them: (expression, JSON null for ''), by column.
_LINE_COLUMNS = {
    "slug": (F("slug"), False),
    "partner": (F("partner__slug"), False),
    "kind": (F("kind"), False),
    "title": (F("title"), False),
    "description": (F("description"), False),
    "start_date": (_IsoDate("start_date"), False),
    "start_precision": (F("start_precision"), True),
    "end_date": (_IsoDate("end_date"), False),
    "end_precision": (F("end_precision"), True),
    "ongoing": (F("ongoing"), False),
    "currency": (F("currency"), True),
    "source": (F("source__title"), False),
    "source_section": (F("source_section"), False),
    "source_quote": (F("source_quote"), False),
    "first_published_at": (_IsoMoment("first_published_at"), False),
    "last_published_at": (_IsoMoment("last_published_at"), False),
}
# The dates and times the database writes: ISO 8601 text, which csv_field leaves as it is.
_ISO_TEXTS = ("start_date", "end_date", "first_published_at", "last_published_at")
# The cells Python writes, between the database's pieces of a line.
_HOLES = ("period", "amount", *EXPORTED_RELATIONS)
# The five columns a period is written from, as one text: “start|precision|end|precision|True or False”.
_PERIOD_KEY = _Written(
    ("raw", _IsoDate("start_date")),
    ("text", "|"),
    ("raw", F("start_precision")),
    ("text", "|"),
    ("raw", _IsoDate("end_date")),
    ("text", "|"),
    ("raw", F("end_precision")),
    ("text", "|"),
    ("csv bool", F("ongoing")),
)


def _line_pieces(url_prefix, as_json):
    """The database's pieces of a line, between the holes: ``[before period, before amount, before areas,
    after beneficiaries]`` (the relations are only separated), as ``_Written`` expressions."""
    columns = {**_LINE_COLUMNS, "url": (_Written(("text", url_prefix), ("raw", F("slug")), ("text", "/")), False)}
    pieces, parts = [], [("text", "{")] if as_json else []
    for index, name in enumerate(EXPORT_FIELDS):
        if name in EXPORTED_RELATIONS[1:]:
            continue  # between two relations: the separator only, which Python writes
        parts.append(("text", _JSON_KEY[name] if as_json else "," * (index > 0)))
        if name in _HOLES:
            pieces.append(_Written(*parts, url_prefix=url_prefix))
            parts = []
            continue
        expression, empty_is_null = columns[name]
        if name == "ongoing":
            parts.append(("json bool" if as_json else "csv bool", expression))
        elif as_json:
            parts.append(("json", NullIf(expression, Value("")) if empty_is_null else expression))
        elif name in _ISO_TEXTS:
            parts.append(("raw", expression))  # digits and signs that csv_field leaves as they are
        elif name == "url" and csv_field(url_prefix) == url_prefix and url_prefix:
            parts.append(("csv url", F("slug")))
        else:
            parts.append(("csv", expression))
    parts.append(("text", "}" if as_json else "\r\n"))
    pieces.append(_Written(*parts, url_prefix=url_prefix))
    return pieces


class _RelationKeys(Func):
    """An entry's records in the four relations as one text of comma-separated numbers, each ``pk * 4 +
    index`` (the relation's index in EXPORTED_RELATIONS), in no particular order; '' or NULL when none. One
    subquery an entry (a UNION ALL of four index lookups): on PostgreSQL at 100,000 entries 0.5 s, where
    one subquery a relation took 1.3 s.
    Built from the models' tables: ``_RelationKeys(model, F("pk"))``."""

    output_field = TextField()

    def __init__(self, model, expression):
        super().__init__(expression)
        self.model = model

    def as_sql(self, compiler, connection, **extra):
        quote = connection.ops.quote_name
        entry_sql, entry_params = compiler.compile(self.source_expressions[0])
        parts = []
        for index, name in enumerate(EXPORTED_RELATIONS):
            field = self.model._meta.get_field(name)
            through = field.remote_field.through._meta
            entry = quote(through.get_field(field.m2m_field_name()).column)
            target = quote(through.get_field(field.m2m_reverse_field_name()).column)
            parts.append(
                f"SELECT t.{target} * 4 + {index} AS k FROM {quote(through.db_table)} t WHERE t.{entry} = {entry_sql}"
            )
        union = " UNION ALL ".join(parts)
        if connection.vendor == "postgresql":
            sql = f"array_to_string(ARRAY({union}), ',')"
        else:
            sql = f"(SELECT group_concat(k) FROM ({union}))"
        return sql, entry_params * len(parts)


class _RelationCells(dict):
    """``_RelationKeys`` texts to the four relations' cells, in EXPORTED_RELATIONS order: each list of slugs
    in its records' name order, as ``csv_field("; ".join(slugs))`` or, ``as_json``, a JSON list. Each distinct
    text is written once (``cells[keys]``), from the related models' records (``read_records``)."""

    def __init__(self, model, as_json):
        super().__init__()
        self.related = [model._meta.get_field(name).related_model for name in EXPORTED_RELATIONS]
        self.records = {}
        self.encode = json.JSONEncoder(ensure_ascii=False).encode if as_json else None
        self.none = (self.encode([]) if as_json else "",) * len(EXPORTED_RELATIONS)
        self[None] = self[""] = self.none

    def read_records(self, *models):
        """Each related model's (or those of ``models``) ``{pk: (rank, slug)}``: one query a model (three),
        before the rows; again for a model when a row names a record added since."""
        for related in models or dict.fromkeys(self.related):
            ordered = related._default_manager.order_by("name", "pk").values_list("pk", "slug")
            self.records[related] = {pk: (rank, slug) for rank, (pk, slug) in enumerate(ordered)}

    def __missing__(self, keys):
        found = [[] for _ in EXPORTED_RELATIONS]
        for key in keys.split(","):
            pk, index = divmod(int(key), 4)
            records = self.records[self.related[index]]
            if pk not in records:
                self.read_records(self.related[index])
                records = self.records[self.related[index]]
            found[index].append(records[pk])
        lists = [[slug for _rank, slug in sorted(records)] for records in found]
        if len(self) >= _PERIODS_KEPT:
            self.clear()
            self[None] = self[""] = self.none
        cells = self[keys] = tuple(
            map(self.encode, lists) if self.encode else (csv_field("; ".join(slugs)) for slugs in lists)
        )
        return cells


def export_lines(queryset, url_prefix, as_json=False, period=period_display, batch_size=1000):
    """The entries of ``queryset`` in its order as the export files write them, ``batch_size`` a list: each
    a CSV line (``\\r\\n`` ended) or, ``as_json``, a JSON object, the same text as ``entry_values(entry,
    f"{url_prefix}{entry.slug}/")`` gives through csv.writer (with ``csv_cell``) or ``json.dumps(...,
    ensure_ascii=False)``. PostgreSQL and SQLite only (``LINES_VENDORS``).

    Queries, however many rows: one for each related model (its records' pks and slugs in name order:
    three, areas, programmes and places), then one for the rows, whose text the database writes but for the
    period, the amount and the four relations (their records' pks, one subquery an entry: ``_RelationKeys``),
    read ``batch_size`` rows at a time in one transaction (a server-side cursor on PostgreSQL, after one more
    query that turns off its JIT compilation for the transaction). ``period``: as for ``export_values``.
    """
    connection = connections[queryset.db]
    model = queryset.model
    amount = Cast("amount", TextField()) if connection.vendor == "postgresql" else F("amount")
    head, before_amount, before_relations, tail = _line_pieces(url_prefix, as_json)
    rows = queryset.values_list(
        head, _PERIOD_KEY, before_amount, amount, before_relations, _RelationKeys(model, F("pk")), tail
    )
    encode = json.JSONEncoder(ensure_ascii=False).encode
    if as_json:
        between_1, between_2, between_3 = (_JSON_KEY[name] for name in EXPORTED_RELATIONS[1:])
    else:
        between_1 = between_2 = between_3 = ","
    relation_cells = _RelationCells(model, as_json)
    periods = {}  # period key: the period's cell, written once

    def lines(batch):
        written = []
        for start, key, middle, amount, before_relations, relations, end in batch:
            text = periods.get(key)
            if text is None:
                if len(periods) >= _PERIODS_KEPT:
                    periods.clear()
                start_text, start_precision, end_text, end_precision, ongoing = key.split("|")
                text = period(
                    datetime.date.fromisoformat(start_text) if start_text else None,
                    start_precision,
                    datetime.date.fromisoformat(end_text) if end_text else None,
                    end_precision,
                    ongoing == "True",
                )
                text = periods[key] = encode(text) if as_json else csv_field(text)
            if amount is None:
                amount = "null" if as_json else ""
            else:
                amount = encode(str(amount)) if as_json else csv_field(str(amount))
            areas, programmes, places, beneficiaries = relation_cells[relations]
            written.append(
                f"{start}{text}{middle}{amount}{before_relations}{areas}{between_1}{programmes}{between_2}"
                f"{places}{between_3}{beneficiaries}{end}"
            )
        return written

    relation_cells.read_records()
    # In a transaction PostgreSQL's server-side cursor is not held past it (WITH HOLD), so the rows are
    # computed as they are fetched instead of all stored first. No savepoint: nothing is written.
    with transaction.atomic(using=queryset.db, savepoint=False):
        if connection.vendor == "postgresql":
            # For this transaction only: compiling the lines' expressions to machine code (PostgreSQL's JIT,
            # which the planner chooses for a query over many rows) took longer than it saved: 0.85 s of the
            # CSV's 3 s at 100,000 entries.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        batch = []
        for row in rows.iterator(chunk_size=batch_size):
            batch.append(row)
            if len(batch) == batch_size:
                yield lines(batch)
                batch = []
        if batch:
            yield lines(batch)
