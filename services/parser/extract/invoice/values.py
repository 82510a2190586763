"""Typed values on invoice lines: amounts, percentages and dates as tokens with positions.

Builds on the shared parsers in ``services.parser.extract.text`` (amounts, dates,
currency); this module only groups a line's words into value tokens ("€ 399,00",
"1 234,56", "19 %") and translates month names that the shared date parser reads in English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.parser.extract.invoice.layout import Line, Word
from services.parser.extract.text.amounts import DecimalMark, parse_amount
from services.parser.extract.text.dates import DateOrder, parse_date

__all__ = ["Token", "read_date", "read_number", "tokens", "translate_months"]

_MONTHS_I18N = {
    # German
    "januar": "january",
    "jänner": "january",
    "februar": "february",
    "märz": "march",
    "maerz": "march",
    "mai": "may",
    "juni": "june",
    "juli": "july",
    "oktober": "october",
    "dezember": "december",
    # French
    "janvier": "january",
    "février": "february",
    "fevrier": "february",
    "mars": "march",
    "avril": "april",
    "juin": "june",
    "juillet": "july",
    "août": "august",
    "aout": "august",
    "septembre": "september",
    "octobre": "october",
    "novembre": "november",
    "décembre": "december",
    "decembre": "december",
    # Dutch
    "januari": "january",
    "februari": "february",
    "maart": "march",
    "mei": "may",
    "augustus": "august",
    # Polish (genitive, as dates print them)
    "stycznia": "january",
    "lutego": "february",
    "marca": "march",
    "kwietnia": "april",
    "maja": "may",
    "czerwca": "june",
    "lipca": "july",
    "sierpnia": "august",
    "września": "september",
    "października": "october",
    "listopada": "november",
    "grudnia": "december",
}
_MONTH_RE = re.compile(
    r"\b(" + "|".join(sorted(_MONTHS_I18N, key=len, reverse=True)) + r")\b", re.IGNORECASE
)
_CUR_WORD = re.compile(r"^(?:[€$£₹¥]|rs\.?|inr|eur|usd|gbp|chf|pln|zł|us\$)$", re.IGNORECASE)
_NUMERIC = re.compile(r"^[-−(+]?[€$£₹¥]?\d[\d.,'’]*\)?[€$£₹¥]?-?$")
_UNIT = re.compile(
    r"^(?:pcs?|pce|stk|st|stck|h|hrs?|hours?|kg|g|m|m²|m2|m³|l|ltr|liters?|liter\(s\)|units?"
    r"|unit\(s\)|nos|ea|each|x|days?|tage?|jours?|uur|szt|db)\.?$",
    re.IGNORECASE,
)
_QTY_UNIT = re.compile(r"^(\d{1,6}(?:[.,]\d{1,3})?) (\S+)$")
_PERCENT = re.compile(r"^[-+]?(\d{1,3}(?:[.,]\d{1,3})?)\s*%$")


def translate_months(text: str) -> str:
    """Foreign month names → English, and "1er" → "1", for the shared date parser."""
    text = re.sub(r"\b(\d{1,2})er\b", r"\1", text)
    return _MONTH_RE.sub(lambda m: _MONTHS_I18N[m.group(1).lower()], text)


def read_date(text: str, order: DateOrder) -> str | None:
    """The first date at the start of ``text`` (up to 4 words), ISO formatted."""
    words = translate_months(text).replace(" ,", ",").split()
    for n in (4, 3, 2, 1):
        if len(words) < n:
            continue
        chunk = " ".join(words[:n]).strip(",;.") if n > 1 else words[0].strip(",;.")
        value = parse_date(chunk, order=order)
        if value is not None and 1990 <= value.year <= 2100:
            return value.isoformat()
    return None


@dataclass(slots=True)
class Token:
    """A run of words on one line read as one value (or as text)."""

    text: str
    x0: float
    x1: float
    kind: str  # amount | number | percent | text
    value: float | None = None
    decimals: bool = False
    currency: str | None = None

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


def read_number(text: str, mark: DecimalMark) -> tuple[float, bool, str | None] | None:
    """(value, has_decimal_part, currency) of a numeric text, or None."""
    text = text.strip()
    if text.endswith("-") and not text.startswith("-"):
        text = "-" + text[:-1]
    amount = parse_amount(text, decimal_mark=mark)
    if amount is None:
        return None
    return float(amount.value), amount.decimal_mark is not None, amount.currency


def _merge_words(words: list[Word], height: float) -> list[tuple[str, float, float]]:
    """Join currency signs, space-grouped thousands and "19 %" into one piece each."""
    out: list[tuple[str, float, float]] = []
    i = 0
    small = 0.6 * height
    while i < len(words):
        w = words[i]
        text, x0, x1 = w.text, w.x0, w.x1
        j = i + 1
        # "€" "399,00" / "Rs" "1939" / "EUR" "12.00"
        if (
            _CUR_WORD.match(text)
            and j < len(words)
            and _NUMERIC.match(words[j].text)
            and words[j].x0 - x1 < 1.5 * height
        ):
            text, x1 = text + " " + words[j].text, words[j].x1
            j += 1
        if _NUMERIC.match(text.split()[-1]):
            # thousands groups separated by spaces: "1 234,56", "12 345 678"
            while (
                j < len(words)
                and re.fullmatch(r"\d{3}(?:[.,]\d+)?[€$]?", words[j].text)
                and re.fullmatch(
                    r"[€$£₹]?\s?-?\d{1,3}(?: \d{3})*",
                    text.split(" ", 1)[-1] if _CUR_WORD.match(text.split()[0]) else text,
                )
                and words[j].x0 - x1 < small
            ):
                text, x1 = text + " " + words[j].text, words[j].x1
                j += 1
            # a unit after a quantity: "20 Stk", "7.5 pcs", "25 Liter(s)"
            if (
                j < len(words)
                and _UNIT.match(words[j].text)
                and words[j].x0 - x1 < 0.8 * height
                and re.fullmatch(r"\d{1,6}(?:[.,]\d{1,3})?", text)
            ) or (
                j < len(words)
                and (words[j].text == "%" or _CUR_WORD.match(words[j].text))
                and words[j].x0 - x1 < 1.2 * height
            ):
                text, x1 = text + " " + words[j].text, words[j].x1
                j += 1
        out.append((text, x0, x1))
        i = j
    return out


def tokens(line: Line, mark: DecimalMark) -> list[Token]:
    """The line's value tokens, left to right; text runs between numbers stay text.

    Memoised on the line: callers must not change the tokens they get."""
    key = "tokens" + mark
    cached = line.cache.get(key)
    if cached is None:
        cached = line.cache[key] = _tokens(line, mark)
    return list(cached)


def _tokens(line: Line, mark: DecimalMark) -> list[Token]:
    result: list[Token] = []
    for seg in line.segments:
        height = max(1.0, seg.y1 - seg.y0)
        for text, x0, x1 in _merge_words(seg.words, height):
            pm = _PERCENT.match(text.replace(" ", ""))
            if pm:
                value = float(pm.group(1).replace(",", "."))
                result.append(Token(text, x0, x1, "percent", value))
                continue
            qu = _QTY_UNIT.match(text)
            if qu and _UNIT.match(qu.group(2)):
                read = read_number(qu.group(1), mark)
            else:
                read = read_number(text, mark) if any(c.isdigit() for c in text) else None
            if read is not None:
                value, decimals, currency = read
                kind = "amount" if decimals or currency else "number"
                result.append(Token(text, x0, x1, kind, value, decimals, currency))
                continue
            if result and result[-1].kind == "text" and x0 - result[-1].x1 < 0.9 * height:
                prev = result[-1]
                prev.text += " " + text
                prev.x1 = x1
            else:
                result.append(Token(text, x0, x1, "text"))
    return result
