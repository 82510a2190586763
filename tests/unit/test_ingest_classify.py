"""The first classifier on real corpus PDFs and on short multilingual texts."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from services.ingest.classify import (
    BANK_STATEMENT,
    INVOICE,
    PAYMENT_SCREENSHOT,
    UNKNOWN,
    classify_image,
    classify_text,
    normalise,
)
from services.ingest.validate import Limits, inspect_pdf


def _pdf_text(path: Path) -> str:
    return inspect_pdf(path.read_bytes(), limits=Limits()).text


def _corpus_pdfs(corpus: Path, folder: str) -> list[Path]:
    paths = sorted((corpus / folder).rglob("*.pdf"))
    assert paths, f"no PDFs under {folder}"
    return paths


@pytest.mark.parametrize("folder", ["invoice2data", "zugferd"])
def test_corpus_invoices_are_invoices(corpus: Path, folder: str) -> None:
    wrong = {}
    for path in _corpus_pdfs(corpus, folder):
        guess = classify_text(_pdf_text(path))
        if guess.doc_type != INVOICE or guess.confidence < 0.5:
            wrong[path.name] = guess
    assert not wrong


def test_corpus_statement_is_a_bank_statement(corpus: Path) -> None:
    guess = classify_text(_pdf_text(corpus / "monopoly" / "example_statement.pdf"))
    assert guess.doc_type == BANK_STATEMENT
    assert guess.confidence >= 0.6


def test_blank_pages_are_unknown(corpus: Path) -> None:
    guess = classify_text(_pdf_text(corpus / "monopoly" / "4_pages_blank.pdf"))
    assert guess.doc_type == UNKNOWN
    assert guess.confidence <= 0.2


def test_decrypted_corpus_statement_has_no_text_layer_so_unknown(corpus: Path) -> None:
    data = (corpus / "monopoly" / "protected.pdf").read_bytes()
    text = inspect_pdf(data, limits=Limits(), password="foobar123").text
    assert classify_text(text).doc_type == UNKNOWN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Kontoauszug Nr. 7  Alter Kontostand 1.200,00 EUR  Neuer Kontostand 980,00",
            BANK_STATEMENT,
        ),
        ("Relevé de compte  Solde au 01/03  Débit  Crédit", BANK_STATEMENT),
        (
            "STATEMENT OF ACCOUNT  IFSC: HDFC0000123  Date  Narration  Withdrawal  Deposit  "
            "Closing Balance",
            BANK_STATEMENT,
        ),
        (
            "TAX INVOICE  GSTIN 29ABCDE1234F1Z5  Bill To: Acme  Subtotal 100  Amount Due 118",
            INVOICE,
        ),
        ("Rechnung Nr. 4711  Nettobetrag 100,00  USt 19 %  Gesamtbetrag 119,00", INVOICE),
        ("FACTURE n° 12  Total HT 100  TVA 20 %  Total TTC 120", INVOICE),
        ("Factuur 2022-01  BTW 21%  Totaal 121,00", INVOICE),
        ("Faktura VAT nr 1/2024  Razem 123,00", INVOICE),
        (
            "₹ 1,000  Paid to Rahul Sharma  UPI transaction ID 412345678901  UTR 4123",
            PAYMENT_SCREENSHOT,
        ),
        ("Payment successful  Google Pay  Transaction ID CICAgK", PAYMENT_SCREENSHOT),
        ("Lorem ipsum dolor sit amet, consectetur adipiscing elit.", UNKNOWN),
        ("", UNKNOWN),
    ],
)
def test_multilingual_keywords(text: str, expected: str) -> None:
    assert classify_text(text).doc_type == expected


def test_confidence_grows_with_evidence() -> None:
    weak = classify_text("Invoice")
    strong = classify_text("Tax Invoice  GSTIN  Bill to  Subtotal  VAT  Amount due  Qty")
    assert weak.doc_type == strong.doc_type == INVOICE
    assert 0 < weak.confidence < strong.confidence <= 1


def test_mixed_signals_lower_confidence() -> None:
    clean = classify_text("Statement of account  Opening balance  Closing balance")
    mixed = classify_text("Statement of account  Opening balance  Closing balance  Invoice  VAT")
    assert clean.doc_type == mixed.doc_type == BANK_STATEMENT
    assert mixed.confidence < clean.confidence


def test_a_keyword_counts_once() -> None:
    assert classify_text("deposit " * 50).doc_type == UNKNOWN


def test_normalise_strips_accents_case_and_spacing() -> None:
    assert normalise("RELEVÉ\u00a0de   Compte\n") == "releve de compte"


def test_image_guess_from_shape_only() -> None:
    phone = classify_image(1080, 2340)
    assert phone.doc_type == PAYMENT_SCREENSHOT and phone.confidence < 0.5
    assert classify_image(2480, 3508).doc_type == UNKNOWN  # an A4 scan
    assert classify_image(1920, 1080).doc_type == UNKNOWN
    assert classify_image(0, 0).doc_type == UNKNOWN


def test_pdf_text_of_a_made_statement() -> None:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "Account Statement  Opening Balance  Withdrawals  Deposits")
    text = inspect_pdf(doc.tobytes(), limits=Limits()).text
    assert classify_text(text).doc_type == BANK_STATEMENT


def test_corpus_invoice_scans_are_not_taken_for_screenshots(corpus: Path) -> None:
    from PIL import Image

    for path in sorted((corpus / "invoice2data").glob("*.png")):
        with Image.open(path) as img:
            assert classify_image(*img.size).doc_type == UNKNOWN, path.name
