"""Masking what leaves the machine: account numbers and UPI ids, in text and in images.

Text is masked by :func:`mask_text`. Images cannot be masked by pattern, so
:func:`sensitive_boxes` picks the OCR words that hold an account number or a UPI id (the
same rules as for text) and :func:`black_out` paints those boxes black before the image is
sent. An account number is a run of 9–18 digits on a line that names an account
(``A/c``, ``Account``, ``Acct``); its last four digits stay readable. A UPI id keeps its
handle (``XXXX@ybl``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

_ACCOUNT_LINE = re.compile(r"\b(a/?c|acct|account)\b", re.IGNORECASE)
_ACCOUNT_NUMBER = re.compile(r"(?<![\dA-Za-z])(\d{5,14})(\d{4})(?![\dA-Za-z])")
_UPI_ID = re.compile(r"(?<![\w.\-])([\w.\-]{2,256})@([A-Za-z][A-Za-z0-9]{1,63})(?![\w.@])")


class WordBox(Protocol):
    """An OCR word with its box (``services.common.ocr.OcrWord`` is one)."""

    @property
    def text(self) -> str: ...
    @property
    def x0(self) -> float: ...
    @property
    def y0(self) -> float: ...
    @property
    def x1(self) -> float: ...
    @property
    def y1(self) -> float: ...
    @property
    def line(self) -> int: ...


@dataclass(frozen=True, slots=True)
class MaskBox:
    """A :class:`WordBox` built from anything with a text and a box in the image's pixels:
    a text-layer word, a page line, a known region."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    line: int


def _mask_accounts(line: str) -> str:
    if not _ACCOUNT_LINE.search(line):
        return line
    return _ACCOUNT_NUMBER.sub(lambda m: "X" * len(m.group(1)) + m.group(2), line)


def _mask_upi(line: str) -> str:
    return _UPI_ID.sub(lambda m: f"XXXX@{m.group(2)}", line)


def mask_text(text: str, *, account_numbers: bool = True, upi_ids: bool = True) -> str:
    """``text`` with account numbers (all but the last four digits) and UPI ids masked."""
    lines = text.split("\n")
    if account_numbers:
        lines = [_mask_accounts(line) for line in lines]
    if upi_ids:
        lines = [_mask_upi(line) for line in lines]
    return "\n".join(lines)


def sensitive_boxes(
    words: Sequence[WordBox], *, account_numbers: bool = True, upi_ids: bool = True
) -> list[tuple[float, float, float, float]]:
    """Boxes ``(x0, y0, x1, y1)`` of the words :func:`mask_text` would change."""
    lines: dict[int, list[WordBox]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    boxes: list[tuple[float, float, float, float]] = []
    for line_words in lines.values():
        line_text = " ".join(w.text for w in line_words)
        account_line = account_numbers and bool(_ACCOUNT_LINE.search(line_text))
        for word in line_words:
            hit = (account_line and _ACCOUNT_NUMBER.search(word.text) is not None) or (
                upi_ids and _UPI_ID.search(word.text) is not None
            )
            if hit:
                boxes.append((word.x0, word.y0, word.x1, word.y1))
    return boxes


def black_out(
    image: bytes, boxes: Iterable[tuple[float, float, float, float]], *, pad: int = 2
) -> bytes:
    """The image with every box painted black, re-encoded as PNG."""
    from PIL import Image, ImageDraw

    with Image.open(io.BytesIO(image)) as opened:
        canvas = opened.convert("RGB")
    draw = ImageDraw.Draw(canvas)
    for x0, y0, x1, y1 in boxes:
        draw.rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), fill=(0, 0, 0))
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()


def mask_image(
    image: bytes,
    words: Sequence[WordBox],
    *,
    account_numbers: bool = True,
    upi_ids: bool = True,
    words_size: tuple[int, int] | None = None,
) -> bytes:
    """Black out the account numbers and UPI ids among ``words``.

    The word boxes are in the pixels of an image ``words_size`` (width, height) big — the
    OCR's input, often a downscaled copy — or of ``image`` itself when None.
    """
    boxes = sensitive_boxes(words, account_numbers=account_numbers, upi_ids=upi_ids)
    if not boxes:
        return image
    if words_size is not None:
        from PIL import Image

        with Image.open(io.BytesIO(image)) as opened:
            width, height = opened.size
        sx, sy = width / words_size[0], height / words_size[1]
        boxes = [(x0 * sx, y0 * sy, x1 * sx, y1 * sy) for x0, y0, x1, y1 in boxes]
    return black_out(image, boxes)


__all__ = ["WordBox", "black_out", "mask_image", "mask_text", "sensitive_boxes"]
