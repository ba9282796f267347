import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import Locale

from partnership.dates import Precision
from partnership.models import (
    Area,
    CooperationEntry,
    Framework,
    Partner,
    Place,
    Programme,
    SourceDocument,
)

pytestmark = pytest.mark.django_db

QUOTE = "Japan has designated a liaison officer to NATO’s Maritime Command."


@pytest.fixture
def source():
    return SourceDocument.objects.create(
        title="Relations with Japan", slug="relations", text=f"Intro. {QUOTE}  Another   sentence here."
    )


@pytest.fixture
def partner():
    framework = Framework.objects.create(name="Partners across the globe", slug="globe")
    return Partner.objects.create(name="Japan", slug="japan", framework=framework)


@pytest.fixture
def entry(source, partner):
    """A valid, unsaved entry; each test breaks one thing."""
    return CooperationEntry(
        partner=partner,
        kind=CooperationEntry.Kind.POST,
        title="Liaison officer",
        slug="liaison-officer",
        source=source,
        source_section="Building capabilities and interoperability",
        source_quote=QUOTE,
    )


def errors_of(instance):
    with pytest.raises(ValidationError) as error:
        instance.full_clean()
    return error.value.message_dict


def test_a_valid_entry_passes(entry):
    entry.full_clean()
    entry.save()
    assert entry.locale == Locale.get_default()
    assert entry.locale.language_code == "en"


def test_french_is_a_configured_locale():
    assert Locale.objects.filter(language_code="fr").exists()


def test_end_before_start_is_refused(entry):
    entry.start_date, entry.start_precision = datetime.date(2013, 1, 1), Precision.YEAR
    entry.end_date, entry.end_precision = datetime.date(2009, 1, 1), Precision.YEAR
    assert errors_of(entry)["end_date"] == ["The end (2009) is before the start (2013)."]


def test_end_in_the_same_year_as_a_month_start_is_allowed(entry):
    entry.start_date, entry.start_precision = datetime.date(2013, 4, 1), Precision.MONTH
    entry.end_date, entry.end_precision = datetime.date(2013, 1, 1), Precision.YEAR
    entry.full_clean()


def test_negative_amount_is_refused(entry):
    entry.amount, entry.currency = Decimal("-5"), "USD"
    assert errors_of(entry)["amount"] == ["An amount cannot be negative."]


def test_unknown_currency_is_refused(entry):
    entry.amount, entry.currency = Decimal("5"), "XYZ"
    assert "“XYZ” is not an ISO 4217 currency code" in errors_of(entry)["currency"][0]


def test_an_amount_needs_a_currency_and_a_currency_an_amount(entry):
    entry.amount = Decimal("5")
    assert "Give the currency" in errors_of(entry)["currency"][0]
    entry.amount, entry.currency = None, "USD"
    assert errors_of(entry)["amount"] == ["A currency needs an amount."]


def test_precision_contradicting_the_date_is_refused(entry):
    entry.start_date, entry.start_precision = datetime.date(2013, 4, 12), Precision.MONTH
    assert "first of the month" in errors_of(entry)["start_date"][0]
    entry.start_date, entry.start_precision = datetime.date(1992, 1, 1), Precision.EARLY_DECADE
    assert "1990-01-01" in errors_of(entry)["start_date"][0]


def test_a_date_needs_a_precision_and_a_precision_a_date(entry):
    entry.start_date = datetime.date(2013, 1, 1)
    assert "how precise" in errors_of(entry)["start_precision"][0]
    entry.start_date, entry.start_precision = None, Precision.YEAR
    assert errors_of(entry)["start_date"] == ["A precision needs a date."]


def test_open_end_rules(entry):
    entry.ongoing = True
    assert "needs a start date" in errors_of(entry)["ongoing"][0]
    entry.start_date, entry.start_precision = datetime.date(2014, 1, 1), Precision.YEAR
    entry.end_date, entry.end_precision = datetime.date(2015, 1, 1), Precision.YEAR
    assert "both be ongoing and have an end" in errors_of(entry)["ongoing"][0]


def test_an_end_needs_a_start(entry):
    entry.end_date, entry.end_precision = datetime.date(2015, 1, 1), Precision.YEAR
    assert errors_of(entry)["end_date"] == ["An end needs a start."]


def test_provenance_is_required_and_checked_against_the_document(entry):
    entry.source_quote = "Japan has designated an admiral to NATO."
    assert "Not found word for word" in errors_of(entry)["source_quote"][0]
    entry.source_quote = ""
    assert "Quote the sentence" in errors_of(entry)["source_quote"][0]
    entry.source = None
    assert "Name the document" in errors_of(entry)["source"][0]


def test_a_quote_may_span_lines_and_ignores_spacing(entry, source):
    entry.source_quote = "Intro.\nAnother sentence here."
    entry.full_clean()
    assert entry.source_sentences == ["Intro.", "Another sentence here."]


def test_slug_is_unique_per_locale(entry, partner, source):
    entry.save()
    twin = CooperationEntry(
        partner=partner,
        kind="post",
        title="Twin",
        slug=entry.slug,
        locale=entry.locale,
        source=source,
        source_section="x",
        source_quote=QUOTE,
    )
    # On the slug field, where the admin form shows it (not as an error of the whole form).
    assert "slug is already used" in errors_of(twin)["slug"][0]


def test_period_end_is_derived_for_year_filtering(entry):
    entry.start_date, entry.start_precision = datetime.date(2009, 1, 1), Precision.YEAR
    entry.end_date, entry.end_precision = datetime.date(2013, 1, 1), Precision.YEAR
    entry.save()
    assert entry.period_end == datetime.date(2013, 12, 31)
    entry.end_date, entry.end_precision, entry.ongoing = None, "", True
    entry.save()
    assert entry.period_end is None


def test_display_helpers(entry):
    entry.start_date, entry.start_precision = datetime.date(2009, 1, 1), Precision.YEAR
    entry.end_date, entry.end_precision = datetime.date(2013, 1, 1), Precision.YEAR
    entry.amount, entry.currency = Decimal("5000000000"), "USD"
    assert entry.period_display == "2009–2013"
    assert entry.amount_display == "USD 5 billion"
    entry.amount = Decimal("1500000")
    assert entry.amount_display == "USD 1.5 million"
    entry.amount = Decimal("12500")
    assert entry.amount_display == "USD 12,500"
    entry.amount = Decimal("12.50")
    assert entry.amount_display == "USD 12.50"


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("999999.99", "USD 999,999.99"),
        ("1000000", "USD 1 million"),
        ("1234567.89", "USD 1.23 million"),
        ("999994999.99", "USD 999.99 million"),
        # Where the rounding reaches a thousand, and past a thousand billion, the site's own words.
        ("999995000", "USD 1,000 million"),
        ("999999999.99", "USD 1,000 million"),
        ("1000000000", "USD 1 billion"),
        ("999999999999.99", "USD 1,000 billion"),
        ("1234567890123.45", "USD 1,234.57 billion"),
        ("9999999999999999.99", "USD 10,000,000 billion"),
    ],
)
def test_amounts_at_the_edges_of_words(entry, amount, shown):
    entry.amount, entry.currency = Decimal(amount), "USD"
    assert entry.amount_display == shown


def test_amounts_are_written_the_french_way_in_french():
    """The code where French puts a currency, after the number (a no-break space between), words and
    separators from Babel's French data."""
    from partnership.currencies import format_amount

    assert format_amount(Decimal("5000000000"), "EUR", locale="fr") == "5 milliards\u00a0EUR"
    assert format_amount(Decimal("1500000"), "EUR", locale="fr") == "1,5 million\u00a0EUR"
    assert format_amount(Decimal("12.50"), "EUR", locale="fr") == "12,50\u00a0EUR"
    assert format_amount(Decimal("12500"), "EUR", locale="fr") == "12\u202f500\u00a0EUR"
    assert format_amount(Decimal("999999999999.99"), "USD", locale="fr") == "1\u202f000 milliards\u00a0USD"
    # French takes the plural from the number written: one million, one and a half million, two millions.
    assert format_amount(Decimal("1000000000"), "USD", locale="fr") == "1 milliard\u00a0USD"
    assert format_amount(Decimal("1000000"), "USD", locale="fr") == "1 million\u00a0USD"
    assert format_amount(Decimal("1990000"), "USD", locale="fr") == "1,99 million\u00a0USD"
    assert format_amount(Decimal("2000000"), "USD", locale="fr") == "2 millions\u00a0USD"
    assert format_amount(Decimal("1000000000"), "USD", locale="en") == "USD 1 billion"


@pytest.mark.parametrize("code", ["XXX", "XTS", "ANG"])  # no currency, testing, withdrawn in 2025
def test_codes_that_are_no_currency_of_today_are_refused(entry, code):
    entry.amount, entry.currency = Decimal("5"), code
    assert f"“{code}” is not an ISO 4217 currency code" in errors_of(entry)["currency"][0]


def test_place_iso_code_rules():
    assert "two capital letters" in errors_of(Place(name="Japan", slug="japan", iso_code="jp"))["iso_code"][0]
    sea = Place(name="Baltic Sea", slug="baltic-sea", kind=Place.Kind.SEA, iso_code="BS")
    assert errors_of(sea)["iso_code"] == ["Only a country has an ISO 3166 code."]
    assert errors_of(Place(name="Nowhere", slug="nowhere", iso_code="QQ"))["iso_code"] == [
        "“QQ” is not an ISO 3166-1 country code (such as JP, UA)."
    ]
    Place(name="Japan", slug="japan", iso_code="JP").full_clean()


def test_partner_iso_code_must_be_a_country_of_iso_3166(partner):
    partner.iso_code = "ZZ"
    assert errors_of(partner)["iso_code"] == ["“ZZ” is not an ISO 3166-1 country code (such as JP, UA)."]
    partner.iso_code = "JP"
    partner.full_clean()


def test_partner_needs_a_framework_and_a_valid_iso_code():
    errors = errors_of(Partner(name="Japan", slug="japan", iso_code="JPN"))
    assert "framework" in errors and "iso_code" in errors


def test_area_quote_must_be_in_its_source(source):
    area = Area(name="Space", slug="space", source=source, source_quote="Space is the final frontier.")
    assert "Not found word for word" in errors_of(area)["source_quote"][0]
    assert "needs the document" in errors_of(Area(name="Space", slug="space", source_quote="x"))["source"][0]


def test_programme_cannot_belong_to_itself():
    parent = Programme.objects.create(name="PII", slug="pii", kind=Programme.Kind.INITIATIVE)
    child = Programme.objects.create(name="Platform", slug="platform", kind=Programme.Kind.PLATFORM, parent=parent)
    parent.parent = child
    assert errors_of(parent)["parent"] == ["A programme cannot belong to itself."]


def test_programme_kind_must_be_known():
    assert "kind" in errors_of(Programme(name="X", slug="x", kind="club"))


def test_entries_sort_and_filter_by_their_real_dates(loaded):
    chronological = [e.period_display for e in CooperationEntry.objects.exclude(start_date=None).chronological()]
    assert chronological == [
        "the early 1990s",
        "the 1990s",
        "2009–2013",
        "July 2012",
        "April 2013",
        "since 2014",
        "since 2014",
    ]
    # The 2009–2013 pledge overlaps 2011; open-ended entries run on; the 1990s do not reach 2011.
    in_2011 = set(CooperationEntry.objects.overlapping_years(2011, 2011).values_list("slug", flat=True))
    assert in_2011 == {"japan-pledge-for-afghanistan-2009-2013"}
    since_2013 = set(CooperationEntry.objects.overlapping_years(year_from=2013).values_list("slug", flat=True))
    assert since_2013 == {
        "japan-pledge-for-afghanistan-2009-2013",
        "japan-joint-political-declaration",
        "japan-individual-partnership-and-cooperation-programme",
        "japan-interoperability-platform",
    }
    in_1992 = set(CooperationEntry.objects.overlapping_years(1992, 1992).values_list("slug", flat=True))
    assert in_1992 == {"japan-initial-contacts", "japan-stabilising-the-balkans"}
    undated_excluded = CooperationEntry.objects.overlapping_years(1900, 2100).count()
    assert undated_excluded == 7


def test_a_programmes_aliases_and_names_are_lists_without_blanks_or_repeats():
    programme = Programme(
        name="Partnership for Peace",
        acronym="PfP",
        aliases="Partnership for Peace programme\n\n  PfP   programme \r\npfp programme\nPFP\n",
    )
    assert programme.alias_list == ["Partnership for Peace programme", "PfP programme", "PFP"]
    assert programme.names == [
        "Partnership for Peace",
        "PfP",
        "Partnership for Peace programme",
        "PfP programme",
    ]  # PFP is PfP
    assert Programme(name="X").alias_list == [] and Programme(name="X").names == ["X"]
