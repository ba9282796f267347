"""Currencies and countries: the ISO 4217 and ISO 3166-1 codes (pycountry's copy of the
ISO lists), and stated amounts as readers see them (Babel, in the site's language)."""

import pycountry
from babel.numbers import format_compact_decimal, format_decimal

LOCALE = "en"  # the language amounts are written in; Babel writes any other (“fr”) the same way

# ISO 4217 list one (codes in current use, funds and units of account included), less the
# two codes ISO reserves for “testing” and “no currency”: neither can be what an amount is in.
ISO_4217_CODES = frozenset(currency.alpha_3 for currency in pycountry.currencies) - {"XTS", "XXX"}

# ISO 3166-1 alpha-2 codes of the countries and territories of today (JP, UA, …).
ISO_3166_CODES = frozenset(country.alpha_2 for country in pycountry.countries)


def format_amount(amount, currency, locale=LOCALE):
    """An amount as readers see it: “USD 5 billion”, “EUR 1.5 million”, “USD 12,500”, “USD 12.50”.

    ``amount`` is a non-negative ``Decimal`` (two decimal places at most), ``currency`` an ISO 4217
    code. From a million up the number is in words, to two decimals at most; below, whole amounts
    have no decimals and others two. The code comes first whatever the locale (“EUR 1,5 million”
    in French).
    """
    if amount < 10**6:
        pattern = "#,##0" if amount == amount.to_integral_value() else "#,##0.00"
        return f"{currency} {format_decimal(amount, pattern, locale=locale)}"
    if amount < 999_995_000 or 10**9 <= amount < 999_995_000_000:
        return f"{currency} {format_compact_decimal(amount, format_type='long', fraction_digits=2, locale=locale)}"
    # Babel would write “1000 million” (no group separator) where the rounding reaches a thousand,
    # and go on to “trillion”; the site has always written “1,000 million” and “1,234.57 billion”.
    size, word = (10**9, "billion") if amount >= 10**9 else (10**6, "million")
    return f"{currency} {format_decimal(amount / size, '#,##0.##', locale=locale)} {word}"
