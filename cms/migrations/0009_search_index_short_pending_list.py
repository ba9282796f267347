"""PostgreSQL only: the GIN index /search/ reads (cms.0008) keeps a short pending list.

A GIN index buffers new entries in a pending list (``fastupdate``, up to ``gin_pending_list_limit``,
4 MB by default) until a vacuum merges them, and every search reads that list through: at 100,000
entries freshly written, 441 pages, ~20 ms of each search, even one that finds nothing. At 64 kB (the
least PostgreSQL allows), writes are still batched and a search reads at most 8 pages of it. The list
already there is merged now (``gin_clean_pending_list``). SQLite has no such index; nothing changes there.
"""

from django.db import migrations

INDEX = "cms_search_title_body_gin"
PENDING_LIST_KB = 64


def shorten(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'ALTER INDEX "{INDEX}" SET (gin_pending_list_limit = {PENDING_LIST_KB})')
    schema_editor.execute(f"SELECT gin_clean_pending_list('\"{INDEX}\"'::regclass)")


def restore(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'ALTER INDEX "{INDEX}" RESET (gin_pending_list_limit)')


class Migration(migrations.Migration):
    dependencies = [("cms", "0008_search_indexes_postgresql")]

    operations = [migrations.RunPython(shorten, restore, elidable=False)]
