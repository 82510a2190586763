"""Finding the transaction table on a page: headers in many wordings, values, rows."""

from __future__ import annotations

import pymupdf
import pytest

from services.parser.extract.statement.layout import analyse_page, classify_row_kind
from services.parser.extract.text.words import PageWords, Word, WordSource, page_words

Cells = list[tuple[float, str]]  # (x, text); a negative x right-aligns the text at -x


def _page(rows: list[Cells], *, pitch: float = 12.0, size: float = 8.0) -> pymupdf.Page:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    y = 60.0
    for cells in rows:
        for x, text in cells:
            if x < 0:
                width = pymupdf.get_text_length(text, fontsize=size)
                x = -x - width
            page.insert_text((x, y), text, fontsize=size)
        y += pitch
    return page


def _ocr_page(rows: list[Cells], confidence: float, *, source: WordSource = "ocr") -> PageWords:
    """The words OCR would give for ``rows`` (5.5 pt per character, one line per row)."""
    words: list[Word] = []
    for line, cells in enumerate(rows):
        y = 60.0 + 14 * line
        for x, text in cells:
            width = 5.5 * len(text)
            x0 = -x - width if x < 0 else x
            words.append(Word(text, x0, y, x0 + width, y + 10, confidence, line))
    ocr_confidence = confidence if source == "ocr" else None
    return PageWords(words, 595.0, 842.0, source, ocr_confidence=ocr_confidence)


def _analyse(rows: list[Cells], **kw: float):  # type: ignore[no-untyped-def]
    page = _page(rows, **kw)
    return analyse_page(page_words(page), 0)


@pytest.mark.parametrize(
    ("titles", "debit_role", "credit_role"),
    [
        (
            ("Txn Date", "Narration", "Withdrawal Amt.", "Deposit Amt.", "Closing Balance"),
            "debit",
            "credit",
        ),
        (("Date", "Particulars", "Debit", "Credit", "Balance"), "debit", "credit"),
        (("Posting Date", "Details", "Money out", "Money in", "Balance"), "debit", "credit"),
        (("Value Date", "Description", "Dr", "Cr", "Running Balance"), "debit", "credit"),
    ],
)
def test_header_synonyms_give_column_roles(
    titles: tuple[str, ...], debit_role: str, credit_role: str
) -> None:
    xs = [40, 110, -360, -440, -540]
    header = list(zip(xs, titles, strict=True))
    rows = [
        header,
        [(40, "03/01/2025"), (110, "ZOMATO ORDER"), (-360, "250.00"), (-540, "9,750.00")],
        [(40, "05/01/2025"), (110, "SALARY"), (-440, "52,000.00"), (-540, "61,750.00")],
    ]
    page = _analyse(rows)
    assert page.header
    first, second = page.rows
    assert (first.date, first.description, first.debit, first.credit, first.balance) == (
        "03/01/2025",
        "ZOMATO ORDER",
        "250.00",
        None,
        "9,750.00",
    )
    assert (second.debit, second.credit, second.balance) == (None, "52,000.00", "61,750.00")
    roles = {c.role for c in page.columns}
    assert {debit_role, credit_role, "balance"} <= roles


def test_wrapped_descriptions_are_joined_and_repeated_headers_dropped() -> None:
    header = [(40, "Date"), (110, "Description"), (-400, "Amount"), (-520, "Balance")]
    rows = [
        header,
        [
            (40, "03/01/2025"),
            (110, "UPI/DR/500312345678/ZOMATO"),
            (-400, "-250.00"),
            (-520, "9,750.00"),
        ],
        [(110, "LTD/YESB/zomato@ybl")],
        [(40, "04/01/2025"), (110, "ATM WDL"), (-400, "-1,000.00"), (-520, "8,750.00")],
        header,
        [(40, "05/01/2025"), (110, "NEFT CR ACME"), (-400, "52,000.00"), (-520, "60,750.00")],
    ]
    page = _analyse(rows)
    assert [r.description for r in page.rows] == [
        "UPI/DR/500312345678/ZOMATO LTD/YESB/zomato@ybl",
        "ATM WDL",
        "NEFT CR ACME",
    ]
    assert [r.amount for r in page.rows] == ["-250.00", "-1,000.00", "52,000.00"]


def test_non_transactions_are_recognised() -> None:
    header = [
        (40, "Date"),
        (110, "Particulars"),
        (-400, "Debit"),
        (-470, "Credit"),
        (-540, "Balance"),
    ]
    rows = [
        header,
        [(110, "Balance B/F"), (-540, "10,000.00")],
        [(40, "03/01/2025"), (110, "POS TESCO"), (-400, "20.00"), (-540, "9,980.00")],
        [(110, "TOTAL"), (-400, "20.00"), (-470, "0.00")],
        [(110, "Balance C/F"), (-540, "9,980.00")],
        [],
        [],
        [],
        [(40, "Page 1 of 2"), (300, "This is a computer generated statement")],
    ]
    page = _analyse(rows)
    kinds = [r.kind for r in page.rows]
    assert kinds == ["opening", "txn", "total", "closing"]
    assert any("Page 1 of 2" in line.text for line in page.info)


def test_values_alone_find_a_table_without_header() -> None:
    rows = [
        [(40, "Statement continued")],
        *[
            [
                (40, f"{d:02d}/01/2025"),
                (110, f"PURCHASE {d}"),
                (-400, f"{d}.50"),
                (-520, f"{1000 - d:,}.00"),
            ]
            for d in range(1, 8)
        ],
    ]
    page = _analyse(rows)
    assert not page.header
    assert len(page.rows) == 7
    assert {c.role for c in page.columns} >= {"date", "description", "amount", "balance"}
    assert all(not c.certain for c in page.columns)


def test_drcr_suffix_and_space_grouped_numbers() -> None:
    header = [(40, "Date"), (110, "Particulars"), (-420, "Amount"), (-540, "Balance")]
    rows = [
        header,
        [
            (40, "03-01-2025"),
            (110, "CHQ PAID"),
            (-400, "1 250,00"),
            (410, "Dr"),
            (-540, "8 750,00 Cr"),
        ],
    ]
    page = _analyse(rows)
    (row,) = page.rows
    assert row.amount == "1 250,00 Dr"
    assert row.balance == "8 750,00 Cr"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Opening Balance", "opening"),
        ("BALANCE BROUGHT FORWARD", "opening"),
        ("LAST MONTH'S BALANCE", "opening"),
        ("Balance carried forward", "closing"),
        ("C/F", "closing"),
        ("TOTAL", "total"),
        ("Grand Total", "total"),
        ("TOTAL AMOUNT DUE", "total"),
        ("NEFT CR ACME SALARY", "txn"),
        ("BALANCE TRANSFER TO SAVINGS ACCOUNT 1234", "txn"),
    ],
)
def test_row_kinds(text: str, kind: str) -> None:
    assert classify_row_kind(text) == kind


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("28.664.58", "28664.58"),
        ("(1.234.56)", "(1234.56)"),
        ("1,234,56 Dr", "1234.56 Dr"),
        ("1,234.56", None),
        ("1.234,56", None),
        ("2025", None),
        ("UPI/DR/1", None),
    ],
)
def test_ocr_amounts_with_misread_separators(text: str, fixed: str | None) -> None:
    from services.parser.extract.statement.layout import _lenient_amount

    assert _lenient_amount(text) == fixed


def test_a_row_continued_from_the_previous_page_is_not_a_second_header_line() -> None:
    header = [
        (40, "Date"),
        (110, "Transaction Description"),
        (-400, "Withdrawals"),
        (-470, "Deposits"),
        (-540, "Balance"),
    ]
    rows = [
        header,
        [(110, "ELECTRICITY REF 6797881")],  # the tail of the last row of the page before
        [(40, "22/09/2025"), (110, "ATM WDL 457589"), (-400, "150.86"), (-540, "51,086.96")],
    ]
    page = _analyse(rows)
    assert page.lead == "ELECTRICITY REF 6797881"
    assert {c.role for c in page.columns} == {"date", "description", "debit", "credit", "balance"}
    assert [r.description for r in page.rows] == ["ATM WDL 457589"]


def test_an_amount_glued_to_a_long_ocr_description_is_split_off() -> None:
    # OCR at 150 dpi boxed "…bill@ybl" and the amount beside it as one word: "bill@ybl247.28"
    glued = "UPI/DR/829133392410/APPLE.COM/bill@ybl247.28"
    header: Cells = [(40, "Date"), (110, "Description"), (-400, "Money out")]
    rows: list[Cells] = [
        [*header, (-470, "Money in"), (-560, "Balance")],
        [(40, "11/02/2023"), (110, "UBER"), (-400, "206.71"), (-560, "34,446.69")],
        [(40, "12/02/2023"), (402 - 5.5 * len(glued), glued), (-560, "34,199.41")],
        [(40, "13/02/2023"), (110, "SALARY"), (-470, "5,000.00"), (-560, "39,199.41")],
    ]
    page = analyse_page(_ocr_page(rows, 0.98), 0)
    row = page.rows[1]
    assert (row.description, row.debit, row.balance) == (
        "UPI/DR/829133392410/APPLE.COM/bill@ybl",
        "247.28",
        "34,199.41",
    )
    # words a text layer gives are never cut
    text_layer = _ocr_page(rows, 1.0, source="text_layer")
    assert analyse_page(text_layer, 0).rows[1].debit is None


def test_an_unreadable_ocr_date_is_not_replaced_by_the_date_above() -> None:
    amounts: Cells = [(-400, "200.00"), (-500, "700.00")]
    rows: list[Cells] = [
        [(40, "Date"), (130, "Description"), (-400, "Withdrawal"), (-500, "Balance")],
        [(40, "Dec"), (62, "8,"), (76, "2023"), (130, "ATM"), (-400, "100.00"), (-500, "900.00")],
        [(40, "De<"), (62, "10."), (82, "2023"), (130, "POS"), *amounts],
        [(130, "CAFE"), (-400, "50.00"), (-500, "650.00")],  # printed without a date
    ]
    page = analyse_page(_ocr_page(rows, 0.97), 0)
    first, garbled, undated = page.rows
    assert garbled.balance == "700.00"
    assert (first.date, first.description) == ("Dec 8, 2023", "ATM")
    assert (garbled.date, garbled.description, garbled.dated) == ("De< 10. 2023", "POS", True)
    # a row with nothing in the date column still takes the date above
    assert (undated.date, undated.description, undated.dated) == ("De< 10. 2023", "CAFE", False)


def test_two_line_header_with_currency_codes_under_the_titles() -> None:
    # "Amount" over "(AED)": a currency code is a unit word, so the two lines stack
    top: Cells = [(40, "Transaction"), (110, "Value"), (300, "Cheque/Ref"), (-440, "Amount")]
    below: Cells = [(40, "Date"), (110, "Date"), (170, "Description"), (300, "No.")]
    row: Cells = [(40, "01-11-2023"), (110, "02-11-2023"), (170, "CHEQUE 614270 CLEARED")]
    rows: list[Cells] = [
        [*top, (-540, "Balance")],
        [*below, (-440, "(AED)"), (-540, "(AED)")],
        [*row, (300, "614270"), (-440, "-1930.86"), (-540, "36598.64")],
    ]
    page = _analyse(rows)
    roles = [c.role for c in page.columns]
    assert roles == ["date", "value_date", "description", "reference", "amount", "balance"]
    (read,) = page.rows
    assert (read.date, read.value_date, read.description, read.reference, read.amount) == (
        "01-11-2023",
        "02-11-2023",
        "CHEQUE 614270 CLEARED",
        "614270",
        "-1930.86",
    )


def test_narration_printed_after_the_amounts_wraps_and_keeps_its_cr() -> None:
    # "Debits | Credits | Balance | Remarks": the remarks column comes last
    header: Cells = [(40, "Trans. Date"), (-200, "Debits"), (-280, "Credits")]
    rows: list[Cells] = [
        [*header, (-370, "Balance"), (390, "Remarks")],
        [(40, "09-Sep-2024"), (-200, "4,830.40"), (-370, "1,977,567.60"), (390, "NIP TRANSFER TO")],
        [(390, "EMEKA NWANKWO")],
        [(40, "10-Sep-2024"), (-280, "900.00"), (-370, "1,978,467.60"), (390, "NEFT CR SALARY")],
        [(390, "CR")],
    ]
    page = _analyse(rows)
    first, second = page.rows
    assert (first.description, first.debit) == ("NIP TRANSFER TO EMEKA NWANKWO", "4,830.40")
    assert (second.description, second.credit, second.type) == ("NEFT CR SALARY CR", "900.00", None)


def test_a_misread_ocr_amount_stays_in_its_column() -> None:
    rows: list[Cells] = [
        [(40, "Date"), (110, "Description"), (-400, "Amount"), (-500, "Balance")],
        [(40, "2024/05/06"), (110, "SALARY"), (-400, "900.00"), (-500, "26 889.74Cr")],
        [(40, "2024/05/07"), (110, "POS ENGEN"), (-400, "2 805.23"), (-500, "084..51C>")],
    ]
    page = analyse_page(_ocr_page(rows, 0.93), 0)
    row = page.rows[1]
    assert (row.description, row.amount, row.balance) == ("POS ENGEN", "2 805.23", "084..51C>")
    # from a text layer such a word is text, as printed
    text_layer = analyse_page(_ocr_page(rows, 1.0, source="text_layer"), 0)
    assert text_layer.rows[1].balance is None


def test_overdrawn_balances_keep_their_od_mark() -> None:
    rows: list[Cells] = [
        [(40, "Date"), (110, "Details"), (-330, "Debit"), (-410, "Credit"), (-510, "Balance")],
        [(40, "01 Dec 24"), (110, "OPENING BALANCE"), (-490, "1,665.10"), (495, "OD")],
        [
            (40, "01 Dec 24"),
            (110, "Eftpos Countdown"),
            (-330, "155.67"),
            (-490, "1,820.77"),
            (495, "OD"),
        ],
    ]
    page = _analyse(rows)
    assert [r.balance for r in page.rows] == ["1,665.10 OD", "1,820.77 OD"]
