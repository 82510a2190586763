"""Totals and taxes: labelled amounts read as candidates, then the arithmetic checks
(line items sum to the subtotal; subtotal plus tax equals the total) decide between them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from services.parser.extract.invoice.labels import PAID_LABEL, TAX_LINE, TOTAL_LABELS, tax_type
from services.parser.extract.invoice.layout import Line
from services.parser.extract.invoice.values import Token, tokens
from services.parser.extract.text.amounts import DecimalMark

__all__ = ["Candidates", "TaxLine", "Totals", "close", "decide", "read_candidates"]

_RATE_IN_TEXT = re.compile(r"(\d{1,2}(?:[.,]\d{1,3})?)\s*%")
_TOTAL_HINT = re.compile(
    r"tot|sum|tax|vat|btw|tva|ust|mwst|net|due|betrag|montant|bedrag|payer|zahl|grondslag|base"
    r"|balance|residual|ttc|gst|razem|kwota|brutto|wartos|payable|solde|betalen"
)
_CURRENCY_ONLY = re.compile(r"^\(?(?:[A-Z]{3}|[€$£₹]|Rs\.?)\)?$")
_GROSS_SUB = re.compile(r"positionssumme|warenwert|line\s+total|summe\s+positionen")
_GRAND = re.compile(r"grand|gesamt|brutto|ttc|incl|payable|invoice\s+total|totaal|general")


def close(a: float, b: float, tol: float = 0.011) -> bool:
    return abs(a - b) <= tol + 1e-9


@dataclass(slots=True)
class TaxLine:
    type: str
    rate: float | None
    amount: float
    base: float | None
    line: int


@dataclass(slots=True)
class Cand:
    value: float
    weight: float
    line: int
    lines_total: bool = False  # "Positionssumme", "Line total": the items' sum as printed


@dataclass(slots=True)
class Candidates:
    subtotal: list[Cand] = field(default_factory=list)
    tax_total: list[Cand] = field(default_factory=list)
    total: list[Cand] = field(default_factory=list)
    amount_due: list[Cand] = field(default_factory=list)
    paid: list[Cand] = field(default_factory=list)
    taxes: list[TaxLine] = field(default_factory=list)


@dataclass(slots=True)
class Totals:
    subtotal: float | None = None
    taxes: list[TaxLine] = field(default_factory=list)
    tax_total: float | None = None
    total: float | None = None
    amount_due: float | None = None
    line_check: bool | None = None
    total_check: bool | None = None
    alternatives: int = 0  # how many readings the checks chose between


def _label_groups(toks: list[Token], height: float) -> list[tuple[str, list[Token]]]:
    """(label text, value tokens after it up to the next label) pairs of a line; text runs
    a column gap apart are separate labels ("Tax  Base  Amount   Net total  2,076.76")."""
    groups: list[tuple[str, list[Token]]] = []
    prev: Token | None = None
    for tok in toks:
        if tok.kind == "text":
            near = (
                prev is not None
                and prev.kind == "text"
                and (tok.x0 - prev.x1 < 2.5 * height or _CURRENCY_ONLY.match(tok.text) is not None)
            )
            only_pct = (
                bool(groups)
                and bool(groups[-1][1])
                and all(v.kind == "percent" for v in groups[-1][1])
            )
            if groups and not groups[-1][1] and near:
                groups[-1] = (groups[-1][0] + " " + tok.text, [])
            elif only_pct and tok.x0 - groups[-1][1][-1].x1 < 2.5 * height:
                # "Tax 15% on $ 112.90": the rate belongs to the label
                label = " ".join([groups[-1][0], *(v.text for v in groups[-1][1]), tok.text])
                groups[-1] = (label, [])
            else:
                groups.append((tok.text, []))
        elif groups:
            groups[-1][1].append(tok)
        prev = tok
    return groups


def _tax_from_numbers(label: str, vals: list[Token], li: int, kind: str) -> TaxLine | None:
    money = [t for t in vals if t.kind in ("amount", "number") and t.value is not None]
    if not money:
        return None
    rate: float | None = None
    m = _RATE_IN_TEXT.search(label)
    if m:
        rate = float(m.group(1).replace(",", "."))
    pct = [t for t in vals if t.kind == "percent"]
    if rate is None and pct:
        rate = pct[0].value
    amount = float(money[-1].value or 0.0)
    base = None
    if len(money) >= 2:
        nums = [float(t.value or 0.0) for t in money]
        if rate is not None:
            for b in nums[:-1]:
                if close(b * rate / 100, amount, 0.02):
                    base = b
        else:
            # "Umsatzsteuer (S) 275,00 7 19,25": base × rate = amount decides the rate
            for b, r in itertools.permutations(nums[:-1], 2):
                if 0 < r < 40 and close(b * r / 100, amount, 0.02):
                    base, rate = b, r
                    break
    return TaxLine(kind, rate, amount, base, li)


def _kind_of(text: str) -> str | None:
    for name, pattern in TOTAL_LABELS:
        if pattern.match(text):
            return name
    return None


def _split_labels(line: Line) -> list[tuple[float, float, str]]:
    """Total labels in a row of labels, split at word level ("Grondslag BTW bedrag Totaal")."""
    out: list[tuple[float, float, str]] = []
    for seg in line.segments:
        words = seg.words
        i = 0
        while i < len(words):
            hit = None
            for j in range(min(len(words), i + 5), i, -1):
                text = _norm(" ".join(w.text for w in words[i:j]))
                for name, pattern in TOTAL_LABELS:
                    m = pattern.match(text)
                    if m and m.end() >= len(text):
                        hit = (j, name)
                        break
                if hit:
                    break
            if hit:
                out.append((words[i].x0, words[hit[0] - 1].x1, hit[1]))
                i = hit[0]
            else:
                i += 1
    return out


def _vertical(lines: list[Line], li: int, mark: DecimalMark, c: Candidates) -> None:
    """Labels in a row with their amounts in the row below ("Grondslag  BTW bedrag  Totaal")."""
    line = lines[li]
    if li + 1 >= len(lines) or not _TOTAL_HINT.search(line.norm):
        return
    toks = tokens(line, mark)
    if any(t.kind != "text" for t in toks):
        return
    below = lines[li + 1]
    if below.page != line.page or below.y0 - line.y1 > 2.0 * line.height:
        return
    labels = _split_labels(line)
    if not labels:
        return
    values = [t for t in tokens(below, mark) if t.kind == "amount" and t.value is not None]
    if not values or any(t.kind == "text" and len(t.text) > 3 for t in tokens(below, mark)):
        return
    for x0, x1, kind in labels:
        cx = (x0 + x1) / 2
        near = [v for v in values if min(v.x1, x1 + 25) - max(v.x0, x0 - 25) > 0]
        if not near:
            continue
        best = min(near, key=lambda v: abs(v.cx - cx))
        if any(abs(o.cx - cx) < abs(best.cx - cx) for o in values if o is not best):
            continue
        hits = [best]
        cand = Cand(float(hits[0].value or 0.0), 0.9, li + 1)
        {
            "subtotal": c.subtotal,
            "tax_total": c.tax_total,
            "total": c.total,
            "amount_due": c.amount_due,
        }[kind].append(cand)


def read_candidates(lines: list[Line], mark: DecimalMark, skip: set[int]) -> Candidates:
    """Every labelled total, subtotal, tax and amount-due reading of the document."""
    c = Candidates()
    for li, line in enumerate(lines):
        if li in skip:
            continue
        toks = tokens(line, mark)
        _vertical(lines, li, mark, c)
        for gi, (label, vals) in enumerate(_label_groups(toks, line.height)):
            money = [t for t in vals if t.kind in ("amount", "number") and t.value is not None]
            if not money:
                continue
            if not any(t.kind == "amount" for t in money) and any(
                t.value is not None and t.value > 10000 for t in money
            ):
                continue  # bare big integers: ids, not money
            text = _norm(label)
            kind = None
            for name, pattern in TOTAL_LABELS:
                if pattern.match(text):
                    kind = name
                    break
            value = float(money[-1].value or 0.0)
            if kind == "subtotal":
                lines_total = _GROSS_SUB.match(text) is not None
                c.subtotal.append(Cand(value, 0.7 if lines_total else 1.0, li, lines_total))
            elif kind == "tax_total":
                c.tax_total.append(Cand(value, 1.0, li))
            elif kind == "amount_due":
                c.amount_due.append(Cand(value, 1.0, li))
            elif kind == "total":
                weight = 1.0 if _GRAND.search(text) else 0.8
                c.total.append(Cand(value, weight, li))
            elif PAID_LABEL.match(text):
                c.paid.append(Cand(value, 1.0, li))
            else:
                m = TAX_LINE.search(text) if gi == 0 else None
                if (
                    m
                    and m.start() <= 12
                    and not re.search(
                        r"\b(?:id|no|number|tin|reg|#)\b", text[m.end() : m.end() + 8]
                    )
                ) and (
                    any(t.kind == "amount" for t in money) or any(t.kind == "percent" for t in vals)
                ):
                    tax = _tax_from_numbers(text, vals, li, tax_type(m.group(1)))
                    if tax is not None:
                        c.taxes.append(tax)
    return c


def _norm(text: str) -> str:
    from services.parser.extract.invoice.layout import norm

    return norm(text).strip(" :*").replace("  ", " ")


def _dedupe_taxes(taxes: list[TaxLine]) -> list[TaxLine]:
    seen: set[tuple[str, float | None, float]] = set()
    out = []
    for t in taxes:
        key = (t.type, t.rate, round(t.amount, 2))
        if key in seen:
            continue
        seen.add(key)
        out.append(t)
    # a generic "TAX"/"VAT" line repeating a typed one's amount is the same tax
    return out


def decide(c: Candidates, line_sum: float | None, n_items: int) -> Totals:
    """Choose subtotal, tax total and total so the checks hold where any reading allows."""
    taxes = _dedupe_taxes(c.taxes)
    nonzero = [t for t in taxes if abs(t.amount) > 0.0001]
    tax_sum = round(sum(t.amount for t in nonzero), 2) if taxes else None
    sub_opts: list[tuple[float | None, float]] = [(x.value, x.weight) for x in c.subtotal]
    if line_sum is not None:
        sub_opts.append((round(line_sum, 2), 0.7))
    sub_opts.append((None, 0.0))
    tax_opts: list[tuple[float | None, float]] = [(x.value, x.weight) for x in c.tax_total]
    labelled_tax = len(tax_opts)
    if tax_sum is not None:
        tax_opts.append((tax_sum, 0.8))
    tax_opts.append((None, 0.0))
    tot_opts: list[tuple[float | None, float, int]] = [(x.value, x.weight, x.line) for x in c.total]
    tot_opts += [(x.value, 0.7, x.line) for x in c.amount_due]
    tot_opts.append((None, 0.0, -1))
    tol_lines = 0.011 + 0.005 * n_items
    best: tuple[float, Totals] | None = None
    count = 0
    labelled_sub = len(c.subtotal)
    for (si, (s, sw)), (ti, (t, tw)), (g, gw, gl) in itertools.product(
        enumerate(sub_opts), enumerate(tax_opts), tot_opts
    ):
        score = sw + tw + gw + gl * 1e-4  # later totals win ties
        total_check = None
        if s is not None and g is not None:
            total_check = close(s + (t or 0.0), g, 0.011 + 0.001 * len(nonzero))
            score += 4.0 if total_check else -1.0
            if t is None and not total_check:
                total_check = None  # the tax is unknown: the check cannot run
                score += 1.5
        line_check = None
        if s is not None and line_sum is not None and n_items and si < labelled_sub:
            # only a printed subtotal can confirm the lines (the lines' own sum is no check)
            line_check = close(line_sum, s, tol_lines) or any(
                close(line_sum, x.value, tol_lines) for x in c.subtotal if x.lines_total
            )  # allowances/charges may sit between the printed line total and the subtotal
            score += 2.0 if line_check else -0.5
        if ti < labelled_tax and t is not None and tax_sum is not None and close(t, tax_sum):
            score += 0.5  # a printed tax total that the tax lines add up to
        count += 1
        if best is None or score > best[0]:
            best = (score, Totals(s, nonzero or taxes, t, g, None, line_check, total_check))
    assert best is not None
    totals = best[1]
    totals.alternatives = count
    if totals.tax_total is None and tax_sum is not None:
        totals.tax_total = tax_sum
    if totals.subtotal is not None and totals.total is not None and totals.tax_total is None:
        diff = round(totals.total - totals.subtotal, 2)
        if abs(diff) < 0.005 and taxes:
            totals.tax_total = 0.0
    due = [x for x in c.amount_due]
    if due:
        totals.amount_due = due[-1].value
    elif totals.total is not None:
        paid = sum(x.value for x in c.paid if x.value > 0)
        totals.amount_due = (
            round(totals.total - paid, 2) if paid and paid <= totals.total else totals.total
        )
    return totals
