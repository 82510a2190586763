"""Trust but verify: check a model's answer against the document it came from.

A model can invent a row, flip a sign or "correct" an amount. Every amount and id in its
answer must appear in the page's own text (the PDF text layer, or the OCR words the caller
already has): numbers are compared as values (``1,000``, ``1000.00``, ``₹ 1, 000`` and
``1.000,00`` are one value), ids after normalising case, spacing, separators and OCR
look-alikes (``O``/``0``, ``I``/``l``/``1``). A value that cannot be found is listed in
:attr:`Verification.unverified` and the answer gets ``requires_review`` with reason
``unverified_value``. The arithmetic checks of the contract run on the answer as well.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import cached_property

from services.common.gemini.schemas import InvoiceAnswer, PaymentAnswer, StatementPageAnswer

UNVERIFIED_VALUE = "unverified_value"

_NUMBER_RUN = re.compile(r"\d[\d,.'’]*")
_MASK_RUN = re.compile(r"[x*•#]{2,}")
_NOT_ID = re.compile(r"[^a-z0-9@*]")
_FOLD = str.maketrans({"o": "0", "i": "1", "l": "1", "|": "1"})


def normalise_id(value: str) -> str:
    """Case, spacing, separators and OCR look-alikes folded; masked runs made one ``*``."""
    folded = _MASK_RUN.sub("*", value.lower())
    return _NOT_ID.sub("", folded).translate(_FOLD)


def _interpretations(run: str) -> set[int]:
    """Values (in cents) a printed number run can mean."""
    run = run.rstrip(",.'’")
    if not run:
        return set()
    digits = re.sub(r"\D", "", run)
    seps = [c for c in run if not c.isdigit()]
    out: set[int] = set()
    if not seps:
        return {int(digits) * 100}
    last = max(run.rfind("."), run.rfind(","))
    decimals = len(run) - last - 1
    kinds = set(seps)
    if len(kinds) > 1 or (len(seps) == 1 and decimals != 3):
        # "1,234.56" / "1.234,56": the last separator is the decimal point;
        # a lone separator not followed by exactly three digits is one too.
        whole = re.sub(r"\D", "", run[:last]) or "0"
        frac = (run[last + 1 :] + "00")[:2]
        if decimals <= 2:
            out.add(int(whole) * 100 + int(frac))
        else:
            # "12.3456": not money as printed; keep the rounded value.
            out.add(round(float(f"{whole}.{run[last + 1 :]}") * 100))
    else:
        # Only grouping separators ("1,000", "10,00,000", "1.000"), or ambiguous "1.234".
        out.add(int(digits) * 100)
        if len(seps) == 1:
            out.add(int(re.sub(r"\D", "", run[:last])) * 100 + int(run[last + 1 : last + 3]))
    return out


@dataclass(frozen=True)
class DocumentText:
    """A page's text, indexed for looking values up. Build one per page and reuse it."""

    text: str

    @cached_property
    def _cents(self) -> set[int]:
        tokens = self.text.split()
        found: set[int] = set()
        pieces = [*tokens, *(a + b for a, b in itertools.pairwise(tokens))]
        for piece in pieces:
            for run in _NUMBER_RUN.findall(piece):
                found |= _interpretations(run)
        return found

    @cached_property
    def _ids(self) -> str:
        return normalise_id(self.text)

    def has_amount(self, value: float) -> bool:
        """Whether ``|value|`` is printed on the page (to the cent)."""
        return round(abs(value) * 100) in self._cents

    def has_id(self, value: str) -> bool:
        """Whether an id, reference, number or handle appears on the page."""
        needle = normalise_id(value)
        return bool(needle) and needle in self._ids


@dataclass(frozen=True)
class Verification:
    """The outcome of checking one answer against its document."""

    unverified: tuple[str, ...] = ()
    checks: dict[str, bool | None] = field(default_factory=dict)
    checked: int = 0  # how many values were looked up

    @property
    def confidence(self) -> float:
        """Share of looked-up values found, halved when a check fails (not calibrated: it
        says how much of the answer the document confirms)."""
        found = 1.0 if not self.checked else 1.0 - len(self.unverified) / self.checked
        return round(max(0.0, found) * (0.5 if self.failed_checks else 1.0), 3)

    @property
    def failed_checks(self) -> list[str]:
        return [name for name, ok in self.checks.items() if ok is False]

    @property
    def ok(self) -> bool:
        return not self.unverified and not self.failed_checks

    @property
    def review_reasons(self) -> list[str]:
        """``unverified_value`` first (when any), then each failed check by name."""
        return ([UNVERIFIED_VALUE] if self.unverified else []) + self.failed_checks

    @property
    def problems(self) -> int:
        """How many things are wrong: used to pick the better-checked of two answers."""
        return len(self.unverified) + len(self.failed_checks)


@dataclass
class _Probe:
    doc: DocumentText
    missing: list[str] = field(default_factory=list)
    checked: int = 0

    def amount(self, path: str, value: float | None) -> None:
        if value is None:
            return
        self.checked += 1
        if not self.doc.has_amount(value):
            self.missing.append(path)

    def ident(self, path: str, value: str | None) -> None:
        if not value:
            return
        self.checked += 1
        if not self.doc.has_id(value):
            self.missing.append(path)


def _as_doc(text: str | DocumentText) -> DocumentText:
    return text if isinstance(text, DocumentText) else DocumentText(text)


def verify_payment(answer: PaymentAnswer, text: str | DocumentText) -> Verification:
    """Amount, transaction id and UPI id must appear in the screenshot's OCR text."""
    probe = _Probe(_as_doc(text))
    if answer.amount:
        probe.amount("amount", answer.amount)
    for name in ("transaction_id", "upi_id"):
        probe.ident(name, getattr(answer, name))
    return Verification(unverified=tuple(probe.missing), checked=probe.checked)


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 0.005


def statement_page_checks(
    page: StatementPageAnswer,
    *,
    previous_balance: float | None = None,
    liability: bool = False,
) -> dict[str, bool | None]:
    """The contract's statement checks as far as one page allows.

    ``balance_continuity``: each printed balance equals the previous printed balance plus the
    row's amount (``previous_balance`` carries in from the page before) — minus it for a
    ``liability`` (a card or loan, whose balance owed grows with each debit). The
    opening/closing check runs only when the page shows both and holds the whole statement.
    """
    sign = -1.0 if liability else 1.0
    balance = previous_balance
    if balance is None:
        balance = page.account.opening_balance
    continuity: bool | None = None
    for row in page.transactions:
        if row.balance is None:
            balance = None
            continue
        if balance is not None:
            ok = _close(balance + sign * row.amount, row.balance)
            continuity = ok if continuity is None else continuity and ok
        balance = row.balance
    closing: bool | None = None
    opening = page.account.opening_balance
    if opening is not None and page.account.closing_balance is not None and page.transactions:
        net = sum(row.amount for row in page.transactions)
        closing = _close(opening + sign * net, page.account.closing_balance)
    return {"balance_continuity": continuity, "opening_plus_net_equals_closing": closing}


def verify_statement_page(
    page: StatementPageAnswer,
    text: str | DocumentText,
    *,
    previous_balance: float | None = None,
    liability: bool = False,
) -> Verification:
    """Every amount, balance, reference and the account number must be on the page; each
    row's ``amount`` must equal credit − debit (a flipped sign is caught here)."""
    probe = _Probe(_as_doc(text))
    acct = page.account
    for name in ("account_number", "branch_code"):
        probe.ident(f"account.{name}", getattr(acct, name))
    for name in ("opening_balance", "closing_balance"):
        probe.amount(f"account.{name}", getattr(acct, name))
    for i, row in enumerate(page.transactions):
        for name in ("debit", "credit", "balance"):
            probe.amount(f"transactions[{i}].{name}", getattr(row, name))
        probe.ident(f"transactions[{i}].reference", row.reference)
        if row.debit is not None or row.credit is not None:
            probe.checked += 1
            if not _close(row.amount, (row.credit or 0.0) - (row.debit or 0.0)):
                probe.missing.append(f"transactions[{i}].amount")
    checks = statement_page_checks(page, previous_balance=previous_balance, liability=liability)
    return Verification(unverified=tuple(probe.missing), checks=checks, checked=probe.checked)


def invoice_checks(invoice: InvoiceAnswer) -> dict[str, bool | None]:
    """``line_items_sum_to_subtotal`` and ``subtotal_plus_tax_equals_total`` (None when a
    side is missing)."""
    amounts = [item.amount for item in invoice.line_items]
    items: bool | None = None
    if invoice.subtotal is not None and amounts and all(a is not None for a in amounts):
        items = _close(sum(a for a in amounts if a is not None), invoice.subtotal)
    total: bool | None = None
    tax = invoice.tax_total
    if tax is None and invoice.taxes and all(t.amount is not None for t in invoice.taxes):
        tax = sum(t.amount for t in invoice.taxes if t.amount is not None)
    if invoice.subtotal is not None and invoice.total is not None:
        total = _close(invoice.subtotal + (tax or 0.0), invoice.total)
    return {"line_items_sum_to_subtotal": items, "subtotal_plus_tax_equals_total": total}


def verify_invoice(invoice: InvoiceAnswer, text: str | DocumentText) -> Verification:
    """Invoice number, tax ids and every money amount must be on the document."""
    probe = _Probe(_as_doc(text))
    probe.ident("invoice_number", invoice.invoice_number)
    for party in ("seller", "buyer"):
        probe.ident(f"{party}.tax_id", getattr(invoice, party).tax_id)
    for name in ("subtotal", "tax_total", "total", "amount_due"):
        probe.amount(name, getattr(invoice, name))
    for i, item in enumerate(invoice.line_items):
        for name in ("unit_price", "amount"):
            probe.amount(f"line_items[{i}].{name}", getattr(item, name))
    for i, tax_line in enumerate(invoice.taxes):
        probe.amount(f"taxes[{i}].amount", tax_line.amount)
    return Verification(
        unverified=tuple(probe.missing), checks=invoice_checks(invoice), checked=probe.checked
    )


__all__ = [
    "UNVERIFIED_VALUE",
    "DocumentText",
    "Verification",
    "invoice_checks",
    "normalise_id",
    "statement_page_checks",
    "verify_invoice",
    "verify_payment",
    "verify_statement_page",
]
