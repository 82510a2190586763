"""A scanned invoice (image-only PDF) and an image upload go through the shared OCR."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.invoices.generate import make_invoice
from services.parser.extract.interface import ExtractOptions
from services.parser.extract.invoice import InvoiceExtractor
from services.parser.extract.results import InvoiceResult
from services.parser.extract.source import SourceDocument

OPTIONS = ExtractOptions(use_embedded_xml=False)


def _read(content: bytes, content_type: str) -> tuple[InvoiceResult, str]:
    source = SourceDocument(content, content_type)
    ex = InvoiceExtractor()
    pages = [ex.extract_page(source, i, OPTIONS) for i in range(source.page_count)]
    assembled = ex.assemble(source, pages, OPTIONS)
    assert isinstance(assembled.result, InvoiceResult)
    return assembled.result, assembled.provenance.source


@pytest.mark.slow
def test_scanned_pdf_through_ocr() -> None:
    doc = make_invoice(2, "scanned")
    result, source = _read(doc.pdf, "application/pdf")
    assert source == "ocr"
    truth = doc.truth
    assert result.invoice_number == truth["invoice_number"]
    assert result.total == truth["total"]
    assert result.subtotal == truth["subtotal"]
    assert [li.amount for li in result.line_items] == [li["amount"] for li in truth["line_items"]]
    assert result.checks.subtotal_plus_tax_equals_total is True


@pytest.mark.slow
def test_png_invoice_through_ocr(corpus: Path) -> None:
    png = corpus / "invoice2data" / "FlipkartInvoice.png"
    result, source = _read(png.read_bytes(), "image/png")
    assert source == "ocr"
    assert result.total == 319.0
    assert result.invoice_date == "2015-10-20"


@pytest.mark.slow
def test_scanned_party_names_keep_their_spaces() -> None:
    # OCR reads this scan's names as "Summit LogisticsSARL" and "CedarElectricals SARL"
    doc = make_invoice(1, "scanned")
    result, source = _read(doc.pdf, "application/pdf")
    assert source == "ocr"
    assert result.seller.name == doc.truth["seller"]["name"] == "Summit Logistics SARL"
    assert result.buyer.name == doc.truth["buyer"]["name"] == "Cedar Electricals SARL"


@pytest.mark.slow
def test_scanned_large_print_name_read_whole() -> None:
    # the OCR boxes of this 14-pt name leave word-high gaps between "Media", "Pvt" and "Ltd"
    doc = make_invoice(0, "scanned")
    result, _ = _read(doc.pdf, "application/pdf")
    assert result.seller.name == doc.truth["seller"]["name"] == "Rheinland Media Pvt Ltd"
