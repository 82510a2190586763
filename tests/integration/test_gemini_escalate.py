"""The integration API services call (escalate_*, route) through the real SDK against the
local Gemini-protocol server: invented values caught, masking applied to what is sent,
hybrid escalation only where the local answer falls short."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image

from services.common.errors import AiRefused
from services.common.gemini import (
    Assessment,
    GeminiProvider,
    GeminiSettings,
    KeyPool,
    classify_document,
    escalate_invoice,
    escalate_payment,
    escalate_statement_page,
    payment_data,
    route,
    route_many,
    statement_rows,
)
from services.common.ocr import OcrWord
from tests.gemini_server import GeminiServer, answer, server_error

FLASH = "gemini-2.0-flash-exp"
SCREEN_TEXT = "Paid to ASHA VERMA\n₹ 1,000\nUPI ID asha@okaxis\nUPI transaction ID 5677 3519 8192"
PAGE_TEXT = (
    "Account Number 50100123456789\n"
    "03-01-2025 UPI/DR/500312345678/ZOMATO 500312345678 250.00 9,984.50\n"
    "05-01-2025 NEFT CR ACME SALARY N005250123456789 52,000.00 61,984.50"
)


def png(width: int = 400, height: int = 200) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buf, format="PNG")
    return buf.getvalue()


PAYMENT = {
    "amount": 1000.0,
    "currency": "INR",
    "payer_name": "",
    "payee_name": "ASHA VERMA",
    "date": "",
    "time": "",
    "transaction_status": "completed",
    "transaction_id": "567735198192",
    "payment_method": "UPI",
    "upi_id": "asha@okaxis",
    "is_payment_screenshot": True,
    "confidence": 0.97,
}
ROWS = [
    {
        "date": "2025-01-03",
        "value_date": None,
        "description": "UPI/DR/500312345678/ZOMATO",
        "reference": "500312345678",
        "debit": 250.0,
        "credit": None,
        "amount": -250.0,
        "balance": 9984.5,
        "page": 1,
    },
    {
        "date": "2025-01-05",
        "value_date": None,
        "description": "NEFT CR ACME SALARY",
        "reference": "N005250123456789",
        "debit": None,
        "credit": 52000.0,
        "amount": 52000.0,
        "balance": 61984.5,
        "page": 1,
    },
]
ACCOUNT = {
    "bank_name": None,
    "account_holder": None,
    "account_number": "XXXXXXXXXX6789",
    "branch_code": None,
    "currency": None,
    "period_start": None,
    "period_end": None,
    "opening_balance": None,
    "closing_balance": None,
}


@pytest.fixture
async def server() -> AsyncIterator[GeminiServer]:
    srv = GeminiServer()
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture
async def providers() -> AsyncIterator[list[GeminiProvider]]:
    made: list[GeminiProvider] = []
    yield made
    for provider in made:
        await provider.aclose()


@pytest.fixture
def make(server: GeminiServer, providers: list[GeminiProvider]) -> Any:
    def _make(**overrides: Any) -> GeminiProvider:
        values: dict[str, Any] = {
            "GEMINI_BASE_URL": server.base_url,
            "GEMINI_MODELS": FLASH,
            "GEMINI_ATTEMPTS_PER_MODEL": 1,
            "GEMINI_MASK_ACCOUNT_NUMBERS": False,
            "GEMINI_MASK_UPI_IDS": False,
            **overrides,
        }
        provider = GeminiProvider(GeminiSettings(_env_file=None, **values), key_pool=KeyPool(["k"]))
        providers.append(provider)
        return provider

    return _make


async def test_payment_answer_verified_against_ocr_text(server: GeminiServer, make: Any) -> None:
    server.script(answer(PAYMENT), model=FLASH)
    image = png()
    result = await escalate_payment(make(), image, SCREEN_TEXT)
    assert not result.requires_review and result.review_reasons == []
    assert (result.provider, result.model, result.cost_tier) == ("gemini", FLASH, "free")
    assert payment_data(result.answer) == {
        k: v for k, v in PAYMENT.items() if k not in ("is_payment_screenshot", "confidence")
    }
    assert server.requests[0].inline == [("image/png", image)]


async def test_invented_payment_values_require_review(server: GeminiServer, make: Any) -> None:
    server.script(answer({**PAYMENT, "amount": 10000.0, "upi_id": "asha@ybl"}), model=FLASH)
    result = await escalate_payment(make(), png(), SCREEN_TEXT)
    assert result.requires_review
    assert result.review_reasons == ["unverified_value"]
    assert result.verification.unverified == ("amount", "upi_id")
    assert result.assessment.unverified == 2


async def test_masking_blacks_out_what_leaves_the_machine(server: GeminiServer, make: Any) -> None:
    server.script(answer({**PAYMENT, "upi_id": "XXXX@okaxis"}), model=FLASH)
    words = [
        OcrWord("UPI", 10, 100, 40, 120, 0.99, 3),
        OcrWord("ID", 45, 100, 60, 120, 0.99, 3),
        OcrWord("asha@okaxis", 70, 100, 200, 120, 0.99, 3),
    ]
    provider = make(GEMINI_MASK_UPI_IDS=True)
    result = await escalate_payment(provider, png(), SCREEN_TEXT, words=words)
    ((mime, sent),) = server.requests[0].inline
    sent_image = Image.open(io.BytesIO(sent))
    assert mime == "image/png"
    assert sent_image.getpixel((130, 110)) == (0, 0, 0)
    assert sent_image.getpixel((300, 30)) == (255, 255, 255)
    # The masked value the model read back is verified against the masked text.
    assert result.masked and result.verification.ok


async def test_masking_scales_boxes_from_a_downscaled_ocr_pass(
    server: GeminiServer, make: Any
) -> None:
    server.script(answer({**PAYMENT, "upi_id": "XXXX@okaxis"}), model=FLASH)
    # OCR ran on a half-size copy (200x100) of the 400x200 screenshot.
    words = [
        OcrWord("UPI", 5, 50, 20, 60, 0.99, 3),
        OcrWord("asha@okaxis", 35, 50, 100, 60, 0.99, 3),
    ]
    provider = make(GEMINI_MASK_UPI_IDS=True)
    await escalate_payment(provider, png(), SCREEN_TEXT, words=words, words_size=(200, 100))
    ((_, sent),) = server.requests[0].inline
    sent_image = Image.open(io.BytesIO(sent))
    assert sent_image.size == (400, 200)
    assert sent_image.getpixel((130, 110)) == (0, 0, 0)  # (65, 55) in the OCR's pixels
    assert sent_image.getpixel((230, 110)) == (255, 255, 255)


async def test_masking_refuses_a_pdf(server: GeminiServer, make: Any) -> None:
    with pytest.raises(AiRefused) as caught:
        await escalate_invoice(
            make(GEMINI_MASK_ACCOUNT_NUMBERS=True), b"%PDF-1.7", "", mime_type="application/pdf"
        )
    assert caught.value.code == "masking_needs_image"
    assert server.requests == []


async def test_statement_page_rows_checked_and_numbered(server: GeminiServer, make: Any) -> None:
    server.script(answer({"account": ACCOUNT, "transactions": ROWS}), model=FLASH)
    result = await escalate_statement_page(
        make(GEMINI_MASK_ACCOUNT_NUMBERS=True),
        png(),
        PAGE_TEXT,
        page_number=3,
        previous_balance=10234.5,
        words=[],
    )
    assert [row["page"] for row in statement_rows(result.answer)] == [3, 3]
    assert result.verification.checks["balance_continuity"] is True
    # The model saw a masked account number; its masked answer still verifies.
    assert result.verification.ok, result.verification


async def test_flipped_sign_from_the_model_is_caught(server: GeminiServer, make: Any) -> None:
    flipped = [ROWS[0], {**ROWS[1], "debit": 52000.0, "credit": None, "amount": -52000.0}]
    server.script(answer({"account": ACCOUNT, "transactions": flipped}), model=FLASH)
    result = await escalate_statement_page(make(), png(), PAGE_TEXT, page_number=1)
    assert result.requires_review
    assert result.verification.checks["balance_continuity"] is False
    assert "balance_continuity" in result.review_reasons


async def test_classify(server: GeminiServer, make: Any) -> None:
    server.script(answer({"document_type": "invoice", "confidence": 0.8}), model=FLASH)
    result = await classify_document(make(), png())
    assert result.answer.document_type == "invoice"


async def test_hybrid_escalates_only_when_local_falls_short(
    server: GeminiServer, make: Any
) -> None:
    provider = make()
    server.script(answer(PAYMENT), model=FLASH, always=True)

    def escalate() -> Any:
        return escalate_payment(provider, png(), SCREEN_TEXT)

    confident = Assessment(confidence=0.95)
    routed = await route("hybrid", confident, escalate, threshold=0.85)
    assert (routed.source, routed.escalated, routed.gemini) == ("local", False, None)
    assert server.requests == []

    unsure = Assessment(confidence=0.4)
    routed = await route("hybrid", unsure, escalate, threshold=0.85)
    assert routed.escalated and routed.reasons == ("low_confidence",)
    assert routed.source == "gemini" and routed.model == FLASH
    assert len(server.requests) == 1

    # Gemini's answer is no better checked than a clean local one: local stays.
    failed_check = Assessment(checks={"amount_valid": False}, confidence=0.9)
    server.script(answer({**PAYMENT, "amount": 5.0}), model=FLASH)
    routed = await route("hybrid", failed_check, escalate, threshold=0.85)
    assert routed.escalated and routed.source == "local"
    assert routed.gemini is not None and routed.gemini.requires_review

    # local never calls; gemini always does.
    routed = await route("local", None, escalate, threshold=0.85)
    assert routed.source == "local" and not routed.escalated
    routed = await route("gemini", confident, escalate, threshold=0.85)
    assert routed.source == "gemini"
    assert len(server.requests) == 3


async def test_pages_of_a_document_escalate_independently(server: GeminiServer, make: Any) -> None:
    provider = make()
    # Unmasked page text: the full account number is what the page shows.
    account = {**ACCOUNT, "account_number": "50100123456789"}
    server.script(answer({"account": account, "transactions": ROWS}), model=FLASH, always=True)
    clean = Assessment(checks={"balance_continuity": True})
    broken = Assessment(checks={"balance_continuity": False})
    locals_ = [clean, broken, clean, None]

    def page(n: int) -> Any:
        return lambda: escalate_statement_page(provider, png(), PAGE_TEXT, page_number=n)

    routed = await route_many("hybrid", locals_, [page(n) for n in range(1, 5)], threshold=0.85)
    assert [i + 1 for i, r in enumerate(routed) if r.escalated] == [2, 4]
    assert [r.source for r in routed] == ["local", "gemini", "local", "gemini"]
    assert len(server.requests) == 2
    assert routed[1].gemini is not None
    assert {row["page"] for row in statement_rows(routed[1].gemini.answer)} == {2}


async def test_hybrid_keeps_local_when_gemini_fails(server: GeminiServer, make: Any) -> None:
    provider = make()
    server.script(server_error(503), model=FLASH, always=True)
    routed = await route(
        "hybrid",
        Assessment(confidence=0.3),
        lambda: escalate_payment(provider, png(), SCREEN_TEXT),
        threshold=0.85,
    )
    assert (routed.source, routed.error) == ("local", "ai_failed")
    # In gemini mode the failure is the caller's to report (ai_failed).
    from services.common.errors import AiFailed

    with pytest.raises(AiFailed):
        await route(
            "gemini", None, lambda: escalate_payment(provider, png(), SCREEN_TEXT), threshold=0.85
        )
