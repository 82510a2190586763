"""One page's words for the invoice engine, through the shared text layer / OCR reader."""

from __future__ import annotations

from services.parser.extract.invoice.layout import PageModel, Word
from services.parser.extract.source import SourceDocument
from services.parser.extract.text.words import image_words, page_words

__all__ = ["read_page_words"]


def read_page_words(source: SourceDocument, page_index: int) -> PageModel:
    """The page's words (text layer, or OCR for scans and images) as the engine stores them."""
    read = image_words(source.content) if source.is_image else page_words(source.page(page_index))
    return PageModel(
        page=page_index,
        source=read.source,
        width=read.width,
        height=read.height,
        ocr_confidence=read.ocr_confidence,
        words=[Word(w.text, w.x0, w.y0, w.x1, w.y1) for w in read.words],
    )
