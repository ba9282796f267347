"""Dates as documents write them: "the early 1990s", "April 2013", "since 2014".

A ``FuzzyDate`` is the first day of a period plus the precision that says how
long the period is. Storing the first day keeps SQL sorting right; the
precision gives back the words ("April 2013", not "1 April 2013") and the
last day, so that filtering by year uses the whole period.
"""

import calendar
import datetime
import functools
import re
from dataclasses import dataclass

from babel.dates import format_date, get_month_names
from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

# The language documents are read in (month names, “since”, “the early 1990s”): the importer's and
# the admin's period field parse English, whatever language dates are shown in.
PARSED_LANGUAGE = "en"


def active_language(language=None):
    """``language`` or, when None, the active one (``get_language()``; the site's default outside a
    request), as Babel's locale name: ``"en"``, ``"fr"``, ``"fr_CA"``."""
    return translation.to_locale(language or translation.get_language() or settings.LANGUAGE_CODE)


@functools.lru_cache(maxsize=4096)
def _formatted(date, pattern, locale):
    """``date`` in a CLDR ``pattern`` (“MMMM y”) in ``locale`` (a Babel locale name), by Babel; kept,
    since exports write thousands."""
    return format_date(date, pattern, locale=locale)


def _in_language(language, message, **values):
    """``message`` (a gettext msgid with %(name)s placeholders) translated into ``language``, filled in."""
    if language == translation.get_language():
        return gettext(message) % values  # the usual case, without switching languages row after row
    with translation.override(language):
        return gettext(message) % values


class Precision(models.TextChoices):
    DECADE = "decade", "Decade (the 1990s)"
    EARLY_DECADE = "early-decade", "Early part of a decade (the early 1990s)"
    MID_DECADE = "mid-decade", "Middle of a decade (the mid-1990s)"
    LATE_DECADE = "late-decade", "Late part of a decade (the late 1990s)"
    YEAR = "year", "Year (2014)"
    MONTH = "month", "Month (April 2013)"
    DAY = "day", "Day (12 September 2018)"


# Which years of a decade each part covers: (first, last) offsets.
DECADE_PARTS = {
    Precision.DECADE: (0, 9),
    Precision.EARLY_DECADE: (0, 3),
    Precision.MID_DECADE: (4, 6),
    Precision.LATE_DECADE: (7, 9),
}
# How a decade is written (gettext msgids: French “les années 1990”, “au début des années 1990”, …);
# ``DECADE_WORDS`` as the start of a period or on its own, ``DECADE_END_WORDS`` as the end of a
# range (English drops the article: “the early 1990s – mid-2000s”).
DECADE_WORDS = {
    Precision.DECADE: gettext_noop("the %(decade)ss"),
    Precision.EARLY_DECADE: gettext_noop("the early %(decade)ss"),
    Precision.MID_DECADE: gettext_noop("the mid-%(decade)ss"),
    Precision.LATE_DECADE: gettext_noop("the late %(decade)ss"),
}
DECADE_END_WORDS = {
    Precision.DECADE: gettext_noop("%(decade)ss"),
    Precision.EARLY_DECADE: gettext_noop("early %(decade)ss"),
    Precision.MID_DECADE: gettext_noop("mid-%(decade)ss"),
    Precision.LATE_DECADE: gettext_noop("late %(decade)ss"),
}
SINCE = gettext_noop("since %(start)s")  # an open-ended period: “since 2014”, French “depuis 2014”
# An open-ended period from a decade, whole sentences since French changes the article
# (“depuis le début des années 1990”, not “depuis au début des années 1990”).
SINCE_DECADE_WORDS = {
    Precision.DECADE: gettext_noop("since the %(decade)ss"),
    Precision.EARLY_DECADE: gettext_noop("since the early %(decade)ss"),
    Precision.MID_DECADE: gettext_noop("since the mid-%(decade)ss"),
    Precision.LATE_DECADE: gettext_noop("since the late %(decade)ss"),
}
# English month names read in documents, whole and abbreviated (“april”, “apr”, “sept”): month number.
MONTHS = {name.lower(): number for number, name in get_month_names("wide", locale="en").items()}
MONTHS.update({name.lower(): number for number, name in get_month_names("abbreviated", locale="en").items()})
MONTHS["sept"] = 9

_DECADE_RE = re.compile(r"^(?:the\s+)?(?:(early|mid|late)[\s-]+)?(\d{3}0)s$")
_YEAR_RE = re.compile(r"^(\d{4})$")
_ISO_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_ISO_DAY_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MONTH_YEAR_RE = re.compile(r"^([a-z]+)\.?\s+(\d{4})$")
_DAY_MONTH_YEAR_RE = re.compile(r"^(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})$")


class InvalidFuzzyDate(ValueError):
    """A date that cannot be read, or whose precision contradicts it."""


@dataclass(frozen=True, order=True)
class FuzzyDate:
    date: datetime.date
    precision: str

    def __post_init__(self):
        problem = precision_problem(self.date, self.precision)
        if problem:
            raise InvalidFuzzyDate(problem)

    @classmethod
    def parse(cls, text):
        """Read "early 1990s", "2014", "April 2013", "2013-04", "12 Sep. 2018", "2018-09-12"."""
        if isinstance(text, datetime.date):
            return cls(text, Precision.DAY)
        words = " ".join(str(text).strip().lower().split())
        try:
            if match := _DECADE_RE.match(words):
                part, decade = match.groups()
                precision = Precision(f"{part}-decade") if part else Precision.DECADE
                first = int(decade) + DECADE_PARTS[precision][0]
                return cls(datetime.date(first, 1, 1), precision)
            if match := _YEAR_RE.match(words):
                return cls(datetime.date(int(match[1]), 1, 1), Precision.YEAR)
            if match := _ISO_MONTH_RE.match(words):
                return cls(datetime.date(int(match[1]), int(match[2]), 1), Precision.MONTH)
            if match := _ISO_DAY_RE.match(words):
                return cls(datetime.date(int(match[1]), int(match[2]), int(match[3])), Precision.DAY)
            if (match := _MONTH_YEAR_RE.match(words)) and match[1] in MONTHS:
                return cls(datetime.date(int(match[2]), MONTHS[match[1]], 1), Precision.MONTH)
            if (match := _DAY_MONTH_YEAR_RE.match(words)) and match[2] in MONTHS:
                return cls(datetime.date(int(match[3]), MONTHS[match[2]], int(match[1])), Precision.DAY)
        except ValueError as error:  # e.g. month 13, 30 February, year 0
            raise InvalidFuzzyDate(f"“{text}” is not a real date ({error}).") from error
        raise InvalidFuzzyDate(
            f"“{text}” is not a date this site can read. Write it as the document does: "
            "“the early 1990s”, “1990s”, “2014”, “April 2013” (or 2013-04), “12 September 2018” (or 2018-09-12)."
        )

    @property
    def first_day(self):
        return self.date

    @property
    def last_day(self):
        if self.precision in DECADE_PARTS:
            decade = self.date.year - self.date.year % 10
            return datetime.date(decade + DECADE_PARTS[self.precision][1], 12, 31)
        if self.precision == Precision.YEAR:
            return datetime.date(self.date.year, 12, 31)
        if self.precision == Precision.MONTH:
            last = calendar.monthrange(self.date.year, self.date.month)[1]
            return datetime.date(self.date.year, self.date.month, last)
        return self.date

    @property
    def machine_readable(self):
        """The value for an HTML <time datetime>: as precise as the date is known."""
        if self.precision == Precision.DAY:
            return self.date.isoformat()
        if self.precision == Precision.MONTH:
            return self.date.strftime("%Y-%m")
        return f"{self.date.year:04d}"

    def __str__(self):
        return self.words()

    def words(self, language=None, as_end=False):
        """The date as readers read it in ``language`` (a Django language code; None: the active one):
        “the early 1990s”, “2014”, “April 2013”, “12 September 2018”; French “au début des années
        1990”, “avril 2013”, “12 septembre 2018”. ``as_end``: as the end of a range (“mid-2000s”)."""
        language = language or translation.get_language() or settings.LANGUAGE_CODE
        if self.precision in DECADE_WORDS:
            words = (DECADE_END_WORDS if as_end else DECADE_WORDS)[self.precision]
            return _in_language(language, words, decade=self.date.year - self.date.year % 10)
        if self.precision == Precision.YEAR:
            return str(self.date.year)
        if self.precision == Precision.MONTH:
            return _formatted(self.date, "MMMM y", active_language(language))  # “April 2013”
        return _formatted(self.date, "d MMMM y", active_language(language))  # “12 September 2018”


# Precision.values builds its list at each call; exports check thousands of dates.
_PRECISIONS = frozenset(Precision.values)


def precision_problem(date, precision):
    """Say why ``date`` cannot be the first day of a period of ``precision``, or return ''."""
    if precision not in _PRECISIONS:
        return f"“{precision}” is not a date precision (one of: {', '.join(Precision.values)})."
    precision = Precision(precision)
    if precision in DECADE_PARTS:
        decade = date.year - date.year % 10
        first_year = decade + DECADE_PARTS[precision][0]
        expected = datetime.date(first_year, 1, 1)
        if date != expected:
            words = _in_language(PARSED_LANGUAGE, DECADE_WORDS[precision], decade=decade)
            return f"For “{words}” the date must be {expected.isoformat()}, the first day of that period, not {date.isoformat()}."
    elif precision == Precision.YEAR and (date.month, date.day) != (1, 1):
        return f"A date precise to the year must be 1 January ({date.year}-01-01), not {date.isoformat()}."
    elif precision == Precision.MONTH and date.day != 1:
        return f"A date precise to the month must be the first of the month ({date.replace(day=1).isoformat()}), not {date.isoformat()}."
    return ""


def format_period(start, end=None, ongoing=False, language=None):
    """Render a period the way the document writes it, in ``language`` (None: the active one).

    ``start`` and ``end`` are FuzzyDates or None. Examples: "April 2013",
    "since 2014", "2009–2013", "April–July 2013", "the 1990s"; in French "avril 2013",
    "depuis 2014", "2009–2013", "avril–juillet 2013", "les années 1990" (month names from Babel,
    the other words through gettext).
    """
    if start is None:
        return ""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    if ongoing:
        if start.precision in SINCE_DECADE_WORDS:
            decade = start.date.year - start.date.year % 10
            return _in_language(language, SINCE_DECADE_WORDS[start.precision], decade=decade)
        return _in_language(language, SINCE, start=start.words(language))
    if end is None or end == start:
        return start.words(language)
    if start.precision == end.precision == Precision.YEAR:
        return f"{start.date.year}–{end.date.year}"
    if start.precision == end.precision == Precision.MONTH and start.date.year == end.date.year:
        # “April–July 2013”
        return f"{_formatted(start.date, 'MMMM', active_language(language))}–{end.words(language)}"
    return f"{start.words(language)} – {end.words(language, as_end=True)}"


@dataclass(frozen=True)
class Period:
    """A period read from words: a start, an optional end, and whether it is open-ended (“since …”)."""

    start: FuzzyDate
    end: FuzzyDate | None = None
    ongoing: bool = False

    def __str__(self):
        return format_period(self.start, self.end, self.ongoing)


PERIOD_EXAMPLES = (
    "“the early 1990s”, “mid-2000s”, “April 2013”, “12 September 2018”, “since 2014”, "
    "“from March 2010”, “2009–2013”, “April–July 2013”"
)
# Words that open a period and say it has no end yet, and words that only introduce one.
_OPEN_RE = re.compile(r"^(?:since|from|as of|starting(?: in)?)\s+(.+)$", re.IGNORECASE)
_LEAD_RE = re.compile(r"^(?:in|during|over|between|from)\s+(.+)$", re.IGNORECASE)
# What separates the two ends of a range: a dash of any kind, or a word.
_RANGE_SEPARATOR_RE = re.compile(r"\s*[-‐‑‒–—―]\s*|\s+(?:to|until|till|and)\s+", re.IGNORECASE)


def parse_period(text):
    """Read a period as documents write it; returns a ``Period``.

    "the early 1990s", "April 2013", "since 2014", "from March 2010" (open-ended), "2009–2013",
    "2009-2013", "between 2009 and 2013", "April–July 2013", "the early 1990s – mid-2000s" (what
    ``format_period`` writes reads back the same). Raises ``InvalidFuzzyDate`` with a message saying
    what could not be read, or why the period is impossible (an end before its start).
    """
    whole = " ".join(str(text).strip().split())
    words = whole.rstrip(".")
    if not words:
        raise InvalidFuzzyDate(f"Write the period as the document does: {PERIOD_EXAMPLES}.")
    if match := _OPEN_RE.match(words):
        if _split_range(match[1]) is None:
            return Period(_parse_one(match[1], whole), ongoing=True)
        if not words.lower().startswith("from "):  # “from 2009 to 2013” is a closed range, read below
            raise InvalidFuzzyDate(
                f"“{whole}” says both that the period has no end (“{words.split()[0]} …”) and when it ended: "
                "write “since 2014” or “2014–2016”."
            )
    elif match := _LEAD_RE.match(words):
        words = match[1]
    try:
        return Period(FuzzyDate.parse(words))
    except InvalidFuzzyDate as problem:
        parts = _split_range(words)
        if parts is None:
            if "not a real date" in str(problem):
                raise InvalidFuzzyDate(f"“{whole}” is not a real date.") from None
            raise InvalidFuzzyDate(
                f"“{whole}” is not a period this site can read. Write it as the document does: {PERIOD_EXAMPLES}."
            ) from None
    first, last = parts
    end = _parse_one(last, whole, "end")
    if first.lower() in MONTHS and end.precision in (Precision.MONTH, Precision.DAY):
        first = f"{first} {end.date.year}"  # “April–July 2013”: the start takes the end's year
    start = _parse_one(first, whole, "start")
    if end.last_day < start.first_day:
        raise InvalidFuzzyDate(
            f"In “{whole}” the end ({end.words(PARSED_LANGUAGE)}) is before the start ({start.words(PARSED_LANGUAGE)})."
        )
    return Period(start, end if end != start else None)


def _split_range(words):
    """The two sides of the first separator whose both sides look like dates, or None."""
    for match in _RANGE_SEPARATOR_RE.finditer(words):
        first, last = words[: match.start()].strip(), words[match.end() :].strip()
        # “mid-2000s” and “2013-04” hold dashes that separate nothing.
        if (
            not first
            or re.search(r"(?:^|\s)(?:mid|early|late)$", first, re.IGNORECASE)
            or re.fullmatch(r"\d{1,2}", last)
        ):
            continue
        if re.search(r"\d", last):
            first = re.sub(r"^(?:from|between)\s+", "", first, flags=re.IGNORECASE)
            return first, last
    return None


def _parse_one(part, whole, side=""):
    where = f"the {side} “{part}”" if side else f"“{part}”"
    try:
        return FuzzyDate.parse(part)
    except InvalidFuzzyDate as problem:
        if "not a real date" in str(problem):
            raise InvalidFuzzyDate(f"In “{whole}”, {where} is not a real date.") from None
        raise InvalidFuzzyDate(
            f"In “{whole}”, {where} is not a date this site can read. Write the period as the document does: "
            f"{PERIOD_EXAMPLES}."
        ) from None
