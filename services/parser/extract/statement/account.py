"""The account header: labelled values in the lines around the transaction table.

Values are taken as printed next to their labels (``Account No: 1234``), or under them in a
summary box (labels in one row, values in the row below). Nothing is made up: a field with no
label or pattern on the page stays ``None``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from services.parser.extract.statement.model import InfoLine
from services.parser.extract.statement.synonyms import ACCOUNT_LABELS, normalise
from services.parser.extract.text.amounts import DecimalMark, looks_like_amount, parse_amount
from services.parser.extract.text.dates import DateOrder, parse_date

__all__ = ["PERIOD_SEPARATOR", "AccountFields", "find_dates", "read_account", "word_confidence"]

# Between the two dates of a period: "to"/"till"/"through" (any case; OCR may drop the
# spaces around it and add a colon, or move the space: "01/10/2024To:31/10/2024",
# "01/04/2023 To :30/04/2023") or a spaced dash.
PERIOD_SEPARATOR = re.compile(
    r"(?:\s+|(?<=\d))(?:to|till|until|through|thru)(?=[\s:.\d])\s*[:.]?\s*|\s+[-–—]\s+",
    re.IGNORECASE,
)
_IFSC = re.compile(r"\b[A-Z]{4}0[A-Z0-9]{6}\b")
_SORT = re.compile(r"\b\d{2}-\d{2}-\d{2}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_BANK_WORDS = re.compile(
    r"\b(bank|bancorp|banking corporation|credit union|building society|sparkasse|banque|"
    r"banca|banco|trust company|savings|financial|card services)\b",
    re.IGNORECASE,
)
_NOT_BANK = re.compile(
    r"statement|banking with|internet banking|call|visit|www\.|http|@|branch|ifsc|sort code|"
    r"address|customer|account",
    re.IGNORECASE,
)
_LABELS = sorted(
    (
        (tuple(normalise(phrase).split()), name)
        for name, phrases in ACCOUNT_LABELS.items()
        for phrase in phrases
    ),
    key=lambda item: -len(item[0]),
)
_HOLDER_NOT = {"branch", "bank", "nominee", "product", "scheme", "ifsc", "file", "user"}
_TITLES = re.compile(r"^(mr|mrs|ms|miss|dr|m/s)\.?\s+", re.IGNORECASE)


@dataclass
class AccountFields:
    bank_name: str | None = None
    account_holder: str | None = None
    account_number: str | None = None
    branch_code: str | None = None
    currency: str | None = None
    period: tuple[str, str] | None = None  # raw texts holding the start and end dates
    opening: str | None = None
    closing: str | None = None


Words = list[tuple[str, float, float, float, float]]


_LABEL_FIRST: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _phrase, _name in _LABELS:
    _LABEL_FIRST.setdefault(_phrase[0], []).append((_phrase, _name))


def _label_at(words: Words, i: int) -> tuple[str, int] | None:
    first = normalise(words[i][0]).split()
    if not first or first[0] not in _LABEL_FIRST:
        return None
    tokens: list[tuple[str, int]] = []
    for k in range(i, min(len(words), i + 6)):
        for part in normalise(words[k][0]).split():
            tokens.append((part, k))
    for phrase, name in _LABEL_FIRST[first[0]]:
        n = len(phrase)
        if tuple(t for t, _ in tokens[:n]) == phrase:
            last = tokens[n - 1][1]
            # the label must end at a word end ("Account" must not eat "Account-No")
            if n < len(tokens) and tokens[n][1] == last:
                continue
            return name, last - i + 1
    return None


def _value_words(words: Words, start: int, height: float) -> Words:
    out: Words = []
    for k in range(start, len(words)):
        w = words[k]
        if w[0] in (":", "-", "#", ":-") and not out:
            continue
        if out and w[1] - out[-1][3] > 2.5 * height:
            break
        if out and _label_at(words, k) is not None:
            break
        out.append(w)
    return out


def _below(lines: Sequence[InfoLine], index: int, x0: float, x1: float) -> Words:
    """Words of the next line(s) under a label (summary boxes print values below labels)."""
    line = lines[index]
    bottom = max(w[4] for w in line.words)
    height = max(1.0, bottom - min(w[2] for w in line.words))
    for nxt in lines[index + 1 : index + 3]:
        top = min(w[2] for w in nxt.words)
        if top - bottom > 2.5 * height:
            break
        under = [w for w in nxt.words if min(w[3], x1) - max(w[1], x0) > -4]
        if under:
            return under
    return []


def read_account(lines: Sequence[InfoLine], *, first_page_lines: int) -> AccountFields:
    """Account fields from the info lines of all pages (page 1's first)."""
    fields = AccountFields()
    for index, line in enumerate(lines):
        words = line.words
        if not words:
            continue
        height = max(1.0, max(w[4] - w[2] for w in words))
        k = 0
        while k < len(words):
            found = _label_at(words, k)
            if found is None:
                k += 1
                continue
            name, n = found
            label_words = words[k : k + n]
            prev = normalise(words[k - 1][0]) if k else ""
            value = _value_words(words, k + n, height)
            if not value or (
                name in ("opening_balance", "closing_balance") and not _has_amount(value)
            ):
                value = _below(lines, index, label_words[0][1], label_words[-1][3])
            _apply(fields, name, value, prev)
            k += n + len(value) if value and value[0][1] > label_words[-1][1] else n
    all_text = [ln.text for ln in lines]
    if fields.branch_code is None:
        for text in all_text:
            if m := _IFSC.search(text):
                fields.branch_code = m.group(0)
                break
    fields.bank_name = _bank_name(lines[:first_page_lines] or lines)
    return fields


def _has_amount(words: Words) -> bool:
    return any(looks_like_amount(w[0]) for w in words)


def _apply(fields: AccountFields, name: str, value: Words, prev: str) -> None:
    text = " ".join(w[0] for w in value).strip(" :#-")
    if not text:
        return
    if name == "account_holder":
        if prev in _HOLDER_NOT or fields.account_holder:
            return
        if any(map(str.isdigit, text)):
            return
        fields.account_holder = _TITLES.sub("", text).strip() or None
    elif name == "account_number":
        if fields.account_number:
            return
        parts: list[str] = []
        for w in value:
            token = w[0].strip(":")
            if re.fullmatch(r"[0-9Xx*•\-]{2,}", token) and any(
                c.isdigit() or c in "Xx*" for c in token
            ):
                parts.append(token)
            elif parts:
                break
            elif not token:
                continue
            else:
                break
        if parts:
            fields.account_number = " ".join(parts)
    elif name == "branch_code":
        if fields.branch_code:
            return
        for pattern in (_IFSC, _IBAN, _SORT):
            if m := pattern.search(text):
                fields.branch_code = m.group(0)
                return
        if m := re.search(r"\b\d{9}\b", text):  # US routing number
            fields.branch_code = m.group(0)
            return
        # any other code as printed after its label (BSB 062-000, transit 00123-004, ...)
        if m := re.match(r"[A-Z0-9][A-Z0-9\-/ ]{2,20}?(?=\s{2,}|$|\s+[A-Za-z]{3,})", text):
            code = m.group(0).strip()
            if any(map(str.isdigit, code)):
                fields.branch_code = code
    elif name == "currency":
        if m := re.search(r"\b[A-Z]{3}\b", text):
            fields.currency = fields.currency or m.group(0)
    elif name == "period":
        if fields.period is None:
            parts_ = PERIOD_SEPARATOR.split(text, maxsplit=1)
            if len(parts_) == 2:
                fields.period = (parts_[0], parts_[1])
    elif name in ("opening_balance", "closing_balance"):
        amounts = [w[0] for w in value if looks_like_amount(w[0])]
        if amounts:
            attr = "opening" if name == "opening_balance" else "closing"
            if getattr(fields, attr) is None:
                setattr(fields, attr, amounts[0])


_SEGMENT = re.compile(r"\s+(?:-|–|—|\|)\s+|\s+(?=(?:statement|account)\b)", re.IGNORECASE)


def _bank_name(lines: Sequence[InfoLine]) -> str | None:
    best: tuple[float, str] | None = None
    for order, line in enumerate(lines[:25]):
        whole = line.text.strip()
        if not _BANK_WORDS.search(whole):
            continue
        segments = [seg.strip() for seg in _SEGMENT.split(whole) if seg.strip()]
        text = next(
            (seg for seg in segments if _BANK_WORDS.search(seg) and not _NOT_BANK.search(seg)),
            "",
        )
        if not text or len(text) > 60:
            continue
        if any(map(str.isdigit, text)):
            continue
        height = max(w[4] - w[2] for w in line.words)
        score = height * 2 - order * 0.5
        if best is None or score > best[0]:
            best = (score, text)
    return best[1] if best else None


def word_confidence(lines: Sequence[InfoLine], text: str | None) -> float:
    """The OCR confidence of the word(s) printed as ``text`` (1.0 for a text layer)."""
    if not text:
        return 1.0
    best = 1.0
    for line in lines:
        if not line.conf:
            continue
        for word, conf in zip(line.words, line.conf, strict=False):
            if word[0] in text.split():
                best = min(best, conf)
    return best


def find_dates(text: str, *, order: DateOrder, year: int | None = None) -> list[dt.date]:
    """Dates found anywhere in a text (windows of 1–4 words)."""
    words = text.replace(",", " , ").split()
    out: list[dt.date] = []
    i = 0
    while i < len(words):
        for span in (4, 3, 2, 1):
            chunk = " ".join(words[i : i + span]).strip(" ,")
            if not chunk:
                continue
            got = parse_date(chunk, order=order, year=year)
            if got is not None:
                out.append(got)
                i += span
                break
        else:
            i += 1
    return out


def parse_value(text: str | None, mark: DecimalMark) -> float | None:
    """A balance as printed (``Dr`` or a minus → negative)."""
    if not text:
        return None
    amount = parse_amount(text, decimal_mark=mark)
    return float(amount.value) if amount is not None else None
