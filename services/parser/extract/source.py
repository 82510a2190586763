"""A document handed to the engine: bytes opened once with PyMuPDF (PDFs and images alike)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pymupdf

from services.parser.extract.errors import DocumentUnreadable, PageOutOfRange, PasswordRequired

IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


@dataclass
class SourceDocument:
    """The bytes of one document and its sniffed content type (``application/pdf``…)."""

    content: bytes
    content_type: str = "application/pdf"
    password: str | None = None
    _doc: pymupdf.Document | None = field(default=None, init=False, repr=False)

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES

    @cached_property
    def doc(self) -> pymupdf.Document:
        """The opened document; images open as one-page documents."""
        filetype = "pdf" if not self.is_image else self.content_type.split("/")[1]
        try:
            doc = pymupdf.open(stream=self.content, filetype=filetype)
        except Exception as exc:
            raise DocumentUnreadable(f"cannot open document: {exc}") from exc
        if doc.needs_pass and not (self.password and doc.authenticate(self.password)):
            raise PasswordRequired("document is encrypted")
        return doc

    @property
    def page_count(self) -> int:
        return int(self.doc.page_count)

    def page(self, index: int) -> pymupdf.Page:
        if not 0 <= index < self.page_count:
            raise PageOutOfRange(f"page {index} of {self.page_count}")
        return self.doc[index]

    def close(self) -> None:
        if "doc" in self.__dict__:
            self.doc.close()
            del self.__dict__["doc"]


__all__ = ["IMAGE_TYPES", "SourceDocument"]
