"""What the model is asked to return: pydantic models mirroring the public contract.

``services.common`` may not import ``services.parser``, so the contract's shapes are mirrored
here, limited to what a model reads off a document (no checks, summaries or review flags,
which fintract computes itself). ``tests/unit/test_gemini_schemas.py`` keeps every field
name identical to the contract's example JSONs.

:func:`response_schema` turns a model class into the OpenAPI-subset schema that Gemini's
``responseSchema`` accepts (and that is written into the prompt for models without JSON mode).
Validation is strict on types and formats: an answer that fails it counts as a failed attempt.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}:\d{2}$")


def _check_date(value: str | None) -> str | None:
    if value is None or value == "":
        return value
    if not _DATE.match(value):
        raise ValueError(f"date {value!r} is not YYYY-MM-DD")
    dt.date.fromisoformat(value)
    return value


class _Answer(BaseModel):
    # Extra keys a model adds are dropped; wrong types or formats fail validation.
    model_config = ConfigDict(extra="ignore", strict=False)


class AccountFields(_Answer):
    bank_name: str | None = Field(None, description="bank as printed")
    account_holder: str | None = None
    account_number: str | None = Field(None, description="as printed, masked digits kept")
    branch_code: str | None = Field(None, description="IFSC / sort code / routing / IBAN")
    currency: str | None = Field(None, description="ISO 4217 code")
    period_start: str | None = Field(None, description="YYYY-MM-DD")
    period_end: str | None = Field(None, description="YYYY-MM-DD")
    opening_balance: float | None = None
    closing_balance: float | None = None

    _dates = field_validator("period_start", "period_end")(_check_date)


class TransactionRow(_Answer):
    date: str | None = Field(None, description="YYYY-MM-DD")
    value_date: str | None = Field(None, description="YYYY-MM-DD")
    description: str = Field("", description="wrapped lines joined by one space")
    reference: str | None = None
    debit: float | None = Field(None, ge=0, description="positive, or null")
    credit: float | None = Field(None, ge=0, description="positive, or null")
    amount: float = Field(0.0, description="credit minus debit")
    balance: float | None = Field(None, description="as printed, or null")
    page: int = Field(1, ge=1, description="1-based page number")

    _dates = field_validator("date", "value_date")(_check_date)


class StatementPageAnswer(_Answer):
    """One statement page: the account header fields it shows and its transaction rows."""

    account: AccountFields
    transactions: list[TransactionRow]


class PartyFields(_Answer):
    name: str | None = None
    address: str | None = None
    tax_id: str | None = None


class LineItemFields(_Answer):
    description: str | None = None
    quantity: float | None = None
    unit_price: float | None = None
    amount: float | None = None
    tax_rate: float | None = Field(None, description="percent")


class TaxFields(_Answer):
    type: str | None = Field(None, description="GST, CGST, SGST, IGST, VAT, ...")
    rate: float | None = Field(None, description="percent")
    amount: float | None = None


class InvoiceAnswer(_Answer):
    invoice_number: str | None = None
    invoice_date: str | None = Field(None, description="YYYY-MM-DD")
    due_date: str | None = Field(None, description="YYYY-MM-DD")
    currency: str | None = Field(None, description="ISO 4217 code")
    seller: PartyFields
    buyer: PartyFields
    line_items: list[LineItemFields]
    subtotal: float | None = None
    taxes: list[TaxFields]
    tax_total: float | None = None
    total: float | None = None
    amount_due: float | None = None

    _dates = field_validator("invoice_date", "due_date")(_check_date)


TransactionStatus = Literal["completed", "failed", "pending", "unknown"]
PaymentMethod = Literal["UPI", "NEFT", "IMPS", "unknown"]


class PaymentFields(_Answer):
    """The payments contract's ``data`` (absent strings are ``""`` there, not null)."""

    amount: float = Field(ge=0)
    currency: str = Field("INR", max_length=3, description="ISO 4217 code")
    payer_name: str = Field("", max_length=255)
    payee_name: str = Field("", max_length=255)
    date: str = Field("", description="YYYY-MM-DD or empty")
    time: str = Field("", description="HH:MM:SS 24h or empty")
    transaction_status: TransactionStatus = "unknown"
    transaction_id: str = Field("", max_length=100)
    payment_method: PaymentMethod = "unknown"
    upi_id: str = Field("", max_length=50)

    @field_validator(
        "currency",
        "payer_name",
        "payee_name",
        "date",
        "time",
        "transaction_id",
        "upi_id",
        mode="before",
    )
    @classmethod
    def _null_is_empty(cls, value: object) -> object:
        return "" if value is None else value

    _date = field_validator("date")(_check_date)

    @field_validator("time")
    @classmethod
    def _check_time(cls, value: str) -> str:
        if value and not _TIME.match(value):
            raise ValueError(f"time {value!r} is not HH:MM:SS")
        if value:
            dt.time.fromisoformat(value)
        return value


class PaymentAnswer(PaymentFields):
    """Payment fields plus two of the contract's ``metadata`` fields the model judges."""

    is_payment_screenshot: bool
    confidence: float = Field(ge=0.0, le=1.0)


DocumentType = Literal["bank_statement", "invoice", "payment_screenshot", "unknown"]


class ClassificationAnswer(_Answer):
    """The upload contract's ``type`` of a document, judged from its first page."""

    document_type: DocumentType
    confidence: float = Field(ge=0.0, le=1.0)


# --- pydantic JSON schema → Gemini responseSchema (OpenAPI 3.0 subset) -----------------

_TYPES = {
    "string": "STRING",
    "number": "NUMBER",
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
    "array": "ARRAY",
    "object": "OBJECT",
}


def _convert(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return _convert(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        nullable = len(options) < len(node["anyOf"])
        if len(options) != 1:
            raise ValueError(f"unsupported union in schema: {node}")
        inner = _convert(options[0], defs)
        if nullable:
            inner["nullable"] = True
        if "description" in node:
            inner["description"] = node["description"]
        return inner
    kind = node.get("type")
    if kind is None and "enum" in node:
        kind = "string"
    if kind not in _TYPES:
        raise ValueError(f"unsupported schema node: {node}")
    out: dict[str, Any] = {"type": _TYPES[kind]}
    if "description" in node and kind != "object":  # a class docstring is not for the model
        out["description"] = node["description"]
    if "enum" in node:
        out["enum"] = [str(v) for v in node["enum"]]
    elif "const" in node:
        out["enum"] = [str(node["const"])]
    if kind == "array":
        out["items"] = _convert(node["items"], defs)
    if kind == "object":
        props = node.get("properties", {})
        out["properties"] = {name: _convert(sub, defs) for name, sub in props.items()}
        out["propertyOrdering"] = list(props)
        # Every field is asked for, so the model states null rather than omitting it.
        out["required"] = list(props)
    return out


def response_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Gemini ``responseSchema`` for ``model``: types upper-case, unions as ``nullable``."""
    schema = model.model_json_schema()
    return _convert(schema, schema.get("$defs", {}))


__all__ = [
    "AccountFields",
    "ClassificationAnswer",
    "DocumentType",
    "InvoiceAnswer",
    "LineItemFields",
    "PartyFields",
    "PaymentAnswer",
    "PaymentFields",
    "PaymentMethod",
    "StatementPageAnswer",
    "TaxFields",
    "TransactionRow",
    "TransactionStatus",
    "response_schema",
]
