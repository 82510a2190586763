"""Assembly: one locale per document, rows across page breaks, checks that decide."""

from __future__ import annotations

from services.parser.extract.statement.assemble import assemble_pages
from services.parser.extract.statement.model import ColumnOut, InfoLine, PageOut, RowOut


def _info(*texts: str) -> list[InfoLine]:
    out = []
    for i, text in enumerate(texts):
        x = 40.0
        words = []
        for word in text.split():
            words.append((word, x, 20.0 + 12 * i, x + 6 * len(word), 28.0 + 12 * i))
            x += 6 * len(word) + 4
        out.append(InfoLine(words=words))
    return out


def _cols(*roles: str, certain: bool = True) -> list[ColumnOut]:
    return [
        ColumnOut(role=r, x0=100.0 * i, x1=100.0 * i + 60, certain=certain)
        for i, r in enumerate(roles)
    ]


def _ocr_debits(info: list[InfoLine], *rows: RowOut) -> PageOut:
    """An OCR'd page of a date / description / debit / balance table."""
    return PageOut(
        index=0,
        header=True,
        source="ocr",
        ocr_confidence=0.96,
        columns=_cols("date", "description", "debit", "balance"),
        info=info,
        rows=list(rows),
    )


def test_split_columns_balance_checks_and_page_break_join() -> None:
    page1 = PageOut(
        index=0,
        header=True,
        columns=_cols("date", "description", "debit", "credit", "balance"),
        info=_info("Demo Bank", "Account No : 1234567890", "Opening Balance : 1,000.00"),
        rows=[
            RowOut(date="03/01/2025", description="ZOMATO", debit="250.00", balance="750.00"),
            RowOut(
                date="05/01/2025", description="UPI/DR/1234/AMAZON", debit="50.00", balance="700.00"
            ),
        ],
    )
    page2 = PageOut(
        index=1,
        header=True,
        columns=_cols("date", "description", "debit", "credit", "balance"),
        lead="SELLER SERVICES",
        rows=[
            RowOut(date="13/01/2025", description="SALARY", credit="2,000.00", balance="2,700.00")
        ],
    )
    result, notes = assemble_pages([page1, page2])
    assert notes.date_order == "DMY"  # 13/01 decides for the whole document
    assert [t.description for t in result.transactions] == [
        "ZOMATO",
        "UPI/DR/1234/AMAZON SELLER SERVICES",
        "SALARY",
    ]
    assert [t.amount for t in result.transactions] == [-250.0, -50.0, 2000.0]
    assert [t.page for t in result.transactions] == [1, 1, 2]
    assert result.account.opening_balance == 1000.0
    assert result.account.closing_balance == 2700.0
    assert result.checks.balance_continuity is True
    assert result.checks.opening_plus_net_equals_closing is True
    assert result.confidence >= 0.9 and not result.requires_review
    assert result.summary.total_debits == 300.0 and result.summary.total_credits == 2000.0


def test_arithmetic_decides_which_inferred_column_is_debit() -> None:
    # columns inferred from values only: the left one is guessed "debit", but the balances
    # only hold if the left column holds the credits
    page = PageOut(
        index=0,
        columns=_cols("date", "description", "debit", "credit", "balance", certain=False),
        rows=[
            RowOut(
                date="02/01/2025", description="Opening Balance", balance="100.00", kind="opening"
            ),
            RowOut(date="03/01/2025", description="IN", debit="40.00", balance="140.00"),
            RowOut(date="04/01/2025", description="OUT", credit="10.00", balance="130.00"),
        ],
    )
    result, notes = assemble_pages([page])
    assert notes.swapped_columns
    assert [(t.debit, t.credit) for t in result.transactions] == [(None, 40.0), (10.0, None)]
    assert result.checks.balance_continuity is True


def test_failed_check_names_rows_and_nothing_is_invented() -> None:
    page = PageOut(
        index=0,
        header=True,
        columns=_cols("date", "description", "amount", "balance"),
        info=_info("Opening Balance : 100.00"),
        rows=[
            RowOut(date="01/02/2025", description="A", amount="-10.00", balance="90.00"),
            RowOut(date="01/03/2025", description="B", amount="-10.00", balance="75.00"),
            RowOut(date="01/04/2025", description="C", amount="5.00", balance="80.00"),
        ],
    )
    result, _ = assemble_pages([page])
    assert result.checks.balance_continuity is False
    assert result.requires_review
    assert "balance_continuity" in result.review_reasons
    assert "balance_continuity_row_2" in result.review_reasons
    assert [t.balance for t in result.transactions] == [90.0, 75.0, 80.0]  # as printed
    assert result.confidence < 0.9


def test_low_confidence_ocr_digit_is_read_the_way_the_arithmetic_proves() -> None:
    rows = [
        RowOut(date="01/02/2025", description="A", amount="-10.00", balance="90.00"),
        # the OCR was unsure of this balance: 85.00 printed, read as 86.00
        RowOut(
            date="02/02/2025",
            description="B",
            amount="-5.00",
            balance="86.00",
            confidence={"balance": 0.62, "amount": 0.99},
        ),
        RowOut(date="03/02/2025", description="C", amount="-5.00", balance="80.00"),
    ]
    page = PageOut(
        index=0,
        header=True,
        source="ocr",
        ocr_confidence=0.97,
        columns=_cols("date", "description", "amount", "balance"),
        info=_info("Opening Balance : 100.00"),
        rows=rows,
    )
    result, notes = assemble_pages([page])
    assert notes.repaired == [1]
    assert result.transactions[1].balance == 85.0
    assert result.checks.balance_continuity is True
    # the same misreading from a text layer (confidence 1.0) is never changed
    rows[1].confidence = {}
    page.source, page.ocr_confidence = "text_layer", None
    result, notes = assemble_pages([page])
    assert notes.repaired == []
    assert result.checks.balance_continuity is False


def test_month_first_documents_and_european_amounts() -> None:
    page = PageOut(
        index=0,
        header=True,
        columns=_cols("date", "description", "debit", "credit", "balance"),
        info=_info("Routing Number : 021000021", "Beginning Balance : 1.000,00"),
        rows=[
            RowOut(date="01/05/2025", description="A", debit="1.234,50", balance="-234,50"),
            RowOut(date="01/13/2025", description="B", credit="234,50", balance="0,00"),
        ],
    )
    result, notes = assemble_pages([page])
    assert notes.decimal_mark == ","
    assert notes.date_order == "MDY"
    assert [t.date for t in result.transactions] == ["2025-01-05", "2025-01-13"]
    assert result.transactions[0].debit == 1234.5
    assert result.checks.balance_continuity is True


def test_card_statement_signs_and_year_from_the_statement_date() -> None:
    page = PageOut(
        index=0,
        header=True,
        columns=_cols("date", "description", "amount"),
        info=_info("CREDIT CARD STATEMENT", "STATEMENT DATE 01-07-2023", "Total Amount Due"),
        rows=[
            RowOut(
                description="LAST MONTH'S BALANCE", amount="412.16", kind="opening", dated=False
            ),
            RowOut(date="02/07", description="PAYMENT BY INTERNET", amount="(412.16)"),
            RowOut(date="03/07", description="CAFE", amount="4.20"),
        ],
    )
    result, _ = assemble_pages([page])
    assert [t.date for t in result.transactions] == ["2023-07-02", "2023-07-03"]
    assert [t.amount for t in result.transactions] == [412.16, -4.2]
    assert result.account.opening_balance == 412.16


def test_no_rows_means_review() -> None:
    result, _ = assemble_pages([PageOut(index=0)])
    assert result.transactions == []
    assert result.requires_review and result.review_reasons == ["no_transactions_found"]


def test_unsure_opening_balance_is_read_the_way_the_rows_prove() -> None:
    info = _info("Opening Balance : 1,400.00", "Closing Balance : 1,050.00")
    info[0].conf = [0.99, 0.99, 0.99, 0.71]  # "1,400.00" read with low confidence
    info[1].conf = [0.99, 0.99, 0.99, 0.99]
    page = PageOut(
        index=0,
        header=True,
        source="ocr",
        ocr_confidence=0.96,
        columns=_cols("date", "description", "amount", "balance"),
        info=info,
        rows=[
            RowOut(date="01/02/2025", description="A", amount="-100.00", balance="1,000.00"),
            RowOut(date="02/02/2025", description="B", amount="50.00", balance="1,050.00"),
        ],
    )
    result, notes = assemble_pages([page])
    assert notes.repaired_fields == ["opening_balance"]
    assert result.account.opening_balance == 1100.0
    assert result.checks.balance_continuity and result.checks.opening_plus_net_equals_closing
    # read from a text layer, the same value is reported as printed and fails its check
    info[0].conf, info[1].conf = [], []
    page.source = "text_layer"
    result, notes = assemble_pages([page])
    assert result.account.opening_balance == 1400.0
    assert result.checks.balance_continuity is False and result.requires_review


def test_a_date_that_cannot_be_read_sends_the_document_to_review() -> None:
    # the arithmetic holds, but the second row's date was read "De< 10. 2023": it is
    # neither guessed nor taken from the row above
    page = _ocr_debits(
        _info("Opening Balance : 1,000.00", "Closing Balance : 700.00"),
        RowOut(date="08/12/2023", description="A", debit="100.00", balance="900.00"),
        RowOut(date="De< 10. 2023", description="B", debit="200.00", balance="700.00"),
    )
    result, _ = assemble_pages([page])
    assert result.checks.balance_continuity is True
    assert [t.date for t in result.transactions] == ["2023-12-08", None]
    assert result.requires_review
    assert result.review_reasons == ["missing_dates", "missing_date_row_2"]
    assert result.confidence < 0.9


def test_an_amount_read_but_not_a_number_sends_the_document_to_review() -> None:
    # the balance gap spans the unreadable cell, so continuity alone would pass
    page = _ocr_debits(
        _info("Opening Balance : 1,000.00"),
        RowOut(date="07/05/2024", description="A", debit="100.00", balance="084..51C>"),
        RowOut(date="08/05/2024", description="B", debit="200.00", balance="700.00"),
    )
    result, notes = assemble_pages([page])
    assert result.checks.balance_continuity is True
    assert notes.unreadable_rows == [0]
    assert result.transactions[0].balance is None
    assert result.requires_review
    assert result.review_reasons == ["unreadable_amounts", "unreadable_amount_row_1"]
