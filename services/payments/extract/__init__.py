"""The payment-receipt field extractor: pure functions from OCR words to the contract's
fields (no I/O, no OCR engine; the service feeds it what the engine read)."""

from services.payments.extract.extractor import Extraction, PaymentFields, extract_payment
from services.payments.extract.lines import Line, Page, Word, build_page, page_from_texts
from services.payments.extract.validate import Verdict, parse_match_date, validate

__all__ = [
    "Extraction",
    "Line",
    "Page",
    "PaymentFields",
    "Verdict",
    "Word",
    "build_page",
    "extract_payment",
    "page_from_texts",
    "parse_match_date",
    "validate",
]
