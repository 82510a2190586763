"""Small, deterministic inputs for the hybrid-routing benchmark, with their truth.

- Statement pages: one-page PDFs with a text layer, 10–14 rows each; on a share of pages
  one row's description wraps so that its amounts sit on the second line (the layout that
  defeats a line-at-a-time reader, so the local answer fails ``balance_continuity``).
- Payment screenshots: UPI receipts drawn with Pillow; a share are "hard": either degraded
  (a forwarded thumbnail: downscaled, blurred, JPEG-recompressed) or in a layout the local
  reader does not know (``INR`` amounts, ``Ref No`` instead of a transaction id).

The local readers here are deliberately simple (they know this benchmark's layout): the
benchmark measures routing — how much is escalated and the time that adds — not accuracy.
"""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass
from typing import Any

from services.common.gemini.schemas import PaymentAnswer, StatementPageAnswer

NAMES = ["ASHA VERMA", "RAVI KUMAR", "PRIYA NAIR", "ARJUN MEHTA", "NEHA GUPTA", "VIKRAM RAO"]
MERCHANTS = ["ZOMATO LTD", "SWIGGY", "AMAZON PAY", "BESCOM BILL", "IRCTC", "BIGBASKET"]
HANDLES = ["okaxis", "ybl", "okhdfcbank", "paytm", "oksbi"]


def money(value: float) -> str:
    return f"{value:,.2f}"


@dataclass(frozen=True)
class StatementSample:
    pdf: bytes
    truth: StatementPageAnswer
    previous_balance: float
    wrapped: bool


@dataclass(frozen=True)
class PaymentSample:
    image: bytes
    mime_type: str
    truth: PaymentAnswer
    hard: bool


def statement_pages(
    count: int, *, seed: int = 7, wrapped_share: float = 0.25
) -> list[StatementSample]:
    import pymupdf

    rng = random.Random(seed)
    balance = 25_000.0
    samples = []
    for page_no in range(1, count + 1):
        opening = balance
        wrapped_row = rng.randrange(10) if rng.random() < wrapped_share else -1
        rows: list[dict[str, Any]] = []
        lines = [
            "STATE BANK OF INDIA        Account No: XXXXXXX4821        IFSC: SBIN0001234",
            f"Page {page_no}    Balance brought forward {money(opening)}",
            "Date        Description                              Debit       Credit     Balance",
        ]
        for i in range(rng.randint(10, 14)):
            day = f"{min(28, page_no + i):02d}-01-2025"
            credit = rng.random() < 0.2
            amount = round(rng.uniform(50, 4000) * (10 if credit else 1), 2)
            balance = round(balance + (amount if credit else -amount), 2)
            ref = str(rng.randrange(10**11, 10**12))
            desc = (
                f"NEFT CR {rng.choice(NAMES)} SALARY"
                if credit
                else f"UPI/DR/{ref}/{rng.choice(MERCHANTS)}"
            )
            debit_s = "" if credit else money(amount)
            credit_s = money(amount) if credit else ""
            if i == wrapped_row:
                lines.append(f"{day}  {desc} PAYMENT FOR ORDER")
                lines.append(
                    f"            REF {ref}   {debit_s:>12} {credit_s:>12} {money(balance):>12}"
                )
            else:
                lines.append(f"{day}  {desc:<38} {debit_s:>12} {credit_s:>12} {money(balance):>12}")
            iso = f"2025-01-{day[:2]}"
            rows.append(
                {
                    "date": iso,
                    "value_date": None,
                    "description": desc,
                    # a credit row prints no reference (unless its wrapped line shows it)
                    "reference": ref if (not credit or i == wrapped_row) else None,
                    "debit": None if credit else amount,
                    "credit": amount if credit else None,
                    "amount": amount if credit else -amount,
                    "balance": balance,
                    "page": page_no,
                }
            )
        doc = pymupdf.open()
        page = doc.new_page(width=612, height=792)
        for n, line in enumerate(lines):
            page.insert_text((24, 40 + n * 16), line, fontname="cour", fontsize=8)
        pdf = doc.tobytes()
        doc.close()
        truth = StatementPageAnswer.model_validate(
            {
                "account": {
                    "bank_name": "State Bank of India",
                    "account_holder": None,
                    "account_number": "XXXXXXX4821",
                    "branch_code": "SBIN0001234",
                    "currency": "INR",
                    "period_start": None,
                    "period_end": None,
                    "opening_balance": None,
                    "closing_balance": None,
                },
                "transactions": rows,
            }
        )
        samples.append(StatementSample(pdf, truth, opening, wrapped_row >= 0))
    return samples


_ROW = re.compile(r"^(\d{2})-(\d{2})-(\d{4})\s+(.+?)\s+([\d,]+\.\d{2})\s+([\d,]+\.\d{2})\s*$")
_FORWARD = re.compile(r"Balance brought forward ([\d,]+\.\d{2})")


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def read_statement_page(text: str, page_no: int) -> tuple[StatementPageAnswer, float | None]:
    """The benchmark's local reader: one row per line, amount then balance at its end."""
    forward = _FORWARD.search(text)
    previous = _num(forward.group(1)) if forward else None
    rows = []
    balance = previous
    for line in text.splitlines():
        match = _ROW.match(line.strip())
        if not match:
            continue
        amount, new_balance = _num(match.group(5)), _num(match.group(6))
        credit = balance is not None and new_balance > balance
        rows.append(
            {
                "date": f"{match.group(3)}-{match.group(2)}-{match.group(1)}",
                "description": match.group(4).strip(),
                "debit": None if credit else amount,
                "credit": amount if credit else None,
                "amount": amount if credit else -amount,
                "balance": new_balance,
                "page": page_no,
            }
        )
        balance = new_balance
    answer = StatementPageAnswer.model_validate({"account": {}, "transactions": rows})
    return answer, previous


def payment_screens(count: int, *, seed: int = 11, hard_share: float = 0.3) -> list[PaymentSample]:
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    rng = random.Random(seed)
    samples = []
    for _ in range(count):
        hard = rng.random() < hard_share
        kind = rng.choice(["degraded", "layout"]) if hard else "plain"
        name = rng.choice(NAMES)
        handle = rng.choice(HANDLES)
        upi = f"{name.split()[0].lower()}{rng.randrange(10, 99)}@{handle}"
        amount = round(rng.uniform(10, 20000), 0 if rng.random() < 0.5 else 2)
        txn = str(rng.randrange(10**11, 10**12))
        hour, minute = rng.randrange(24), rng.randrange(60)
        day = rng.randrange(1, 29)
        clock = f"{(hour % 12) or 12}:{minute:02d} {'pm' if hour >= 12 else 'am'}"
        image = Image.new("RGB", (540, 960), "white")
        draw = ImageDraw.Draw(image)
        if kind == "layout":
            lines = [
                (28, "Money sent"),
                (24, "Amount"),
                (52, f"INR {money(amount)}"),
                (26, f"To: {name}"),
                (24, f"VPA {upi}"),
                (24, f"Ref No {txn}"),
                (24, f"{day:02d}/11/2025 {clock}"),
            ]
        else:
            lines = [
                (28, "Payment successful"),
                (56, f"Rs. {money(amount)}"),
                (26, f"Paid to {name}"),
                (24, f"UPI ID: {upi}"),
                (24, f"UPI transaction ID: {txn}"),
                (24, f"{day:02d} Nov 2025, {clock}"),
            ]
        y = 120
        for size, text in lines:
            draw.text((40, y), text, fill=(20, 20, 20), font=ImageFont.load_default(size=size))
            y += size + 40
        buf = io.BytesIO()
        if kind == "degraded":
            image = image.resize((190, 338)).filter(ImageFilter.GaussianBlur(0.8))
            image.save(buf, format="JPEG", quality=30)
            mime = "image/jpeg"
        else:
            image.save(buf, format="PNG")
            mime = "image/png"
        truth = PaymentAnswer(
            amount=amount,
            currency="INR",
            payer_name="",
            payee_name=name,
            date=f"2025-11-{day:02d}",
            time=f"{hour:02d}:{minute:02d}:00",
            transaction_status="completed",
            transaction_id=txn,
            payment_method="UPI",
            upi_id=upi,
            is_payment_screenshot=True,
            confidence=0.9,
        )
        samples.append(PaymentSample(buf.getvalue(), mime, truth, hard))
    return samples


_AMOUNT = re.compile(r"(?:Rs\.?|₹)\s*([\d,]+(?:\.\d{1,2})?)")
_TXN = re.compile(r"(?:transaction\s*id|utr)\s*:?\s*([\d ]{10,})", re.IGNORECASE)


def read_payment_text(text: str) -> tuple[float | None, str | None]:
    """The benchmark's local reader: the amount after Rs./₹ and the transaction id."""
    amount = _AMOUNT.search(text)
    txn = _TXN.search(text)
    return (
        _num(amount.group(1)) if amount else None,
        txn.group(1).replace(" ", "") if txn else None,
    )
