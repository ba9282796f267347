"""PostgreSQL only: the trigram GIN indexes of the record's ``?q=`` (partnership.0010) keep a short pending list.

A GIN index buffers new entries in a pending list (``fastupdate``, up to ``gin_pending_list_limit``,
4 MB by default) until a vacuum merges them, and every search reads that list through: at 100,000
entries freshly written, the title's was 279 pages. At 64 kB (the least PostgreSQL allows), writes
are still batched and a search reads at most 8 pages of it. The lists already there are merged now
(``gin_clean_pending_list``). SQLite has no such index; nothing changes there.
"""

from django.db import migrations

INDEXES = ["partnership_entry_title_trgm", "partnership_entry_description_trgm", "partnership_entry_quote_trgm"]
PENDING_LIST_KB = 64


def shorten(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'ALTER INDEX "{name}" SET (gin_pending_list_limit = {PENDING_LIST_KB})')
        schema_editor.execute(f"SELECT gin_clean_pending_list('\"{name}\"'::regclass)")


def restore(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'ALTER INDEX "{name}" RESET (gin_pending_list_limit)')


class Migration(migrations.Migration):
    dependencies = [("partnership", "0011_record_version")]

    operations = [migrations.RunPython(shorten, restore, elidable=False)]
