"""The schema-facing models stay field-for-field identical to the contract's example JSONs,
their Gemini responseSchema is well-formed, and validation is strict where it must be."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from services.common.gemini.schemas import (
    AccountFields,
    ClassificationAnswer,
    InvoiceAnswer,
    LineItemFields,
    PartyFields,
    PaymentAnswer,
    PaymentFields,
    StatementPageAnswer,
    TaxFields,
    TransactionRow,
    response_schema,
)
from services.common.gemini.settings import GeminiSettings, api_keys_from_env

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "contract"
# Top-level fields fintract computes itself rather than asking a model for.
COMPUTED_STATEMENT = {
    "document_type",
    "summary",
    "checks",
    "confidence",
    "requires_review",
    "review_reasons",
}
COMPUTED_INVOICE = {"document_type", "checks", "confidence", "requires_review", "review_reasons"}


def example(name: str) -> dict[str, Any]:
    path = CONTRACT / name
    if not path.exists():
        pytest.skip(f"contract not present at {path}")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def fields(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def test_statement_page_mirrors_the_contract() -> None:
    contract = example("bank_statement.example.json")
    assert set(fields(StatementPageAnswer)) == set(contract) - COMPUTED_STATEMENT
    assert fields(AccountFields) == list(contract["account"])
    assert fields(TransactionRow) == list(contract["transactions"][0])
    # The contract's own values validate as an answer.
    page = StatementPageAnswer.model_validate(
        {"account": contract["account"], "transactions": contract["transactions"]}
    )
    assert [row.model_dump() for row in page.transactions] == contract["transactions"]
    assert page.account.model_dump() == contract["account"]


def test_invoice_mirrors_the_contract() -> None:
    contract = example("invoice.example.json")
    assert fields(InvoiceAnswer) == [k for k in contract if k not in COMPUTED_INVOICE]
    assert fields(PartyFields) == list(contract["seller"]) == list(contract["buyer"])
    assert fields(LineItemFields) == list(contract["line_items"][0])
    assert fields(TaxFields) == list(contract["taxes"][0])
    answer = InvoiceAnswer.model_validate({k: contract[k] for k in fields(InvoiceAnswer)})
    assert answer.model_dump() == {k: contract[k] for k in fields(InvoiceAnswer)}


def test_payment_mirrors_the_contract() -> None:
    contract = example("payment.example.json")
    assert fields(PaymentFields) == list(contract["data"])
    extra = set(fields(PaymentAnswer)) - set(fields(PaymentFields))
    assert extra == {"is_payment_screenshot", "confidence"}
    assert extra <= set(contract["metadata"])
    answer = PaymentAnswer.model_validate(
        {**contract["data"], "is_payment_screenshot": True, "confidence": 0.9}
    )
    assert PaymentFields.model_validate(answer.model_dump()).model_dump() == contract["data"]


def test_classification_uses_the_upload_types() -> None:
    schema = response_schema(ClassificationAnswer)
    assert schema["properties"]["document_type"]["enum"] == [
        "bank_statement",
        "invoice",
        "payment_screenshot",
        "unknown",
    ]


def test_response_schema_is_the_openapi_subset_gemini_accepts() -> None:
    from google.genai import types

    for model in (StatementPageAnswer, InvoiceAnswer, PaymentAnswer, ClassificationAnswer):
        schema = response_schema(model)
        types.Schema.model_validate(schema)  # the SDK's own Schema type accepts it
        text = json.dumps(schema)
        for forbidden in ("$ref", "anyOf", "additionalProperties", "title", "default"):
            assert forbidden not in text
    rows = response_schema(StatementPageAnswer)["properties"]["transactions"]
    assert rows["type"] == "ARRAY"
    debit = rows["items"]["properties"]["debit"]
    assert debit["type"] == "NUMBER" and debit["nullable"] is True
    assert rows["items"]["required"] == fields(TransactionRow)


@pytest.mark.parametrize(
    ("change", "ok"),
    [
        ({}, True),
        ({"payer_name": None, "upi_id": None}, True),  # null is the contract's ""
        ({"amount": -5}, False),
        ({"date": "2025-02-30"}, False),
        ({"date": "8 Nov 2025"}, False),
        ({"time": "1:24 PM"}, False),
        ({"transaction_status": "success"}, False),
        ({"currency": "RUPEE"}, False),
        ({"confidence": 1.5}, False),
    ],
)
def test_payment_validation(change: dict[str, Any], ok: bool) -> None:
    base = {
        "amount": 10.0,
        "currency": "INR",
        "payer_name": "A",
        "payee_name": "B",
        "date": "2025-11-08",
        "time": "13:24:00",
        "transaction_status": "completed",
        "transaction_id": "1",
        "payment_method": "UPI",
        "upi_id": "a@b",
        "is_payment_screenshot": True,
        "confidence": 0.5,
    }
    if ok:
        answer = PaymentAnswer.model_validate({**base, **change})
        assert answer.payer_name in ("A", "")
    else:
        with pytest.raises(ValidationError):
            PaymentAnswer.model_validate({**base, **change})


def test_negative_debit_is_invalid() -> None:
    with pytest.raises(ValidationError):
        TransactionRow.model_validate({"debit": -250.0, "amount": -250.0})


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_MODELS", "gemini-2.0-flash, gemini-1.5-flash")
    monkeypatch.setenv("FINTRACT_PROVIDER", "hybrid")
    monkeypatch.setenv("GEMINI_PRICES", '{"x": [1, 2]}')
    settings = GeminiSettings(_env_file=None)
    assert settings.models == ["gemini-2.0-flash", "gemini-1.5-flash"]
    assert settings.provider == "hybrid"
    assert settings.prices == {"x": (1.0, 2.0)}
    assert settings.cost_tier("gemini-1.5-flash") == "free"
    assert settings.cost_tier("x") == "paid"
    assert settings.cost_tier("nobody-knows") == "unknown"
    monkeypatch.setenv("FINTRACT_PROVIDER", "cloud")
    with pytest.raises(ValidationError):
        GeminiSettings(_env_file=None)


def test_default_chain_is_the_payment_parser_documents() -> None:
    settings = GeminiSettings(_env_file=None)
    assert settings.models == ["gemma-3-27b-it", "gemini-2.0-flash-exp", "gemini-1.5-flash"]
    assert all(settings.is_free(m) for m in settings.models)
    assert not settings.is_free("gemini-2.5-pro")


def test_api_keys_in_rotation_order() -> None:
    env = {
        "GOOGLE_API_KEY": "a",
        "GOOGLE_API_KEY10": "j",
        "GOOGLE_API_KEY2": "b",
        "GOOGLE_API_KEY3": " ",
        "GEMINI_API_KEY": "g",
        "GEMINI_API_KEY2": "a",
        "GOOGLE_API_KEYS": "not-a-key-var",
        "PATH": "/bin",
    }
    assert api_keys_from_env(env) == ["a", "b", "j", "g"]


def test_importing_the_package_needs_no_sdk() -> None:
    code = (
        "import sys, services.common.gemini as g, services.common.gemini.escalate;"
        "assert 'google.genai' not in sys.modules, 'google.genai imported eagerly';"
        "assert 'services.common.ocr' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
