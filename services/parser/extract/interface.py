"""The one interface every extraction engine implements.

The pipeline calls :meth:`Extractor.extract_page` for each page (possibly on different workers
and processes), stores the returned bytes opaquely, and hands all pages, in order, to
:meth:`Extractor.assemble` on the worker that recorded the last page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from pydantic import BaseModel

from services.parser.extract.results import ParseResultModel, Provenance
from services.parser.extract.source import SourceDocument

DocumentKind = Literal["bank_statement", "invoice"]


class ExtractOptions(BaseModel):
    """Per-request options."""

    use_embedded_xml: bool = True  # invoices: read Factur-X/ZUGFeRD XML when the PDF has it
    provider: str = "local"


class Assembled(BaseModel):
    result: ParseResultModel
    provenance: Provenance


class Extractor(Protocol):
    document_type: DocumentKind

    def extract_page(
        self, source: SourceDocument, page_index: int, options: ExtractOptions
    ) -> bytes:
        """Extract one page; returns a serialised page result (opaque to the pipeline)."""
        ...

    def assemble(
        self, source: SourceDocument, pages: Sequence[bytes], options: ExtractOptions
    ) -> Assembled:
        """Join the pages' results into the document's result with its checks."""
        ...


__all__ = ["Assembled", "DocumentKind", "ExtractOptions", "Extractor"]
