"""Bank-statement engine (issue 3). Until it lands: page text is read, nothing is claimed."""

from __future__ import annotations

import json
from collections.abc import Sequence

from services.parser.extract.interface import Assembled, ExtractOptions
from services.parser.extract.results import BankStatementResult, Provenance
from services.parser.extract.source import SourceDocument


class StatementExtractor:
    document_type = "bank_statement"

    def extract_page(self, source: SourceDocument, page_index: int, options: ExtractOptions) -> bytes:
        words = source.page(page_index).get_text("words")
        return json.dumps({"page": page_index, "words": len(words)}).encode()

    def assemble(
        self, source: SourceDocument, pages: Sequence[bytes], options: ExtractOptions
    ) -> Assembled:
        result = BankStatementResult(requires_review=True, review_reasons=["no_transactions_found"])
        return Assembled(result=result, provenance=Provenance(source="text_layer"))
