"""Field parsers for payment receipts: each takes a :class:`Page` (or text) and returns the
field's value with the line it came from, or ``None``.

They know how UPI apps, wallets and bank apps lay their receipts out: the big amount, "Paid to"
/ "From" blocks, UPI ids, UTRs versus the app's own ids, the many date formats, status words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time

from services.payments.extract.lines import Line, Page

# ---------------------------------------------------------------------------- amount

_NUMBER = r"(\d{1,3}(?:,\d{2,3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)"
_MARKER = r"(?:₹|rs\.?|inr|r5\.?)"
_MARKED = re.compile(rf"{_MARKER}\s*:?\s*{_NUMBER}(?![\d,])", re.IGNORECASE)
# A bold ₹ is sometimes read as another glyph (天, 半, ¥, 2): one non-ASCII symbol glued
# to the start of a line's number counts as a (weaker) currency marker.
_GLYPH_MARKED = re.compile(rf"^\s*(?:paid\s+)?[^\x00-\x7f]\s?{_NUMBER}\s*$", re.IGNORECASE)
_BARE = re.compile(rf"^\s*(?:paid\s+)?{_NUMBER}\s*$", re.IGNORECASE)
_TRAILING_NAME_AMOUNT = re.compile(rf"[A-Za-z]\s+{_NUMBER}\s*$")
_AMOUNT_LABEL = re.compile(
    r"\b(amount|amt|total amount|amount paid|paid amount|you paid|transfer amount)\b", re.I
)
_ISO_CURRENCIES = ("USD", "EUR", "GBP", "AED", "SGD", "AUD", "CAD", "JPY", "NPR", "LKR")


@dataclass(frozen=True, slots=True)
class Found:
    """A value and the line it was read from (for confidence)."""

    value: str
    line: Line
    score: float = 1.0


def parse_number(text: str) -> float | None:
    """``"1,25,000.50"`` → 125000.5; ``None`` when not a plain number."""
    cleaned = text.replace(",", "").strip()
    if not re.fullmatch(r"\d+(?:\.\d{1,2})?", cleaned):
        return None
    return float(cleaned)


def _valid_grouping(number: str) -> bool:
    whole = number.split(".")[0]
    if "," not in whole:
        return True
    groups = whole.split(",")
    if any(not g.isdigit() for g in groups):
        return False
    # Western (1,234,567) or Indian (12,34,567) grouping.
    tail_ok = len(groups[-1]) == 3
    middle = groups[1:-1]
    western = all(len(g) == 3 for g in middle)
    indian = all(len(g) == 2 for g in middle)
    return tail_ok and (western or indian) and 1 <= len(groups[0]) <= 3


def find_amount(page: Page) -> Found | None:
    """The payment's amount: currency-marked or labelled numbers, the biggest text first."""
    best: Found | None = None
    tallest = max((o.height for o in page.lines), default=1.0) or 1.0
    for line in page.lines:
        text = line.text
        candidates: list[tuple[str, float]] = []
        for m in _MARKED.finditer(text):
            candidates.append((m.group(1), 3.0))
        if _AMOUNT_LABEL.search(text) or _AMOUNT_LABEL.search(_left_label(page, line)):
            for m in re.finditer(_NUMBER, text):
                candidates.append((m.group(1), 2.5))
        trailing = _TRAILING_NAME_AMOUNT.search(text)
        if trailing and ("," in trailing.group(1) or "." in trailing.group(1)):
            candidates.append((trailing.group(1), 0.9))  # "NAME 5,214.78" merged by the detector
        glyph = _GLYPH_MARKED.match(text)
        if glyph:
            candidates.append((glyph.group(1), 2.5))
        bare = _BARE.match(text)
        if bare:
            # The ₹ dropped by OCR: a number alone in its line (PhonePe puts it at the right of
            # the payee's name); grouped numbers are more convincing than plain ones.
            grouped = "," in bare.group(1) or "." in bare.group(1)
            candidates.append((bare.group(1), 1.0 if grouped else 0.6))
        for number, weight in candidates:
            if not _valid_grouping(number):
                continue
            value = parse_number(number)
            if value is None or value <= 0 or value >= 1e9:
                continue
            digits = number.replace(",", "").split(".")[0]
            if len(digits) >= 9 and "," not in number:
                continue  # an id or an account number, not an amount
            score = weight + 2.0 * (line.height / tallest)
            if best is None or score > best.score:
                best = Found(number.replace(",", ""), line, score)
    return best


def _left_label(page: Page, line: Line) -> str:
    return " ".join(o.text for o in page.row_of(line) if o.x1 <= line.x0 + 2)


def find_currency(page: Page, amount: Found | None) -> str:
    """ISO 4217 code written beside the amount; INR unless another code is shown."""
    if amount is not None:
        for code in _ISO_CURRENCIES:
            if re.search(rf"\b{code}\b", amount.line.text):
                return code
    return "INR"


# ---------------------------------------------------------------------------- dates and times

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_MON = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# A 4-digit year may be glued to the time that follows it ("04-12-202509:35:42").
_Y4 = r"\d{4}(?:(?!\d)|(?=\d{1,2}[:.]\d{2}))"
_D_MON_Y = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?[\s\-/]*{_MON}[\s,\-/']*({_Y4}|\d{{2}}(?!\d))", re.I
)
_MON_D_Y = re.compile(rf"\b{_MON}\s*(\d{{1,2}})(?:st|nd|rd|th)?[\s,]+({_Y4})", re.I)
_NUMERIC = re.compile(
    rf"(?<![\d/.\-])(\d{{1,2}})[/\-.](\d{{1,2}})[/\-.]({_Y4}|\d{{2}}(?![\d/.\-]))"
)
_ISO = re.compile(r"(?<!\d)(\d{4})[\-/.](\d{1,2})[\-/.](\d{2})(?:(?!\d)|(?=\d{1,2}:\d{2}))")
_TIME = re.compile(
    r"(?<![\d:.])(\d{1,2})\s?[:.]\s?(\d{2})(?:\s?:\s?(\d{2}))?(?:\s*([ap])\.?\s?m\b\.?)?(?![\d])",
    re.I,
)


def _year(text: str) -> int:
    y = int(text)
    return y + 2000 if y < 100 else y


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_date(text: str) -> tuple[date, tuple[int, int]] | None:
    """The first date written in ``text`` in any app format, and its span."""
    hits: list[tuple[int, date, tuple[int, int]]] = []
    for m in _D_MON_Y.finditer(text):
        d = _safe_date(_year(m.group(3)), _MONTHS[m.group(2).lower()[:3]], int(m.group(1)))
        if d:
            hits.append((m.start(), d, m.span()))
    for m in _MON_D_Y.finditer(text):
        d = _safe_date(int(m.group(3)), _MONTHS[m.group(1).lower()[:3]], int(m.group(2)))
        if d:
            hits.append((m.start(), d, m.span()))
    for m in _ISO.finditer(text):
        d = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            hits.append((m.start(), d, m.span()))
    for m in _NUMERIC.finditer(text):
        # Indian apps write day first; fall back to month first when day-first is impossible.
        a, b, y = int(m.group(1)), int(m.group(2)), _year(m.group(3))
        d = _safe_date(y, b, a) or _safe_date(y, a, b)
        if d:
            hits.append((m.start(), d, m.span()))
    if not hits:
        return None
    hits.sort(key=lambda h: h[0])
    return hits[0][1], hits[0][2]


def parse_time(text: str) -> time | None:
    """The first clock time in ``text``: ``1:24 pm``, ``01:24 PM``, ``13:24``, ``13:24:05``."""
    for m in _TIME.finditer(text):
        hour, minute = int(m.group(1)), int(m.group(2))
        second = int(m.group(3)) if m.group(3) else 0
        meridiem = (m.group(4) or "").lower()
        sep = text[m.start(1) + len(m.group(1)) : m.start(2)]
        if "." in sep and not meridiem:
            continue  # 12.50 is an amount, not a time
        if meridiem:
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if meridiem == "p" else 0)
        if hour > 23 or minute > 59 or second > 59:
            continue
        return time(hour, minute, second)
    return None


def find_date_time(page: Page) -> tuple[Found | None, Found | None]:
    """The payment's date and time: the first dated row, its time from the same row, else the
    nearest row below that holds a time."""
    rows = [" ".join(o.text for o in row) for row in page.rows]
    for i, text in enumerate(rows):
        parsed = parse_date(text)
        if parsed is None:
            continue
        day, span = parsed
        line = page.rows[i][0]
        found_date = Found(day.isoformat(), line)
        rest = text[: span[0]] + " " + text[span[1] :]
        clock = parse_time(rest)
        if clock is None:
            for j in (i + 1, i + 2, i - 1):
                if 0 <= j < len(rows):
                    clock = parse_time(_without_dates(rows[j]))
                    if clock is not None:
                        line = page.rows[j][0]
                        break
        found_time = Found(clock.strftime("%H:%M:%S"), line) if clock else None
        return found_date, found_time
    return None, None


def _without_dates(text: str) -> str:
    parsed = parse_date(text)
    while parsed is not None:
        text = text[: parsed[1][0]] + " " + text[parsed[1][1] :]
        parsed = parse_date(text)
    return text


# ---------------------------------------------------------------------------- status

_FAILED = re.compile(
    r"\b(failed|failure|declined|unsuccessful|rejected|reversed|cancelled)\b", re.I
)
_PENDING = re.compile(r"\b(pending|processing|in progress|awaiting|under process)\b", re.I)
_SUCCESS = re.compile(
    r"\b(successful|successfully|success|completed|complete|paid|sent|approved|done)\b", re.I
)


_FUZZY_STATUS = (
    ("failed", ("failed", "declined", "unsuccessful", "rejected")),
    ("pending", ("pending", "processing")),
    ("completed", ("successful", "successfully", "completed")),
)


def _fuzzy_word(text: str, words: tuple[str, ...]) -> bool:
    """One OCR slip in a long status word ("Falled", "Completd")."""
    for token in re.findall(r"[a-z]{6,}", text.lower()):
        if any(_edit1(token, w) for w in words):
            return True
    return False


def find_status(page: Page) -> Found | None:
    """``failed`` > ``pending`` > ``completed``: a failed screen may still say "Paid from".
    Exact words first, then words with one OCR slip."""
    for pattern, status in ((_FAILED, "failed"), (_PENDING, "pending"), (_SUCCESS, "completed")):
        for line in page.lines:
            if pattern.search(line.text):
                return Found(status, line)
    for status, words in _FUZZY_STATUS:
        for line in page.lines:
            if _fuzzy_word(line.text, words):
                return Found(status, line)
    return None


# ---------------------------------------------------------------------------- ids

_UPI_ID = re.compile(
    r"(?<![\w.\-])([a-z0-9][a-z0-9._\-]{1,60})\s?@\s?([a-z][a-z0-9]{1,20})(?![\w@])", re.I
)
KNOWN_HANDLES = (
    "okaxis",
    "okhdfcbank",
    "okicici",
    "oksbi",
    "ybl",
    "ibl",
    "axl",
    "paytm",
    "ptyes",
    "ptaxis",
    "pthdfc",
    "ptsbi",
    "upi",
    "sbi",
    "pnb",
    "apl",
    "yapl",
    "rapl",
    "icici",
    "waaxis",
    "waicici",
    "axisbank",
    "hdfcbank",
    "kotak",
    "kkbk",
    "indus",
    "federal",
    "fbl",
    "barodampay",
    "boi",
    "cnrb",
    "unionbank",
    "idfcbank",
    "aubank",
    "jupiteraxis",
    "freecharge",
    "airtel",
    "jio",
    "axisb",
    "yesbank",
    "hsbc",
    "dbs",
    "citi",
    "rbl",
    "idbi",
    "postbank",
    "slice",
    "naviaxis",
    "superyes",
    "okbizaxis",
    "mairtel",
    "ikwik",
    "timecosmos",
    "abfspay",
    "pingpay",
    "yesg",
)
_EMAIL_TLD = re.compile(r"^\.[a-z]{2,}", re.I)


def _edit1(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def normalise_upi(user: str, handle: str) -> str:
    """Lower-case; snap an OCR-garbled handle (``axI`` → ``axl``) to the nearest known one."""
    handle = handle.lower()
    if handle not in KNOWN_HANDLES:
        for known in KNOWN_HANDLES:
            if _edit1(handle.replace("1", "l"), known) or handle.replace("1", "l") == known:
                handle = known
                break
    return f"{user.lower()}@{handle}"


_FROM = re.compile(r"^\s*(?:paid\s+)?(?:from|debited\s+from|sender|remitter)\b", re.I)
_TO_LABEL = re.compile(r"\b(?:to|paid\s+to|sent\s+to|payee|beneficiary|vpa|upi\s*id)\b", re.I)


def find_upi_id(page: Page) -> Found | None:
    """The payee's UPI id: labelled (UPI ID, VPA) or the first one outside the payer block."""
    best: Found | None = None
    for line in page.lines:
        for m in _UPI_ID.finditer(line.text):
            after = line.text[m.end() :]
            if _EMAIL_TLD.match(after):
                continue
            value = normalise_upi(m.group(1), m.group(2))
            if len(value) > 50:
                continue
            score = 2.0 - line.index / 1000
            if re.search(r"\b(upi\s*id|vpa)\b", line.text, re.I) or _TO_LABEL.search(line.text):
                score += 2.0
            if _in_payer_block(page, line):
                score -= 3.0
            if best is None or score > best.score:
                best = Found(value, line, score)
    if best is None:
        best = _upi_without_at(page)
    return best


_LOST_AT = re.compile(r"^(?:(?:upi\s*id|vpa)\s*:?\s*)?([a-z0-9._\-]{3,})$", re.I)


def _upi_without_at(page: Page) -> Found | None:
    """A UPI id whose ``@`` OCR read as a letter ("adityanairgoksbi"): a lone token that ends
    with a known handle of 3+ letters after a g/s/S/8/&. The payee's block only."""
    for line in page.lines:
        m = _LOST_AT.match(line.text.strip())
        if not m or _in_payer_block(page, line):
            continue
        token = m.group(1)
        for handle in sorted(KNOWN_HANDLES, key=len, reverse=True):
            if len(handle) < 3 or not token.lower().endswith(handle):
                continue
            head = token[: -len(handle)]
            if len(head) >= 3 and head[-1] in "gsS8&":
                return Found(normalise_upi(head[:-1], handle), line, 0.5)
    return None


def _in_payer_block(page: Page, line: Line) -> bool:
    if _FROM.search(line.text):
        return True
    i = page.row_index(line)
    for j in (i - 1, i - 2):
        if 0 <= j < len(page.rows):
            text = " ".join(o.text for o in page.rows[j])
            if _FROM.search(text):
                return True
            if _TO_LABEL.search(text) or re.search(r"@", text):
                return False
    return False


_STRONG_ID_LABEL = re.compile(
    r"\b(upi\s*transaction\s*id|upi\s*txn\s*id|upi\s*ref(?:erence)?\.?\s*(?:no|id|number)?\.?|utr(?:\s*(?:no|number))?\.?"
    r"|bank\s*ref(?:erence)?\.?\s*(?:id|no|number)?|imps\s*ref(?:erence)?\.?\s*(?:no|id|number)?\.?|rrn"
    r"|ref(?:erence)?\.?\s*(?:no|number|id)\.?|transaction\s*reference(?:\s*(?:no|number))?)\b",
    re.I,
)
_WEAK_ID_LABEL = re.compile(
    r"\b(transaction\s*id|txn\.?\s*id|transaction\s*no\.?|txn\s*no\.?)\b", re.I
)
_FOREIGN_ID = re.compile(
    r"\b(google|amazon|order|merchant|wallet|phonepe|paytm|invoice|bill|account|a/c|customer)\b",
    re.I,
)
_ID_VALUE = re.compile(r"(?<![\w])([A-Za-z0-9]{8,40})(?![\w])")
_UPI_REF = re.compile(r"(?<!\d)(\d{12})(?!\d)")


_ID_LOOKALIKES = str.maketrans("OoIlS", "00115")


def _clean_id(token: str) -> str:
    if sum(c.isdigit() for c in token) >= len(token) - 2 and len(token) >= 10:
        token = token.translate(_ID_LOOKALIKES)
    return token


def _id_after(text: str, label_end: int) -> str | None:
    m = _ID_VALUE.search(text[label_end:])
    if m and any(c.isdigit() for c in m.group(1)):
        return _clean_id(m.group(1))
    return None


def find_transaction_id(page: Page) -> Found | None:
    """The UPI transaction id / UTR, preferred over the app's own ids (Google transaction ID,
    order ids, PhonePe's ``T…`` id); NEFT UTRs and IMPS reference numbers for bank apps."""
    candidates: list[Found] = []
    for line in page.lines:
        for pattern, base in ((_STRONG_ID_LABEL, 90.0), (_WEAK_ID_LABEL, 50.0)):
            m = pattern.search(line.text)
            if not m:
                continue
            if _FOREIGN_ID.search(line.text[: m.start()] + " " + m.group(0)):
                continue
            value = _id_after(line.text, m.end())
            source = line
            if value is None:
                right = page.right_of(line)
                value = _id_after(right, 0) if right else None
            if value is None:
                nxt = page.next_row_first(line)
                if (
                    nxt is not None
                    and not _STRONG_ID_LABEL.search(nxt.text)
                    and not _WEAK_ID_LABEL.search(nxt.text)
                ):
                    value = _id_after(nxt.text, 0)
                    source = nxt
            if value is None:
                continue
            score = base + (10.0 if re.fullmatch(r"\d{12}", value) else 0.0)
            candidates.append(Found(value, source, score))
            break
    for line in page.lines:
        for m in _UPI_REF.finditer(line.text):
            if _FOREIGN_ID.search(line.text) or re.search(r"x{3,}|\*{3,}", line.text, re.I):
                continue
            # A bare 12-digit number is a UPI reference more often than an app's own id.
            candidates.append(Found(m.group(1), line, 55.0))
    if not candidates:
        return None
    return max(candidates, key=lambda f: (f.score, -f.line.index))


# ---------------------------------------------------------------------------- names

_PAYEE_INLINE = re.compile(
    r"^\s*(?:pa[il1]d\s+(?:successfully\s+)?to|sent\s+to|transferred\s+to|payment\s+to|to|"
    r"beneficiary(?:\s+name)?|payee(?:\s+name)?|receiver(?:\s+name)?|recipient)\s*[:\-]?\s*(.*)$",
    re.I,
)
_PAYER_INLINE = re.compile(
    r"^\s*(?:paid\s+from|debited\s+from|from(?:\s+a/?c)?|sender(?:\s+name)?|remitter(?:\s+name)?"
    r"|payer(?:\s+name)?)\s*[:\-]?\s*(.*)$",
    re.I,
)
_NOT_NAME = re.compile(
    r"\b(bank|upi|id|transaction|successful|completed|paid|payment|pending|failed|details|account"
    r"|a/c|ifsc|amount|date|time|status|ref|utr|google|pay|phonepe|paytm|wallet|share|receipt"
    r"|powered|split|view|history|balance|mode|neft|imps)\b",
    re.I,
)


_TRAILING_AMOUNT = re.compile(rf"\s+(?:{_MARKER}|[^\x00-\x7f])?\s?{_NUMBER}\s*$", re.I)


def clean_name(text: str) -> str | None:
    """A person's or shop's name from a value, or None when the value is not a name. An
    amount the detector merged into the same box ("MANOJ RAO 5,214.78") is cut off."""
    text = _TRAILING_AMOUNT.sub("", text).strip(" :-•·|")
    paren = re.search(r"\(([^)]*)\)", text)
    head = re.sub(r"\([^)]*\)?", " ", text).strip(" :-•·|,")
    if paren and (not head or re.search(r"\d|x{2,}", head, re.I)):
        head = paren.group(1).strip()
    head = re.sub(r"\s+", " ", head)
    if not head or len(head) < 2 or len(head) > 255:
        return None
    if re.search(r"[\d@₹]", head) or re.search(r"x{3,}", head, re.I):
        return None
    if not re.fullmatch(r"[A-Za-z][A-Za-z .'&\-]*", head):
        return None
    if _NOT_NAME.search(head):
        return None
    return _fix_initial_l(head)


def _fix_initial_l(name: str) -> str:
    """OCR reads a capital I as l: in a Title Case name, "lyer" is "Iyer"."""
    words = name.split(" ")
    if len(words) < 2 or not any(w[:1].isupper() for w in words):
        return name
    return " ".join(
        "I" + w[1:] if len(w) > 1 and w[0] == "l" and w[1].islower() else w for w in words
    )


def _name_after(page: Page, line: Line, pattern: re.Pattern[str]) -> Found | None:
    m = pattern.match(line.text)
    if not m:
        return None
    inline = clean_name(m.group(1)) if m.group(1) else None
    if inline:
        return Found(inline, line)
    if m.group(1) and m.group(1).strip():
        if re.search(r"\d|x{3,}|@", m.group(1), re.I):
            return None  # the label's value is an account or id, not a name
        return None
    right = page.right_of(line)
    if right:
        name = clean_name(right)
        if name:
            return Found(name, line)
        return None
    nxt = page.next_row_first(line)
    if nxt is not None:
        name = clean_name(nxt.text)
        if name:
            return Found(name, nxt)
    return None


def find_payee(page: Page) -> Found | None:
    """The recipient: "Paid to X", "To X", "Sent to X", "Beneficiary Name  X", a label above."""
    for line in page.lines:
        found = _name_after(page, line, _PAYEE_INLINE)
        if found:
            return found
    return None


def find_payer(page: Page) -> Found | None:
    """The sender: "From: X (Bank)", "Paid from  X", "Remitter Name  X", "From A/c: XX1 (X)"."""
    for line in page.lines:
        found = _name_after(page, line, _PAYER_INLINE)
        if found:
            return found
        m = _PAYER_INLINE.match(line.text)
        if m and m.group(1) and "(" in m.group(1):
            name = clean_name(m.group(1))
            if name:
                return Found(name, line)
    return None


# ---------------------------------------------------------------------------- method


def find_method(page: Page, *, upi_id: str | None, transaction_id: str | None) -> str:
    text = page.text
    if re.search(r"\bNEFT\b", text, re.I):
        return "NEFT"
    if re.search(r"\bIMPS\b", text, re.I):
        return "IMPS"
    if upi_id or re.search(r"\b(UPI|BHIM|VPA)\b", text, re.I):
        return "UPI"
    if transaction_id and re.fullmatch(r"\d{12}", transaction_id):
        return "UPI"
    return "unknown"


__all__ = [
    "KNOWN_HANDLES",
    "Found",
    "clean_name",
    "find_amount",
    "find_currency",
    "find_date_time",
    "find_method",
    "find_payee",
    "find_payer",
    "find_status",
    "find_transaction_id",
    "find_upi_id",
    "normalise_upi",
    "parse_date",
    "parse_number",
    "parse_time",
]
