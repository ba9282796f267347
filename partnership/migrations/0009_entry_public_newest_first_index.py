from django.db import migrations, models


class AddIndexPortably(migrations.AddIndex):
    """AddIndex, but on SQLite, whose indexes take no NULLS LAST, the same columns in the same order
    written without it (SQLite's DESC already puts NULLs last), under the same name."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        schema_editor.execute(
            'CREATE INDEX "entry_public_newest_first" ON "partnership_cooperationentry" '
            '("start_date" DESC, "source_order", "id", "locale_id") WHERE "live"'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("partnership", "0008_source_documents_translatable"),
    ]

    operations = [
        AddIndexPortably(
            model_name="cooperationentry",
            index=models.Index(
                models.OrderBy(models.F("start_date"), descending=True, nulls_last=True),
                models.F("source_order"),
                models.F("id"),
                models.F("locale"),
                condition=models.Q(("live", True)),
                name="entry_public_newest_first",
            ),
        ),
        migrations.AddIndex(
            model_name="cooperationentry",
            index=models.Index(condition=models.Q(("live", True)), fields=["partner"], name="entry_public_partner"),
        ),
    ]
