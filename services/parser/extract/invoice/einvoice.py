"""E-invoices: Factur-X / ZUGFeRD 2.x / XRechnung (CII) XML carried inside a PDF.

The XML is the invoice's exact data: when a PDF carries it (as an embedded file, or as a
PDF/A-3 associated file of the catalog) it is read here instead of the page. UBL XRechnung
files are recognised too (the common header, party, line and total fields).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import pymupdf
from lxml import etree

from services.parser.extract.results import InvoiceResult, LineItem, Party, Tax

__all__ = ["embedded_invoice_xml", "parse_invoice_xml"]

_XML_NAMES = re.compile(r"(factur-?x|zugferd|xrechnung|invoice|cii|ubl).*\.xml$", re.IGNORECASE)
_MAX_XML = 20 * 1024 * 1024


def _associated_files(pdf: pymupdf.Document) -> list[tuple[str, bytes]]:
    """PDF/A-3 associated files of the catalog (``/AF``) not listed as embedded files."""
    doc: Any = pdf  # PyMuPDF's xref API is untyped
    out: list[tuple[str, bytes]] = []
    try:
        cat = doc.pdf_catalog()
        kind, value = doc.xref_get_key(cat, "AF")
    except Exception:  # noqa: BLE001 - malformed catalogs: nothing associated
        return out
    if kind == "xref":
        _, value = kind, doc.xref_object(int(value.split()[0]))
    refs = [int(x) for x in re.findall(r"(\d+) 0 R", value or "")]
    for ref in refs:
        with contextlib.suppress(Exception):
            _, name = doc.xref_get_key(ref, "UF")
            if not name or name == "null":
                _, name = doc.xref_get_key(ref, "F")
            kind_ef, ef = doc.xref_get_key(ref, "EF/F")
            if kind_ef == "xref":
                stream = doc.xref_stream(int(ef.split()[0]))
                if stream:
                    out.append((name.strip("()"), stream))
    return out


def embedded_invoice_xml(doc: pymupdf.Document) -> bytes | None:
    """The e-invoice XML a PDF carries, or ``None``."""
    candidates: list[tuple[str, bytes]] = []
    try:
        names = list(doc.embfile_names())
    except Exception:  # noqa: BLE001 - not a PDF (image) or broken name tree
        names = []
    for name in names:
        with contextlib.suppress(Exception):
            candidates.append((name, doc.embfile_get(name)))
    if not candidates:
        candidates = _associated_files(doc)
    candidates.sort(key=lambda c: 0 if _XML_NAMES.search(c[0]) else 1)
    for name, data in candidates:
        if not name.lower().endswith(".xml") or len(data) > _MAX_XML:
            continue
        head = data[:4096].decode("utf-8", "ignore")
        if (
            "CrossIndustryInvoice" in head
            or "CrossIndustryDocument" in head
            or ("Invoice" in head and "oasis" in head)
        ):
            return data
        if "CrossIndustry" in data.decode("utf-8", "ignore"):
            return data
    return None


def _local(tag: Any) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def _find(node: Any, *path: str) -> Any:
    """The first descendant reached by a path of local names (each step: direct child)."""
    current = [node]
    for name in path:
        nxt: list[Any] = []
        for el in current:
            nxt.extend(ch for ch in el if _local(ch.tag) == name)
        if not nxt:
            return None
        current = nxt
    return current[0]


def _findall(node: Any, *path: str) -> list[Any]:
    current = [node]
    for name in path:
        current = [ch for el in current for ch in el if _local(ch.tag) == name]
    return current


def _text(node: Any, *path: str) -> str | None:
    el = _find(node, *path) if path else node
    if el is None or el.text is None:
        return None
    value = " ".join(el.text.split())
    return value or None


def _num(node: Any, *path: str) -> float | None:
    value = _text(node, *path)
    if value is None:
        return None
    try:
        return float(Decimal(value))
    except InvalidOperation:
        return None


def _date(value: str | None) -> str | None:
    if not value:
        return None
    digits = re.sub(r"\D", "", value)
    for fmt, size in (("%Y%m%d", 8),):
        with contextlib.suppress(ValueError):
            return dt.datetime.strptime(digits[:size], fmt).date().isoformat()
    return None


def _address(addr: Any) -> str | None:
    if addr is None:
        return None
    parts = [
        _text(addr, n)
        for n in ("LineOne", "LineTwo", "LineThree", "StreetName", "AdditionalStreetName")
    ]
    line = ", ".join(p for p in parts if p)
    city = " ".join(
        p
        for p in (_text(addr, "PostcodeCode") or _text(addr, "PostalZone"), _text(addr, "CityName"))
        if p
    )
    country = _text(addr, "CountryID") or _text(addr, "Country", "IdentificationCode")
    joined = ", ".join(p for p in (line, city, country) if p)
    return joined or None


def _cii_party(party: Any) -> Party:
    if party is None:
        return Party()
    tax_id = None
    for reg in _findall(party, "SpecifiedTaxRegistration", "ID"):
        if reg.get("schemeID") == "VA" and reg.text:
            tax_id = reg.text.strip()
            break
    if tax_id is None:
        for reg in _findall(party, "SpecifiedTaxRegistration", "ID"):
            if reg.text:
                tax_id = reg.text.strip()
                break
    return Party(
        name=_text(party, "Name"),
        address=_address(_find(party, "PostalTradeAddress")),
        tax_id=tax_id,
    )


def _currency_amount(nodes: list[Any], currency: str | None) -> float | None:
    """Of several ``TaxTotalAmount`` (one per currency), the one in the invoice currency."""
    for el in nodes:
        if currency is None or el.get("currencyID") in (None, currency):
            with contextlib.suppress(InvalidOperation, TypeError):
                return float(Decimal(el.text.strip()))
    return None


def _parse_cii(root: Any) -> InvoiceResult:
    doc = _find(root, "ExchangedDocument")
    trade = _find(root, "SupplyChainTradeTransaction")
    agreement = _find(trade, "ApplicableHeaderTradeAgreement") if trade is not None else None
    settlement = _find(trade, "ApplicableHeaderTradeSettlement") if trade is not None else None
    currency = _text(settlement, "InvoiceCurrencyCode") if settlement is not None else None
    lines: list[LineItem] = []
    for item in _findall(trade, "IncludedSupplyChainTradeLineItem") if trade is not None else []:
        qty = _num(item, "SpecifiedLineTradeDelivery", "BilledQuantity")
        price = _num(
            item, "SpecifiedLineTradeAgreement", "NetPriceProductTradePrice", "ChargeAmount"
        )
        basis = _num(
            item, "SpecifiedLineTradeAgreement", "NetPriceProductTradePrice", "BasisQuantity"
        )
        if price is not None and basis:
            price = price / basis
        lines.append(
            LineItem(
                description=_text(item, "SpecifiedTradeProduct", "Name"),
                quantity=qty,
                unit_price=price,
                amount=_num(
                    item,
                    "SpecifiedLineTradeSettlement",
                    "SpecifiedTradeSettlementLineMonetarySummation",
                    "LineTotalAmount",
                ),
                tax_rate=_num(
                    item,
                    "SpecifiedLineTradeSettlement",
                    "ApplicableTradeTax",
                    "RateApplicablePercent",
                ),
            )
        )
    taxes: list[Tax] = []
    summary = None
    due = None
    if settlement is not None:
        for tax in _findall(settlement, "ApplicableTradeTax"):
            taxes.append(
                Tax(
                    type=_text(tax, "TypeCode") or "VAT",
                    rate=_num(tax, "RateApplicablePercent"),
                    amount=_num(tax, "CalculatedAmount"),
                )
            )
        summary = _find(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
        due = _date(
            _text(settlement, "SpecifiedTradePaymentTerms", "DueDateDateTime", "DateTimeString")
        )
    result = InvoiceResult(
        invoice_number=_text(doc, "ID") if doc is not None else None,
        invoice_date=_date(_text(doc, "IssueDateTime", "DateTimeString"))
        if doc is not None
        else None,
        due_date=due,
        currency=currency,
        seller=_cii_party(_find(agreement, "SellerTradeParty") if agreement is not None else None),
        buyer=_cii_party(_find(agreement, "BuyerTradeParty") if agreement is not None else None),
        line_items=lines,
        taxes=taxes,
    )
    if summary is not None:
        result.subtotal = _num(summary, "TaxBasisTotalAmount")
        result.tax_total = _currency_amount(_findall(summary, "TaxTotalAmount"), currency)
        result.total = _num(summary, "GrandTotalAmount")
        result.amount_due = _num(summary, "DuePayableAmount")
        line_total = _num(summary, "LineTotalAmount")
        if lines and line_total is not None and result.subtotal is not None:
            # document-level allowances/charges sit between the lines and the tax basis
            result.checks.line_items_sum_to_subtotal = _close(
                sum(li.amount or 0.0 for li in lines), line_total
            )
    if result.tax_total is None and taxes:
        result.tax_total = round(sum(t.amount or 0.0 for t in taxes), 2)
    return result


def _ubl_party(party: Any) -> Party:
    if party is None:
        return Party()
    inner = _find(party, "Party")
    if inner is None:
        return Party()
    name = _text(inner, "PartyLegalEntity", "RegistrationName") or _text(inner, "PartyName", "Name")
    return Party(
        name=name,
        address=_address(_find(inner, "PostalAddress")),
        tax_id=_text(inner, "PartyTaxScheme", "CompanyID"),
    )


def _parse_ubl(root: Any) -> InvoiceResult:
    currency = _text(root, "DocumentCurrencyCode")
    lines = []
    for item in _findall(root, "InvoiceLine") + _findall(root, "CreditNoteLine"):
        qty = _num(item, "InvoicedQuantity") or _num(item, "CreditedQuantity")
        lines.append(
            LineItem(
                description=_text(item, "Item", "Name"),
                quantity=qty,
                unit_price=_num(item, "Price", "PriceAmount"),
                amount=_num(item, "LineExtensionAmount"),
                tax_rate=_num(item, "Item", "ClassifiedTaxCategory", "Percent"),
            )
        )
    taxes = [
        Tax(type="VAT", rate=_num(sub, "TaxCategory", "Percent"), amount=_num(sub, "TaxAmount"))
        for sub in _findall(root, "TaxTotal", "TaxSubtotal")
    ]
    total = _find(root, "LegalMonetaryTotal")
    return InvoiceResult(
        invoice_number=_text(root, "ID"),
        invoice_date=_date(_text(root, "IssueDate")),
        due_date=_date(_text(root, "DueDate")),
        currency=currency,
        seller=_ubl_party(_find(root, "AccountingSupplierParty")),
        buyer=_ubl_party(_find(root, "AccountingCustomerParty")),
        line_items=lines,
        taxes=taxes,
        subtotal=_num(total, "TaxExclusiveAmount") if total is not None else None,
        tax_total=_currency_amount(_findall(root, "TaxTotal", "TaxAmount"), currency),
        total=_num(total, "TaxInclusiveAmount") if total is not None else None,
        amount_due=_num(total, "PayableAmount") if total is not None else None,
    )


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 0.011 + 1e-6 * abs(b)


def parse_invoice_xml(data: bytes) -> InvoiceResult | None:
    """An invoice result from CII (Factur-X/ZUGFeRD/XRechnung) or UBL XML; ``None`` if neither."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data.lstrip(b"\xef\xbb\xbf").strip(), parser=parser)
    except etree.XMLSyntaxError:
        return None
    name = _local(root.tag)
    if name == "CrossIndustryInvoice":
        result = _parse_cii(root)
    elif name in ("Invoice", "CreditNote"):
        result = _parse_ubl(root)
    else:
        return None
    checks = result.checks
    if result.subtotal is not None and result.tax_total is not None and result.total is not None:
        checks.subtotal_plus_tax_equals_total = _close(
            result.subtotal + result.tax_total, result.total
        )
    reasons = [name for name, ok in checks.model_dump().items() if ok is False]
    result.requires_review = bool(reasons)
    result.review_reasons = reasons
    result.confidence = 0.99 if not reasons else 0.8
    return result
