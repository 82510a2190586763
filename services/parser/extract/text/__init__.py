"""Building blocks shared by the engines: words from a page, lines, amounts, dates, currency."""

from __future__ import annotations

from services.parser.extract.text.amounts import (
    Amount,
    DecimalMark,
    decide_decimal_mark,
    looks_like_amount,
    parse_amount,
)
from services.parser.extract.text.currency import (
    currency_from_text,
    decide_currency,
    strip_currency,
)
from services.parser.extract.text.dates import DateOrder, decide_date_order, is_date, parse_date
from services.parser.extract.text.lines import Line, group_lines, join_split_numbers
from services.parser.extract.text.words import (
    PageWords,
    Word,
    image_words,
    ocr_words,
    page_words,
    text_layer_usable,
    turn_half,
)

__all__ = [
    "Amount",
    "DateOrder",
    "DecimalMark",
    "Line",
    "PageWords",
    "Word",
    "currency_from_text",
    "decide_currency",
    "decide_date_order",
    "decide_decimal_mark",
    "group_lines",
    "image_words",
    "is_date",
    "join_split_numbers",
    "looks_like_amount",
    "ocr_words",
    "page_words",
    "parse_amount",
    "parse_date",
    "strip_currency",
    "text_layer_usable",
    "turn_half",
]
