"""Documents made in the tests: small real PDFs and images, built with PyMuPDF and Pillow."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pymupdf
from PIL import Image, ImageDraw


def text_pdf(pages: Sequence[Sequence[str]], *, fontsize: float = 9) -> bytes:
    """A PDF with a real text layer: one list of lines per page."""
    doc = pymupdf.open()
    for lines in pages:
        page = doc.new_page(width=595, height=842)
        y = 60.0
        for line in lines:
            page.insert_text((40, y), line, fontsize=fontsize, fontname="helv")
            y += fontsize * 1.6
    data: bytes = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    return data


def simple_statement_pdf(rows: int = 5, *, pages: int = 1) -> bytes:
    """A small bank statement: header, opening balance, rows with a running balance."""
    out: list[list[str]] = []
    balance = 1000.0
    for p in range(pages):
        lines = [
            "Demo Bank Ltd  Statement of Account",
            "Account Number: 000123456789   IFSC: DEMO0001234",
            "Date        Description                 Debit      Credit     Balance",
        ]
        if p == 0:
            lines.append(
                f"01/01/2025  Opening Balance                                   {balance:,.2f}"
            )
        for r in range(rows):
            amount = 10.0 * (r + 1 + p)
            balance -= amount
            lines.append(
                f"{(r % 27) + 2:02d}/01/2025  PURCHASE {p}-{r}  {amount:>10,.2f}"
                f"             {balance:>10,.2f}"
            )
        out.append(lines)
    return text_pdf(out)


def encrypted_pdf(password: str, lines: Sequence[str] = ("secret statement",)) -> bytes:
    doc = pymupdf.open(stream=text_pdf([lines]), filetype="pdf")
    data: bytes = doc.tobytes(
        encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw=password + "-owner", user_pw=password
    )
    doc.close()
    return data


def image_bytes(
    width: int = 400,
    height: int = 300,
    *,
    fmt: str = "PNG",
    text: str = "hello",
    background: str = "white",
) -> bytes:
    image = Image.new("RGB", (width, height), background)
    ImageDraw.Draw(image).text((10, 10), text, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


__all__ = ["encrypted_pdf", "image_bytes", "simple_statement_pdf", "text_pdf"]
