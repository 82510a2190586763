"""Decoding and checking uploaded screenshots: base64, types, sizes, bombs, EXIF."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import zlib

import pytest
from PIL import Image

from services.payments.dedupe import hamming, perceptual_hash
from services.payments.image import InvalidImage, check_image, decode_base64, sniff


def _encoded(fmt: str, size: tuple[int, int] = (300, 200), **save: object) -> bytes:
    img = Image.new("RGB", size, "white")
    img.paste((200, 30, 30), (0, 0, size[0] // 3, size[1] // 2))
    buf = io.BytesIO()
    img.save(buf, format=fmt, **save)
    return buf.getvalue()


def test_base64_plain_and_data_url() -> None:
    raw = _encoded("PNG")
    text = base64.b64encode(raw).decode()
    assert decode_base64(text) == raw
    assert decode_base64("data:image/png;base64," + text) == raw
    assert decode_base64(text[:60] + "\n" + text[60:]) == raw  # wrapped lines
    assert decode_base64(text.rstrip("=")) == raw  # missing padding


@pytest.mark.parametrize("text", ["", "   ", "invalid base64 !!", "data:image/png;base64,"])
def test_invalid_base64(text: str) -> None:
    with pytest.raises(InvalidImage):
        decode_base64(text)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
def test_the_four_formats_are_sniffed_and_opened(fmt: str) -> None:
    raw = _encoded(fmt)
    checked = check_image(raw)
    assert checked.image.size == (300, 200)
    assert checked.image.mode == "RGB"
    assert checked.sha256 == hashlib.sha256(raw).hexdigest()
    assert checked.content_type == f"image/{fmt.lower()}"
    assert sniff(raw) == fmt


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_other_formats_are_refused(fmt: str) -> None:
    with pytest.raises(InvalidImage, match="unsupported format"):
        check_image(_encoded(fmt))


def test_pdf_and_text_are_refused() -> None:
    for raw in (b"%PDF-1.4\n...", b"hello world"):
        with pytest.raises(InvalidImage):
            check_image(raw)


@pytest.mark.parametrize(
    ("size", "word"), [((99, 300), "small"), ((300, 99), "small"), ((4097, 200), "large")]
)
def test_dimension_limits(size: tuple[int, int], word: str) -> None:
    with pytest.raises(InvalidImage, match=f"too {word}"):
        check_image(_encoded("PNG", size))


def test_dimension_limits_inclusive() -> None:
    assert check_image(_encoded("PNG", (100, 100))).image.size == (100, 100)
    assert check_image(_encoded("PNG", (4096, 120))).image.size == (4096, 120)


def test_byte_limit() -> None:
    raw = _encoded("PNG")
    with pytest.raises(InvalidImage, match="too large"):
        check_image(raw, max_bytes=len(raw) - 1)
    assert check_image(raw, max_bytes=len(raw))


def test_corrupt_image() -> None:
    raw = _encoded("PNG")
    with pytest.raises(InvalidImage, match="Cannot open image"):
        check_image(raw[:60])


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions, with one tiny compressed IDAT (a bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("side", "message"), [(60_000, "decompression bomb"), (8_000, "too large: 8000x8000")]
)
def test_decompression_bomb_is_refused_before_decoding(side: int, message: str) -> None:
    with pytest.raises(InvalidImage, match=message):
        check_image(_png_header_only(side, side))


def test_exif_orientation_is_applied() -> None:
    img = Image.new("RGB", (400, 200), "white")
    img.paste((0, 0, 0), (0, 0, 100, 200))  # black band on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif.tobytes())
    checked = check_image(buf.getvalue())
    assert checked.image.size == (200, 400)
    top = checked.image.getpixel((100, 20))
    assert isinstance(top, tuple) and sum(top) < 100  # the band is now at the top


def test_perceptual_hash_survives_reencoding_not_different_pictures() -> None:
    import random

    from bench.payments.generate import _encode, render_payment

    first, _ = render_payment("gpay", random.Random(1), size="720p")
    second, _ = render_payment("gpay", random.Random(2), size="720p")
    copy = Image.open(io.BytesIO(_encode(first.resize((500, 1111)), "JPEG", quality=60)))
    h1, h2, hc = (
        perceptual_hash(first),
        perceptual_hash(second),
        perceptual_hash(copy.convert("RGB")),
    )
    assert hamming(h1, hc) <= 12
    assert hamming(h1, h2) > 12


def test_transparent_pixels_become_white() -> None:
    img = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    img.paste((0, 0, 0, 255), (0, 0, 50, 50))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    checked = check_image(buf.getvalue())
    assert checked.image.getpixel((150, 150)) == (255, 255, 255)
    assert checked.image.getpixel((10, 10)) == (0, 0, 0)
