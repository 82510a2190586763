"""Bank-statement engine (issue 3): any layout, text or scanned, checked by its own arithmetic.

:meth:`StatementExtractor.extract_page` reads one page into a :class:`~.model.PageOut`
(serialised JSON: the table's columns and rows as printed, the lines around it);
:meth:`StatementExtractor.assemble` joins the pages into the contract's result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pydantic_core

from services.parser.extract.interface import Assembled, DocumentKind, ExtractOptions
from services.parser.extract.results import Provenance
from services.parser.extract.source import SourceDocument
from services.parser.extract.statement.assemble import AssemblyNotes, assemble_pages
from services.parser.extract.statement.layout import analyse_page_data
from services.parser.extract.statement.model import PageOut
from services.parser.extract.text.words import PageWords, image_words, page_words, turn_half

__all__ = ["AssemblyNotes", "PageOut", "StatementExtractor", "read_page"]


def read_page(source: SourceDocument, page_index: int) -> PageOut:
    """One page's table and surrounding lines (OCR'd pages turned upright if needed)."""
    return PageOut.model_validate(read_page_data(source, page_index))


def read_page_data(source: SourceDocument, page_index: int) -> dict[str, Any]:
    """:func:`read_page` as plain data, ready for JSON."""
    words: PageWords
    if source.is_image:
        source.page(page_index)  # range check
        words = image_words(source.content)
    else:
        words = page_words(source.page(page_index))
    page = analyse_page_data(words, page_index)
    if words.source == "ocr" and not page["header"] and words.words:
        turned = analyse_page_data(turn_half(words), page_index)
        if turned["layout_score"] > page["layout_score"]:
            page = turned
    return page


class StatementExtractor:
    document_type: DocumentKind = "bank_statement"

    def extract_page(
        self, source: SourceDocument, page_index: int, options: ExtractOptions
    ) -> bytes:
        """Read one page; returns its :class:`PageOut` as JSON bytes."""
        return pydantic_core.to_json(read_page_data(source, page_index))

    def assemble(
        self, source: SourceDocument, pages: Sequence[bytes], options: ExtractOptions
    ) -> Assembled:
        """Join the pages into the statement, run its checks and score it."""
        parsed = [PageOut.model_validate_json(p) for p in pages]
        result, notes = assemble_pages(parsed)
        model = "fintract-local"
        if notes.source in ("ocr", "mixed"):
            from services.common.ocr import MODEL_NAME

            model = MODEL_NAME
        return Assembled(
            result=result,
            provenance=Provenance(provider="local", model=model, source=notes.source),
        )
