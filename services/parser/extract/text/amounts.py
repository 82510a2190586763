"""Money amounts as printed, in any common locale.

Reads ``1,23,456.78`` (Indian grouping), ``1,234.56`` (US/UK), ``1.234,56`` / ``1 234,56``
(European), ``1'234.56`` (Swiss), with currency symbols or codes before or after (stripped
and reported), ``Dr``/``Cr`` suffixes, parentheses, and leading or trailing minus signs.

A string such as ``1,234`` or ``1.234`` is ambiguous on its own (a thousands group or three
decimals); :func:`decide_decimal_mark` settles the mark once per document from all of its
amounts, and :func:`parse_amount` then reads every amount with that mark.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal

from services.parser.extract.text.currency import CODES, strip_currency

DecimalMark = Literal[".", ","]
SignMarker = Literal["dr", "cr", "minus", "plus", "parens"]

__all__ = [
    "Amount",
    "DecimalMark",
    "SignMarker",
    "decide_decimal_mark",
    "looks_like_amount",
    "parse_amount",
    "to_float",
]

_HAS_DIGIT = re.compile(r"\d")
_SPACES = "\u00a0\u202f\u2009 "
_MINUS = "-\u2212\u2013\u2012"
# "OD" (overdrawn, New Zealand/Australia/UK) marks a balance below zero, as "Dr" does
_DRCR = re.compile(
    r"^(?P<body>.*?)[\s]*(?<![A-Za-z])(?P<mark>dr|cr|db|debit|credit|od)\.?$", re.IGNORECASE
)
_DRCR_PREFIX = re.compile(r"^(?P<mark>dr|cr)\.?\s+(?P<body>.*)$", re.IGNORECASE)
# digits with optional group separators (, . space ' ’) and an optional decimal part
_CORE = re.compile(r"^\d[\d,.'’ \u00a0\u202f\u2009]*$")


@dataclass(frozen=True, slots=True)
class Amount:
    """One parsed amount. ``value`` carries the sign the text shows (Dr/minus/parens → < 0)."""

    value: Decimal
    text: str
    currency: str | None = None
    sign: SignMarker | None = None
    decimal_mark: DecimalMark | None = None  # None when the number has no decimal part
    ambiguous: bool = False  # "1,234" / "1.234": the mark could be either

    @property
    def magnitude(self) -> Decimal:
        return abs(self.value)

    @property
    def is_negative(self) -> bool:
        return self.value < 0


def to_float(value: Decimal) -> float:
    """A money value for JSON: rounded to cents (more when printed with more decimals)."""
    return float(value)


def _split_sign(text: str) -> tuple[str, SignMarker | None]:
    s = text.strip()
    sign: SignMarker | None = None
    if s.startswith("(") and s.endswith(")"):
        return s[1:-1].strip(), "parens"
    if s.startswith("(") and s.endswith(")-"):
        return s[1:-2].strip(), "parens"
    match = _DRCR.match(s)
    if match and match.group("body").strip():
        mark = match.group("mark").lower()
        sign = "dr" if mark in ("dr", "db", "debit", "od") else "cr"
        s = match.group("body").strip()
    else:
        match = _DRCR_PREFIX.match(s)
        if match:
            mark = match.group("mark").lower()
            sign = "dr" if mark == "dr" else "cr"
            s = match.group("body").strip()
    if s and s[0] in _MINUS:
        return s[1:].strip(), sign or "minus"
    if s and s[-1] in _MINUS:
        return s[:-1].strip(), sign or "minus"
    if s.startswith("+"):
        return s[1:].strip(), sign or "plus"
    if s.endswith("+"):
        return s[:-1].strip(), sign or "plus"
    return s, sign


def _strip_outer(text: str) -> tuple[str, str | None, SignMarker | None]:
    """Peel currency and sign markers off in any order (``-₹1,000``, ``₹ -1,000``, ``(€5)``)."""
    s = text.strip()
    currency: str | None = None
    sign: SignMarker | None = None
    for _ in range(3):
        s, cur = strip_currency(s)
        currency = currency or cur
        s, sg = _split_sign(s)
        sign = sign or sg
        if not s or (s[0].isdigit() and s[-1].isdigit()):
            break
    return s, currency, sign


def _group_ok(groups: list[str]) -> bool:
    """Thousands groups: first 1-3 digits, then 3s (western) or 2s ending in a 3 (Indian)."""
    if not groups or not groups[0].isdigit() or not 1 <= len(groups[0]) <= 3:
        return False
    rest = groups[1:]
    if not rest:
        return True
    if not all(g.isdigit() for g in rest):
        return False
    if all(len(g) == 3 for g in rest):
        return True
    # Indian: 1,23,45,678 → groups of 2 then a final 3
    return len(rest[-1]) == 3 and all(len(g) == 2 for g in rest[:-1])


def _read_core(
    core: str, mark: DecimalMark | None
) -> tuple[Decimal, DecimalMark | None, bool] | None:
    """Read the digits; returns (value, decimal mark used, ambiguous) or None."""
    s = core.replace("’", "'")
    for sp in _SPACES:
        s = s.replace(sp, " ")
    seps = [c for c in s if not c.isdigit()]
    if not seps:
        return Decimal(s), None, False
    if s[-1] in ",. '" or s[0] in ",. '":
        return None
    kinds = set(seps)
    last = seps[-1]
    last_pos = s.rfind(last)
    tail = s[last_pos + 1 :]
    head = s[:last_pos]

    def as_decimal(int_part: str, group: str | None, frac: str) -> Decimal | None:
        groups = int_part.split(group) if group else [int_part]
        if group and not _group_ok(groups):
            return None
        if not group and not int_part.isdigit():
            return None
        try:
            return Decimal("".join(groups) + ("." + frac if frac else ""))
        except InvalidOperation:
            return None

    if len(kinds) >= 2:
        # the last separator is the decimal mark; the others group thousands
        if last not in ".," or seps.count(last) != 1 or not tail.isdigit():
            if last in " '":  # "1.234 567"? not a number we know
                return None
            return None
        others = kinds - {last}
        if len(others) != 1:
            return None
        group = others.pop()
        if mark is not None and mark != last and len(tail) == 3:
            return None
        value = as_decimal(head, group, tail)
        return (value, last, False) if value is not None else None  # type: ignore[return-value]
    # one kind of separator
    sep = last
    count = seps.count(sep)
    if sep in " '":
        value = as_decimal(s, sep, "")
        return (value, None, False) if value is not None else None
    # sep is "." or ","
    if count > 1:
        value = as_decimal(s, sep, "")  # 1,234,567 / 1.234.567 / 1,23,456
        return (value, None, False) if value is not None else None
    if len(tail) == 3 and 1 <= len(head) <= 3 and head.isdigit():
        # "1,234" / "1.234": ambiguous unless the document's mark says otherwise
        if mark == sep:
            return Decimal(head + "." + tail), sep, False
        if mark is not None:
            return Decimal(head + tail), None, False
        return Decimal(head + tail), None, True
    if len(tail) == 2 and len(head) >= 2 and sep == "," and mark == "." and "," not in head:
        # "12,34" in a '.' document is not a grouping we know → still a decimal comma
        pass
    if not head.isdigit() or not tail.isdigit():
        return None
    if len(tail) == 3 and mark != sep:
        # "12345.678" — treat as grouped only when the head is a valid group start
        return None
    return Decimal(head + "." + tail), sep, False  # type: ignore[return-value]


@lru_cache(maxsize=8192)  # Amount is frozen: sharing one instance per text is safe
def parse_amount(text: str, *, decimal_mark: DecimalMark | None = None) -> Amount | None:
    """Parse one amount; ``None`` when ``text`` is not an amount.

    Args:
        text: the printed amount, e.g. ``"₹1,23,456.78 Dr"`` or ``"(1.234,56)"``.
        decimal_mark: the document's decimal mark (see :func:`decide_decimal_mark`); when
            ``None``, an ambiguous ``1,234`` is read as one thousand two hundred thirty-four
            and flagged ``ambiguous``.
    """
    if not text or len(text) > 40 or not _HAS_DIGIT.search(text):
        return None
    if decimal_mark != "," and _SIMPLE_DOT.match(text):
        return Amount(Decimal(text.replace(",", "")), text, decimal_mark=".")
    if decimal_mark != "." and _SIMPLE_COMMA.match(text):
        return Amount(Decimal(text.replace(".", "").replace(",", ".")), text, decimal_mark=",")
    if _LETTERS.search(text) and _foreign_letters(text):
        return None
    return _parse_amount(text, decimal_mark)


_SIMPLE_DOT = re.compile(r"^\d{1,3}(?:(?:,\d{2})*,\d{3})?\.\d{2}$|^\d+\.\d{2}$")
_SIMPLE_COMMA = re.compile(r"^\d{1,3}(?:\.\d{3})*,\d{2}$|^\d+,\d{2}$")
_LETTERS = re.compile(r"[^\W\d_]+")
_OK_LETTERS = frozenset(
    {"dr", "cr", "db", "d", "c", "debit", "credit", "od", "rs", "rm", "zł", "kč"}
    | {"us", "s", "a", "au", "ca", "nz", "hk", "r"}
) | frozenset(code.lower() for code in CODES)


def _foreign_letters(text: str) -> bool:
    """Letters that no amount carries (anything but Dr/Cr and currency markers)."""
    return any(m.group(0).lower() not in _OK_LETTERS for m in _LETTERS.finditer(text))


@lru_cache(maxsize=8192)
def _parse_amount(text: str, decimal_mark: DecimalMark | None) -> Amount | None:
    body, currency, sign = _strip_outer(text)
    if not body or not _CORE.match(body):
        return None
    read = _read_core(body, decimal_mark)
    if read is None:
        return None
    value, mark, ambiguous = read
    if sign in ("dr", "minus", "parens"):
        value = -value
    return Amount(
        value=value,
        text=text,
        currency=currency,
        sign=sign,
        decimal_mark=mark,
        ambiguous=ambiguous,
    )


def looks_like_amount(text: str, *, decimal_mark: DecimalMark | None = None) -> bool:
    """True for money-looking text: has a decimal part, grouping or a money marker.

    Bare integers (``2025``, ``500312345678``) are not money-looking: they are more often
    years, references or counts.
    """
    if not _HAS_DIGIT.search(text):
        return False
    return _looks_like_amount(text, decimal_mark)


@lru_cache(maxsize=8192)
def _looks_like_amount(text: str, decimal_mark: DecimalMark | None) -> bool:
    amount = parse_amount(text, decimal_mark=decimal_mark)
    if amount is None:
        return False
    if amount.decimal_mark is not None or amount.ambiguous:
        return True
    body = re.sub(r"[^\d,.' ]", "", text)
    has_group = any(c in body for c in ",.' ")
    return has_group or amount.currency is not None or amount.sign in ("dr", "cr", "parens")


def decide_decimal_mark(texts: Iterable[str]) -> DecimalMark:
    """The document's decimal mark, voted from all its amounts (``.`` when nothing tells)."""
    votes = {".": 0, ",": 0}
    for text in texts:
        amount = parse_amount(text)
        if amount is None:
            continue
        if amount.decimal_mark is not None:
            votes[amount.decimal_mark] += 1
        elif not amount.ambiguous:
            body = re.sub(r"[^\d,.]", "", text)
            # "1.234.567" groups with "." → the mark is ","; "1,234,567" → "."
            if body.count(".") > 1:
                votes[","] += 1
            elif body.count(",") > 1:
                votes["."] += 1
    return "," if votes[","] > votes["."] else "."
