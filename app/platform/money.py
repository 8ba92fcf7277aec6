"""Money for display: integer minor units and an ISO 4217 currency, shown with Babel.

``format_money`` is the one helper every page, email and fragment uses, in the current request's
formatting locale (``app.platform.i18n.format_locale()``: "£45.00" in English, "45,00 £" in Spanish; an
email forces its recipient's). The Babel locale and
patterns are parsed once per process, and each (amount, currency, locale) is formatted once:
a page of 100 bookings shows a handful of distinct prices, and Babel's own formatting (locale
lookup, pattern application, rounding) was a fifth of My bookings' time.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.core import Locale
from babel.numbers import NumberPattern, format_currency, parse_pattern

from app.platform.i18n import format_locale

WHOLE_UNITS = "¤#,##0"  # "£45" rather than "£45.00", where a round price is enough (search cards)


@lru_cache(maxsize=16)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


@lru_cache(maxsize=4)
def _pattern(text: str) -> NumberPattern:
    return parse_pattern(text)


def format_money(minor: int, currency: str, *, locale: str | None = None, whole_units: bool = False) -> str:
    """``minor`` hundredths of ``currency`` as the locale writes it: 4500, "GBP" -> "£45.00"
    (``locale`` defaults to the request's: ``app.platform.i18n.format_locale()``).

    With ``whole_units``, a round amount drops its pennies ("£45"); any other keeps them."""
    return _format_money(minor, currency, locale or format_locale(), whole_units)


@lru_cache(maxsize=8192)
def _format_money(minor: int, currency: str, locale: str, whole_units: bool) -> str:
    amount = Decimal(minor) / 100
    if whole_units and minor % 100 == 0:
        return format_currency(
            amount, currency, locale=_locale(locale), format=_pattern(WHOLE_UNITS), currency_digits=False
        )
    return format_currency(amount, currency, locale=_locale(locale))
