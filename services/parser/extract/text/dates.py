"""Dates as printed: numeric (``03/01/2025``, ``2025-01-03``, ``03.01.25``) or with month
names (``03 Jan 2025``, ``Jan 3, 2025``, ``03-JAN-25``), with 2- or 4-digit years or none.

Day/month order is never guessed per date: :func:`decide_date_order` settles it once per
document from all its dates (a day above 12 decides; otherwise the order under which the
dates run in sequence), and :func:`parse_date` reads every date with that order.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Literal

DateOrder = Literal["DMY", "MDY"]

__all__ = ["MONTHS", "DateOrder", "decide_date_order", "is_date", "parse_date"]

MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    (
        "jan january",
        "feb february",
        "mar march",
        "apr april",
        "may",
        "jun june",
        "jul july",
        "aug august",
        "sep sept september",
        "oct october",
        "nov november",
        "dec december",
    ),
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _i

_HAS_DIGIT = re.compile(r"\d")
_LETTERS = re.compile(r"[A-Za-z]+")
_SEP = r"[/\-.\s]"
_NUM3 = re.compile(rf"^(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{4}}|\d{{2}})$")
_ISO = re.compile(rf"^(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})$")
_NUM2 = re.compile(r"^(\d{1,2})[/\-.](\d{1,2})$")
_MONTH = r"([A-Za-z]{3,9})\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(\d{4}|'?\d{2})"
_D_MON_Y = re.compile(rf"^{_DAY}[\s\-/.,]*{_MONTH}(?:[\s\-/.,]*{_YEAR})?$", re.IGNORECASE)
_MON_D_Y = re.compile(rf"^{_MONTH}[\s\-/.]*{_DAY},?(?:[\s\-/.,]*{_YEAR})?$", re.IGNORECASE)
_Y_MON_D = re.compile(rf"^(\d{{4}})[\s\-/.]*{_MONTH}[\s\-/.]*{_DAY}$", re.IGNORECASE)


def _year(text: str | None, default: int | None) -> int | None:
    if text is None:
        return default
    text = text.lstrip("'")
    value = int(text)
    if len(text) == 2:
        value += 2000 if value < 70 else 1900
    return value


def _make(year: int | None, month: int, day: int) -> dt.date | None:
    if year is None:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _clean(text: str) -> str:
    return " ".join(text.replace(",", ", ").split()).strip(" ,")


def parse_date(text: str, *, order: DateOrder = "DMY", year: int | None = None) -> dt.date | None:
    """Parse one date; ``None`` when ``text`` is not a date.

    Args:
        text: the printed date (one or several words joined by spaces).
        order: the document's day/month order for numeric dates.
        year: the year to use for dates printed without one (``03 Jan``, ``03/01``).
    """
    if not text or len(text) > 40:
        return None
    return _parse_checked(text, order, year)


@lru_cache(maxsize=8192)  # statements repeat the same dates row after row
def _parse_checked(text: str, order: DateOrder, year: int | None) -> dt.date | None:
    if not _HAS_DIGIT.search(text):
        return None
    for m in _LETTERS.finditer(text):
        word = m.group(0).lower()
        if word not in MONTHS and word not in ("st", "nd", "rd", "th"):
            return None
    return _parse_date(text, order, year)


def _parse_date(text: str, order: DateOrder, year: int | None) -> dt.date | None:
    s = _clean(text)
    if not s or len(s) > 24:
        return None
    if m := _ISO.match(s):
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _NUM3.match(s):
        a, b = int(m.group(1)), int(m.group(2))
        day, month = (a, b) if order == "DMY" else (b, a)
        return _make(_year(m.group(3), None), month, day)
    if m := _NUM2.match(s):
        a, b = int(m.group(1)), int(m.group(2))
        day, month = (a, b) if order == "DMY" else (b, a)
        return _make(year, month, day)
    if m := _D_MON_Y.match(s):
        month_no = MONTHS.get(m.group(2).lower())
        if month_no:
            return _make(_year(m.group(3), year), month_no, int(m.group(1)))
    if m := _MON_D_Y.match(s):
        month_no = MONTHS.get(m.group(1).lower())
        if month_no:
            return _make(_year(m.group(3), year), month_no, int(m.group(2)))
    if m := _Y_MON_D.match(s):
        month_no = MONTHS.get(m.group(2).lower())
        if month_no:
            return _make(int(m.group(1)), month_no, int(m.group(3)))
    return None


def is_date(text: str, *, year: int | None = 2000) -> bool:
    """True when ``text`` reads as a date under either day/month order."""
    return (
        parse_date(text, order="DMY", year=year) is not None
        or parse_date(text, order="MDY", year=year) is not None
    )


@lru_cache(maxsize=16384)
def _numeric_pair(text: str) -> tuple[int, int] | None:
    s = _clean(text)
    m = _NUM3.match(s) or _NUM2.match(s)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2))


def decide_date_order(texts: Iterable[str], *, default: DateOrder = "DMY") -> DateOrder:
    """The document's day/month order from all its numeric dates.

    A first number above 12 votes DMY, a second above 12 votes MDY. When no date decides,
    the order under which consecutive dates most often run forward (statements are in date
    order) wins; ``default`` breaks a tie.
    """
    pairs = [p for p in (_numeric_pair(t) for t in texts) if p is not None]
    dmy = sum(1 for a, b in pairs if a > 12 >= b)
    mdy = sum(1 for a, b in pairs if b > 12 >= a)
    if dmy != mdy:
        return "DMY" if dmy > mdy else "MDY"
    return _order_by_sequence(pairs, default)


def _order_by_sequence(pairs: Sequence[tuple[int, int]], default: DateOrder) -> DateOrder:
    def forward(order: DateOrder) -> int:
        keys = [(b, a) if order == "DMY" else (a, b) for a, b in pairs]
        return sum(1 for x, y in itertools.pairwise(keys) if y >= x)

    f_dmy, f_mdy = forward("DMY"), forward("MDY")
    if f_dmy == f_mdy:
        return default
    return "DMY" if f_dmy > f_mdy else "MDY"
