"""Page geometry for invoices: words → visual lines → segments (runs of words without a
column-sized gap), and the serialised per-page model the pipeline stores between
``extract_page`` and ``assemble``.
"""

from __future__ import annotations

import itertools
import json
import unicodedata
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Line",
    "PageModel",
    "Segment",
    "Word",
    "build_lines",
    "norm",
]


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(slots=True)
class Segment:
    """Words of one line with no column-sized gap between them."""

    words: list[Word]
    text: str = ""
    norm: str = ""

    def __post_init__(self) -> None:
        self.text = " ".join(w.text for w in self.words)
        self.norm = norm(self.text)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def y0(self) -> float:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> float:
        return max(w.y1 for w in self.words)


@dataclass(slots=True)
class Line:
    """One visual line of a page, words left to right."""

    words: list[Word]
    page: int
    index: int = 0  # position in the document's reading order
    segments: list[Segment] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)  # per-line memo (tokens, norm)

    @property
    def norm(self) -> str:
        value = self.cache.get("norm")
        if value is None:
            value = self.cache["norm"] = " ".join(s.norm for s in self.segments)
        return str(value)

    @property
    def y0(self) -> float:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> float:
        return max(w.y1 for w in self.words)

    @property
    def height(self) -> float:
        return max(1.0, self.y1 - self.y0)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)


def _fold_char(ch: str) -> str:
    base = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in base if not unicodedata.combining(c)) or ch
    low = base[:1].lower()[:1]
    return low or ch


_FOLD_CACHE: dict[str, str] = {}


def norm(text: str) -> str:
    """Lower case without accents, one character per character (offsets stay aligned)."""
    if text.isascii():
        return text.lower()
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch.lower())
            continue
        folded = _FOLD_CACHE.get(ch)
        if folded is None:
            folded = _FOLD_CACHE[ch] = _fold_char(ch)
        out.append(folded)
    return "".join(out)


def _segments(words: list[Word], height: float) -> list[Segment]:
    gap_limit = max(3.0, 0.9 * height)
    segs: list[list[Word]] = [[words[0]]]
    for prev, word in itertools.pairwise(words):
        if word.x0 - prev.x1 > gap_limit:
            segs.append([word])
        else:
            segs[-1].append(word)
    return [Segment(s) for s in segs]


def build_lines(words: list[Word], page: int) -> list[Line]:
    """Group words into visual lines (by vertical overlap) and each line into segments."""
    items = sorted((w for w in words if w.text.strip()), key=lambda w: (w.y0 + w.y1) / 2)
    rows: list[list[Word]] = []
    row_y0 = row_y1 = 0.0
    for w in items:
        mid = (w.y0 + w.y1) / 2
        h = max(1.0, w.y1 - w.y0)
        if rows and row_y0 - 0.15 * h <= mid <= row_y1 + 0.15 * h and mid - row_y0 < 1.3 * h:
            rows[-1].append(w)
            row_y0 = min(row_y0, w.y0)
            row_y1 = max(row_y1, w.y1)
        else:
            rows.append([w])
            row_y0, row_y1 = w.y0, w.y1
    lines = []
    for row in rows:
        row.sort(key=lambda w: w.x0)
        heights = sorted(w.y1 - w.y0 for w in row)
        line = Line(words=row, page=page)
        line.segments = _segments(row, heights[len(heights) // 2])
        lines.append(line)
    return lines


@dataclass(slots=True)
class PageModel:
    """What ``extract_page`` hands to ``assemble``: the page's words and how they were read."""

    page: int
    source: str  # text_layer | ocr
    width: float
    height: float
    words: list[Word]
    ocr_confidence: float | None = None

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "page": self.page,
                "source": self.source,
                "width": self.width,
                "height": self.height,
                "ocr_confidence": self.ocr_confidence,
                "words": [
                    [w.text, round(w.x0, 2), round(w.y0, 2), round(w.x1, 2), round(w.y1, 2)]
                    for w in self.words
                ],
            },
            ensure_ascii=False,
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> PageModel:
        raw = json.loads(data)
        return cls(
            page=int(raw["page"]),
            source=str(raw["source"]),
            width=float(raw["width"]),
            height=float(raw["height"]),
            ocr_confidence=raw.get("ocr_confidence"),
            words=[Word(str(t), x0, y0, x1, y1) for t, x0, y0, x1, y1 in raw["words"]],
        )
