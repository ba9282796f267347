"""Whether a translation is behind its English original (“needs updating”).

A translation made with wagtail-localize is made from a TranslationSource: the original's content
frozen when it was (last) submitted or synchronised. After the original is changed and published,
its content no longer matches the source: the translation needs updating. It is up to date again
once the source is synchronised (wagtail-localize's “Sync translated snippets/pages”, or a fixture
load) *and* the translation has been saved from it since (published from the translation editor).

Used by the admin's listings (a column) and the translation's edit view (a message), see
partnership.viewsets and partnership.wagtail_hooks (pages: cms.wagtail_hooks).
"""

import hashlib
import json

from django.utils.translation import gettext_lazy as _
from wagtail.models import Locale, Page
from wagtail_localize.fields import get_translatable_fields
from wagtail_localize.models import SourceDeletedError, Translation, TranslationLog, TranslationSource

NEEDS_UPDATING = _("Needs updating")
UP_TO_DATE = _("Up to date")


def translated_content(obj):
    """A fingerprint (hex) of ``obj``'s translatable and synchronised fields, as stored."""
    values = {}
    model = type(obj)
    for translatable_field in get_translatable_fields(model):
        field = translatable_field.get_field(model)
        if getattr(field, "concrete", False):
            values[field.name] = field.value_to_string(obj)
    encoded = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def translation_source_of(obj, default_locale=None):
    """The TranslationSource ``obj`` (a translation) was made from, or None (not made with wagtail-localize)."""
    default_locale = default_locale or Locale.get_default()
    return TranslationSource.objects.filter(object_id=obj.translation_key, locale=default_locale).first()


def needs_update(obj, default_locale=None):
    """True when ``obj`` is a translation whose English original changed since it was translated.

    False for an original, for a record with no original, and for a translation not made with
    wagtail-localize (there is nothing to compare it with).
    """
    default_locale = default_locale or Locale.get_default()
    if obj.locale_id == default_locale.pk:
        return False
    source = translation_source_of(obj, default_locale)
    if source is None:
        return False
    try:
        original = source.get_source_instance()
        frozen = source.as_instance()
    except SourceDeletedError:
        return False
    except type(obj).DoesNotExist:
        return False
    if isinstance(original, Page):
        original = original.specific
    if translated_content(original) != translated_content(frozen):
        return True  # changed since the source was last synchronised
    translation = Translation.objects.filter(source=source, target_locale_id=obj.locale_id).first()
    if translation is not None:
        total, translated = translation.get_progress()
        if translated < total:
            return True  # published with text left untranslated: wagtail-localize shows the English there
    saved = TranslationLog.objects.filter(source=source, locale_id=obj.locale_id).order_by("-created_at").first()
    # Synchronised, but the translation has not been saved from the new source yet.
    return saved is None or saved.created_at < source.last_updated_at


def status_label(obj, default_locale=None):
    """“Needs updating”, “Up to date”, or '' for an original or a record translated by other means."""
    default_locale = default_locale or Locale.get_default()
    if obj.locale_id == default_locale.pk or translation_source_of(obj, default_locale) is None:
        return ""
    return NEEDS_UPDATING if needs_update(obj, default_locale) else UP_TO_DATE
