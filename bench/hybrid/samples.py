"""Small, deterministic inputs for the hybrid-routing benchmark, with their truth.

(Statements come from the statement evaluation generator and are read by the real engine;
see bench/hybrid/run.py.)

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

from services.common.gemini.schemas import PaymentAnswer

NAMES = ["ASHA VERMA", "RAVI KUMAR", "PRIYA NAIR", "ARJUN MEHTA", "NEHA GUPTA", "VIKRAM RAO"]
MERCHANTS = ["ZOMATO LTD", "SWIGGY", "AMAZON PAY", "BESCOM BILL", "IRCTC", "BIGBASKET"]
HANDLES = ["okaxis", "ybl", "okhdfcbank", "paytm", "oksbi"]


def money(value: float) -> str:
    return f"{value:,.2f}"


@dataclass(frozen=True)
class PaymentSample:
    image: bytes
    mime_type: str
    truth: PaymentAnswer
    hard: bool


def _num(text: str) -> float:
    return float(text.replace(",", ""))


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
