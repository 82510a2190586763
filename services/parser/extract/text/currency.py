"""Currencies: ISO 4217 codes from symbols (₹ $ € £ S$ …), codes and context words."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

__all__ = ["CODES", "SYMBOLS", "currency_from_text", "decide_currency", "strip_currency"]

# Longest first so "S$" wins over "$". Bare "$" means USD only when nothing says otherwise.
SYMBOLS: dict[str, str] = {
    "US$": "USD",
    "S$": "SGD",
    "A$": "AUD",
    "AU$": "AUD",
    "C$": "CAD",
    "CA$": "CAD",
    "NZ$": "NZD",
    "HK$": "HKD",
    "R$": "BRL",
    "Rs.": "INR",
    "Rs": "INR",
    "₹": "INR",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₩": "KRW",
    "₱": "PHP",
    "₦": "NGN",
    "₺": "TRY",
    "₫": "VND",
    "฿": "THB",
    "RM": "MYR",
    "CHF": "CHF",
    "zł": "PLN",
    "Kč": "CZK",
    "$": "USD",
}
CODES = frozenset(
    {
        "AED",
        "AUD",
        "BDT",
        "BRL",
        "CAD",
        "CHF",
        "CNY",
        "CZK",
        "DKK",
        "EGP",
        "EUR",
        "GBP",
        "HKD",
        "IDR",
        "ILS",
        "INR",
        "JPY",
        "KES",
        "KRW",
        "LKR",
        "MXN",
        "MYR",
        "NGN",
        "NOK",
        "NPR",
        "NZD",
        "PHP",
        "PKR",
        "PLN",
        "QAR",
        "RUB",
        "SAR",
        "SEK",
        "SGD",
        "THB",
        "TRY",
        "TWD",
        "USD",
        "VND",
        "ZAR",
    }
)
_CONTEXT: tuple[tuple[str, str], ...] = (
    ("indian rupee", "INR"),
    ("rupees", "INR"),
    ("singapore dollar", "SGD"),
    ("australian dollar", "AUD"),
    ("canadian dollar", "CAD"),
    ("us dollar", "USD"),
    ("pound sterling", "GBP"),
    ("pounds sterling", "GBP"),
    ("sterling", "GBP"),
    ("euro", "EUR"),
    ("swiss franc", "CHF"),
    ("dirham", "AED"),
)
_SYMBOL_RE = re.compile(
    "|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True) if s[0] in "₹€£¥₩₱₦₺₫฿$")
    + r"|\b(?:US|S|A|AU|C|CA|NZ|HK|R)\$"
)
_MAY_NAME = re.compile(r"[^\d\s.,()+\-']")
_RS_RE = re.compile(r"\bRs\.?\s*\d")
_CODE_RE = re.compile(r"\b(" + "|".join(sorted(CODES)) + r")\b")
_EDGE_RE = re.compile(
    r"^(?P<pre>(?:[A-Z]{3}|Rs\.?|RM|zł|Kč|[A-Z]{1,2}\$|[₹€£¥₩₱₦₺₫฿$]))\s*(?=[\d(+\-−.,])"
    r"|(?<=[\d).])\s*(?P<post>(?:[A-Z]{3}|zł|Kč|[₹€£¥₩₱₦₺₫฿$]))$"
)


def _code_for(token: str) -> str | None:
    if token in SYMBOLS:
        return SYMBOLS[token]
    if token.upper() in CODES and token.isupper():
        return token
    return None


def strip_currency(text: str) -> tuple[str, str | None]:
    """Remove one currency marker at either end: ``"₹1,000"`` → ``("1,000", "INR")``."""
    s = text.strip()
    match = _EDGE_RE.search(s)
    if not match:
        return s, None
    token = match.group("pre") or match.group("post")
    code = _code_for(token)
    if code is None:
        return s, None
    return (s[: match.start()] + s[match.end() :]).strip(), code


def currency_from_text(text: str) -> str | None:
    """The first currency a piece of text names (code, symbol or context word)."""
    match = _CODE_RE.search(text)
    if match:
        return match.group(1)
    match = _SYMBOL_RE.search(text)
    if match:
        return SYMBOLS.get(match.group(0))
    if re.search(r"\bRs\.?\s*\d", text):
        return "INR"
    lowered = text.lower()
    for word, code in _CONTEXT:
        if word in lowered:
            return code
    return None


def decide_currency(texts: Iterable[str]) -> str | None:
    """The document's currency: most named code/symbol; a specific ``S$`` beats a bare ``$``."""
    votes: Counter[str] = Counter()
    for text in texts:
        if not _MAY_NAME.search(text):
            continue  # digits and punctuation only: no code, symbol or word
        for match in _CODE_RE.finditer(text):
            votes[match.group(1)] += 3
        for match in _SYMBOL_RE.finditer(text):
            code = SYMBOLS.get(match.group(0))
            if code:
                votes[code] += 1 if match.group(0) == "$" else 2
        if "Rs" in text and _RS_RE.search(text):
            votes["INR"] += 2
        lowered = text.lower()
        for word, code in _CONTEXT:
            if word in lowered:
                votes[code] += 1
                break
    if not votes:
        return None
    if "USD" in votes and len(votes) > 1:
        # a bare "$" is shared by many dollars: let a named dollar win
        others = [c for c in votes if c != "USD"]
        best_other = max(others, key=lambda c: votes[c])
        if best_other.endswith("D") and votes[best_other] >= 2:
            votes["USD"] = 0
    return votes.most_common(1)[0][0]
