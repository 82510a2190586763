"""fintract's offline extraction engine: bytes and options in, typed results out.

Knows nothing of NATS, Redis, gRPC, HTTP or SQL (an import-linter contract keeps it so).
"""

from __future__ import annotations

from services.parser.extract import native

native.guard()  # before any engine module loads: never run a compiled module of other sources

from services.parser.extract.errors import (
    DocumentUnreadable,
    ExtractError,
    PageOutOfRange,
    PasswordRequired,
)
from services.parser.extract.interface import Assembled, DocumentKind, ExtractOptions, Extractor
from services.parser.extract.results import (
    BankStatementResult,
    InvoiceResult,
    ParseResultModel,
    Provenance,
)
from services.parser.extract.source import SourceDocument


def extractor_for(kind: DocumentKind) -> Extractor:
    """The engine for a document type."""
    if kind == "bank_statement":
        from services.parser.extract.statement import StatementExtractor

        return StatementExtractor()
    if kind == "invoice":
        from services.parser.extract.invoice import InvoiceExtractor

        return InvoiceExtractor()
    raise ValueError(f"no extractor for {kind!r}")


__all__ = [
    "Assembled",
    "BankStatementResult",
    "DocumentKind",
    "DocumentUnreadable",
    "ExtractError",
    "ExtractOptions",
    "Extractor",
    "InvoiceResult",
    "PageOutOfRange",
    "ParseResultModel",
    "PasswordRequired",
    "Provenance",
    "SourceDocument",
    "extractor_for",
]
