"""Words of a text layer's own lines (``Word.group``): placed as one box per source line."""

from __future__ import annotations

from services.parser.extract.text.lines import group_lines, place_boxes
from services.parser.extract.text.words import Word


def test_source_lines_at_one_height_join_and_keep_their_order() -> None:
    words = [
        Word("250.00", 300, 100, 336, 110, group=3),
        Word("03", 50, 100, 62, 110, group=1),
        Word("Jan", 64, 100, 82, 110, group=1),
        Word("ZOMATO", 130, 101, 170, 111, group=2),
        Word("SALARY", 130, 114, 170, 124, group=4),
    ]
    lines = group_lines(words, trust_groups=True)
    assert [ln.text for ln in lines] == ["03 Jan ZOMATO 250.00", "SALARY"]


def test_overlapping_source_lines_at_one_height_stay_apart() -> None:
    # two source lines printed over each other (a stamp over a row) are not one line
    words = [
        Word("03/01/2025", 50, 100, 110, 110, group=1),
        Word("PAID", 55, 101, 105, 111, group=2),
    ]
    assert len(group_lines(words, trust_groups=True)) == 2


def test_place_boxes_orders_lines_down_and_boxes_across() -> None:
    boxes = [(200, 40, 240, 50), (20, 60, 60, 70), (20, 40, 60, 50), (100, 41, 140, 51)]
    assert place_boxes(boxes, 0.5) == [[2, 3, 0], [1]]
