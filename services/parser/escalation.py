"""Provider routing for statements and invoices: the offline answer first, Gemini where it
falls short (issue 6, "Routing" and "Trust but verify").

:class:`Escalation.apply` takes what the engine assembled and the resolved provider:

- ``local``: the engine's answer, unchanged.
- ``hybrid``: a statement whose document checks fail or whose confidence is below
  ``HYBRID_CONFIDENCE_THRESHOLD`` has the pages that fail their own checks (or hold no rows)
  read by Gemini, concurrently; each page answer is verified against the page's own text
  and kept only when it is better checked than the local page. The winning pages replace
  the local ones, the engine's document checks and score run again on the merged statement
  (:func:`~services.parser.extract.statement.recheck.recheck_statement`), and the
  better-checked of the two statements wins. An invoice is escalated as a whole on the same
  rule, and the better-checked answer wins. When Gemini fails (or no key is set) the local
  answer stands, flagged ``requires_review`` with ``gemini_unavailable``: hybrid never fails
  a job because Gemini is down. Nor because of a bug or a rendering failure on the way to
  Gemini: any unexpected error is logged with its traceback and the local answer stands,
  flagged the same way when it needed escalating.
- ``gemini``: every page (the whole invoice) is read by Gemini, verified and checked exactly
  as a local answer; when every model fails the caller gets ``AiFailed`` (``ai_failed``).

The provenance names the provider that ran, the model(s) whose answer the result holds
(``fintract-local+gemini-2.0-flash`` when pages of both are in it) and, in hybrid, the
1-based pages sent to Gemini. Page images are rendered and page texts read on the caller's
extraction thread (PyMuPDF is not thread-safe); what leaves the machine is masked per
``GEMINI_MASK_*`` with the word boxes already at hand (no second OCR pass for text pages).
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import pymupdf
from prometheus_client import Counter

from services.common.errors import AiNotConfigured
from services.common.gemini import (
    Assessment,
    Escalated,
    GeminiProvider,
    GeminiSettings,
    InvoiceAnswer,
    MaskBox,
    PageAssessment,
    ProviderName,
    StatementPageAnswer,
    escalate_invoice,
    escalate_statement_page,
    page_assessments,
    replace_pages,
    resolve_provider,
    route,
    route_many,
    should_escalate,
)
from services.common.gemini.routing import pick_better
from services.common.gemini.verify import UNVERIFIED_VALUE
from services.common.logging import get_logger
from services.parser.extract import Assembled, BankStatementResult, InvoiceResult, SourceDocument
from services.parser.extract.invoice.layout import PageModel
from services.parser.extract.results import InvoiceChecks
from services.parser.extract.statement import PageOut
from services.parser.extract.statement.recheck import owes_balance, recheck_statement
from services.parser.extract.text.words import page_words

T = TypeVar("T")

GEMINI_UNAVAILABLE = "gemini_unavailable"
# Long side of a page image sent to Gemini, in pixels (≈ 190 dpi for A4).
PAGE_LONG_SIDE = 1600
# An invoice is sent as one image: its first pages stacked top to bottom.
INVOICE_MAX_PAGES = 4

ESCALATIONS = Counter(
    "fintract_parser_escalations_total",
    "Documents routed to Gemini, by document type and outcome",
    # outcome: gemini (its answer used) | local (local kept) | failed (Gemini failed)
    # | error (hybrid hit an unexpected error; local kept)
    ["document_type", "provider", "outcome"],
)

_log = get_logger("fintract.parser.escalation")


class Runner(Protocol):
    """Runs a function on the extraction thread (``sources.Extraction.run``)."""

    def __call__(self, fn: Callable[[], T], /) -> Awaitable[T]: ...


@dataclass(frozen=True)
class PageInput:
    """What Gemini is shown of one page, and the text its answer is checked against."""

    image: bytes
    text: str
    words: list[MaskBox] | None  # None: masking runs its own OCR pass on the image
    mime_type: str = "image/png"


# -- page images and texts (extraction thread) -----------------------------------------------


def _render(page: pymupdf.Page) -> tuple[bytes, float, int, int]:
    rect = page.rect
    zoom = min(2.5, PAGE_LONG_SIDE / max(rect.width, rect.height, 1.0))
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom))
    return pix.tobytes("png"), zoom, pix.width, pix.height


def _text_layer_boxes(page: pymupdf.Page, zoom: float, y_offset: float = 0.0) -> list[MaskBox]:
    read = page_words(page, allow_ocr=False)
    return [
        MaskBox(
            w.text,
            w.x0 * zoom,
            w.y0 * zoom + y_offset,
            w.x1 * zoom,
            w.y1 * zoom + y_offset,
            w.group,
        )
        for w in read.words
    ]


def _statement_page_text(page: PageOut) -> str:
    lines = [line.text for line in page.info]
    if page.lead:
        lines.append(page.lead)
    for row in page.rows:
        fields = (row.date, row.value_date, row.description, row.reference)
        amounts = (row.debit, row.credit, row.amount, row.balance)
        lines.append(" ".join(f for f in (*fields, *amounts) if f))
    return "\n".join(lines)


def statement_page_input(source: SourceDocument, page: PageOut) -> PageInput:
    """The page image, its text (text layer, or what the OCR read) and its word boxes."""
    pdf_page = source.page(page.index)
    image, zoom, width, _ = _render(pdf_page)
    if page.source == "text_layer":
        return PageInput(image, pdf_page.get_text(), _text_layer_boxes(pdf_page, zoom))
    words: list[MaskBox] | None = None
    if page.rotation == 0 and page.width > 0:
        scale = width / page.width
        words = [
            MaskBox(t, x0 * scale, y0 * scale, x1 * scale, y1 * scale, n)
            for n, line in enumerate(page.info)
            for t, x0, y0, x1, y1 in line.words
        ]
    return PageInput(image, _statement_page_text(page), words)


def _model_text(model: PageModel) -> str:
    lines: list[list[str]] = []
    last_y: float | None = None
    for word in sorted(model.words, key=lambda w: (round(w.y0), w.x0)):
        if last_y is None or abs(word.y0 - last_y) > 0.5 * max(word.y1 - word.y0, 1.0):
            lines.append([])
            last_y = word.y0
        lines[-1].append(word.text)
    return "\n".join(" ".join(line) for line in lines)


def invoice_input(
    source: SourceDocument, pages: Sequence[bytes], settings: GeminiSettings
) -> PageInput:
    """The invoice as Gemini sees it: the PDF itself while masking is off, else its first
    pages rendered and stacked into one image (masked by the text layer's word boxes)."""
    models = [PageModel.from_bytes(p) for p in pages]
    texts = [
        source.page(m.page).get_text() if m.source == "text_layer" else _model_text(m)
        for m in models
    ]
    text = "\n".join(texts)
    masking = settings.mask_account_numbers or settings.mask_upi_ids
    if not masking and not source.is_image:
        return PageInput(source.content, text, None, "application/pdf")
    from PIL import Image

    images: list[Any] = []
    words: list[MaskBox] | None = []
    y = 0
    for model in models[:INVOICE_MAX_PAGES]:
        pdf_page = source.page(model.page)
        png, zoom, _, height = _render(pdf_page)
        images.append(Image.open(io.BytesIO(png)).convert("RGB"))
        if words is not None and model.source == "text_layer":
            words += [
                MaskBox(b.text, b.x0, b.y0, b.x1, b.y1, b.line + 1_000_000 * model.page)
                for b in _text_layer_boxes(pdf_page, zoom, y)
            ]
        else:
            words = None  # a scanned page: masking reads the image itself
        y += height
    canvas = Image.new("RGB", (max(i.width for i in images), y), "white")
    top = 0
    for image in images:
        canvas.paste(image, (0, top))
        top += image.height
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return PageInput(out.getvalue(), text, words)


# -- decisions -------------------------------------------------------------------------------


def statement_assessment(result: BankStatementResult, unverified: int = 0) -> Assessment:
    return Assessment(
        checks=result.checks.model_dump(),
        confidence=result.confidence,
        unverified=unverified,
        usable=bool(result.transactions),
    )


def invoice_assessment(result: InvoiceResult) -> Assessment:
    return Assessment(
        checks=result.checks.model_dump(),
        confidence=result.confidence,
        usable=result.total is not None or bool(result.line_items),
    )


def pages_to_escalate(
    assessed: Sequence[PageAssessment], *, threshold: float
) -> list[PageAssessment]:
    """The pages hybrid sends to Gemini, of a statement that needs escalating.

    A page whose running balance holds (carried in from the page before) is proven by its
    own arithmetic, whatever the document's confidence: when some pages fail their running
    balance, only those go. When none does (the document fails on opening + net = closing,
    or has no balances to check), every page without rows or below the confidence threshold
    goes.
    """

    failing = [p for p in assessed if p.assessment.usable and p.assessment.failed_checks]
    if failing:
        return failing
    return [p for p in assessed if should_escalate(p.assessment, threshold=threshold).escalate]


def flagged(result: Any, reason: str) -> Any:
    """A copy of a result that requires review for ``reason`` (added once)."""
    out = result.model_copy(deep=True)
    if reason not in out.review_reasons:
        out.review_reasons.append(reason)
    out.requires_review = True
    return out


def model_name(local: str | None, gemini: Sequence[str]) -> str:
    """``local``, the Gemini models (in order, once each) or both joined by ``+``."""
    names = [local] if local else []
    for name in gemini:
        if name not in names:
            names.append(name)
    return "+".join(names)


def invoice_from_answer(found: Escalated[InvoiceAnswer]) -> InvoiceResult:
    """Gemini's invoice in the contract's shape, with the checks its verification ran."""
    verification = found.verification
    return InvoiceResult(
        **found.answer.model_dump(),
        checks=InvoiceChecks(**verification.checks),
        confidence=verification.confidence,
        requires_review=not verification.ok,
        review_reasons=verification.review_reasons,
    )


# -- the routing -----------------------------------------------------------------------------


def _kind(assembled: Assembled) -> str:
    return "bank_statement" if isinstance(assembled.result, BankStatementResult) else "invoice"


class Escalation:
    """Routes assembled results through Gemini per the provider (one per process)."""

    def __init__(
        self,
        gemini: GeminiProvider | None,
        settings: GeminiSettings,
        run: Runner,
        *,
        default_provider: str = "local",
    ) -> None:
        self.gemini = gemini if gemini is not None and gemini.configured else None
        self.settings = settings
        self.run = run
        self.default_provider = default_provider

    @property
    def threshold(self) -> float:
        return self.settings.hybrid_confidence_threshold

    def resolve(self, requested: str | None) -> ProviderName:
        """The request's provider, else the deployment's (``invalid_provider`` otherwise)."""
        return resolve_provider(requested, resolve_provider(self.default_provider, "local"))

    async def apply(
        self,
        source: SourceDocument,
        pages: Sequence[bytes],
        assembled: Assembled,
        provider: ProviderName,
    ) -> Assembled:
        """The final result and its provenance (see the module docstring).

        Raises:
            AiFailed: ``gemini`` and every model failed.
            AiNotConfigured: ``gemini`` and no API key is set.
            AiRefused: ``gemini`` and configuration forbids the call (a paid model…).
        """
        if provider == "local":
            return assembled
        if provider != "hybrid":
            return await self._route(source, pages, assembled, provider)
        try:
            return await self._route(source, pages, assembled, provider)
        except Exception:  # noqa: BLE001 - hybrid never fails a job the local answer can serve
            _log.exception("hybrid_routing_failed", document_type=_kind(assembled))
            return self._local_after_error(assembled)

    async def _route(
        self,
        source: SourceDocument,
        pages: Sequence[bytes],
        assembled: Assembled,
        provider: ProviderName,
    ) -> Assembled:
        if isinstance(assembled.result, BankStatementResult):
            return await self._statement(source, pages, assembled, provider)
        return await self._invoice(source, pages, assembled, provider)

    def _local_after_error(self, assembled: Assembled) -> Assembled:
        """Hybrid's answer when routing broke: the local one, flagged as when Gemini is
        down if it needed escalating (flagged too when even that cannot be told)."""
        local = assembled.result
        try:
            if isinstance(local, BankStatementResult):
                assessment = statement_assessment(local)
            else:
                assessment = invoice_assessment(local)
            needed = should_escalate(assessment, threshold=self.threshold).escalate
        except Exception:  # noqa: BLE001 - already logged; review is the safe side
            needed = True
        ESCALATIONS.labels(_kind(assembled), "hybrid", "error").inc()
        provenance = assembled.provenance.model_copy(
            update={"provider": "hybrid", "escalated_pages": []}
        )
        result = flagged(local, GEMINI_UNAVAILABLE) if needed else local
        return Assembled(result=result, provenance=provenance)

    def _need_gemini(self, provider: ProviderName) -> GeminiProvider | None:
        if self.gemini is None and provider == "gemini":
            raise AiNotConfigured("no Gemini API key is set (GOOGLE_API_KEY, GOOGLE_API_KEY2, …)")
        return self.gemini

    # statements ---------------------------------------------------------------------------
    async def _statement(
        self,
        source: SourceDocument,
        pages: Sequence[bytes],
        assembled: Assembled,
        provider: ProviderName,
    ) -> Assembled:
        local = assembled.result
        assert isinstance(local, BankStatementResult)
        base = assembled.provenance.model_copy(update={"provider": provider})
        if provider == "hybrid":
            decision = should_escalate(statement_assessment(local), threshold=self.threshold)
            if not decision.escalate:
                return Assembled(result=local, provenance=base)
        gemini = self._need_gemini(provider)
        page_outs = [PageOut.model_validate_json(p) for p in pages]
        liability = owes_balance(page_outs)  # a card: the balance owed grows with debits
        assessed = page_assessments(
            local.model_dump(mode="json"), pages_total=len(page_outs), liability=liability
        )
        if provider == "hybrid":
            assessed = pages_to_escalate(assessed, threshold=self.threshold)
        if not assessed:
            return Assembled(result=local, provenance=base)
        if gemini is None:
            ESCALATIONS.labels("bank_statement", provider, "failed").inc()
            return Assembled(result=flagged(local, GEMINI_UNAVAILABLE), provenance=base)

        inputs = await self.run(
            lambda: [statement_page_input(source, page_outs[p.page - 1]) for p in assessed]
        )

        def ask(
            page: int, data: PageInput, previous: float | None
        ) -> Callable[[], Awaitable[Escalated[StatementPageAnswer]]]:
            return lambda: escalate_statement_page(
                gemini,
                data.image,
                data.text,
                page_number=page,
                mime_type=data.mime_type,
                words=data.words,
                previous_balance=previous,
                liability=liability,
            )

        routed = await route_many(
            provider,
            [p.assessment for p in assessed],
            [
                ask(p.page, data, p.previous_balance)
                for p, data in zip(assessed, inputs, strict=True)
            ],
            threshold=self.threshold,
        )
        escalated = [p.page for p, r in zip(assessed, routed, strict=True) if r.escalated]
        provenance = base.model_copy(update={"escalated_pages": escalated})
        wins = {
            p.page: r.gemini
            for p, r in zip(assessed, routed, strict=True)
            if r.source == "gemini" and r.gemini is not None
        }
        failed = any(r.error for r in routed)
        result = local
        if wins:
            start = local if provider == "hybrid" else BankStatementResult()
            merged = BankStatementResult.model_validate(
                replace_pages(start.model_dump(mode="json"), {n: w.answer for n, w in wins.items()})
            )
            merged = recheck_statement(merged, page_outs, replaced=set(wins))
            unverified = sum(len(w.verification.unverified) for w in wins.values())
            if unverified:
                merged = flagged(merged, UNVERIFIED_VALUE)
            winner = "gemini"
            if provider == "hybrid":
                winner = pick_better(
                    statement_assessment(local),
                    statement_assessment(merged, unverified),
                    threshold=self.threshold,
                )
            if winner == "gemini":
                result = merged
                models = [wins[n].model for n in sorted(wins)]
                local_model = assembled.provenance.model if provider == "hybrid" else None
                provenance = provenance.model_copy(
                    update={"model": model_name(local_model, models)}
                )
        if failed:
            result = flagged(result, GEMINI_UNAVAILABLE)
        outcome = "failed" if failed else ("gemini" if result is not local else "local")
        ESCALATIONS.labels("bank_statement", provider, outcome).inc()
        _log.info(
            "statement_routed",
            provider=provider,
            escalated_pages=escalated,
            gemini_pages=sorted(wins),
            outcome=outcome,
        )
        return Assembled(result=result, provenance=provenance)

    # invoices -----------------------------------------------------------------------------
    async def _invoice(
        self,
        source: SourceDocument,
        pages: Sequence[bytes],
        assembled: Assembled,
        provider: ProviderName,
    ) -> Assembled:
        local = assembled.result
        assert isinstance(local, InvoiceResult)
        base = assembled.provenance.model_copy(update={"provider": provider})
        assessment = invoice_assessment(local)
        if (
            provider == "hybrid"
            and not should_escalate(assessment, threshold=self.threshold).escalate
        ):
            return Assembled(result=local, provenance=base)
        gemini = self._need_gemini(provider)
        if gemini is None:
            ESCALATIONS.labels("invoice", provider, "failed").inc()
            return Assembled(result=flagged(local, GEMINI_UNAVAILABLE), provenance=base)
        data = await self.run(lambda: invoice_input(source, pages, self.settings))
        routed = await route(
            provider,
            assessment,
            lambda: escalate_invoice(
                gemini, data.image, data.text, mime_type=data.mime_type, words=data.words
            ),
            threshold=self.threshold,
        )
        sent = len(pages) if data.mime_type == "application/pdf" else INVOICE_MAX_PAGES
        escalated = list(range(1, min(len(pages), sent) + 1)) if routed.escalated else []
        provenance = base.model_copy(update={"escalated_pages": escalated})
        if routed.source == "gemini" and routed.gemini is not None:
            outcome = "gemini"
            result = invoice_from_answer(routed.gemini)
            provenance = provenance.model_copy(update={"model": routed.gemini.model})
        elif routed.error:
            outcome = "failed"
            result = flagged(local, GEMINI_UNAVAILABLE)
        else:
            outcome = "local"
            result = local
        ESCALATIONS.labels("invoice", provider, outcome).inc()
        _log.info("invoice_routed", provider=provider, outcome=outcome, reasons=routed.reasons)
        return Assembled(result=result, provenance=provenance)


__all__ = [
    "GEMINI_UNAVAILABLE",
    "Escalation",
    "PageInput",
    "Runner",
    "flagged",
    "invoice_from_answer",
    "invoice_input",
    "model_name",
    "pages_to_escalate",
    "statement_assessment",
    "statement_page_input",
]
