"""Decoding and checking the uploaded screenshot: base64 (data-URL prefix tolerated), type
sniffed from the bytes, size and dimension limits, decompression bombs, EXIF orientation.

Every refusal raises :class:`InvalidImage` (answered as ``invalid_image``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from services.common.errors import InputError

MAX_BYTES = 10 * 1024 * 1024
MIN_SIDE = 100
MAX_SIDE = 4096
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
_ORIENTATION = 0x0112
_DATA_URL = re.compile(r"^\s*data:[\w/+.\-]*(?:;[\w=\-]+)*;base64,", re.I)


class InvalidImage(InputError):
    """The upload is not an acceptable image."""

    code = "invalid_image"


@dataclass(frozen=True, slots=True)
class CheckedImage:
    """A decoded, oriented RGB image and the SHA-256 of the bytes it came from."""

    image: Image.Image
    sha256: str
    content_type: str


def decode_base64(text: str) -> bytes:
    """The bytes of a base64 string, with or without a ``data:image/...;base64,`` prefix.

    Raises:
        InvalidImage: not base64, or empty.
    """
    body = _DATA_URL.sub("", text or "", count=1)
    body = re.sub(r"\s+", "", body)
    if not body:
        raise InvalidImage("Cannot decode image: image_base64 is empty")
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            if not re.fullmatch(r"[A-Za-z0-9_\-]+=*", body):
                raise ValueError("not base64") from exc
        except (binascii.Error, ValueError):
            raise InvalidImage(f"Cannot decode image: invalid base64 ({exc})") from exc
    if not raw:
        raise InvalidImage("Cannot decode image: image_base64 is empty")
    return raw


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sniff(data: bytes) -> str:
    """The image type from the first bytes.

    Raises:
        InvalidImage: none of JPEG, PNG, GIF, WEBP.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    raise InvalidImage("Cannot open image: unsupported format (JPEG, PNG, GIF or WEBP only)")


def check_image(data: bytes, *, max_bytes: int = MAX_BYTES) -> CheckedImage:
    """Open ``data`` as a screenshot within the contract's limits, EXIF orientation applied.

    Raises:
        InvalidImage: wrong type, too big or small, corrupt, or a decompression bomb.
    """
    if len(data) > max_bytes:
        raise InvalidImage(
            f"Image too large: {len(data)} bytes (at most {max_bytes} bytes decoded)"
        )
    kind = sniff(data)
    digest = sha256_hex(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            pil = Image.open(io.BytesIO(data), formats=[kind])
            width, height = pil.size
            _check_dimensions(width, height)
            pil.seek(0)
            pil.load()
            # Only copy when there is something to do (a 1080x2400 copy costs ~20 ms).
            orientation = pil.getexif().get(_ORIENTATION, 1)
            oriented = ImageOps.exif_transpose(pil) if orientation not in (1, None) else pil
            rgb = _flatten(oriented)
        except InvalidImage:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise InvalidImage(f"Cannot open image: decompression bomb refused ({exc})") from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
            raise InvalidImage(f"Cannot open image: {exc}") from exc
    _check_dimensions(*rgb.size)
    return CheckedImage(image=rgb, sha256=digest, content_type=FORMATS[kind])


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with transparent pixels on white (as the screen showed them), not on black."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, "white")
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image.convert("RGB")


def _check_dimensions(width: int, height: int) -> None:
    if width < MIN_SIDE or height < MIN_SIDE:
        raise InvalidImage(
            f"Image too small: {width}x{height} (at least {MIN_SIDE}x{MIN_SIDE} pixels)"
        )
    if width > MAX_SIDE or height > MAX_SIDE:
        raise InvalidImage(
            f"Image too large: {width}x{height} (at most {MAX_SIDE}x{MAX_SIDE} pixels)"
        )


__all__ = [
    "MAX_BYTES",
    "MAX_SIDE",
    "MIN_SIDE",
    "CheckedImage",
    "InvalidImage",
    "check_image",
    "decode_base64",
    "sha256_hex",
    "sniff",
]
