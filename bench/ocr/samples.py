"""Generated OCR test images with ground truth: text lines, UPI screenshots, statement pages.

Everything is rendered with Pillow from the DejaVu fonts that matplotlib ships (a dev
dependency), deterministically from a seed, so the set is the same on every machine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

Box = tuple[int, int, int, int]


def font_dir() -> Path:
    """The folder of matplotlib's bundled TrueType fonts."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def font(name: str = "DejaVuSans.ttf", size: int = 32) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_dir() / name), size)


@dataclass(frozen=True, slots=True)
class Item:
    """One rendered string and its ink box in image pixels."""

    text: str
    box: Box


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    image: np.ndarray  # HxWx3 uint8 RGB
    items: tuple[Item, ...]
    kind: str  # "line", "screenshot" or "page"


THEMES = {"light": ((255, 255, 255), (20, 20, 20)), "dark": ((18, 18, 24), (235, 235, 235))}

LINE_STRINGS = (
    "₹1,000",
    "₹2,345.50",
    "Rs. 2,50,000.00",
    "INR 12,499.00",
    "UPI transaction ID 567735198192",
    "567735198192",
    "UTR: 431298765012",
    "paid to SUDIPTO KUMAR",
    "From: ANANYA SHARMA",
    "8 Nov 2025, 1:24 pm",
    "08/11/2025 13:24",
    "example@okaxis",
    "ramesh.k92@ybl",
    "9876543210@paytm",
    "Payment Successful",
    "Transaction Failed",
    "Debited from HDFC Bank XX4821",
    "Google Pay",
    "12-10-2025  NEFT-HDFC0001234-ACME LTD  25,000.00  1,48,210.55",
    "03 Oct 2025  UPI/529812345678/Swiggy  349.00 Dr  12,003.17 Cr",
    "Opening Balance  1,23,456.78",
    "IFSC: SBIN0001234",
)

LINE_FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf")


def _draw_text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[int, int],
    text: str,
    fnt: ImageFont.FreeTypeFont,
    fill: tuple[int, int, int],
) -> Box:
    draw.text(xy, text, font=fnt, fill=fill)
    x0, y0, x1, y1 = draw.textbbox(xy, text, font=fnt)
    return (int(x0), int(y0), int(x1), int(y1))


def line_samples(*, size: int = 30) -> list[Sample]:
    """Every test string in every font, light and dark, on a small canvas with margins."""
    out: list[Sample] = []
    for theme, (bg, fg) in THEMES.items():
        for fi, fname in enumerate(LINE_FONTS):
            fnt = font(fname, size)
            for si, text in enumerate(LINE_STRINGS):
                probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
                x0, y0, x1, y1 = probe.textbbox((0, 0), text, font=fnt)
                w, h = x1 - x0 + 80, y1 - y0 + 60
                img = Image.new("RGB", (max(w, 200), max(h, 100)), bg)
                box = _draw_text(ImageDraw.Draw(img), (40 - x0, 30 - y0), text, fnt, fg)
                out.append(
                    Sample(f"line-{theme}-{fi}-{si}", np.asarray(img), (Item(text, box),), "line")
                )
    return out


def upi_screenshot(
    *, theme: str = "light", seed: int = 0, width: int = 1080, height: int = 2400
) -> Sample:
    """A UPI receipt screen laid out like the common apps, with realistic text sizes."""
    rng = random.Random(seed)
    bg, fg = THEMES[theme]
    grey = (120, 120, 128) if theme == "light" else (160, 160, 170)
    accent = (26, 115, 232) if theme == "light" else (138, 180, 248)
    img = Image.new("RGB", (width, height), bg)
    d = ImageDraw.Draw(img)
    s = width / 1080
    items: list[Item] = []

    def put(
        x: float, y: float, text: str, fname: str, size: float, fill: tuple[int, int, int] = fg
    ) -> None:
        items.append(
            Item(
                text,
                _draw_text(d, (int(x * s), int(y * s)), text, font(fname, int(size * s)), fill),
            )
        )

    amount = f"{rng.randint(1, 99)},{rng.randint(0, 999):03d}"
    name = rng.choice(["SUDIPTO KUMAR", "ANANYA SHARMA", "RAHUL VERMA", "PRIYA NAIR"])
    txn = "".join(rng.choice("0123456789") for _ in range(12))
    handle = rng.choice(["example@okaxis", "rahulv@ybl", "priya.n@oksbi", "9876543210@paytm"])
    day = rng.randint(1, 28)
    put(48, 40, f"{rng.randint(9, 12)}:{rng.randint(10, 59)}", "DejaVuSans.ttf", 34)
    put(860, 40, "4G  87%", "DejaVuSans.ttf", 30)
    put(48, 150, "Google Pay" if seed % 2 == 0 else "PhonePe", "DejaVuSans-Bold.ttf", 44, accent)
    d.ellipse((440 * s, 300 * s, 640 * s, 500 * s), fill=(52, 168, 83))
    put(380, 560, "Payment Successful", "DejaVuSans-Bold.ttf", 46)
    put(330, 700, f"₹{amount}", "DejaVuSans-Bold.ttf", 110)
    put(100, 920, "Paid to", "DejaVuSans.ttf", 34, grey)
    put(100, 975, name, "DejaVuSans-Bold.ttf", 44)
    put(100, 1045, handle, "DejaVuSans.ttf", 34, grey)
    put(100, 1160, "From", "DejaVuSans.ttf", 34, grey)
    put(
        100,
        1215,
        "ANANYA SHARMA" if name != "ANANYA SHARMA" else "RAHUL VERMA",
        "DejaVuSans-Bold.ttf",
        40,
    )
    put(
        100, 1280, f"Debited from HDFC Bank XX{rng.randint(1000, 9999)}", "DejaVuSans.ttf", 34, grey
    )
    put(100, 1400, "UPI transaction ID", "DejaVuSans.ttf", 34, grey)
    put(100, 1455, txn, "DejaVuSans-Bold.ttf", 40)
    put(100, 1570, "Google transaction ID", "DejaVuSans.ttf", 34, grey)
    put(
        100,
        1625,
        "CICAgKD" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(7)),
        "DejaVuSans.ttf",
        36,
    )
    put(
        100,
        1740,
        f"{day} Nov 2025, {rng.randint(1, 12)}:{rng.randint(10, 59)} pm",
        "DejaVuSans.ttf",
        36,
    )
    put(100, 1900, "Share", "DejaVuSans-Bold.ttf", 38, accent)
    put(600, 1900, "Split expense", "DejaVuSans-Bold.ttf", 38, accent)
    put(300, 2250, "Powered by UPI", "DejaVuSans.ttf", 30, grey)
    return Sample(f"upi-{theme}-{seed}", np.asarray(img), tuple(items), "screenshot")


def statement_page(
    *, dpi: int = 150, seed: int = 0, rows: int = 36, scanned: bool = False
) -> Sample:
    """An A4 bank statement page (header + table) rendered at ``dpi``; optionally scan-like."""
    rng = random.Random(seed)
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    pt = dpi / 72  # pixels per point
    body = font("DejaVuSans.ttf", round(8.5 * pt))
    bold = font("DejaVuSans-Bold.ttf", round(9 * pt))
    title = font("DejaVuSans-Bold.ttf", round(14 * pt))
    black = (0, 0, 0)
    items: list[Item] = []

    def put(
        x_in: float, y_px: float, text: str, fnt: ImageFont.FreeTypeFont, *, right: bool = False
    ) -> None:
        x = x_in * dpi
        if right:
            x -= d.textlength(text, font=fnt)
        items.append(Item(text, _draw_text(d, (int(x), int(y_px)), text, fnt, black)))

    y = 0.6 * dpi
    put(0.6, y, "STATE BANK OF INDIA", title)
    y += 0.4 * dpi
    for label in (
        "Account Name: SUDIPTO KUMAR",
        "Account Number: 00000031234567890",
        "IFSC: SBIN0001234",
        "Statement from 01 Oct 2025 to 31 Oct 2025",
    ):
        put(0.6, y, label, body)
        y += 0.22 * dpi
    y += 0.15 * dpi
    cols = (
        (0.6, "Txn Date", False),
        (1.55, "Description", False),
        (4.3, "Ref No.", False),
        (6.0, "Debit", True),
        (6.85, "Credit", True),
        (7.75, "Balance", True),
    )
    for x, label, right in cols:
        put(x, y, label, bold, right=right)
    y += 0.3 * dpi
    balance = 123456.78
    narrs = (
        "UPI/529812345678/Swiggy",
        "NEFT-HDFC0001234-ACME LTD",
        "ATM WDL SBI MUMBAI",
        "IMPS/P2A/431298765012",
        "POS 4821 AMAZON PAY",
        "SALARY OCT 2025",
        "UPI/ramesh.k92@ybl",
        "CHQ DEP 000123",
    )
    line_step = (height - y - 0.6 * dpi) / rows
    for r in range(rows):
        day = 1 + r * 30 // rows
        amount = round(rng.uniform(50, 50000), 2)
        credit = rng.random() < 0.3
        balance += amount if credit else -amount
        put(0.6, y, f"{day:02d} Oct 2025", body)
        put(1.55, y, rng.choice(narrs), body)
        put(4.3, y, "".join(rng.choice("0123456789") for _ in range(10)), body)
        put(6.85 if credit else 6.0, y, _indian(amount), body, right=True)
        put(7.75, y, _indian(balance), body, right=True)
        y += line_step
    if scanned:
        rs = np.random.default_rng(seed)
        img = img.rotate(
            rs.uniform(-0.6, 0.6), resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255)
        ).filter(ImageFilter.GaussianBlur(0.6))
        arr = np.asarray(img).astype(np.int16) + rs.normal(0, 10, (height, width, 1)).astype(
            np.int16
        )
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return Sample(
        f"page-{dpi}dpi-{'scan' if scanned else 'clean'}-{seed}",
        np.asarray(img),
        tuple(items),
        "page",
    )


def _indian(value: float) -> str:
    whole, frac = f"{abs(value):.2f}".split(".")
    head, tail = whole[:-3], whole[-3:]
    groups = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    text = ",".join([*groups, tail]) if groups else tail
    return ("-" if value < 0 else "") + text + "." + frac


__all__ = ["Item", "Sample", "line_samples", "statement_page", "upi_screenshot"]
