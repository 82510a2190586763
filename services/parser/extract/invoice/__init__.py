"""Invoice engine (issue 5): template-free invoices from any vendor.

``extract_page`` reads a page's words (text layer, or the shared OCR for scans and images)
and stores them; ``assemble`` reads the document from all its pages: header fields by
label position and value shape, the item table (continued across pages), totals and taxes
chosen so that the arithmetic checks hold, and a confidence. A PDF that carries
Factur-X / ZUGFeRD / XRechnung XML is read from that XML when the options allow it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from services.parser.extract.interface import Assembled, DocumentKind, ExtractOptions
from services.parser.extract.invoice.einvoice import embedded_invoice_xml, parse_invoice_xml
from services.parser.extract.invoice.header import read_header
from services.parser.extract.invoice.layout import Line, PageModel, Word, build_lines
from services.parser.extract.invoice.pages import read_page_words
from services.parser.extract.invoice.table import read_tables, rows_without_header
from services.parser.extract.invoice.totals import decide, read_candidates
from services.parser.extract.results import InvoiceResult, LineItem, Party, Provenance, Tax
from services.parser.extract.source import SourceDocument
from services.parser.extract.text.amounts import decide_decimal_mark
from services.parser.extract.text.dates import DateOrder, decide_date_order

__all__ = ["InvoiceExtractor", "read_invoice"]

_PAGE_WIDTH = 595.0
_NUMERIC_DATE = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})$")


class InvoiceExtractor:
    """The offline invoice engine (see the module docstring)."""

    document_type: DocumentKind = "invoice"

    def extract_page(
        self, source: SourceDocument, page_index: int, options: ExtractOptions
    ) -> bytes:
        return read_page_words(source, page_index).to_bytes()

    def assemble(
        self, source: SourceDocument, pages: Sequence[bytes], options: ExtractOptions
    ) -> Assembled:
        if options.use_embedded_xml and not source.is_image:
            xml = embedded_invoice_xml(source.doc)
            parsed = parse_invoice_xml(xml) if xml else None
            if parsed is not None:
                return Assembled(
                    result=parsed,
                    provenance=Provenance(source="embedded_xml", model="fintract-einvoice"),
                )
        models = [PageModel.from_bytes(p) for p in pages]
        result = read_invoice(models)
        kinds = {m.source for m in models}
        source_kind = kinds.pop() if len(kinds) == 1 else "mixed"
        return Assembled(result=result, provenance=Provenance(source=source_kind))


def _document_lines(models: Sequence[PageModel]) -> list[Line]:
    lines: list[Line] = []
    for model in sorted(models, key=lambda m: m.page):
        words = model.words
        # layout distances are tuned in points of an A4/Letter-wide page: images come in
        # pixels, so every page is brought to the same width first
        scale = _PAGE_WIDTH / model.width if model.width > 0 else 1.0
        if abs(scale - 1.0) > 0.05:
            words = [
                Word(w.text, w.x0 * scale, w.y0 * scale, w.x1 * scale, w.y1 * scale) for w in words
            ]
        lines.extend(build_lines(words, model.page))
    for i, line in enumerate(lines):
        line.index = i
    return lines


def _date_order(lines: list[Line], currency: str | None) -> DateOrder:
    texts = [w.text for line in lines for w in line.words if _NUMERIC_DATE.match(w.text)]
    default: DateOrder = "MDY" if currency == "USD" else "DMY"
    return decide_date_order(texts, default=default)


def read_invoice(models: Sequence[PageModel]) -> InvoiceResult:
    """The invoice a document's pages show (all page reading, no embedded data)."""
    lines = _document_lines(models)
    if not lines:
        return InvoiceResult(confidence=0.0, requires_review=True, review_reasons=["no_text_found"])
    mark = decide_decimal_mark(w.text for line in lines for w in line.words)
    # currency first: it tells the default day/month order ($ invoices print MM/DD)
    from_ocr = any(m.source == "ocr" for m in models)
    pre = read_header(lines, "DMY", ocr=from_ocr)
    order = _date_order(lines, pre.currency)
    header = read_header(lines, order, ocr=from_ocr) if order != "DMY" else pre
    tables = read_tables(lines, mark)
    items = [item for table in tables for item in table.items]
    item_lines = {li for it in items for li in it.lines}
    header_lines = {t.header_line for t in tables}
    cands = read_candidates(lines, mark, item_lines | header_lines)
    line_sum = round(sum(it.amount for it in items), 2) if items else None
    totals = decide(cands, line_sum, len(items))
    if not items:
        targets = [v for v in (totals.subtotal, totals.total) if v]
        items = rows_without_header(lines, mark, targets, header_lines)
        if items:
            line_sum = round(sum(it.amount for it in items), 2)
            cands = read_candidates(lines, mark, {li for it in items for li in it.lines})
            totals = decide(cands, line_sum, len(items))

    result = InvoiceResult(
        invoice_number=header.invoice_number,
        invoice_date=header.invoice_date,
        due_date=header.due_date,
        currency=header.currency,
        seller=Party(
            name=header.seller.name, address=header.seller.address, tax_id=header.seller.tax_id
        ),
        buyer=Party(
            name=header.buyer.name, address=header.buyer.address, tax_id=header.buyer.tax_id
        ),
        line_items=[
            LineItem(
                description=it.description or None,
                quantity=it.quantity,
                unit_price=it.unit_price,
                amount=it.amount,
                tax_rate=it.tax_rate,
            )
            for it in items
        ],
        subtotal=totals.subtotal,
        taxes=[Tax(type=t.type, rate=t.rate, amount=t.amount) for t in totals.taxes],
        tax_total=totals.tax_total,
        total=totals.total,
        amount_due=totals.amount_due,
    )
    result.checks.line_items_sum_to_subtotal = totals.line_check
    result.checks.subtotal_plus_tax_equals_total = totals.total_check
    reasons: list[str] = []
    if totals.line_check is False:
        reasons.append("line_items_sum_to_subtotal")
    if totals.total_check is False:
        reasons.append("subtotal_plus_tax_equals_total")
    if not items:
        reasons.append("no_line_items_found")
    if totals.total is None:
        reasons.append("total_not_found")
    if header.invoice_number is None:
        reasons.append("invoice_number_not_found")
    if header.invoice_date is None:
        reasons.append("invoice_date_not_found")
    ocr = [m.ocr_confidence for m in models if m.ocr_confidence is not None]
    ocr_conf = min(ocr) if ocr else 1.0
    if ocr_conf < 0.85:
        reasons.append("low_ocr_confidence")
    result.confidence = _confidence(result, header.scores, ocr_conf)
    result.review_reasons = reasons
    result.requires_review = bool(
        {
            "line_items_sum_to_subtotal",
            "subtotal_plus_tax_equals_total",
            "total_not_found",
            "low_ocr_confidence",
            "no_text_found",
        }
        & set(reasons)
        or result.confidence < 0.7
    )
    if result.requires_review and not reasons:
        reasons.append("low_confidence")
    return result


def _confidence(result: InvoiceResult, scores: dict[str, float], ocr_conf: float) -> float:
    """A probability-like score: what the checks prove, what the labels say, what is missing."""
    checks = result.checks
    both = (checks.subtotal_plus_tax_equals_total, checks.line_items_sum_to_subtotal)
    if False in both:
        base = 0.45
    elif both == (True, True):
        base = 0.96
    elif True in both:
        base = 0.85
    else:
        base = 0.6 if result.total is not None else 0.35
    for name in ("invoice_number", "invoice_date"):
        s = scores.get(name)
        if s is None:
            base -= 0.08
        elif s < 0.8:
            base -= 0.04
    if result.currency is None:
        base -= 0.05
    base *= 0.5 + 0.5 * ocr_conf
    return round(max(0.0, min(0.99, base)), 2)
