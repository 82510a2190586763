"""Errors of the extraction engine.

ExtractError (→ services' ExtractionError at the edge)
├── DocumentUnreadable   the bytes do not open as a PDF or image
├── PasswordRequired     encrypted and no/wrong password
└── PageOutOfRange
"""

from __future__ import annotations


class ExtractError(Exception):
    code = "extraction_failed"


class DocumentUnreadable(ExtractError):
    code = "corrupt_file"


class PasswordRequired(ExtractError):
    code = "encrypted_pdf"


class PageOutOfRange(ExtractError):
    code = "page_out_of_range"


__all__ = ["DocumentUnreadable", "ExtractError", "PageOutOfRange", "PasswordRequired"]
