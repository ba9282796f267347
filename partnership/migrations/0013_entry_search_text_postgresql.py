"""PostgreSQL only: the record's text search (``?q=``) reads one stored, upper-cased text per entry.

``CooperationEntryFilter.filter_text`` keeps its meaning — every word a case-insensitive substring of
the title, the description or the source sentence. The trigram indexes of partnership.0010 find the
candidate entries, but PostgreSQL must then check each candidate again on the table, computing
``UPPER()`` of each column for every row (at 100,000 entries, “maritime” has ~9,000 candidates:
~17 ms, most of it in ``UPPER()``). Here PostgreSQL keeps, in a generated column, the three fields
upper-cased and joined by a newline: a word (the search is split on whitespace) cannot hold a
newline, so a word is in the joined text exactly when it is in one of the fields, and
``UPPER(a || newline || b)`` is ``UPPER(a) || newline || UPPER(b)`` (upper-casing is per character). The
check is then one plain ``LIKE`` per word, over one trigram index.

The column is computed by PostgreSQL on every INSERT and UPDATE, whichever code writes the row
(admin, importer, loader, demo data, bulk inserts, queryset updates): it is not a model field, and
Django never reads it but through ``partnership.filters.EntrySearchText``. SQLite: nothing changes.
"""

from django.db import migrations

TABLE = "partnership_cooperationentry"
COLUMN = "search_text"
INDEX = "partnership_entry_search_text_trgm"
PENDING_LIST_KB = 64  # as partnership.0012


def add_column(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'ALTER TABLE "{TABLE}" ADD COLUMN "{COLUMN}" text GENERATED ALWAYS AS '
        f"(UPPER(\"title\"::text || E'\\n' || \"description\" || E'\\n' || \"source_quote\")) STORED"
    )
    schema_editor.execute(
        f'CREATE INDEX "{INDEX}" ON "{TABLE}" USING gin ("{COLUMN}" gin_trgm_ops)'
        f" WITH (gin_pending_list_limit = {PENDING_LIST_KB})"
    )


def drop_column(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'ALTER TABLE "{TABLE}" DROP COLUMN IF EXISTS "{COLUMN}"')  # and its index


class Migration(migrations.Migration):
    dependencies = [("partnership", "0012_entry_text_trigram_indexes_short_pending_list")]

    operations = [migrations.RunPython(add_column, drop_column, elidable=False)]
