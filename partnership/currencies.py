"""Currencies and countries: the ISO 4217 and ISO 3166-1 codes (pycountry's copy of the
ISO lists), and stated amounts as readers see them (Babel, in the active language)."""

import functools

import pycountry
from babel import Locale
from babel.numbers import format_decimal

from .dates import active_language

# ISO 4217 list one (codes in current use, funds and units of account included), less the
# two codes ISO reserves for “testing” and “no currency”: neither can be what an amount is in.
ISO_4217_CODES = frozenset(currency.alpha_3 for currency in pycountry.currencies) - {"XTS", "XXX"}

# ISO 3166-1 alpha-2 codes of the countries and territories of today (JP, UA, …).
ISO_3166_CODES = frozenset(country.alpha_2 for country in pycountry.countries)


@functools.lru_cache(maxsize=32)
def _code_first(locale):
    """Whether ``locale`` writes the currency before the number (English “USD 5”) or after (French
    “5 USD”): where its CLDR currency pattern puts the sign ¤."""
    return Locale.parse(locale).currency_formats["standard"].pattern.lstrip("-").startswith("¤")


@functools.lru_cache(maxsize=64)
def _word(locale, size, plural):
    """The long word for ``size`` (10**6, 10**9) in ``locale`` for a number of plural category ``plural``
    (CLDR's "one", "other"): “million”; French “million” for 1,5 and “millions” for 5."""
    patterns = Locale.parse(locale).compact_decimal_formats["long"]
    pattern = patterns.get(plural, patterns["other"])[str(size)]
    return (pattern.prefix[0] + pattern.suffix[0]).strip()  # (positive, negative) affixes around the 0


def format_amount(amount, currency, locale=None):
    """An amount as readers see it: “USD 5 billion”, “EUR 1.5 million”, “USD 12,500”, “USD 12.50”;
    in French “5 milliards USD”, “1,5 million EUR”, “12 500 USD”.

    ``amount`` is a non-negative ``Decimal`` (two decimal places at most), ``currency`` an ISO 4217
    code, ``locale`` a Babel locale name (None: the active language). From a million up the number
    is in words, to two decimals at most; below, whole amounts have no decimals and others two. The
    code comes where the language puts a currency (Babel's currency pattern): before in English,
    after in French.
    """
    locale = locale or active_language()
    if amount < 10**6:
        pattern = "#,##0" if amount == amount.to_integral_value() else "#,##0.00"
        number = format_decimal(amount, pattern, locale=locale)
    else:
        # In words, to two decimals at most: “5 billion”, “1,000 million”, “1,234.57 billion”. Not Babel's
        # format_compact_decimal: it goes on to “trillion”, writes “1000 million”, and takes the plural
        # from the whole amount (French “1 milliards”) instead of from the number written.
        size = 10**9 if amount >= 10**9 else 10**6
        value = round(amount / size, 2)
        plural = Locale.parse(locale).plural_form(value)
        number = f"{format_decimal(value, '#,##0.##', locale=locale)} {_word(locale, size, plural)}"
    return f"{currency} {number}" if _code_first(locale) else f"{number}\u00a0{currency}"
