"""Generated demo data: many partners, their pages and thousands of entries, for benchmarks and scale tests.

``generate_demo_data(partners=40, entries=10_000, seed=1)`` adds, beside what
``load_fixtures`` loaded (the document's partner, Japan, is never touched):

- one **SourceDocument** (slug ``generated-demo-data``), plainly titled as generated
  demo data. It is the mark of everything generated: a demo partner and a demo
  entry are those whose source it is, and its short text holds every sentence the
  demo records quote, so that each of them still passes ``clean()`` in the admin;
- **partners** with real partner-country names (then derived ones, “Partner
  country 41”, …) in the existing frameworks, each with a published **relation
  page** under the partners index, built like the Japan page but short;
- **cooperation entries** spread over the demo partners: realistic kinds, fuzzy
  dates of every precision, areas, programmes, places and beneficiaries (the
  loaded reference records), amounts and currencies for contributions, titles
  and descriptions composed from word lists.

Entries are public exactly as loaded ones are: live, published, with one
revision each (``latest_revision`` and ``live_revision`` point at it), the
``wagtail.edit`` and ``wagtail.publish`` log entries the admin history shows,
their reference-index rows and their search-index rows. All of it is written
with bulk inserts, so the number of queries grows with the number of partners
(each page goes through Wagtail's page API) and with the number of insert
batches, never once per entry.

Same arguments and same database before ⇒ the same data, byte for byte, apart
from primary keys and the times rows were written: every random choice comes
from ``random.Random`` seeded with the seed, reference records are taken in slug
order, and even translation keys and block ids are drawn from the seed.

Everything runs in one transaction: a refusal or a failure leaves the database
as it was.
"""

import calendar
import datetime
import itertools
import json
import random
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.text import slugify
from modelcluster.models import get_all_child_m2m_relations, get_serializable_data_for_fields
from wagtail import hooks
from wagtail.models import Locale, ModelLogEntry, Page, PageLogEntry, ReferenceIndex, Revision, TaskState, WorkflowState
from wagtail.search import index as search_index
from wagtail.search.backends import get_search_backends

from .dates import Precision
from .loader import deferred_search_indexing
from .models import Area, CooperationEntry, Framework, Partner, Place, Programme, SourceDocument

MAX_PARTNERS = 200
MAX_ENTRIES = 200_000
MAX_SEED = 2**63 - 1
BATCH_SIZE = 1000  # rows per INSERT (SQLite's parameter limit may split them further)

DEMO_SOURCE_SLUG = "generated-demo-data"
DEMO_SOURCE_TITLE = "Generated demo data (not a real document)"
DEMO_PUBLISHER = "Partnership CMS demo data generator"
# Fixed moments, so that the data does not depend on the day it is generated.
DEMO_DOCUMENT_DATE = datetime.datetime(2025, 1, 1, 12, 0, tzinfo=datetime.UTC)
FIRST_PUBLICATION = datetime.datetime(2019, 1, 1, tzinfo=datetime.UTC)
PUBLICATION_SPAN_SECONDS = 6 * 365 * 24 * 3600
LAST_YEAR = 2025


class DemoDataError(Exception):
    """The demo data cannot be generated (bad arguments, fixtures not loaded, demo data present)."""


# --- The demo document ------------------------------------------------------------------------

ABOUT_SECTION = "About this document"
ABOUT_SENTENCE = (
    "The partners, pages and cooperation entries generated with it are demo data for benchmarks and tests, "
    "not a record of real relations."
)

# (heading, theme area slug, sentences): the sections of the demo document, in reading order.
SECTIONS = (
    (
        "Highlights",
        None,
        (
            "Political dialogue between NATO and its partners has deepened through regular consultations, "
            "visits and meetings at every level.",
            "Partners have signalled their commitment to cooperation with NATO in political declarations, "
            "agreements and partnership documents.",
        ),
    ),
    (
        "Building capabilities and interoperability",
        "capabilities-and-interoperability",
        (
            "Partners take their cooperation with NATO forward through individual partnership programmes and "
            "the Partnership Interoperability Initiative.",
            "Partners contribute liaison officers, staff officers and experts to NATO commands, centres of "
            "excellence and offices.",
            "Partners train and exercise with NATO forces to develop interoperability on land, at sea, in the "
            "air and in cyberspace.",
        ),
    ),
    (
        "Support for NATO-led operations and missions",
        "support-for-operations",
        (
            "Partners have supported NATO-led operations and missions with forces, funding and expertise.",
            "Partners have helped to stabilise regions in crisis and to build the capacity of local security forces.",
        ),
    ),
    (
        "Wider cooperation",
        "wider-cooperation",
        (
            "Partners have made contributions to NATO Trust Fund projects that destroy dangerous stockpiles, "
            "clear land of explosives and help people affected by conflict.",
            "Partners take part in the Science for Peace and Security Programme, developing technologies for "
            "security and defence.",
            "Partners support the Women, Peace and Security agenda and contribute staff to NATO’s work on it.",
        ),
    ),
)

# Which passages (section index, sentence index) an entry of each kind may quote.
KIND_PASSAGES = {
    "milestone": ((0, 0), (0, 1)),
    "programme": ((1, 0), (3, 1)),
    "contribution": ((3, 0), (2, 0)),
    "post": ((1, 1), (3, 2)),
    "exercise": ((1, 2),),
    "operation": ((2, 0), (2, 1)),
}
KIND_WEIGHTS = (
    ("milestone", 14),
    ("programme", 14),
    ("contribution", 22),
    ("post", 14),
    ("exercise", 21),
    ("operation", 15),
)


def demo_document_text(partners, entries, seed):
    lines = [
        DEMO_SOURCE_TITLE,
        "",
        ABOUT_SECTION,
        "",
        "This text was written by the Partnership CMS demo data generator "
        f"(manage.py generate_demo_data --partners {partners} --entries {entries} --seed {seed}). " + ABOUT_SENTENCE,
    ]
    for heading, _theme, sentences in SECTIONS:
        lines += ["", heading, "", *sentences]
    return "\n".join(lines) + "\n"


# --- Partners ---------------------------------------------------------------------------------

# (name, ISO 3166 code, preferred framework slug, currency of stated amounts or "").
PARTNER_COUNTRIES = (
    ("Australia", "AU", "partners-across-the-globe", "AUD"),
    ("New Zealand", "NZ", "partners-across-the-globe", "NZD"),
    ("Republic of Korea", "KR", "partners-across-the-globe", "KRW"),
    ("Mongolia", "MN", "partners-across-the-globe", ""),
    ("Ukraine", "UA", "partnership-for-peace", ""),
    ("Georgia", "GE", "partnership-for-peace", ""),
    ("Republic of Moldova", "MD", "partnership-for-peace", ""),
    ("Switzerland", "CH", "partnership-for-peace", "CHF"),
    ("Austria", "AT", "partnership-for-peace", "EUR"),
    ("Ireland", "IE", "partnership-for-peace", "EUR"),
    ("Malta", "MT", "partnership-for-peace", "EUR"),
    ("Bosnia and Herzegovina", "BA", "partnership-for-peace", ""),
    ("Serbia", "RS", "partnership-for-peace", ""),
    ("Armenia", "AM", "partnership-for-peace", ""),
    ("Azerbaijan", "AZ", "partnership-for-peace", ""),
    ("Kazakhstan", "KZ", "partnership-for-peace", ""),
    ("Kyrgyz Republic", "KG", "partnership-for-peace", ""),
    ("Tajikistan", "TJ", "partnership-for-peace", ""),
    ("Turkmenistan", "TM", "partnership-for-peace", ""),
    ("Uzbekistan", "UZ", "partnership-for-peace", ""),
    ("Algeria", "DZ", "mediterranean-dialogue", ""),
    ("Egypt", "EG", "mediterranean-dialogue", ""),
    ("Israel", "IL", "mediterranean-dialogue", "ILS"),
    ("Jordan", "JO", "mediterranean-dialogue", ""),
    ("Mauritania", "MR", "mediterranean-dialogue", ""),
    ("Morocco", "MA", "mediterranean-dialogue", ""),
    ("Tunisia", "TN", "mediterranean-dialogue", ""),
    ("Bahrain", "BH", "istanbul-cooperation-initiative", ""),
    ("Kuwait", "KW", "istanbul-cooperation-initiative", "KWD"),
    ("Qatar", "QA", "istanbul-cooperation-initiative", "QAR"),
    ("United Arab Emirates", "AE", "istanbul-cooperation-initiative", "AED"),
    ("Colombia", "CO", "partners-across-the-globe", ""),
    ("Iraq", "IQ", "partners-across-the-globe", ""),
    ("Pakistan", "PK", "partners-across-the-globe", ""),
    ("Afghanistan", "AF", "partners-across-the-globe", ""),
    ("Finland", "FI", "partnership-for-peace", "EUR"),
    ("Sweden", "SE", "partnership-for-peace", "SEK"),
    ("Saudi Arabia", "SA", "istanbul-cooperation-initiative", "SAR"),
    ("Oman", "OM", "istanbul-cooperation-initiative", ""),
    ("North Macedonia", "MK", "partnership-for-peace", ""),
    ("Montenegro", "ME", "partnership-for-peace", "EUR"),
)
# Rough units of each currency per US dollar, to state amounts of a plausible size.
CURRENCY_RATES = {
    "USD": 1,
    "EUR": 0.9,
    "AUD": 1.5,
    "NZD": 1.6,
    "KRW": 1300,
    "CHF": 0.9,
    "ILS": 3.7,
    "KWD": 0.3,
    "QAR": 3.6,
    "AED": 3.7,
    "SEK": 10,
    "SAR": 3.75,
}


def partner_candidates():
    """Real partner-country names first, then names derived from a number, never ending."""
    yield from PARTNER_COUNTRIES
    number = len(PARTNER_COUNTRIES)
    while True:
        number += 1
        yield (f"Partner country {number}", "", "", "")


# --- Word lists -------------------------------------------------------------------------------

TOPICS = (
    "cyber defence",
    "maritime security",
    "defence education",
    "crisis management",
    "civil preparedness",
    "counter-terrorism",
    "border security",
    "energy security",
    "military medicine",
    "logistics",
    "standardisation",
    "countering improvised explosive devices",
    "disaster response",
    "information sharing",
    "building integrity",
)
AGREEMENTS = (
    "joint political declaration",
    "memorandum of understanding on {topic}",
    "security agreement",
    "statement of intent on {topic}",
    "framework agreement on {topic}",
)
MEETINGS = (
    "political consultations",
    "staff talks",
    "high-level dialogue",
    "partnership review",
    "ambassadorial meeting",
    "Military Committee meeting",
)
VISITS = (
    "NATO Secretary General visits {partner}",
    "Prime Minister of {partner} visits NATO Headquarters",
    "Defence minister of {partner} meets NATO counterparts",
    "{partner} opens a diplomatic mission to NATO",
)
PURPOSES = (
    "to strengthen interoperability",
    "to build defence capacity",
    "to improve maritime situational awareness",
    "to share expertise and lessons learned",
    "to support the rule of law",
    "to prepare for joint crisis response",
    "to develop defence institutions",
    "to improve the protection of civilians",
)
ROLES = (
    "Liaison officer",
    "Staff officer",
    "Expert",
    "Legal adviser",
    "Gender adviser",
    "Analyst",
    "Instructor",
)
UNITS = (
    "a naval training squadron",
    "a frigate",
    "special operations forces",
    "a cyber defence team",
    "a disaster response unit",
    "a military medical team",
    "an air transport squadron",
    "a mine countermeasures vessel",
    "an infantry company",
    "staff officers",
)
EXERCISE_FIRST = (
    "Steadfast",
    "Dynamic",
    "Trident",
    "Noble",
    "Brilliant",
    "Agile",
    "Cold",
    "Swift",
    "Resolute",
    "Vigilant",
    "Coalition",
    "Northern",
)
EXERCISE_SECOND = (
    "Jupiter",
    "Mongoose",
    "Juncture",
    "Jump",
    "Response",
    "Shield",
    "Breeze",
    "Falcon",
    "Harbour",
    "Anchor",
    "Horizon",
    "Lance",
)
TRUST_FUND_AIMS = (
    "destroy surplus ammunition",
    "clear unexploded ordnance",
    "destroy obsolete pesticides",
    "retrain former military personnel",
    "improve the management of ammunition stockpiles",
    "clear contaminated land",
    "provide medical rehabilitation",
    "remove anti-personnel mines",
)
OPERATION_ACTIVITIES = (
    "reconstruction and development",
    "the training of local security forces",
    "mine clearance",
    "disarmament, demobilisation and reintegration",
    "border security",
    "field hospitals",
)
FORCES = ("troops", "staff officers", "a medical team", "airlift", "a provincial reconstruction team", "trainers")

# Practical areas an entry of each kind is most likely to be about (slugs; missing ones are skipped).
KIND_AREAS = {
    "milestone": ("cyber-defence", "maritime-security", "non-proliferation", "women-peace-and-security"),
    "programme": ("defence-science-and-technology", "cyber-defence", "non-proliferation", "maritime-security"),
    "contribution": ("humanitarian-assistance-and-disaster-relief", "non-proliferation"),
    "post": ("cyber-defence", "maritime-security", "women-peace-and-security", "defence-science-and-technology"),
    "exercise": ("maritime-security", "humanitarian-assistance-and-disaster-relief", "cyber-defence"),
    "operation": ("humanitarian-assistance-and-disaster-relief", "maritime-security"),
}
KIND_PROGRAMMES = {
    "milestone": ("initiative", "programme"),
    "programme": ("programme", "initiative", "platform"),
    "contribution": ("fund",),
    "post": ("body",),
    "exercise": ("initiative",),
    "operation": ("operation",),
}
# (first year, undated share, share of ranges "2009–2013", share of open ends "since 2014")
KIND_PERIODS = {
    "milestone": (1992, 0.03, 0.0, 0.0),
    "programme": (1994, 0.05, 0.25, 0.55),
    "contribution": (2002, 0.08, 0.45, 0.0),
    "post": (2004, 0.25, 0.25, 0.35),
    "exercise": (1996, 0.05, 0.35, 0.0),
    "operation": (1995, 0.15, 0.55, 0.05),
}


# --- What the generator needs from the database -------------------------------------------------


@dataclass
class Reference:
    """The loaded reference records the demo data builds on, each list in slug order."""

    locale: Locale
    frameworks: list
    areas: dict  # slug → Area (areas of practical cooperation)
    themes: dict  # slug → Area (the document's section themes)
    programmes: dict  # kind → [Programme]
    places: dict  # kind → [Place]
    index_page: object
    record_page: object


def load_reference():
    """The reference data and pages the fixtures create, or DemoDataError saying what is missing."""
    from cms.models import CooperationRecordPage, PartnersIndexPage  # pages build on records

    missing = []
    try:
        locale = Locale.get_default()
    except Locale.DoesNotExist:
        raise DemoDataError(
            "No default locale: run `python manage.py migrate` and `python manage.py load_fixtures` first."
        ) from None
    frameworks = list(Framework.objects.filter(locale=locale).order_by("slug"))
    all_areas = list(Area.objects.filter(locale=locale).order_by("slug"))
    programmes = list(Programme.objects.filter(locale=locale).order_by("slug"))
    places = list(Place.objects.filter(locale=locale).order_by("slug"))
    index_page = PartnersIndexPage.objects.live().filter(locale=locale).order_by("path").first()
    record_page = CooperationRecordPage.objects.live().filter(locale=locale).order_by("path").first()
    areas = {a.slug: a for a in all_areas if a.category == Area.Category.AREA}
    for found, what in (
        (frameworks, "no framework"),
        (areas, "no area of cooperation"),
        (programmes, "no programme"),
        (places, "no place"),
        (index_page, "no published partners index page"),
        (record_page, "no published record page"),
    ):
        if not found:
            missing.append(what)
    if missing:
        raise DemoDataError(
            f"The fixtures are not loaded ({', '.join(missing)}): run `python manage.py load_fixtures` first."
        )
    by_kind = {}
    for programme in programmes:
        by_kind.setdefault(programme.kind, []).append(programme)
    places_by_kind = {}
    for place in places:
        places_by_kind.setdefault(place.kind, []).append(place)
    return Reference(
        locale=locale,
        frameworks=frameworks,
        areas=areas,
        themes={a.slug: a for a in all_areas if a.category == Area.Category.THEME},
        programmes=by_kind,
        places=places_by_kind,
        index_page=index_page,
        record_page=record_page,
    )


def check_arguments(partners, entries, seed):
    problems = []
    if not isinstance(partners, int) or not 1 <= partners <= MAX_PARTNERS:
        problems.append(f"--partners must be a whole number from 1 to {MAX_PARTNERS}, not {partners}")
    if not isinstance(entries, int) or not 1 <= entries <= MAX_ENTRIES:
        problems.append(f"--entries must be a whole number from 1 to {MAX_ENTRIES:,}, not {entries}")
    if not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        problems.append(f"--seed must be a whole number from 0 to {MAX_SEED}, not {seed}")
    if problems:
        raise DemoDataError("; ".join(problems) + ".")


# --- Finding and deleting demo data -------------------------------------------------------------


def demo_source():
    return SourceDocument.objects.filter(slug=DEMO_SOURCE_SLUG).first()


def demo_querysets(source):
    """The demo partners and entries: those whose source is the demo document (and the entries of demo partners)."""
    partners = Partner.objects.filter(source=source)
    entries = CooperationEntry.objects.filter(Q(source=source) | Q(partner__source=source))
    return partners, entries


def existing_demo_counts():
    """(partners, entries) of the demo data in the database, or None if there is none."""
    source = demo_source()
    if source is None:
        return None
    partners, entries = demo_querysets(source)
    return partners.count(), entries.count()


def _object_ids(queryset):
    """A subquery of the primary keys as text, to match generic relations' object_id columns."""
    return queryset.annotate(object_key=Cast("pk", models.CharField())).values("object_key")


def delete_demo_data():
    """Delete every demo record and what hangs on it (pages, revisions, logs, index rows).

    Returns (partners, entries) deleted. Runs in the caller's transaction.
    """
    from cms.models import PartnerPage

    source = demo_source()
    if source is None:
        return 0, 0
    partners, entries = demo_querysets(source)
    counts = partners.count(), entries.count()

    page_ids = list(PartnerPage.objects.filter(partner__in=partners.values("pk")).values_list("pk", flat=True))
    # Treebeard's queryset delete: the tree (and parents' child counts) kept right, then Django's
    # collector with the signals that remove the pages' revisions, search and reference index rows.
    Page.objects.filter(pk__in=page_ids).delete()
    PageLogEntry.objects.filter(page_id__in=page_ids).delete()

    # Entries: everything that refers to them first, in a few set-based statements, then the rows.
    entry_type = ContentType.objects.get_for_model(CooperationEntry, for_concrete_model=False)
    entry_keys = _object_ids(entries)
    ModelLogEntry.objects.filter(content_type=entry_type, object_id__in=entry_keys).delete()
    ReferenceIndex.objects.filter(base_content_type=entry_type, object_id__in=entry_keys).delete()
    _delete_search_rows(CooperationEntry, entry_keys)
    WorkflowState.objects.filter(base_content_type=entry_type, object_id__in=entry_keys).delete()
    entries.update(latest_revision=None, live_revision=None)
    revisions = Revision.objects.filter(base_content_type=entry_type, object_id__in=entry_keys)
    TaskState.objects.filter(revision__in=revisions.values("pk")).delete()
    _raw_delete(revisions)
    for field in CooperationEntry._meta.many_to_many:
        _raw_delete(field.remote_field.through.objects.filter(cooperationentry__in=entries.values("pk")))
    # Nothing refers to the rows any more: delete them without loading 10,000 objects to send
    # 10,000 post_delete signals (whose work, the search and reference index rows, is done above).
    _raw_delete(CooperationEntry.objects.filter(pk__in=entries.values("pk")))

    partners.delete()
    source.delete()
    return counts


def _raw_delete(queryset):
    """One DELETE statement, without the collector loading rows to cascade or signal.

    Only for rows nothing else refers to any more (their dependants are deleted first).
    """
    return queryset._raw_delete(queryset.db)


def _delete_search_rows(model, object_keys):
    """Remove the rows of the database search backend (the only backend this project configures)."""
    from wagtail.search.models import IndexEntry

    content_type = ContentType.objects.get_for_model(model)
    # As the backend's own delete does; SQLite's full-text triggers follow.
    _raw_delete(IndexEntry.objects.filter(content_type=content_type, object_id__in=object_keys))


# --- Generating ---------------------------------------------------------------------------------


@dataclass
class Result:
    partners: int = 0
    pages: int = 0
    entries: int = 0
    replaced: tuple | None = None  # (partners, entries) deleted first
    seconds: float = 0.0


def generate_demo_data(partners=40, entries=10_000, seed=1, replace=False):
    """Add demo partners, their pages and entries in one transaction; see the module's docstring."""
    check_arguments(partners, entries, seed)
    started = time.perf_counter()
    hooks.search_for_hooks()  # the snippet registrations decide which models the reference index covers
    result = Result()
    with transaction.atomic():
        reference = load_reference()
        existing = existing_demo_counts()
        if existing is not None and not replace:
            raise DemoDataError(
                f"Demo data already exists ({existing[0]} partners, {existing[1]:,} entries). "
                "Use --replace to delete it and generate anew, or --delete to remove it."
            )
        if existing is not None:
            result.replaced = delete_demo_data()
        generator = DemoGenerator(reference, partners, entries, seed)
        generator.run()
        result.partners, result.pages, result.entries = (
            len(generator.partners),
            len(generator.pages),
            len(generator.entries),
        )
    result.seconds = time.perf_counter() - started
    return result


def in_place(place):
    """“ in Spain”, “ in the Baltic Sea”, “ in the Balkans”."""
    name = place.name
    if name.startswith("The "):
        return f" in the {name[4:]}"
    return f" in the {name}" if place.kind == Place.Kind.SEA else f" in {name}"


def _uuid(rng):
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _round_amount(value):
    """Two significant figures, as a stated amount would be: 1,234,567 → 1,200,000."""
    digits = len(str(int(value)))
    return Decimal(int(round(value, -max(digits - 2, 0))))


class DemoGenerator:
    def __init__(self, reference, partner_count, entry_count, seed):
        self.ref = reference
        self.partner_count = partner_count
        self.entry_count = entry_count
        self.seed = seed
        # One stream per concern, so that e.g. the pages do not shift the entries.
        self.partner_rng = random.Random(f"partnership-demo:{seed}:partners")
        self.page_rng = random.Random(f"partnership-demo:{seed}:pages")
        self.entry_rng = random.Random(f"partnership-demo:{seed}:entries")
        self.now = timezone.now()
        self.partners, self.pages, self.entries = [], [], []

    def run(self):
        self.source = SourceDocument.objects.create(
            slug=DEMO_SOURCE_SLUG,
            title=DEMO_SOURCE_TITLE,
            publisher=DEMO_PUBLISHER,
            last_updated=DEMO_DOCUMENT_DATE,
            text=demo_document_text(self.partner_count, self.entry_count, self.seed),
        )
        self.create_partners()
        self.create_pages()
        self.create_entries()

    # -- partners ---------------------------------------------------------------------------------

    def create_partners(self):
        rng = self.partner_rng
        taken_slugs = set(Partner.objects.filter(locale=self.ref.locale).values_list("slug", flat=True))
        taken_slugs |= set(self.ref.index_page.get_children().values_list("slug", flat=True))
        taken_names = {
            name.lower() for name in Partner.objects.filter(locale=self.ref.locale).values_list("name", flat=True)
        }
        frameworks = {f.slug: f for f in self.ref.frameworks}
        area_list = list(self.ref.areas.values())
        candidates = partner_candidates()
        self.partner_info = []  # (partner, its areas, the currency of its stated amounts or '')
        while len(self.partners) < self.partner_count:
            name, iso_code, framework_slug, currency = next(candidates)
            slug = slugify(name)
            if slug in taken_slugs or name.lower() in taken_names:
                continue  # e.g. Japan, or a partner an editor or a fixture added
            taken_slugs.add(slug)
            framework = (
                frameworks.get(framework_slug) or self.ref.frameworks[len(self.partners) % len(self.ref.frameworks)]
            )
            partner = Partner(
                locale=self.ref.locale,
                translation_key=_uuid(rng),
                name=name,
                slug=slug,
                framework=framework,
                iso_code=iso_code,
                source=self.source,
                source_section=ABOUT_SECTION,
                source_quote=ABOUT_SENTENCE,
            )
            areas = sorted(
                rng.sample(area_list, rng.randint(min(3, len(area_list)), len(area_list))), key=lambda a: a.slug
            )
            self.partners.append(partner)
            self.partner_info.append((partner, areas, currency if currency in CURRENCY_RATES else ""))
        Partner.objects.bulk_create(self.partners, batch_size=BATCH_SIZE)
        through = Partner.areas.through
        through.objects.bulk_create(
            [through(partner_id=p.pk, area_id=a.pk) for p, areas, _ in self.partner_info for a in areas],
            batch_size=BATCH_SIZE,
        )
        self.index_references(Partner, self.partners)

    # -- pages --------------------------------------------------------------------------------------

    def create_pages(self):
        from cms.models import PartnerPage

        rng = self.page_rng
        index_page = self.ref.index_page
        with deferred_search_indexing() as changed:
            for partner, areas, _currency in self.partner_info:
                page = PartnerPage(
                    title=f"Relations with {partner.name}",
                    slug=partner.slug,
                    locale=self.ref.locale,
                    translation_key=_uuid(rng),
                    search_description=f"Generated demo data: how NATO and {partner.name} might cooperate.",
                    partner=partner,
                    lead=self.page_lead(rng, partner, areas),
                    highlights=json.dumps(self.page_highlights(rng, partner, areas)),
                    body=json.dumps(self.page_body(rng, partner)),
                )
                index_page.add_child(instance=page)
                page.save_revision(log_action=True).publish(log_action=True)
                self.pages.append(page)
        # Published when the demo document was "last updated", as loaded pages are when theirs was.
        PartnerPage.objects.filter(pk__in=[p.pk for p in self.pages]).update(
            first_published_at=DEMO_DOCUMENT_DATE, last_published_at=DEMO_DOCUMENT_DATE
        )
        for instance in changed.values():
            search_index.insert_or_update_object(instance)

    @staticmethod
    def page_lead(rng, partner, areas):
        focus = rng.sample(areas, min(2, len(areas)))
        topics = " and ".join(area.name.lower() for area in focus)
        return (
            f"NATO and {partner.name} are developing {rng.choice(('close', 'practical', 'long-standing'))} "
            f"relations to address shared security challenges. Cooperation focuses on {topics}."
        )

    @staticmethod
    def page_highlights(rng, partner, areas):
        since = rng.choice(("the early 1990s", "the mid-1990s", "the late 1990s", "the 2000s", "2010"))
        listed = ", ".join(area.name.lower() for area in areas[:-1])
        listed = f"{listed} and {areas[-1].name.lower()}" if listed else areas[-1].name.lower()
        return [
            {
                "type": "highlight",
                "value": f"<p>This page and its cooperation entries are generated demo data, not a real account of "
                f"relations with {partner.name}.</p>",
                "id": str(_uuid(rng)),
            },
            {
                "type": "highlight",
                "value": f"<p>NATO and {partner.name} have been engaged in dialogue and cooperation since {since}.</p>",
                "id": str(_uuid(rng)),
            },
            {
                "type": "highlight",
                "value": f"<p>Practical cooperation is being developed in areas including {listed}.</p>",
                "id": str(_uuid(rng)),
            },
        ]

    def page_body(self, rng, partner):
        def block(type_, value):
            return {"type": type_, "value": value, "id": str(_uuid(rng))}

        body = [
            block("heading", {"text": "Key areas of cooperation", "level": "h2", "anchor": ""}),
            block("paragraph", f"<p>{partner.name}’s cooperation with NATO includes:</p>"),
        ]
        for heading, theme_slug, _sentences in SECTIONS:
            theme = self.ref.themes.get(theme_slug)
            if theme is not None:
                body.append(block("heading", {"text": heading, "level": "h3", "anchor": ""}))
                body.append(block("entries", {"area": theme.pk, "kind": "", "programme": None, "style": "prose"}))
        body.append(block("heading", {"text": "Milestones", "level": "h2", "anchor": ""}))
        body.append(block("timeline", {"title": f"Milestones in relations with {partner.name}", "kind": "milestone"}))
        return body

    # -- entries ------------------------------------------------------------------------------------

    def create_entries(self):
        rng = self.entry_rng
        kinds, kind_weights = zip(*KIND_WEIGHTS, strict=True)
        kind_weights = list(itertools.accumulate(kind_weights))
        # Some partners do much more with NATO than others.
        partner_weights = list(itertools.accumulate(rng.lognormvariate(0, 0.7) for _ in self.partner_info))
        taken = set(CooperationEntry.objects.filter(locale=self.ref.locale).values_list("slug", flat=True))
        relations = {name: [] for name in ("areas", "programmes", "places", "beneficiaries")}
        drafts = []
        for number in range(1, self.entry_count + 1):
            partner, partner_areas, currency = rng.choices(self.partner_info, cum_weights=partner_weights)[0]
            kind = rng.choices(kinds, cum_weights=kind_weights)[0]
            draft = self.compose(rng, number, partner, partner_areas, currency, kind)
            if draft["entry"].slug in taken:
                draft["entry"].slug = f"{draft['entry'].slug}-demo"
            drafts.append(draft)
        # Reading order of the demo document: by section and passage, then by date.
        far_future = datetime.date(9999, 12, 31)
        drafts.sort(key=lambda d: (d["passage"], d["entry"].start_date or far_future, d["number"]))
        for order, draft in enumerate(drafts, start=1):
            draft["entry"].source_order = order
        drafts.sort(key=lambda d: d["number"])
        self.entries = [draft["entry"] for draft in drafts]

        CooperationEntry.objects.bulk_create(self.entries, batch_size=BATCH_SIZE)
        for draft in drafts:
            for name in relations:
                relations[name].extend((draft["entry"].pk, obj.pk) for obj in draft[name])
        for field in get_all_child_m2m_relations(CooperationEntry):
            through = field.remote_field.through
            target = field.m2m_reverse_field_name()
            through.objects.bulk_create(
                [
                    through(cooperationentry_id=entry_id, **{f"{target}_id": pk})
                    for entry_id, pk in relations[field.name]
                ],
                batch_size=BATCH_SIZE,
            )
        self.create_revisions(drafts)
        self.index_references(CooperationEntry, self.entries)
        self.index_for_search(CooperationEntry, self.entries)

    def compose(self, rng, number, partner, partner_areas, currency, kind):
        """One entry's natural data, from the word lists."""
        section_index, sentence_index = rng.choice(KIND_PASSAGES[kind])
        heading, theme_slug, sentences = SECTIONS[section_index]
        start, start_precision, end, end_precision, ongoing = self.period(rng, kind)
        year = start.year if start else rng.randint(KIND_PERIODS[kind][0], LAST_YEAR)
        programmes = self.pick_programmes(rng, kind)
        places, beneficiaries = self.pick_places(rng, kind, partner)
        title, description = self.words(rng, kind, partner, programmes, places, beneficiaries, year)
        amount, entry_currency = None, ""
        if kind == "contribution" and rng.random() < 0.85:
            entry_currency = currency if currency and rng.random() < 0.5 else rng.choice(("EUR", "USD", "USD"))
            dollars = 10 ** rng.uniform(4.3, 7.7)
            amount = _round_amount(dollars * CURRENCY_RATES[entry_currency])
            description = f"{description} The contribution amounts to {entry_currency} {amount:,}."
        areas = []
        if theme_slug in self.ref.themes:
            areas.append(self.ref.themes[theme_slug])
        likely = [self.ref.areas[s] for s in KIND_AREAS[kind] if s in self.ref.areas]
        for _ in range(rng.choice((0, 1, 1, 1, 2))):
            pool = likely if likely and rng.random() < 0.6 else partner_areas
            area = rng.choice(pool)
            if area not in areas:
                areas.append(area)
        base = slugify(title)
        base = (base if base.startswith(partner.slug) else f"{partner.slug}-{base}")[:110].rstrip("-")
        entry = CooperationEntry(
            locale=self.ref.locale,
            translation_key=_uuid(rng),
            partner=partner,
            kind=kind,
            title=title[:255],
            slug=f"{base}-{number}",
            description=description,
            start_date=start,
            start_precision=start_precision,
            end_date=end,
            end_precision=end_precision,
            ongoing=ongoing,
            amount=amount,
            currency=entry_currency,
            source=self.source,
            source_section=heading,
            source_quote=sentences[sentence_index],
            live=True,
            has_unpublished_changes=False,
        )
        published = FIRST_PUBLICATION + datetime.timedelta(seconds=rng.randrange(PUBLICATION_SPAN_SECONDS))
        entry.first_published_at = entry.last_published_at = published
        entry.period_end = entry._derived_period_end()
        return {
            "number": number,
            "entry": entry,
            "passage": (section_index, sentence_index),
            "areas": areas,
            "programmes": programmes,
            "places": places,
            "beneficiaries": beneficiaries,
        }

    @staticmethod
    def period(rng, kind):
        """(start, start precision, end, end precision, ongoing) of every precision the site knows."""
        first_year, undated, ranged, open_ended = KIND_PERIODS[kind]
        if rng.random() < undated:
            return None, "", None, "", False
        year = rng.randint(first_year, LAST_YEAR)
        roll = rng.random()
        if year < 2010 and roll < 0.12:
            decade = year - year % 10
            precision = rng.choice(
                (Precision.DECADE, Precision.EARLY_DECADE, Precision.MID_DECADE, Precision.LATE_DECADE)
            )
            offset = {Precision.MID_DECADE: 4, Precision.LATE_DECADE: 7}.get(precision, 0)
            return datetime.date(decade + offset, 1, 1), precision.value, None, "", False
        if roll < 0.5:
            precision, start = Precision.YEAR, datetime.date(year, 1, 1)
        elif roll < 0.82:
            precision, start = Precision.MONTH, datetime.date(year, rng.randint(1, 12), 1)
        else:
            month = rng.randint(1, 12)
            precision = Precision.DAY
            start = datetime.date(year, month, rng.randint(1, calendar.monthrange(year, month)[1]))
        roll = rng.random()
        if roll < open_ended:
            return start, precision.value, None, "", True
        if roll < open_ended + ranged and year < LAST_YEAR:
            if precision == Precision.YEAR:
                end = datetime.date(min(year + rng.randint(1, 5), LAST_YEAR), 1, 1)
            elif precision == Precision.MONTH:
                months = start.month - 1 + rng.randint(1, 18)
                end = datetime.date(year + months // 12, months % 12 + 1, 1)
            else:
                end = start + datetime.timedelta(days=rng.randint(1, 45))
            return start, precision.value, end, precision.value, False
        return start, precision.value, None, "", False

    def pick_programmes(self, rng, kind):
        if kind in ("milestone", "exercise") and rng.random() < 0.7:
            return []
        pool = [p for programme_kind in KIND_PROGRAMMES[kind] for p in self.ref.programmes.get(programme_kind, [])]
        if not pool:
            return []
        programme = rng.choice(pool)
        # A platform belongs to its initiative (the Interoperability Platform to the PII): name both.
        if programme.parent_id and rng.random() < 0.8:
            parent = next((p for ps in self.ref.programmes.values() for p in ps if p.pk == programme.parent_id), None)
            if parent is not None:
                return [parent, programme]
        return [programme]

    def pick_places(self, rng, kind, partner):
        countries = [c for c in self.ref.places.get(Place.Kind.COUNTRY, []) if c.name != partner.name]
        seas = self.ref.places.get(Place.Kind.SEA, [])
        regions = self.ref.places.get(Place.Kind.REGION, [])
        if kind == "exercise":
            pool = rng.choice([pool for pool in (seas, seas, countries, regions) if pool] or [[]])
            return ([rng.choice(pool)] if pool else []), []
        if kind == "contribution" and countries:
            beneficiaries = rng.sample(countries, min(rng.choice((1, 1, 1, 2)), len(countries)))
            return list(beneficiaries), list(beneficiaries)
        if kind == "operation" and countries:
            if regions and rng.random() < 0.2:
                return [rng.choice(regions)], []
            country = rng.choice(countries)
            return [country], [country]
        if kind == "milestone" and countries and rng.random() < 0.3:
            return [rng.choice(countries)], []
        return [], []

    @staticmethod
    def words(rng, kind, partner, programmes, places, beneficiaries, year):
        """A title and a one- or two-sentence description."""
        name = partner.name
        programme = programmes[-1].name if programmes else ""
        topic = rng.choice(TOPICS)
        purpose = rng.choice(PURPOSES)
        if kind == "milestone":
            choice = rng.randrange(3)
            if choice == 0:
                agreement = rng.choice(AGREEMENTS).format(topic=topic)
                title = f"NATO and {name} sign a {agreement}"
                description = f"NATO and {name} signed a {agreement} {purpose}."
            elif choice == 1:
                meeting = rng.choice(MEETINGS)
                title = f"First {meeting} between NATO and {name}"
                description = f"NATO and {name} held their first {meeting}, on {topic}."
            else:
                title = rng.choice(VISITS).format(partner=name)
                description = f"The visit opened a new stage of dialogue, with {topic} high on the agenda."
            if places:
                description += f" It took place{in_place(places[0])}."
        elif kind == "programme":
            programme = programme or "Individual Partnership and Cooperation Programme"
            choice = rng.randrange(3)
            if choice == 0:
                title = f"Participation in the {programme}"
                description = f"{name} takes part in the {programme} {purpose}."
            elif choice == 1:
                title = f"{name} joins the {programme}"
                description = f"{name} joined the {programme}, with a focus on {topic}."
            else:
                title = f"{topic[0].upper()}{topic[1:]} project under the {programme}"
                description = f"A project on {topic} under the {programme}, {purpose}."
        elif kind == "contribution":
            beneficiary = beneficiaries[0].name if beneficiaries else "partner countries"
            aim = rng.choice(TRUST_FUND_AIMS)
            if programme and rng.random() < 0.5:
                title = f"{name} contributes to the {programme}"
                description = f"{name} contributed to the {programme} to help {beneficiary} {aim}."
            else:
                title = f"Trust Fund project to {aim} in {beneficiary}"
                description = f"{name} funded a Trust Fund project to {aim} in {beneficiary}."
        elif kind == "post":
            role = rng.choice(ROLES)
            body = programme or "NATO Headquarters"
            title = f"{role} at the {body}" if programme else f"{role} at NATO Headquarters"
            description = f"{name} has contributed a {role.lower()} to work at the {body}, on {topic}."
        elif kind == "exercise":
            unit = rng.choice(UNITS)
            exercise = f"{rng.choice(EXERCISE_FIRST)} {rng.choice(EXERCISE_SECOND)} {year}"
            where = in_place(places[0]) if places else ""
            title = f"{name} takes part in Exercise {exercise}"
            description = f"{name} sent {unit} to train with NATO forces{where} {purpose}."
        else:  # operation
            activity = rng.choice(OPERATION_ACTIVITIES)
            where = in_place(places[0]) if places else ""
            if programme and rng.random() < 0.5:
                forces = rng.choice(FORCES)
                title = f"{name} contributes {forces} to the {programme}"
                description = f"{name} contributed {forces} to the {programme}, supporting {activity}{where}."
            else:
                title = f"Support to {activity}{where}"
                description = f"{name} supported {activity}{where} {purpose}."
        return title, description

    # -- revisions, logs and indexes ----------------------------------------------------------------

    def create_revisions(self, drafts):
        """One revision per entry, published, and the log entries the admin history shows."""
        content_type = ContentType.objects.get_for_model(CooperationEntry, for_concrete_model=False)
        m2m_names = [field.name for field in get_all_child_m2m_relations(CooperationEntry)]
        revisions = []
        for draft in drafts:
            entry = draft["entry"]
            # What save_revision() stores: the fields and the parental relations, before publication.
            content = get_serializable_data_for_fields(entry)
            content.update(latest_revision=None, live_revision=None, first_published_at=None, last_published_at=None)
            for name in m2m_names:
                content[name] = [obj.pk for obj in draft[name]]
            revisions.append(
                Revision(
                    content_type=content_type,
                    base_content_type=content_type,
                    object_id=str(entry.pk),
                    created_at=self.now,
                    object_str=str(entry),
                    content=content,
                )
            )
        Revision.objects.bulk_create(revisions, batch_size=BATCH_SIZE)
        # Point every entry at its revision in one statement.
        revision_of_entry = models.Subquery(
            Revision.objects.filter(
                base_content_type=content_type,
                object_id=Cast(models.OuterRef("pk"), models.CharField()),
            )
            .order_by("-pk")
            .values("pk")[:1]
        )
        CooperationEntry.objects.filter(source=self.source).update(
            latest_revision=revision_of_entry, live_revision=revision_of_entry
        )
        logs = []
        for entry, revision in zip(self.entries, revisions, strict=True):
            entry.latest_revision_id = entry.live_revision_id = revision.pk
            for action in ("wagtail.edit", "wagtail.publish"):
                logs.append(
                    ModelLogEntry(
                        content_type=content_type,
                        label=str(entry),
                        action=action,
                        data={},
                        timestamp=self.now,
                        revision_id=revision.pk,
                        content_changed=True,
                        object_id=str(entry.pk),
                    )
                )
        ModelLogEntry.objects.bulk_create(logs, batch_size=BATCH_SIZE)

    @staticmethod
    def index_references(model, objects):
        """The reference-index rows Wagtail's save signal would have written (for the admin's usage counts)."""
        if not ReferenceIndex.is_indexed(model):
            return
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
        hashes = {}
        rows = []
        for obj in objects:
            for to_content_type_id, to_object_id, model_path, content_path in sorted(
                set(ReferenceIndex._extract_references_from_object(obj))
            ):
                if content_path not in hashes:
                    hashes[content_path] = ReferenceIndex._get_content_path_hash(content_path)
                rows.append(
                    ReferenceIndex(
                        content_type=content_type,
                        base_content_type=content_type,
                        object_id=str(obj.pk),
                        to_content_type_id=to_content_type_id,
                        to_object_id=to_object_id,
                        model_path=model_path,
                        content_path=content_path,
                        content_path_hash=hashes[content_path],
                    )
                )
        ReferenceIndex.objects.bulk_create(rows, batch_size=BATCH_SIZE)

    @staticmethod
    def index_for_search(model, objects):
        """Index in bulk, in every search backend that indexes saves as they happen."""
        for backend in get_search_backends(with_auto_update=True):
            for start in range(0, len(objects), BATCH_SIZE * 5):
                backend.add_bulk(model, objects[start : start + BATCH_SIZE * 5])
