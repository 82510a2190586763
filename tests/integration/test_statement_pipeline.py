"""The statement engine driven exactly as the pipeline drives it: every page on its own
(``extract_page`` → opaque bytes), then ``assemble`` from those bytes."""

from __future__ import annotations

import pymupdf
import pytest

from bench.statements.generate import LAYOUTS, make_case
from services.parser.extract import (
    ExtractOptions,
    PasswordRequired,
    SourceDocument,
    extractor_for,
)
from services.parser.extract.results import BankStatementResult


def _run(source: SourceDocument) -> tuple[BankStatementResult, str]:
    engine = extractor_for("bank_statement")
    options = ExtractOptions()
    pages = [bytes(engine.extract_page(source, i, options)) for i in range(source.page_count)]
    assembled = engine.assemble(source, pages, options)
    assert isinstance(assembled.result, BankStatementResult)
    return assembled.result, assembled.provenance.source


def _layout(name: str):  # type: ignore[no-untyped-def]
    return next(layout for layout in LAYOUTS if layout.name == name)


def _compare(result: BankStatementResult, truth: dict) -> None:  # type: ignore[type-arg]
    got = [t.model_dump() for t in result.transactions]
    want = truth["transactions"]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert (g["date"], g["debit"], g["credit"], g["balance"], g["page"]) == (
            w["date"],
            w["debit"],
            w["credit"],
            w["balance"],
            w["page"],
        )
        assert g["description"] == w["description"]
        assert g["amount"] == pytest.approx(w["amount"])


def test_multi_page_text_statement_page_by_page() -> None:
    case = make_case(_layout("in_sbi"), 1, "text", rows=60)
    assert case.pages >= 3
    result, source = _run(SourceDocument(case.content, "application/pdf"))
    assert source == "text_layer"
    _compare(result, case.truth)
    account = result.account.model_dump()
    for name, value in case.truth["account"].items():
        assert account[name] == value, name
    assert result.checks.balance_continuity is True
    assert result.checks.opening_plus_net_equals_closing is True
    assert result.confidence >= 0.9 and not result.requires_review
    assert result.summary.transaction_count == len(case.truth["transactions"])


def test_password_protected_statement_opens_with_its_password() -> None:
    case = make_case(_layout("us_signed"), 2, "text", rows=12)
    doc = pymupdf.open(stream=case.content, filetype="pdf")
    locked = doc.tobytes(
        encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="s3cret", owner_pw="owner-s3cret"
    )
    doc.close()
    with pytest.raises(PasswordRequired):
        _run(SourceDocument(locked, "application/pdf"))
    with pytest.raises(PasswordRequired):
        _run(SourceDocument(locked, "application/pdf", password="wrong"))
    result, _ = _run(SourceDocument(locked, "application/pdf", password="s3cret"))
    _compare(result, case.truth)


def test_scanned_statement_page_is_read_by_ocr() -> None:
    case = make_case(_layout("sg_parens"), 5, "scan", rows=8)
    result, source = _run(SourceDocument(case.content, "application/pdf"))
    assert source == "ocr"
    got = [(t.date, t.debit, t.credit, t.balance) for t in result.transactions]
    want = [(t["date"], t["debit"], t["credit"], t["balance"]) for t in case.truth["transactions"]]
    assert got == want
    assert result.checks.balance_continuity is True
