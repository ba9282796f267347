"""Currencies and countries: the ISO 4217 and ISO 3166-1 codes (pycountry's copy of the
ISO lists), and stated amounts as readers see them (Babel, in the active language)."""

import functools

import pycountry
from babel import Locale
from babel.numbers import format_compact_decimal, format_decimal

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


@functools.lru_cache(maxsize=32)
def _word(locale, size):
    """The long word for ``size`` (10**6, 10**9) in ``locale``, plural: “million”, French “millions”."""
    pattern = Locale.parse(locale).compact_decimal_formats["long"]["other"][str(size)]
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
    elif amount < 999_995_000 or 10**9 <= amount < 999_995_000_000:
        number = format_compact_decimal(amount, format_type="long", fraction_digits=2, locale=locale)
    else:
        # Babel would write “1000 million” (no group separator) where the rounding reaches a thousand,
        # and go on to “trillion”; the site has always written “1,000 million” and “1,234.57 billion”.
        size = 10**9 if amount >= 10**9 else 10**6
        number = f"{format_decimal(amount / size, '#,##0.##', locale=locale)} {_word(locale, size)}"
    return f"{currency} {number}" if _code_first(locale) else f"{number}\u00a0{currency}"
