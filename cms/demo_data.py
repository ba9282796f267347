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

Partners and pages are made by factory_boy factories (``DemoPartnerFactory``,
``DemoPartnerPageFactory`` on wagtail-factories' ``PageFactory``), entries by the
model's constructor (``demo_entry``: a factory's per-object overhead was a minute at
100,000); every random choice is drawn from Faker's random generator through
``DemoProvider``, seeded with ``factory.random.reseed_random``.

Partners and pages are saved one by one (Wagtail's signals index them for search
and references; each page is published with ``save_revision().publish()``).
Entries are public exactly as loaded ones are — live, one revision each
(``latest_revision`` and ``live_revision`` point at it), the ``wagtail.edit`` and
``wagtail.publish`` log entries the admin history shows, reference-index and
search-index rows — but they are built unsaved and written with bulk inserts,
because ``save_revision().publish()`` costs about 36 ms an entry on SQLite (six
minutes for 10,000). What the bulk path writes comes from Wagtail's public API:
the revision's content is ``serializable_data()`` (on PostgreSQL the revisions' ids
are taken from their sequence first, so entries are inserted pointing at them:
``reserved_ids``), reference rows come from
``ReferenceIndex.create_or_update_for_object`` (called for one entry of each shape,
whose rows are the pattern for the others: ``DemoGenerator.index_references``) and
search rows from the search backends' ``add_bulk`` (what ``update_index`` calls;
``insert_or_update_object`` would cost about 7 ms an entry). On PostgreSQL the GIN
indexes of the entries and the search rows are built anew after those inserts, not row
by row (``gin_indexes_rebuilt``; the two tables stay locked until the commit).

Same arguments and same database before ⇒ the same data, apart from primary keys
and the times rows were written: every draw comes from the seeded generator,
reference records are taken in slug order, and even translation keys and block
ids are drawn from it.

Everything runs in one transaction: a refusal or a failure leaves the database
as it was.
"""

import calendar
import datetime
import gc
import itertools
import json
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import factory
import factory.random
import wagtail_factories
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker
from faker.providers import BaseProvider
from modelcluster.models import get_all_child_m2m_relations
from wagtail import hooks
from wagtail.models import Locale, ModelLogEntry, Page, PageLogEntry, ReferenceIndex, Revision
from wagtail.search.backends import get_search_backends
from wagtail.search.models import IndexEntry

from partnership.dates import Precision
from partnership.facet_index import record_changed
from partnership.models import Area, CooperationEntry, Framework, Partner, Place, Programme, SourceDocument

from .models import CooperationRecordPage, PartnerPage, PartnersIndexPage

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


def delete_demo_data():
    """Delete every demo record and what hangs on it (pages, revisions, logs, index rows).

    Returns (partners, entries) deleted. Runs in the caller's transaction. Only public
    ``QuerySet.delete()``: Django's collector follows the revisions and workflow states (generic
    relations) and sends the signals through which Wagtail removes search and reference rows.
    """
    source = demo_source()
    if source is None:
        return 0, 0
    partners, entries = demo_querysets(source)
    counts = partners.count(), entries.count()

    page_ids = list(PartnerPage.objects.filter(partner__in=partners.values("pk")).values_list("pk", flat=True))
    # Treebeard's queryset delete keeps the tree (and the parent's child count) right.
    Page.objects.filter(pk__in=page_ids).delete()
    PageLogEntry.objects.filter(page_id__in=page_ids).delete()

    # Log entries point at an entry by content type and text id, not by a relation: delete them first.
    entry_type = ContentType.objects.get_for_model(CooperationEntry, for_concrete_model=False)
    entry_keys = entries.annotate(object_key=Cast("pk", models.CharField())).values("object_key")
    ModelLogEntry.objects.filter(content_type=entry_type, object_id__in=entry_keys).delete()
    CooperationEntry.objects.filter(pk__in=list(entries.values_list("pk", flat=True))).delete()

    partners.delete()
    source.delete()
    return counts


# --- Generating ---------------------------------------------------------------------------------


@dataclass
class Result:
    partners: int = 0
    pages: int = 0
    entries: int = 0
    replaced: tuple | None = None  # (partners, entries) deleted first
    seconds: float = 0.0


def generate_demo_data(partners=40, entries=10_000, seed=1, replace=False):
    """Add demo partners, their pages and entries in one transaction; see the module's docstring.

    Returns a Result (counts, what --replace deleted, seconds taken). Raises DemoDataError on bad
    arguments, missing fixtures or demo data already there (unless ``replace``).
    """
    check_arguments(partners, entries, seed)
    started = time.perf_counter()
    hooks.search_for_hooks()  # the snippet registrations decide which models the reference index covers
    result = Result()
    with cyclic_collector_paused(), transaction.atomic():
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
        record_changed()  # its bulk inserts send no signal (partnership.facet_index)
        analyze_tables()
        result.partners, result.pages, result.entries = (
            len(generator.partners),
            len(generator.pages),
            len(generator.entries),
        )
    result.seconds = time.perf_counter() - started
    return result


@contextmanager
def cyclic_collector_paused():
    """Python's cyclic garbage collector paused for the block, then as it was before.

    The generator builds and keeps hundreds of thousands of objects (entries, their relations,
    revisions, log, reference and search rows) until its transaction ends: each automatic full
    collection walks all of them and frees next to nothing. That was 11 % of a 10,000-entry run,
    and the walks grow with the heap. Reference counting still frees what is dropped; the few
    cycles left wait for the collector's next pass after the block.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def analyze_tables():
    """Refresh the query planner's statistics after the bulk inserts (ANALYZE), within the transaction.

    Without statistics SQLite joins Wagtail's full-text search table the wrong way round, one FTS5
    query per indexed row: a search at 10,000 entries took 0.6 s instead of 1 ms. PostgreSQL's
    autovacuum would analyse the tables some time later; until then its plans for search are guesses.
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@contextmanager
def gin_indexes_rebuilt(*models):
    """On PostgreSQL, the GIN indexes of the models' tables dropped for the block, then built anew.

    The entries' trigram indexes (the record's ``?q=``) and the search rows' full-text ones keep a
    pending list of 64 kB (partnership.0012, cms.0009): written row by row, they were nine tenths of
    the time the entries' INSERTs took (14 s of 15 s for 20,000 entries); built over the whole table
    afterwards, under 2 s. Each is made again from its own definition (``pg_get_indexdef``, storage
    parameters included), in the caller's transaction: a failure leaves them as they were. Until the
    transaction ends the tables are locked (DROP INDEX), so others' reads of them wait. Elsewhere:
    nothing.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT index.indexrelid::regclass::text, pg_get_indexdef(index.indexrelid)"
            " FROM pg_index index JOIN pg_class class ON class.oid = index.indexrelid"
            " JOIN pg_am method ON method.oid = class.relam"
            " WHERE index.indrelid = ANY(%s::regclass[]) AND method.amname = 'gin' ORDER BY 1",
            [[model._meta.db_table for model in models]],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")  # the name as regclass gives it, quoted if need be
    yield
    # PostgreSQL builds no index on a table with foreign-key checks pending: run them now, not at COMMIT.
    connection.check_constraints()
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)


def reserved_ids(model, count):
    """``count`` new primary keys for ``model``'s rows, taken from its sequence, or None if not on PostgreSQL.

    Rows inserted with them may be pointed at before they exist: Django makes PostgreSQL's foreign keys
    deferred, checked when the transaction commits. Elsewhere the caller inserts the rows first.
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def in_place(place):
    """“ in Spain”, “ in the Baltic Sea”, “ in the Balkans”."""
    name = place.name
    if name.startswith("The "):
        return f" in the {name[4:]}"
    return f" in the {name}" if place.kind == Place.Kind.SEA else f" in {name}"


def round_amount(value):
    """Two significant figures, as a stated amount would be: 1,234,567 → 1,200,000."""
    digits = len(str(int(value)))
    return Decimal(int(round(value, -max(digits - 2, 0))))


def period_end(entry):
    """The last day an entry covers (what ``CooperationEntry.save()`` derives; bulk inserts skip save())."""
    if entry.ongoing or entry.start is None:
        return None
    return (entry.end or entry.start).last_day


# --- Faker: the vocabulary ------------------------------------------------------------------------


class DemoProvider(BaseProvider):
    """Faker provider of the demo vocabulary: kinds, periods, programmes, places, titles, pages' prose.

    Every method draws from ``self.generator.random``, Faker's shared generator, which
    ``factory.random.reseed_random(seed)`` seeds: one seed, one sequence of draws.
    """

    def cooperation_kind(self):
        return self.random_element(OrderedDict(KIND_WEIGHTS))

    def cooperation_passage(self, kind):
        """(section index, sentence index) in the demo document that an entry of this kind quotes."""
        return self.random_element(KIND_PASSAGES[kind])

    def cooperation_amount(self, kind, currency):
        """(amount, currency) of a contribution, (None, '') otherwise or when none is stated."""
        rng = self.generator.random
        if kind != "contribution" or rng.random() >= 0.85:
            return None, ""
        currency = currency if currency and rng.random() < 0.5 else rng.choice(("EUR", "USD", "USD"))
        dollars = 10 ** rng.uniform(4.3, 7.7)
        return round_amount(dollars * CURRENCY_RATES[currency]), currency

    def cooperation_areas(self, kind, theme, reference, partner_areas):
        """The theme of the quoted section (if any) and up to two practical areas."""
        rng = self.generator.random
        areas = [theme] if theme is not None else []
        likely = [reference.areas[s] for s in KIND_AREAS[kind] if s in reference.areas]
        for _ in range(rng.choice((0, 1, 1, 1, 2))):
            pool = likely if likely and rng.random() < 0.6 else partner_areas
            area = rng.choice(pool)
            if area not in areas:
                areas.append(area)
        return areas

    def partner_areas(self, areas):
        """At least three of the areas (or all), in slug order."""
        rng = self.generator.random
        return sorted(rng.sample(areas, rng.randint(min(3, len(areas)), len(areas))), key=lambda a: a.slug)

    def page_lead(self, partner, areas):
        rng = self.generator.random
        focus = rng.sample(areas, min(2, len(areas)))
        topics = " and ".join(area.name.lower() for area in focus)
        return (
            f"NATO and {partner.name} are developing {rng.choice(('close', 'practical', 'long-standing'))} "
            f"relations to address shared security challenges. Cooperation focuses on {topics}."
        )

    def page_highlights(self, partner, areas):
        """The raw StreamField data of a partner page's highlights."""
        since = self.random_element(("the early 1990s", "the mid-1990s", "the late 1990s", "the 2000s", "2010"))
        listed = ", ".join(area.name.lower() for area in areas[:-1])
        listed = f"{listed} and {areas[-1].name.lower()}" if listed else areas[-1].name.lower()
        texts = (
            f"<p>This page and its cooperation entries are generated demo data, not a real account of "
            f"relations with {partner.name}.</p>",
            f"<p>NATO and {partner.name} have been engaged in dialogue and cooperation since {since}.</p>",
            f"<p>Practical cooperation is being developed in areas including {listed}.</p>",
        )
        return [{"type": "highlight", "value": text, "id": self.generator.uuid4()} for text in texts]

    def page_body(self, partner, themes):
        """The raw StreamField data of a partner page's body: the themes' entries, then a timeline."""

        def block(type_, value):
            return {"type": type_, "value": value, "id": self.generator.uuid4()}

        body = [
            block("heading", {"text": "Key areas of cooperation", "level": "h2", "anchor": ""}),
            block("paragraph", f"<p>{partner.name}’s cooperation with NATO includes:</p>"),
        ]
        for heading, theme_slug, _sentences in SECTIONS:
            theme = themes.get(theme_slug)
            if theme is not None:
                body.append(block("heading", {"text": heading, "level": "h3", "anchor": ""}))
                body.append(block("entries", {"area": theme.pk, "kind": "", "programme": None, "style": "prose"}))
        body.append(block("heading", {"text": "Milestones", "level": "h2", "anchor": ""}))
        body.append(block("timeline", {"title": f"Milestones in relations with {partner.name}", "kind": "milestone"}))
        return body

    def cooperation_period(self, kind):
        """(start, start precision, end, end precision, ongoing) of every precision the site knows."""
        rng = self.generator.random
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

    def cooperation_programmes(self, kind, reference):
        """The programmes, funds or bodies an entry names: [], [programme] or [initiative, platform]."""
        rng = self.generator.random
        if kind in ("milestone", "exercise") and rng.random() < 0.7:
            return []
        pool = [p for programme_kind in KIND_PROGRAMMES[kind] for p in reference.programmes.get(programme_kind, [])]
        if not pool:
            return []
        programme = rng.choice(pool)
        # A platform belongs to its initiative (the Interoperability Platform to the PII): name both.
        if programme.parent_id and rng.random() < 0.8:
            parent = next((p for ps in reference.programmes.values() for p in ps if p.pk == programme.parent_id), None)
            if parent is not None:
                return [parent, programme]
        return [programme]

    def cooperation_places(self, kind, reference, partner):
        """(places, beneficiaries): where an entry took place and which countries it helped."""
        rng = self.generator.random
        countries = [c for c in reference.places.get(Place.Kind.COUNTRY, []) if c.name != partner.name]
        seas = reference.places.get(Place.Kind.SEA, [])
        regions = reference.places.get(Place.Kind.REGION, [])
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

    def cooperation_words(self, kind, partner, programmes, places, beneficiaries, year):
        """A title and a one- or two-sentence description."""
        rng = self.generator.random
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


fake = Faker()
fake.add_provider(DemoProvider)
factory.Faker.add_provider(DemoProvider)


# --- Factories ----------------------------------------------------------------------------------


class DemoSourceFactory(factory.django.DjangoModelFactory):
    """The demo document, whose text holds every sentence the demo records quote."""

    class Meta:
        model = SourceDocument

    class Params:
        partners = 40
        entries = 10_000
        seed = 1

    slug = DEMO_SOURCE_SLUG
    title = DEMO_SOURCE_TITLE
    publisher = DEMO_PUBLISHER
    last_updated = DEMO_DOCUMENT_DATE
    text = factory.LazyAttribute(lambda o: demo_document_text(o.partners, o.entries, o.seed))


class DemoPartnerFactory(factory.django.DjangoModelFactory):
    """A demo partner, saved (so Wagtail's signals index it for the admin's choosers).

    Give ``reference`` (a Reference), ``name``, ``framework``, ``source`` and ``areas``.
    """

    class Meta:
        model = Partner
        skip_postgeneration_save = True

    class Params:
        reference = None

    locale = factory.SelfAttribute("reference.locale")
    translation_key = factory.Faker("uuid4", cast_to=None)
    name = "Partner country"
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    iso_code = ""
    source_section = ABOUT_SECTION
    source_quote = ABOUT_SENTENCE

    @factory.post_generation
    def areas(partner, create, extracted, **kwargs):
        if create and extracted:
            partner.areas.set(extracted)


class DemoPartnerPageFactory(wagtail_factories.PageFactory):
    """A partner's relation page, added under ``parent`` (not yet published).

    Give ``parent``, ``reference``, ``partner`` and ``areas`` (the partner's areas).
    """

    class Meta:
        model = PartnerPage

    class Params:
        reference = None
        areas = ()

    title = factory.LazyAttribute(lambda o: f"Relations with {o.partner.name}")
    slug = factory.SelfAttribute("partner.slug")
    locale = factory.SelfAttribute("reference.locale")
    translation_key = factory.Faker("uuid4", cast_to=None)
    search_description = factory.LazyAttribute(
        lambda o: f"Generated demo data: how NATO and {o.partner.name} might cooperate."
    )
    lead = factory.LazyAttribute(lambda o: fake.page_lead(o.partner, o.areas))
    highlights = factory.LazyAttribute(lambda o: json.dumps(fake.page_highlights(o.partner, o.areas)))
    body = factory.LazyAttribute(lambda o: json.dumps(fake.page_body(o.partner, o.reference.themes)))


def demo_entry(reference, number, partner, partner_areas, partner_currency, source):
    """A published demo entry, unsaved, with its relations held in memory (modelcluster).

    Built with the model's constructor, not a factory: at 100,000 entries factory_boy's resolution of
    some thirty declarations an entry cost about a minute. Every draw comes from ``fake``'s seeded
    generator, in a fixed order. ``partner_currency``: that of the partner's stated amounts, or ''.
    """
    kind = fake.cooperation_kind()
    translation_key = fake.uuid4(cast_to=None)
    section_index, quote_index = fake.cooperation_passage(kind)
    heading, theme_slug, quotes = SECTIONS[section_index]
    start, start_precision, end, end_precision, ongoing = fake.cooperation_period(kind)
    year = start.year if start else fake.random_int(KIND_PERIODS[kind][0], LAST_YEAR)
    programmes = fake.cooperation_programmes(kind, reference)
    places, beneficiaries = fake.cooperation_places(kind, reference, partner)
    title, description = fake.cooperation_words(kind, partner, programmes, places, beneficiaries, year)
    amount, currency = fake.cooperation_amount(kind, partner_currency)
    areas = fake.cooperation_areas(kind, reference.themes.get(theme_slug), reference, partner_areas)
    published = fake.date_time_between(
        start_date=FIRST_PUBLICATION,
        end_date=FIRST_PUBLICATION + datetime.timedelta(seconds=PUBLICATION_SPAN_SECONDS),
        tzinfo=datetime.UTC,
    )
    base = slugify(title)
    base = (base if base.startswith(partner.slug) else f"{partner.slug}-{base}")[:110].rstrip("-")
    if amount is not None:
        description = f"{description} The contribution amounts to {currency} {amount:,}."
    return CooperationEntry(
        locale=reference.locale,
        translation_key=translation_key,
        partner=partner,
        source=source,
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
        currency=currency,
        source_section=heading,
        source_quote=quotes[quote_index],
        live=True,
        has_unpublished_changes=False,
        first_published_at=published,
        last_published_at=published,
        areas=areas,
        programmes=programmes,
        places=places,
        beneficiaries=beneficiaries,
    )


# --- The generator ------------------------------------------------------------------------------


class DemoGenerator:
    def __init__(self, reference, partner_count, entry_count, seed):
        self.ref = reference
        self.partner_count = partner_count
        self.entry_count = entry_count
        self.seed = seed
        self.now = timezone.now()
        self.partners, self.pages, self.entries = [], [], []

    def run(self):
        factory.random.reseed_random(f"partnership-demo:{self.seed}")
        self.source = DemoSourceFactory(partners=self.partner_count, entries=self.entry_count, seed=self.seed)
        self.create_partners()
        self.create_pages()
        with gin_indexes_rebuilt(CooperationEntry, IndexEntry):
            self.create_entries()

    def create_partners(self):
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
            areas = fake.partner_areas(area_list)
            partner = DemoPartnerFactory(
                reference=self.ref,
                name=name,
                framework=framework,
                iso_code=iso_code,
                source=self.source,
                areas=areas,
            )
            # The areas were set after the save that indexed the partner's references.
            ReferenceIndex.create_or_update_for_object(partner)
            self.partners.append(partner)
            self.partner_info.append((partner, areas, currency if currency in CURRENCY_RATES else ""))

    def create_pages(self):
        for partner, areas, _currency in self.partner_info:
            page = DemoPartnerPageFactory(parent=self.ref.index_page, reference=self.ref, partner=partner, areas=areas)
            page.save_revision(log_action=True).publish(log_action=True)
            self.pages.append(page)
        # Published when the demo document was "last updated", as loaded pages are when theirs was.
        PartnerPage.objects.filter(pk__in=[p.pk for p in self.pages]).update(
            first_published_at=DEMO_DOCUMENT_DATE, last_published_at=DEMO_DOCUMENT_DATE
        )

    def create_entries(self):
        rng = fake.random
        # Some partners do much more with NATO than others.
        partner_weights = list(itertools.accumulate(rng.lognormvariate(0, 0.7) for _ in self.partner_info))
        taken = set(CooperationEntry.objects.filter(locale=self.ref.locale).values_list("slug", flat=True))
        entries = []
        for number in range(1, self.entry_count + 1):
            partner, partner_areas, currency = rng.choices(self.partner_info, cum_weights=partner_weights)[0]
            entry = demo_entry(self.ref, number, partner, partner_areas, currency, self.source)
            if entry.slug in taken:
                entry.slug = f"{entry.slug}-demo"
            entry.period_end = period_end(entry)
            entries.append(entry)
        # Reading order of the demo document: by section and passage, then by date.
        passages = {
            (heading, quote): (s, q)
            for s, (heading, _, quotes) in enumerate(SECTIONS)
            for q, quote in enumerate(quotes)
        }
        far_future = datetime.date(9999, 12, 31)
        in_order = sorted(
            enumerate(entries),
            key=lambda n_e: (
                passages[n_e[1].source_section, n_e[1].source_quote],
                n_e[1].start_date or far_future,
                n_e[0],
            ),
        )
        for order, (_number, entry) in enumerate(in_order, start=1):
            entry.source_order = order
        self.entries = entries

        # Each entry points at its revision from the start when the revisions' ids can be taken first.
        revision_ids = reserved_ids(Revision, len(entries))
        if revision_ids is not None:
            for entry, revision_id in zip(entries, revision_ids, strict=True):
                entry.latest_revision_id = entry.live_revision_id = revision_id
        CooperationEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
        for field in get_all_child_m2m_relations(CooperationEntry):
            through = field.remote_field.through
            target = field.m2m_reverse_field_name()
            through.objects.bulk_create(
                [
                    through(cooperationentry_id=entry.pk, **{f"{target}_id": obj.pk})
                    for entry in entries
                    for obj in getattr(entry, field.name).all()
                ],
                batch_size=BATCH_SIZE,
            )
        self.create_revisions(entries, revision_ids)
        self.index_references(entries)
        for backend in get_search_backends(with_auto_update=True):
            for start in range(0, len(entries), BATCH_SIZE * 10):
                backend.add_bulk(CooperationEntry, entries[start : start + BATCH_SIZE * 10])

    def index_references(self, entries):
        """The entries' reference-index rows, what ``ReferenceIndex.create_or_update_for_object`` writes, in bulk.

        That call costs two queries an entry (it reads the entry's rows, then inserts them): about
        two minutes for 100,000 entries. An entry's references are its foreign keys (its partner,
        its source): Wagtail's call indexes one entry of each shape (which foreign keys are set),
        and its rows are the pattern for the others, with their own object id and targets. A shape
        whose rows are not all plain foreign keys (``model_path`` a foreign key's name, pointing at
        its value) is indexed by Wagtail's call, entry by entry.
        """
        foreign_keys = {field.name: field for field in CooperationEntry._meta.concrete_fields if field.many_to_one}
        shapes = {}
        for entry in entries:
            shape = tuple(getattr(entry, field.attname) is None for field in foreign_keys.values())
            shapes.setdefault(shape, []).append(entry)
        rows = []
        for group in shapes.values():
            first, others = group[0], group[1:]
            ReferenceIndex.create_or_update_for_object(first)
            pattern = list(ReferenceIndex.get_references_for_object(first))
            if not all(
                ref.model_path == ref.content_path
                and ref.model_path in foreign_keys
                and ref.to_object_id == str(getattr(first, foreign_keys[ref.model_path].attname))
                for ref in pattern
            ):
                for entry in others:
                    ReferenceIndex.create_or_update_for_object(entry)
                continue
            rows += [
                ReferenceIndex(
                    content_type_id=ref.content_type_id,
                    base_content_type_id=ref.base_content_type_id,
                    object_id=str(entry.pk),
                    to_content_type_id=ref.to_content_type_id,
                    to_object_id=str(getattr(entry, foreign_keys[ref.model_path].attname)),
                    model_path=ref.model_path,
                    content_path=ref.content_path,
                    content_path_hash=ref.content_path_hash,
                )
                for entry in others
                for ref in pattern
            ]
        ReferenceIndex.objects.bulk_create(rows, batch_size=BATCH_SIZE)

    def create_revisions(self, entries, revision_ids=None):
        """One revision per entry, what save_revision() stores, published; the logs the admin history shows.

        ``revision_ids``: the revisions' primary keys, which the entries already point at (see
        ``reserved_ids``), or None: then every entry is pointed at its revision afterwards, in one UPDATE.
        """
        # What save_revision() serialises: the entry as it was before it pointed at the new revision.
        revisions = [
            Revision(
                pk=revision_id,
                content_object=entry,
                base_content_type=entry.get_base_content_type(),
                content={**entry.serializable_data(), "latest_revision": None, "live_revision": None},
                object_str=str(entry),
                created_at=self.now,
            )
            for entry, revision_id in zip(entries, revision_ids or itertools.repeat(None), strict=False)
        ]
        Revision.objects.bulk_create(revisions, batch_size=BATCH_SIZE)
        content_type = ContentType.objects.get_for_model(CooperationEntry, for_concrete_model=False)
        if revision_ids is None:
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
        for entry, revision in zip(entries, revisions, strict=True):
            entry.latest_revision = entry.live_revision = revision
            for action in ("wagtail.edit", "wagtail.publish"):
                logs.append(
                    ModelLogEntry(
                        content_type=content_type,
                        label=str(entry),
                        action=action,
                        data={},
                        timestamp=self.now,
                        revision=revision,
                        content_changed=True,
                        object_id=str(entry.pk),
                    )
                )
        ModelLogEntry.objects.bulk_create(logs, batch_size=BATCH_SIZE)
