"""Documents for the hybrid routing tests: a text statement whose one row can be printed in
the wrong column (the engine's running balance then fails on that page only, while every
printed value stays on the page), its true rows per page, and Gemini's page answers."""

from __future__ import annotations

from typing import Any

from tests.factories import text_pdf


def statement(
    *,
    pages: int = 3,
    rows: int = 6,
    flip: tuple[int, int] | None = None,
    card: bool = False,
) -> tuple[bytes, dict[int, list[dict[str, Any]]]]:
    """A text-layer statement (every balance printed) and its true rows per page. ``flip``
    = (page, row) prints that row's debit in the credit column, so the engine's reading of
    the page breaks the running balance while every printed value stays on the page.
    ``card``: a credit-card statement, whose balance (what is owed) grows with each debit."""
    out: list[list[str]] = []
    truth: dict[int, list[dict[str, Any]]] = {}
    balance = 5000.0
    for p in range(pages):
        lines = [
            "Demo Bank Ltd  Statement of Account",
            "Account Number: 000123456789   IFSC: DEMO0001234",
            "Date        Description                 Debit      Credit     Balance",
        ]
        if card:
            lines[0] = "Demo Bank Ltd  Credit Card Statement   Minimum Amount Due 250.00"

        if p == 0:
            lines.append(f"01/01/2025  Opening Balance{' ' * 35}{balance:,.2f}")
        for r in range(rows):
            amount = 10.0 * (r + 1 + p) + 0.25
            balance = round(balance + amount if card else balance - amount, 2)
            day = 2 + p * rows + r
            before, after = (" " * 15, " " * 2) if (p + 1, r) == flip else (" " * 2, " " * 13)
            lines.append(
                f"{day:02d}/01/2025  PURCHASE {p}-{r}{before}{amount:>10,.2f}{after}"
                f"{balance:>10,.2f}"
            )
            truth.setdefault(p + 1, []).append(
                {
                    "date": f"2025-01-{day:02d}",
                    "value_date": None,
                    "description": f"PURCHASE {p}-{r}",
                    "reference": None,
                    "debit": amount,
                    "credit": None,
                    "amount": -amount,
                    "balance": balance,
                    "page": p + 1,
                }
            )
        out.append(lines)
    return text_pdf(out), truth


def page_answer(rows: list[dict[str, Any]]) -> dict[str, Any]:
    account = dict.fromkeys(
        (
            "bank_name",
            "account_holder",
            "account_number",
            "branch_code",
            "currency",
            "period_start",
            "period_end",
            "opening_balance",
            "closing_balance",
        )
    )
    return {"account": account, "transactions": rows}


__all__ = ["page_answer", "statement"]
