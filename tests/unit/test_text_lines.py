"""Words → lines, tolerant of skew; split numbers joined."""

from __future__ import annotations

import math

from services.parser.extract.text.lines import group_lines
from services.parser.extract.text.words import Word


def _row(y: float, texts: list[tuple[float, str]], slope: float = 0.0) -> list[Word]:
    return [
        Word(text, x, y + slope * x, x + 6 * len(text), y + slope * x + 10) for x, text in texts
    ]


def test_rows_become_lines_sorted_left_to_right() -> None:
    words = _row(100, [(300, "250.00"), (50, "03/01/2025"), (130, "ZOMATO")]) + _row(
        114, [(50, "04/01/2025"), (130, "SALARY"), (400, "52,000.00")]
    )
    lines = group_lines(words)
    assert [ln.text for ln in lines] == [
        "03/01/2025 ZOMATO 250.00",
        "04/01/2025 SALARY 52,000.00",
    ]


def test_slight_skew_keeps_rows_apart() -> None:
    slope = math.tan(math.radians(0.8))
    words = []
    for i in range(10):
        words += _row(100 + 14 * i, [(40, f"0{i}/01"), (200, "TEXT"), (480, f"{i}.00")], slope)
    lines = group_lines(words)
    assert len(lines) == 10
    assert all(len(ln.words) == 3 for ln in lines)


def test_space_grouped_number_is_joined_but_columns_are_not() -> None:
    words = [
        Word("Loyer", 40, 100, 70, 110),
        Word("1", 300, 100, 305, 110),
        Word("234,56", 307, 100, 340, 110),
        Word("12", 400, 100, 410, 110),
        Word("345,00", 470, 100, 505, 110),
    ]
    (line,) = group_lines(words)
    assert [w.text for w in line.words] == ["Loyer", "1 234,56", "12", "345,00"]


def test_ocr_number_split_inside_one_detector_box_joins_across_a_wider_space() -> None:
    # "27 498,66" read from one detector box (group 7); the space came out 0.7 heights wide
    def words(head_group: int) -> list[Word]:
        return [
            Word("Loyer", 40, 100, 90, 120, 0.99, 3),
            Word("27", 300, 100, 314, 120, 0.99, head_group),
            Word("498,66", 328, 100, 383, 120, 0.99, 7),
        ]

    def texts(line_words: list[Word], boxed_gap: float) -> list[str]:
        (line,) = group_lines(line_words, boxed_gap=boxed_gap)
        return [w.text for w in line.words]

    assert texts(words(7), boxed_gap=1.0) == ["Loyer", "27 498,66"]
    # the same gap between two detector boxes is a column gap, and without boxed_gap
    # (a text layer's words) 0.7 heights is not a word space either
    assert texts(words(5), boxed_gap=1.0) == ["Loyer", "27", "498,66"]
    assert texts(words(7), boxed_gap=0.0) == ["Loyer", "27", "498,66"]
