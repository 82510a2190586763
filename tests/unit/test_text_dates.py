"""Date parsing and the document-wide day/month order."""

from __future__ import annotations

import datetime as dt

import pytest

from services.parser.extract.text.dates import decide_date_order, is_date, parse_date

D = dt.date


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("03/01/2025", "DMY", D(2025, 1, 3)),
        ("03/01/2025", "MDY", D(2025, 3, 1)),
        ("03-01-25", "DMY", D(2025, 1, 3)),
        ("03.01.2025", "DMY", D(2025, 1, 3)),
        ("2025-01-03", "MDY", D(2025, 1, 3)),
        ("03 Jan 2025", "MDY", D(2025, 1, 3)),
        ("03-JAN-25", "DMY", D(2025, 1, 3)),
        ("Jan 3, 2025", "DMY", D(2025, 1, 3)),
        ("January 03 2025", "DMY", D(2025, 1, 3)),
        ("3rd Sept 2025", "DMY", D(2025, 9, 3)),
        ("03Jan2025", "DMY", D(2025, 1, 3)),
        ("31/12/99", "DMY", D(1999, 12, 31)),
    ],
)
def test_dates(text: str, order: str, expected: dt.date) -> None:
    assert parse_date(text, order=order) == expected  # type: ignore[arg-type]


def test_dates_without_year_take_the_given_year() -> None:
    assert parse_date("03 Jan", year=2024) == D(2024, 1, 3)
    assert parse_date("Jan 03", year=2024) == D(2024, 1, 3)
    assert parse_date("03/01", order="DMY", year=2023) == D(2023, 1, 3)
    assert parse_date("03 Jan") is None


@pytest.mark.parametrize("text", ["30 Feb 2025", "13/13/2025", "Balance", "1,234.56", "2025"])
def test_not_dates(text: str) -> None:
    assert not is_date(text)


def test_order_decided_by_a_day_above_twelve() -> None:
    assert decide_date_order(["01/02/2025", "13/02/2025"]) == "DMY"
    assert decide_date_order(["01/02/2025", "02/13/2025"]) == "MDY"


def test_order_decided_by_sequence_when_no_day_is_above_twelve() -> None:
    # Jan 2, Jan 5, Feb 1 only runs forward month-first
    assert decide_date_order(["01/02/2025", "01/05/2025", "02/01/2025"]) == "MDY"
    assert decide_date_order(["01/02/2025", "05/02/2025", "01/03/2025"]) == "DMY"
    assert decide_date_order(["01/01/2025"], default="MDY") == "MDY"
