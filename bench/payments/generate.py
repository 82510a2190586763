"""Synthetic payment screenshots with ground truth, deterministic for a seed.

Eight app styles (GPay-, PhonePe-, Paytm-, BHIM-, Amazon-Pay-, WhatsApp-Pay-like receipts and
NEFT/IMPS confirmations from bank apps), light and dark themes, 720×1600 and 1080×2400,
plus non-payment images (chat, bill, photo-like). Each rendered screenshot also comes as a
JPEG-compressed copy and a resized copy, as users forward them.

Styles are split in halves: ``DEV_STYLES`` (what the extractor was developed on) and
``HELDOUT_STYLES`` (reported separately, never tuned on).

Usage: ``python -m bench.payments.generate OUT_DIR [--seed N] [--per-style N]`` writes the
images and ``truth.json``.
"""

from __future__ import annotations

import argparse
import calendar
import io
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

DEV_STYLES = ("gpay", "phonepe", "amazonpay", "bank_neft")
HELDOUT_STYLES = ("paytm", "bhim", "whatsapp", "bank_imps")
NON_PAYMENT_KINDS = ("chat", "bill", "photo")
SIZES = {"720p": (720, 1600), "1080p": (1080, 2400)}

_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path(__file__).resolve().parents[2]
    / ".venv/lib/python3.11/site-packages/matplotlib/mpl-data/fonts/ttf",
)


def _font_path(name: str) -> str:
    for folder in _FONT_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    try:
        import matplotlib

        path = Path(matplotlib.get_data_path()) / "fonts/ttf" / name
        if path.exists():
            return str(path)
    except ImportError:  # pragma: no cover
        pass
    raise FileNotFoundError(f"font {name} not found (install fonts-dejavu or matplotlib)")


_FONT_CACHE: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}


def font(size: int, *, bold: bool = False, family: str = "sans") -> ImageFont.FreeTypeFont:
    name = {
        ("sans", False): "DejaVuSans.ttf",
        ("sans", True): "DejaVuSans-Bold.ttf",
        ("serif", False): "DejaVuSerif.ttf",
        ("serif", True): "DejaVuSerif-Bold.ttf",
        ("mono", False): "DejaVuSansMono.ttf",
        ("mono", True): "DejaVuSansMono-Bold.ttf",
    }[(family, bold)]
    key = (name, size)
    if key not in _FONT_CACHE:
        _FONT_CACHE[key] = ImageFont.truetype(_font_path(name), size)
    return _FONT_CACHE[key]


FIRST = [
    "Sudipto",
    "Priya",
    "Rahul",
    "Ananya",
    "Vikram",
    "Neha",
    "Arjun",
    "Kavya",
    "Rohan",
    "Sneha",
    "Aditya",
    "Pooja",
    "Karan",
    "Meera",
    "Siddharth",
    "Divya",
    "Amit",
    "Lakshmi",
    "Farhan",
    "Ishita",
    "Manoj",
    "Tanvi",
    "Harish",
    "Nandini",
    "Gaurav",
    "Ritika",
    "Suresh",
]
LAST = [
    "Bhattacharjee",
    "Sharma",
    "Patel",
    "Iyer",
    "Reddy",
    "Gupta",
    "Nair",
    "Singh",
    "Mehta",
    "Das",
    "Kulkarni",
    "Menon",
    "Chatterjee",
    "Joshi",
    "Rao",
    "Verma",
    "Khan",
    "Pillai",
    "Agarwal",
    "Banerjee",
    "Mishra",
    "Desai",
]
SHOPS = [
    "Sharma General Store",
    "Fresh Mart",
    "Annapurna Tiffins",
    "City Medicals",
    "Green Grocers",
]
HANDLES = {
    "gpay": ["okaxis", "okhdfcbank", "okicici", "oksbi"],
    "phonepe": ["ybl", "ibl", "axl"],
    "paytm": ["paytm", "ptyes", "ptaxis"],
    "bhim": ["upi", "sbi", "pnb"],
    "amazonpay": ["apl", "yapl", "rapl"],
    "whatsapp": ["okicici", "icici", "waaxis"],
}
BANKS = [
    ("State Bank of India", "SBIN"),
    ("HDFC Bank", "HDFC"),
    ("ICICI Bank", "ICIC"),
    ("Axis Bank", "UTIB"),
    ("Kotak Mahindra Bank", "KKBK"),
]
MONTHS = [calendar.month_abbr[i] for i in range(1, 13)]


@dataclass
class Row:
    """One line of a screen: text pieces laid out left/center/right or as label/value."""

    text: str = ""
    size: int = 34
    bold: bool = False
    align: str = "left"  # left | center | right | pair | stack
    color: str = "fg"
    value: str = ""  # right-hand value for "pair"
    gap: int = 18
    family: str = "sans"
    band: str | None = None  # fill a full-width band behind the row with this colour


@dataclass
class Theme:
    bg: str
    fg: str
    muted: str
    accent: str
    card: str


@dataclass
class Sample:
    """A rendered image with its ground truth (``data`` is the contract's ``data``)."""

    name: str
    style: str
    theme: str
    size: str
    variant: str  # original | jpeg | resized
    split: str  # dev | heldout | negative
    image: bytes
    is_payment: bool
    data: dict[str, Any] = field(default_factory=dict)

    def truth(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "style": self.style,
            "theme": self.theme,
            "size": self.size,
            "variant": self.variant,
            "split": self.split,
            "is_payment": self.is_payment,
            "data": self.data,
        }


# ---------------------------------------------------------------------------- values


def indian_grouping(amount: float, *, decimals: bool) -> str:
    whole = int(amount)
    paise = round((amount - whole) * 100)
    s = str(whole)
    if len(s) > 3:
        head, tail = s[:-3], s[-3:]
        parts: list[str] = []
        while len(head) > 2:
            parts.insert(0, head[-2:])
            head = head[:-2]
        if head:
            parts.insert(0, head)
        s = ",".join([*parts, tail])
    if decimals or paise:
        s += f".{paise:02d}"
    return s


def _name(rng: random.Random) -> str:
    parts = [rng.choice(FIRST)]
    if rng.random() < 0.3:
        parts.append(rng.choice(["Kumar", "Devi", "Raj", "Lal", "Prasad"]))
    parts.append(rng.choice(LAST))
    return " ".join(parts)


def _upi(name: str, handle: str, rng: random.Random) -> str:
    first = name.split()[0].lower()
    last = name.split()[-1].lower()
    form = rng.choice(["{f}.{l}", "{f}{n}", "{f}{l}", "{l}.{f}{n}", "{f}_{l}"])
    return form.format(f=first, l=last[:8], n=rng.randint(1, 999)) + "@" + handle


def _when(rng: random.Random) -> datetime:
    start = datetime(2024, 1, 1)
    span = (datetime(2026, 11, 15) - start).total_seconds()
    moment = start + timedelta(seconds=rng.randrange(int(span)))
    return moment.replace(microsecond=0)


def _amount(rng: random.Random) -> float:
    r = rng.random()
    if r < 0.55:
        value = float(rng.randint(1, 200) * rng.choice([5, 10, 1]))
    elif r < 0.85:
        value = float(rng.randint(100, 99_999))
    elif r < 0.95:
        value = rng.randint(1000, 9_999_99) / 100
    else:
        value = float(rng.randint(100_000, 2_500_000))
    return max(value, 1.0)


def _utr(rng: random.Random) -> str:
    return str(rng.choice([3, 4, 5, 6])) + "".join(str(rng.randint(0, 9)) for _ in range(11))


def _alnum(rng: random.Random, n: int, alphabet: str = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _hhmm12(moment: datetime, *, lead_zero: bool, upper: bool) -> str:
    hour = moment.hour % 12 or 12
    text = f"{hour:02d}" if lead_zero else str(hour)
    suffix = "PM" if moment.hour >= 12 else "AM"
    return f"{text}:{moment.minute:02d} {suffix if upper else suffix.lower()}"


def _status(rng: random.Random) -> str:
    r = rng.random()
    return "completed" if r < 0.84 else ("pending" if r < 0.92 else "failed")


# ---------------------------------------------------------------------------- styles


@dataclass
class Truth:
    amount: float
    payer: str
    payee: str
    moment: datetime
    status: str
    txn: str
    method: str
    upi: str
    seconds_shown: bool = False

    def data(self) -> dict[str, Any]:
        return {
            "amount": round(self.amount, 2),
            "currency": "INR",
            "payer_name": self.payer,
            "payee_name": self.payee,
            "date": self.moment.date().isoformat(),
            "time": self.moment.strftime("%H:%M:%S")
            if self.seconds_shown
            else self.moment.strftime("%H:%M:00"),
            "transaction_status": self.status,
            "transaction_id": self.txn,
            "payment_method": self.method,
            "upi_id": self.upi,
        }


StyleFn = Callable[[random.Random], tuple[list[Row], Truth, dict[str, Any]]]


def _gpay(rng: random.Random) -> tuple[list[Row], Truth, dict[str, Any]]:
    payee, payer = _name(rng), _name(rng)
    upi = _upi(payee, rng.choice(HANDLES["gpay"]), rng)
    amount = float(int(_amount(rng)))
    moment = _when(rng)
    status = _status(rng)
    txn = _utr(rng)
    bank, _ = rng.choice(BANKS)
    word = {"completed": "Completed", "pending": "Processing", "failed": "Failed"}[status]
    upper = rng.random() < 0.5
    shown_payee = payee.upper() if upper else payee
    rows = [
        Row("Google Pay", 30, color="muted", align="center", gap=120),
        Row(f"₹{indian_grouping(amount, decimals=False)}", 110, bold=True, align="center", gap=30),
        Row(f"{'Paid to' if status == 'completed' else 'To'} {shown_payee}", 38, align="center"),
        Row(upi, 30, color="muted", align="center", gap=40),
        Row(word, 36, bold=True, align="center", color="accent" if status == "completed" else "fg"),
        Row(
            f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}, "
            f"{_hhmm12(moment, lead_zero=False, upper=False)}",
            32,
            color="muted",
            align="center",
            gap=80,
        ),
        Row(f"{bank}  ••••{rng.randint(1000, 9999)}", 32, gap=50),
        Row("UPI transaction ID", 30, color="muted", gap=6),
        Row(txn, 34, gap=36),
        Row("To: " + shown_payee, 32, gap=6),
        Row("Google Pay • " + upi, 28, color="muted", gap=36),
        Row(f"From: {payer} ({bank})", 32, gap=6),
        Row(
            f"Google Pay • {_upi(payer, rng.choice(HANDLES['gpay']), rng)}",
            28,
            color="muted",
            gap=36,
        ),
        Row("Google transaction ID", 30, color="muted", gap=6),
        Row("CICAgI" + _alnum(rng, 10, "abcdefghijkmnopqrstuvwxyzABCDEFGH0123456789"), 34, gap=60),
        Row("POWERED BY UPI", 26, color="muted", align="center"),
    ]
    truth = Truth(amount, payer, shown_payee, moment, status, txn, "UPI", upi)
    return rows, truth, {"accent": "#1e8e3e"}


def _phonepe(rng: random.Random) -> tuple[list[Row], Truth, dict[str, Any]]:
    payee = _name(rng).upper()
    upi = _upi(payee, rng.choice(HANDLES["phonepe"]), rng)
    amount = _amount(rng)
    moment = _when(rng)
    status = _status(rng)
    utr = _utr(rng)
    word = {
        "completed": "Transaction Successful",
        "pending": "Transaction Pending",
        "failed": "Transaction Failed",
    }[status]
    amount_text = f"₹{indian_grouping(amount, decimals=False)}"
    rows = [
        Row(word, 42, bold=True, color="white", band="#5f259f", gap=4),
        Row(
            f"{_hhmm12(moment, lead_zero=True, upper=False)} on "
            f"{moment.day:02d} {MONTHS[moment.month - 1]} {moment.year}",
            30,
            color="white",
            band="#5f259f",
            gap=70,
        ),
        Row("Paid to", 30, color="muted", gap=10),
        Row(payee, 38, bold=True, align="pair", value=amount_text, gap=8),
        Row(upi, 30, color="muted", gap=60),
        Row("Transfer Details", 34, bold=True, gap=30),
        Row("Transaction ID", 30, color="muted", gap=6),
        Row("T" + moment.strftime("%y%m%d%H%M") + _alnum(rng, 12, "0123456789"), 34, gap=36),
        Row("Debited from", 30, color="muted", gap=6),
        Row(f"XXXXXXXX{rng.randint(1000, 9999)}", 34, align="pair", value=amount_text, gap=8),
        Row(f"UTR: {utr}", 30, color="muted", gap=60),
        Row("Powered by", 24, color="muted", align="center", gap=4),
        Row("UPI  |  YES BANK", 28, bold=True, color="muted", align="center"),
    ]
    return rows, Truth(amount, "", payee, moment, status, utr, "UPI", upi), {"accent": "#5f259f"}


def _amazonpay(rng: random.Random) -> tuple[list[Row], Truth, dict[str, Any]]:
    payee, payer = _name(rng), _name(rng)
    upi = _upi(payee, rng.choice(HANDLES["amazonpay"]), rng)
    amount = _amount(rng)
    moment = _when(rng)
    status = _status(rng)
    ref = _utr(rng)
    word = {
        "completed": "Payment successful",
        "pending": "Payment pending",
        "failed": "Payment failed",
    }[status]
    rows = [
        Row(word, 40, bold=True, align="center", color="accent", gap=40),
        Row(f"₹{indian_grouping(amount, decimals=True)}", 96, bold=True, align="center", gap=24),
        Row(f"Sent to {payee}", 36, align="center", gap=8),
        Row(f"UPI ID: {upi}", 30, color="muted", align="center", gap=30),
        Row(
            f"{moment.day:02d} {MONTHS[moment.month - 1]} {moment.year} at "
            f"{_hhmm12(moment, lead_zero=False, upper=True)}",
            30,
            color="muted",
            align="center",
            gap=80,
        ),
        Row("Payment details", 34, bold=True, gap=30),
        Row("Bank Reference ID", 30, align="pair", value=ref, gap=24),
        Row("Amazon Pay Transaction ID", 28, color="muted", gap=4),
        Row("P" + _alnum(rng, 19, "0123456789"), 30, gap=24),
        Row("Paid from", 30, align="pair", value=payer, gap=24),
        Row("Payment method", 30, align="pair", value="UPI", gap=60),
        Row("amazon pay", 30, bold=True, color="muted", align="center"),
    ]
    return rows, Truth(amount, payer, payee, moment, status, ref, "UPI", upi), {"accent": "#e47911"}


def _bank_neft(rng: random.Random) -> tuple[list[Row], Truth, dict[str, Any]]:
    payee, payer = _name(rng).upper(), _name(rng).upper()
    amount = _amount(rng)
    moment = _when(rng)
    status = _status(rng)
    bank, code = rng.choice(BANKS)
    utr = (
        code
        + "N"
        + str(moment.year % 10)
        + moment.strftime("%j")
        + "".join(str(rng.randint(0, 9)) for _ in range(7))
    )
    word = {
        "completed": "Transaction Successful",
        "pending": "Transaction Pending",
        "failed": "Transaction Failed",
    }[status]
    rows = [
        Row(f"{bank} - Funds Transfer", 34, bold=True, color="white", band="#004c8f", gap=60),
        Row(word, 40, bold=True, align="center", color="accent", gap=50),
        Row("Amount", 30, align="pair", value=f"INR {indian_grouping(amount, decimals=True)}"),
        Row("Transfer Mode", 30, align="pair", value="NEFT"),
        Row("Beneficiary Name", 30, align="pair", value=payee),
        Row("Beneficiary Account", 30, align="pair", value=f"XXXXXXXX{rng.randint(1000, 9999)}"),
        Row(
            "IFSC",
            30,
            align="pair",
            value=rng.choice(BANKS)[1] + "0" + "".join(str(rng.randint(0, 9)) for _ in range(6)),
        ),
        Row("Remitter Name", 30, align="pair", value=payer),
        Row("Debit Account", 30, align="pair", value=f"XXXX{rng.randint(1000, 9999)}"),
        Row("UTR Number", 30, align="pair", value=utr),
        Row("Date & Time", 30, align="pair", value=moment.strftime("%d-%m-%Y %H:%M:%S"), gap=60),
        Row("Remarks: Rent", 28, color="muted"),
    ]
    truth = Truth(amount, payer, payee, moment, status, utr, "NEFT", "", seconds_shown=True)
    return rows, truth, {"accent": "#1e8e3e"}


def _paytm(rng: random.Random) -> tuple[list[Row], Truth, dict[str, Any]]:
    payee, payer = _name(rng), _name(rng)
    upi = _upi(payee, rng.choice(HANDLES["paytm"]), rng)
    amount = _amount(rng)
    moment = _when(rng)
    status = _status(rng)
    ref = _utr(rng)
    bank, _ = rng.choice(BANKS)
    word = {
        "completed": "Paid Successfully to",
        "pending": "Payment Pending to",
        "failed": "Payment Failed to",
    }[status]
    rows = [
        Row("paytm", 44, bold=True, color="accent", align="center", gap=60),
        Row(word, 34, align="center", gap=10),
        Row(payee, 40, bold=True, align="center", gap=8),
        Row(f"UPI ID: {upi}", 28, color="muted", align="center", gap=40),
        Row(f"₹{indian_grouping(amount, decimals=False)}", 100, bold=True, align="center", gap=30),
        Row(
            f"{moment.day:02d} {MONTHS[moment.month - 1]} {moment.year}, "
            f"{_hhmm12(moment, lead_zero=True, upper=True)}",
            30,
            color="muted",
            align="center",
            gap=70,
        ),
        Row(f"UPI Ref No: {ref}", 30, gap=14),
        Row(f"Order ID: {''.join(str(rng.randint(0, 9)) for _ in range(17))}", 30, gap=40),
        Row(f"From: {payer}", 30, gap=8),
        Row(f"{bank} - {rng.randint(1000, 9999)}", 28, color="muted", gap=60),
        Row("Share Receipt", 30, bold=True, align="center", color="accent"),
    ]
    return rows, Truth(amount, payer, payee, moment, status, ref, "UPI", upi), {"accent": "#00baf2"}


def _bhim(rng: random.Random) -> tuple[list[Row], Truth, dict[str, Any]]:
    payee, payer = _name(rng).upper(), _name(rng)
    upi = _upi(payee, rng.choice(HANDLES["bhim"]), rng)
    amount = _amount(rng)
    moment = _when(rng)
    status = _status(rng)
    ref = _utr(rng)
    word = {
        "completed": "Transaction Successful",
        "pending": "Transaction Pending",
        "failed": "Transaction Failed",
    }[status]
    rows = [
        Row("BHIM", 40, bold=True, color="accent", align="center", gap=50),
        Row(word, 38, bold=True, align="center", gap=30),
        Row(f"₹ {indian_grouping(amount, decimals=True)}", 84, bold=True, align="center", gap=60),
        Row(f"Paid to: {payee}", 32, gap=14),
        Row(f"VPA: {upi}", 30, gap=14),
        Row(f"Date: {moment.strftime('%d/%m/%Y %H:%M')}", 30, gap=14),
        Row(f"UPI Ref ID: {ref}", 30, gap=14),
        Row(f"Txn ID: BHIM{_alnum(rng, 20, '0123456789abcdef')}", 28, gap=14),
        Row(f"From: {payer}", 30, gap=60),
        Row("Bharat Interface for Money", 26, color="muted", align="center"),
    ]
    return rows, Truth(amount, payer, payee, moment, status, ref, "UPI", upi), {"accent": "#f37021"}


def _whatsapp(rng: random.Random) -> tuple[list[Row], Truth, dict[str, Any]]:
    payee, payer = _name(rng), _name(rng)
    upi = _upi(payee, rng.choice(HANDLES["whatsapp"]), rng)
    amount = _amount(rng)
    moment = _when(rng)
    status = _status(rng)
    ref = _utr(rng)
    word = {
        "completed": "Status: Completed",
        "pending": "Status: Pending",
        "failed": "Status: Failed",
    }[status]
    rows = [
        Row("Payment details", 36, bold=True, gap=60),
        Row(
            f"Paid ₹{indian_grouping(amount, decimals=True)}", 72, bold=True, align="center", gap=30
        ),
        Row(word, 32, align="center", color="accent", gap=60),
        Row("To", 28, color="muted", gap=4),
        Row(payee, 34, gap=4),
        Row(upi, 28, color="muted", gap=30),
        Row("From", 28, color="muted", gap=4),
        Row(payer, 34, gap=30),
        Row("UPI transaction ID", 28, color="muted", gap=4),
        Row(ref, 32, gap=30),
        Row("Date", 28, color="muted", gap=4),
        Row(
            f"{MONTHS[moment.month - 1]} {moment.day:02d}, {moment.year} at "
            f"{_hhmm12(moment, lead_zero=True, upper=True)}",
            32,
            gap=60,
        ),
        Row("WhatsApp Payments", 26, color="muted", align="center"),
    ]
    return rows, Truth(amount, payer, payee, moment, status, ref, "UPI", upi), {"accent": "#25d366"}


def _bank_imps(rng: random.Random) -> tuple[list[Row], Truth, dict[str, Any]]:
    payee, payer = _name(rng), _name(rng)
    amount = _amount(rng)
    moment = _when(rng)
    status = _status(rng)
    ref = _utr(rng)
    bank, _ = rng.choice(BANKS)
    word = {
        "completed": "IMPS Transfer Successful",
        "pending": "IMPS Transfer Pending",
        "failed": "IMPS Transfer Failed",
    }[status]
    rows = [
        Row(bank, 36, bold=True, color="white", band="#8a1538", gap=60, family="serif"),
        Row(word, 38, bold=True, align="center", gap=40),
        Row(f"Amount: Rs. {indian_grouping(amount, decimals=True)}", 36, gap=20),
        Row(f"Paid to: {payee}", 32, gap=10),
        Row(f"A/c No: XXXXXX{rng.randint(1000, 9999)}", 30, gap=20),
        Row(f"IMPS Ref No.: {ref}", 30, gap=20),
        Row(f"Date: {moment.strftime('%d %b %Y')}", 30, gap=10),
        Row(f"Time: {moment.strftime('%H:%M:%S')}", 30, gap=20),
        Row(f"From A/c: XX{rng.randint(1000, 9999)} ({payer})", 30, gap=60),
        Row("Thank you for banking with us", 26, color="muted", align="center"),
    ]
    truth = Truth(amount, payer, payee, moment, status, ref, "IMPS", "", seconds_shown=True)
    return rows, truth, {"accent": "#8a1538"}


STYLES: dict[str, StyleFn] = {
    "gpay": _gpay,
    "phonepe": _phonepe,
    "amazonpay": _amazonpay,
    "bank_neft": _bank_neft,
    "paytm": _paytm,
    "bhim": _bhim,
    "whatsapp": _whatsapp,
    "bank_imps": _bank_imps,
}


# ---------------------------------------------------------------------------- negatives


def _chat(rng: random.Random) -> list[Row]:
    friend = _name(rng)
    amount = indian_grouping(float(rng.randint(50, 5000)), decimals=False)
    lines = [
        ("them", "Hey, are you coming tonight?"),
        ("me", "Yes! What time?"),
        ("them", "Around 8. Dinner is on me"),
        ("me", f"I will send you ₹{amount} for the tickets"),
        ("them", "Sure, send to my UPI"),
        ("me", "Done, check once"),
        ("them", "Got it, thanks!"),
        ("me", "See you at the station"),
    ]
    rows = [
        Row(friend, 36, bold=True, color="white", band="#075e54", gap=4),
        Row("online", 26, color="white", band="#075e54", gap=60),
    ]
    for who, text in lines[: rng.randint(5, 8)]:
        hour = rng.randint(1, 12)
        rows.append(Row(text, 32, align="right" if who == "me" else "left", gap=4))
        rows.append(
            Row(
                f"{hour}:{rng.randint(10, 59)} pm",
                22,
                color="muted",
                align="right" if who == "me" else "left",
                gap=40,
            )
        )
    rows.append(Row("Type a message", 30, color="muted", gap=10))
    return rows


def _bill(rng: random.Random) -> list[Row]:
    shop = rng.choice(SHOPS)
    moment = _when(rng)
    rows = [
        Row(shop.upper(), 40, bold=True, align="center", gap=10),
        Row("TAX INVOICE", 30, align="center", gap=10),
        Row(f"GSTIN: 29{_alnum(rng, 10)}1Z5", 26, align="center", gap=40),
        Row(
            f"Bill No: {rng.randint(1000, 99999)}",
            28,
            align="pair",
            value=moment.strftime("%d/%m/%Y %H:%M"),
        ),
        Row("Item", 28, bold=True, align="pair", value="Qty   Amount", gap=20),
    ]
    total = 0.0
    for item in rng.sample(
        ["Rice 5kg", "Toor Dal", "Milk 1L", "Paneer", "Atta 10kg", "Sugar", "Tea 500g", "Soap"], 5
    ):
        price = rng.randint(20, 600)
        qty = rng.randint(1, 3)
        total += price * qty
        rows.append(
            Row(
                item,
                28,
                align="pair",
                value=f"{qty}   {indian_grouping(float(price * qty), decimals=True)}",
                gap=12,
            )
        )
    gst = round(total * 0.05, 2)
    rows += [
        Row("Subtotal", 28, align="pair", value=indian_grouping(total, decimals=True), gap=10),
        Row(
            "CGST 2.5%  SGST 2.5%",
            28,
            align="pair",
            value=indian_grouping(gst, decimals=True),
            gap=10,
        ),
        Row(
            "Total",
            34,
            bold=True,
            align="pair",
            value=f"₹{indian_grouping(total + gst, decimals=True)}",
            gap=30,
        ),
        Row("Thank you! Visit again", 28, align="center"),
    ]
    return rows


def _photo(rng: random.Random, width: int, height: int) -> Image.Image:
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    top = (rng.randint(40, 200), rng.randint(80, 200), rng.randint(120, 255))
    bottom = (rng.randint(20, 120), rng.randint(60, 160), rng.randint(20, 100))
    for y in range(0, height, 4):
        t = y / height
        colour = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.rectangle([0, y, width, y + 4], fill=colour)
    for _ in range(rng.randint(6, 20)):
        r = rng.randint(width // 30, width // 5)
        x, y = rng.randint(0, width), rng.randint(0, height)
        draw.ellipse(
            [x - r, y - r, x + r, y + r],
            fill=(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)),
        )
    return img


# ---------------------------------------------------------------------------- rendering

THEMES = {
    "light": Theme(bg="#ffffff", fg="#202124", muted="#5f6368", accent="#1e8e3e", card="#f1f3f4"),
    "dark": Theme(bg="#121212", fg="#e8eaed", muted="#9aa0a6", accent="#81c995", card="#1f1f1f"),
}


def render_rows(
    rows: list[Row], theme: Theme, width: int, height: int, *, accent: str | None = None
) -> Image.Image:
    """Lay rows out top to bottom on a ``width``×``height`` canvas (sizes are for 1080 px)."""
    scale = width / 1080
    img = Image.new("RGB", (width, height), theme.bg)
    draw = ImageDraw.Draw(img)
    margin = int(60 * scale)
    y = int(70 * scale)
    colours = {
        "fg": theme.fg,
        "muted": theme.muted,
        "accent": accent or theme.accent,
        "white": "#ffffff",
    }
    placed: list[tuple[Row, ImageFont.FreeTypeFont, int]] = []
    for row in rows:
        f = font(max(8, int(row.size * scale)), bold=row.bold, family=row.family)
        ascent, descent = f.getmetrics()
        line_h = ascent + descent
        if y + line_h > height - 20:
            break
        placed.append((row, f, y))
        if row.band:
            pad = int(20 * scale)
            draw.rectangle([0, y - pad, width, y + line_h + int(row.gap * scale)], fill=row.band)
        y += line_h + int(row.gap * scale)
    for row, f, y in placed:
        colour = colours.get(row.color, row.color)
        if row.align == "pair":
            draw.text(
                (margin, y),
                row.text,
                font=f,
                fill=colours["muted"] if row.color == "fg" and not row.bold else colour,
            )
            vf = font(max(8, int(row.size * scale)), bold=row.bold, family=row.family)
            vw = draw.textlength(row.value, font=vf)
            draw.text((width - margin - vw, y), row.value, font=vf, fill=theme.fg)
        else:
            tw = draw.textlength(row.text, font=f)
            x = {"left": margin, "center": (width - tw) / 2, "right": width - margin - tw}[
                row.align
            ]
            draw.text((x, y), row.text, font=f, fill=colour)
    return img


def _encode(img: Image.Image, fmt: str, *, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.save(buf, format="JPEG", quality=quality)
    else:
        img.save(buf, format=fmt)
    return buf.getvalue()


def _variants(base: Image.Image, rng: random.Random) -> list[tuple[str, bytes]]:
    out = [("original", _encode(base, "PNG"))]
    out.append(("jpeg", _encode(base, "JPEG", quality=rng.randint(55, 80))))
    factor = rng.uniform(0.6, 0.8)
    small = base.resize(
        (int(base.width * factor), int(base.height * factor)), Image.Resampling.LANCZOS
    )
    out.append(("resized", _encode(small, "JPEG", quality=85)))
    return out


def render_payment(
    style: str, rng: random.Random, *, theme: str = "light", size: str = "1080p"
) -> tuple[Image.Image, dict[str, Any]]:
    """One screenshot of ``style`` and its contract ``data``."""
    rows, truth, extra = STYLES[style](rng)
    width, height = SIZES[size]
    accent = extra.get("accent") if theme == "light" else None
    return render_rows(rows, THEMES[theme], width, height, accent=accent), truth.data()


def render_negative(
    kind: str, rng: random.Random, *, theme: str = "light", size: str = "1080p"
) -> Image.Image:
    width, height = SIZES[size]
    if kind == "photo":
        return _photo(rng, width, height)
    rows = _chat(rng) if kind == "chat" else _bill(rng)
    return render_rows(rows, THEMES[theme], width, height)


def generate(
    *,
    seed: int = 7,
    per_style: int = 4,
    variants: bool = True,
    negatives_per_kind: int | None = None,
    styles: tuple[str, ...] | None = None,
) -> list[Sample]:
    """Render ``per_style`` screenshots per style (alternating theme and size) with copies."""
    rng = random.Random(seed)
    samples: list[Sample] = []
    for style in styles or (*DEV_STYLES, *HELDOUT_STYLES):
        split = "dev" if style in DEV_STYLES else "heldout"
        for i in range(per_style):
            theme = "dark" if i % 2 else "light"
            size = "1080p" if (i // 2) % 2 == 0 else "720p"
            img, data = render_payment(style, rng, theme=theme, size=size)
            copies = _variants(img, rng) if variants else [("original", _encode(img, "PNG"))]
            for variant, blob in copies:
                samples.append(
                    Sample(
                        f"{style}-{i:03d}-{theme}-{size}-{variant}",
                        style,
                        theme,
                        size,
                        variant,
                        split,
                        blob,
                        True,
                        data,
                    )
                )
    for kind in NON_PAYMENT_KINDS:
        for i in range(
            negatives_per_kind if negatives_per_kind is not None else max(2, per_style // 2)
        ):
            theme = "dark" if i % 2 else "light"
            size = "1080p" if (i // 2) % 2 == 0 else "720p"
            img = render_negative(kind, rng, theme=theme, size=size)
            copies = _variants(img, rng) if variants else [("original", _encode(img, "PNG"))]
            for variant, blob in copies:
                samples.append(
                    Sample(
                        f"{kind}-{i:03d}-{theme}-{size}-{variant}",
                        kind,
                        theme,
                        size,
                        variant,
                        "negative",
                        blob,
                        False,
                        {},
                    )
                )
    return samples


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-style", type=int, default=4)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    truth = []
    for sample in generate(seed=args.seed, per_style=args.per_style):
        ext = "png" if sample.image[:4] == b"\x89PNG" else "jpg"
        (args.out / f"{sample.name}.{ext}").write_bytes(sample.image)
        truth.append(sample.truth())
    (args.out / "truth.json").write_text(json.dumps(truth, indent=1))
    print(f"wrote {len(truth)} images to {args.out}")


_ = (date, math)

if __name__ == "__main__":
    main()
