"""The real type of an upload, from its first bytes; the declared type never overrides it."""

from __future__ import annotations

from dataclasses import dataclass

from services.common.errors import UnsupportedFileType


@dataclass(frozen=True)
class FileKind:
    """A supported type: its MIME type, the extension stored files get, and its family."""

    content_type: str
    extension: str

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


PDF = FileKind("application/pdf", ".pdf")
JPEG = FileKind("image/jpeg", ".jpg")
PNG = FileKind("image/png", ".png")
GIF = FileKind("image/gif", ".gif")
WEBP = FileKind("image/webp", ".webp")

# Bytes a sniffer needs to see (the PDF header may follow a little junk, as readers allow).
SNIFF_BYTES = 1024


def sniff(head: bytes) -> FileKind:
    """Name the type of a file from its first bytes.

    Raises:
        UnsupportedFileType: the bytes are none of PDF, JPEG, PNG, GIF or WEBP.
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    # PDF readers accept the header anywhere in the first 1024 bytes.
    if b"%PDF-" in head[:SNIFF_BYTES]:
        return PDF
    raise UnsupportedFileType("the file is not a PDF, JPEG, PNG, GIF or WEBP")


__all__ = ["GIF", "JPEG", "PDF", "PNG", "SNIFF_BYTES", "WEBP", "FileKind", "sniff"]
