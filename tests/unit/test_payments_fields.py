"""The payment field parsers, one by one, on text laid out as receipts lay it out."""

from __future__ import annotations

from datetime import date, time

import pytest

from services.payments.extract import (
    extract_payment,
    page_from_texts,
    parse_match_date,
    validate,
)
from services.payments.extract import fields as f
from services.payments.extract.extractor import Extraction, PaymentFields

# ---------------------------------------------------------------------------- amount


@pytest.mark.parametrize(
    ("lines", "want"),
    [
        (["Google Pay", "₹1,000", "Paid to John"], "1000"),
        (["₹ 1,25,000.50"], "125000.50"),
        (["Amount: Rs. 27,619.00"], "27619.00"),
        (["Amount || INR 8,688.00"], "8688.00"),
        (["Paid ₹625.00", "Status: Completed"], "625.00"),
        (["天87,647.00", "Sent to X"], "87647.00"),  # bold ₹ misread as another glyph
        (["KARAN SINGH || 950"], "950"),  # ₹ dropped, number alone at the right
        (["Rs.500", "UTR: 123456789012"], "500"),
    ],
)
def test_amount_in_app_formats(lines: list[str], want: str) -> None:
    found = f.find_amount(page_from_texts(lines))
    assert found is not None
    assert found.value == want


def test_amount_ignores_ids_and_bad_grouping() -> None:
    page = page_from_texts(["UPI transaction ID", "567735198192", "A/c XXXX1234", "1,0,00"])
    assert f.find_amount(page) is None


def test_amount_prefers_currency_marked_over_bare_numbers() -> None:
    page = page_from_texts(["Order 12,345", "₹499"])
    found = f.find_amount(page)
    assert found is not None and found.value == "499"


def test_parse_number_indian_grouping() -> None:
    assert f.parse_number("1,25,000.50") == 125000.5
    assert f.parse_number("abc") is None


# ---------------------------------------------------------------------------- dates/times


@pytest.mark.parametrize(
    ("text", "want_date", "want_time"),
    [
        ("8 Nov 2025, 1:24 pm", date(2025, 11, 8), time(13, 24)),
        ("08/11/2025 13:24", date(2025, 11, 8), time(13, 24)),
        ("Nov 08, 2025 at 01:24 PM", date(2025, 11, 8), time(13, 24)),
        ("12:06 am on 14 Mar 2026", date(2026, 3, 14), time(0, 6)),
        ("04-12-202509:35:42", date(2025, 12, 4), time(9, 35, 42)),  # OCR glued date+time
        ("2025-11-08 13:24:00", date(2025, 11, 8), time(13, 24)),
        ("28 Aug 2024 at 5:29 AM", date(2024, 8, 28), time(5, 29)),
        ("Date: 25 May 2024", date(2024, 5, 25), None),
    ],
)
def test_dates_and_times_in_app_formats(text: str, want_date: date, want_time: time | None) -> None:
    day, clock = f.find_date_time(page_from_texts([text]))
    assert day is not None and day.value == want_date.isoformat()
    if want_time is None:
        assert clock is None
    else:
        assert clock is not None and clock.value == want_time.strftime("%H:%M:%S")


def test_time_from_the_next_row_when_the_date_row_has_none() -> None:
    day, clock = f.find_date_time(page_from_texts(["Date: 25 May 2024", "Time: 19:20:20"]))
    assert day is not None and day.value == "2024-05-25"
    assert clock is not None and clock.value == "19:20:20"


def test_impossible_dates_and_times_are_not_read() -> None:
    assert f.parse_date("31/02/2025") is None
    assert f.parse_time("25:61") is None
    assert f.parse_time("13:24 pm") is None
    assert f.parse_time("12.50") is None  # an amount, not a time
    assert f.parse_time("12.50 pm") == time(12, 50)


def test_numeric_dates_are_day_first_unless_impossible() -> None:
    assert f.parse_date("03/04/2025")[0] == date(2025, 4, 3)  # type: ignore[index]
    assert f.parse_date("12/25/2025")[0] == date(2025, 12, 25)  # type: ignore[index]


# ---------------------------------------------------------------------------- status


@pytest.mark.parametrize(
    ("lines", "want"),
    [
        (["Payment Successful"], "completed"),
        (["Completed"], "completed"),
        (["Paid to Ravi"], "completed"),
        (["Transaction Failed", "Paid from || Ravi"], "failed"),
        (["Payment pending", "Paid from || Ravi"], "pending"),
        (["Processing"], "pending"),
        (["Unsuccessful"], "failed"),
    ],
)
def test_status_words(lines: list[str], want: str) -> None:
    found = f.find_status(page_from_texts(lines))
    assert found is not None and found.value == want


def test_no_status_word_is_none() -> None:
    assert f.find_status(page_from_texts(["₹100", "Ravi"])) is None


# ---------------------------------------------------------------------------- transaction id


@pytest.mark.parametrize(
    ("lines", "want"),
    [
        (
            ["UPI transaction ID", "567735198192", "Google transaction ID", "CICAgIDx4ZK3Lg"],
            "567735198192",
        ),
        (
            ["Transaction ID", "T2511081324095512345678", "UTR: 567735198192"],
            "567735198192",
        ),
        (["UPI Ref No: 374391500080", "Order ID: 36083778353374068"], "374391500080"),
        (
            ["Bank Reference ID || 340861416371", "Amazon Pay Transaction ID", "P1411656"],
            "340861416371",
        ),
        (["UTR Number || KKBKN53389598972"], "KKBKN53389598972"),
        (["IMPS Ref No.: 669074391500"], "669074391500"),
        (["Txn ID: BHIM5a2b3c4d5e", "UPI Ref ID: 374391500080"], "374391500080"),
        (["Transaction ID", "T2511081324095512345678"], "T2511081324095512345678"),
        (["Payment to Ravi", "567735198192"], "567735198192"),  # unlabelled 12 digits
    ],
)
def test_transaction_ids(lines: list[str], want: str) -> None:
    found = f.find_transaction_id(page_from_texts(lines))
    assert found is not None and found.value == want


def test_labelled_ids_fix_ocr_lookalikes() -> None:
    found = f.find_transaction_id(page_from_texts(["UPI Ref No: 5677351981O2"]))
    assert found is not None and found.value == "567735198102"


def test_account_numbers_and_foreign_ids_are_not_transaction_ids() -> None:
    page = page_from_texts(["Order ID: 123456789012", "A/c XXXX123456789012"])
    assert f.find_transaction_id(page) is None


# ---------------------------------------------------------------------------- UPI id


def test_upi_id_is_the_payees_not_the_payers() -> None:
    page = page_from_texts(
        [
            "Paid to KAVYA REDDY",
            "kavya_reddy@okaxis",
            "From: Pooja Verma (State Bank of India)",
            "Google Pay • pooja.verma@okicici",
        ]
    )
    found = f.find_upi_id(page)
    assert found is not None and found.value == "kavya_reddy@okaxis"


def test_upi_id_labelled_and_normalised() -> None:
    found = f.find_upi_id(page_from_texts(["From: A", "VPA: Ravi.K@axI"]))
    assert found is not None and found.value == "ravi.k@axl"  # OCR's I for l snapped back


def test_emails_are_not_upi_ids() -> None:
    assert f.find_upi_id(page_from_texts(["support@gmail.com"])) is None


def test_normalise_upi_keeps_unknown_handles() -> None:
    assert f.normalise_upi("Shop", "MyBank") == "shop@mybank"
    assert f.normalise_upi("a", "ybI") == "a@ybl"


# ---------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("lines", "want"),
    [
        (["Paid to SUDIPTO KUMAR BHATTACHARJEE"], "SUDIPTO KUMAR BHATTACHARJEE"),
        (["To: Vikram Patel"], "Vikram Patel"),
        (["Sent to Manoj Bhattacharjee"], "Manoj Bhattacharjee"),
        (["Paid Successfully to", "Vikram Patel"], "Vikram Patel"),
        (["Paid to", "KARAN SINGH || 950"], "KARAN SINGH"),
        (["Beneficiary Name || MANOJ RAO"], "MANOJ RAO"),
        (["To", "Priya Nair", "priya@okicici"], "Priya Nair"),
    ],
)
def test_payee_names(lines: list[str], want: str) -> None:
    found = f.find_payee(page_from_texts(lines))
    assert found is not None and found.value == want


@pytest.mark.parametrize(
    ("lines", "want"),
    [
        (["From: John Doe (State Bank of India)"], "John Doe"),
        (["Paid from || Arjun Prasad Das"], "Arjun Prasad Das"),
        (["Remitter Name || AMIT PILLAI"], "AMIT PILLAI"),
        (["From A/c: XX1150 (Rohan Lal Verma)"], "Rohan Lal Verma"),
        (["From", "Rohan Lal Verma"], "Rohan Lal Verma"),
    ],
)
def test_payer_names(lines: list[str], want: str) -> None:
    found = f.find_payer(page_from_texts(lines))
    assert found is not None and found.value == want


def test_account_numbers_are_not_payer_names() -> None:
    assert f.find_payer(page_from_texts(["Debited from", "XXXXXXXX7350"])) is None


@pytest.mark.parametrize("text", ["XXXX1234", "ravi@ybl", "State Bank of India", "Completed", "1"])
def test_clean_name_refuses_non_names(text: str) -> None:
    assert f.clean_name(text) is None


# ---------------------------------------------------------------------------- method


def test_payment_method() -> None:
    assert (
        f.find_method(page_from_texts(["Transfer Mode || NEFT"]), upi_id=None, transaction_id=None)
        == "NEFT"
    )
    assert (
        f.find_method(
            page_from_texts(["IMPS Transfer Successful"]), upi_id=None, transaction_id=None
        )
        == "IMPS"
    )
    assert f.find_method(page_from_texts(["Paid"]), upi_id="a@ybl", transaction_id=None) == "UPI"
    assert f.find_method(page_from_texts(["Paid"]), upi_id=None, transaction_id="ABC") == "unknown"


def test_currency_defaults_to_inr_and_reads_iso_codes() -> None:
    page = page_from_texts(["USD 25.00 paid"])
    assert f.find_currency(page, f.find_amount(page_from_texts(["₹25"]))) == "INR"
    amount = f.Found("25.00", page.lines[0])
    assert f.find_currency(page, amount) == "USD"


# ---------------------------------------------------------------------------- whole pages

GPAY = [
    "Google Pay",
    "₹1,000",
    "Paid to SUDIPTO KUMAR BHATTACHARJEE",
    "sudipto@okaxis",
    "Completed",
    "8 Nov 2025, 1:24 pm",
    "UPI transaction ID",
    "567735198192",
    "From: John Doe (State Bank of India)",
    "Google transaction ID",
    "CICAgIDx4ZK3Lg",
]


def test_a_whole_gpay_receipt() -> None:
    result = extract_payment(page_from_texts(GPAY))
    assert result.is_payment_screenshot
    assert result.fields == PaymentFields(
        amount=1000.0,
        currency="INR",
        payer_name="John Doe",
        payee_name="SUDIPTO KUMAR BHATTACHARJEE",
        date="2025-11-08",
        time="13:24:00",
        transaction_status="completed",
        transaction_id="567735198192",
        payment_method="UPI",
        upi_id="sudipto@okaxis",
    )
    assert 0.9 < result.confidence <= 1.0


@pytest.mark.parametrize(
    "lines",
    [
        ["Priya", "online", "I will send you ₹2,574 for the tickets", "10:23 pm", "Type a message"],
        [
            "SHARMA STORE",
            "TAX INVOICE",
            "GSTIN: 29ABCDE1Z5",
            "Item || Qty Amount",
            "Subtotal || 3,455.00",
            "Total || ₹3,627.75",
            "Paid via UPI",
        ],
        [],
        ["Happy birthday!"],
    ],
)
def test_chats_bills_and_photos_are_not_payments(lines: list[str]) -> None:
    result = extract_payment(page_from_texts(lines))
    assert not result.is_payment_screenshot
    assert result.confidence == 0.0


# ---------------------------------------------------------------------------- validation


def _extraction(**changes: object) -> Extraction:
    base = extract_payment(page_from_texts(GPAY))
    fields = PaymentFields(**{**base.fields.as_dict(), **changes})  # type: ignore[arg-type]
    return Extraction(fields, True, base.confidence, base.payment_score)


def _check(extraction: Extraction, **kwargs: object):  # type: ignore[no-untyped-def]
    options = {
        "today": date(2025, 11, 20),
        "match_date": None,
        "window_days": 3,
        "min_confidence": 0.7,
    }
    options.update(kwargs)
    return validate(extraction, **options)  # type: ignore[arg-type]


def test_validation_passes_a_good_receipt() -> None:
    verdict = _check(_extraction())
    assert verdict.failure is None and verdict.review_reason is None


def test_validation_hard_failures() -> None:
    assert _check(_extraction(amount=0.0)).failure
    assert "future" in (_check(_extraction(date="2025-12-01")).failure or "")
    assert _check(_extraction(date="2025-11-21")).failure is None  # IST is ahead of UTC
    assert _check(_extraction(date="2025-02-30")).failure
    assert _check(_extraction(time="25:00:00")).failure


def test_match_date_window() -> None:
    inside = _check(_extraction(), match_date=date(2025, 11, 10))
    outside = _check(_extraction(), match_date=date(2025, 11, 12))
    assert inside.review_reason is None
    assert outside.review_reason == "date_mismatch"
    assert (
        _check(_extraction(date=""), match_date=date(2025, 11, 8)).review_reason == "date_mismatch"
    )


def test_low_confidence() -> None:
    assert _check(_extraction(), min_confidence=0.999).review_reason == "low_confidence"


def test_parse_match_date_formats() -> None:
    assert parse_match_date("2024-01-15T00:00:00Z") == date(2024, 1, 15)
    assert parse_match_date("2024-01-15") == date(2024, 1, 15)
    assert parse_match_date("2024-01-15T23:30:00+05:30") == date(2024, 1, 15)
    with pytest.raises(ValueError):
        parse_match_date("15/01/2024")


def test_names_fix_ocr_l_for_capital_i() -> None:
    assert f.clean_name("Farhan Prasad lyer") == "Farhan Prasad Iyer"
    assert f.clean_name("la la") == "la la"  # nothing capitalised: left alone


def test_status_words_with_one_ocr_slip() -> None:
    assert f.find_status(page_from_texts(["Falled"])).value == "failed"  # type: ignore[union-attr]
    assert f.find_status(page_from_texts(["Completd"])).value == "completed"  # type: ignore[union-attr]
    assert f.find_status(page_from_texts(["Procesing"])).value == "pending"  # type: ignore[union-attr]


def test_upi_id_whose_at_sign_was_misread() -> None:
    found = f.find_upi_id(page_from_texts(["Paid to Aditya Nair", "adityanairgoksbi"]))
    assert found is not None and found.value == "adityanair@oksbi"
    assert f.find_upi_id(page_from_texts(["Completed"])) is None


def test_bare_utr_beats_an_unlabelled_app_id() -> None:
    page = page_from_texts(
        ["UPt transactin ID", "314369981166", "Goegle transaction ID", "CICAgB23im3sk9D"]
    )
    found = f.find_transaction_id(page)
    assert found is not None and found.value == "314369981166"


def test_paid_to_with_l_for_i() -> None:
    found = f.find_payee(page_from_texts(["Pald to", "POOJA KULKARNI || 17,52,218"]))
    assert found is not None and found.value == "POOJA KULKARNI"


def test_name_and_amount_merged_into_one_box() -> None:
    page = page_from_texts(["Paid to", "MANOJ PRASAD BHATTACHARJEE 5,214.78", "manoj46@ibl"])
    payee = f.find_payee(page)
    assert payee is not None and payee.value == "MANOJ PRASAD BHATTACHARJEE"
    amount = f.find_amount(page)
    assert amount is not None and amount.value == "5214.78"
