"""Hybrid routing for a whole bank statement, on the contract's JSON.

The parser assembles a statement locally; these pure helpers find the pages whose rows fail
their checks (:func:`page_assessments`) and splice Gemini's rows for escalated pages back in
document order (:func:`replace_pages`). The parser then re-runs its own document checks on
the merged result, exactly as on a local one.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from services.common.gemini.routing import Assessment
from services.common.gemini.schemas import StatementPageAnswer
from services.common.gemini.verify import statement_page_checks


@dataclass(frozen=True)
class PageAssessment:
    page: int  # 1-based
    assessment: Assessment
    previous_balance: float | None  # the last printed balance before this page


def page_assessments(
    result: Mapping[str, Any],
    *,
    pages_total: int,
    confidence: float | None = None,
    liability: bool = False,
) -> list[PageAssessment]:
    """Per page: its rows' ``balance_continuity`` (carrying the balance across pages from
    ``account.opening_balance``; ``liability``: a card's balance owed, which grows with
    debits), and the document's confidence unless one is given. A page without rows is
    unusable (nothing read): hybrid escalates it."""
    rows_by_page: dict[int, list[dict[str, Any]]] = {}
    for row in result.get("transactions", []):
        rows_by_page.setdefault(int(row.get("page") or 1), []).append(row)
    balance = (result.get("account") or {}).get("opening_balance")
    conf = float(result.get("confidence", 1.0)) if confidence is None else confidence
    out = []
    for page in range(1, pages_total + 1):
        rows = rows_by_page.get(page, [])
        answer = StatementPageAnswer.model_validate({"account": {}, "transactions": rows})
        checks = statement_page_checks(answer, previous_balance=balance, liability=liability)
        out.append(
            PageAssessment(
                page=page,
                assessment=Assessment(
                    checks={"balance_continuity": checks["balance_continuity"]},
                    confidence=conf,
                    usable=bool(rows),
                ),
                previous_balance=balance,
            )
        )
        for row in rows:
            if row.get("balance") is not None:
                balance = row["balance"]
    return out


def replace_pages(
    result: Mapping[str, Any], replacements: Mapping[int, StatementPageAnswer]
) -> dict[str, Any]:
    """A copy of ``result`` whose rows on each replaced page are Gemini's (in page order);
    account fields the local result lacks are filled from the replacing pages."""
    merged = deepcopy(dict(result))
    rows: list[dict[str, Any]] = []
    done: set[int] = set()
    for row in merged.get("transactions", []):
        page = int(row.get("page") or 1)
        if page in replacements:
            if page not in done:
                rows.extend(_rows(replacements[page], page))
                done.add(page)
            continue
        rows.append(row)
    for page in sorted(set(replacements) - done):
        at = next((i for i, r in enumerate(rows) if int(r.get("page") or 1) > page), len(rows))
        rows[at:at] = _rows(replacements[page], page)
    merged["transactions"] = rows
    account = merged.setdefault("account", {})
    for answer in replacements.values():
        for name, value in answer.account.model_dump().items():
            if account.get(name) is None and value is not None:
                account[name] = value
    return merged


def _rows(answer: StatementPageAnswer, page: int) -> list[dict[str, Any]]:
    return [{**row.model_dump(), "page": page} for row in answer.transactions]


__all__ = ["PageAssessment", "page_assessments", "replace_pages"]
