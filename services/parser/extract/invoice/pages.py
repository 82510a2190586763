"""One page's words for the invoice engine, through the shared text layer / OCR reader."""

from __future__ import annotations

import itertools

from services.parser.extract.invoice.layout import PageModel, Word
from services.parser.extract.source import SourceDocument
from services.parser.extract.text.words import Word as ReadWord
from services.parser.extract.text.words import image_words, page_words

__all__ = ["close_line_gaps", "read_page_words", "split_run_together"]

_MIN_PART = 3  # letters on each side of a lower→Upper join before it counts as two words
_MAX_LINE_GAP = 0.5  # widest gap between OCR words of one detected line, x word height


def read_page_words(source: SourceDocument, page_index: int) -> PageModel:
    """The page's words (text layer, or OCR for scans and images) as the engine stores them.

    OCR words whose space was lost (``CedarElectricals``) are split again, and the gaps
    between words of one detected line closed up; text-layer words are kept exactly as the
    PDF has them.
    """
    read = image_words(source.content) if source.is_image else page_words(source.page(page_index))
    if read.source == "ocr":
        words = [part for w in close_line_gaps(read.words) for part in split_run_together(w)]
    else:
        words = [Word(w.text, w.x0, w.y0, w.x1, w.y1) for w in read.words]
    return PageModel(
        page=page_index,
        source=read.source,
        width=read.width,
        height=read.height,
        ocr_confidence=read.ocr_confidence,
        words=words,
    )


def _cuts(text: str) -> list[int]:
    """Offsets where a lower-case letter meets a capital, with at least ``_MIN_PART``
    letters on both sides (``CedarElectricals`` → [5], ``LogisticsSARL`` → [9]).

    Short parts stay joined: ``McDonald``, ``iPhone``, ``GmbH``, ``KGaA``, ``MediaAG``.
    """
    cuts: list[int] = []
    n = len(text)
    for i in range(1, n):
        if not (text[i - 1].islower() and text[i].isupper()):
            continue
        left = i
        while left > 0 and text[left - 1].isalpha():
            left -= 1
        right = i
        while right < n and text[right].isalpha():
            right += 1
        previous = cuts[-1] if cuts else 0
        if i - max(left, previous) >= _MIN_PART and right - i >= _MIN_PART:
            cuts.append(i)
    return cuts


def split_run_together(word: Word) -> list[Word]:
    """An OCR word that lost its space, as the words it holds (boxes shared by characters).

    Only for OCR output: the recogniser drops narrow spaces, a text layer never does.
    """
    cuts = _cuts(word.text)
    if not cuts:
        return [word]
    text = word.text
    per_char = (word.x1 - word.x0) / len(text)
    bounds = [0, *cuts, len(text)]
    return [
        Word(text[a:b], word.x0 + a * per_char, word.y0, word.x0 + b * per_char, word.y1)
        for a, b in itertools.pairwise(bounds)
    ]


def close_line_gaps(words: list[ReadWord]) -> list[Word]:
    """OCR words, with the gaps between words of one detected line at most half a word high.

    The shared OCR places a word's box around its character centres, so in large print the
    gap between two words of a line grows past the engine's column gap (``Rheinland Media``
    ``Pvt`` ``Ltd`` read as three segments). The detector found them as one line: each gap is
    closed from both sides; a line's outer edges stay where they are.
    """
    out = [Word(w.text, w.x0, w.y0, w.x1, w.y1) for w in words]
    by_line: dict[int, list[int]] = {}
    for i, w in enumerate(words):
        by_line.setdefault(w.group, []).append(i)
    for indices in by_line.values():
        indices.sort(key=lambda i: out[i].x0)
        for a, b in itertools.pairwise(indices):
            left, right = out[a], out[b]
            height = max(left.y1 - left.y0, right.y1 - right.y0)
            excess = right.x0 - left.x1 - _MAX_LINE_GAP * height
            if excess > 0:
                out[a] = Word(left.text, left.x0, left.y0, left.x1 + excess / 2, left.y1)
                out[b] = Word(right.text, right.x0 - excess / 2, right.y0, right.x1, right.y1)
    return out
