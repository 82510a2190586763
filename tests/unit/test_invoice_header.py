"""Header fields by layout: labels in many languages, values right of or under the label,
seller vs buyer by labels and position."""

from __future__ import annotations

import pymupdf
import pytest

from services.parser.extract.interface import ExtractOptions
from services.parser.extract.invoice import InvoiceExtractor
from services.parser.extract.results import InvoiceResult
from services.parser.extract.source import SourceDocument


def _pdf(items: list[tuple[float, float, str, float]]) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    for x, y, text, size in items:
        page.insert_text((x, y), text, fontname="helv", fontsize=size)
    data: bytes = doc.tobytes()
    return data


def _read(pdf: bytes) -> InvoiceResult:
    source = SourceDocument(pdf)
    ex = InvoiceExtractor()
    options = ExtractOptions(use_embedded_xml=False)
    pages = [ex.extract_page(source, i, options) for i in range(source.page_count)]
    result = ex.assemble(source, pages, options).result
    assert isinstance(result, InvoiceResult)
    return result


def test_values_right_of_labels_english() -> None:
    result = _read(
        _pdf(
            [
                (40, 60, "Kaveri Office Supplies Pvt Ltd", 15),
                (40, 78, "12 MG Road, Bengaluru 560001", 9),
                (40, 90, "GSTIN: 29AAACK1234A1Z" + "5", 9),
                (340, 60, "TAX INVOICE", 16),
                (340, 95, "Invoice No.", 9),
                (470, 95, "KV/24-25/118", 9),
                (340, 108, "Invoice Date", 9),
                (470, 108, "14-Mar-2025", 9),
                (340, 121, "Due Date", 9),
                (470, 121, "13/04/2025", 9),
                (40, 150, "Bill To:", 9),
                (40, 163, "Acme Software Pvt Ltd", 9),
                (40, 175, "4th Floor, Baner, Pune 411045", 9),
            ]
        )
    )
    assert result.invoice_number == "KV/24-25/118"
    assert result.invoice_date == "2025-03-14"
    assert result.due_date == "2025-04-13"
    assert result.seller.name == "Kaveri Office Supplies Pvt Ltd"
    assert result.buyer.name == "Acme Software Pvt Ltd"
    assert result.buyer.address == "4th Floor, Baner, Pune 411045"


@pytest.mark.parametrize(
    ("labels", "date_text", "want_date"),
    [
        (
            ("Rechnungsnummer:", "Rechnungsdatum:", "Rechnungsempfänger:"),
            "05.03.2025",
            "2025-03-05",
        ),
        (("N° de facture :", "Date de facture :", "Facturé à :"), "05/03/2025", "2025-03-05"),
        (("Factuurnummer:", "Factuurdatum:", "Factuuradres:"), "5 maart 2025", "2025-03-05"),
        (("Numer faktury:", "Data wystawienia:", "Nabywca:"), "05.03.2025", "2025-03-05"),
    ],
)
def test_labels_under_and_multilingual(
    labels: tuple[str, str, str], date_text: str, want_date: str
) -> None:
    number_label, date_label, buyer_label = labels
    result = _read(
        _pdf(
            [
                (40, 60, "Lumière Conseil SARL", 15),
                (40, 78, "12 rue de la Paix, 75002 Paris", 9),
                # values UNDER their labels
                (300, 100, number_label, 9),
                (300, 112, "RE-2025-0042", 9),
                (450, 100, date_label, 9),
                (450, 112, date_text, 9),
                (40, 150, buyer_label, 9),
                (40, 163, "Zeeland Media B.V.", 9),
            ]
        )
    )
    assert result.invoice_number == "RE-2025-0042"
    assert result.invoice_date == want_date
    assert result.buyer.name == "Zeeland Media B.V."


def test_seller_tax_id_is_not_the_buyers() -> None:
    result = _read(
        _pdf(
            [
                (40, 60, "Nordlicht Hardware GmbH", 15),
                (40, 78, "Hauptstraße 4, 80333 München", 9),
                (40, 90, "USt-IdNr.: DE232446240", 9),
                (340, 95, "Rechnungsnummer:", 9),
                (470, 95, "4711", 9),
                (40, 150, "Rechnungsempfänger:", 9),
                (40, 163, "Kunden AG", 9),
                (40, 175, "USt-IdNr.: DE123456788", 9),
            ]
        )
    )
    assert result.seller.tax_id == "DE232446240"
    assert result.buyer.tax_id == "DE123456788"
    assert result.currency == "EUR"  # nothing names one: the German VAT id tells


def test_title_number_and_date() -> None:
    result = _read(
        _pdf(
            [
                (40, 60, "Lieferant GmbH", 12),
                (40, 100, "Rechnungskorrektur Nr. RK21012345 vom 16.09.2018", 11),
            ]
        )
    )
    assert result.invoice_number == "RK21012345"
    assert result.invoice_date == "2018-09-16"
