"""The pure parts of the parser's provider routing: which pages hybrid escalates, and the
statement engine's own checks run again on a statement whose pages were replaced."""

from __future__ import annotations

from services.common.gemini import Assessment, PageAssessment
from services.parser.escalation import (
    GEMINI_UNAVAILABLE,
    flagged,
    model_name,
    pages_to_escalate,
)
from services.parser.extract import ExtractOptions, SourceDocument, extractor_for
from services.parser.extract.results import BankStatementResult
from services.parser.extract.statement import PageOut
from services.parser.extract.statement.recheck import recheck_statement
from tests.hybrid_docs import statement


def _local(content: bytes) -> tuple[BankStatementResult, list[PageOut]]:
    engine = extractor_for("bank_statement")
    source = SourceDocument(content)
    pages = [engine.extract_page(source, i, ExtractOptions()) for i in range(source.page_count)]
    result = engine.assemble(source, pages, ExtractOptions()).result
    assert isinstance(result, BankStatementResult)
    return result, [PageOut.model_validate_json(p) for p in pages]


def _page(
    n: int, continuity: bool | None, *, rows: bool = True, conf: float = 0.6
) -> PageAssessment:
    return PageAssessment(
        page=n,
        assessment=Assessment(
            checks={"balance_continuity": continuity}, confidence=conf, usable=rows
        ),
        previous_balance=None,
    )


def test_recheck_of_an_unchanged_statement_scores_it_as_assembly_did() -> None:
    for flip in (None, (2, 3)):
        local, pages = _local(statement(flip=flip)[0])
        again = recheck_statement(local, pages)
        assert again.model_dump() == local.model_dump()


def test_recheck_after_the_failing_page_is_replaced_passes_the_checks() -> None:
    local, pages = _local(statement(flip=(2, 3))[0])
    assert local.checks.balance_continuity is False and local.requires_review
    fixed = local.model_copy(deep=True)
    row = next(t for t in fixed.transactions if t.page == 2 and t.credit is not None)
    row.debit, row.credit, row.amount = row.credit, None, -(row.credit or 0.0)
    again = recheck_statement(fixed, pages, replaced={2})
    assert again.checks.balance_continuity is True
    assert again.checks.opening_plus_net_equals_closing is True
    assert not again.requires_review and again.review_reasons == []
    assert again.confidence > local.confidence
    assert again.summary.total_credits == 0.0


def test_only_pages_failing_their_own_balance_go_when_any_does() -> None:
    pages = [_page(1, True), _page(2, False), _page(3, None, rows=False), _page(4, True)]
    assert [p.page for p in pages_to_escalate(pages, threshold=0.85)] == [2]


def test_without_a_failing_page_low_confidence_and_empty_pages_go() -> None:
    pages = [_page(1, True), _page(2, None, rows=False, conf=0.9), _page(3, True, conf=0.9)]
    assert [p.page for p in pages_to_escalate(pages, threshold=0.85)] == [1, 2]
    assert pages_to_escalate([_page(1, True, conf=0.95)], threshold=0.85) == []


def test_model_names_and_review_flags() -> None:
    assert model_name("fintract-local", []) == "fintract-local"
    assert model_name("fintract-local", ["m1", "m2", "m1"]) == "fintract-local+m1+m2"
    assert model_name(None, ["m1", "m1"]) == "m1"
    result = BankStatementResult(review_reasons=["balance_continuity"], requires_review=False)
    once = flagged(flagged(result, GEMINI_UNAVAILABLE), GEMINI_UNAVAILABLE)
    assert once.requires_review
    assert once.review_reasons == ["balance_continuity", GEMINI_UNAVAILABLE]
    assert result.review_reasons == ["balance_continuity"]  # the original is untouched
