"""Engine results (pydantic) → the typed ParseResult message."""

from __future__ import annotations

from fintract.api.results.v1 import results_pb2
from fintract.convert import dict_to_message
from services.parser.extract import Assembled, DocumentKind

KIND_BY_TYPE: dict[int, DocumentKind] = {
    results_pb2.DOCUMENT_TYPE_BANK_STATEMENT: "bank_statement",
    results_pb2.DOCUMENT_TYPE_INVOICE: "invoice",
}


def to_parse_result(assembled: Assembled) -> results_pb2.ParseResult:
    """The assembled result and its provenance as one ParseResult."""
    out = results_pb2.ParseResult()
    data = assembled.result.model_dump(mode="json")
    target = out.bank_statement if data["document_type"] == "bank_statement" else out.invoice
    dict_to_message(data, target)
    dict_to_message(assembled.provenance.model_dump(mode="json"), out.provenance)
    return out


__all__ = ["KIND_BY_TYPE", "to_parse_result"]
