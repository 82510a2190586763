"""The pure parts of the parser's provider routing: which pages hybrid escalates, and the
statement engine's own checks run again on a statement whose pages were replaced."""

from __future__ import annotations

import io

import pymupdf
from PIL import Image, ImageStat

from services.common.gemini import Assessment, PageAssessment, mask_image, page_assessments
from services.parser.escalation import (
    GEMINI_UNAVAILABLE,
    flagged,
    model_name,
    pages_to_escalate,
    statement_page_input,
)
from services.parser.extract import ExtractOptions, SourceDocument, extractor_for
from services.parser.extract.results import BankStatementResult
from services.parser.extract.statement import PageOut
from services.parser.extract.statement.recheck import owes_balance, recheck_statement
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


def _scanned(pdf: bytes, dpi: int = 150) -> bytes:
    """The same pages as images only (no text layer): what a scanner makes."""
    with pymupdf.open(stream=pdf, filetype="pdf") as doc, pymupdf.open() as out:
        for page in doc:
            pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
            new = out.new_page(width=page.rect.width, height=page.rect.height)
            new.insert_image(new.rect, pixmap=pix)
        data: bytes = out.tobytes()
    return data


def test_a_scanned_page_is_masked_with_the_ocr_words_already_read() -> None:
    content = _scanned(statement(pages=1)[0])
    engine = extractor_for("bank_statement")
    source = SourceDocument(content)
    page = PageOut.model_validate_json(engine.extract_page(source, 0, ExtractOptions()))
    assert page.source == "ocr" and page.rotation == 0
    sent = statement_page_input(source, page)
    assert sent.words is not None  # no second OCR pass for masking
    assert "PURCHASE 0-3 40.25 4,899.00" in sent.text  # verified against what the OCR read
    (number,) = [w for w in sent.words if w.text.endswith("123456789")]
    masked = mask_image(sent.image, sent.words, account_numbers=True, upi_ids=False)
    box = (round(number.x0), round(number.y0), round(number.x1), round(number.y1))
    before = Image.open(io.BytesIO(sent.image)).convert("L").crop(box)
    after = Image.open(io.BytesIO(masked)).convert("L").crop(box)
    assert ImageStat.Stat(before).mean[0] > 128  # the number, black on white, where OCR saw it
    assert ImageStat.Stat(after).mean[0] < 5


def test_a_card_statement_s_pages_hold_as_a_balance_owed() -> None:
    local, pages = _local(statement(card=True, flip=(2, 3))[0])
    assert owes_balance(pages)
    assert not owes_balance(_local(statement()[0])[1])
    data = local.model_dump(mode="json")
    owed = page_assessments(data, pages_total=3, liability=True)
    assert [p.assessment.checks["balance_continuity"] for p in owed] == [True, False, True]
    as_asset = page_assessments(data, pages_total=3)
    assert [p.assessment.checks["balance_continuity"] for p in as_asset] == [False] * 3
