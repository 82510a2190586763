"""Checks an upload must pass before anything is stored: limits, PDF health and encryption,
image dimensions and decompression bombs.

Everything here is blocking CPU work on bytes already in memory; callers run it in a thread.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import pymupdf
from PIL import Image

from services.common.errors import (
    CorruptFile,
    EncryptedPdf,
    ImageTooLarge,
    ImageTooSmall,
    TooManyPages,
    WrongPassword,
)
from services.ingest.sniff import FileKind

_PIL_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
_PDF_ENCRYPT_NONE: int = pymupdf.PDF_ENCRYPT_NONE  # type: ignore[attr-defined]
# Characters of text kept for the classifier (a few pages are plenty).
_MAX_TEXT_CHARS = 50_000


@dataclass(frozen=True)
class Limits:
    """What a document may be; built from the service settings."""

    max_pages: int = 500
    max_image_width: int = 10_000
    max_image_height: int = 10_000
    max_image_pixels: int = 40_000_000
    min_image_width: int = 16
    min_image_height: int = 16
    text_pages: int = 3


@dataclass(frozen=True)
class Inspected:
    """A document that passed its checks.

    Attributes:
        content: the bytes to store: the upload itself, or the decrypted PDF when a password
            opened it (the password is not kept anywhere).
        pages: page count (1 for images).
        text: text layer of the first pages (PDFs only) for the classifier.
        width: pixel width of an image, 0 for PDFs.
        height: pixel height of an image, 0 for PDFs.
        decrypted: the stored bytes are a decrypted copy of the upload.
    """

    content: bytes
    pages: int
    text: str = ""
    width: int = 0
    height: int = 0
    decrypted: bool = False


def inspect(
    data: bytes, kind: FileKind, *, limits: Limits, password: str | None = None
) -> Inspected:
    """Validate ``data`` of the sniffed ``kind``.

    Raises:
        CorruptFile, EncryptedPdf, WrongPassword, TooManyPages, ImageTooLarge, ImageTooSmall.
    """
    if kind.is_pdf:
        return inspect_pdf(data, limits=limits, password=password)
    return inspect_image(data, kind, limits=limits)


def inspect_pdf(data: bytes, *, limits: Limits, password: str | None = None) -> Inspected:
    """Open a PDF with PyMuPDF, count its pages, and decrypt it when a password opens it."""
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:
        raise CorruptFile("the PDF cannot be opened") from exc
    with doc:
        decrypted = False
        if doc.needs_pass:
            if not password:
                raise EncryptedPdf("the PDF is encrypted; upload it with its password")
            if not doc.authenticate(password):
                raise WrongPassword("the password does not open the PDF")
            decrypted = True
        pages = int(doc.page_count)
        if pages < 1:
            raise CorruptFile("the PDF has no pages")
        if pages > limits.max_pages:
            raise TooManyPages(
                f"the PDF has {pages} pages; at most {limits.max_pages} are accepted",
                pages=pages,
                max_pages=limits.max_pages,
            )
        try:
            text = _text(doc, limits.text_pages)
            content = _decrypted_bytes(doc) if decrypted else data
        except Exception as exc:
            raise CorruptFile("the PDF is damaged") from exc
    return Inspected(content=content, pages=pages, text=text, decrypted=decrypted)


def _decrypted_bytes(doc: pymupdf.Document) -> bytes:
    """The opened document saved without encryption (it was opened with its password)."""
    data: bytes = doc.tobytes(encryption=_PDF_ENCRYPT_NONE, garbage=1)
    return data


def _text(doc: pymupdf.Document, pages: int) -> str:
    parts: list[str] = []
    size = 0
    for index in range(min(pages, doc.page_count)):
        part: str = doc[index].get_text()
        parts.append(part)
        size += len(part)
        if size >= _MAX_TEXT_CHARS:
            break
    return "\n".join(parts)[:_MAX_TEXT_CHARS]


def inspect_image(data: bytes, kind: FileKind, *, limits: Limits) -> Inspected:
    """Check an image's declared size before decoding anything, then read it through (PNG:
    chunk CRCs; JPEG: a 1/8-scale decode; GIF/WEBP: a decode) to catch truncation and damage."""
    fmt = _PIL_FORMATS[kind.content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as img:
                width, height = img.size
                _check_dimensions(width, height, limits)
                if fmt == "PNG":
                    # Walks every chunk and checks its CRC (truncation, damage) without
                    # inflating the pixels.
                    img.verify()
                else:
                    if fmt == "JPEG":
                        # Decoded at 1/8 scale: every byte is still read, few pixels made.
                        img.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                    img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge("the image declares too many pixels") from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        raise CorruptFile("the image is damaged or truncated") from exc
    return Inspected(content=data, pages=1, width=width, height=height)


def _check_dimensions(width: int, height: int, limits: Limits) -> None:
    if width > limits.max_image_width or height > limits.max_image_height:
        raise ImageTooLarge(
            f"the image is {width}x{height}; at most "
            f"{limits.max_image_width}x{limits.max_image_height} is accepted",
            width=width,
            height=height,
        )
    if width * height > limits.max_image_pixels:
        raise ImageTooLarge(
            f"the image has {width * height} pixels; at most {limits.max_image_pixels}",
            width=width,
            height=height,
        )
    if width < limits.min_image_width or height < limits.min_image_height:
        raise ImageTooSmall(
            f"the image is {width}x{height}; at least "
            f"{limits.min_image_width}x{limits.min_image_height} is needed",
            width=width,
            height=height,
        )


__all__ = ["Inspected", "Limits", "inspect", "inspect_image", "inspect_pdf"]
