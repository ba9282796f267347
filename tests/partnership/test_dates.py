import datetime

import pytest

from partnership.dates import FuzzyDate, InvalidFuzzyDate, Precision, format_period, precision_problem


@pytest.mark.parametrize(
    ("written", "first_day", "precision", "rendered", "last_day"),
    [
        ("the 1990s", "1990-01-01", Precision.DECADE, "the 1990s", "1999-12-31"),
        ("1990s", "1990-01-01", Precision.DECADE, "the 1990s", "1999-12-31"),
        ("the early 1990s", "1990-01-01", Precision.EARLY_DECADE, "the early 1990s", "1993-12-31"),
        ("early 1990s", "1990-01-01", Precision.EARLY_DECADE, "the early 1990s", "1993-12-31"),
        ("the mid-1990s", "1994-01-01", Precision.MID_DECADE, "the mid-1990s", "1996-12-31"),
        ("mid 1990s", "1994-01-01", Precision.MID_DECADE, "the mid-1990s", "1996-12-31"),
        ("the late 1990s", "1997-01-01", Precision.LATE_DECADE, "the late 1990s", "1999-12-31"),
        ("2014", "2014-01-01", Precision.YEAR, "2014", "2014-12-31"),
        ("April 2013", "2013-04-01", Precision.MONTH, "April 2013", "2013-04-30"),
        ("Feb 2012", "2012-02-01", Precision.MONTH, "February 2012", "2012-02-29"),
        ("2012-07", "2012-07-01", Precision.MONTH, "July 2012", "2012-07-31"),
        ("12 Sep. 2018", "2018-09-12", Precision.DAY, "12 September 2018", "2018-09-12"),
        ("2018-09-12", "2018-09-12", Precision.DAY, "12 September 2018", "2018-09-12"),
    ],
)
def test_parse_and_render_every_precision(written, first_day, precision, rendered, last_day):
    fuzzy = FuzzyDate.parse(written)
    assert fuzzy.date == datetime.date.fromisoformat(first_day)
    assert fuzzy.precision == precision
    assert str(fuzzy) == rendered
    assert fuzzy.last_day == datetime.date.fromisoformat(last_day)


def test_a_yaml_date_object_is_a_day():
    assert FuzzyDate.parse(datetime.date(2013, 4, 5)) == FuzzyDate(datetime.date(2013, 4, 5), Precision.DAY)


@pytest.mark.parametrize(
    "text", ["", "soon", "13/2013", "Smarch 2013", "the middle 1990s", "1995s", "2013-13", "2013-02-30"]
)
def test_unreadable_or_impossible_dates_are_refused_with_the_text(text):
    with pytest.raises(InvalidFuzzyDate) as error:
        FuzzyDate.parse(text)
    assert f"“{text}”" in str(error.value)


@pytest.mark.parametrize(
    ("date", "precision", "expected_words"),
    [
        ("2013-04-05", Precision.MONTH, "first of the month"),
        ("2013-04-01", Precision.YEAR, "1 January"),
        ("1991-01-01", Precision.DECADE, "1990-01-01"),
        ("1990-01-01", Precision.MID_DECADE, "1994-01-01"),
        ("1990-01-01", "fortnight", "not a date precision"),
    ],
)
def test_a_precision_that_contradicts_the_date_is_explained(date, precision, expected_words):
    problem = precision_problem(datetime.date.fromisoformat(date), precision)
    assert expected_words in problem
    with pytest.raises(InvalidFuzzyDate):
        FuzzyDate(datetime.date.fromisoformat(date), precision)


def test_consistent_dates_have_no_problem():
    assert precision_problem(datetime.date(1997, 1, 1), Precision.LATE_DECADE) == ""
    assert precision_problem(datetime.date(2013, 4, 1), Precision.MONTH) == ""
    assert precision_problem(datetime.date(2013, 4, 17), Precision.DAY) == ""


@pytest.mark.parametrize(
    ("start", "end", "ongoing", "rendered"),
    [
        (None, None, False, ""),
        ("April 2013", None, False, "April 2013"),
        ("2014", None, True, "since 2014"),
        ("the early 1990s", None, True, "since the early 1990s"),
        ("2009", "2013", False, "2009–2013"),
        ("April 2013", "July 2013", False, "April–July 2013"),
        ("April 2013", "July 2014", False, "April 2013 – July 2014"),
        ("the 1990s", "2003", False, "the 1990s – 2003"),
        ("2001", "the late 2000s", False, "2001 – late 2000s"),
        ("2013", "2013", False, "2013"),
    ],
)
def test_periods_render_as_the_document_writes_them(start, end, ongoing, rendered):
    start = FuzzyDate.parse(start) if start else None
    end = FuzzyDate.parse(end) if end else None
    assert format_period(start, end, ongoing) == rendered


def test_fuzzy_dates_sort_by_their_real_dates():
    written = ["2014", "the early 1990s", "April 2013", "the late 1990s", "July 2012", "the mid-1990s"]
    ordered = [str(d) for d in sorted(FuzzyDate.parse(w) for w in written)]
    assert ordered == ["the early 1990s", "the mid-1990s", "the late 1990s", "July 2012", "April 2013", "2014"]


# --- Periods typed as the document writes them (the entry form's “When” field) ------------------

from partnership.dates import Period, parse_period  # noqa: E402


def fuzzy(text):
    return FuzzyDate.parse(text)


@pytest.mark.parametrize(
    ("typed", "start", "end", "ongoing", "shown"),
    [
        ("the early 1990s", "the early 1990s", None, False, "the early 1990s"),
        ("April 2013", "April 2013", None, False, "April 2013"),
        ("since 2014", "2014", None, True, "since 2014"),
        ("Since 2014", "2014", None, True, "since 2014"),
        ("2009–2013", "2009", "2013", False, "2009–2013"),
        ("2009-2013", "2009", "2013", False, "2009–2013"),
        ("2009 — 2013", "2009", "2013", False, "2009–2013"),
        ("between 2009 and 2013", "2009", "2013", False, "2009–2013"),
        ("from 2009 to 2013", "2009", "2013", False, "2009–2013"),
        ("from March 2010", "March 2010", None, True, "since March 2010"),
        ("mid-2000s", "the mid-2000s", None, False, "the mid-2000s"),
        ("April–July 2013", "April 2013", "July 2013", False, "April–July 2013"),
        ("the early 1990s – mid-2000s", "the early 1990s", "the mid-2000s", False, "the early 1990s – mid-2000s"),
        ("in July 2012", "July 2012", None, False, "July 2012"),
        ("12 September 2018", "12 September 2018", None, False, "12 September 2018"),
        ("2013-04", "April 2013", None, False, "April 2013"),
    ],
)
def test_a_period_typed_as_the_document_writes_it(typed, start, end, ongoing, shown):
    period = parse_period(typed)
    assert period == Period(fuzzy(start), fuzzy(end) if end else None, ongoing)
    assert str(period) == shown


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Write the period as the document does"),
        ("soon", "“soon” is not a period this site can read"),
        ("since Smarch 2013", "In “since Smarch 2013”, “Smarch 2013” is not a date this site can read"),
        ("2009–20x3", "In “2009–20x3”, the end “20x3” is not a date this site can read"),
        ("2013–2009", "In “2013–2009” the end (2009) is before the start (2013)."),
        ("30 February 2013", "“30 February 2013” is not a real date."),
        ("since 2014–2016", "says both that the period has no end"),
    ],
)
def test_a_period_that_cannot_be_read_says_why(typed, message):
    with pytest.raises(InvalidFuzzyDate) as problem:
        parse_period(typed)
    assert message in str(problem.value)


def test_an_unreadable_period_shows_how_to_write_one():
    with pytest.raises(InvalidFuzzyDate) as problem:
        parse_period("last spring")
    assert "“since 2014”" in str(problem.value) and "“2009–2013”" in str(problem.value)


@pytest.mark.django_db
def test_every_loaded_period_reads_back_as_it_is_shown(loaded):
    """What the site shows (format_period) is what the form reads: no entry changes when saved as shown."""
    from partnership.models import CooperationEntry

    dated = CooperationEntry.objects.exclude(start_date=None)
    assert dated.count() == 7  # the facts the document dates
    for entry in dated:
        period = parse_period(entry.period_display)
        assert (period.start, period.end, period.ongoing) == (entry.start, entry.end, entry.ongoing), entry.slug
