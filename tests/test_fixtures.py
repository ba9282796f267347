"""The fixtures hold every structured fact of the document, each once, each with its sentence, nothing invented.

The expectations below are written from the document and the design's table,
independently of the fixture files, so a fact dropped from or added to the
fixtures fails here.
"""

import re
from decimal import Decimal

import pytest

from partnership.models import Area, CooperationEntry, Partner, Programme, SourceDocument

from .conftest import SOURCE_TEXT

pytestmark = pytest.mark.django_db

# slug: (kind, words that must be in its quoted sentence, period as written, programmes, beneficiaries)
EXPECTED_ENTRIES = {
    # Milestones
    "japan-initial-contacts": ("milestone", "initial contacts in the early 1990s", "the early 1990s", [], []),
    "japan-joint-political-declaration": (
        "milestone",
        "joint political declaration signed in April 2013",
        "April 2013",
        [],
        [],
    ),
    "japan-tokyo-conference-on-afghanistan": (
        "milestone",
        "Tokyo Conference in July 2012",
        "July 2012",
        [],
        ["afghanistan"],
    ),
    # Programmes and frameworks
    "japan-individual-partnership-and-cooperation-programme": (
        "programme",
        "Since 2014, work is being taken forward through an Individual Partnership and Cooperation Programme",
        "since 2014",
        ["individual-partnership-and-cooperation-programme"],
        [],
    ),
    "japan-interoperability-platform": (
        "programme",
        "Japan participates in the Interoperability Platform",
        "since 2014",
        ["interoperability-platform", "partnership-interoperability-initiative"],
        [],
    ),
    "japan-science-for-peace-and-security": (
        "programme",
        "participation in the Science for Peace and Security Programme",
        "",
        ["science-for-peace-and-security-programme"],
        [],
    ),
    # Financial contributions
    "japan-pledge-for-afghanistan-2009-2013": (
        "contribution",
        "pledging US$5 billion",
        "2009–2013",
        [],
        ["afghanistan"],
    ),
    "japan-human-security-projects-afghanistan": (
        "contribution",
        "human security projects at grass roots level",
        "",
        [],
        ["afghanistan"],
    ),
    "japan-law-and-order-trust-fund-for-afghanistan": (
        "contribution",
        "Law and Order Trust Fund for Afghanistan",
        "",
        ["law-and-order-trust-fund-for-afghanistan"],
        ["afghanistan"],
    ),
    "japan-afghan-national-army-trust-fund": (
        "contribution",
        "the Afghan National Army Trust Fund",
        "",
        ["afghan-national-army-trust-fund"],
        ["afghanistan"],
    ),
    # The Balkans are a region: a place of these entries, not a beneficiary country.
    "japan-donor-to-balkans-recovery": ("contribution", "As a major donor nation", "", [], []),
    "japan-trust-fund-ammunition-afghanistan-tajikistan": (
        "contribution",
        "physical security of ammunitions in Afghanistan and Tajikistan",
        "",
        ["trust-fund-projects"],
        ["afghanistan", "tajikistan"],
    ),
    "japan-trust-fund-pesticides-moldova": (
        "contribution",
        "pesticides in Moldova",
        "",
        ["trust-fund-projects"],
        ["moldova"],
    ),
    "japan-trust-fund-ammunition-depot-georgia": (
        "contribution",
        "ammunition depot in Georgia",
        "",
        ["trust-fund-projects"],
        ["georgia"],
    ),
    "japan-trust-fund-contaminated-land-azerbaijan": (
        "contribution",
        "contaminated land in Azerbaijan",
        "",
        ["trust-fund-projects"],
        ["azerbaijan"],
    ),
    "japan-medical-rehabilitation-trust-fund-ukraine": (
        "contribution",
        "Medical Rehabilitation Trust Fund for Ukraine",
        "",
        ["medical-rehabilitation-trust-fund-for-ukraine"],
        ["ukraine"],
    ),
    # Personnel posts
    "japan-liaison-officer-maritime-command": (
        "post",
        "liaison officer to NATO’s Maritime Command",
        "",
        ["maritime-command"],
        [],
    ),
    "japan-expert-cyber-defence-centre-of-excellence": (
        "post",
        "an expert to work at the Cooperative Cyber Defence Centre of Excellence",
        "",
        ["cooperative-cyber-defence-centre-of-excellence"],
        [],
    ),
    "japan-officer-women-peace-and-security": (
        "post",
        "contributes an officer to work in the office of the Secretary General’s Special Representative for WPS",
        "",
        ["special-representative-for-women-peace-and-security"],
        [],
    ),
    # Exercises and training
    "japan-maritime-training-with-nato-ships": ("exercise", "trained with NATO ships", "", [], []),
    # Support to operations
    "japan-support-for-isaf-and-afghan-reconstruction": (
        "operation",
        "support for the International Security Assistance Force (ISAF)",
        "",
        ["international-security-assistance-force"],
        ["afghanistan"],
    ),
    "japan-stabilising-the-balkans": (
        "operation",
        "In the 1990s, Japan played a role in stabilising the Balkans",
        "the 1990s",
        [],
        [],
    ),
    "japan-disarmament-demobilisation-reintegration-afghanistan": (
        "operation",
        "disarm, demobilise and reintegrate former combatants",
        "",
        [],
        ["afghanistan"],
    ),
    "japan-afghanistan-peace-and-reintegration-program": (
        "operation",
        "reintegrate insurgents under the Afghanistan Peace and Reintegration Program",
        "",
        ["afghanistan-peace-and-reintegration-program"],
        ["afghanistan"],
    ),
}

# Sentences of the document that are narrative, not facts to record: the title,
# the date stamp, the lead, the photo caption and the headings.
NARRATIVE = [
    "Relations with Japan",
    "Last updated: 12 Sep. 2018 12:49",
    "NATO and Japan are currently strengthening relations to address shared security challenges.",
    "Stabilising Afghanistan has been a key focus of cooperation over the past decade.",
    "Joint press point by NATO Secretary General Jens Stoltenberg and the Prime Minister of Japan, Shinzo Abe",
    "Key areas of cooperation",
    "Japan’s cooperation with NATO is mutually beneficial and includes:",
]


def bullet_sentences():
    """Every sentence of every bullet in the document."""
    sentences = []
    for line in SOURCE_TEXT.splitlines():
        line = line.strip()
        if line.startswith("•") and not line.startswith("• Last updated"):
            text = " ".join(line.lstrip("• ").split())
            sentences.extend(re.split(r"(?<=\.)\s+(?=[A-Z])", text))
    return sentences


def test_there_is_exactly_one_entry_per_fact_and_nothing_else(loaded):
    assert set(CooperationEntry.objects.values_list("slug", flat=True)) == set(EXPECTED_ENTRIES)
    assert CooperationEntry.objects.count() == len(EXPECTED_ENTRIES) == 24


@pytest.mark.parametrize("slug", EXPECTED_ENTRIES)
def test_each_fact_is_recorded_with_its_source_sentence(loaded, slug):
    kind, words, period, programmes, beneficiaries = EXPECTED_ENTRIES[slug]
    entry = CooperationEntry.objects.get(slug=slug)
    assert entry.kind == kind
    assert entry.partner.slug == "japan"
    assert entry.source.slug == "nato-relations-with-japan-2018"
    assert entry.source_section
    assert entry.source_section in SOURCE_TEXT or entry.source_section == "Highlights"
    assert words in " ".join(entry.source_quote.split())
    for sentence in entry.source_sentences:
        assert entry.source.contains(sentence), sentence
    assert entry.period_display == period
    assert sorted(entry.programmes.values_list("slug", flat=True)) == sorted(programmes)
    assert sorted(entry.beneficiaries.values_list("slug", flat=True)) == sorted(beneficiaries)


def test_the_only_amount_is_the_one_the_document_states(loaded):
    with_amount = CooperationEntry.objects.exclude(amount=None)
    assert [(e.slug, e.amount, e.currency) for e in with_amount] == [
        ("japan-pledge-for-afghanistan-2009-2013", Decimal("5000000000.00"), "USD")
    ]


def test_a_date_is_recorded_exactly_where_the_quote_states_one(loaded):
    """Dated entries show their date in their sentence; undated ones have no year to miss."""
    for entry in CooperationEntry.objects.all():
        quote = " ".join(entry.source_quote.split()).replace("-", "–")
        if entry.period_display:
            written = entry.period_display.removeprefix("since ").removeprefix("the ")
            assert written in quote, (entry.slug, written)
        else:
            assert not re.search(r"\b(19|20)\d\d", quote), entry.slug


def test_exercise_places_and_post_bodies(loaded):
    exercise = CooperationEntry.objects.get(kind="exercise")
    assert sorted(exercise.places.values_list("slug", flat=True)) == ["baltic-sea", "spain"]
    assert set(exercise.areas.values_list("slug", flat=True)) == {
        "maritime-security",
        "capabilities-and-interoperability",
    }
    assert all(
        post.programmes.filter(kind=Programme.Kind.BODY).exists()
        for post in CooperationEntry.objects.filter(kind="post")
    )


def test_areas_and_themes_are_those_the_document_names(loaded):
    areas = set(Area.objects.filter(category="area").values_list("name", flat=True))
    assert areas == {
        "Cyber defence",
        "Maritime security",
        "Humanitarian assistance and disaster relief",
        "Non-proliferation",
        "Defence science and technology",
        "Women, peace and security",
    }
    for area in Area.objects.filter(category="area"):
        assert area.name.lower() in area.source_quote.lower()
    themes = set(Area.objects.filter(category="theme").values_list("name", flat=True))
    assert themes == {
        "Building capabilities and interoperability",
        "Support for NATO-led operations and missions",
        "Wider cooperation",
    }


def test_the_partner_record_carries_its_framework_and_areas(loaded):
    japan = Partner.objects.get(slug="japan")
    assert japan.framework.name == "Partners across the globe"
    assert "“partners across the globe”" in japan.source_quote
    assert japan.areas.count() == 6
    assert all(japan.source.contains(sentence) for sentence in japan.source_sentences)


def test_the_source_document_is_the_one_in_fixtures(loaded):
    source = SourceDocument.objects.get()
    assert source.text == SOURCE_TEXT
    assert source.last_updated.isoformat() == "2018-09-12T12:49:00+00:00"


def test_every_sentence_of_every_bullet_is_quoted_by_a_record(loaded):
    quoted = " ".join(
        " ".join(model.objects.values_list("source_quote", flat=True))
        for model in (CooperationEntry, Partner, Area, Programme)
    )
    quoted = " ".join(quoted.split())
    missing = [sentence for sentence in bullet_sentences() if sentence not in quoted]
    assert missing == []
    assert len(bullet_sentences()) == 20


def test_everything_else_in_the_document_is_narrative():
    remaining = SOURCE_TEXT
    for line in SOURCE_TEXT.splitlines():
        if line.strip().startswith("•"):
            remaining = remaining.replace(line, "")
    for heading in [
        "Building capabilities and interoperability",
        "Support for NATO-led operations and missions",
        "Wider cooperation",
    ]:
        remaining = remaining.replace(heading, "")
    for sentence in NARRATIVE:
        remaining = remaining.replace(sentence, "")
    assert remaining.replace("•", "").split() == []
