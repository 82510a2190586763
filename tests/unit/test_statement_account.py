"""Account header fields from the lines around the table."""

from __future__ import annotations

from services.parser.extract.statement.account import find_dates, read_account
from services.parser.extract.statement.model import InfoLine


def _lines(*rows: list[tuple[float, str]]) -> list[InfoLine]:
    out = []
    for i, row in enumerate(rows):
        y = 20.0 + 14 * i
        out.append(InfoLine(words=[(t, x, y, x + 5.5 * len(t), y + 9) for x, t in row]))
    return out


def _words(x: float, text: str) -> list[tuple[float, str]]:
    out = []
    for word in text.split():
        out.append((x, word))
        x += 5.5 * len(word) + 3
    return out


def test_labelled_values_on_one_line() -> None:
    lines = _lines(
        _words(40, "Demo Bank Ltd  Statement of Account"),
        _words(40, "Account Name : MR ASHA VERMA") + _words(300, "Branch Name : MG ROAD"),
        _words(40, "Account Number : XXXXXXX4821") + _words(300, "IFSC Code : SBIN0001234"),
        _words(40, "Statement Period : 01 Jan 2025 to 31 Jan 2025"),
        _words(40, "Opening Balance : 10,234.50"),
    )
    fields = read_account(lines, first_page_lines=len(lines))
    assert fields.bank_name == "Demo Bank Ltd"
    assert fields.account_holder == "ASHA VERMA"
    assert fields.account_number == "XXXXXXX4821"
    assert fields.branch_code == "SBIN0001234"
    assert fields.period == ("01 Jan 2025", "31 Jan 2025")
    assert fields.opening == "10,234.50"


def test_iban_sort_code_and_summary_box_values_below_labels() -> None:
    lines = _lines(
        _words(40, "IBAN: DE89 3704 0044 0532 0130 00"),
        _words(40, "Sort code 20-45-77"),
        _words(40, "Opening Balance")
        + _words(200, "Total Debits")
        + _words(360, "Closing Balance"),
        _words(60, "1.000,00") + _words(210, "250,00") + _words(380, "750,00"),
    )
    fields = read_account(lines, first_page_lines=len(lines))
    assert fields.branch_code == "DE89 3704 0044 0532 0130 00"
    assert fields.opening == "1.000,00"
    assert fields.closing == "750,00"


def test_dates_found_in_free_text() -> None:
    found = find_dates("January 1, 2025 through January 31, 2025", order="MDY")
    assert [d.isoformat() for d in found] == ["2025-01-01", "2025-01-31"]
    found = find_dates("From : 01/02/2025 To : 28/02/2025", order="DMY")
    assert [d.isoformat() for d in found] == ["2025-02-01", "2025-02-28"]


def test_period_separator_survives_ocr_spacing() -> None:
    for text, expected in (
        ("Statement Period : 01 Jan 2025 to 31 Jan 2025", ("01 Jan 2025", "31 Jan 2025")),
        ("Statement Period : 01/10/2024 To:31/10/2024", ("01/10/2024", "31/10/2024")),
        ("Statement Period : 01/10/2024To 31/10/2024", ("01/10/2024", "31/10/2024")),
        ("From : 01/04/2023 To :30/04/2023", ("01/04/2023", "30/04/2023")),
        ("Statement Period : 01.10.2024 - 31.10.2024", ("01.10.2024", "31.10.2024")),
    ):
        fields = read_account(_lines(_words(40, text)), first_page_lines=1)
        assert fields.period == expected, text
    # A name that merely contains "to" is no separator.
    fields = read_account(_lines(_words(40, "Statement Period : Toronto 2024")), first_page_lines=1)
    assert fields.period is None


def test_branch_code_label() -> None:
    fields = read_account(_lines(_words(40, "Branch Code : 586161")), first_page_lines=1)
    assert fields.branch_code == "586161"


def test_card_and_account_title_labels() -> None:
    for label in ("Cardmember", "Title of Account", "Account Title"):
        lines = _lines(
            _words(40, "Liberty Shore Card Services"), _words(40, f"{label} : ROBERT A MILLER")
        )
        fields = read_account(lines, first_page_lines=len(lines))
        assert (fields.bank_name, fields.account_holder) == (
            "Liberty Shore Card Services",
            "ROBERT A MILLER",
        ), label
