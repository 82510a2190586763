"""Pages → the document's statement: rows joined across pages, one locale, checks, confidence.

Decisions are taken once per document: the decimal mark (from all amounts), the day/month
order (from all dates), the year of dates printed without one (from the period), which amount
column is the debit one and which sign convention a single amount column follows. Where the
page allows several readings, the statement's own arithmetic (running balance, opening + net
= closing) picks the one that holds; values are never changed to make a check pass, except a
digit the OCR itself was unsure of, and only to the one reading the arithmetic proves.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import TypeAdapter

from services.parser.extract.results import (
    Account,
    BankStatementResult,
    StatementChecks,
    StatementSummary,
    Transaction,
)
from services.parser.extract.statement.account import (
    PERIOD_SEPARATOR,
    AccountFields,
    find_dates,
    read_account,
    word_confidence,
)
from services.parser.extract.statement.model import PageOut, RowOut
from services.parser.extract.text.amounts import (
    Amount,
    DecimalMark,
    decide_decimal_mark,
    parse_amount,
)
from services.parser.extract.text.currency import decide_currency
from services.parser.extract.text.dates import DateOrder, decide_date_order, parse_date

__all__ = ["AssemblyNotes", "assemble_pages"]

CENT = Decimal("0.005")
_HUNDREDTH = Decimal("0.01")
_ZERO = Decimal(0)  # one instance: Decimal(0) is a constructor call per use in the row loops
_TRANSACTIONS = TypeAdapter(list[Transaction])
_LIABILITY = re.compile(
    r"credit card|card number|card no|minimum (amount )?due|minimum payment|payment due"
    r"|credit limit|total amount due",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(19[89]\d|20\d\d)\b")


@dataclass
class AssemblyNotes:
    """What assembly decided, for provenance, confidence and tests."""

    decimal_mark: DecimalMark = "."
    date_order: DateOrder = "DMY"
    swapped_columns: bool = False
    convention: str = ""
    repaired: list[int] = field(default_factory=list)
    repaired_fields: list[str] = field(default_factory=list)
    failed_rows: list[int] = field(default_factory=list)
    unreadable_rows: list[int] = field(default_factory=list)  # an amount cell read, not parsed
    source: str = "text_layer"


@dataclass
class _Row:
    raw: RowOut
    page: int
    date: dt.date | None = None
    value_date: dt.date | None = None
    debit: Decimal | None = None
    credit: Decimal | None = None
    balance: Decimal | None = None
    ocr: bool = False
    parsed: dict[str, Amount | None] = field(default_factory=dict)

    def __init__(
        self,
        raw: RowOut,
        page: int,
        date: dt.date | None = None,
        value_date: dt.date | None = None,
        debit: Decimal | None = None,
        credit: Decimal | None = None,
        balance: Decimal | None = None,
        ocr: bool = False,
        parsed: dict[str, Amount | None] | None = None,
    ) -> None:
        # written out: a dataclass-made __init__ stays interpreted bytecode when compiled
        self.raw = raw
        self.page = page
        self.date = date
        self.value_date = value_date
        self.debit = debit
        self.credit = credit
        self.balance = balance
        self.ocr = ocr
        self.parsed = {} if parsed is None else parsed

    @property
    def amount(self) -> Decimal:
        return (self.credit or _ZERO) - (self.debit or _ZERO)


def _remap_columns(pages: list[PageOut]) -> None:
    """Pages without a header take the roles of the header page's columns at the same place."""
    ref = next((p for p in pages if p.header), None)
    if ref is None:
        return
    ref_amounts = [c for c in ref.columns if c.role in ("debit", "credit", "amount", "balance")]
    for page in pages:
        if page.header or not page.columns:
            continue
        mapping: dict[str, str] = {}
        for col in page.columns:
            if col.role not in ("debit", "credit", "amount", "balance", "other"):
                continue
            near = min(ref_amounts, key=lambda c: abs(c.x1 - col.x1), default=None)
            if near is not None and abs(near.x1 - col.x1) < 30:
                mapping[col.role] = near.role
                col.role = near.role
                col.certain = near.certain
        if not mapping:
            continue
        for row in page.rows:
            values = {r: getattr(row, r) for r in ("debit", "credit", "amount", "balance")}
            values["other"] = None
            new: dict[str, str | None] = {r: None for r in ("debit", "credit", "amount", "balance")}
            for old, role in mapping.items():
                if values.get(old) is not None:
                    new[role] = values[old]
            for role, value in new.items():
                setattr(row, role, value)


def _decide_year(info_texts: Sequence[str], period: tuple[dt.date, dt.date] | None) -> int | None:
    if period is not None:
        return period[1].year
    years = [int(m.group(1)) for text in info_texts for m in _YEAR.finditer(text)]
    if not years:
        return None
    return max(set(years), key=years.count)


def _year_for(month: int, period: tuple[dt.date, dt.date] | None, year: int | None) -> int | None:
    if period and period[0].year != period[1].year:
        return period[0].year if month >= period[0].month else period[1].year
    return year


def _parse_row_date(text: str | None, order: DateOrder, period, year) -> dt.date | None:  # type: ignore[no-untyped-def]
    if not text:
        return None
    got = parse_date(text, order=order, year=None)
    if got is not None:
        return got
    probe = parse_date(text, order=order, year=2000)  # 2000 is a leap year: 29 Feb reads
    if probe is None:
        return None
    use = _year_for(probe.month, period, year)
    if use is None:
        return None
    try:
        return probe.replace(year=use)
    except ValueError:
        return None


def _amount(text: str | None, mark: DecimalMark) -> Amount | None:
    if not text:
        return None
    return parse_amount(text, decimal_mark=mark)


@dataclass
class _Reading:
    swap: bool = False
    unsigned: str = "debit"  # what an unmarked value in a single amount column is
    liability: bool = False  # balance grows with debits (cards, loans)


def _parsed(row: _Row, mark: DecimalMark) -> dict[str, Amount | None]:
    if not row.parsed:
        raw = row.raw
        row.parsed = {
            "debit": _amount(raw.debit, mark),
            "credit": _amount(raw.credit, mark),
            "amount": _amount(raw.amount, mark),
            "balance": _amount(raw.balance, mark),
        }
    return row.parsed


def _apply_reading(rows: list[_Row], reading: _Reading, mark: DecimalMark) -> None:
    for row in rows:
        raw = row.raw
        row.debit = row.credit = None
        values = _parsed(row, mark)
        d, c = values["debit"], values["credit"]
        if reading.swap:
            d, c = c, d
        if d is not None and d.value != 0:
            row.debit = abs(d.value)
        if c is not None and c.value != 0:
            row.credit = abs(c.value)
        if d is not None and c is None and d.sign == "cr":
            row.debit, row.credit = None, abs(d.value)
        if c is not None and d is None and c.sign == "dr":
            row.debit, row.credit = abs(c.value), None
        a = values["amount"]
        if a is not None and row.debit is None and row.credit is None:
            type_mark = (raw.type or "").strip().lower()[:1]
            sign = a.sign
            if type_mark in ("d", "c") and sign is None:
                sign = "dr" if type_mark == "d" else "cr"
            if sign in ("dr",):
                row.debit = abs(a.value)
            elif sign == "cr":
                row.credit = abs(a.value)
            elif sign in ("minus", "parens"):
                if reading.unsigned == "debit":
                    row.credit = abs(a.value)
                else:
                    row.debit = abs(a.value)
            elif sign == "plus":
                row.credit = abs(a.value)
            elif reading.unsigned == "debit":
                row.debit = abs(a.value)
            else:
                row.credit = abs(a.value)
        b = values["balance"]
        row.balance = b.value if b is not None else None
        if b is not None and reading.liability and b.sign == "cr":
            row.balance = b.value  # a card balance in credit stays as printed (negative owed)


def _continuity(
    rows: list[_Row], opening: Decimal | None, liability: bool
) -> tuple[int, list[int], int]:
    """(checked, failing row indexes, passed) for the running balance."""
    prev = opening
    pending = _ZERO
    failed: list[int] = []
    checked = passed = 0
    for i, row in enumerate(rows):
        pending += -row.amount if liability else row.amount
        if row.balance is None:
            continue
        if prev is not None:
            checked += 1
            if abs(prev + pending - row.balance) <= CENT:
                passed += 1
            else:
                failed.append(i)
        prev = row.balance
        pending = _ZERO
    return checked, failed, passed


def _one_edit(a: Decimal, b: Decimal) -> bool:
    """Two values whose printed digits differ in one place (an OCR misreading)."""
    sa, sb = f"{abs(a):.2f}".replace(".", ""), f"{abs(b):.2f}".replace(".", "")
    if len(sa) == len(sb):
        return sum(x != y for x, y in zip(sa, sb, strict=True)) == 1
    if abs(len(sa) - len(sb)) == 1:
        longer, shorter = (sa, sb) if len(sa) > len(sb) else (sb, sa)
        return any(longer[:k] + longer[k + 1 :] == shorter for k in range(len(longer)))
    return False


def _repair(rows: list[_Row], opening: Decimal | None, liability: bool) -> list[int]:
    """Fix single digits the OCR was unsure of, where the arithmetic proves the reading."""
    repaired: list[int] = []
    sign = -1 if liability else 1
    for _ in range(2):
        _, failed, _ = _continuity(rows, opening, liability)
        if not failed:
            break
        for i in failed:
            row = rows[i]
            if not row.ocr:
                continue
            prev_balance: Decimal | None = None
            for k in range(i - 1, -2, -1):
                anchor = opening if k < 0 else rows[k].balance
                if anchor is not None or k < 0:
                    if anchor is not None:
                        between = sum((r.amount for r in rows[k + 1 : i]), Decimal(0))
                        prev_balance = anchor + sign * between
                    break
            if prev_balance is None or row.balance is None:
                continue
            implied_balance = prev_balance + sign * row.amount
            nxt = next((r for r in rows[i + 1 :] if r.balance is not None), None)
            conf = row.raw.confidence
            if conf.get("balance", 1.0) < 0.995 and _one_edit(implied_balance, row.balance):
                ok_next = (
                    nxt is None
                    or abs(
                        implied_balance
                        + sign
                        * sum((r.amount for r in rows[i + 1 : rows.index(nxt) + 1]), Decimal(0))
                        - (nxt.balance or Decimal(0))
                    )
                    <= CENT
                )
                if ok_next:
                    row.balance = implied_balance
                    repaired.append(i)
                    continue
            implied_amount = sign * (row.balance - prev_balance)
            field_name = "debit" if row.debit is not None else "credit"
            if row.raw.amount is not None:
                field_name = "amount"
            current = row.debit if row.debit is not None else row.credit
            if current is None or conf.get(field_name, 1.0) >= 0.995:
                continue
            if implied_amount < 0 and row.debit is not None and _one_edit(-implied_amount, current):
                row.debit = -implied_amount
                repaired.append(i)
            elif (
                implied_amount > 0 and row.credit is not None and _one_edit(implied_amount, current)
            ):
                row.credit = implied_amount
                repaired.append(i)
    return repaired


def _repair_opening(
    rows: list[_Row], opening: Decimal, closing: Decimal | None, liability: bool
) -> Decimal | None:
    """An opening balance the OCR was unsure of, when the rows prove a one-digit misreading.

    The first printed balance minus the amounts before it gives the opening the rows imply;
    it replaces the read value only when the two differ in one digit and, where a closing
    balance is printed, the implied opening also makes opening + net = closing hold.
    """
    sign = -1 if liability else 1
    running = Decimal(0)
    for row in rows:
        running += sign * row.amount
        if row.balance is not None:
            implied = row.balance - running
            break
    else:
        return None
    if abs(implied - opening) <= CENT or not _one_edit(implied, opening):
        return None
    if closing is not None:
        net = sum((r.amount for r in rows), Decimal(0))
        if abs(implied + sign * net - closing) > CENT:
            return None
    return implied


def _money(value: Decimal | None) -> float | None:
    """To the cent, as a float. ``float(Decimal)`` goes through a string; the integer number
    of cents divided by 100 is the same float (IEEE division rounds the exact quotient)."""
    if value is None:
        return None
    cents = int(value.quantize(_HUNDREDTH).scaleb(2))
    if cents and -(2**53) < cents < 2**53:  # zero keeps its sign through float()
        return cents / 100
    return float(value.quantize(_HUNDREDTH))


def assemble_pages(pages: Sequence[PageOut]) -> tuple[BankStatementResult, AssemblyNotes]:
    """The document's result from its pages' results."""
    pages = list(pages)
    notes = AssemblyNotes()
    sources = {p.source for p in pages if p.rows or p.info}
    notes.source = "mixed" if len(sources) > 1 else (sources.pop() if sources else "text_layer")
    _remap_columns(pages)
    info = [ln for p in pages for ln in p.info]
    info_texts = [ln.text for ln in info]
    first_lines = len(pages[0].info) if pages else 0

    # rows in document order, the wrapped tail of a row moved back across the page break
    rows: list[tuple[RowOut, int]] = []
    for page in pages:
        if page.lead and rows:
            last = rows[-1][0]
            last.description = f"{last.description} {page.lead}".strip()
        for row in page.rows:
            rows.append((row, page.index + 1))

    # one locale for the document
    amount_texts = [
        t for row, _ in rows for t in (row.debit, row.credit, row.amount, row.balance) if t
    ]
    amount_texts += [w[0] for ln in info for w in ln.words if any(map(str.isdigit, w[0]))]
    notes.decimal_mark = mark = decide_decimal_mark(amount_texts)
    currency = decide_currency(info_texts + amount_texts[:400])
    fields = read_account(info, first_page_lines=first_lines)
    if fields.currency:
        currency = fields.currency
    if currency is None and fields.branch_code:
        if re.fullmatch(r"[A-Z]{4}0[A-Z0-9]{6}", fields.branch_code):
            currency = "INR"
        elif re.fullmatch(r"\d{2}-\d{2}-\d{2}", fields.branch_code):
            currency = "GBP"
        elif re.fullmatch(r"\d{9}", fields.branch_code):
            currency = "USD"  # an ABA routing number
    date_texts = [t for row, _ in rows for t in (row.date, row.value_date) if t]
    period_texts = list(fields.period or ())
    notes.date_order = order = decide_date_order(
        date_texts + period_texts + info_texts[:40],
        default="MDY" if currency == "USD" else "DMY",
    )
    period = _period(fields, info_texts[:first_lines] or info_texts, order)
    year = _decide_year(info_texts, period)

    parsed: list[_Row] = []
    openings: list[RowOut] = []
    closings: list[RowOut] = []
    last_page = pages[-1].index + 1 if pages else 1
    for row, page_no in rows:
        if row.kind == "opening":
            openings.append(row)
            continue
        if row.kind == "closing":
            if page_no == last_page or not closings:
                closings.append(row)
            continue
        if row.kind == "total":
            continue
        if not any((row.debit, row.credit, row.amount)):
            continue
        parsed.append(
            _Row(
                raw=row,
                page=page_no,
                date=_parse_row_date(row.date, order, period, year),
                value_date=_parse_row_date(row.value_date, order, period, year),
                ocr=bool(row.confidence) and min(row.confidence.values()) < 0.999,
            )
        )
    # rows printed without a date take the previous row's date
    for before, after in itertools.pairwise(parsed):
        if after.date is None and after.raw.date is None:
            after.date = before.date
            after.value_date = after.value_date or before.value_date

    opening = _first_amount(
        [fields.opening] + [r.balance or r.amount or r.credit or r.debit for r in openings[:1]],
        mark,
    )
    if openings and fields.opening is None:
        opening = _first_amount(
            [openings[0].balance, openings[0].amount, openings[0].credit, openings[0].debit],
            mark,
        )
    closing_text = [fields.closing] + [
        r.balance or r.amount or r.credit or r.debit for r in closings[-1:]
    ]
    closing = _first_amount(closing_text, mark)

    liability_doc = bool(_LIABILITY.search(" ".join(info_texts)))
    reading = _choose_reading(parsed, opening, closing, mark, pages, liability_doc)
    notes.swapped_columns = reading.swap
    notes.convention = f"unsigned={reading.unsigned},liability={reading.liability}"
    _apply_reading(parsed, reading, mark)
    if opening is not None and reading.liability and opening < 0 and liability_doc:
        pass
    if opening is not None and word_confidence(info, fields.opening) < 0.995:
        fixed = _repair_opening(parsed, opening, closing, reading.liability)
        if fixed is not None:
            opening = fixed
            notes.repaired_fields.append("opening_balance")
    notes.repaired = _repair(parsed, opening, reading.liability)
    checked, failed, _ = _continuity(parsed, opening, reading.liability)
    notes.failed_rows = failed
    notes.unreadable_rows = [
        i
        for i, row in enumerate(parsed)
        if any(
            value is None and getattr(row.raw, field_name) is not None
            for field_name, value in _parsed(row, mark).items()
        )
    ]
    if closing is None:
        last_balance = next((r.balance for r in reversed(parsed) if r.balance is not None), None)
        closing = last_balance
    # rows share their dates: each one's ISO text is made once
    iso: dict[dt.date, str] = {}
    for r in parsed:
        for day in (r.date, r.value_date):
            if day and day not in iso:
                iso[day] = day.isoformat()
    # validated as one list: a pydantic model built per row costs ~50% more
    transactions = _TRANSACTIONS.validate_python(
        [
            {
                "date": iso[r.date] if r.date else None,
                "value_date": iso[r.value_date] if r.value_date else None,
                "description": r.raw.description,
                "reference": r.raw.reference,
                "debit": _money(r.debit),
                "credit": _money(r.credit),
                "amount": _money(r.amount) or 0.0,
                "balance": _money(r.balance),
                "page": r.page,
            }
            for r in parsed
        ]
    )
    total_debits = sum((r.debit or _ZERO for r in parsed), _ZERO)
    total_credits = sum((r.credit or _ZERO for r in parsed), _ZERO)
    has_balances = any(r.balance is not None for r in parsed)
    continuity: bool | None = None
    if has_balances and checked:
        continuity = not failed
    net_check: bool | None = None
    if opening is not None and closing is not None and parsed:
        net = total_credits - total_debits
        expected = opening - net if reading.liability else opening + net
        net_check = abs(expected - closing) <= CENT
    result = BankStatementResult(
        account=Account(
            bank_name=fields.bank_name,
            account_holder=fields.account_holder,
            account_number=fields.account_number,
            branch_code=fields.branch_code,
            currency=currency,
            period_start=period[0].isoformat() if period else None,
            period_end=period[1].isoformat() if period else None,
            opening_balance=_money(opening),
            closing_balance=_money(closing),
        ),
        transactions=transactions,
        summary=StatementSummary(
            transaction_count=len(transactions),
            total_debits=_money(total_debits) or 0.0,
            total_credits=_money(total_credits) or 0.0,
        ),
        checks=StatementChecks(
            balance_continuity=continuity, opening_plus_net_equals_closing=net_check
        ),
    )
    _score(result, pages, parsed, notes, checked, reading)
    return result, notes


def _first_amount(texts: Sequence[str | None], mark: DecimalMark) -> Decimal | None:
    for text in texts:
        amount = _amount(text, mark)
        if amount is not None:
            return amount.value
    return None


def _period(
    fields: AccountFields, texts: Sequence[str], order: DateOrder
) -> tuple[dt.date, dt.date] | None:
    if fields.period:
        start = find_dates(fields.period[0], order=order)
        end = find_dates(fields.period[1], order=order)
        if start and end and start[-1] <= end[0]:
            return start[-1], end[0]
    for text in texts:
        if not PERIOD_SEPARATOR.search(text):
            continue
        found = find_dates(text, order=order)
        if len(found) == 2 and found[0] <= found[1] and (found[1] - found[0]).days <= 400:
            return found[0], found[1]
    return None


def _choose_reading(
    rows: list[_Row],
    opening: Decimal | None,
    closing: Decimal | None,
    mark: DecimalMark,
    pages: Sequence[PageOut],
    liability_doc: bool,
) -> _Reading:
    """The reading of the columns under which the statement's arithmetic holds best."""
    certain = all(c.certain for p in pages for c in p.columns if c.role in ("debit", "credit"))
    has_split = any(r.raw.debit or r.raw.credit for r in rows)
    markers = {a.sign for r in rows if (a := _parsed(r, mark)["amount"]) is not None}
    if liability_doc:
        default = _Reading(unsigned="debit", liability=True)
    elif markers & {"minus", "parens"}:
        default = _Reading(unsigned="credit")
    elif "cr" in markers and "dr" not in markers:
        default = _Reading(unsigned="debit")
    else:
        default = _Reading(unsigned="credit")
    candidates = [default]
    for swap, unsigned, liability in itertools.product(
        (False, True) if has_split else (False,), ("credit", "debit"), (False, True)
    ):
        reading = _Reading(swap=swap, unsigned=unsigned, liability=liability)
        if reading not in candidates:
            candidates.append(reading)

    def score(reading: _Reading) -> tuple[float, int]:
        _apply_reading(rows, reading, mark)
        checked, _, passed = _continuity(rows, opening, reading.liability)
        total = 0.0
        if checked:
            total += passed / checked * 10
        if opening is not None and closing is not None:
            net = sum((r.amount for r in rows), Decimal(0))
            expected = opening - net if reading.liability else opening + net
            total += 3 if abs(expected - closing) <= CENT else 0
        penalty = 0
        if reading.swap and certain:
            penalty += 1
        if reading.liability != liability_doc:
            penalty += 1
        if reading.unsigned != default.unsigned:
            penalty += 1
        return total, -penalty

    _apply_reading(rows, default, mark)
    checked, failed, _ = _continuity(rows, opening, default.liability)
    if checked and not failed:
        return default  # the printed balances prove the default reading
    base = score(default)
    best = max(candidates, key=score)
    if score(best)[0] <= base[0]:
        return default
    return best


def _score(
    result: BankStatementResult,
    pages: Sequence[PageOut],
    rows: list[_Row],
    notes: AssemblyNotes,
    checked: int,
    reading: _Reading,
) -> None:
    reasons: list[str] = []
    checks = result.checks
    if not rows:
        result.confidence = 0.1
        result.requires_review = True
        result.review_reasons = ["no_transactions_found"]
        return
    if checks.balance_continuity is False:
        reasons.append("balance_continuity")
        reasons += [f"balance_continuity_row_{i + 1}" for i in notes.failed_rows[:20]]
    if checks.opening_plus_net_equals_closing is False:
        reasons.append("opening_plus_net_equals_closing")
    cont, net = checks.balance_continuity, checks.opening_plus_net_equals_closing
    if cont is False or net is False:
        ok_share = 1 - len(notes.failed_rows) / max(1, checked)
        confidence = 0.3 + 0.4 * ok_share
    elif cont and net:
        confidence = 0.985
    elif cont:
        confidence = 0.95 if checked >= 3 else 0.88
    elif net:
        confidence = 0.9
    else:
        confidence = 0.7
        reasons.append("checks_unavailable")
    if notes.unreadable_rows:
        confidence -= 0.15
        reasons.append("unreadable_amounts")
        reasons += [f"unreadable_amount_row_{i + 1}" for i in notes.unreadable_rows[:20]]
    undated = [i for i, r in enumerate(rows) if r.date is None]
    if undated:
        confidence -= 0.3 * len(undated) / len(rows)
        reasons.append("missing_dates")
        reasons += [f"missing_date_row_{i + 1}" for i in undated[:20]]
    if not any(p.header for p in pages if p.rows):
        confidence -= 0.05
    ocr_pages = [p for p in pages if p.source == "ocr" and p.ocr_confidence is not None]
    if ocr_pages:
        mean = sum(p.ocr_confidence or 0.0 for p in ocr_pages) / len(ocr_pages)
        if mean < 0.9:
            confidence -= 0.9 - mean
            reasons.append("low_ocr_confidence")
        confidence -= 0.01
    if notes.repaired or notes.repaired_fields:
        confidence -= min(0.08, 0.02 * (len(notes.repaired) + len(notes.repaired_fields)))
    if result.account.account_number is None:
        confidence -= 0.01
    result.confidence = round(max(0.0, min(1.0, confidence)), 3)
    result.requires_review = bool(reasons) and (
        "balance_continuity" in reasons
        or "opening_plus_net_equals_closing" in reasons
        or "missing_dates" in reasons  # a row whose date could not be read
        or "unreadable_amounts" in reasons  # an amount read but not a number
        or result.confidence < 0.8
    )
    result.review_reasons = reasons if result.requires_review else []
