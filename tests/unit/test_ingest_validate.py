"""PDF and image checks on real bytes made here with PyMuPDF and Pillow (and the corpus's
password-protected statement)."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path

import pymupdf
import pytest
from PIL import Image

from services.common.errors import (
    CorruptFile,
    EncryptedPdf,
    FintractError,
    ImageTooLarge,
    ImageTooSmall,
    TooManyPages,
    WrongPassword,
)
from services.ingest.sniff import GIF, JPEG, PDF, PNG, WEBP, sniff
from services.ingest.validate import Limits, inspect, inspect_pdf

STATEMENT_TEXT = "Statement of Account  Opening Balance 1,000.00  Closing Balance 900.00"


def make_pdf(
    pages: int = 1,
    text: str = STATEMENT_TEXT,
    *,
    user_pw: str | None = None,
    owner_pw: str | None = None,
) -> bytes:
    """A real PDF with ``text`` on each page, optionally encrypted (AES-256)."""
    doc = pymupdf.open()
    for number in range(pages):
        page = doc.new_page()
        page.insert_text((72, 72), f"{text} page {number + 1}")
    if user_pw or owner_pw:
        data = doc.tobytes(
            encryption=pymupdf.PDF_ENCRYPT_AES_256,
            user_pw=user_pw or "",
            owner_pw=owner_pw or f"{user_pw}-owner",
        )
    else:
        data = doc.tobytes()
    doc.close()
    return bytes(data)


def make_image(fmt: str, size: tuple[int, int] = (64, 48), *, seed: int = 1) -> bytes:
    """A noisy image (so compression cannot make it trivial) in ``fmt``."""
    rng = random.Random(seed)
    img = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    img.save(out, format=fmt)
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width``x``height`` but carries (almost) no pixels: a bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


LIMITS = Limits()


def test_pdf_pages_and_text() -> None:
    data = make_pdf(3)
    result = inspect(data, PDF, limits=LIMITS)
    assert result.pages == 3
    assert "Opening Balance" in result.text
    assert "page 3" in result.text
    assert result.content is data
    assert not result.decrypted


def test_classifier_text_is_limited_to_first_pages() -> None:
    result = inspect(make_pdf(5), PDF, limits=Limits(text_pages=2))
    assert "page 2" in result.text
    assert "page 3" not in result.text


def test_page_limit() -> None:
    inspect(make_pdf(4), PDF, limits=Limits(max_pages=4))
    with pytest.raises(TooManyPages) as err:
        inspect(make_pdf(5), PDF, limits=Limits(max_pages=4))
    assert err.value.code == "too_many_pages"


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + b"\x00garbage" * 50,
        b"%PDF-",
        make_pdf()[:40],
    ],
)
def test_corrupt_pdfs(data: bytes) -> None:
    assert sniff(data) is PDF
    with pytest.raises(CorruptFile) as err:
        inspect(data, PDF, limits=LIMITS)
    assert err.value.code == "corrupt_file"


def test_encrypted_pdf_without_password() -> None:
    with pytest.raises(EncryptedPdf) as err:
        inspect(make_pdf(user_pw="s3cret"), PDF, limits=LIMITS)
    assert err.value.code == "encrypted_pdf"


def test_encrypted_pdf_with_wrong_password() -> None:
    with pytest.raises(WrongPassword) as err:
        inspect(make_pdf(user_pw="s3cret"), PDF, limits=LIMITS, password="guess")
    assert err.value.code == "wrong_password"


def test_encrypted_pdf_with_password_is_stored_decrypted() -> None:
    data = make_pdf(2, user_pw="s3cret")
    result = inspect(data, PDF, limits=LIMITS, password="s3cret")
    assert result.decrypted and result.pages == 2
    assert "Opening Balance" in result.text
    assert b"s3cret" not in result.content
    reopened = pymupdf.open(stream=result.content, filetype="pdf")
    assert not reopened.needs_pass and not reopened.is_encrypted
    assert reopened.page_count == 2
    assert "Closing Balance" in reopened[1].get_text()


def test_owner_password_only_opens_and_is_kept_as_is() -> None:
    data = make_pdf(owner_pw="owner-only")
    result = inspect(data, PDF, limits=LIMITS)
    assert result.pages == 1 and result.content is data and not result.decrypted


def test_password_protected_corpus_statement(corpus: Path) -> None:
    data = (corpus / "monopoly" / "protected.pdf").read_bytes()
    with pytest.raises(EncryptedPdf):
        inspect_pdf(data, limits=LIMITS)
    with pytest.raises(WrongPassword):
        inspect_pdf(data, limits=LIMITS, password="foobar124")
    result = inspect_pdf(data, limits=LIMITS, password="foobar123")
    assert result.decrypted and result.pages == 1
    assert not pymupdf.open(stream=result.content, filetype="pdf").needs_pass


@pytest.mark.parametrize(
    ("fmt", "kind"), [("PNG", PNG), ("JPEG", JPEG), ("GIF", GIF), ("WEBP", WEBP)]
)
def test_images_are_one_page_with_dimensions(fmt: str, kind: object) -> None:
    data = make_image(fmt, (120, 260))
    result = inspect(data, sniff(data), limits=LIMITS)
    assert sniff(data) == kind
    assert (result.pages, result.width, result.height) == (1, 120, 260)
    assert result.content is data


def test_dimension_limits() -> None:
    limits = Limits(max_image_width=100, max_image_height=80, min_image_width=16)
    inspect(make_image("PNG", (100, 80)), PNG, limits=limits)
    with pytest.raises(ImageTooLarge) as err:
        inspect(make_image("PNG", (101, 80)), PNG, limits=limits)
    assert err.value.code == "image_too_large"
    with pytest.raises(ImageTooLarge):
        inspect(make_image("JPEG", (50, 81)), JPEG, limits=limits)
    with pytest.raises(ImageTooSmall) as small:
        inspect(make_image("PNG", (15, 40)), PNG, limits=limits)
    assert small.value.code == "image_too_small"


def test_pixel_budget_is_checked_from_the_header_without_decoding() -> None:
    # 9000x9000 = 81 Mpx of declared pixels in a ~100-byte file: refused before decoding.
    data = png_header(9000, 9000)
    assert len(data) < 200
    with pytest.raises(ImageTooLarge):
        inspect(data, PNG, limits=LIMITS)


@pytest.mark.parametrize("size", [(60_000, 60_000), (10_000, 9_500)])
def test_pillow_decompression_bomb_guard_becomes_image_too_large(size: tuple[int, int]) -> None:
    """With our own limits lifted, Pillow's DecompressionBombError (first size) and
    DecompressionBombWarning (second size) still end as image_too_large."""
    lifted = Limits(max_image_width=10**6, max_image_height=10**6, max_image_pixels=10**12)
    with pytest.raises(ImageTooLarge):
        inspect(png_header(*size), PNG, limits=lifted)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_truncated_images_are_corrupt(fmt: str) -> None:
    data = make_image(fmt, (200, 200))
    cut = data[: len(data) * 2 // 3]
    with pytest.raises(CorruptFile) as err:
        inspect(cut, sniff(cut), limits=LIMITS)
    assert err.value.code == "corrupt_file"


def test_image_with_only_a_signature_is_corrupt() -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    with pytest.raises(CorruptFile):
        inspect(data, PNG, limits=LIMITS)


def test_every_failure_is_a_fintract_error() -> None:
    for data in (b"%PDF-", png_header(60_000, 60_000), make_image("JPEG")[:100]):
        with pytest.raises(FintractError):
            inspect(data, sniff(data), limits=LIMITS)


def test_png_with_a_damaged_chunk_is_corrupt() -> None:
    data = bytearray(make_image("PNG", (100, 100)))
    data[len(data) // 2] ^= 0xFF  # inside IDAT: its CRC no longer matches
    with pytest.raises(CorruptFile):
        inspect(bytes(data), PNG, limits=LIMITS)


def test_corpus_pngs_pass(corpus: Path) -> None:
    paths = sorted((corpus / "invoice2data").glob("*.png"))
    assert paths
    for path in paths:
        data = path.read_bytes()
        result = inspect(data, sniff(data), limits=LIMITS)
        assert result.pages == 1 and result.width > 0 and result.height > 0
