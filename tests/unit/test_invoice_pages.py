"""OCR words that lost their space are split again; text-layer words never are."""

from __future__ import annotations

import pymupdf
import pytest

from services.parser.extract.invoice import pages
from services.parser.extract.invoice.layout import Word
from services.parser.extract.invoice.pages import (
    close_line_gaps,
    read_page_words,
    split_run_together,
)
from services.parser.extract.source import SourceDocument
from services.parser.extract.text.words import PageWords
from services.parser.extract.text.words import Word as SourceWord


def _texts(text: str) -> list[str]:
    return [w.text for w in split_run_together(Word(text, 100.0, 10.0, 260.0, 24.0))]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("CedarElectricals", ["Cedar", "Electricals"]),
        ("LogisticsSARL", ["Logistics", "SARL"]),
        ("AuroraOfficeSupplies", ["Aurora", "Office", "Supplies"]),
        ("LumièreMedia", ["Lumière", "Media"]),
        ("(CedarElectricals,", ["(Cedar", "Electricals,"]),
    ],
)
def test_run_together_words_are_split(text: str, parts: list[str]) -> None:
    assert _texts(text) == parts


@pytest.mark.parametrize(
    "text",
    ["McDonald", "iPhone", "GmbH", "KGaA", "MediaAG", "Nimbus", "INV-2025-6107", "HD-45", "B.V."],
)
def test_short_parts_and_plain_words_stay_whole(text: str) -> None:
    assert _texts(text) == [text]


def test_split_boxes_share_the_word_box() -> None:
    left, right = split_run_together(Word("CedarElectricals", 100.0, 10.0, 260.0, 24.0))
    assert (left.x0, left.x1) == (100.0, 150.0)  # 5 of 16 characters
    assert (right.x0, right.x1) == (150.0, 260.0)
    assert left.y0 == right.y0 == 10.0 and left.y1 == right.y1 == 24.0


def _pdf(text: str) -> SourceDocument:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((40, 60), f"{text} Pvt Ltd", fontname="helv", fontsize=14)
    page.insert_text((40, 90), "Invoice No. INV-1", fontname="helv", fontsize=9)
    data = doc.tobytes()
    doc.close()
    return SourceDocument(data, "application/pdf")


def test_text_layer_words_are_never_altered() -> None:
    source = _pdf("CedarElectricals")
    model = read_page_words(source, 0)
    source.close()
    assert model.source == "text_layer"
    assert "CedarElectricals" in [w.text for w in model.words]


def test_ocr_words_are_split(monkeypatch: pytest.MonkeyPatch) -> None:
    # the same page as OCR would read it: only the source flag differs
    def ocr_read(page: pymupdf.Page, *, allow_ocr: bool = True) -> PageWords:
        words = [
            SourceWord("CedarElectricals", 40.0, 46.0, 160.0, 62.0, 0.97, 0),
            SourceWord("McDonald", 170.0, 46.0, 230.0, 62.0, 0.97, 0),
        ]
        return PageWords(words, 595.0, 842.0, "ocr", ocr_confidence=0.97)

    monkeypatch.setattr(pages, "page_words", ocr_read)
    source = _pdf("CedarElectricals")
    model = read_page_words(source, 0)
    source.close()
    assert model.source == "ocr"
    assert [w.text for w in model.words] == ["Cedar", "Electricals", "McDonald"]


def test_ocr_line_gaps_closed_inside_a_detected_line_only() -> None:
    # OCR boxes hug character centres: in large print "Pvt" sits a word-height away
    words = [
        SourceWord("Rheinland", 46.0, 47.0, 127.0, 62.0, 0.99, 0),
        SourceWord("Pvt", 143.0, 47.0, 162.0, 62.0, 0.99, 0),
        SourceWord("Ltd", 165.0, 47.0, 186.0, 62.0, 0.99, 0),
        SourceWord("TAX", 443.0, 48.0, 468.0, 64.0, 0.99, 1),  # another detected line
    ]
    closed = close_line_gaps(words)
    assert [w.text for w in closed] == ["Rheinland", "Pvt", "Ltd", "TAX"]
    assert closed[1].x0 - closed[0].x1 == pytest.approx(7.5)  # half of the 15-pt height
    assert (closed[0].x1, closed[1].x0) == (131.25, 138.75)  # closed from both sides
    assert (closed[1].x1, closed[2].x0) == (162.0, 165.0)  # already narrow: unchanged
    assert (closed[0].x0, closed[2].x1) == (46.0, 186.0)  # the line's edges stay
    assert (closed[3].x0, closed[3].x1) == (443.0, 468.0)  # no closing across lines
