"""Words → visual lines: words whose vertical extents overlap, left to right.

Tolerant of slight residual skew (a word joins the line whose running centre it is nearest,
within half a line height) and of mixed font sizes on one line. Numbers printed with a space
as thousands separator (``1 234,56``), which a text layer splits into two words, are joined.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from services.parser.extract.text.words import Word

__all__ = ["Line", "group_lines", "join_split_numbers"]

_X0 = attrgetter("x0")


@dataclass(slots=True)
class Line:
    words: list[Word] = field(default_factory=list)

    @property
    def y0(self) -> float:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> float:
        return max(w.y1 for w in self.words)

    @property
    def cy(self) -> float:
        words = self.words
        return sum((w.y0 + w.y1) for w in words) / (2 * len(words))

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def height(self) -> float:
        heights = sorted(w.y1 - w.y0 for w in self.words)
        return heights[len(heights) // 2]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def confidence(self) -> float:
        return min((w.confidence for w in self.words), default=1.0)


def group_lines(
    words: Iterable[Word], *, tolerance: float = 0.5, trust_groups: bool = False
) -> list[Line]:
    """Group words into lines, top to bottom; words in a line sorted left to right.

    Args:
        words: the page's words.
        tolerance: how far (in line heights) a word's centre may sit from the line's centre.
        trust_groups: words sharing ``Word.group`` are known to sit on one line (a PDF text
            layer's own lines): they are placed together, which is faster.
    """
    items = [w for w in words if w.text and not w.text.isspace()]
    if not items:
        return []
    chunks: dict[int, list[Word]] = {}
    if trust_groups:
        for w in items:
            chunks.setdefault(w.group, []).append(w)
        items = []
        for key, chunk in chunks.items():
            first = chunk[0]
            if len(chunk) == 1:  # its own box already (only boxes and groups are read below)
                items.append(first)
                continue
            x0, y0, x1, y1 = first.x0, first.y0, first.x1, first.y1
            for w in chunk[1:]:
                x0 = w.x0 if w.x0 < x0 else x0
                y0 = w.y0 if w.y0 < y0 else y0
                x1 = w.x1 if w.x1 > x1 else x1
                y1 = w.y1 if w.y1 > y1 else y1
            items.append(Word("", x0, y0, x1, y1, 1.0, key))
    lines = _group(items, tolerance, 0.0)
    slope = 0.0 if trust_groups else _residual_slope(lines)  # a text layer is not skewed
    if abs(slope) > 0.002:
        lines = _group(items, tolerance, slope)
    if trust_groups:
        for line in lines:
            line.words = sorted((w for pseudo in line.words for w in chunks[pseudo.group]), key=_X0)
    return [join_split_numbers(line) for line in lines]


def _residual_slope(lines: Sequence[Line]) -> float:
    """Median slope of the lines that span some width (what is left of a page's skew)."""
    slopes = []
    for line in lines:
        if len(line.words) >= 2:
            first, last = line.words[0], line.words[-1]
            dx = last.cx - first.cx
            if dx > 50:
                slopes.append((last.cy - first.cy) / dx)
    if len(slopes) < 3:
        return 0.0
    return max(-0.05, min(0.05, statistics.median(slopes)))


def _group(items: list[Word], tolerance: float, slope: float) -> list[Line]:
    keyed = sorted(
        (((w.y0 + w.y1) - slope * (w.x0 + w.x1)) / 2, w.x0, i) for i, w in enumerate(items)
    )
    heights = sorted(w.y1 - w.y0 for w in items)
    typical = heights[len(heights) // 2] or 1.0
    lines: list[Line] = []
    centres: list[float] = []
    open_from = 0  # lines before this index are too far above to take more words
    low, high = typical * 0.5, typical * 1.5
    for wy, _, index in keyed:
        w = items[index]
        h = w.y1 - w.y0
        limit = tolerance * (high if h > high else low if h < low else h)
        while open_from < len(lines) and wy - centres[open_from] > 2 * typical:
            open_from += 1
        best = -1
        best_gap = limit
        for i in range(open_from, len(lines)):
            gap = abs(wy - centres[i])
            if gap <= best_gap and not _collides(lines[i], w):
                best, best_gap = i, gap
        if best < 0:
            lines.append(Line([w]))
            centres.append(wy)
        else:
            line = lines[best]
            line.words.append(w)
            centres[best] += (wy - centres[best]) / len(line.words)
    order = sorted(range(len(lines)), key=lambda i: centres[i])
    for line in lines:
        line.words.sort(key=_X0)
    return [lines[i] for i in order]


def _collides(line: Line, word: Word) -> bool:
    """A word overlapping another one horizontally belongs to a different line."""
    wx0, wx1 = word.x0, word.x1
    half = 0.5 * (wx1 - wx0)
    for other in line.words:
        ox0, ox1 = other.x0, other.x1
        if ox1 <= wx0 or ox0 >= wx1:
            continue
        overlap = min(ox1, wx1) - max(ox0, wx0)
        if overlap > half or overlap > 0.5 * (ox1 - ox0):
            return True
    return False


_HEAD = re.compile(r"^[-−(+]?(?:[₹$€£]|[A-Z]{1,3}\$)?\d{1,3}$")
_GROUP = re.compile(r"^\d{3}(?:[ .,']\d{3})*(?:[.,]\d{1,3})?(?:[)\-−]|\s?(?:Dr|Cr|DR|CR))?$")


def join_split_numbers(line: Line) -> Line:
    """Join ``1`` + ``234,56`` into ``1 234,56`` when the gap is a word space, not a column."""
    words = line.words
    if len(words) < 2 or not any(len(w.text) <= 6 and w.text[-1:].isdigit() for w in words):
        return line
    out: list[Word] = [words[0]]
    for w in words[1:]:
        if not (w.text[:3].isdigit() and _GROUP.match(w.text)):  # cheap tests first
            out.append(w)
            continue
        prev = out[-1]
        gap = w.x0 - prev.x1
        if _HEAD.match(prev.text.replace(" ", "")) and 0 <= gap <= 0.45 * max(
            prev.height, w.height
        ):
            out[-1] = Word(
                f"{prev.text} {w.text}",
                prev.x0,
                min(prev.y0, w.y0),
                w.x1,
                max(prev.y1, w.y1),
                min(prev.confidence, w.confidence),
                prev.group,
            )
        else:
            out.append(w)
    line.words = out
    return line


def median_height(lines: Sequence[Line]) -> float:
    """The typical text height of a page's lines."""
    return statistics.median(ln.height for ln in lines) if lines else 0.0
