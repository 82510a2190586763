"""The invoice engine run the way the pipeline runs it: each page extracted on its own (a
fresh extractor and source per page, as on different workers), the page bytes stored, and
all pages assembled in order by yet another extractor."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from bench.invoices.generate import make_invoice
from services.parser.extract import extractor_for
from services.parser.extract.interface import ExtractOptions
from services.parser.extract.results import InvoiceResult
from services.parser.extract.source import SourceDocument

OPTIONS = ExtractOptions(use_embedded_xml=False)


def _extract(pdf: bytes, index: int) -> bytes:
    return extractor_for("invoice").extract_page(SourceDocument(pdf), index, OPTIONS)


def test_multipage_invoice_page_by_page() -> None:
    doc = make_invoice(4, "multipage")  # a DEV-half document: 100+ lines over several pages
    truth = doc.truth
    page_count = SourceDocument(doc.pdf).page_count
    assert page_count >= 3 and len(truth["line_items"]) >= 100

    with ProcessPoolExecutor(max_workers=2) as pool:
        stored = list(pool.map(_extract, [doc.pdf] * page_count, range(page_count)))
    assert all(isinstance(b, bytes) and b for b in stored)

    assembled = extractor_for("invoice").assemble(SourceDocument(doc.pdf), stored, OPTIONS)
    result = assembled.result
    assert isinstance(result, InvoiceResult)
    assert assembled.provenance.source == "text_layer"

    got = [(li.description, li.quantity, li.unit_price, li.amount) for li in result.line_items]
    want = [
        (li["description"], li["quantity"], li["unit_price"], li["amount"])
        for li in truth["line_items"]
    ]
    assert got == want  # wrapped descriptions joined, rows continued across pages
    assert result.invoice_number == truth["invoice_number"]
    assert result.invoice_date == truth["invoice_date"]
    assert (result.subtotal, result.tax_total, result.total) == (
        truth["subtotal"],
        truth["tax_total"],
        truth["total"],
    )
    assert sorted((t.type, t.rate, t.amount) for t in result.taxes) == sorted(
        (t["type"], t["rate"], t["amount"]) for t in truth["taxes"]
    )
    assert result.seller.tax_id == truth["seller"]["tax_id"]
    assert result.buyer.tax_id == truth["buyer"]["tax_id"]
    assert result.checks.line_items_sum_to_subtotal is True
    assert result.checks.subtotal_plus_tax_equals_total is True
    assert result.requires_review is False
    assert result.confidence >= 0.9
    # the contract's JSON: every field present
    dumped = result.model_dump(mode="json")
    assert set(dumped) >= {"invoice_number", "line_items", "taxes", "checks", "review_reasons"}
