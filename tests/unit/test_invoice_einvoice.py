"""E-invoices: the CII XML a Factur-X/ZUGFeRD PDF carries is read exactly when allowed;
with the option off the page is read."""

from __future__ import annotations

import json
from pathlib import Path

import pymupdf

from services.parser.extract.interface import ExtractOptions
from services.parser.extract.invoice import InvoiceExtractor
from services.parser.extract.invoice.einvoice import embedded_invoice_xml, parse_invoice_xml
from services.parser.extract.source import SourceDocument

SAMPLE = "zugferd/intarsys/EN16931/zugferd_2p0_EN16931_Einfach.pdf"


def test_xml_read_from_corpus_pdf(corpus: Path) -> None:
    pdf = corpus / SAMPLE
    truth = json.loads(pdf.with_name(pdf.name.replace(".pdf", ".gt.json")).read_text())
    xml = embedded_invoice_xml(pymupdf.open(pdf))
    assert xml is not None and b"CrossIndustryInvoice" in xml[:4000]
    result = parse_invoice_xml(xml)
    assert result is not None
    assert result.invoice_number == truth["invoice_number"]
    assert result.invoice_date == truth["issue_date"]
    assert result.currency == truth["currency"]
    assert result.seller.tax_id == truth["seller_vat_id"]
    assert result.total == truth["grand_total"]
    assert result.tax_total == truth["tax_total"]
    assert [li.amount for li in result.line_items] == [li["line_total"] for li in truth["lines"]]
    assert result.checks.subtotal_plus_tax_equals_total is True


def test_option_switches_between_xml_and_page(corpus: Path) -> None:
    source = SourceDocument((corpus / SAMPLE).read_bytes())
    ex = InvoiceExtractor()
    on, off = ExtractOptions(use_embedded_xml=True), ExtractOptions(use_embedded_xml=False)
    pages = [ex.extract_page(source, i, off) for i in range(source.page_count)]
    from_xml = ex.assemble(source, pages, on)
    from_page = ex.assemble(source, pages, off)
    assert from_xml.provenance.source == "embedded_xml"
    assert from_page.provenance.source == "text_layer"
    # the page says the same as the XML on the fields both carry
    assert from_page.result.invoice_number == from_xml.result.invoice_number
    assert from_page.result.total == from_xml.result.total


def test_not_xml_or_foreign_xml() -> None:
    assert parse_invoice_xml(b"not xml") is None
    assert parse_invoice_xml(b"<root><a/></root>") is None
    doc = pymupdf.open()
    doc.new_page()
    assert embedded_invoice_xml(doc) is None


def test_xml_attached_to_a_fresh_pdf_is_found(corpus: Path) -> None:
    xml = (corpus / SAMPLE.replace(".pdf", ".xml")).read_bytes()
    doc = pymupdf.open()
    doc.new_page()
    doc.embfile_add("factur-x.xml", xml)
    assert embedded_invoice_xml(doc) == xml
