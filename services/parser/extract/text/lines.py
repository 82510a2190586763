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

__all__ = ["Line", "group_lines", "join_split_numbers", "median", "place_boxes"]

_X0 = attrgetter("x0")


@dataclass(slots=True)
class Line:
    words: list[Word] = field(default_factory=list)

    def __init__(self, words: list[Word] | None = None) -> None:
        # written out: a dataclass-made __init__ stays interpreted bytecode when compiled
        self.words = [] if words is None else words

    # loops, not min()/max() over generators: those are builtin calls even when compiled

    @property
    def y0(self) -> float:
        words = self.words
        low = words[0].y0
        for w in words:
            low = w.y0 if w.y0 < low else low
        return low

    @property
    def y1(self) -> float:
        words = self.words
        high = words[0].y1
        for w in words:
            high = w.y1 if w.y1 > high else high
        return high

    @property
    def cy(self) -> float:
        words = self.words
        total = 0.0
        for w in words:
            total += w.y0 + w.y1
        return total / (2 * len(words))

    @property
    def x0(self) -> float:
        words = self.words
        low = words[0].x0
        for w in words:
            low = w.x0 if w.x0 < low else low
        return low

    @property
    def x1(self) -> float:
        words = self.words
        high = words[0].x1
        for w in words:
            high = w.x1 if w.x1 > high else high
        return high

    @property
    def height(self) -> float:
        heights = sorted([w.y1 - w.y0 for w in self.words])
        return heights[len(heights) // 2]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def confidence(self) -> float:
        return min((w.confidence for w in self.words), default=1.0)


def group_lines(
    words: Iterable[Word],
    *,
    tolerance: float = 0.5,
    trust_groups: bool = False,
    boxed_gap: float = 0.0,
) -> list[Line]:
    """Group words into lines, top to bottom; words in a line sorted left to right.

    Args:
        words: the page's words.
        tolerance: how far (in line heights) a word's centre may sit from the line's centre.
        trust_groups: words sharing ``Word.group`` are known to sit on one line (a PDF text
            layer's own lines): they are placed together, which is faster.
        boxed_gap: see :func:`join_split_numbers` (OCR'd words).
    """
    if trust_groups:
        known = words if isinstance(words, list) else list(words)
        return [
            join_split_numbers(line, boxed_gap=boxed_gap)
            for line in _group_known_lines(known, tolerance)
        ]
    items = [w for w in words if w.text and not w.text.isspace()]
    if not items:
        return []
    lines = _group(items, tolerance, 0.0)
    slope = _residual_slope(lines)
    if abs(slope) > 0.002:
        lines = _group(items, tolerance, slope)
    return [join_split_numbers(line, boxed_gap=boxed_gap) for line in lines]


def _group_known_lines(words: list[Word], tolerance: float) -> list[Line]:
    """Lines of words whose ``group`` names the source line they sit on (a text layer)."""
    groups: list[list[Word]] = []  # in order of first appearance
    # their boxes as parallel float lists: no tuple built (and unpacked) per box
    lefts: list[float] = []
    tops: list[float] = []
    rights: list[float] = []
    bottoms: list[float] = []
    where: dict[int, int] = {}  # group -> index in groups
    # a text layer lists a line's words together: the open group's box grows in locals
    last_group, last = -1, -1
    x0 = y0 = x1 = y1 = 0.0
    for w in words:
        text = w.text
        if not text or text.isspace():
            continue
        group = w.group
        if group == last_group and last >= 0:
            groups[last].append(w)
        else:
            if last >= 0:
                lefts[last], tops[last], rights[last], bottoms[last] = x0, y0, x1, y1
            k = where.get(group, -1)
            if k < 0:
                k = where[group] = len(groups)
                groups.append([w])
                x0, y0, x1, y1 = w.x0, w.y0, w.x1, w.y1
                lefts.append(x0)
                tops.append(y0)
                rights.append(x1)
                bottoms.append(y1)
            else:
                groups[k].append(w)
                x0, y0, x1, y1 = lefts[k], tops[k], rights[k], bottoms[k]
            last_group, last = group, k
        x0 = w.x0 if w.x0 < x0 else x0
        y0 = w.y0 if w.y0 < y0 else y0
        x1 = w.x1 if w.x1 > x1 else x1
        y1 = w.y1 if w.y1 > y1 else y1
    if last >= 0:
        lefts[last], tops[last], rights[last], bottoms[last] = x0, y0, x1, y1
    if not groups:
        return []
    lines: list[Line] = []
    for placed in _place(lefts, tops, rights, bottoms, tolerance):
        if len(placed) == 1:
            chunk = groups[placed[0]]
            lines.append(Line(chunk if _left_to_right(chunk) else sorted(chunk, key=_X0)))
        else:
            line_words = [w for k in placed for w in groups[k]]
            if not _left_to_right(line_words):  # boxes come left to right: usually sorted
                line_words.sort(key=_X0)
            lines.append(Line(line_words))
    return lines


def _by_centre_then_left(centre_ys: list[float], lefts: list[float]) -> list[int]:
    """Indexes sorted by (centre y, left x, index): two stable sorts on float keys, which
    CPython compares natively, instead of one sort of tuples compared element by element."""
    order = sorted(range(len(lefts)), key=lefts.__getitem__)
    order.sort(key=centre_ys.__getitem__)
    return order


def _left_to_right(words: list[Word]) -> bool:
    """Already in reading order (a text layer's own line usually is): no sort needed."""
    return all(words[k].x0 >= words[k - 1].x0 for k in range(1, len(words)))


def place_boxes(
    boxes: list[tuple[float, float, float, float]], tolerance: float
) -> list[list[int]]:
    """:func:`_group` on plain ``(x0, y0, x1, y1)`` boxes of a page that is not skewed.

    Returns the indexes of the boxes on each line: lines top to bottom, boxes left to right.
    """
    return _place(
        [b[0] for b in boxes],
        [b[1] for b in boxes],
        [b[2] for b in boxes],
        [b[3] for b in boxes],
        tolerance,
    )


def _place(
    lefts: list[float],
    tops: list[float],
    rights: list[float],
    bottoms: list[float],
    tolerance: float,
) -> list[list[int]]:
    """:func:`place_boxes` on the boxes as parallel lists of their edges."""
    n_boxes = len(lefts)
    centre_ys = [(tops[k] + bottoms[k]) / 2 for k in range(n_boxes)]
    order_in = _by_centre_then_left(centre_ys, lefts)
    heights = sorted([bottoms[k] - tops[k] for k in range(n_boxes)])
    typical = heights[n_boxes // 2] or 1.0
    members: list[list[int]] = []  # box indexes per line
    # the (x0, x1) spans of those boxes, flat: x0, x1, x0, x1, ...
    spans: list[list[float]] = []
    centres: list[float] = []
    open_from = 0
    low, high = typical * 0.5, typical * 1.5
    reach = 2 * typical
    for index in order_in:
        wy = centre_ys[index]
        bx0 = lefts[index]
        bx1 = rights[index]
        h = bottoms[index] - tops[index]
        limit = tolerance * (high if h > high else low if h < low else h)
        n_lines = len(centres)
        while open_from < n_lines and wy - centres[open_from] > reach:
            open_from += 1
        best = -1
        best_gap = limit
        for i in range(open_from, n_lines):
            gap = abs(wy - centres[i])
            if gap <= best_gap and not _spans_collide(spans[i], bx0, bx1):
                best, best_gap = i, gap
        if best < 0:
            members.append([index])
            spans.append([bx0, bx1])
            centres.append(wy)
        else:
            placed = members[best]
            placed.append(index)
            span = spans[best]
            span.append(bx0)
            span.append(bx1)
            centres[best] += (wy - centres[best]) / len(placed)
    order = sorted(range(len(centres)), key=centres.__getitem__)
    out = []
    for i in order:
        placed = members[i]
        if len(placed) > 1 and not all(
            lefts[placed[k - 1]] <= lefts[placed[k]] for k in range(1, len(placed))
        ):
            placed.sort(key=lefts.__getitem__)
        out.append(placed)
    return out


def _spans_collide(spans: list[float], wx0: float, wx1: float) -> bool:
    """:func:`_collides` for boxes given as a flat list of ``x0, x1`` pairs."""
    half = 0.5 * (wx1 - wx0)
    for k in range(0, len(spans), 2):
        ox0 = spans[k]
        ox1 = spans[k + 1]
        if ox1 <= wx0 or ox0 >= wx1:
            continue
        overlap = (ox1 if ox1 < wx1 else wx1) - (ox0 if ox0 > wx0 else wx0)
        if overlap > half or overlap > 0.5 * (ox1 - ox0):
            return True
    return False


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
    return max(-0.05, min(0.05, median(slopes)))


def _group(items: list[Word], tolerance: float, slope: float) -> list[Line]:
    centre_ys = [((w.y0 + w.y1) - slope * (w.x0 + w.x1)) / 2 for w in items]
    order_in = _by_centre_then_left(centre_ys, [w.x0 for w in items])
    heights = sorted([w.y1 - w.y0 for w in items])
    typical = heights[len(heights) // 2] or 1.0
    lines: list[Line] = []
    centres: list[float] = []
    open_from = 0  # lines before this index are too far above to take more words
    low, high = typical * 0.5, typical * 1.5
    for index in order_in:
        wy = centre_ys[index]
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


def join_split_numbers(line: Line, *, boxed_gap: float = 0.0) -> Line:
    """Join ``1`` + ``234,56`` into ``1 234,56`` when the gap is a word space, not a column.

    A word space is at most 0.45 of the text's height. ``boxed_gap`` (OCR'd words) allows up
    to that many heights between two words the detector found in one text box (the same
    ``group``): there the boxes come from character positions, and a space read inside one
    printed run measured up to ~0.7 heights (``27 498,66`` split, the balance read as
    ``498,66``).
    """
    words = line.words
    if len(words) < 2:
        return line
    for w in words:
        text = w.text
        if len(text) <= 6 and text[-1:].isdigit():
            break
    else:
        return line
    out: list[Word] = [words[0]]
    for w in words[1:]:
        # cheap tests first: three digits after a word ending in a digit (which _HEAD needs;
        # its ``$`` also matches before a final newline), then the regexes
        prev = out[-1]
        if not (
            w.text[:3].isdigit() and prev.text.rstrip(" \n")[-1:].isdigit() and _GROUP.match(w.text)
        ):
            out.append(w)
            continue
        gap = w.x0 - prev.x1
        limit = boxed_gap if boxed_gap > 0.45 and prev.group == w.group else 0.45
        if _HEAD.match(prev.text.replace(" ", "")) and 0 <= gap <= limit * max(
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


def median(values: Iterable[float]) -> float:
    """``statistics.median`` of floats, compiled with the engine (a hot path calls it often)."""
    data = sorted(values)
    n = len(data)
    if n == 0:
        raise statistics.StatisticsError("no median for empty data")
    if n % 2 == 1:
        return data[n // 2]
    return (data[n // 2 - 1] + data[n // 2]) / 2


def median_height(lines: Sequence[Line]) -> float:
    """The typical text height of a page's lines."""
    return median(ln.height for ln in lines) if lines else 0.0
