"""Page → words with boxes, from the PDF text layer or, when it has none worth reading, OCR.

Every word comes back in the upright page frame in PDF points (72 per inch), with the
confidence of its reading (1.0 for the text layer) and where it came from. Scanned pages that
are turned by 90/180/270° or slightly skewed are turned upright and deskewed here, so the
layout code downstream sees horizontal lines.
"""

from __future__ import annotations

import inspect
import io
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pymupdf

__all__ = [
    "PageWords",
    "Word",
    "WordSource",
    "image_words",
    "ocr_words",
    "page_words",
    "text_layer_usable",
    "turn_half",
]

WordSource = Literal["text_layer", "ocr"]

OCR_LONG_SIDE = 2000  # pixels on the long side of a rendered page for OCR
_MIN_WORDS = 3


@dataclass(slots=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    confidence: float = 1.0
    group: int = 0  # words the source already put on one line share a group (hint only)

    # written out: the dataclass-made __init__ is interpreted bytecode even when compiled (the
    # engine makes every word of every page through it); this one compiles to native stores
    def __init__(
        self,
        text: str,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        confidence: float = 1.0,
        group: int = 0,
    ) -> None:
        self.text = text
        self.x0 = x0
        self.y0 = y0
        self.x1 = x1
        self.y1 = y1
        self.confidence = confidence
        self.group = group

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(slots=True)
class PageWords:
    words: list[Word]
    width: float
    height: float
    source: WordSource
    rotation: int = 0  # degrees the page content was turned to read upright
    skew: float = 0.0  # degrees of skew removed
    ocr_confidence: float | None = None
    notes: list[str] = field(default_factory=list)


_BAD_CHARS = re.compile("[\ufffd\ue000-\uf8ff\U000f0000-\U0010ffff\x00-\x08\x0b\x0c\x0e-\x1f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# the ASCII bytes \w does not match, deleted by bytes.translate (a tenth of the regex's time)
_NOT_WORD_BYTES = bytes(b for b in range(128) if not (chr(b).isalnum() or chr(b) == "_"))


def text_layer_usable(texts: Sequence[str]) -> bool:
    """True when the text layer reads as text: enough words, few unmapped glyphs."""
    if len(texts) < _MIN_WORDS:
        return False
    chars = "".join(texts[:300])[:1500]
    if not chars:
        return False
    # unmapped glyphs (U+FFFD, private use) and control characters are never printable
    if not chars.isprintable() or "\ufffd" in chars:
        bad = len(_BAD_CHARS.findall(chars))
        if bad / len(chars) > 0.05:
            return False
    # the characters \w matches, counted without a regex: ASCII ones by deleting the others
    ascii_only = chars.encode("ascii", "ignore")
    alnum = len(ascii_only.translate(None, _NOT_WORD_BYTES))
    if len(ascii_only) < len(chars):
        alnum += sum(1 for c in _NON_ASCII.findall(chars) if c.isalnum())
    return alnum / len(chars) >= 0.4


def page_words(page: pymupdf.Page, *, allow_ocr: bool = True) -> PageWords:
    """The words of a PDF (or image-document) page, from its text layer or by OCR."""
    rect = page.rect
    # typed, so the compiled module unpacks the tuples directly (~2x faster than as Any)
    raw: list[tuple[float, float, float, float, str, int, int, int]] = page.get_text(
        "words", sort=False
    )
    words: list[Word] = []
    if raw:
        # the words first: the usability test then reads their texts (native attributes)
        # instead of unpacking the first 300 typed tuples a second time
        if page.rotation:
            matrix = page.rotation_matrix
            for x0, y0, x1, y1, text, block, line, _ in raw:
                r = pymupdf.Rect(x0, y0, x1, y1) * matrix
                words.append(Word(text, r.x0, r.y0, r.x1, r.y1, 1.0, block * 1000 + line))
        else:
            words = [
                Word(text, x0, y0, x1, y1, 1.0, block * 1000 + line)
                for x0, y0, x1, y1, text, block, line, _ in raw
            ]
    if (
        words
        and text_layer_usable([w.text for w in words[:300]])
        and not _mostly_hidden_by_image(page, raw)
    ):
        return PageWords(words, rect.width, rect.height, "text_layer")
    if not allow_ocr:
        return PageWords([], rect.width, rect.height, "text_layer", notes=["no_text_layer"])
    zoom = min(OCR_LONG_SIDE / max(rect.width, rect.height), 300 / 72)
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csGRAY)
    array = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width)
    result = ocr_words(array, scale=1 / zoom)
    del pix
    return result


def _mostly_hidden_by_image(page: pymupdf.Page, raw: Sequence[Any]) -> bool:
    """A scan with a few stray text-layer words (a stamp, a page number) is still a scan."""
    if len(raw) >= 20:
        return False
    try:
        infos = page.get_image_info()
    except Exception:  # noqa: BLE001 - damaged image streams
        return False
    area = abs(page.rect)
    return any(abs(pymupdf.Rect(info["bbox"]) & page.rect) > 0.5 * area for info in infos)


def image_words(content: bytes) -> PageWords:
    """OCR words of an uploaded image (JPG/PNG…), in points at 72 dpi of the image pixels."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(content)) as pil:
        upright = ImageOps.exif_transpose(pil) or pil
        gray = upright.convert("L")
        scale = 1.0
        long_side = max(gray.size)
        if long_side > OCR_LONG_SIDE * 1.25:
            scale = long_side / OCR_LONG_SIDE
            gray = gray.resize((round(gray.width / scale), round(gray.height / scale)))
        array = np.asarray(gray)
    return ocr_words(array, scale=scale)


def ocr_words(image: np.ndarray, *, scale: float = 1.0) -> PageWords:
    """OCR an image, turn it upright, deskew, and scale pixel boxes by ``scale`` (→ points)."""
    from services.common.ocr import ocr_engine

    engine = ocr_engine()
    rgb = np.stack([image] * 3, axis=-1) if image.ndim == 2 else image
    rotation = 0
    if "rotation" in inspect.signature(engine.read).parameters:
        # the shared engine turns the page upright itself and reports by how much
        result: Any = engine.read(rgb, rotation="auto")
        rotation = int(getattr(result, "rotation", 0) or 0)
    else:
        result = engine.read(rgb)
    height, width = int(result.height), int(result.width)
    words = [
        Word(w.text, w.x0, w.y0, w.x1, w.y1, float(w.confidence), w.line) for w in result.words
    ]
    if not rotation and _quarter_turned(words):
        rotation = 90  # upright or upside down from here; the caller may still turn_half
        rgb = np.ascontiguousarray(np.rot90(rgb, k=1))
        result = engine.read(rgb)
        height, width = rgb.shape[:2]
        words = [
            Word(w.text, w.x0, w.y0, w.x1, w.y1, float(w.confidence), w.line) for w in result.words
        ]
    words, skew = _deskew(words, width, height)
    if scale != 1.0:
        words = [
            replace(w, x0=w.x0 * scale, y0=w.y0 * scale, x1=w.x1 * scale, y1=w.y1 * scale)
            for w in words
        ]
    confidence = statistics.fmean(w.confidence for w in words) if words else 0.0
    return PageWords(
        words,
        width * scale,
        height * scale,
        "ocr",
        rotation=rotation,
        skew=skew,
        ocr_confidence=confidence,
    )


def _quarter_turned(words: Sequence[Word]) -> bool:
    """Most multi-character words taller than wide: the page is turned by a quarter."""
    sized = [w for w in words if len(w.text) >= 4]
    if len(sized) < 5:
        return False
    tall = sum(1 for w in sized if (w.y1 - w.y0) > 1.3 * (w.x1 - w.x0))
    return tall > 0.6 * len(sized)


def turn_half(page: PageWords) -> PageWords:
    """The same page turned by 180° — without a second OCR pass.

    The recogniser reads an upside-down line correctly (its angle classifier flips the crop),
    so only the positions need turning: each detected line moves to its turned place and its
    words keep their reading order inside it.
    """
    width, height = page.width, page.height
    spans: dict[int, tuple[float, float]] = {}
    for w in page.words:
        lo, hi = spans.get(w.group, (w.x0, w.x1))
        spans[w.group] = (min(lo, w.x0), max(hi, w.x1))
    words = []
    for w in page.words:
        left, right = spans[w.group]
        shift = width - left - right
        words.append(
            replace(w, x0=w.x0 + shift, x1=w.x1 + shift, y0=height - w.y1, y1=height - w.y0)
        )
    return PageWords(
        words,
        width,
        height,
        page.source,
        rotation=(page.rotation + 180) % 360,
        skew=page.skew,
        ocr_confidence=page.ocr_confidence,
        notes=[*page.notes, "turned_180"],
    )


def _deskew(words: list[Word], width: int, height: int) -> tuple[list[Word], float]:
    """Estimate skew from the slope of multi-word lines and rotate the boxes level."""
    slopes: list[float] = []
    by_line: dict[int, list[Word]] = {}
    for w in words:
        by_line.setdefault(w.group, []).append(w)
    for line in by_line.values():
        if len(line) < 2:
            continue
        dx = line[-1].cx - line[0].cx
        if dx < width * 0.05:
            continue
        slopes.append((line[-1].cy - line[0].cy) / dx)
    if len(slopes) < 3:
        return words, 0.0
    slope = statistics.median(slopes)
    angle = math.atan(slope)
    if abs(angle) < math.radians(0.15):
        return words, 0.0
    cos, sin = math.cos(angle), math.sin(angle)
    ox, oy = width / 2, height / 2
    out: list[Word] = []
    for w in words:
        cx, cy = w.cx - ox, w.cy - oy
        nx = cx * cos + cy * sin + ox
        ny = -cx * sin + cy * cos + oy
        half_w = (w.x1 - w.x0) / 2
        box_h = w.y1 - w.y0
        half_h = max(box_h - 2 * half_w * abs(sin), box_h * 0.5) / 2
        out.append(replace(w, x0=nx - half_w, x1=nx + half_w, y0=ny - half_h, y1=ny + half_h))
    return out, math.degrees(angle)
