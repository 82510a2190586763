"""Synthetic invoices with ground truth, in many layouts, deterministic from a seed.

Layouts: Indian GST within a state (CGST+SGST) and between states (IGST), EU VAT (German,
French, Dutch wording and number format), US sales tax, service invoices without
quantities, multi-page invoices with 100+ lines, and scanned invoices (a layout rendered to
an image and back into an image-only PDF). Every document is assigned to the DEV or the
HELD-OUT half by its index: develop on DEV, report HELD-OUT separately.

    python -m bench.invoices.generate --out /tmp/invoices --count 8
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymupdf

from services.parser.extract.text.tax_ids import gstin_check_char

LAYOUTS = ["gst_intra", "gst_inter", "eu_vat", "us_sales", "service", "multipage", "scanned"]

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
FONT = "helv"
BOLD = "hebo"


@dataclass
class Doc:
    name: str
    layout: str
    split: str  # dev | held
    pdf: bytes
    truth: dict[str, Any]


# --- vocabularies -------------------------------------------------------------------------

_COMPANY_A = [
    "Kaveri",
    "Nimbus",
    "Orchid",
    "Sahyadri",
    "Ganga",
    "Indigo",
    "Lotus",
    "Tara",
    "Meridian",
    "Falcon",
    "Harbor",
    "Summit",
    "Aurora",
    "Cedar",
    "Beacon",
    "Atlas",
    "Nordlicht",
    "Rheinland",
    "Alpen",
    "Boulanger",
    "Lumière",
    "Zeeland",
    "Tulp",
]
_COMPANY_B = [
    "Office Supplies",
    "Traders",
    "Technologies",
    "Logistics",
    "Foods",
    "Textiles",
    "Engineering",
    "Consulting",
    "Media",
    "Pharma",
    "Electricals",
    "Hardware",
]
_SUFFIX = {
    "IN": ["Pvt Ltd", "LLP", "Enterprises", "Private Limited"],
    "US": ["Inc.", "LLC", "Corp."],
    "DE": ["GmbH", "AG", "KG"],
    "FR": ["SARL", "SAS", "SA"],
    "NL": ["B.V.", "N.V."],
    "GB": ["Ltd", "LLP"],
}
_STREETS = {
    "IN": ["MG Road", "Baner Road", "Anna Salai", "Park Street", "Linking Road"],
    "US": ["Main Street", "Oak Avenue", "Market St", "Elm Street", "5th Avenue"],
    "DE": ["Hauptstraße", "Bahnhofstraße", "Lindenweg", "Gartenstraße"],
    "FR": ["rue de la République", "avenue Victor Hugo", "boulevard Voltaire"],
    "NL": ["Keizersgracht", "Stationsweg", "Dorpsstraat"],
    "GB": ["High Street", "Station Road", "Church Lane"],
}
_CITIES = {
    "IN": [
        ("Bengaluru", "560001", "29"),
        ("Pune", "411045", "27"),
        ("Chennai", "600002", "33"),
        ("Kolkata", "700016", "19"),
        ("Mumbai", "400050", "27"),
        ("Hyderabad", "500081", "36"),
    ],
    "US": [
        ("Austin, TX", "78701", ""),
        ("Denver, CO", "80202", ""),
        ("Portland, OR", "97204", ""),
        ("Columbus, OH", "43215", ""),
    ],
    "DE": [("München", "80333", ""), ("Köln", "50667", ""), ("Hamburg", "20095", "")],
    "FR": [("Lyon", "69001", ""), ("Paris", "75011", ""), ("Nantes", "44000", "")],
    "NL": [("Utrecht", "3511 AB", ""), ("Rotterdam", "3012 CN", "")],
    "GB": [("Leeds", "LS1 4AP", ""), ("Bristol", "BS1 5TR", "")],
}
_PRODUCTS = [
    "A4 paper, 500 sheets",
    "Stapler HD-45",
    "Ball pens, box of 50",
    "Printer toner 85A",
    "USB-C cable 2m",
    "Office chair, ergonomic",
    "LED desk lamp",
    "Whiteboard 90x60",
    "Laptop stand aluminium",
    "Wireless mouse M185",
    "Filing cabinet, 3 drawers",
    "Notebook ruled A5",
    "Cardboard boxes (pack of 20)",
    "Label printer tape 12mm",
    "Monitor 24 inch IPS",
    "Keyboard, mechanical",
    "Ethernet switch 8-port",
    "Packing tape 48mm",
    "Hand sanitiser 500ml",
    "Coffee beans 1kg",
]
_LONG = [
    "Annual maintenance contract for air conditioning units including quarterly service "
    "visits and replacement filters",
    "Custom printed corporate diaries with embossed logo and ribbon marker, hardbound",
    "Installation and configuration of network cabling for the second floor conference rooms",
]
_SERVICES = [
    "Consulting services",
    "Software development",
    "Website maintenance",
    "Cloud hosting (monthly)",
    "Design review workshop",
    "Project management",
    "Technical support retainer",
    "Data migration",
    "Security audit",
    "Training session (on site)",
    "SEO optimisation",
    "Content writing",
]


def _gstin(rng: random.Random, state: str) -> str:
    pan = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(5))
    pan += "".join(rng.choice("0123456789") for _ in range(4)) + rng.choice(
        "ABCDEFGHJKLMNPQRSTUVWXYZ"
    )
    body = f"{state}{pan}1Z"
    return body + gstin_check_char(body)


def _de_vat(rng: random.Random) -> str:
    while True:
        digits = "".join(rng.choice("0123456789") for _ in range(8))
        product = 10
        for ch in digits:
            total = (int(ch) + product) % 10 or 10
            product = (2 * total) % 11
        check = (11 - product) % 10
        return f"DE{digits}{check}"


def _fr_vat(rng: random.Random) -> str:
    siren = rng.randint(100000000, 999999999)
    return f"FR{(12 + 3 * (siren % 97)) % 97:02d}{siren}"


def _nl_vat(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(0, 9) for _ in range(8)]
        weighted = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if weighted < 10:
            return "NL" + "".join(map(str, digits)) + str(weighted) + "B01"


def _gb_vat(rng: random.Random) -> str:
    return "GB" + "".join(rng.choice("0123456789") for _ in range(9))


def _company(rng: random.Random, country: str) -> str:
    return f"{rng.choice(_COMPANY_A)} {rng.choice(_COMPANY_B)} {rng.choice(_SUFFIX[country])}"


def _address(rng: random.Random, country: str) -> tuple[list[str], str]:
    city, zip_code, state = rng.choice(_CITIES[country])
    street = f"{rng.randint(2, 220)} {rng.choice(_STREETS[country])}"
    if country in ("DE", "NL"):
        street = f"{rng.choice(_STREETS[country])} {rng.randint(2, 120)}"
    if country in ("DE", "FR", "NL"):
        line2 = f"{zip_code} {city}"
    elif country == "US":
        line2 = f"{city} {zip_code}"
    else:
        line2 = f"{city} {zip_code}"
    return [street, line2], state


# --- number and date formats ----------------------------------------------------------------


def _money(value: float, style: str) -> str:
    text = f"{abs(value):,.2f}"
    if style == "eu":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    elif style == "in":
        whole, frac = text.replace(",", "").split(".")
        if len(whole) > 3:
            head, tail = whole[:-3], whole[-3:]
            groups = []
            while len(head) > 2:
                groups.insert(0, head[-2:])
                head = head[:-2]
            if head:
                groups.insert(0, head)
            whole = ",".join([*groups, tail])
        text = f"{whole}.{frac}"
    return ("-" if value < 0 else "") + text


def _date(d: dt.date, style: str) -> str:
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    if style == "in":
        return (
            d.strftime("%d/%m/%Y") if d.day % 2 else f"{d.day:02d}-{months[d.month - 1]}-{d.year}"
        )
    if style == "us":
        return d.strftime("%m/%d/%Y") if d.day % 3 else f"{months[d.month - 1]} {d.day}, {d.year}"
    if style == "de":
        return d.strftime("%d.%m.%Y")
    if style in ("fr", "nl"):
        return d.strftime("%d/%m/%Y") if style == "fr" else d.strftime("%d-%m-%Y")
    return d.strftime("%d %b %Y")


# --- page writer ----------------------------------------------------------------------------


class Writer:
    """Places text on A4 pages, starting new pages as rows run out."""

    def __init__(self, font: str = FONT, bold: str = BOLD) -> None:
        self.font, self.bold = font, bold
        self.doc = pymupdf.open()
        self.page = self.doc.new_page(width=595, height=842)
        self.y = 50.0

    def text(self, x: float, y: float, s: str, size: float = 9, bold: bool = False) -> None:
        self.page.insert_text((x, y), s, fontname=self.bold if bold else self.font, fontsize=size)

    def right(self, x1: float, y: float, s: str, size: float = 9, bold: bool = False) -> None:
        width = pymupdf.get_text_length(s, fontname=self.bold if bold else self.font, fontsize=size)
        self.text(x1 - width, y, s, size, bold)

    def new_page(self) -> None:
        self.page = self.doc.new_page(width=595, height=842)
        self.y = 50.0

    def wrap(self, s: str, width: float, size: float = 9) -> list[str]:
        words = s.split()
        out: list[str] = []
        cur = ""
        for w in words:
            cand = (cur + " " + w).strip()
            if pymupdf.get_text_length(cand, fontname=self.font, fontsize=size) > width and cur:
                out.append(cur)
                cur = w
            else:
                cur = cand
        if cur:
            out.append(cur)
        return out

    def bytes(self) -> bytes:
        data: bytes = self.doc.tobytes(garbage=3, deflate=True)
        return data


# --- one invoice ----------------------------------------------------------------------------

_WORDS = {
    "en": dict(
        title="TAX INVOICE",
        no="Invoice No.",
        date="Invoice Date",
        due="Due Date",
        bill="Bill To:",
        desc="Description",
        qty="Qty",
        price="Rate",
        amount="Amount",
        sub="Subtotal",
        total="Grand Total",
        due_amt="Amount Due",
        pos="#",
        hsn="HSN/SAC",
        rate="GST %",
    ),
    "de": dict(
        title="RECHNUNG",
        no="Rechnungsnummer:",
        date="Rechnungsdatum:",
        due="Fälligkeitsdatum:",
        bill="Rechnungsempfänger:",
        desc="Beschreibung",
        qty="Menge",
        price="Einzelpreis",
        amount="Betrag",
        sub="Zwischensumme",
        total="Gesamtbetrag",
        due_amt="Zahlbetrag",
        pos="Pos.",
        tax="USt.",
        rate="USt. %",
        taxid="USt-IdNr.:",
    ),
    "fr": dict(
        title="FACTURE",
        no="N° de facture :",
        date="Date de facture :",
        due="Date d'échéance :",
        bill="Facturé à :",
        desc="Désignation",
        qty="Qté",
        price="Prix unitaire",
        amount="Montant HT",
        sub="Total HT",
        total="Total TTC",
        due_amt="Net à payer",
        pos="N°",
        tax="TVA",
        rate="TVA %",
        taxid="N° TVA :",
    ),
    "nl": dict(
        title="FACTUUR",
        no="Factuurnummer:",
        date="Factuurdatum:",
        due="Vervaldatum:",
        bill="Factuuradres:",
        desc="Omschrijving",
        qty="Aantal",
        price="Prijs",
        amount="Bedrag",
        sub="Subtotaal",
        total="Totaal",
        due_amt="Te betalen",
        pos="Nr.",
        tax="BTW",
        rate="BTW %",
        taxid="BTW-nummer:",
    ),
}


def _items(
    rng: random.Random,
    n: int,
    *,
    service: bool,
    long_ok: bool,
    rates: list[float],
    decimals_qty: bool = False,
) -> list[dict[str, Any]]:
    items = []
    for _ in range(n):
        if service:
            desc = rng.choice(_SERVICES) + rng.choice(
                ["", f" - {rng.choice(['March', 'Q2', 'phase 2', 'sprint 14'])}"]
            )
            amount = round(rng.uniform(150, 4000), 2)
            items.append(
                dict(
                    description=desc,
                    quantity=None,
                    unit_price=None,
                    amount=amount,
                    tax_rate=rng.choice(rates),
                )
            )
            continue
        desc = rng.choice(_LONG) if long_ok and rng.random() < 0.15 else rng.choice(_PRODUCTS)
        qty = (
            float(rng.randint(1, 25))
            if not decimals_qty or rng.random() < 0.6
            else rng.choice([1.5, 2.5, 0.5, 7.5])
        )
        price = round(rng.uniform(2, 900), 2)
        amount = round(qty * price, 2)
        items.append(
            dict(
                description=desc,
                quantity=qty,
                unit_price=price,
                amount=amount,
                tax_rate=rng.choice(rates),
            )
        )
    return items


def _taxes(items: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    by_rate: dict[float, float] = {}
    for it in items:
        by_rate[it["tax_rate"]] = by_rate.get(it["tax_rate"], 0.0) + it["amount"]
    taxes = []
    for rate in sorted(by_rate):
        base = round(by_rate[rate], 2)
        if kind == "cgst_sgst":
            half = round(base * rate / 200, 2)
            taxes.append(dict(type="CGST", rate=rate / 2, amount=half))
            taxes.append(dict(type="SGST", rate=rate / 2, amount=half))
        else:
            taxes.append(dict(type=kind, rate=rate, amount=round(base * rate / 100, 2)))
    return taxes


def _rate_text(rate: float, style: str) -> str:
    text = f"{rate:g}"
    return text.replace(".", ",") if style == "eu" else text


def make_invoice(index: int, layout: str, seed: int = 7) -> Doc:
    """One invoice of ``layout``; ``index`` picks its content and its DEV/HELD-OUT half."""
    rng = random.Random(f"{seed}:{layout}:{index}")
    lang = "en"
    money_style = "plain"
    date_style = "gb"
    cur_code = "USD"
    seller_country = buyer_country = "US"
    tax_kind = "SALES_TAX"
    rates = [8.25]
    n_items = rng.randint(2, 9)
    service = False
    if layout in ("gst_intra", "gst_inter", "multipage") or (
        layout == "scanned" and index % 2 == 0
    ):
        seller_country = buyer_country = "IN"
        cur_code, money_style, date_style = "INR", "in", "in"
        tax_kind = "cgst_sgst" if layout in ("gst_intra", "multipage", "scanned") else "IGST"
        rates = rng.choice([[18.0], [12.0, 18.0], [5.0, 18.0], [28.0]])
    if layout == "eu_vat" or (layout == "scanned" and index % 2 == 1):
        lang = rng.choice(["de", "fr", "nl"])
        seller_country = buyer_country = {"de": "DE", "fr": "FR", "nl": "NL"}[lang]
        cur_code, money_style, date_style = "EUR", "eu", lang
        tax_kind = "VAT"
        rates = {
            "de": [[19.0], [7.0, 19.0]],
            "fr": [[20.0], [5.5, 20.0]],
            "nl": [[21.0], [9.0, 21.0]],
        }[lang][rng.randint(0, 1)]
    if layout == "us_sales":
        date_style = "us"
        rates = [rng.choice([6.0, 7.25, 8.25, 8.875])]
    if layout == "service":
        service = True
        seller_country = buyer_country = "GB"
        cur_code, tax_kind, rates = "GBP", "VAT", [20.0]
    if layout == "multipage":
        n_items = rng.randint(100, 150)
    if layout == "scanned":
        n_items = rng.randint(3, 7)

    items = _items(
        rng,
        n_items,
        service=service,
        long_ok=layout in ("gst_intra", "eu_vat", "multipage"),
        rates=rates,
        decimals_qty=layout == "us_sales",
    )
    subtotal = round(sum(it["amount"] for it in items), 2)
    taxes = _taxes(items, tax_kind)
    tax_total = round(sum(t["amount"] for t in taxes), 2)
    total = round(subtotal + tax_total, 2)

    seller_state = buyer_state = ""
    seller_addr, seller_state = _address(rng, seller_country)
    buyer_addr, buyer_state = _address(rng, buyer_country)
    if tax_kind == "IGST":
        while buyer_state == seller_state:
            buyer_addr, buyer_state = _address(rng, buyer_country)
    seller_name = _company(rng, seller_country)
    buyer_name = _company(rng, buyer_country)
    while buyer_name == seller_name:
        buyer_name = _company(rng, buyer_country)
    seller_tax = buyer_tax = None
    if seller_country == "IN":
        seller_tax = _gstin(rng, seller_state)
        buyer_tax = _gstin(rng, buyer_state)
    elif seller_country in ("DE", "FR", "NL"):
        gen = {"DE": _de_vat, "FR": _fr_vat, "NL": _nl_vat}[seller_country]
        seller_tax = gen(rng)
        buyer_tax = gen(rng) if rng.random() < 0.5 else None
    elif seller_country == "GB":
        seller_tax = _gb_vat(rng)
    inv_date = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
    due_date = inv_date + dt.timedelta(days=rng.choice([7, 14, 15, 30, 45]))
    number = rng.choice(
        [
            f"INV-{inv_date.year}-{rng.randint(1, 9999):04d}",
            f"{rng.choice(['A', 'KV', 'GST'])}/{inv_date.year % 100}-{inv_date.year % 100 + 1}"
            f"/{rng.randint(1, 999)}",
            f"{rng.randint(10000, 999999)}",
            f"RE{rng.randint(100000, 999999)}",
        ]
    )

    truth = dict(
        document_type="invoice",
        invoice_number=number,
        invoice_date=inv_date.isoformat(),
        due_date=due_date.isoformat(),
        currency=cur_code,
        seller=dict(name=seller_name, address=", ".join(seller_addr), tax_id=seller_tax),
        buyer=dict(name=buyer_name, address=", ".join(buyer_addr), tax_id=buyer_tax),
        line_items=items,
        subtotal=subtotal,
        taxes=taxes,
        tax_total=tax_total,
        total=total,
        amount_due=total,
    )
    words = _WORDS[lang]
    # Helvetica, Times or Courier (base-14 fonts, so no € glyph: amounts use "EUR")
    w = Writer(*rng.choice([("helv", "hebo"), ("tiro", "tibo"), ("cour", "cobo")]))
    m = lambda v: _money(v, money_style)  # noqa: E731
    variant = index % 3

    # letterhead
    w.text(40, 60, seller_name, 15, bold=True)
    y = 76.0
    for line in seller_addr:
        w.text(40, y, line, 9)
        y += 12
    if seller_tax:
        label = {"IN": "GSTIN:", "GB": "VAT Reg No:"}.get(
            seller_country, words.get("taxid", "VAT:")
        )
        w.text(40, y, f"{label} {seller_tax}", 9)
        y += 12
    if layout == "us_sales":
        w.text(40, y, f"Phone: (555) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}", 9)
        y += 12
    title = words["title"] if layout != "us_sales" else "INVOICE"
    if layout == "service":
        title = "INVOICE"
    w.right(555, 62, title, 18, bold=True)
    # header fields: right column (variant 0/1) or left under the letterhead (variant 2)
    labels = [
        (words["no"], number),
        (words["date"], _date(inv_date, date_style)),
        (words["due"], _date(due_date, date_style)),
    ]
    if layout == "us_sales":
        labels = [
            ("Invoice #", number),
            ("Date", _date(inv_date, date_style)),
            ("Due Date", _date(due_date, date_style)),
        ]
    if layout == "service":
        labels = [
            ("Invoice Number:", number),
            ("Date of issue:", _date(inv_date, date_style)),
            ("Payment due:", _date(due_date, date_style)),
        ]
    if index % 4 == 3:
        # values under their labels, in one row of three boxes
        hy = 100.0
        for k, (lab, val) in enumerate(labels):
            w.text(300 + 90 * k, hy, lab, 8, bold=True)
            w.text(300 + 90 * k, hy + 12, val, 9)
        y = max(y, hy + 12) + 20
    elif variant == 2:
        hy = y + 10
        for lab, val in labels:
            w.text(40, hy, lab, 9, bold=True)
            w.text(150, hy, val, 9)
            hy += 13
        y = hy
    else:
        hy = 90.0
        for lab, val in labels:
            w.text(340, hy, lab, 9, bold=True)
            w.right(555, hy, val, 9)
            hy += 13
        y = max(y, hy) + 16
    # buyer block
    bill = words["bill"] if layout not in ("us_sales", "service") else "Bill To:"
    bx = 40
    w.text(bx, y, bill, 9, bold=True)
    by = y + 13
    for line in [buyer_name, *buyer_addr]:
        w.text(bx, by, line, 9)
        by += 12
    if buyer_tax:
        label = "GSTIN:" if buyer_country == "IN" else words.get("taxid", "VAT:")
        w.text(bx, by, f"{label} {buyer_tax}", 9)
        by += 12
    if layout == "us_sales":
        w.text(330, y, "Ship To:", 9, bold=True)
        sy = y + 13
        for line in [buyer_name, *(_address(rng, "US")[0])]:
            w.text(330, sy, line, 9)
            sy += 12
        by = max(by, sy)
    if layout in ("gst_inter",):
        w.text(330, y, "Place of Supply:", 9, bold=True)
        w.text(330, y + 13, f"State code {buyer_state}", 9)
    w.y = by + 20

    # item table
    cols = _columns(layout, lang, words, service)
    repeat_header = layout != "multipage" or index % 2 == 0

    def header_row() -> None:
        for name, x, align, _ in cols:
            if align == "r":
                w.right(x, w.y, name, 9, bold=True)
            else:
                w.text(x, w.y, name, 9, bold=True)
        w.page.draw_line((40, w.y + 4), (555, w.y + 4), width=0.5)
        w.y += 16

    header_row()
    page_no = 1
    for n, it in enumerate(items, start=1):
        desc_col = next(c for c in cols if c[3] == "description")
        desc_width = desc_col[2] if isinstance(desc_col[2], float) else 170.0
        desc_lines = w.wrap(it["description"], desc_width)
        if w.y + 12 * len(desc_lines) > 770:
            w.text(270, 815, f"Page {page_no}", 8)
            w.new_page()
            page_no += 1
            w.text(40, 40, f"{seller_name} - {number} (continued)", 8)
            w.y = 70
            if repeat_header:
                header_row()
        for _name, x, align, kind in cols:
            value = _cell(kind, n, it, money_style, rng)
            if kind == "description":
                for k, dl in enumerate(desc_lines):
                    w.text(x, w.y + 12 * k, dl, 9)
            elif align == "r":
                w.right(x, w.y, value, 9)
            else:
                w.text(x, w.y, value, 9)
        w.y += 12 * len(desc_lines) + 4
    w.page.draw_line((40, w.y - 4), (555, w.y - 4), width=0.5)
    if w.y > 700:
        w.text(270, 815, f"Page {page_no}", 8)
        w.new_page()
        w.y = 70
    # totals
    w.y += 10
    rows: list[tuple[str, str]] = [
        (words["sub"] if layout != "gst_intra" else "Taxable Value", m(subtotal))
    ]
    for t in taxes:
        rate = _rate_text(t["rate"], money_style)
        if t["type"] in ("CGST", "SGST", "IGST"):
            rows.append((f"{t['type']} @ {rate}%", m(t["amount"])))
        elif t["type"] == "SALES_TAX":
            rows.append((f"Sales Tax ({rate}%)", m(t["amount"])))
        else:
            rows.append((f"{words.get('tax', 'VAT')} {rate} %", m(t["amount"])))
    cur_suffix = {"INR": "INR", "EUR": "EUR", "USD": "USD", "GBP": "GBP"}[cur_code]
    symbol = {"INR": "Rs. ", "EUR": "EUR ", "USD": "$", "GBP": "£"}[cur_code]  # helv has no €
    rows.append(
        (
            f"{words['total']} ({cur_suffix})" if index % 2 else words["total"],
            m(total) if index % 2 else symbol + m(total),
        )
    )
    if layout in ("us_sales", "service") or index % 4 == 1:
        rows.append(("Balance Due" if lang == "en" else words["due_amt"], m(total)))
    for label, value in rows:
        w.text(340, w.y, label, 9, bold=label.startswith(words["total"]))
        w.right(555, w.y, value, 9)
        w.y += 14
    w.y += 14
    if seller_country == "IN":
        w.text(40, w.y, "Amount chargeable (in words): as above. E. & O.E.", 8)
        w.y += 12
    w.text(40, w.y, "Thank you for your business. Payment by bank transfer.", 8)
    if cur_code == "EUR":
        w.text(40, w.y + 12, f"IBAN: {_iban(rng)}", 8)
    w.text(270, 815, f"Page {page_no}", 8)
    pdf = w.bytes()
    if layout == "scanned":
        pdf = _scan(pdf, rng)
    split = "dev" if index % 2 == 0 else "held"
    return Doc(f"{layout}_{index:03d}", layout, split, pdf, truth)


def _iban(rng: random.Random) -> str:
    bban = "".join(rng.choice("0123456789") for _ in range(18))
    digits = "".join(str(_ALNUM.index(c)) for c in bban + "DE00")
    check = 98 - int(digits) % 97
    raw = f"DE{check:02d}{bban}"
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def _columns(
    layout: str, lang: str, words: dict[str, str], service: bool
) -> list[tuple[str, float, Any, str]]:
    """(header text, x, alignment or description width, kind)."""
    if service:
        return [
            ("Description", 40, 380.0, "description"),
            ("VAT %", 470, "r", "tax_rate"),
            ("Amount", 555, "r", "amount"),
        ]
    if layout in ("gst_intra", "gst_inter", "multipage") or (layout == "scanned" and lang == "en"):
        return [
            ("#", 40, "l", "pos"),
            ("Description", 60, 190.0, "description"),
            ("HSN/SAC", 300, "l", "hsn"),
            ("Qty", 380, "r", "qty"),
            ("Rate", 440, "r", "unit_price"),
            ("GST %", 485, "r", "tax_rate"),
            ("Amount", 555, "r", "amount"),
        ]
    if layout == "us_sales":
        return [
            ("Description", 40, 250.0, "description"),
            ("Qty", 340, "r", "qty"),
            ("Unit Price", 440, "r", "unit_price"),
            ("Amount", 555, "r", "amount"),
        ]
    return [
        (words["pos"], 40, "l", "pos"),
        (words["desc"], 70, 200.0, "description"),
        (words["qty"], 320, "r", "qty"),
        (words["price"], 410, "r", "unit_price"),
        (words["rate"], 470, "r", "tax_rate"),
        (words["amount"], 555, "r", "amount"),
    ]


def _cell(kind: str, n: int, it: dict[str, Any], style: str, rng: random.Random) -> str:
    if kind == "pos":
        return str(n)
    if kind == "hsn":
        return str(rng.choice([4802, 8472, 9403, 8471, 998314, 998313, 3926]))
    if kind == "qty":
        q = it["quantity"]
        text = f"{q:g}".replace(".", ",") if style == "eu" else f"{q:g}"
        if n % 3 == 0 and style in ("eu", "plain"):
            text += " " + rng.choice(["pcs", "Stk", "pce", "h"])  # a unit after the quantity
        return text
    if kind == "unit_price":
        return _money(it["unit_price"], style)
    if kind == "tax_rate":
        return _rate_text(it["tax_rate"], style) + "%"
    if kind == "amount":
        return _money(it["amount"], style)
    return ""


def _scan(pdf: bytes, rng: random.Random) -> bytes:
    """Render each page to a slightly rotated grey image and rebuild an image-only PDF."""
    from PIL import Image, ImageFilter

    src = pymupdf.open(stream=pdf, filetype="pdf")
    out = pymupdf.open()
    for page in src:
        pix = page.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY)
        img = Image.frombytes("L", (pix.width, pix.height), pix.samples)
        img = img.rotate(rng.uniform(-0.8, 0.8), fillcolor=255, resample=Image.Resampling.BICUBIC)
        img = img.filter(ImageFilter.GaussianBlur(0.4))
        import io

        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=70)
        new = out.new_page(width=page.rect.width, height=page.rect.height)
        new.insert_image(new.rect, stream=buf.getvalue())
    data: bytes = out.tobytes(garbage=3, deflate=True)
    return data


def generate(count: int, *, seed: int = 7, layouts: list[str] | None = None) -> list[Doc]:
    """``count`` invoices per layout (indices 0..count-1; even → DEV, odd → HELD-OUT)."""
    return [make_invoice(i, layout, seed) for layout in (layouts or LAYOUTS) for i in range(count)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=8, help="invoices per layout")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for doc in generate(args.count, seed=args.seed):
        (args.out / f"{doc.name}.pdf").write_bytes(doc.pdf)
        (args.out / f"{doc.name}.gt.json").write_text(
            json.dumps({**doc.truth, "split": doc.split}, indent=1, ensure_ascii=False)
        )
    print(f"wrote {args.count * len(LAYOUTS)} invoices to {args.out}")


if __name__ == "__main__":
    main()
