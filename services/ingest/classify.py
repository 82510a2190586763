"""A first, cheap guess at what a document is: ``bank_statement``, ``invoice``,
``payment_screenshot`` or ``unknown``, with a confidence in 0..1.

PDFs are scored on the text layer of their first pages with weighted multilingual keywords;
each keyword counts once however often it appears. Images get no OCR at upload: only the
aspect ratio of a phone screenshot hints at a payment screenshot, with low confidence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

BANK_STATEMENT = "bank_statement"
INVOICE = "invoice"
PAYMENT_SCREENSHOT = "payment_screenshot"
UNKNOWN = "unknown"

# (pattern, weight); patterns match lower-cased text with accents removed.
_TERMS: dict[str, tuple[tuple[str, int], ...]] = {
    BANK_STATEMENT: (
        (r"statement of accounts?", 4),
        (r"\b(?:bank|account|card) statement", 4),
        (r"opening balance", 3),
        (r"closing balance", 3),
        (r"\bwithdrawals?\b", 2),
        (r"\bdeposits?\b", 2),
        (r"\bifsc\b", 2),
        (r"kontoauszug", 4),
        (r"\breleve(?: de compte| bancaire)?\b", 3),
        (r"\bextracto\b|estado de cuenta", 3),
        (r"statement (?:date|period)", 3),
        (
            r"previous balance|last month'?s balance|balance (?:brought|carried) forward|"
            r"balance b/?f",
            3,
        ),
        (r"available (?:balance|credit)", 2),
        (r"credit limit", 2),
        (r"minimum (?:amount )?due", 2),
        (r"transaction date|txn date|value date|posting date", 2),
        (r"alter kontostand|neuer kontostand|anfangssaldo|endsaldo", 3),
        (r"\bsolde\b", 2),
        (r"\bbalance\b", 1),
        (r"\bdebits?\b", 1),
        (r"\bcredits?\b", 1),
        (r"\bcheque\b|\bchq\b", 1),
    ),
    INVOICE: (
        (r"\binvoice", 4),
        (r"tax invoice", 3),
        (r"\bgstin\b", 2),
        (r"\bbill(?:ed)? to\b", 2),
        (r"rechnung", 4),
        (r"\bfacture", 4),
        (r"\bfactuur", 4),
        (r"\bfaktura", 4),
        (r"\bfactura\b", 4),
        (r"\bvat\b", 2),
        (r"\bsub-? ?total\b|zwischensumme|sous-total|subtotaal", 2),
        (r"amount due|balance due|amount payable|somme a payer|montant a payer", 2),
        (r"\b(?:u?st|mwst)\b|umsatzsteuer|mehrwertsteuer", 2),
        (r"\btva\b|\bbtw\b|\biva\b", 2),
        (r"\b(?:ttc|ht)\b|nettobetrag|bruttobetrag|netto|brutto", 1),
        (r"unit price|\bqty\b|quantity|menge|quantite|hoeveelheid|einzelpreis|prix unitaire", 2),
        (r"\bdue date|zahlungsziel|faellig|echeance|vervaldatum", 1),
        (r"\bhsn\b|\bsac\b", 1),
        (r"\bgst\b|\bcgst\b|\bsgst\b|\bigst\b", 1),
        (r"grand total|total amount|gesamtbetrag|montant total|totaal", 1),
        (r"\bpurchase order|\bpo number|bestellnummer", 1),
    ),
    PAYMENT_SCREENSHOT: (
        (r"\bupi\b", 3),
        (r"paid to\b", 3),
        (r"transaction id|\btxn id\b", 2),
        (r"\butr\b", 3),
        (r"payment (?:successful|completed)|paid successfully|money sent", 3),
        (r"google pay|\bgpay\b|phonepe|paytm|\bbhim\b", 2),
        (r"received from\b|sent to\b", 1),
        (r"debited from\b|credited to\b", 1),
    ),
}
_COMPILED = {
    kind: tuple((re.compile(pattern), weight) for pattern, weight in terms)
    for kind, terms in _TERMS.items()
}
# Weight a class needs before it is named at all.
MIN_SCORE = 4
# Score at which the evidence counts as strong.
STRONG_SCORE = 12
# Height/width of typical phone screenshots (16:9 is 1.78, 19.5:9 is 2.17).
SCREENSHOT_RATIO = 1.7


@dataclass(frozen=True)
class Classification:
    """The guess: one of the four type words and how sure it is (0..1)."""

    doc_type: str
    confidence: float


def normalise(text: str) -> str:
    """Lower-case, strip accents and collapse whitespace (NBSP included)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def scores(text: str) -> dict[str, int]:
    """Each class's keyword score for ``text`` (each keyword counts once)."""
    flat = normalise(text)
    return {
        kind: sum(weight for pattern, weight in terms if pattern.search(flat))
        for kind, terms in _COMPILED.items()
    }


def classify_text(text: str) -> Classification:
    """Classify a document from its text layer."""
    ranked = sorted(scores(text).items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < MIN_SCORE or top == second:
        return Classification(UNKNOWN, 0.1 if top == 0 else 0.2)
    share = top / (top + second)
    strength = min(1.0, top / STRONG_SCORE)
    return Classification(best, round(0.5 * share + 0.45 * strength, 3))


def classify_image(width: int, height: int) -> Classification:
    """Guess from an image's shape alone: a tall phone screenshot is likely a payment."""
    if width > 0 and height / width >= SCREENSHOT_RATIO:
        return Classification(PAYMENT_SCREENSHOT, 0.4)
    return Classification(UNKNOWN, 0.1)


__all__ = [
    "BANK_STATEMENT",
    "INVOICE",
    "PAYMENT_SCREENSHOT",
    "UNKNOWN",
    "Classification",
    "classify_image",
    "classify_text",
    "normalise",
    "scores",
]
