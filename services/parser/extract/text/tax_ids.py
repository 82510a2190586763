"""Tax and bank identifiers by shape and check digits: GSTIN, EU VAT ids, IBAN.

A *shape* match says "this looks like an X"; a *checksum* says "and its check digits agree".
Callers use the checksum as evidence, not as a gate: sample and test documents often print
ids with made-up check digits (``DE123456789``), and a printed id is still the printed id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

IdKind = Literal["gstin", "vat", "iban"]

GSTIN_RE = re.compile(r"\b([0-3][0-9][A-Z]{5}[0-9]{4}[A-Z][0-9A-Z]Z[0-9A-Z])\b")

# EU (and UK/CH/NO) VAT id shapes after the country prefix, spaces/dots/dashes removed.
_VAT_SHAPES: dict[str, str] = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CH": r"E\d{9}(?:MWST|TVA|IVA)?",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[0-9A-Z]\d{7}[0-9A-Z]",
    "FI": r"\d{8}",
    "FR": r"[0-9A-HJ-NP-Z]{2}\d{9}",
    "GB": r"\d{9}(?:\d{3})?",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d[0-9A-Z+*]\d{5}[A-Z]{1,2}",
    "IT": r"\d{11}",
    "LT": r"\d{9}(?:\d{3})?",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "NO": r"\d{9}(?:MVA)?",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
}
_VAT_FULL = {cc: re.compile(rf"{cc}{shape}") for cc, shape in _VAT_SHAPES.items()}
# A VAT id as printed: country code, then digits/letters possibly grouped by spaces/dots.
VAT_CANDIDATE_RE = re.compile(
    r"\b(" + "|".join(_VAT_SHAPES) + r")[ .\-]?((?:[0-9A-Z][ .\-]?){7,13}[0-9A-Z])\b"
)
_VAT_START = re.compile(r"\b(?:" + "|".join(_VAT_SHAPES) + r")")
IBAN_CANDIDATE_RE = re.compile(r"\b([A-Z]{2}\d{2}(?:[ ]?[0-9A-Z]{4}){2,7}(?:[ ]?[0-9A-Z]{1,4})?)\b")


@dataclass(frozen=True, slots=True)
class TaxId:
    """An identifier found in text."""

    kind: IdKind
    value: str  # normalised: upper case, no spaces
    printed: str  # as it appeared
    start: int
    end: int
    checksum_ok: bool


def _compact(text: str) -> str:
    return re.sub(r"[\s.\-]", "", text).upper()


def gstin_check_char(first14: str) -> str:
    """The GSTIN check character for the first 14 characters (Luhn mod 36)."""
    total = 0
    for i, ch in enumerate(first14.upper()):
        value = _ALNUM.index(ch) * (2 if i % 2 else 1)
        total += value // 36 + value % 36
    return _ALNUM[(36 - total % 36) % 36]


def gstin_shape_ok(text: str) -> bool:
    return GSTIN_RE.fullmatch(_compact(text)) is not None


_OCR_SWAPS = {
    "I": "1",
    "1": "I",
    "O": "0",
    "0": "O",
    "S": "5",
    "5": "S",
    "B": "8",
    "8": "B",
    "Z": "2",
    "2": "Z",
    "L": "1",
    "G": "6",
    "6": "G",
}


def repair_gstin(text: str) -> str | None:
    """A GSTIN read with one OCR lookalike (``1Z``→``IZ``, ``0``→``O``) whose check
    character agrees after swapping it back; ``None`` unless exactly one swap fits."""
    value = _compact(text)
    fits = set()
    for i, ch in enumerate(value):
        swap = _OCR_SWAPS.get(ch)
        if swap is None:
            continue
        cand = value[:i] + swap + value[i + 1 :]
        if gstin_valid(cand):
            fits.add(cand)
    return fits.pop() if len(fits) == 1 else None


def gstin_valid(text: str) -> bool:
    """True when ``text`` is a GSTIN whose check character agrees."""
    value = _compact(text)
    return GSTIN_RE.fullmatch(value) is not None and gstin_check_char(value[:14]) == value[14]


def iban_valid(text: str) -> bool:
    """True when ``text`` is an IBAN whose ISO 13616 mod-97 check digits agree."""
    value = _compact(text)
    if not re.fullmatch(r"[A-Z]{2}\d{2}[0-9A-Z]{10,30}", value):
        return False
    rearranged = value[4:] + value[:4]
    digits = "".join(str(_ALNUM.index(ch)) for ch in rearranged)
    return int(digits) % 97 == 1


def vat_shape_ok(text: str) -> bool:
    value = _compact(text)
    if value.startswith("GR"):
        value = "EL" + value[2:]
    pattern = _VAT_FULL.get(value[:2])
    return pattern is not None and pattern.fullmatch(value) is not None


def _de_ok(d: str) -> bool:
    product = 10
    for ch in d[:8]:
        total = (int(ch) + product) % 10 or 10
        product = (2 * total) % 11
    check = (11 - product) % 10
    return check == int(d[8])


def _fr_ok(body: str) -> bool:
    key, siren = body[:2], body[2:]
    if not key.isdigit():
        return True  # new-style alphabetic keys: shape only
    return int(key) == (12 + 3 * (int(siren) % 97)) % 97


def _nl_ok(body: str) -> bool:
    digits = body[:9]
    weighted = sum(int(c) * w for c, w in zip(digits[:8], range(9, 1, -1), strict=True))
    if (weighted - int(digits[8])) % 11 == 0:
        return True
    # since 2020 sole traders get ids valid under ISO 7064 mod 97 over "NL" + body
    numeric = "".join(str(_ALNUM.index(c)) for c in "NL" + body)
    return int(numeric) % 97 == 1


def _pl_ok(d: str) -> bool:
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    return sum(int(c) * w for c, w in zip(d[:9], weights, strict=True)) % 11 == int(d[9])


def _be_ok(d: str) -> bool:
    return 97 - int(d[:8]) % 97 == int(d[8:])


def _it_ok(d: str) -> bool:
    total = 0
    for i, ch in enumerate(d[:10]):
        n = int(ch)
        if i % 2:
            n *= 2
            n = n - 9 if n > 9 else n
        total += n
    return (10 - total % 10) % 10 == int(d[10])


_VAT_CHECKS = {"DE": _de_ok, "FR": _fr_ok, "NL": _nl_ok, "PL": _pl_ok, "BE": _be_ok, "IT": _it_ok}


def vat_checksum_ok(text: str) -> bool:
    """True when the VAT id's shape fits and, for countries whose rule is known here
    (DE, FR, NL, PL, BE, IT), the check digits agree."""
    value = _compact(text)
    if not vat_shape_ok(value):
        return False
    check = _VAT_CHECKS.get(value[:2])
    return True if check is None else check(value[2:])


def find_tax_ids(text: str, *, ocr: bool = False) -> list[TaxId]:
    """Every GSTIN, EU VAT id and IBAN in ``text``, in order of appearance.

    With ``ocr=True`` a GSTIN whose check character fails is repaired when exactly one
    OCR lookalike swap makes it agree (never for text-layer text: printed ids stay as printed).
    """
    found: list[TaxId] = []
    upper = text.upper()
    for m in GSTIN_RE.finditer(upper):
        value = m.group(1)
        ok = gstin_valid(value)
        if not ok and ocr:
            repaired = repair_gstin(value)
            if repaired is not None:
                value, ok = repaired, True
        found.append(TaxId("gstin", value, text[m.start() : m.end()], m.start(), m.end(), ok))
    for m in IBAN_CANDIDATE_RE.finditer(upper):
        value = _compact(m.group(1))
        if iban_valid(value):
            found.append(TaxId("iban", value, text[m.start() : m.end()], m.start(), m.end(), True))
    taken = [(t.start, t.end) for t in found]
    for start in _VAT_START.finditer(upper):
        # candidates may overlap ("…hosting.DE UStId DE 232 446 240"): try every start
        cand = VAT_CANDIDATE_RE.match(upper, start.start())
        if cand is None or any(s <= cand.start() < e for s, e in taken):
            continue
        m = cand
        body = _compact(m.group(2))
        cc = m.group(1)
        # take the longest prefix of the grouped body that fits the country's shape
        for cut in range(len(body), 1, -1):
            value = cc + body[:cut]
            if vat_shape_ok(value):
                end, seen = m.start(2), 0
                while seen < cut:
                    seen += upper[end].isalnum()
                    end += 1
                found.append(
                    TaxId(
                        "vat", value, text[m.start() : end], m.start(), end, vat_checksum_ok(value)
                    )
                )
                taken.append((m.start(), end))
                break
    found.sort(key=lambda t: t.start)
    return found


__all__ = [
    "GSTIN_RE",
    "IdKind",
    "TaxId",
    "find_tax_ids",
    "gstin_check_char",
    "gstin_shape_ok",
    "gstin_valid",
    "iban_valid",
    "repair_gstin",
    "vat_checksum_ok",
    "vat_shape_ok",
]
