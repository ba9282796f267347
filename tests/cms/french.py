"""French content for the language tests, made with Wagtail's public translation API.

``add_french()`` translates, after the project's fixtures are loaded: the home page, the partners
index, Japan's page and the record page (``copy_for_translation(fr, copy_parents=True)``, then a
French title and slug, published), and the snippets one French entry needs (Japan, its framework,
the entry's areas and programmes), then that entry itself. Another entry and page stay English only.
"""

import datetime
from decimal import Decimal

from django.utils import timezone
from wagtail.models import Locale

from cms.models import CooperationRecordPage, HomePage, PartnerPage, PartnersIndexPage
from partnership.models import Area, CooperationEntry, Partner, Programme

ENTRY_EN = "japan-liaison-officer-maritime-command"
ENTRY_FR = "japon-officier-de-liaison-commandement-maritime"
ENTRY_FR_TITLE = "Officier de liaison au Commandement maritime"
# Words French stemming matches to their forms in the description ("coopérer": "coopération").
ENTRY_FR_DESCRIPTION = "Le Japon a désigné un officier de liaison au Commandement maritime, pour la coopération navale."
ENTRY_FR_DATE = datetime.date(2013, 4, 1)  # April 2013, to the month: "avril 2013"
ENTRY_FR_AMOUNT = Decimal("5000000000")  # USD: "5 milliards USD"
RECORD_FR = "cooperation-fr"  # the French record page's slug: /fr/cooperation-fr/
PARTNERS_FR = "partenaires"
JAPAN_FR = "japon"


def french_locale():
    return Locale.objects.get_or_create(language_code="fr")[0]


def translate_snippet(obj, locale, **changes):
    """A saved French copy of a snippet (or the one already made), with ``changes`` applied."""
    existing = obj.get_translation_or_none(locale)
    if existing is not None:
        return existing
    copy = obj.copy_for_translation(locale)
    for name, value in changes.items():
        setattr(copy, name, value)
    copy.save()
    return copy


def translate_page(page, locale, title, slug):
    """A live French translation of ``page`` (its parents translated too), under ``slug``."""
    existing = page.get_translation_or_none(locale)
    if existing is not None and existing.live:
        return existing.specific
    copy = existing.specific if existing is not None else page.copy_for_translation(locale, copy_parents=True)
    copy.title = title
    if slug:  # the home page keeps the slug Wagtail gave its copy (its URL is the locale's root: /fr/)
        copy.slug = slug
    copy.save_revision().publish()
    return copy.specific.__class__.objects.get(pk=copy.pk)


def publish_entry(entry):
    now = timezone.now()
    entry.live = True
    entry.first_published_at = entry.first_published_at or now
    entry.last_published_at = now
    entry.save()
    return entry


def translate_entry(entry, locale, title, slug, **changes):
    """A live French copy of ``entry`` whose partner, areas and programmes are their French copies."""
    partner = entry.partner
    framework_fr = translate_snippet(partner.framework, locale, name=f"{partner.framework.name} (fr)")
    partner_fr = translate_snippet(partner, locale, name="Japon", slug=JAPAN_FR, framework=framework_fr)
    areas = [
        translate_snippet(area, locale, name=f"{area.name} (fr)", slug=f"{area.slug}-fr") for area in entry.areas.all()
    ]
    programmes = [
        translate_snippet(programme, locale, name=f"{programme.name} (fr)", slug=f"{programme.slug}-fr")
        for programme in entry.programmes.all()
    ]
    copy = entry.copy_for_translation(locale)
    copy.title, copy.slug, copy.partner = title, slug, partner_fr
    for name, value in changes.items():
        setattr(copy, name, value)
    copy.live = False
    copy.save()
    copy.areas.set(areas)
    copy.programmes.set(programmes)
    copy.places.set([])
    copy.beneficiaries.set([])
    copy.save()
    return publish_entry(CooperationEntry.objects.get(pk=copy.pk))


def add_french():
    """The French site (see the module's docstring); returns a dict of what was made."""
    fr = french_locale()
    home = HomePage.objects.get(locale__language_code="en")
    home_fr = translate_page(home, fr, "Accueil", None)
    index_fr = translate_page(PartnersIndexPage.objects.get(locale__language_code="en"), fr, "Partenaires", PARTNERS_FR)
    japan_page = PartnerPage.objects.get(slug="japan", locale__language_code="en")
    record_fr = translate_page(
        CooperationRecordPage.objects.get(locale__language_code="en"), fr, "Coopération", RECORD_FR
    )
    entry_fr = translate_entry(
        CooperationEntry.objects.get(slug=ENTRY_EN),
        fr,
        ENTRY_FR_TITLE,
        ENTRY_FR,
        description=ENTRY_FR_DESCRIPTION,
        start_date=ENTRY_FR_DATE,
        start_precision="month",
        amount=ENTRY_FR_AMOUNT,
        currency="USD",
    )
    copy = japan_page.copy_for_translation(fr, copy_parents=True)
    copy.partner = Partner.objects.get(slug=JAPAN_FR, locale=fr)
    copy.title, copy.slug = "Relations avec le Japon", JAPAN_FR
    copy.save_revision().publish()
    japan_fr = PartnerPage.objects.get(pk=copy.pk)
    return {
        "locale": fr,
        "home": home_fr,
        "index": index_fr,
        "record": record_fr,
        "japan_page": japan_fr,
        "entry": entry_fr,
        "partner": Partner.objects.get(slug=JAPAN_FR, locale=fr),
        "areas": list(Area.objects.filter(locale=fr)),
        "programmes": list(Programme.objects.filter(locale=fr)),
    }
