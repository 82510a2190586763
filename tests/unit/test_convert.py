"""Proto messages map one to one onto the contract's result JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fintract.api.results.v1 import results_pb2
from fintract.convert import dict_to_message, message_to_dict
from services.parser.extract.results import BankStatementResult, InvoiceResult

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "contract"


@pytest.mark.parametrize(
    ("example", "message", "model"),
    [
        ("bank_statement.example.json", results_pb2.BankStatementResult, BankStatementResult),
        ("invoice.example.json", results_pb2.InvoiceResult, InvoiceResult),
    ],
)
def test_contract_examples_round_trip(example: str, message: type, model: type) -> None:
    if not (CONTRACT / example).exists():
        pytest.skip("shared/contract not present")
    data = json.loads((CONTRACT / example).read_text())
    assert message_to_dict(dict_to_message(data, message())) == data
    assert model.model_validate(data).model_dump(mode="json") == data


def test_unknown_values_become_null_not_zero() -> None:
    empty = BankStatementResult().model_dump(mode="json")
    back = message_to_dict(dict_to_message(empty, results_pb2.BankStatementResult()))
    assert back["account"]["opening_balance"] is None
    assert back["checks"]["balance_continuity"] is None
    assert back == empty
