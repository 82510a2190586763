"""Score OCR output against generated ground truth: character and exact-string accuracy."""

from __future__ import annotations

from dataclasses import dataclass

from bench.ocr.samples import Item, Sample
from services.common.ocr import OcrResult, OcrWord


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def text_at(words: list[OcrWord], item: Item) -> str:
    """The words whose centre lies in the item's box (a little enlarged), in reading order."""
    x0, y0, x1, y1 = item.box
    h = y1 - y0
    mx, my = 0.3 * h, 0.45 * h
    inside = [
        w
        for w in words
        if x0 - mx <= (w.x0 + w.x1) / 2 <= x1 + mx and y0 - my <= (w.y0 + w.y1) / 2 <= y1 + my
    ]
    inside.sort(key=lambda w: (w.line, w.x0))
    return " ".join(w.text for w in inside)


@dataclass
class Score:
    chars: int = 0
    errors: int = 0
    items: int = 0
    exact: int = 0
    misses: list[tuple[str, str]] | None = None

    def add(self, truth: str, read: str) -> None:
        t, r = "".join(truth.split()), "".join(read.split())
        self.chars += len(t)
        self.errors += min(len(t), levenshtein(t, r))
        self.items += 1
        if t == r:
            self.exact += 1
        elif self.misses is not None:
            self.misses.append((truth, read))

    @property
    def char_accuracy(self) -> float:
        return 1 - self.errors / self.chars if self.chars else 0.0

    @property
    def exact_rate(self) -> float:
        return self.exact / self.items if self.items else 0.0


def score(sample: Sample, result: OcrResult, into: Score) -> Score:
    """Add every ground-truth item of ``sample`` (spaces ignored) to ``into``."""
    for item in sample.items:
        into.add(item.text, text_at(result.words, item))
    return into


__all__ = ["Score", "levenshtein", "score", "text_at"]
