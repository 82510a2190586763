"""The shared OCR engine on real documents of ../shared/corpus, rendered to images.

The PDF's own text layer is the ground truth: pages are rasterised at 150 dpi (what a
scanner gives), read by OCR, and the OCR words are compared with the text-layer words.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pymupdf
import pytest

from services.common.ocr import OcrResult, ocr_engine


def _render(pdf: Path, page_no: int, dpi: int) -> tuple[np.ndarray, list[tuple[float, ...]]]:
    with pymupdf.open(pdf) as doc:
        page = doc[page_no]
        pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csRGB, alpha=False)
        image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 3)
        scale = dpi / 72
        words = [
            (x0 * scale, y0 * scale, x1 * scale, y1 * scale, text)
            for x0, y0, x1, y1, text, *_ in page.get_text("words")
        ]
    return image.copy(), words


def _recall(result: OcrResult, truth: list[tuple[float, ...]]) -> float:
    """Share of text-layer words (3+ characters) that OCR read exactly, matched as a bag."""
    read = Counter(w.text for w in result.words)
    wanted = [str(t[4]) for t in truth if len(str(t[4])) >= 3]
    hits = 0
    for word in wanted:
        if read[word] > 0:
            read[word] -= 1
            hits += 1
    return hits / len(wanted)


@pytest.mark.parametrize(
    ("document", "minimum"),
    [("monopoly/example_statement.pdf", 0.9), ("invoice2data/FlipkartInvoice.pdf", 0.85)],
)
def test_a_scanned_page_reads_like_its_text_layer(
    corpus: Path, document: str, minimum: float
) -> None:
    path = corpus / document
    if not path.is_file():
        pytest.skip(f"{document} not in the corpus")
    image, truth = _render(path, 0, 150)
    result = ocr_engine().read(image)
    assert (result.width, result.height) == (image.shape[1], image.shape[0])
    assert _recall(result, truth) >= minimum
    # a word the text layer places somewhere is found by OCR at the same place
    read_counts = Counter(w.text for w in result.words)
    truth_counts = Counter(str(t[4]) for t in truth)
    by_text = {w.text: w for w in result.words if read_counts[w.text] == 1}
    located = [
        t for t in truth if len(str(t[4])) >= 6 and truth_counts[str(t[4])] == 1 and t[4] in by_text
    ]
    assert located
    for x0, y0, x1, y1, text in located[:20]:
        word = by_text[str(text)]
        assert abs((word.x0 + word.x1) / 2 - (x0 + x1) / 2) < 20
        assert abs((word.y0 + word.y1) / 2 - (y0 + y1) / 2) < 20


def test_a_page_turned_upside_down_is_read_upright(corpus: Path) -> None:
    path = corpus / "monopoly/example_statement.pdf"
    if not path.is_file():
        pytest.skip("example statement not in the corpus")
    image, truth = _render(path, 0, 150)
    upside_down = np.ascontiguousarray(image[::-1, ::-1])
    result = ocr_engine().read(upside_down, rotation="auto")
    assert result.rotation == 180
    assert _recall(result, truth) >= 0.9
