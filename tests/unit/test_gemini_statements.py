"""Per-page assessment of an assembled statement and splicing escalated pages back in."""

from __future__ import annotations

from typing import Any

from services.common.gemini.schemas import StatementPageAnswer
from services.common.gemini.statements import page_assessments, replace_pages


def row(page: int, amount: float, balance: float | None, desc: str = "x") -> dict[str, Any]:
    return {
        "date": "2025-01-01",
        "value_date": None,
        "description": desc,
        "reference": None,
        "debit": -amount if amount < 0 else None,
        "credit": amount if amount > 0 else None,
        "amount": amount,
        "balance": balance,
        "page": page,
    }


RESULT = {
    "document_type": "bank_statement",
    "account": {"opening_balance": 100.0, "bank_name": None},
    "transactions": [
        row(1, -10, 90),
        row(1, 20, 110),
        row(2, -5, 100),  # wrong: 110 - 5 = 105 (a row was missed or misread)
        row(4, 1, 101),
    ],
    "confidence": 0.9,
}


def test_pages_assessed_with_balance_carried() -> None:
    pages = page_assessments(RESULT, pages_total=4)
    assert [p.page for p in pages] == [1, 2, 3, 4]
    assert pages[0].assessment.failed_checks == []
    assert pages[1].assessment.failed_checks == ["balance_continuity"]
    assert pages[1].previous_balance == 110
    assert not pages[2].assessment.usable  # no rows read on page 3
    assert pages[3].previous_balance == 100
    assert pages[3].assessment.failed_checks == []
    assert all(p.assessment.confidence == 0.9 for p in pages)


def test_escalated_pages_spliced_in_order() -> None:
    page2 = StatementPageAnswer.model_validate(
        {
            "account": {"bank_name": "SBI"},
            "transactions": [row(9, -3, 107, "a"), row(9, -2, 105, "b")],
        }
    )
    page3 = StatementPageAnswer.model_validate(
        {"account": {}, "transactions": [row(9, 1, 106, "c")]}
    )
    merged = replace_pages(RESULT, {2: page2, 3: page3})
    assert [(r["page"], r["amount"]) for r in merged["transactions"]] == [
        (1, -10),
        (1, 20),
        (2, -3),
        (2, -2),
        (3, 1),
        (4, 1),
    ]
    assert merged["account"]["bank_name"] == "SBI"
    assert RESULT["transactions"][2]["amount"] == -5  # the input is not modified
