"""format_money, the one money helper: the same text Babel gives, whatever the amount."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency
from hypothesis import given
from hypothesis import strategies as st

from app.platform.money import format_money

CURRENCIES = st.sampled_from(["GBP", "EUR", "USD", "CHF", "SEK"])
AMOUNTS = st.integers(min_value=-(10**9), max_value=10**12)


@given(AMOUNTS, CURRENCIES)
def test_format_money_writes_what_babel_writes(minor, currency):
    assert format_money(minor, currency) == format_currency(Decimal(minor) / 100, currency, locale="en_GB")


@given(AMOUNTS, CURRENCIES)
def test_whole_units_drop_only_zero_pennies(minor, currency):
    text = format_money(minor, currency, whole_units=True)
    if minor % 100:
        assert text == format_money(minor, currency)
    else:
        assert text == format_currency(
            Decimal(minor) / 100, currency, locale="en_GB", format="¤#,##0", currency_digits=False
        )


def test_examples():
    assert format_money(4500, "GBP") == "£45.00"
    assert format_money(4500, "GBP", whole_units=True) == "£45"
    assert format_money(4550, "GBP", whole_units=True) == "£45.50"
    assert format_money(123456, "EUR") == "€1,234.56"
