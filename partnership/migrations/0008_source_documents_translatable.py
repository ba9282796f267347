"""Source documents become translatable (the French entry quotes the French document).

Wagtail's way for an existing model ("Adding TranslatableMixin to an existing model"): the locale and
translation key are added nullable, every existing document is given the default locale and a key
(BootstrapTranslatableModel), and then both are required. A slug is then unique per language.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models
from wagtail.models import BootstrapTranslatableModel


class Migration(migrations.Migration):
    dependencies = [
        ("partnership", "0007_document_imports"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="sourcedocument",
            name="translation_key",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name="sourcedocument",
            name="locale",
            field=models.ForeignKey(
                null=True,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="wagtailcore.locale",
                verbose_name="locale",
            ),
        ),
        BootstrapTranslatableModel("partnership.SourceDocument"),
        migrations.AlterField(
            model_name="sourcedocument",
            name="translation_key",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AlterField(
            model_name="sourcedocument",
            name="locale",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="wagtailcore.locale",
                verbose_name="locale",
            ),
        ),
        migrations.AlterField(
            model_name="sourcedocument",
            name="slug",
            field=models.SlugField(max_length=120),
        ),
        migrations.AlterUniqueTogether(
            name="sourcedocument",
            unique_together={("translation_key", "locale")},
        ),
        migrations.AddConstraint(
            model_name="sourcedocument",
            constraint=models.UniqueConstraint(
                fields=("locale", "slug"),
                name="sourcedocument_unique_slug_per_locale",
                violation_error_message="This slug is already used by another record in the same language; choose another.",
            ),
        ),
    ]
