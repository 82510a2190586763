"""A second opinion from Gemini on uploads the keyword classifier is unsure of.

Asked only when the ingest provider (``INGEST_PROVIDER``, else ``FINTRACT_PROVIDER``) is
``gemini`` or ``hybrid``, a Gemini API key is set, and the keyword guess is ``unknown`` or
below ``INGEST_CLASSIFY_SURE_CONFIDENCE`` — which is always the case for images, since uploads
get no OCR. Gemini sees the first page as an image (a PDF page rendered, an image downscaled),
masked as ``GEMINI_MASK_*`` say: a PDF's text-layer words locate what to black out, and
without them the Gemini helper runs OCR for it. Its answer replaces the keyword guess when
it names a type (not ``unknown``). Any failure — quota, outage, a page that will not render —
keeps the keyword guess: an upload never fails because of Gemini. ``local`` never calls out.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pymupdf
from PIL import Image

from services.common.errors import FintractError
from services.common.logging import get_logger
from services.ingest import classify
from services.ingest.settings import IngestSettings

if TYPE_CHECKING:
    from services.common.gemini import GeminiProvider, MaskBox

_log = get_logger("fintract.ingest")

# Longest side of the page image sent: enough to tell a statement from an invoice, few tokens.
PAGE_MAX_SIDE = 1280


@dataclass(frozen=True)
class FirstPage:
    """What Gemini is shown: a PNG, and the words on it when a text layer gives them (None:
    unknown, the helper finds them by OCR if masking needs them)."""

    png: bytes
    words: list[MaskBox] | None


def first_page(content: bytes, *, is_pdf: bool, max_side: int = PAGE_MAX_SIDE) -> FirstPage:
    """The first page of a stored upload as a PNG no larger than ``max_side``."""
    if is_pdf:
        # Here, not at the top: ingest loads the Gemini package only when it asks Gemini.
        from services.common.gemini import MaskBox

        with pymupdf.open(stream=content, filetype="pdf") as doc:
            page = doc[0]
            zoom = min(2.0, max_side / max(page.rect.width, page.rect.height))
            pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom))
            words = [
                MaskBox(
                    w[4], w[0] * zoom, w[1] * zoom, w[2] * zoom, w[3] * zoom, w[5] * 1000 + w[6]
                )
                for w in page.get_text("words")
            ]
            return FirstPage(pixmap.tobytes("png"), words or None)
    with Image.open(io.BytesIO(content)) as opened:
        opened.seek(0)  # the first frame of an animated GIF/WebP
        image = opened.convert("RGB")
    image.thumbnail((max_side, max_side))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return FirstPage(out.getvalue(), None)


def is_unsure(guess: classify.Classification, *, sure_confidence: float) -> bool:
    """Whether the keyword guess needs a second opinion."""
    return guess.doc_type == classify.UNKNOWN or guess.confidence < sure_confidence


class GeminiClassifier:
    """Asks Gemini which kind of document an upload is (one per process)."""

    def __init__(self, gemini: GeminiProvider, *, sure_confidence: float, timeout_s: float):
        self.gemini = gemini
        self.sure_confidence = sure_confidence
        self.timeout_s = timeout_s

    async def second_opinion(
        self, guess: classify.Classification, content: bytes, *, is_pdf: bool
    ) -> classify.Classification:
        """Gemini's classification when the keywords are unsure and it names a type, else
        ``guess``."""
        from services.common.gemini import classify_document

        if not is_unsure(guess, sure_confidence=self.sure_confidence):
            return guess
        try:
            # The whole second opinion (render, OCR for masking, Gemini) within the budget.
            async with asyncio.timeout(self.timeout_s):
                page = await asyncio.to_thread(first_page, content, is_pdf=is_pdf)
                found = await classify_document(
                    self.gemini, page.png, words=page.words, deadline_s=self.timeout_s
                )
        except (FintractError, TimeoutError, RuntimeError, ValueError, OSError) as exc:
            # AiFailed / AiRefused / a page that will not render: keep the keyword guess.
            _log.warning(
                "gemini_classify_failed",
                error=getattr(exc, "code", type(exc).__name__),
                keyword_type=guess.doc_type,
            )
            return guess
        answer = found.answer
        if answer.document_type == classify.UNKNOWN:
            return guess
        _log.info(
            "gemini_classified",
            doc_type=answer.document_type,
            keyword_type=guess.doc_type,
            model=found.model,
            masked=found.masked,
        )
        return classify.Classification(answer.document_type, round(answer.confidence, 3))

    async def aclose(self) -> None:
        await self.gemini.aclose()


def gemini_classifier(settings: IngestSettings) -> GeminiClassifier | None:
    """A classifier when the provider is ``gemini``/``hybrid`` and a key is set, else None
    (``local``, or no key: the keyword guess stands, offline)."""
    if settings.provider == "local":
        return None
    from services.common.gemini import GeminiProvider, api_keys_from_env

    if not api_keys_from_env():
        _log.warning(
            "ingest_provider_offline",
            configured=settings.provider,
            reason="no Gemini API key (GOOGLE_API_KEY) is set: keyword classification only",
        )
        return None
    return GeminiClassifier(
        GeminiProvider(),
        sure_confidence=settings.classify_sure_confidence,
        timeout_s=settings.classify_gemini_timeout_s,
    )


__all__ = [
    "FirstPage",
    "GeminiClassifier",
    "first_page",
    "gemini_classifier",
    "is_unsure",
]
