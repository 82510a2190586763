"""A statement's document checks run again after some of its pages were read by another reader.

Hybrid routing replaces the rows of the pages the engine could not vouch for with Gemini's
(already in the contract's shape). The merged statement must then be checked and scored
exactly as :func:`~.assemble.assemble_pages` checks and scores the engine's own reading: the
running balance (with the balance convention the assembly chose), opening + net = closing,
the summary, the confidence and the review flags. This module reuses the assembly's own
functions for that; nothing here is I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from decimal import Decimal

from services.parser.extract.results import BankStatementResult, StatementSummary
from services.parser.extract.statement.assemble import (
    CENT,
    _continuity,
    _money,
    _Reading,
    _Row,
    _score,
    assemble_pages,
)
from services.parser.extract.statement.model import PageOut, RowOut

__all__ = ["owes_balance", "recheck_statement"]


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _rows(result: BankStatementResult) -> list[_Row]:
    rows = []
    for t in result.transactions:
        debit, credit = _decimal(t.debit), _decimal(t.credit)
        if debit is None and credit is None and t.amount:
            amount = Decimal(str(t.amount))
            debit, credit = (None, amount) if amount > 0 else (-amount, None)
        rows.append(
            _Row(
                raw=RowOut(description=t.description, reference=t.reference),
                page=t.page,
                date=_date(t.date),
                value_date=_date(t.value_date),
                debit=debit,
                credit=credit,
                balance=_decimal(t.balance),
            )
        )
    return rows


def owes_balance(pages: Sequence[PageOut]) -> bool:
    """Whether the assembly reads the statement's balance as what is owed (a card or a
    loan: the balance grows with debits), as it does when it assembles ``pages``."""
    _, notes = assemble_pages([p.model_copy(deep=True) for p in pages])
    return "liability=True" in notes.convention


def recheck_statement(
    result: BankStatementResult, pages: Sequence[PageOut], *, replaced: Collection[int] = ()
) -> BankStatementResult:
    """``result`` with its summary, checks, confidence and review flags computed again.

    Args:
        result: a statement whose rows on the 1-based pages ``replaced`` came from another
            reader (the rest as the engine assembled them from ``pages``).
        pages: the engine's own page results (what ``extract_page`` stored), in order.
        replaced: pages whose rows are not the engine's: their OCR confidence no longer
            bears on the answer.
    """
    local_pages = [p.model_copy(deep=True) for p in pages]
    local, notes = assemble_pages(local_pages)  # the reading (balance convention) it chose
    liability = "liability=True" in notes.convention
    kept_repairs = [
        i
        for i in notes.repaired
        if i < len(local.transactions) and local.transactions[i].page not in replaced
    ]
    notes.repaired = kept_repairs
    scored_pages = [
        p.model_copy(update={"ocr_confidence": None}) if p.index + 1 in replaced else p
        for p in pages
    ]

    out = result.model_copy(deep=True)
    rows = _rows(out)
    opening = _decimal(out.account.opening_balance)
    closing = _decimal(out.account.closing_balance)
    checked, failed, _ = _continuity(rows, opening, liability)
    notes.failed_rows = failed
    if closing is None:
        closing = next((r.balance for r in reversed(rows) if r.balance is not None), None)
        out.account.closing_balance = _money(closing)
    total_debits = sum((r.debit or Decimal(0) for r in rows), Decimal(0))
    total_credits = sum((r.credit or Decimal(0) for r in rows), Decimal(0))
    out.summary = StatementSummary(
        transaction_count=len(rows),
        total_debits=_money(total_debits) or 0.0,
        total_credits=_money(total_credits) or 0.0,
    )
    has_balances = any(r.balance is not None for r in rows)
    out.checks.balance_continuity = (not failed) if has_balances and checked else None
    net_check: bool | None = None
    if opening is not None and closing is not None and rows:
        net = total_credits - total_debits
        expected = opening - net if liability else opening + net
        net_check = abs(expected - closing) <= CENT
    out.checks.opening_plus_net_equals_closing = net_check
    _score(out, scored_pages, rows, notes, checked, _Reading(liability=liability))
    return out
