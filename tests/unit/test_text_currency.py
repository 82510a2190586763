"""Currency from symbols, codes and context words."""

from __future__ import annotations

import pytest

from services.parser.extract.text.currency import (
    currency_from_text,
    decide_currency,
    strip_currency,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Balance ₹ 1,000", "INR"),
        ("Rs. 500", "INR"),
        ("Amount in EUR", "EUR"),
        ("£12.00", "GBP"),
        ("S$ 40.00", "SGD"),
        ("All amounts in Indian Rupees", "INR"),
        ("Pounds Sterling", "GBP"),
        ("no money here", None),
    ],
)
def test_currency_from_text(text: str, code: str | None) -> None:
    assert currency_from_text(text) == code


def test_strip_currency_both_sides() -> None:
    assert strip_currency("₹1,000.00") == ("1,000.00", "INR")
    assert strip_currency("1.000,00 €") == ("1.000,00", "EUR")
    assert strip_currency("USD 3.00") == ("3.00", "USD")
    assert strip_currency("1,000") == ("1,000", None)


def test_named_dollar_beats_bare_dollar() -> None:
    assert decide_currency(["$ 10.00", "$ 12.00", "Amounts in S$"]) == "SGD"
    assert decide_currency(["$ 10.00", "$ 12.00"]) == "USD"
    assert decide_currency(["Currency: GBP", "£5"]) == "GBP"
    assert decide_currency(["nothing"]) is None
