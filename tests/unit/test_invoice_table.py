"""The item table: columns typed from the header, wrapped descriptions joined, totals rows
not read as items, and the totals decided by the checks."""

from __future__ import annotations

import pymupdf

from services.parser.extract.interface import ExtractOptions
from services.parser.extract.invoice import InvoiceExtractor
from services.parser.extract.results import InvoiceResult
from services.parser.extract.source import SourceDocument


def _right(page: pymupdf.Page, x1: float, y: float, text: str) -> None:
    width = pymupdf.get_text_length(text, fontname="helv", fontsize=9)
    page.insert_text((x1 - width, y), text, fontname="helv", fontsize=9)


def _invoice(rows: list[tuple[list[str], str, str, str]], totals: list[tuple[str, str]]) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((40, 60), "Harbor Traders LLC", fontname="helv", fontsize=14)
    page.insert_text((340, 90), "Invoice #", fontname="helv", fontsize=9)
    _right(page, 555, 90, "INV-77")
    y = 150.0
    page.insert_text((40, y), "Description", fontname="helv", fontsize=9)
    for x1, name in ((340, "Qty"), (440, "Unit Price"), (555, "Amount")):
        _right(page, x1, y, name)
    y += 16
    for desc_lines, qty, price, amount in rows:
        for k, text in enumerate(desc_lines):
            page.insert_text((40, y + 12 * k), text, fontname="helv", fontsize=9)
        _right(page, 340, y, qty)
        _right(page, 440, y, price)
        _right(page, 555, y, amount)
        y += 12 * len(desc_lines) + 4
    y += 10
    for label, value in totals:
        page.insert_text((340, y), label, fontname="helv", fontsize=9)
        _right(page, 555, y, value)
        y += 14
    data: bytes = doc.tobytes()
    return data


def _read(pdf: bytes) -> InvoiceResult:
    source = SourceDocument(pdf)
    ex = InvoiceExtractor()
    options = ExtractOptions(use_embedded_xml=False)
    result = ex.assemble(source, [ex.extract_page(source, 0, options)], options).result
    assert isinstance(result, InvoiceResult)
    return result


def test_table_columns_wraps_and_totals() -> None:
    pdf = _invoice(
        [
            (
                ["Annual maintenance contract for air", "conditioning units"],
                "2",
                "1,200.00",
                "2,400.00",
            ),
            (["USB-C cable 2m"], "10", "12.50", "125.00"),
        ],
        [("Subtotal", "2,525.00"), ("Sales Tax (8.25%)", "208.31"), ("Total", "$2,733.31")],
    )
    result = _read(pdf)
    assert [
        (li.description, li.quantity, li.unit_price, li.amount) for li in result.line_items
    ] == [
        ("Annual maintenance contract for air conditioning units", 2.0, 1200.0, 2400.0),
        ("USB-C cable 2m", 10.0, 12.5, 125.0),
    ]
    assert (result.subtotal, result.tax_total, result.total) == (2525.0, 208.31, 2733.31)
    assert [(t.type, t.rate, t.amount) for t in result.taxes] == [("SALES_TAX", 8.25, 208.31)]
    assert result.checks.line_items_sum_to_subtotal is True
    assert result.checks.subtotal_plus_tax_equals_total is True
    assert not result.requires_review
    assert result.currency == "USD"


def test_checks_decide_between_readings() -> None:
    # two "total"-like amounts: only one makes subtotal + tax = total
    pdf = _invoice(
        [(["Consulting"], "1", "100.00", "100.00")],
        [
            ("Subtotal", "100.00"),
            ("VAT 20 %", "20.00"),
            ("Total", "120.00"),
            ("Total paid", "50.00"),
            ("Amount due", "70.00"),
        ],
    )
    result = _read(pdf)
    assert result.total == 120.0
    assert result.amount_due == 70.0
    assert result.checks.subtotal_plus_tax_equals_total is True


def test_failed_check_requires_review() -> None:
    pdf = _invoice(
        [(["Consulting"], "1", "100.00", "100.00"), (["Support"], "1", "50.00", "50.00")],
        [("Subtotal", "140.00"), ("VAT 20 %", "28.00"), ("Total", "168.00")],
    )
    result = _read(pdf)
    assert result.checks.line_items_sum_to_subtotal is False
    assert result.requires_review
    assert "line_items_sum_to_subtotal" in result.review_reasons
    assert result.confidence < 0.7


def _headerless(rows: list[tuple[str, str]], total: str) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((40, 60), "Cedar Hosting Inc.", fontname="helv", fontsize=14)
    page.insert_text((340, 90), "Invoice Number: 5521", fontname="helv", fontsize=9)
    y = 160.0
    for label, amount in rows:
        page.insert_text((40, y), label, fontname="helv", fontsize=9)
        _right(page, 555, y, amount)
        y += 16
    page.insert_text((40, y + 10), "Total for this invoice", fontname="helv", fontsize=9)
    _right(page, 555, y + 10, total)
    data: bytes = doc.tobytes()
    return data


def test_rows_without_header_only_when_they_add_up() -> None:
    rows = [("Compute instances", "$1.87"), ("Object storage", "$2.22"), ("Data transfer", "$0.02")]
    result = _read(_headerless(rows, "$4.11"))
    assert [(li.description, li.amount) for li in result.line_items] == [
        ("Compute instances", 1.87),
        ("Object storage", 2.22),
        ("Data transfer", 0.02),
    ]
    assert result.total == 4.11
    # the same rows under a total they do not add up to are not claimed as items
    result = _read(_headerless(rows, "$5.00"))
    assert result.line_items == []
    assert "no_line_items_found" in result.review_reasons
