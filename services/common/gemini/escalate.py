"""The integration API for services: ask Gemini about one document, verify, route.

Services call these; each returns an :class:`Escalated` answer already checked against the
document (values looked up in the text the caller hands in, the contract's arithmetic checks
run), or raises ``AiFailed`` / ``ModelNotFree`` / ``AiNotConfigured``.

- :func:`escalate_payment` — a payment screenshot (+ its OCR text).
- :func:`escalate_statement_page` — one statement page image (+ its text layer or OCR text).
- :func:`escalate_invoice` — an invoice page image or PDF (+ its text).
- :func:`classify_document` — which kind of document a first page is.
- :func:`route` — the ``local | gemini | hybrid`` flow around any of them, given the local
  answer's :class:`~services.common.gemini.routing.Assessment`.

Masking (``GEMINI_MASK_ACCOUNT_NUMBERS`` / ``GEMINI_MASK_UPI_IDS``): the image is blacked out
where the caller's OCR words (or, when none are given, a local OCR pass) show an account
number or UPI id — pass ``words_size`` when the OCR ran on a resized copy; a PDF cannot be
masked and is refused while masking is on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from services.common.errors import AiFailed, AiRefused
from services.common.gemini.masking import WordBox, mask_image, mask_text
from services.common.gemini.provider import PROVIDER_NAME, GeminiProvider, InlineData, Usage
from services.common.gemini.routing import Assessment, Source, pick_better, should_escalate
from services.common.gemini.schemas import (
    ClassificationAnswer,
    InvoiceAnswer,
    PaymentAnswer,
    StatementPageAnswer,
)
from services.common.gemini.settings import ProviderName
from services.common.gemini.verify import (
    DocumentText,
    Verification,
    verify_invoice,
    verify_payment,
    verify_statement_page,
)
from services.common.logging import get_logger

T = TypeVar("T", bound=BaseModel)
log = get_logger(__name__)

PAYMENT_INSTRUCTION = (
    "task: payment_screenshot\n"
    "You read a screenshot of a payment app (UPI, NEFT, IMPS). Report exactly what it shows: "
    "amount as a number without currency symbol or separators, currency as ISO 4217 (INR "
    "unless shown otherwise), payer and payee names, date YYYY-MM-DD and time HH:MM:SS "
    '(24 h), status, transaction id / UTR / reference, method and the UPI id. Use "" for '
    "anything not shown; never guess. is_payment_screenshot is false for any other image."
)
STATEMENT_INSTRUCTION = (
    "task: bank_statement_page\n"
    "You read one page of a bank statement. Report the account header fields the page shows "
    "and every transaction row on it, top to bottom. Dates YYYY-MM-DD; debit and credit as "
    "positive numbers (null when empty); amount = credit - debit; balance as printed; "
    "description with wrapped lines joined by one space; reference as printed. Use null for "
    "anything the page does not show. Never invent rows or totals."
)
INVOICE_INSTRUCTION = (
    "task: invoice\n"
    "You read an invoice. Report its number, dates (YYYY-MM-DD), currency (ISO 4217), seller "
    "and buyer (name, address, tax id such as GSTIN or VAT number), line items, subtotal, "
    "taxes (type, rate %, amount), tax total, total and amount due, as printed. Use null for "
    "anything not shown."
)
CLASSIFY_INSTRUCTION = (
    "task: classify\n"
    "Which kind of financial document is this: bank_statement, invoice, payment_screenshot "
    "(a payment app's confirmation screen) or unknown?"
)


@dataclass(frozen=True)
class Escalated(Generic[T]):
    """Gemini's verified answer about one document or page."""

    answer: T
    verification: Verification
    model: str
    cost_tier: str
    elapsed_ms: int
    usage: Usage
    masked: bool  # whether account numbers / UPI ids were masked before sending
    provider: str = PROVIDER_NAME

    @property
    def requires_review(self) -> bool:
        return not self.verification.ok

    @property
    def review_reasons(self) -> list[str]:
        return self.verification.review_reasons

    @property
    def assessment(self) -> Assessment:
        return Assessment(
            checks=self.verification.checks,
            confidence=self.verification.confidence,
            unverified=len(self.verification.unverified),
        )


@dataclass(frozen=True)
class Routed(Generic[T]):
    """The outcome of :func:`route`: which answer won and why Gemini was (not) asked."""

    source: Source  # "local" or "gemini": whose answer to use
    escalated: bool
    reasons: tuple[str, ...]  # why it was escalated (empty when not)
    gemini: Escalated[T] | None = None
    error: str | None = None  # error code when Gemini was asked and failed (hybrid only)

    @property
    def model(self) -> str | None:
        return self.gemini.model if self.source == "gemini" and self.gemini else None


async def route(
    mode: ProviderName,
    local: Assessment | None,
    escalate: Callable[[], Awaitable[Escalated[T]]],
    *,
    threshold: float,
) -> Routed[T]:
    """Run the routing policy around one escalation.

    ``local`` never calls Gemini; ``gemini`` always does and lets its errors propagate;
    ``hybrid`` calls it only when :func:`should_escalate` says so, keeps the local answer if
    Gemini fails (``error`` names the code), and otherwise keeps the better-checked answer.
    """
    if mode == "local":
        return Routed(source="local", escalated=False, reasons=())
    if mode == "gemini":
        answer = await escalate()
        return Routed(source="gemini", escalated=True, reasons=("provider_gemini",), gemini=answer)
    decision = should_escalate(local, threshold=threshold)
    if not decision.escalate:
        return Routed(source="local", escalated=False, reasons=())
    try:
        answer = await escalate()
    except (AiFailed, AiRefused) as exc:
        log.warning("hybrid_escalation_failed", code=exc.code, reasons=decision.reasons)
        return Routed(source="local", escalated=True, reasons=decision.reasons, error=exc.code)
    winner = pick_better(local, answer.assessment, threshold=threshold)
    return Routed(source=winner, escalated=True, reasons=decision.reasons, gemini=answer)


async def route_many(
    mode: ProviderName,
    locals_: Sequence[Assessment | None],
    escalators: Sequence[Callable[[], Awaitable[Escalated[T]]]],
    *,
    threshold: float,
) -> list[Routed[T]]:
    """:func:`route` for each page of a document, concurrently (the provider caps how many
    requests are in flight). ``escalated_pages`` of the provenance is
    ``[i + 1 for i, r in enumerate(results) if r.escalated]``."""
    if len(locals_) != len(escalators):
        raise ValueError("one local assessment per escalator")
    return list(
        await asyncio.gather(
            *(
                route(mode, local, escalate, threshold=threshold)
                for local, escalate in zip(locals_, escalators, strict=True)
            )
        )
    )


async def _prepare(
    provider: GeminiProvider,
    data: bytes,
    mime_type: str,
    text: str,
    words: Sequence[WordBox] | None,
    words_size: tuple[int, int] | None = None,
) -> tuple[InlineData, DocumentText, bool]:
    """The inline part to send (masked when configured) and the text to verify against."""
    settings = provider.settings
    accounts, upi = settings.mask_account_numbers, settings.mask_upi_ids
    if not (accounts or upi):
        return InlineData(data, mime_type), DocumentText(text), False
    if not mime_type.startswith("image/"):
        raise AiRefused(
            "masking is on and a PDF cannot be masked: send page images",
            code="masking_needs_image",
        )
    if words is None:
        from services.common.ocr import ocr_engine

        words, words_size = (await asyncio.to_thread(ocr_engine().read, data)).words, None
    masked = await asyncio.to_thread(
        mask_image, data, words, account_numbers=accounts, upi_ids=upi, words_size=words_size
    )
    # Verify against both forms: an answer read off the masked image carries masked values.
    both = f"{text}\n{mask_text(text, account_numbers=accounts, upi_ids=upi)}"
    mime = mime_type if masked is data else "image/png"
    return InlineData(masked, mime), DocumentText(both), True


async def _ask(
    provider: GeminiProvider,
    schema: type[T],
    instruction: str,
    part: InlineData,
    deadline_s: float | None,
) -> tuple[Any, float]:
    started = time.monotonic()
    result = await provider.generate(
        schema, instruction=instruction, parts=[part], deadline_s=deadline_s
    )
    return result, started


def _escalated(
    provider: GeminiProvider,
    result: Any,
    answer: T,
    verification: Verification,
    started: float,
    masked: bool,
) -> Escalated[T]:
    return Escalated(
        answer=answer,
        verification=verification,
        model=result.model,
        cost_tier=provider.cost_tier(result.model),
        elapsed_ms=int((time.monotonic() - started) * 1000),
        usage=result.usage,
        masked=masked,
    )


async def escalate_payment(
    provider: GeminiProvider,
    image: bytes,
    ocr_text: str,
    *,
    mime_type: str = "image/png",
    words: Sequence[WordBox] | None = None,
    words_size: tuple[int, int] | None = None,
    deadline_s: float | None = None,
) -> Escalated[PaymentAnswer]:
    """Gemini's reading of a payment screenshot, verified against ``ocr_text``.

    ``answer.model_dump(include=PaymentFields fields)`` is the contract's ``data``;
    ``answer.is_payment_screenshot`` and ``requires_review``/``review_reasons`` feed its
    ``metadata`` (``review_reason`` = ``review_reasons[0]``).
    """
    part, doc, masked = await _prepare(provider, image, mime_type, ocr_text, words, words_size)
    result, started = await _ask(provider, PaymentAnswer, PAYMENT_INSTRUCTION, part, deadline_s)
    answer: PaymentAnswer = result.value
    return _escalated(provider, result, answer, verify_payment(answer, doc), started, masked)


async def escalate_statement_page(
    provider: GeminiProvider,
    page_image: bytes,
    page_text: str,
    *,
    page_number: int,
    mime_type: str = "image/png",
    words: Sequence[WordBox] | None = None,
    words_size: tuple[int, int] | None = None,
    previous_balance: float | None = None,
    liability: bool = False,
    deadline_s: float | None = None,
) -> Escalated[StatementPageAnswer]:
    """Gemini's reading of one statement page (rows get ``page = page_number``), verified
    against ``page_text``; ``previous_balance`` (the last balance of the page before) lets
    ``balance_continuity`` check the first row; ``liability``: the balance is what is owed
    (a card), so it grows with debits."""
    part, doc, masked = await _prepare(
        provider, page_image, mime_type, page_text, words, words_size
    )
    result, started = await _ask(
        provider, StatementPageAnswer, STATEMENT_INSTRUCTION, part, deadline_s
    )
    answer: StatementPageAnswer = result.value
    for row in answer.transactions:
        row.page = page_number
    verification = verify_statement_page(
        answer, doc, previous_balance=previous_balance, liability=liability
    )
    return _escalated(provider, result, answer, verification, started, masked)


async def escalate_invoice(
    provider: GeminiProvider,
    document: bytes,
    text: str,
    *,
    mime_type: str = "image/png",
    words: Sequence[WordBox] | None = None,
    words_size: tuple[int, int] | None = None,
    deadline_s: float | None = None,
) -> Escalated[InvoiceAnswer]:
    """Gemini's reading of an invoice (a page image, or a PDF while masking is off),
    verified against ``text``."""
    part, doc, masked = await _prepare(provider, document, mime_type, text, words, words_size)
    result, started = await _ask(provider, InvoiceAnswer, INVOICE_INSTRUCTION, part, deadline_s)
    answer: InvoiceAnswer = result.value
    return _escalated(provider, result, answer, verify_invoice(answer, doc), started, masked)


async def classify_document(
    provider: GeminiProvider,
    image: bytes,
    *,
    mime_type: str = "image/png",
    words: Sequence[WordBox] | None = None,
    words_size: tuple[int, int] | None = None,
    deadline_s: float | None = None,
) -> Escalated[ClassificationAnswer]:
    """Gemini's judgement of a document's type from its first page (send a downscaled page
    image; it is masked like the others when masking is on)."""
    part, _, masked = await _prepare(provider, image, mime_type, "", words, words_size)
    result, started = await _ask(
        provider, ClassificationAnswer, CLASSIFY_INSTRUCTION, part, deadline_s
    )
    answer: ClassificationAnswer = result.value
    return _escalated(provider, result, answer, Verification(), started, masked)


def payment_data(answer: PaymentAnswer) -> dict[str, Any]:
    """The payments contract's ``data`` object from an answer."""
    return answer.model_dump(exclude={"is_payment_screenshot", "confidence"})


def statement_rows(answer: StatementPageAnswer) -> list[dict[str, Any]]:
    """The page's rows as the contract's ``transactions`` objects."""
    return [row.model_dump() for row in answer.transactions]


__all__ = [
    "CLASSIFY_INSTRUCTION",
    "INVOICE_INSTRUCTION",
    "PAYMENT_INSTRUCTION",
    "STATEMENT_INSTRUCTION",
    "Escalated",
    "Routed",
    "classify_document",
    "escalate_invoice",
    "escalate_payment",
    "escalate_statement_page",
    "payment_data",
    "route",
    "route_many",
    "statement_rows",
]
