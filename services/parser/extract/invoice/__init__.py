"""Invoice engine (issue 5). Until it lands: page text is read, nothing is claimed."""

from __future__ import annotations

import json
from collections.abc import Sequence

from services.parser.extract.interface import Assembled, ExtractOptions
from services.parser.extract.results import InvoiceResult, Provenance
from services.parser.extract.source import SourceDocument


class InvoiceExtractor:
    document_type = "invoice"

    def extract_page(self, source: SourceDocument, page_index: int, options: ExtractOptions) -> bytes:
        words = source.page(page_index).get_text("words")
        return json.dumps({"page": page_index, "words": len(words)}).encode()

    def assemble(
        self, source: SourceDocument, pages: Sequence[bytes], options: ExtractOptions
    ) -> Assembled:
        result = InvoiceResult(requires_review=True, review_reasons=["no_line_items_found"])
        return Assembled(result=result, provenance=Provenance(source="text_layer"))
