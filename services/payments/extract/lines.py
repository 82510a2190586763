"""OCR words regrouped into text lines and visual rows, the extractor's only input.

A *line* is one detector box (the OCR engine's ``line`` index); a *row* is the lines whose
vertical centres are aligned, so a label on the left and its value on the right share a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word (mirrors ``services.common.ocr.OcrWord``; kept here so the
    extractor stays pure and testable without an OCR engine)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    confidence: float
    line: int


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    confidence: float
    index: int  # position in reading order

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True, slots=True)
class Page:
    """Lines in reading order, grouped into rows; ``width``/``height`` of the image read."""

    lines: tuple[Line, ...]
    rows: tuple[tuple[Line, ...], ...]
    width: int
    height: int

    def row_of(self, line: Line) -> tuple[Line, ...]:
        for row in self.rows:
            if line in row:
                return row
        return (line,)

    def row_index(self, line: Line) -> int:
        for i, row in enumerate(self.rows):
            if line in row:
                return i
        return -1

    def right_of(self, line: Line) -> str:
        """Text of the lines on ``line``'s row that start to its right."""
        return " ".join(o.text for o in self.row_of(line) if o is not line and o.x0 >= line.x1 - 2)

    def next_row_first(self, line: Line, *, skip: int = 0) -> Line | None:
        """The leftmost line of the row ``skip + 1`` rows below ``line``'s row."""
        i = self.row_index(line) + 1 + skip
        if 0 < i < len(self.rows):
            return self.rows[i][0]
        return None

    @property
    def text(self) -> str:
        return "\n".join(" ".join(o.text for o in row) for row in self.rows)


def build_page(words: Iterable[Word], *, width: int, height: int) -> Page:
    """Join words into lines (by detector line), order them, and group rows by alignment."""
    grouped: dict[int, list[Word]] = {}
    for word in words:
        if word.text.strip():
            grouped.setdefault(word.line, []).append(word)
    raw: list[tuple[float, float, str, float, float, float, float]] = []
    for ws in grouped.values():
        ws.sort(key=lambda w: w.x0)
        text = " ".join(w.text.strip() for w in ws)
        conf = sum(w.confidence for w in ws) / len(ws)
        raw.append(
            (
                min(w.y0 for w in ws),
                min(w.x0 for w in ws),
                text,
                max(w.x1 for w in ws),
                max(w.y1 for w in ws),
                conf,
                0.0,
            )
        )
    raw.sort(key=lambda r: (r[0], r[1]))
    lines = [
        Line(text=t, x0=x0, y0=y0, x1=x1, y1=y1, confidence=c, index=i)
        for i, (y0, x0, t, x1, y1, c, _) in enumerate(raw)
    ]
    return Page(lines=tuple(lines), rows=_rows(lines), width=width, height=height)


def _rows(lines: Sequence[Line]) -> tuple[tuple[Line, ...], ...]:
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda o: o.cy):
        if rows:
            last = rows[-1]
            ref = last[0]
            tolerance = 0.5 * min(ref.height, line.height)
            if abs(line.cy - ref.cy) <= tolerance:
                last.append(line)
                continue
        rows.append([line])
    return tuple(tuple(sorted(r, key=lambda o: o.x0)) for r in rows)


def page_from_texts(texts: Sequence[str], *, line_height: float = 30.0) -> Page:
    """A page of one row per text, stacked; ``"label || value"`` puts two lines on one row
    (for tests and plain-text input)."""
    words = []
    line_no = 0
    for i, text in enumerate(texts):
        y = i * line_height * 1.6
        for part_no, part in enumerate(text.split("||")):
            x = 0.0 if part_no == 0 else 600.0
            for token in part.split():
                width = 18.0 * len(token)
                words.append(Word(token, x, y, x + width, y + line_height, 0.99, line_no))
                x += width + 10
            line_no += 1
    return build_page(words, width=1080, height=int(len(texts) * line_height * 1.6) + 10)


__all__ = ["Line", "Page", "Word", "build_page", "page_from_texts"]
