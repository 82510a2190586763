"""From a page of OCR lines to the contract's ten fields, a payment/not-payment verdict and a
confidence."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from services.payments.extract import fields as f
from services.payments.extract.lines import Page

_BILL = re.compile(
    r"\b(gstin|tax invoice|invoice|qty|quantity|subtotal|sub total|cgst|sgst|hsn|bill no|mrp"
    r"|item|visit again)\b",
    re.I,
)
_CHAT = re.compile(r"\b(type a message|online|last seen|typing|delivered|seen)\b", re.I)


@dataclass(frozen=True, slots=True)
class PaymentFields:
    """The contract's ``data`` object; the defaults are its empty shape."""

    amount: float = 0.0
    currency: str = "INR"
    payer_name: str = ""
    payee_name: str = ""
    date: str = ""
    time: str = ""
    transaction_status: str = "unknown"
    transaction_id: str = ""
    payment_method: str = "unknown"
    upi_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Extraction:
    fields: PaymentFields
    is_payment_screenshot: bool
    confidence: float
    payment_score: float
    missing: tuple[str, ...] = field(default_factory=tuple)


_CORE = ("amount", "date", "transaction_status", "transaction_id", "payee_name")


def extract_payment(page: Page) -> Extraction:
    """Read every field, then decide whether the page is a payment receipt at all."""
    amount = f.find_amount(page)
    day, clock = f.find_date_time(page)
    status = f.find_status(page)
    txn = f.find_transaction_id(page)
    upi = f.find_upi_id(page)
    payee = f.find_payee(page)
    payer = f.find_payer(page)
    if payer is not None and payee is not None and payer.value == payee.value:
        payer = None
    method = f.find_method(
        page, upi_id=upi.value if upi else None, transaction_id=txn.value if txn else None
    )
    values = PaymentFields(
        amount=float(amount.value) if amount else 0.0,
        currency=f.find_currency(page, amount),
        payer_name=payer.value[:255] if payer else "",
        payee_name=payee.value[:255] if payee else "",
        date=day.value if day else "",
        time=clock.value if clock else "",
        transaction_status=status.value if status else "unknown",
        transaction_id=txn.value[:100] if txn else "",
        payment_method=method,
        upi_id=upi.value[:50] if upi else "",
    )
    score = _payment_score(page, amount, status, txn, upi, payee, method)
    is_payment = amount is not None and score >= 5.0
    found = {
        "amount": amount,
        "date": day,
        "transaction_status": status,
        "transaction_id": txn,
        "payee_name": payee,
    }
    missing = tuple(name for name in _CORE if found[name] is None)
    used = [v.line.confidence for v in (amount, day, clock, status, txn, upi, payee, payer) if v]
    ocr_conf = sum(used) / len(used) if used else 0.0
    completeness = 1.0 - len(missing) / len(_CORE)
    confidence = round(ocr_conf * (0.4 + 0.6 * completeness), 4) if is_payment else 0.0
    return Extraction(values, is_payment, confidence, score, missing)


def _payment_score(
    page: Page,
    amount: f.Found | None,
    status: f.Found | None,
    txn: f.Found | None,
    upi: f.Found | None,
    payee: f.Found | None,
    method: str,
) -> float:
    text = page.text
    score = 0.0
    score += 2.0 if amount else 0.0
    score += 1.0 if status else 0.0
    score += 2.0 if txn and txn.score >= 50 else (1.0 if txn else 0.0)
    score += 1.0 if upi else 0.0
    score += 1.0 if payee else 0.0
    score += 0.5 if method in ("NEFT", "IMPS") else 0.0
    score -= 2.0 * min(3, len(set(m.group(0).lower() for m in _BILL.finditer(text))))
    score -= 2.0 * min(2, len(_CHAT.findall(text)))
    return score


__all__ = ["Extraction", "PaymentFields", "extract_payment"]
