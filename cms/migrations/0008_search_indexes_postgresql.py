"""PostgreSQL only: the indexes Wagtail's database search backend needs to answer /search/ from its index.

Wagtail's PostgreSQL backend matches ``(title || body) @@ query`` on its index table, which has GIN
indexes on ``title`` and on ``body`` but none on their concatenation: every search read the whole
index table (~0.2 s at 10,000 entries). A GIN index on that expression answers it. The backend then
joins the matches to the searched model on ``object_id = id::varchar(50)``; an index on that cast of
the entries' key lets PostgreSQL fetch the matched entries instead of hashing the whole table.
SQLite (FTS5) needs neither; nothing changes there.
"""

from django.db import migrations

INDEXES = {  # index name → (table, indexed expression, method)
    "cms_search_title_body_gin": ("wagtailsearch_indexentry", '("title" || "body")', "gin"),
    "cms_entry_id_as_object_id": ("partnership_cooperationentry", '("id"::varchar(50))', "btree"),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, expression, method) in INDEXES.items():
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING {method} (({expression}))')


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0007_partner_page_image_alt"),
        ("partnership", "0010_entry_text_trigram_indexes_postgresql"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
