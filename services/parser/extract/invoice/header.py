"""Header fields by layout: label–value pairs found by position (in the label's segment, to
its right on the same line, or under it), value shapes (GSTIN, EU VAT ids) and party blocks
(Bill to / Sold by / Rechnungsempfänger …) for seller and buyer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from services.parser.extract.invoice.labels import (
    BUYER_LABELS,
    BUYER_TAX_HINT,
    COLUMN_LABELS,
    FIELD_LABELS,
    SELLER_LABELS,
    SHIP_LABEL,
    TAX_ID_LABELS,
    TOTAL_LABELS,
    match_label,
)
from services.parser.extract.invoice.layout import Line, Segment, norm
from services.parser.extract.invoice.values import read_date
from services.parser.extract.text.currency import CODES, currency_from_text, decide_currency
from services.parser.extract.text.dates import DateOrder
from services.parser.extract.text.tax_ids import GSTIN_RE, find_tax_ids

__all__ = ["Header", "PartyBlock", "read_header"]

_TITLE = re.compile(
    r"^(?:(?:tax|gst|vat|commercial|proforma|retail|sales)\s+)?(?:invoice|receipt|bill|credit\s+note)s?\b"
    r"|^(?:handels|teil|schluss)?rechnung\b|^gutschrift\b|^facture\b|^avoir\b|^factuur\b|^faktura\b"
    r"|^payment\s+receipt|^invoice\s+summary"
)
_CONTACT = re.compile(
    r"(?:^|\b)(?:tel\.?|phone|ph\.?|mobile|fax|e-?mail|www\.|http|telefon|telefax|tél|site|web)\b|@|\+\d{2}"
)
_NOT_NAME = re.compile(
    r"^(?:attn|attention|nummer|number|no\.?|globale\s+nummer|gln|customer\s+(?:no|id)|kunden-?nr|page|seite)\b"
)
_INVOICE_NO_BAD = re.compile(r"^(?:no|nr|number|date|datum|of|de|du|vom|:|#)$", re.IGNORECASE)


@dataclass(slots=True)
class PartyBlock:
    name: str | None = None
    address: str | None = None
    tax_id: str | None = None
    lines: set[int] = field(default_factory=set)  # indices of the block's lines


@dataclass(slots=True)
class Header:
    invoice_number: str | None = None
    invoice_date: str | None = None
    due_date: str | None = None
    currency: str | None = None
    seller: PartyBlock = field(default_factory=PartyBlock)
    buyer: PartyBlock = field(default_factory=PartyBlock)
    scores: dict[str, float] = field(default_factory=dict)


def _value_candidates(lines: list[Line], li: int, seg_i: int, end: int) -> list[tuple[str, float]]:
    """Texts that may hold a label's value: rest of its segment, the segment to the right,
    the segment under it (first match wins, in this order)."""
    line = lines[li]
    seg = line.segments[seg_i]
    out: list[tuple[str, float]] = []
    rest = seg.text[end:].strip(" :.-–\t")
    if rest.startswith("#"):
        rest = rest[1:].strip()
    if rest:
        out.append((rest, 1.0))
    if seg_i + 1 < len(line.segments):
        nxt = line.segments[seg_i + 1]
        if nxt.x0 - seg.x1 < 250:
            out.append((nxt.text.strip(" :#"), 0.95))
    for lj in range(li + 1, min(li + 3, len(lines))):
        below = lines[lj]
        if below.page != line.page or below.y0 - line.y1 > 2.5 * line.height:
            break
        for s in below.segments:
            if s.x0 < seg.x1 + 5 and s.x1 > seg.x0 - 5:
                out.append((s.text.strip(" :#"), 0.85))
                break
        else:
            continue
        break
    return out


def _invoice_number(text: str) -> str | None:
    parts = text.split()
    while parts and _INVOICE_NO_BAD.match(parts[0].strip(".:")):
        parts.pop(0)
    if not parts:
        return None
    token = parts[0].strip(",;:")
    if token.startswith("#"):
        token = token[1:]
    if not token or not any(c.isdigit() for c in token) or not 2 <= len(token) <= 40:
        return None
    if read_date(token, "DMY") or read_date(token, "MDY") or "%" in token:
        return None
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{2})", token):  # a small amount, not a number
        return None
    return token


def _field_value(name: str, text: str, order: DateOrder) -> str | None:
    if name == "invoice_number":
        return _invoice_number(text)
    if name in ("invoice_date", "due_date"):
        text = re.sub(r"^(?:le|am|on|du|vom|op|of|the)\s+", "", text.strip(), flags=re.IGNORECASE)
        return read_date(text, order)
    if name == "currency":
        code = text.split()[0].upper() if text.split() else ""
        return code if code in CODES else currency_from_text(text)
    return None


# "Mietrechnung Nr. 9314/00 vom 01.10.2018", "Invoice # RE-507 issued at 2019-06-10"
_TITLE_NO = re.compile(
    r"(?:\b\w*rechnung\w*|\bgutschrift|\binvoice|\bfacture|\bavoir|\bfactuur|\bfaktura"
    r"|\bcredit\s+note|\bbill)\b[^:]{0,40}?(?:\b(?:nr|no|number|nummer|num)\b\.?|n°|#)\s*:?\s*"
)
_TITLE_DATE = re.compile(
    r"(?:\b(?:vom|du|dated|of|from|le|issued\s+(?:at|on)|date[d]?)\s+)(.{6,24})|(?:\b(?:vom|du|dated|of|issued\s+(?:at|on))\s*$)"
)
_DUE_IN_TEXT = re.compile(
    r"\b(?:remit\s+(?:until|by)|pay(?:able)?\s+(?:until|by|before|on\s+or\s+before)|due\s+(?:on|by)"
    r"|zahlbar\s+bis(?:\s+zum)?|fallig\s+am|a\s+regler\s+avant\s+le|payer\s+avant\s+le"
    r"|te\s+betalen\s+voor)\s+(.{6,24})"
)


_FIELD_HINT = re.compile(
    r"inv|bill|rechnung|factu|faktur|numer|nr|no|n°|#|num|date|datum|data|due|pay|fall|zahl"
    r"|echeance|verval|termin|currency|wahrung|devise|valuta|waluta|document|beleg|issue|gutschrift"
    r"|avoir|credit|remit|regler"
)


def _scan_fields(lines: list[Line], order: DateOrder) -> dict[str, tuple[str, float, int]]:
    best: dict[str, tuple[str, float, int]] = {}

    def offer(name: str, value: str, score: float, li: int) -> None:
        cur = best.get(name)
        if cur is None or score > cur[1] + 1e-9:
            best[name] = (value, score, li)

    for li, line in enumerate(lines):
        page_factor = 1.0 if line.page == lines[0].page else 0.9
        for si, seg in enumerate(line.segments):
            if not _FIELD_HINT.search(seg.norm):
                continue
            for name, patterns in FIELD_LABELS.items():
                hit = match_label(seg.norm, patterns)
                if hit is None:
                    continue
                weight, end = hit
                if end < len(seg.norm) and seg.norm[end].isalpha() and seg.norm[end - 1].isalpha():
                    continue  # a longer word, not this label
                for text, pos in _value_candidates(lines, li, si, end):
                    value = _field_value(name, text, order)
                    if value is not None:
                        offer(name, value, weight * pos * page_factor, li)
                        break
            _title_fields(lines, li, seg, order, offer)
            m = _DUE_IN_TEXT.search(seg.norm)
            if m:
                value = read_date(seg.text[m.start(1) :], order)
                if value:
                    offer("due_date", value, 0.6, li)
    return best


def _title_fields(lines: list[Line], li: int, seg: Segment, order: DateOrder, offer: Any) -> None:
    """Number and date from a document title: "Rechnung Nr. 471102 vom 05.03.2018"."""
    m = _TITLE_NO.search(seg.norm)
    if not m or m.start() > 40:
        return
    rest = seg.text[m.end() :]
    number = _invoice_number(rest)
    if number is None:
        return
    offer("invoice_number", number, 0.7, li)
    after = rest[rest.find(number) + len(number) :] if number in rest else rest
    d = _TITLE_DATE.search(norm(after))
    value = None
    if d and d.group(1):
        value = read_date(after[d.start(1) :], order)
    elif d or not after.strip():
        nxt = lines[li + 1] if li + 1 < len(lines) else None
        if nxt is not None and nxt.page == lines[li].page and nxt.segments:
            text = nxt.segments[0].text
            text = re.sub(r"^(?:vom|du|dated|of)\s+", "", text, flags=re.IGNORECASE)
            value = read_date(text, order)
    if value:
        offer("invoice_date", value, 0.55, li)


def _is_label(seg: Segment) -> bool:
    text = seg.norm.strip(" :")
    if BUYER_LABELS.match(text) or SELLER_LABELS.match(text):
        return True
    if _FIELD_HINT.search(text):
        for patterns in FIELD_LABELS.values():
            hit = match_label(text, patterns)
            if hit is not None and hit[0] >= 0.8:
                return True
    return any(p.match(text) for _, p in TOTAL_LABELS)


def _block(lines: list[Line], li: int, seg: Segment, rest: str) -> tuple[list[str], set[int]]:
    """The text block a party label introduces: rest of its segment, then the segments
    under the label in the following lines (same column) until a gap or another label."""
    texts: list[str] = []
    used: set[int] = set()
    if rest.strip(" :"):
        texts.append(rest.strip(" :"))
        used.add(li)
    line = lines[li]
    last_y = line.y1
    left = seg.x0 - 12
    right = max(seg.x1, seg.x0 + 140)
    for lj in range(li + 1, min(li + 9, len(lines))):
        below = lines[lj]
        if below.page != line.page or below.y0 - last_y > 2.2 * below.height:
            break
        found = [s for s in below.segments if s.x0 >= left and s.x0 < right]
        if not found:
            continue
        s = found[0]
        if _is_label(s) or any(p.match(s.norm.strip(" :")) for _, p in COLUMN_LABELS[5:6]):
            break
        texts.append(s.text)
        used.add(lj)
        last_y = below.y1
        if len(texts) >= 7:
            break
    return texts, used


def _party_from_block(texts: list[str], ocr: bool = False) -> PartyBlock:
    party = PartyBlock()
    rest: list[str] = []
    for text in texts:
        ids = [t for t in find_tax_ids(text, ocr=ocr) if t.kind != "iban"]
        if ids:
            party.tax_id = party.tax_id or ids[0].value
            continue
        norm_text = text.lower()
        if _CONTACT.search(norm_text) or TAX_ID_LABELS.match(norm_text):
            continue
        if party.name is None:
            cleaned = re.sub(r"^(?:attn|attention)\s*:\s*", "", text, flags=re.IGNORECASE)
            if _NOT_NAME.match(cleaned.lower()) or not re.search(r"[A-Za-zÀ-ÿ]", cleaned):
                continue
            party.name = cleaned.strip(" ,")
            continue
        rest.append(text.strip(" ,"))
    if rest:
        party.address = ", ".join(r for r in rest[:4] if r)
    return party


def _parties(lines: list[Line], ocr: bool = False) -> tuple[PartyBlock, PartyBlock]:
    buyer: PartyBlock | None = None
    seller: PartyBlock | None = None
    buyer_rank = 9
    first_page = lines[0].page if lines else 0
    for li, line in enumerate(lines):
        if line.page != first_page:
            break
        for seg in line.segments:
            text = seg.norm
            m = BUYER_LABELS.match(text)
            if m and (text[m.end() :].strip(" :") == "" or ":" in text[m.end() : m.end() + 3]):
                rank = 2 if SHIP_LABEL.match(text) else 1
                if rank < buyer_rank:
                    texts, used = _block(lines, li, seg, seg.text[m.end() :])
                    party = _party_from_block(texts, ocr)
                    if party.name:
                        party.lines = used | {li}
                        buyer, buyer_rank = party, rank
            m = SELLER_LABELS.match(text)
            if (
                m
                and seller is None
                and (text[m.end() :].strip(" :") == "" or ":" in text[m.end() : m.end() + 3])
            ):
                texts, used = _block(lines, li, seg, seg.text[m.end() :])
                party = _party_from_block(texts, ocr)
                if party.name:
                    party.lines = used | {li}
                    seller = party
    buyer = buyer or PartyBlock()
    if seller is None:
        seller = _letterhead(lines, buyer)
    _assign_tax_ids(lines, seller, buyer, ocr)
    return seller, buyer


def _letterhead(lines: list[Line], buyer: PartyBlock) -> PartyBlock:
    """The seller when no label names it: the most prominent text block at the top of page 1."""
    if not lines:
        return PartyBlock()
    page = lines[0].page
    top = [(li, line) for li, line in enumerate(lines[:40]) if line.page == page]
    if not top:
        return PartyBlock()
    limit = top[0][1].y0 + 260
    best: tuple[float, int, Segment] | None = None
    for li, line in top:
        if line.y0 > limit or li in buyer.lines:
            continue
        for seg in line.segments:
            letters = sum(c.isalpha() for c in seg.text)
            if letters < 3 or letters < 0.5 * len(seg.text.replace(" ", "")):
                continue
            height = max(w.y1 - w.y0 for w in seg.words)
            score = height * 10 - line.y0 * 0.01 - seg.x0 * 0.001
            if best is not None and score <= best[0]:
                continue
            text = seg.norm.strip(" :.")
            idx = line.segments.index(seg)
            joined = " ".join(s.norm for s in line.segments[idx : idx + 2])
            if (
                _TITLE.match(text)
                or _TITLE.match(joined)
                or _is_label(seg)
                or _CONTACT.search(text)
            ):
                continue
            if _FIELD_HINT.search(text) and any(
                match_label(text, p) for p in FIELD_LABELS.values()
            ):
                continue
            best = (score, li, seg)
    if best is None:
        return PartyBlock()
    _, li, seg = best
    name = seg.text.strip(" ,")
    texts, used = _block(lines, li, seg, "")
    party = _party_from_block([name, *texts])
    party.name = name
    party.lines = used | {li}
    return party


def _assign_tax_ids(
    lines: list[Line], seller: PartyBlock, buyer: PartyBlock, ocr: bool = False
) -> None:
    seller_ids: list[tuple[int, str]] = []
    for li, line in enumerate(lines):
        text = line.text
        for tid in find_tax_ids(text, ocr=ocr):
            if tid.kind == "iban":
                continue
            before = line.text[: tid.start].lower()
            label_zone = before[-40:]
            if li in buyer.lines or BUYER_TAX_HINT.search(label_zone):
                if buyer.tax_id is None:
                    buyer.tax_id = tid.value
                continue
            rank = 0 if li in seller.lines else 1
            rank += 0 if tid.checksum_ok else 2
            rank += 0 if TAX_ID_LABELS.search(label_zone) else 1
            seller_ids.append((rank * 10000 + li, tid.value))
    if seller_ids:
        seller_ids.sort()
        seller.tax_id = seller_ids[0][1]
        if buyer.tax_id == seller.tax_id:
            buyer.tax_id = None
        return
    # no id of a known shape: a labelled number ("Tax ID: 12-3456789", "NIP 774-00-01-454")
    for li, line in enumerate(lines):
        if li in buyer.lines:
            continue
        for seg in line.segments:
            m = TAX_ID_LABELS.search(seg.norm)
            if not m or m.start() > 12 or BUYER_TAX_HINT.search(seg.norm[: m.start()]):
                continue
            rest = seg.text[m.end() :].strip(" :#.-/")
            cand = rest.split()[0] if rest.split() else ""
            if not cand:
                idx = line.segments.index(seg)
                if idx + 1 < len(line.segments):
                    cand = line.segments[idx + 1].text.split()[0]
            if sum(c.isdigit() for c in cand) >= 6:
                seller.tax_id = re.sub(r"[\s.\-/]", "", cand).upper()
                return


def read_header(lines: list[Line], order: DateOrder, *, ocr: bool = False) -> Header:
    """Header fields and parties of an invoice from its lines (all pages, reading order)."""
    found = _scan_fields(lines, order)
    header = Header()
    for name in ("invoice_number", "invoice_date", "due_date"):
        if name in found:
            setattr(header, name, found[name][0])
            header.scores[name] = found[name][1]
    if "currency" in found:
        header.currency = found["currency"][0]
        header.scores["currency"] = 1.0
    else:
        header.currency = decide_currency(line.text for line in lines)
        header.scores["currency"] = 0.8 if header.currency else 0.0
    header.seller, header.buyer = _parties(lines, ocr)
    if header.currency is None:
        # nothing names a currency: the seller's tax registration or the country its
        # address names tells the country's
        header.currency = (
            _currency_of_tax_id(header.seller.tax_id)
            or _currency_of_country(lines)
            or _currency_of_tax_id(header.buyer.tax_id)
        )
        header.scores["currency"] = 0.6 if header.currency else 0.0
    return header


_EUROZONE = set(
    [
        "AT",
        "BE",
        "CY",
        "DE",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PT",
        "SI",
        "SK",
    ]
)
_NATIONAL = {
    "GB": "GBP",
    "PL": "PLN",
    "CZ": "CZK",
    "DK": "DKK",
    "SE": "SEK",
    "HU": "HUF",
    "RO": "RON",
    "BG": "BGN",
    "CH": "CHF",
    "NO": "NOK",
}


_RS = re.compile(r"\b(?:rs|inr)\.?\s*[-−]?\s*\d", re.IGNORECASE)
_COUNTRY_CURRENCY = [
    (re.compile(r"\bindia\b|\bgstin\b", re.IGNORECASE), "INR"),
    (
        re.compile(
            r"\b(?:germany|deutschland|france|nederland|netherlands|belgi(?:um|e|que)"
            r"|osterreich|österreich|austria|italia|italy|espana|españa|spain|ireland)\b",
            re.IGNORECASE,
        ),
        "EUR",
    ),
    (re.compile(r"\b(?:united\s+kingdom|england)\b", re.IGNORECASE), "GBP"),
    (re.compile(r"\b(?:united\s+states|usa)\b", re.IGNORECASE), "USD"),
    (re.compile(r"\b(?:polska|poland)\b", re.IGNORECASE), "PLN"),
]


def _currency_of_country(lines: list[Line]) -> str | None:
    text = "\n".join(line.text for line in lines)
    if _RS.search(text):
        return "INR"
    for pattern, code in _COUNTRY_CURRENCY:
        if pattern.search(text):
            return code
    return None


def _currency_of_tax_id(tax_id: str | None) -> str | None:
    if not tax_id:
        return None
    if GSTIN_RE.fullmatch(tax_id):
        return "INR"
    prefix = tax_id[:2]
    if prefix in _EUROZONE:
        return "EUR"
    return _NATIONAL.get(prefix)
