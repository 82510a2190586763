"""The contract's result shapes (../shared/contract) as pydantic models.

``model_dump(mode="json")`` of a result is exactly the contract's JSON: every field present,
``None`` where the document does not show a value.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Account(_Model):
    bank_name: str | None = None
    account_holder: str | None = None
    account_number: str | None = None
    branch_code: str | None = None
    currency: str | None = None
    period_start: str | None = None
    period_end: str | None = None
    opening_balance: float | None = None
    closing_balance: float | None = None


class Transaction(_Model):
    date: str | None = None
    value_date: str | None = None
    description: str = ""
    reference: str | None = None
    debit: float | None = None
    credit: float | None = None
    amount: float = 0.0
    balance: float | None = None
    page: int = 1


class StatementSummary(_Model):
    transaction_count: int = 0
    total_debits: float = 0.0
    total_credits: float = 0.0


class StatementChecks(_Model):
    balance_continuity: bool | None = None
    opening_plus_net_equals_closing: bool | None = None


class BankStatementResult(_Model):
    document_type: Literal["bank_statement"] = "bank_statement"
    account: Account = Field(default_factory=Account)
    transactions: list[Transaction] = Field(default_factory=list)
    summary: StatementSummary = Field(default_factory=StatementSummary)
    checks: StatementChecks = Field(default_factory=StatementChecks)
    confidence: float = 0.0
    requires_review: bool = False
    review_reasons: list[str] = Field(default_factory=list)


class Party(_Model):
    name: str | None = None
    address: str | None = None
    tax_id: str | None = None


class LineItem(_Model):
    description: str | None = None
    quantity: float | None = None
    unit_price: float | None = None
    amount: float | None = None
    tax_rate: float | None = None


class Tax(_Model):
    type: str | None = None
    rate: float | None = None
    amount: float | None = None


class InvoiceChecks(_Model):
    line_items_sum_to_subtotal: bool | None = None
    subtotal_plus_tax_equals_total: bool | None = None


class InvoiceResult(_Model):
    document_type: Literal["invoice"] = "invoice"
    invoice_number: str | None = None
    invoice_date: str | None = None
    due_date: str | None = None
    currency: str | None = None
    seller: Party = Field(default_factory=Party)
    buyer: Party = Field(default_factory=Party)
    line_items: list[LineItem] = Field(default_factory=list)
    subtotal: float | None = None
    taxes: list[Tax] = Field(default_factory=list)
    tax_total: float | None = None
    total: float | None = None
    amount_due: float | None = None
    checks: InvoiceChecks = Field(default_factory=InvoiceChecks)
    confidence: float = 0.0
    requires_review: bool = False
    review_reasons: list[str] = Field(default_factory=list)


ParseResultModel = BankStatementResult | InvoiceResult


class Provenance(_Model):
    """What produced a result; travels beside it, outside the contract's JSON."""

    provider: str = "local"
    model: str = "fintract-local"
    escalated_pages: list[int] = Field(default_factory=list)
    source: str = ""  # text_layer | ocr | mixed | embedded_xml


__all__ = [
    "Account",
    "BankStatementResult",
    "InvoiceChecks",
    "InvoiceResult",
    "LineItem",
    "ParseResultModel",
    "Party",
    "Provenance",
    "StatementChecks",
    "StatementSummary",
    "Tax",
    "Transaction",
]
