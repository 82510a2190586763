"""Page → words: text layer, unusable text layers, OCR of image pages turned any way."""

from __future__ import annotations

import numpy as np
import pymupdf
import pytest

from services.parser.extract.text.lines import group_lines
from services.parser.extract.text.words import (
    image_words,
    page_words,
    text_layer_usable,
    turn_half,
)


def _statement_page() -> pymupdf.Document:
    doc = pymupdf.open()
    page = doc.new_page(width=420, height=160)
    rows = [("03/01/2025", "ZOMATO LTD", "250.00"), ("05/01/2025", "SALARY JAN", "52,000.00")]
    for i, (date, text, amount) in enumerate(rows):
        y = 40 + 22 * i
        page.insert_text((20, y), date, fontsize=12)
        page.insert_text((120, y), text, fontsize=12)
        page.insert_text((300, y), amount, fontsize=12)
    return doc


def test_text_layer_words_in_points() -> None:
    doc = _statement_page()
    pw = page_words(doc[0])
    assert pw.source == "text_layer"
    assert [ln.text for ln in group_lines(pw.words)] == [
        "03/01/2025 ZOMATO LTD 250.00",
        "05/01/2025 SALARY JAN 52,000.00",
    ]
    first = pw.words[0]
    assert 15 < first.x0 < 25 and first.confidence == 1.0


def test_garbage_text_layers_are_not_usable() -> None:
    assert text_layer_usable(["Date", "Narration", "Balance", "1,234.00"])
    assert not text_layer_usable(["\ue001\ue002\ue003", "\ue004\ue005", "\ufffd\ufffd"])
    assert not text_layer_usable(["a"])


@pytest.mark.parametrize("turns", [0, 1])
def test_image_pages_are_read_by_ocr_upright(turns: int) -> None:
    pix = _statement_page()[0].get_pixmap(dpi=150)
    image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)
    image = np.ascontiguousarray(np.rot90(image, k=turns))
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    pw = image_words(buf.getvalue())
    assert pw.source == "ocr"
    texts = [ln.text for ln in group_lines(pw.words)]
    if texts and not texts[0].startswith("03/01"):
        texts = [ln.text for ln in group_lines(turn_half(pw).words)]
    assert texts[0].replace(" ", "") == "03/01/2025ZOMATOLTD250.00"
    assert pw.ocr_confidence is not None and pw.ocr_confidence > 0.8
