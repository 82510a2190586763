"""Amount parsing across locales, signs and currency markers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.parser.extract.text.amounts import (
    decide_decimal_mark,
    looks_like_amount,
    parse_amount,
)


@pytest.mark.parametrize(
    ("text", "value", "currency", "sign"),
    [
        ("1,23,456.78", "123456.78", None, None),
        ("₹1,23,456.78 Dr", "-123456.78", "INR", "dr"),
        ("Rs. 12,34,567.00", "1234567.00", "INR", None),
        ("1,234.56", "1234.56", None, None),
        ("$1,234.56", "1234.56", "USD", None),
        ("£ 99.10", "99.10", "GBP", None),
        ("S$ 1,000.00", "1000.00", "SGD", None),
        ("1.234,56", "1234.56", None, None),
        ("1 234,56", "1234.56", None, None),
        ("1\u00a0234,56 €", "1234.56", "EUR", None),
        ("1'234.56", "1234.56", None, None),
        ("EUR 12,50", "12.50", "EUR", None),
        ("(1,234.56)", "-1234.56", None, "parens"),
        ("1,234.56-", "-1234.56", None, "minus"),
        ("-1,234.56", "-1234.56", None, "minus"),
        ("−45.00", "-45.00", None, "minus"),
        ("250.00Dr", "-250.00", None, "dr"),
        ("250.00 DR.", "-250.00", None, "dr"),
        ("1,000.00 Cr", "1000.00", None, "cr"),
        ("1,665.10 OD", "-1665.10", None, "dr"),  # overdrawn
        ("+12.00", "12.00", None, "plus"),
        ("1.234.567,00", "1234567.00", None, None),
    ],
)
def test_amounts_in_many_locales(
    text: str, value: str, currency: str | None, sign: str | None
) -> None:
    amount = parse_amount(text)
    assert amount is not None
    assert amount.value == Decimal(value)
    assert amount.currency == currency
    assert amount.sign == sign


@pytest.mark.parametrize(
    "text", ["", "abc", "12/01/2025", "1,2,3", "UPI/DR/123", "1,2345.00", "12.34.5", "Dr"]
)
def test_not_amounts(text: str) -> None:
    assert parse_amount(text) is None


def test_ambiguous_grouping_is_settled_by_the_document_mark() -> None:
    assert parse_amount("1,234") is not None and parse_amount("1,234").ambiguous  # type: ignore[union-attr]
    assert parse_amount("1,234", decimal_mark=".").value == Decimal("1234")  # type: ignore[union-attr]
    assert parse_amount("1,234", decimal_mark=",").value == Decimal("1.234")  # type: ignore[union-attr]
    assert parse_amount("1.234", decimal_mark=",").value == Decimal("1234")  # type: ignore[union-attr]


def test_document_decimal_mark_is_voted_from_all_amounts() -> None:
    assert decide_decimal_mark(["1.234", "12,50", "3.000,00"]) == ","
    assert decide_decimal_mark(["1,234", "12.50", "1,23,456.00"]) == "."
    assert decide_decimal_mark(["1.234.567", "1,234"]) == ","
    assert decide_decimal_mark([]) == "."


def test_money_looking_text() -> None:
    assert looks_like_amount("1,234.00")
    assert looks_like_amount("12.00 Cr")
    assert not looks_like_amount("2025")
    assert not looks_like_amount("500312345678")
