"""Tax-id validators: GSTIN checksum, EU VAT check digits, IBAN mod 97, ids found in text."""

from __future__ import annotations

import pytest

from services.parser.extract.text.tax_ids import (
    find_tax_ids,
    gstin_check_char,
    gstin_valid,
    iban_valid,
    vat_checksum_ok,
    vat_shape_ok,
)


def test_gstin_checksum() -> None:
    assert gstin_valid("06AABCO6063D1ZQ")  # OYO's GSTIN as printed on its receipt
    assert not gstin_valid("06AABCO6063D1ZR")  # one check character off
    assert not gstin_valid("06AABCO6063D1Q")  # too short
    body = "29ABCDE1234F1Z"
    assert gstin_valid(body + gstin_check_char(body))


@pytest.mark.parametrize(
    ("vat", "ok"),
    [
        ("DE232446240", True),
        ("DE232446241", False),
        ("FR60421938861", True),
        ("FR61421938861", False),
        ("NL810433941B01", True),
        ("NL810433942B01", False),
        ("PL7740001454", True),
        ("PL7740001455", False),
    ],
)
def test_vat_check_digits(vat: str, ok: bool) -> None:
    assert vat_shape_ok(vat)
    assert vat_checksum_ok(vat) is ok


def test_vat_shape() -> None:
    assert not vat_shape_ok("DE12345678")  # 8 digits
    assert not vat_shape_ok("XX123456789")
    assert vat_shape_ok("ATU12345678")


def test_iban_mod97() -> None:
    assert iban_valid("DE89 3704 0044 0532 0130 00")
    assert iban_valid("NL50INGB0683251309")
    assert not iban_valid("DE89 3704 0044 0532 0130 01")


def test_find_ids_in_text_with_lookalikes() -> None:
    text = "Im Internet: www.qualityhosting.de UStId DE 232 446 240 SWIFT HELADEF1GEL"
    ids = find_tax_ids(text)
    assert [(t.kind, t.value, t.checksum_ok) for t in ids] == [("vat", "DE232446240", True)]
    assert text[ids[0].start : ids[0].end] == "DE 232 446 240"


def test_find_mixed_ids() -> None:
    ids = find_tax_ids("GSTIN 06AABCO6063D1ZQ IBAN DE89370400440532013000 BTW NL810433941B01")
    assert [t.kind for t in ids] == ["gstin", "iban", "vat"]
    assert all(t.checksum_ok for t in ids)


def test_gstin_ocr_repair_only_for_ocr_text() -> None:
    misread = "27NEGWY1153KIZD"  # OCR read the entity digit "1" as "I"
    assert not gstin_valid(misread)
    assert find_tax_ids(f"GSTIN: {misread}", ocr=True)[0].value == "27NEGWY1153K1ZD"
    # text-layer ids stay exactly as printed, even with a failing check character
    printed = find_tax_ids(f"GSTIN: {misread}")[0]
    assert (printed.value, printed.checksum_ok) == (misread, False)
