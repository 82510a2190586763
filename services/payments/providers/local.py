"""The offline provider: the suite's shared OCR engine plus the receipt field extractor."""

from __future__ import annotations

import asyncio

import cv2
import numpy as np
from PIL import Image

from services.common.ocr import MODEL_NAME, OcrConfig, OcrEngine, OcrResult, ocr_engine
from services.payments.extract import Extraction, Page, Word, build_page, extract_payment
from services.payments.providers.base import ProviderFailed


def prepare(image: Image.Image, *, max_width: int) -> np.ndarray:
    """Downscale wide screenshots before OCR (text on phone screens stays legible at ~720 px
    wide and recognition time grows with pixels); RGB uint8."""
    array = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    if max_width and image.width > max_width:
        height = round(image.height * max_width / image.width)
        # OpenCV (installed with the OCR engine) area-averages ~2x faster than Pillow.
        array = cv2.resize(array, (max_width, height), interpolation=cv2.INTER_AREA)
    return array


def page_from_ocr(result: OcrResult) -> Page:
    words = [Word(w.text, w.x0, w.y0, w.x1, w.y1, w.confidence, w.line) for w in result.words]
    return build_page(words, width=result.width, height=result.height)


def payments_engine(threads: int | None = None) -> OcrEngine:
    """The process's OCR engine; if this loads it, with ``threads`` threads (None =
    ``OCR_THREADS``) whose idle detector threads sleep rather than spin (same CPU as one
    thread on a loaded machine; spinning cost ~35% more CPU for no wall time)."""
    if threads is None:
        return ocr_engine()
    return ocr_engine(config=OcrConfig(threads=threads, spin_wait=False))


def read_page(
    image: Image.Image, *, max_width: int, det_max_side: int = 0, threads: int | None = None
) -> Page:
    """OCR ``image`` (synchronously) into a page of lines with the engine's screenshot
    profile; ``det_max_side`` caps the text detector's input (0 = the profile's, 960 px);
    ``threads`` is the engine's thread count if this call loads it (None = ``OCR_THREADS``)."""
    array = prepare(image, max_width=max_width)
    engine = payments_engine(threads)
    return page_from_ocr(
        engine.read(array, profile="screenshot", det_max_side=det_max_side or None)
    )


class LocalProvider:
    """RapidOCR (models inside its wheel) + :func:`extract_payment`; free and offline."""

    name = "local"
    model = MODEL_NAME
    cost_tier = "free"

    def __init__(
        self, *, max_width: int = 720, det_max_side: int = 0, threads: int | None = None
    ) -> None:
        self.max_width = max_width
        self.det_max_side = det_max_side
        self.threads = threads

    def extract_sync(self, image: Image.Image) -> Extraction:
        try:
            page = read_page(
                image,
                max_width=self.max_width,
                det_max_side=self.det_max_side,
                threads=self.threads,
            )
        except Exception as exc:
            raise ProviderFailed(f"OCR failed: {type(exc).__name__}: {exc}") from exc
        return extract_payment(page)

    async def extract(self, image: Image.Image) -> Extraction:
        return await asyncio.to_thread(self.extract_sync, image)

    def warm_up(self) -> None:
        """Load the OCR models now rather than on the first request."""
        engine = payments_engine(self.threads)
        engine.read(np.full((200, 200, 3), 255, dtype=np.uint8), profile="screenshot")


__all__ = ["LocalProvider", "page_from_ocr", "payments_engine", "prepare", "read_page"]
