"""Magic-byte sniffing: the bytes decide the type, never the name or the declared type."""

from __future__ import annotations

import pytest

from services.common.errors import UnsupportedFileType
from services.ingest.sniff import GIF, JPEG, PDF, PNG, WEBP, sniff
from tests.unit.test_ingest_validate import make_image, make_pdf


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (make_pdf(), PDF),
        (make_image("PNG"), PNG),
        (make_image("JPEG"), JPEG),
        (make_image("GIF"), GIF),
        (make_image("WEBP"), WEBP),
        (b"\x00junk before the header %PDF-1.4\n...", PDF),
    ],
)
def test_real_types(data: bytes, expected: object) -> None:
    kind = sniff(data[:1024])
    assert kind == expected
    assert kind.is_pdf == (expected is PDF)
    assert kind.is_image == (expected is not PDF)


@pytest.mark.parametrize(
    "data",
    [
        b"Just some text, named invoice.pdf",
        b"PK\x03\x04zip archive",
        b"<html><body>%PD F</body></html>",
        b"RIFF\x00\x00\x00\x00WAVEfmt ",  # RIFF but not WEBP
        b"\x89PNG\r\n",  # cut before the full PNG signature
        b"GIF88a",
        b"\xff\xd8",
    ],
)
def test_other_bytes_are_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedFileType) as err:
        sniff(data)
    assert err.value.code == "unsupported_file_type"


def test_pdf_header_beyond_first_kilobyte_is_not_a_pdf() -> None:
    with pytest.raises(UnsupportedFileType):
        sniff(b" " * 1024 + b"%PDF-1.7")


def test_extensions_follow_the_real_type() -> None:
    assert [k.extension for k in (PDF, JPEG, PNG, GIF, WEBP)] == [
        ".pdf",
        ".jpg",
        ".png",
        ".gif",
        ".webp",
    ]
