"""The line-item table: header row found by column vocabulary (stacked headers joined),
columns typed, rows read by column position, wrapped descriptions joined, the table
continued across pages, and total rows recognised as the end of the items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.parser.extract.invoice.labels import (
    COLUMN_LABELS,
    NOT_ITEM,
    PAID_LABEL,
    TAX_LINE,
    TOTAL_LABELS,
)
from services.parser.extract.invoice.layout import Line, norm
from services.parser.extract.invoice.values import Token, tokens
from services.parser.extract.text.amounts import DecimalMark

__all__ = ["Column", "Item", "Table", "read_tables"]

_MONEY_KINDS = {"amount", "unit_price", "qty", "tax_rate", "tax_amount", "gross", "discount"}
_NUMERIC_KINDS = {
    "qty",
    "unit_price",
    "amount",
    "tax_rate",
    "tax_amount",
    "discount",
    "pos",
    "hsn",
    "unit",
}


@dataclass(slots=True)
class Column:
    kind: str
    x0: float
    x1: float
    text: str = ""

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(slots=True)
class Item:
    description: str
    quantity: float | None
    unit_price: float | None
    amount: float
    tax_rate: float | None
    lines: list[int] = field(default_factory=list)
    page: int = 0


@dataclass(slots=True)
class Table:
    columns: list[Column]
    items: list[Item]
    header_line: int
    end_line: int  # first line after the table
    ended_by_total: bool


_QUALIFIER = re.compile(
    r"\s*(?:\((?:[^)]*)\)|ohne\s+(?:ust|mwst)\.?|excl\.?\s*(?:vat|tax|btw|gst)|w/o\s+tax|netto|ht"
    r"|in\s+[a-z]{3}|[€$£₹]|eur|usd|inr|gbp)$"
)


def _type_of(text: str) -> str | None:
    t = norm(text).replace("- ", "").strip(" :.*").replace("  ", " ")
    t = t.strip("()")
    for _ in range(2):
        stripped = _QUALIFIER.sub("", t).strip(" :.*")
        if stripped and stripped != t:
            t = stripped
    for kind, pattern in COLUMN_LABELS:
        if pattern.fullmatch(t):
            return kind
        m = pattern.match(t)
        if m and m.end() >= len(t) - 1:
            return kind
    return None


_HEADER_HINT = re.compile(
    r"qty|quant|menge|anzahl|aantal|ilos|price|prix|preis|prijs|cena|rate|amount|montant|betrag"
    r"|bedrag|total|totaal|wartos|descr|item|article|artikel|omschr|bezeichn|beschreib|designation"
    r"|nazwa|product|particular|hsn|sac|unit|einzel|summe|value|kwota|hours|qte"
)


def _units(line: Line) -> list[Column]:
    """Split a header line into typed column labels (greedy longest match over words)."""
    cols: list[Column] = []
    if len(line.words) > 24 or len(_HEADER_HINT.findall(line.norm)) < 2:
        return cols
    for seg in line.segments:
        words = seg.words
        i = 0
        while i < len(words):
            hit = None
            for j in range(min(len(words), i + 5), i, -1):
                text = " ".join(w.text for w in words[i:j])
                kind = _type_of(text)
                if kind:
                    hit = (j, kind, text)
                    break
            if hit:
                j, kind, text = hit
                cols.append(Column(kind, words[i].x0, words[j - 1].x1, text))
                i = j
            else:
                cols.append(Column("other", words[i].x0, words[i].x1, words[i].text))
                i += 1
    # merge adjacent untyped words
    merged: list[Column] = []
    for c in cols:
        if merged and c.kind == "other" and merged[-1].kind == "other" and c.x0 - merged[-1].x1 < 8:
            merged[-1].x1 = c.x1
            merged[-1].text += " " + c.text
        else:
            merged.append(c)
    return merged


def _is_header(cols: list[Column]) -> bool:
    kinds = {c.kind for c in cols}
    typed = len([c for c in cols if c.kind != "other"])
    has_money = bool(kinds & {"amount", "unit_price"})
    has_item = bool(kinds & {"description", "qty"})
    return has_money and has_item and typed >= 2 and typed >= 0.5 * len(cols)


def _has_numbers(line: Line, mark: DecimalMark) -> bool:
    return any(t.kind == "amount" for t in tokens(line, mark))


def _stacked(
    lines: list[Line], hi: int, cols: list[Column], mark: DecimalMark
) -> tuple[list[Column], int]:
    """Join header words printed above/below the header line into its columns and retype."""
    base = lines[hi]
    stack_lines = [hi]
    for step in (-1, 1, 2, 3):
        lj = hi + step
        if not 0 <= lj < len(lines):
            continue
        other = lines[lj]
        ref = lines[stack_lines[-1]] if step > 0 else base
        gap = (other.y0 - ref.y1) if step > 0 else (base.y0 - other.y1)
        if other.page != base.page or gap > 0.9 * base.height or _has_numbers(other, mark):
            if step > 0:
                break
            continue
        header_like = all(
            len(seg.words) <= 3 and not any(ch.isdigit() for ch in seg.text)
            for seg in other.segments
        )  # stacked header words are short and carry no digits ("Prix" / "unitaire")
        if not header_like or any(t.kind == "number" for t in tokens(other, mark)):
            if step > 0:
                break
            continue
        stack_lines.append(lj)
    texts: dict[int, list[tuple[float, str]]] = {i: [(base.y0, c.text)] for i, c in enumerate(cols)}
    for lj in stack_lines[1:]:
        for seg in lines[lj].segments:
            best, best_d = None, 1e9
            for i, c in enumerate(cols):
                overlap = min(c.x1, seg.x1) - max(c.x0, seg.x0)
                d = -overlap if overlap > 0 else min(abs(seg.x0 - c.x1), abs(c.x0 - seg.x1))
                if d < best_d:
                    best, best_d = i, d
            if best is not None and best_d < 25:
                texts[best].append((lines[lj].y0, seg.text))
                cols[best].x0 = min(cols[best].x0, seg.x0)
                cols[best].x1 = max(cols[best].x1, seg.x1)
    for i, c in enumerate(cols):
        if len(texts[i]) > 1:
            joined = " ".join(t for _, t in sorted(texts[i]))
            kind = _type_of(joined)
            keeps_money = c.kind in ("amount", "unit_price") and kind in ("qty", "tax_rate")
            if kind and (c.kind in ("other", "description") or kind != c.kind) and not keeps_money:
                c.kind = kind
            c.text = joined
    return cols, max(stack_lines)


def _resolve(cols: list[Column]) -> list[Column]:
    """One amount column: with two, the right one is the line total unless it includes tax."""
    amounts = [c for c in cols if c.kind == "amount"]
    if len(amounts) > 1:
        gross = [
            c for c in amounts if any(w in norm(c.text) for w in ("incl", "ttc", "gross", "brutto"))
        ]
        keep = next((c for c in amounts if c not in gross), amounts[-1]) if gross else amounts[-1]
        if not gross:
            # GST: "Taxable value ... Total": the taxable value is the line amount
            taxable = [c for c in amounts if "taxable" in norm(c.text) or "net" in norm(c.text)]
            keep = taxable[0] if taxable else amounts[-1]
        for c in amounts:
            if c is not keep:
                c.kind = (
                    "unit_price"
                    if c.x1 < keep.x0 and not any(x.kind == "unit_price" for x in cols)
                    else "gross"
                )
    prices = [c for c in cols if c.kind == "unit_price"]
    if not amounts and len(prices) > 1:
        prices[-1].kind = "amount"
    descs = [c for c in cols if c.kind == "description"]
    if len(descs) > 1:
        # "Product | Title": the widest text column describes the item
        for c in descs[1:]:
            c.kind = "description2"
    if not descs:
        others = [c for c in cols if c.kind == "other"]
        if others:
            others[0].kind = "description"
    return cols


def _assign(tok: Token, cols: list[Column]) -> Column | None:
    best, best_d = None, 1e9
    for c in cols:
        if c.kind.startswith("description"):
            continue
        overlap = min(c.x1, tok.x1) - max(c.x0, tok.x0)
        if overlap > 0:
            d = -overlap
        else:
            d = min(abs(tok.x1 - c.x1), abs(tok.cx - c.cx), abs(tok.x0 - c.x0))
        if d < best_d:
            best, best_d = c, d
    if best is not None and best_d > 60:
        return None
    return best


def _is_total_row(line: Line, mark: DecimalMark) -> bool:
    for seg in line.segments:
        t = seg.norm.strip(" :*")
        if any(p.match(t) for _, p in TOTAL_LABELS) or PAID_LABEL.match(t):
            return True
        m = TAX_LINE.match(t)
        if m and not any(c.isalpha() for c in t[m.end() : m.end() + 4].strip(" @(%0123456789.,:")):
            return True
    return False


_SUBTOTAL_ONLY = re.compile(r"^(?:sub\s*-?\s*total|zwischensumme|sous-?\s*total|subtotaal)\b")


def _section_subtotal(
    lines: list[Line], li: int, amount_col: Column | None, mark: DecimalMark
) -> bool:
    """A subtotal row followed (within a few rows) by more item rows, not by totals."""
    if amount_col is None or not any(
        _SUBTOTAL_ONLY.match(seg.norm.strip(" :*")) for seg in lines[li].segments
    ):
        return False
    for lj in range(li + 1, min(li + 4, len(lines))):
        other = lines[lj]
        if other.page != lines[li].page or _is_total_row(other, mark):
            return False
        toks = tokens(other, mark)
        texts = [t for t in toks if t.kind == "text" and t.x1 < amount_col.x0]
        amounts = [
            t
            for t in toks
            if t.kind in ("amount", "number")
            and min(abs(t.x1 - amount_col.x1), abs(t.cx - amount_col.cx)) < 25
        ]
        if texts and amounts:
            return True
    return False


def _read_rows(
    lines: list[Line], start: int, cols: list[Column], mark: DecimalMark, *, need_align: bool
) -> tuple[list[Item], int, bool]:
    items: list[Item] = []
    desc_cols = [c for c in cols if c.kind == "description"]
    money_cols = [c for c in cols if c.kind in _NUMERIC_KINDS or c.kind == "gross"]
    desc_x0 = min((c.x0 for c in desc_cols), default=0.0) - 30
    left_cols = [c.x1 for c in money_cols if c.x1 <= desc_x0 + 32]
    if left_cols:  # "#" / "Pos." just left of the description: its numbers are not text
        desc_x0 = max(desc_x0, max(left_cols) + 2)
    elif desc_cols and not any(c.x1 <= desc_x0 + 30 for c in cols if c not in desc_cols):
        desc_x0 = 0.0  # the first column: descriptions may start left of a centred header
    right_of_desc = [c.x0 for c in money_cols if c.x0 > desc_x0 + 30]
    first_num_x = min(right_of_desc, default=1e9)
    amount_col = next((c for c in cols if c.kind == "amount"), None)
    page = lines[start].page if start < len(lines) else 0
    last_y = lines[start - 1].y1 if start > 0 else 0.0
    pending: list[str] = []
    pending_y = (0.0, 0.0)
    li = start
    aligned = not need_align
    while li < len(lines):
        line = lines[li]
        if line.page != page:
            return items, li, False
        if _is_total_row(line, mark):
            if items and _section_subtotal(lines, li, amount_col, mark):
                li += 1  # a group's subtotal inside the table: items go on below it
                pending = []
                continue
            return items, li, True
        head = norm(line.text).strip()
        if NOT_ITEM.match(head):
            li += 1
            continue
        new_header = sum(c.kind != "other" for c in _units(line)) >= 2
        if not aligned and (line.text.rstrip().endswith(":") or new_header):
            return [], li, False  # another section or table begins: the items did not go on
        if new_header and items and not _has_numbers(line, mark):
            return items, li, False  # the next table's header
        toks = tokens(line, mark)
        values: dict[str, Token] = {}
        desc: list[str] = []
        for tok in toks:
            # text that starts in the description column is description (long notes run on
            # under the numeric columns); numbers must sit inside it
            in_desc = desc_x0 <= tok.x0 < first_num_x - 5 and (
                tok.kind == "text"
                or (
                    tok.cx < first_num_x - 5 and not any(abs(tok.x1 - c.x1) < 6 for c in money_cols)
                )
            )
            if in_desc:
                desc.append(tok.text)
                continue
            if tok.kind == "text":
                continue  # units ("Stk"), codes and notes outside the description column
            col = _assign(tok, money_cols)
            if col is None:
                desc.append(tok.text)
                continue
            if col.kind not in values:
                values[col.kind] = tok
        amount_tok = values.get("amount") or (values.get("gross") if amount_col is None else None)
        if amount_tok is not None and amount_tok.kind in ("amount", "number"):
            off = (
                amount_col is not None
                and min(abs(amount_tok.x1 - amount_col.x1), abs(amount_tok.cx - amount_col.cx)) > 25
            )
            if not aligned and off:
                li += 1
                continue
            aligned = True
            qty = values.get("qty")
            price = values.get("unit_price")
            rate = values.get("tax_rate")
            lead: list[str] = []
            if pending:
                # text between two items: it goes with the nearer one
                gap_after = line.y0 - pending_y[1]
                if items and pending_y[0] - last_y <= gap_after:
                    items[-1].description = " ".join([items[-1].description, *pending]).strip()
                else:
                    lead = pending
            description = " ".join(lead + desc).strip()
            pending = []
            items.append(
                Item(
                    description=description,
                    quantity=qty.value if qty is not None and qty.kind != "percent" else None,
                    unit_price=price.value
                    if price is not None and price.kind != "percent"
                    else None,
                    amount=float(amount_tok.value or 0.0),
                    tax_rate=rate.value if rate is not None else None,
                    lines=[li],
                    page=line.page,
                )
            )
            last_y = line.y1
        elif desc and aligned:
            text = " ".join(desc).strip()
            gap = line.y0 - (pending_y[1] if pending else last_y)
            money = any(k in _MONEY_KINDS for k in values)
            if items and not pending and gap < 2.6 * line.height and not money:
                items[-1].description = (items[-1].description + " " + text).strip()
                items[-1].lines.append(li)
                last_y = line.y1
            elif gap > 6 * line.height and items:
                return items, li, False
            elif not money:
                if not pending:
                    pending_y = (line.y0, line.y1)
                pending.append(text)
                pending_y = (pending_y[0], line.y1)
        li += 1
    return items, li, False


def read_tables(lines: list[Line], mark: DecimalMark) -> list[Table]:
    """Every item table of the document, in order; a table left open at a page's end
    continues on the next page (under a repeated header or under the same columns)."""
    tables: list[Table] = []
    li = 0
    open_cols: list[Column] | None = None
    while li < len(lines):
        line = lines[li]
        cols = _units(line)
        if _is_header(cols) and not _has_numbers(line, mark):
            cols, last = _stacked(lines, li, cols, mark)
            cols = _resolve(cols)
            items, end, by_total = _read_rows(lines, last + 1, cols, mark, need_align=False)
            tables.append(Table(cols, items, li, end, by_total))
            open_cols = None if by_total else cols
            li = max(end, li + 1)
            continue
        if open_cols is not None and li > 0 and lines[li - 1].page != line.page:
            items, end, by_total = _read_rows(lines, li, open_cols, mark, need_align=True)
            if items:
                tables.append(Table(open_cols, items, li, end, by_total))
                open_cols = None if by_total else open_cols
                li = max(end, li + 1)
                continue
            open_cols = None
        li += 1
    return tables


def rows_without_header(
    lines: list[Line], mark: DecimalMark, targets: list[float], skip: set[int]
) -> list[Item]:
    """Items of an invoice that prints no item table header ("AWS Data Transfer  $0.01").

    Rows are a text label with one amount at the right; rows of one indentation level form
    runs (broken by headings). A run is accepted only when its amounts add up to one of
    ``targets`` (the printed subtotal or total): the arithmetic decides, not the look.
    Of several runs that add up, the one with most rows wins.
    """
    if not targets or not lines:
        return []
    width = max(w.x1 for line in lines for w in line.words)
    runs: dict[int, list[list[Item]]] = {}
    for li, line in enumerate(lines):
        if li in skip:
            continue
        toks = tokens(line, mark)
        money = [t for t in toks if t.kind == "amount"]
        texts = [t for t in toks if t.kind == "text"]
        level = round(line.words[0].x0 / 4)
        ok = (
            len(money) == 1
            and texts
            and toks[0].kind == "text"
            and money[0].x1 > 0.6 * width
            and texts[0].x0 < 0.5 * width
            and not _is_total_row(line, mark)
            and not NOT_ITEM.match(norm(texts[0].text))
            and not texts[0].text.rstrip().endswith(":")
        )
        if not ok:
            # a line of another kind (a heading, a text line) ends the runs of its level
            # and deeper levels
            if not money:
                for lv in runs:
                    if lv >= level and runs[lv] and runs[lv][-1]:
                        runs[lv].append([])
            continue
        item = Item(
            description=" ".join(t.text for t in texts if t.x1 <= money[0].x0),
            quantity=None,
            unit_price=None,
            amount=float(money[0].value or 0.0),
            tax_rate=None,
            lines=[li],
            page=line.page,
        )
        runs.setdefault(level, [[]])
        if not runs[level]:
            runs[level].append([])
        runs[level][-1].append(item)
    best: list[Item] = []
    for groups in runs.values():
        for run in groups:
            if len(run) < 2 or len(run) <= len(best):
                continue
            total = round(sum(it.amount for it in run), 2)
            if any(abs(total - t) <= 0.011 for t in targets):
                best = run
    return best
