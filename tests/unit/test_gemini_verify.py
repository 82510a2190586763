"""Verification of model answers against the document, masking, and the routing decisions."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from services.common.errors import InputError
from services.common.gemini.masking import black_out, mask_image, mask_text, sensitive_boxes
from services.common.gemini.routing import (
    Assessment,
    pick_better,
    resolve_provider,
    should_escalate,
)
from services.common.gemini.schemas import InvoiceAnswer, PaymentAnswer, StatementPageAnswer
from services.common.gemini.verify import (
    DocumentText,
    normalise_id,
    statement_page_checks,
    verify_invoice,
    verify_payment,
    verify_statement_page,
)
from services.common.ocr import OcrWord

SCREEN = """Payment successful
₹1,000
Paid to SUDIPTO KUMAR BHATTACHARJEE
UPI ID sudipto@axI
UPI transaction ID 5677 3519 8192
8 Nov 2025, 1:24 pm"""

STATEMENT = """STATE BANK OF INDIA   Account Number: XXXXXXX4821   IFSC: SBIN0001234
Opening Balance 10,234.50
03-01-2025 UPI/DR/500312345678/ZOMATO LTD/YESB/zomato@ybl 500312345678 250.00 9,984.50
05-01-2025 NEFT CR ACME SOFTWARE SALARY N005250123456789 52,000.00 61,984.50
Closing Balance 61,984.50"""


def payment(**change: object) -> PaymentAnswer:
    base = {
        "amount": 1000.0,
        "currency": "INR",
        "payer_name": "",
        "payee_name": "SUDIPTO",
        "date": "2025-11-08",
        "time": "13:24:00",
        "transaction_status": "completed",
        "transaction_id": "567735198192",
        "payment_method": "UPI",
        "upi_id": "sudipto@axl",
        "is_payment_screenshot": True,
        "confidence": 0.9,
    }
    return PaymentAnswer.model_validate({**base, **change})


def statement(**row_change: object) -> StatementPageAnswer:
    rows = [
        {
            "date": "2025-01-03",
            "value_date": "2025-01-03",
            "description": "UPI/DR/500312345678/ZOMATO LTD/YESB/zomato@ybl",
            "reference": "500312345678",
            "debit": 250.0,
            "credit": None,
            "amount": -250.0,
            "balance": 9984.5,
            "page": 1,
        },
        {
            "date": "2025-01-05",
            "value_date": "2025-01-05",
            "description": "NEFT CR ACME SOFTWARE SALARY",
            "reference": "N005250123456789",
            "debit": None,
            "credit": 52000.0,
            "amount": 52000.0,
            "balance": 61984.5,
            "page": 1,
        },
    ]
    rows[1] = {**rows[1], **row_change}
    account = {
        "bank_name": "State Bank of India",
        "account_holder": None,
        "account_number": "XXXXXXX4821",
        "branch_code": "SBIN0001234",
        "currency": "INR",
        "period_start": None,
        "period_end": None,
        "opening_balance": 10234.5,
        "closing_balance": 61984.5,
    }
    return StatementPageAnswer.model_validate({"account": account, "transactions": rows})


@pytest.mark.parametrize(
    ("text", "value", "found"),
    [
        ("₹1,000", 1000, True),
        ("Rs.1000.00", 1000, True),
        ("₹ 1, 000", 1000, True),  # OCR split the number
        ("1.000,00 EUR", 1000, True),
        ("10,00,000.00", 1_000_000, True),  # Indian grouping
        ("-250.00Dr", -250, True),
        ("9,984.50", 9984.5, True),
        ("250.00", 25000, False),  # separators are not dropped blindly
        ("1,000", 100, False),
        ("₹1,000", 1500, False),
        ("12 500", 12500, True),
    ],
)
def test_amounts_are_found_as_values(text: str, value: float, found: bool) -> None:
    assert DocumentText(text).has_amount(value) is found


def test_ids_normalised_for_spacing_case_and_lookalikes() -> None:
    doc = DocumentText(SCREEN)
    assert doc.has_id("567735198192")
    assert doc.has_id("SUDIPTO@AXL")  # OCR read l as I
    assert not doc.has_id("567735198193")
    assert normalise_id("XXXXXXX4821") == normalise_id("****4821") == "*4821"


def test_payment_verified_and_invented_values_caught() -> None:
    assert verify_payment(payment(), SCREEN).ok
    invented = verify_payment(payment(amount=1500.0, transaction_id="999999999999"), SCREEN)
    assert invented.unverified == ("amount", "transaction_id")
    assert invented.review_reasons == ["unverified_value"]
    assert invented.confidence == pytest.approx(1 / 3, abs=0.001)


def test_statement_page_verified() -> None:
    result = verify_statement_page(statement(), STATEMENT)
    assert result.unverified == ()
    assert result.checks == {"balance_continuity": True, "opening_plus_net_equals_closing": True}
    assert result.ok and result.confidence == 1.0


def test_flipped_sign_and_invented_row_values_caught() -> None:
    flipped = verify_statement_page(statement(amount=-52000.0), STATEMENT)
    assert "transactions[1].amount" in flipped.unverified
    assert flipped.checks["balance_continuity"] is False
    assert flipped.review_reasons == [
        "unverified_value",
        "balance_continuity",
        "opening_plus_net_equals_closing",
    ]
    invented = verify_statement_page(statement(credit=52500.0, amount=52500.0), STATEMENT)
    assert "transactions[1].credit" in invented.unverified


def test_balance_continuity_carries_the_previous_page() -> None:
    page = statement()
    page.account.opening_balance = None
    assert statement_page_checks(page)["balance_continuity"] is True  # rows agree
    assert statement_page_checks(page, previous_balance=10234.5)["balance_continuity"] is True
    assert statement_page_checks(page, previous_balance=10000.0)["balance_continuity"] is False


def test_invoice_verified_with_checks() -> None:
    text = """TAX INVOICE INV-2025-0042  GSTIN 29ABCDE1234F1Z5
    A4 paper 10 x 320.00 = 3,200.00   Stapler 2 x 400.00 = 800.00
    Subtotal 4,000.00  IGST 18% 720.00  Total 4,720.00  Amount due 4,720.00"""
    invoice = InvoiceAnswer.model_validate(
        {
            "invoice_number": "INV-2025-0042",
            "invoice_date": "2025-03-14",
            "due_date": None,
            "currency": "INR",
            "seller": {"name": "Kaveri", "address": None, "tax_id": "29ABCDE1234F1Z5"},
            "buyer": {"name": None, "address": None, "tax_id": None},
            "line_items": [
                {
                    "description": "A4",
                    "quantity": 10,
                    "unit_price": 320,
                    "amount": 3200,
                    "tax_rate": 18,
                },
                {
                    "description": "Stapler",
                    "quantity": 2,
                    "unit_price": 400,
                    "amount": 800,
                    "tax_rate": 18,
                },
            ],
            "subtotal": 4000,
            "taxes": [{"type": "IGST", "rate": 18, "amount": 720}],
            "tax_total": 720,
            "total": 4720,
            "amount_due": 4720,
        }
    )
    good = verify_invoice(invoice, text)
    assert good.ok, good
    invoice.total = 4800.0
    bad = verify_invoice(invoice, text)
    assert bad.unverified == ("total",)
    assert bad.checks["subtotal_plus_tax_equals_total"] is False


def test_mask_text_keeps_last_four_and_handles() -> None:
    text = (
        "Account No: 123456784821 IFSC SBIN0001234\n"
        "UPI/DR/500312345678/ZOMATO/zomato@ybl\n"
        "mail a.b@gmail.com ref 500312345678"
    )
    masked = mask_text(text)
    assert "Account No: XXXXXXXX4821 IFSC SBIN0001234" in masked
    assert "XXXX@ybl" in masked and "zomato@ybl" not in masked
    assert "a.b@gmail.com" in masked  # an e-mail address is not a UPI id
    assert "ref 500312345678" in masked  # a reference on a non-account line stays
    assert mask_text(text, account_numbers=False, upi_ids=False) == text


def test_sensitive_words_blacked_out_on_the_image() -> None:
    image = Image.new("RGB", (400, 120), "white")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    words = [
        OcrWord("A/c", 10, 10, 40, 30, 0.99, 0),
        OcrWord("50100123456789", 50, 10, 200, 30, 0.99, 0),
        OcrWord("Paid", 10, 60, 50, 80, 0.99, 1),
        OcrWord("asha@okaxis", 60, 60, 180, 80, 0.99, 1),
        OcrWord("500312345678", 200, 60, 330, 80, 0.99, 1),  # a reference: not masked
    ]
    assert sensitive_boxes(words) == [(50, 10, 200, 30), (60, 60, 180, 80)]
    assert sensitive_boxes(words, upi_ids=False) == [(50, 10, 200, 30)]
    out = Image.open(io.BytesIO(mask_image(buf.getvalue(), words)))
    assert out.getpixel((120, 20)) == (0, 0, 0)
    assert out.getpixel((120, 70)) == (0, 0, 0)
    assert out.getpixel((260, 70)) == (255, 255, 255)
    assert out.getpixel((25, 20)) == (255, 255, 255)
    assert mask_image(buf.getvalue(), words[2:3]) == buf.getvalue()  # nothing to hide
    assert Image.open(io.BytesIO(black_out(buf.getvalue(), [(0, 0, 5, 5)]))).getpixel((1, 1)) == (
        0,
        0,
        0,
    )


def test_resolve_provider() -> None:
    assert resolve_provider(None, "hybrid") == "hybrid"
    assert resolve_provider("", "local") == "local"
    assert resolve_provider(" Gemini ", "local") == "gemini"
    with pytest.raises(InputError) as caught:
        resolve_provider("openai", "local")
    assert caught.value.code == "invalid_provider"


def test_escalation_decision() -> None:
    clean = Assessment(checks={"balance_continuity": True}, confidence=0.95)
    assert not should_escalate(clean, threshold=0.85).escalate
    assert should_escalate(None, threshold=0.85).reasons == ("no_local_answer",)
    failed = Assessment(checks={"balance_continuity": False, "x": None}, confidence=0.95)
    assert should_escalate(failed, threshold=0.85).reasons == ("check_failed:balance_continuity",)
    unsure = Assessment(confidence=0.6)
    assert should_escalate(unsure, threshold=0.85).reasons == ("low_confidence",)
    assert not should_escalate(unsure, threshold=0.5).escalate


def test_better_checked_answer_wins() -> None:
    t = 0.85
    failed_local = Assessment(checks={"balance_continuity": False}, confidence=0.9)
    clean_remote = Assessment(checks={"balance_continuity": True}, confidence=1.0)
    assert pick_better(failed_local, clean_remote, threshold=t) == "gemini"
    # Gemini's answer with an unverified value is no better than a local failed check.
    unverified_remote = Assessment(checks={"balance_continuity": True}, unverified=1)
    assert pick_better(failed_local, unverified_remote, threshold=t) == "local"
    # Both clean: Gemini replaces a local answer only when that one was unsure.
    assert pick_better(Assessment(confidence=0.5), Assessment(), threshold=t) == "gemini"
    assert pick_better(Assessment(confidence=0.9), Assessment(), threshold=t) == "local"
    assert pick_better(None, Assessment(), threshold=t) == "gemini"
    assert pick_better(Assessment(usable=False), Assessment(usable=False), threshold=t) == "local"
