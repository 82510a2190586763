"""One page's words → its transaction table (columns, rows) and the lines around it.

No templates: the table is found from header words (see :mod:`.synonyms`) and from what the
values look like (lines that start with a date and carry amounts). Column boundaries come from
word positions across all rows of the page: amounts are clustered by their right edges, text
columns by the left edges of the header words.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from services.parser.extract.statement.model import PageOut
from services.parser.extract.statement.synonyms import (
    AMOUNT_ROLES,
    NON_TRANSACTION,
    Role,
    header_phrases,
    normalise,
)
from services.parser.extract.text.amounts import looks_like_amount, parse_amount
from services.parser.extract.text.currency import CODES
from services.parser.extract.text.dates import MONTHS, is_date
from services.parser.extract.text.lines import Line, group_lines, median
from services.parser.extract.text.words import PageWords, Word

__all__ = ["analyse_page", "analyse_page_data", "classify_row_kind", "prepare_lines"]

_PHRASES = header_phrases()
_FIRST_TOKENS = frozenset(phrase[0] for phrase, _ in _PHRASES)
_BY_FIRST: dict[str, list[tuple[tuple[str, ...], Role]]] = {}
for _phrase, _role in _PHRASES:
    _BY_FIRST.setdefault(_phrase[0], []).append((_phrase, _role))
_DIGIT = re.compile(r"\d")
# the same phrases with spaces and slashes squeezed out: OCR often drops a space
# ("RefNo./Cheque No." → "refno/cheque no")
_SQUASHED: dict[str, tuple[Role, int]] = {}
for _phrase, _role in _PHRASES:
    _SQUASHED.setdefault("".join(_phrase).replace("/", ""), (_role, len(_phrase)))
_DRCR_WORD = re.compile(r"^\(?(dr|cr|db|d|c|od)\)?\.?$", re.IGNORECASE)
_CURRENCY_WORD = re.compile(r"^(?:[₹$€£¥]|Rs\.?|INR|USD|EUR|GBP|SGD|[A-Z]{1,2}\$)$")
_FOOTER = re.compile(
    r"\bpage\s*\d+(\s*(of|/)\s*\d+)?\b|continued|contd|computer generated|end of statement"
    r"|generated on|this is a system|does not require (a )?signature|\*\*\*",
    re.IGNORECASE,
)
# literal parts of the _FOOTER phrases, one of which (lower-cased) is in any text it matches
_FOOTER_PARTS = (
    "page",
    "continued",
    "contd",
    "computer generated",
    "end of statement",
    "generated on",
    "this is a system",
    "does not require",
    "***",
)
# words a header adds to a column's name: "Amount (AED)", "Cheque No.", any currency code
_UNIT_TOKENS = frozenset(
    {"₹", "$", "€", "£", "rs", "in", "amt", "no"} | {code.lower() for code in CODES}
)


# ----------------------------------------------------------------------------- words → tokens


def _merge(a: Word, b: Word, sep: str = " ") -> Word:
    return _merged(f"{a.text}{sep}{b.text}", [a, b])


def _merged(text: str, words: list[Word]) -> Word:
    """One word of ``text`` over ``words`` (their joint box, lowest confidence)."""
    first = words[0]
    x0, y0, x1, y1, conf = first.x0, first.y0, first.x1, first.y1, first.confidence
    for w in words:
        x0 = w.x0 if w.x0 < x0 else x0
        y0 = w.y0 if w.y0 < y0 else y0
        x1 = w.x1 if w.x1 > x1 else x1
        y1 = w.y1 if w.y1 > y1 else y1
        conf = w.confidence if w.confidence < conf else conf
    return Word(text, x0, y0, x1, y1, conf, first.group)


def _is_amount(text: str) -> bool:
    return looks_like_amount(text)


_OCR_BOXED_GAP = 1.0  # heights: a number split inside one detector box (see join_split_numbers)


def prepare_lines(
    words: Sequence[Word], *, trust_groups: bool = False, ocr: bool = False
) -> list[Line]:
    """Lines with multi-word dates, ``Dr``/``Cr`` suffixes and currency prefixes joined.

    For OCR'd words, an amount whose separators were misread (``28.664.58``) is read with
    its digits as printed and its confidence lowered, so the arithmetic has the last word.
    """
    lines = group_lines(words, trust_groups=trust_groups, boxed_gap=_OCR_BOXED_GAP if ocr else 0.0)
    for line in lines:
        if ocr:
            for w in line.words:
                fixed = _lenient_amount(w.text)
                if fixed is not None:
                    w.text = fixed
                    w.confidence = min(w.confidence, 0.9)
        line.words = _join_tokens(line.words)
    return lines


_LENIENT = re.compile(
    r"^(?P<pre>[-(]?)(?P<body>\d{1,3}(?:[.,' ]\d{2,3})+)[.,](?P<cents>\d{2})"
    r"(?P<post>\)?-?(?: ?(?:Dr|Cr|DR|CR))?)$"
)


def _lenient_amount(text: str) -> str | None:
    """``28.664.58`` → ``28664.58``: an OCR'd amount whose separators came out wrong."""
    if (not text[:1].isdigit() and text[:1] not in "-(") or looks_like_amount(text):
        return None
    m = _LENIENT.match(text)
    if m is None:
        return None
    digits = re.sub(r"\D", "", m.group("body"))
    return f"{m.group('pre')}{digits}.{m.group('cents')}{m.group('post')}"


_LABEL_COLON = re.compile(r"^([A-Za-z#][\w./#]*:)(\S+)$")


def _split_colons(words: list[Word]) -> list[Word]:
    """``Balance:11,392.72`` (OCR drops the space) → ``Balance:`` ``11,392.72``."""
    out: list[Word] = []
    for w in words:
        m = _LABEL_COLON.match(w.text) if ":" in w.text else None
        if m is None:
            out.append(w)
            continue
        head, tail = m.group(1), m.group(2)
        cut = w.x0 + (w.x1 - w.x0) * len(head) / len(w.text)
        out.append(Word(head, w.x0, w.y0, cut, w.y1, w.confidence, w.group))
        out.append(Word(tail, cut, w.y0, w.x1, w.y1, w.confidence, w.group))
    return out


_K = TypeVar("_K", bound=Hashable)
_T = TypeVar("_T")


# Each per-text memo holds at most this many texts (a 100-page statement has ~7,000 distinct
# word texts): a worker's memory grows by a few MB while they fill, then stays flat
# (``python -m bench.statements.speed`` prints it).
TEXT_MEMO_LIMIT = 8192


def _memoised(cache: dict[_K, _T], key: _K, compute: Callable[[_K], _T], limit: int) -> _T:
    """``compute(key)``, remembered: the same words (and header lines) recur on every row and
    page. A plain dict, cheaper than ``lru_cache`` from compiled code; emptied past
    ``limit``. Hot loops read the dict inline first and call this on a miss."""
    if key in cache:
        return cache[key]
    if len(cache) > limit:
        cache.clear()
    value = cache[key] = compute(key)
    return value


# what a word may join with, one lookup per distinct text (bits; 0: nothing to join)
_JOIN_DATE, _JOIN_CURRENCY, _JOIN_DRCR, _JOIN_COLON = 1, 2, 4, 8
_JOIN_FLAGS: dict[str, int] = {}


def _needs_join(text: str) -> int:
    return _memoised(_JOIN_FLAGS, text, _join_bits, TEXT_MEMO_LIMIT)


def _join_bits(text: str) -> int:
    flag = 0
    if _may_start_date(text):
        flag |= _JOIN_DATE
    if _CURRENCY_WORD.match(text):
        flag |= _JOIN_CURRENCY
    if _DRCR_WORD.match(text) and len(text.strip("().")) <= 2:
        flag |= _JOIN_DRCR
    if ":" in text:
        flag |= _JOIN_COLON
    return flag


def _join_tokens(words: list[Word]) -> list[Word]:
    flags = _JOIN_FLAGS
    for w in words:
        flag = flags.get(w.text)
        if flag is None:
            flag = _needs_join(w.text)
        if flag:
            break
    else:
        return words
    words = _split_colons(words)
    out: list[Word] = []
    i = 0
    flags = _JOIN_FLAGS
    n_words = len(words)
    while i < n_words:
        w = words[i]
        flag = flags.get(w.text)
        if flag is None:
            flag = _needs_join(w.text)
        if not flag & (_JOIN_DATE | _JOIN_CURRENCY | _JOIN_DRCR):  # nothing to join
            out.append(w)
            i += 1
            continue
        h = max(w.y1 - w.y0, 1.0)
        # multi-word dates: "03 Jan 2025", "Jan 3, 2025", "03 Jan"
        joined = False
        for span in (3, 2) if flag & _JOIN_DATE else ():
            if i + span <= n_words:
                group = words[i : i + span]
                if not all(0 <= group[k + 1].x0 - group[k].x1 <= 0.9 * h for k in range(span - 1)):
                    continue
                text = " ".join([g.text for g in group])
                if _is_word_date(text):
                    out.append(_merged(text, group))
                    i += span
                    joined = True
                    break
        if joined:
            continue
        # currency symbol word before an amount: "₹ 1,000.00"
        if (
            flag & _JOIN_CURRENCY
            and i + 1 < n_words
            and 0 <= words[i + 1].x0 - w.x1 <= 0.8 * h
            and parse_amount(words[i + 1].text) is not None
        ):
            out.append(_merge(w, words[i + 1]))
            i += 2
            continue
        # "1,000.00" "Dr" → "1,000.00 Dr" when the marker sits right after the amount
        if (
            flag & _JOIN_DRCR
            and out
            and _is_amount(out[-1].text)
            and parse_amount(out[-1].text) is not None
            and parse_amount(out[-1].text).sign is None  # type: ignore[union-attr]
            and 0 <= w.x0 - out[-1].x1 <= 1.2 * h
        ):
            marker = w.text.strip("().")
            marker = {"d": "Dr", "c": "Cr", "db": "Dr"}.get(marker.lower(), marker)
            out[-1] = _merge(out[-1], Word(marker, w.x0, w.y0, w.x1, w.y1, w.confidence))
            i += 1
            continue
        out.append(w)
        i += 1
    return out


_MONTH_PREFIXES = frozenset(m[:3] for m in MONTHS)


_WORD_DATES: dict[str, bool] = {}
_DATE_STARTS: dict[str, bool] = {}
_KINDS: dict[str, str] = {}


def _is_word_date(text: str) -> bool:
    """A date written with a month name (``03 Jan 2025``), several words joined."""
    known = _WORD_DATES.get(text)
    return (
        known
        if known is not None
        else _memoised(_WORD_DATES, text, _reads_as_word_date, TEXT_MEMO_LIMIT)
    )


def _reads_as_word_date(text: str) -> bool:
    return any(c.isalpha() for c in text) and is_date(text)


def _may_start_date(text: str) -> bool:
    """Could a multi-word date start with this word (a day number or a month name)?"""
    known = _DATE_STARTS.get(text)
    return (
        known if known is not None else _memoised(_DATE_STARTS, text, _starts_date, TEXT_MEMO_LIMIT)
    )


def _starts_date(text: str) -> bool:
    t = text.strip(".,").lower()
    if t.isdigit():
        return len(t) <= 2
    if t[:-2].isdigit() and t[-2:] in ("st", "nd", "rd", "th"):
        return True
    return t[:3] in _MONTH_PREFIXES and t.isalpha()


def _kind(word: Word) -> str:
    kind = _KINDS.get(word.text)  # a hit costs one lookup, not _memoised's two
    return kind if kind is not None else _memoised(_KINDS, word.text, _kind_of, TEXT_MEMO_LIMIT)


def _kind_of(text: str) -> str:
    if not _DIGIT.search(text):
        return "text"
    if looks_like_amount(text):
        return "amount"
    if is_date(text):
        return "date"
    return "text"


# ----------------------------------------------------------------------------------- header


@dataclass
class _Column:
    """A column of the page's table (``model.ColumnOut`` once serialised; a compiled class
    here: a page builds a dozen, and a pydantic model costs ~2.5 us each)."""

    role: str
    x0: float
    x1: float
    certain: bool = True  # False when the role was inferred from values, not a header word

    # the dataclasses here write their __init__ out: a dataclass-made one stays interpreted
    # bytecode when compiled (a call through the interpreter per object)
    def __init__(self, role: str, x0: float, x1: float, certain: bool = True) -> None:
        self.role = role
        self.x0 = x0
        self.x1 = x1
        self.certain = certain

    def as_dict(self) -> dict[str, Any]:
        return {"role": self.role, "x0": self.x0, "x1": self.x1, "certain": self.certain}


@dataclass
class _Header:
    columns: list[_Column]
    score: float
    y1: float

    def __init__(self, columns: list[_Column], score: float, y1: float) -> None:
        self.columns = columns
        self.score = score
        self.y1 = y1


@lru_cache(maxsize=16384)
def _header_parts(text: str) -> tuple[tuple[str, ...], int]:
    """A word's normalised parts, and how many of them can start a header phrase."""
    parts = tuple(normalise(text).split())
    return parts, sum(1 for t in parts if t in _FIRST_TOKENS)


_STARTS: dict[str, int] = {}


def _header_starts(words: list[Word]) -> int:
    """How many words' parts can start a header phrase (a header needs three)."""
    starts = _STARTS
    if len(starts) > TEXT_MEMO_LIMIT:
        starts.clear()
    total = 0
    for w in words:
        n = starts.get(w.text)
        if n is None:
            n = starts[w.text] = _header_parts(w.text)[1]
        total += n
    return total


_HeaderKey = tuple[tuple[str, float, float, float, float], ...]
_HEADER_MEMO: dict[_HeaderKey, _Header | None] = {}


def _match_header(words: list[Word]) -> _Header | None:
    """The header a line's words spell, if any (memoised: each page repeats its header)."""
    if _header_starts(words) < 3:
        return None
    key = tuple([(w.text, w.x0, w.y0, w.x1, w.y1) for w in words])
    found = _memoised(_HEADER_MEMO, key, lambda _: _read_header(words), 4096)
    if found is None:
        return None
    columns = [_Column(c.role, c.x0, c.x1, c.certain) for c in found.columns]
    return _Header(columns=columns, score=found.score, y1=found.y1)


def _read_header(words: list[Word]) -> _Header | None:
    tokens: list[tuple[str, int]] = []
    for index, w in enumerate(words):
        for part in _header_parts(w.text)[0]:
            tokens.append((part, index))
    found: list[tuple[Role, float, float]] = []
    matched = 0
    unit = 0
    i = 0
    while i < len(tokens):
        for phrase, role in _BY_FIRST.get(tokens[i][0], ()):
            n = len(phrase)
            if tuple(t for t, _ in tokens[i : i + n]) == phrase:
                idx = {k for _, k in tokens[i : i + n]}
                # a phrase must not jump across a column gap
                span = [words[k] for k in sorted(idx)]
                if any(b.x0 - a.x1 > 1.5 * max(a.height, 1.0) for a, b in itertools.pairwise(span)):
                    continue
                found.append((role, min(w.x0 for w in span), max(w.x1 for w in span)))
                matched += n
                i += n
                break
        else:
            squashed = _squashed_match(tokens, i, words)
            if squashed is not None:
                role, n, x0, x1 = squashed
                found.append((role, x0, x1))
                matched += n
                i += n
                continue
            if tokens[i][0] in _UNIT_TOKENS:
                unit += 1
            i += 1
    roles = {r for r, _, _ in found}
    if len(roles) < 3 or not roles & AMOUNT_ROLES or not roles & {"date", "description"}:
        return None
    coverage = (matched + unit) / len(tokens)
    if coverage < 0.7:
        return None
    columns: list[_Column] = []
    seen: set[str] = set()
    for role, x0, x1 in sorted(found, key=lambda f: f[1]):
        name: str = role
        if name in seen:
            if name == "date":
                name = "value_date"
            elif name in ("debit", "credit", "amount") and "balance" not in seen:
                name = "balance"
            else:
                continue
        seen.add(name)
        columns.append(_Column(role=name, x0=x0, x1=x1))
    if not any(c.role == "date" for c in columns):
        for c in columns:
            if c.role == "value_date":  # the only date column is the transaction date
                c.role = "date"
                break
    return _Header(columns=columns, score=len(roles) + coverage, y1=max(w.y1 for w in words))


_HEADER_TOKENS = frozenset(t for phrase, _ in _PHRASES for t in phrase)


def _only_header_words(line: Line) -> bool:
    """A second header line holds header words only (not a wrapped row's text)."""
    return all(_header_word(w.text) for w in line.words)


@lru_cache(maxsize=16384)
def _header_word(text: str) -> bool:
    return all(part in _HEADER_TOKENS or part in _UNIT_TOKENS for part in _header_parts(text)[0])


def _squashed_match(
    tokens: list[tuple[str, int]], i: int, words: list[Word]
) -> tuple[Role, int, float, float] | None:
    """A header phrase read with its spaces lost or split differently (longest first)."""
    for n in range(min(4, len(tokens) - i), 0, -1):
        key = "".join(t for t, _ in tokens[i : i + n]).replace("/", "")
        hit = _SQUASHED.get(key)
        if hit is not None and len(key) >= 2:
            idx = sorted({k for _, k in tokens[i : i + n]})
            span = [words[k] for k in idx]
            if any(b.x0 - a.x1 > 1.5 * max(a.height, 1.0) for a, b in itertools.pairwise(span)):
                continue
            return hit[0], n, min(w.x0 for w in span), max(w.x1 for w in span)
    return None


def _stack(top: Line, below: Line) -> list[Word]:
    """Two header lines as one: words of the lower line joined under the upper words."""
    out = list(top.words)
    for w in below.words:
        best = -1
        for k, t in enumerate(out):
            if min(t.x1, w.x1) - max(t.x0, w.x0) > 0:
                best = k
                break
        if best >= 0:
            t = out[best]
            out[best] = Word(f"{t.text} {w.text}", min(t.x0, w.x0), t.y0, max(t.x1, w.x1), w.y1)
        else:
            out.append(w)
    out.sort(key=lambda w: w.x0)
    return out


def _has_amount(words: list[Word]) -> bool:
    kinds = _KINDS
    for w in reversed(words):  # a row's amounts come last
        kind = kinds.get(w.text)
        if (kind or _kind(w)) == "amount":
            return True
    return False


def _is_data(line: Line) -> bool:
    return any(_kind(w) != "text" for w in line.words)


def _find_headers(lines: list[Line]) -> list[tuple[int, int, _Header]]:
    """(first line, last line, header) of every header on the page."""
    found: list[tuple[int, int, _Header]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _has_amount(line.words):  # a data line with amounts
            i += 1
            continue
        best = _match_header(line.words)
        last = i
        if i + 1 < len(lines):
            below = lines[i + 1]
            # cheapest test first: a data line below rarely holds header words only
            if (
                _only_header_words(below)
                and not _is_data(below)
                and below.y0 - line.y1 < 1.2 * max(line.height, 1.0)
            ):
                stacked = _match_header(_stack(line, below))
                alone = _match_header(below.words)
                rivals = [h.score for h in (best, alone) if h is not None]
                if stacked and stacked.score > max(rivals, default=0.0) + 0.05:
                    best, last = stacked, i + 1
                elif best is None and alone is not None:
                    i += 1
                    continue
        if best is not None:
            found.append((i, last, best))
            i = last + 1
        else:
            i += 1
    return found


# ---------------------------------------------------------------------------------- columns


@dataclass
class _Cluster:
    right: list[float] = field(default_factory=list)
    left: list[float] = field(default_factory=list)

    def __init__(self, right: list[float] | None = None, left: list[float] | None = None) -> None:
        self.right = [] if right is None else right
        self.left = [] if left is None else left

    @property
    def x1(self) -> float:
        return median(self.right)

    @property
    def x0(self) -> float:
        # typical left edge: a few long values (totals) must not widen the column leftwards
        return median(self.left)


def _amount_clusters(lines: list[Line]) -> list[_Cluster]:
    kinds = _KINDS
    edges = sorted(
        [
            (w.x1, w.x0)
            for line in lines
            for w in line.words
            if (kinds.get(w.text) or _kind(w)) == "amount"
        ]
    )
    clusters: list[_Cluster] = []
    for x1, x0 in edges:
        if clusters and x1 - clusters[-1].right[-1] <= 12:
            clusters[-1].right.append(x1)
            clusters[-1].left.append(x0)
        else:
            clusters.append(_Cluster([x1], [x0]))
    return clusters


def _span_distance(a0: float, a1: float, b0: float, b1: float) -> float:
    if min(a1, b1) - max(a0, b0) >= 0:
        return 0.0
    return min(abs(a0 - b1), abs(b0 - a1))


def _cost(cl: _Cluster, head: _Column) -> float:
    return _span_distance(cl.x0, cl.x1, head.x0, head.x1) + 0.1 * abs(cl.x1 - head.x1)


def _assign_clusters(clusters: list[_Cluster], columns: list[_Column]) -> list[_Column]:
    """Give each amount cluster the amount role of the header above it.

    The well-filled clusters are matched to the headers in left-to-right order at the least
    total distance (two columns never share a header); stray values join the nearest header.
    """
    heads = sorted((c for c in columns if c.role in AMOUNT_ROLES), key=lambda c: c.x0)
    if not heads:
        return []
    biggest = max(len(c.right) for c in clusters)
    main = [c for c in clusters if len(c.right) >= max(2, 0.2 * biggest)]
    if not main:  # a row or two only: each value goes under its nearest header
        main = [min(clusters, key=lambda c: min(_cost(c, h) for h in heads))]
    main = main[: len(heads)] if len(main) > len(heads) else main
    # order-preserving assignment: best[i][j] = least cost of main[:i] using heads[:j]
    inf = float("inf")
    n, m = len(main), len(heads)
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    choice: dict[tuple[int, int], bool] = {}
    for j in range(m + 1):
        best[0][j] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            skip = best[i][j - 1]
            take = best[i - 1][j - 1] + _cost(main[i - 1], heads[j - 1])
            best[i][j] = min(skip, take)
            choice[(i, j)] = take <= skip
    pairs: list[tuple[_Cluster, _Column]] = []
    i, j = n, m
    while i > 0 and j > 0:
        if choice[(i, j)]:
            pairs.append((main[i - 1], heads[j - 1]))
            i, j = i - 1, j - 1
        else:
            j -= 1
    main_ids = {id(c) for c in main}
    for cl in clusters:
        if id(cl) not in main_ids:
            pairs.append((cl, min(heads, key=lambda h: _cost(cl, h))))
    out = [_Column(role=head.role, x0=cl.x0, x1=cl.x1, certain=head.certain) for cl, head in pairs]
    # header columns with no values on this page keep their header span
    taken = {c.role for c in out}
    for head in heads:
        if head.role not in taken:
            out.append(_Column(role=head.role, x0=head.x0, x1=head.x1, certain=head.certain))
    return sorted(out, key=lambda c: c.x1)


def _infer_columns(lines: list[Line]) -> list[_Column]:
    """Columns of a table without a header, from dated lines that carry amounts."""
    dated = [
        ln
        for ln in lines
        if ln.words and _kind(ln.words[0]) == "date" and any(_kind(w) == "amount" for w in ln.words)
    ]
    if len(dated) < 2:
        return []
    clusters = [c for c in _amount_clusters(dated) if len(c.right) >= max(2, len(dated) // 10)]
    if not clusters:
        return []
    first = min(ln.words[0].x0 for ln in dated)
    date_right = median(ln.words[0].x1 for ln in dated)
    cols = [_Column(role="date", x0=first, x1=date_right, certain=False)]
    second_dates = [
        ln.words[1] for ln in dated if len(ln.words) > 1 and _kind(ln.words[1]) == "date"
    ]
    desc_x0 = date_right + 2
    if len(second_dates) >= 0.6 * len(dated):
        vx0 = min(w.x0 for w in second_dates)
        vx1 = median(w.x1 for w in second_dates)
        cols.append(_Column(role="value_date", x0=vx0, x1=vx1, certain=False))
        desc_x0 = vx1 + 2
    cols.append(_Column(role="description", x0=desc_x0, x1=clusters[0].x0 - 2, certain=False))
    with_balance = len(clusters) >= 2 and len(clusters[-1].right) >= 0.7 * len(dated)
    roles: list[str]
    if len(clusters) == 1:
        roles = ["amount"]
    elif len(clusters) == 2:
        roles = ["amount", "balance"] if with_balance else ["debit", "credit"]
    else:
        roles = ["debit", "credit", "balance"] + ["other"] * (len(clusters) - 3)
        if not with_balance:
            roles = ["debit", "credit"] + ["other"] * (len(clusters) - 2)
    for cl, role in zip(clusters, roles, strict=False):
        cols.append(_Column(role=role, x0=cl.x0, x1=cl.x1, certain=False))
    return cols


# -------------------------------------------------------------------------------------- rows


# searched in the lower-cased text: 8x faster than re.IGNORECASE on every row's description
_KIND_HINT = re.compile(
    r"balance|b/?f|c/?f|forward|total|opening|closing|brought|carried|previous|beginning"
    r"|start|ending|end bal"
)


def classify_row_kind(description: str) -> str:
    """``opening`` / ``closing`` / ``total`` for the rows that are not transactions."""
    if not _KIND_HINT.search(description.lower()):
        return "txn"
    text = normalise(description)
    if not text:
        return "txn"
    for kind in ("opening", "closing"):
        for phrase in NON_TRANSACTION[kind]:
            if text == phrase or (len(phrase) > 3 and text.startswith(phrase)):
                return kind
            if len(phrase) > 6 and phrase in text and len(text) <= len(phrase) + 12:
                return kind
    for phrase in NON_TRANSACTION["total"]:
        if text.startswith(phrase) and len(text) <= len(phrase) + 24:
            return "total"
    return "txn"


@dataclass
class _Table:
    columns: list[_Column]
    amount_cols: list[_Column]
    text_cols: list[_Column]
    text_right: float = 1e9  # where amounts begin: text beyond is not a wrapped description
    # where text columns printed after the amounts begin ("... Balance | Remarks"): 1e9 if none
    text_after: float = 1e9
    # OCR'd words: amounts glued to text are split off (_unglued), digits that are no amount
    # stay in their amount column (_misread_amount)
    ocr: bool = False
    _amount_spans: list[tuple[float, float, str]] = field(default_factory=list)
    _text_starts: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.text_right = min((c.x0 for c in self.amount_cols), default=1e9)
        amounts_end = max((c.x1 for c in self.amount_cols), default=1e9)
        self.text_after = min(
            (c.x0 - 12.0 for c in self.text_cols if c.x0 > amounts_end), default=1e9
        )
        self._amount_spans = [(c.x0, c.x1, c.role) for c in self.amount_cols]
        self._text_starts = [
            (
                c.x0
                - (max(12.0, 0.6 * (c.x1 - c.x0)) if c.role in ("date", "value_date") else 12.0),
                c.role,
            )
            for c in self.text_cols
        ]

    def amount_role(self, w: Word) -> str | None:
        best = 41.0
        role: str | None = None
        wx0, wx1 = w.x0, w.x1
        for x0, x1, name in self._amount_spans:
            d = abs(wx1 - x1)
            if d > 4:
                # _span_distance(wx0, wx1, x0, x1) + 4, inlined: this runs for every amount
                if (wx1 if wx1 < x1 else x1) - (wx0 if wx0 > x0 else x0) >= 0:
                    span = 4.0
                else:
                    left, right = abs(wx0 - x1), abs(x0 - wx1)
                    span = (left if left < right else right) + 4
                d = span if span < d else d
            if d < best:
                best, role = d, name
        return role

    def in_amounts(self, x0: float) -> bool:
        """Whether a word starting at ``x0`` sits among the amount columns (not in text
        columns before or after them)."""
        return self.text_right - 2 <= x0 < self.text_after

    def text_role(self, w: Word) -> str:
        role = self._text_starts[0][1] if self._text_starts else "description"
        wx0 = w.x0
        for start, name in self._text_starts:
            if start <= wx0:
                role = name
        return role


def _table_for(columns: list[_Column], lines: list[Line]) -> _Table:
    header_amounts = [c for c in columns if c.role in AMOUNT_ROLES]
    clusters = _amount_clusters(lines)
    amount_cols = _assign_clusters(clusters, columns) if clusters else header_amounts
    if not amount_cols:
        amount_cols = header_amounts
    text_cols = sorted((c for c in columns if c.role not in AMOUNT_ROLES), key=lambda c: c.x0)
    return _Table(columns=columns, amount_cols=amount_cols, text_cols=text_cols)


@dataclass
class _RowBuild:
    row: dict[str, Any]
    texts: dict[str, list[str]] = field(default_factory=dict)
    has_amount: bool = False

    def __init__(
        self,
        row: dict[str, Any],
        texts: dict[str, list[str]] | None = None,
        has_amount: bool = False,
    ) -> None:
        self.row = row
        self.texts = {} if texts is None else texts
        self.has_amount = has_amount


# an amount glued to the end of a text word (``bill@ybl247.28``): what the OCR reads when a
# long description runs up to the amount column and the detector boxes both as one
_GLUED_AMOUNT = re.compile(
    r"^(?P<text>.*[^\d\s.,'\-(])(?P<amount>\d{1,3}(?:[,.' ]\d{2,3})*[.,]\d{2})$"
)


def _unglued(w: Word, table: _Table) -> list[Word]:
    """``w`` as a text word and the amount glued to its end, when ``w`` runs from the text
    columns into an amount column whose right edge the amount would end at; else ``[w]``."""
    if w.x0 >= table.text_right or w.x1 <= table.text_right + 2:
        return [w]
    match = _GLUED_AMOUNT.match(w.text)
    if match is None or parse_amount(match["amount"]) is None:
        return [w]
    text, amount = match["text"], match["amount"]
    split_x = w.x0 + (w.x1 - w.x0) * len(text) / len(w.text)
    tail = Word(amount, split_x, w.y0, w.x1, w.y1, w.confidence, w.group)
    if table.amount_role(tail) is None:
        return [w]
    return [Word(text, w.x0, w.y0, split_x, w.y1, w.confidence, w.group), tail]


def _misread_amount(w: Word, table: _Table) -> str | None:
    """The amount column an OCR'd word stands in when it is mostly digits but no amount
    (``23 482..48Cr``, ``24 084.51C>``): kept there as read, assembly cannot parse it and
    asks for review, instead of the figure joining the description unseen."""
    if not table.in_amounts(w.x0):
        return None
    text = w.text
    digits = 0
    for c in text:
        if c.isdigit():
            digits += 1
    if digits < 3 or 2 * digits < len(text):
        return None
    return table.amount_role(w)


def _cells(line: Line, table: _Table) -> tuple[dict[str, list[Word]], bool]:
    """Words of a line by role; ``True`` when the line starts with a date."""
    cells: dict[str, list[Word]] = {}
    starts_dated = False
    kinds = _KINDS
    words = line.words
    if table.ocr:
        words = [part for w in words for part in _unglued(w, table)]
    for pos, w in enumerate(words):
        kind = kinds.get(w.text) or _kind(w)
        role: str | None = None
        if kind == "amount":
            role = table.amount_role(w)
            if role is None:
                role = table.text_role(w)
                if role in ("date", "value_date"):
                    role = "description"
        elif kind == "date":
            role = table.text_role(w)
            if role not in ("date", "value_date"):
                has_date_col = any(c.role == "date" for c in table.text_cols)
                role = "date" if pos == 0 and not has_date_col else role
                if role not in ("date", "value_date"):
                    role = "description" if role not in ("reference", "other") else role
            if role == "date" and "date" in cells:
                role = "value_date" if "value_date" not in cells else "description"
        else:
            if table.in_amounts(w.x0) and _DRCR_WORD.match(w.text):
                role = "type"
            elif table.ocr and (misread := _misread_amount(w, table)) is not None:
                role = misread
            else:
                role = table.text_role(w)
                if role in ("date", "value_date"):
                    role = "description"
                if role == "type" and not _DRCR_WORD.match(w.text):
                    role = "description"
        cells.setdefault(role, []).append(w)
        if role == "date" and pos == 0:
            starts_dated = True
    if "date" in cells and not starts_dated:
        first = words[0]
        starts_dated = cells["date"][0] is first or _kind(first) == "date"
    return cells, "date" in cells


def _garbled_date(cells: dict[str, list[Word]], table: _Table) -> str | None:
    """The text in the date column of a line that has no date (``De< 10. 2023``, an OCR
    misreading), taken out of the description; None when the date column is empty there."""
    words = cells.get("description")
    if not words:
        return None
    garbled = [w for w in words if table.text_role(w) in ("date", "value_date")]
    if not any(c.isdigit() for w in garbled for c in w.text):
        return None
    rest = [w for w in words if w not in garbled]
    if rest:
        cells["description"] = rest
    else:
        del cells["description"]
    return " ".join(w.text for w in garbled)


def analyse_page(pw: PageWords, index: int) -> PageOut:
    """Find the transaction table of a page and read its rows as printed."""
    return PageOut.model_validate(analyse_page_data(pw, index))


def analyse_page_data(pw: PageWords, index: int) -> dict[str, Any]:
    """:func:`analyse_page` as plain data (what ``PageOut.model_dump()`` would give)."""
    lines = prepare_lines(pw.words, trust_groups=pw.source == "text_layer", ocr=pw.source == "ocr")
    out: dict[str, Any] = {
        "index": index,
        "source": pw.source,
        "width": pw.width,
        "height": pw.height,
        "rotation": pw.rotation,
        "skew": pw.skew,
        "ocr_confidence": pw.ocr_confidence,
        "header": False,
        "columns": [],
        "rows": [],
        "lead": "",
        "info": [],
        "layout_score": 0.0,
    }
    info: list[dict[str, Any]] = out["info"]
    if not lines:
        return out
    headers = _find_headers(lines)
    header_lines: set[int] = set()
    for first, last, _ in headers:
        header_lines.update(range(first, last + 1))
    if headers:
        columns = headers[0][2].columns
        start = headers[0][1] + 1
        out["header"] = True
    else:
        columns = _infer_columns(lines)
        start = 0
    if not columns:
        out["info"] = [_info(ln) for ln in lines]
        return out
    data_lines = [ln for k, ln in enumerate(lines) if k >= start and k not in header_lines]
    dated = [ln for ln in data_lines if ln.words and _kind(ln.words[0]) == "date"]
    table = _table_for(
        columns, dated if len(dated) >= 2 else [ln for ln in data_lines if _is_data(ln)]
    )
    table.ocr = pw.source == "ocr"
    out["columns"] = [c.as_dict() for c in table.text_cols + table.amount_cols]
    heights = [ln.height for ln in data_lines] or [10.0]
    line_h = median(heights) or 10.0

    rows: list[_RowBuild] = []
    current: _RowBuild | None = None
    lead: list[str] = []
    prev_y: float | None = None
    desc_col = next((c for c in table.text_cols if c.role == "description"), None)
    desc_x0 = (desc_col.x0 - 15) if desc_col else 0.0
    text_right = table.text_right + 2
    if desc_col is not None and desc_col.x0 - 12.0 >= table.text_after:
        text_right = math.inf  # the narration is printed after the amounts, up to the edge
    info_before = 0
    for k, line in enumerate(lines):
        if k < start or k in header_lines:
            if k < start:
                info.append(_info(line))
                info_before += 1
            continue
        cells, starts_dated = _cells(line, table)
        has_amount = not cells.keys().isdisjoint(AMOUNT_ROLES)
        cy = line.cy
        if starts_dated and (has_amount or "description" in cells):
            current = _new_row(cells, cy)
            rows.append(current)
            prev_y = cy
            continue
        near = prev_y is not None and cy - prev_y <= max(2.2 * line_h, 1.0)
        text_words = [w for r in ("description", "reference") for w in cells.get(r, ())]
        if has_amount:
            desc_text = " ".join(w.text for w in text_words if _kind(w) == "text")
            if current is not None and not current.has_amount and near:
                _add(current, cells)
                prev_y = cy
                continue
            if desc_text and (current is not None or rows):
                garbled = _garbled_date(cells, table)
                build = _new_row(cells, cy)
                if garbled:
                    # an unreadable date is not the date of the row above: assembly finds
                    # no date in it, and the row counts as undated
                    build.row["date"] = garbled
                else:
                    # a row printed without its date: the date of the row above applies
                    build.row["dated"] = False
                    if current is not None:
                        build.row["date"] = current.row.get("date")
                        build.row["value_date"] = current.row.get("value_date")
                current = build
                rows.append(current)
                prev_y = cy
                continue
            if desc_text and classify_row_kind(desc_text) != "txn":
                current = _new_row(cells, cy)
                current.row["dated"] = False
                rows.append(current)
                prev_y = cy
                continue
            info.append(_info(line))
            continue
        # text only: a wrapped description, or something around the table
        inside = all(w.x0 >= desc_x0 and w.x1 <= text_right for w in line.words)
        # not a footer ("Page 2 of 5"), searched for only here, where it matters
        if inside and text_words and (starts_dated or not _is_footer(line.text)):
            if current is not None and near:
                _add(current, cells)
                prev_y = cy
                continue
            if (
                current is None
                and not rows
                and len(info) == info_before
                and cy - (_header_bottom(headers) or cy) <= 3 * line_h
            ):
                lead.append(" ".join(w.text for w in line.words))
                prev_y = cy
                continue
        info.append(_info(line))
        if current is not None and not near:
            current = None
    out["lead"] = " ".join(lead)
    for build in rows:
        _finish(build)
        out["rows"].append(build.row)
    txns = sum(1 for r in out["rows"] if r.get("kind", "txn") == "txn")
    out["layout_score"] = float(txns) + (5.0 if out["header"] else 0.0)
    return out


def _is_footer(text: str) -> bool:
    """``_FOOTER.search(text)``; ASCII text (where IGNORECASE is lower()) must first hold
    one of the phrases' literal parts: a few substring tests cost a fifth of the search."""
    if text.isascii():
        lowered = text.lower()
        for part in _FOOTER_PARTS:
            if part in lowered:
                break
        else:
            return False
    return _FOOTER.search(text) is not None


def _header_bottom(headers: list[tuple[int, int, _Header]]) -> float | None:
    return headers[0][2].y1 if headers else None


def _new_row(cells: dict[str, list[Word]], cy: float) -> _RowBuild:
    build = _RowBuild(row={"y": cy, "confidence": {}})
    _add(build, cells)
    return build


_SINGLE = frozenset(AMOUNT_ROLES | {"date", "value_date", "type"})


def _add(build: _RowBuild, cells: dict[str, list[Word]]) -> None:
    row = build.row
    confidence = row["confidence"]
    for role, words in cells.items():
        if len(words) == 1:
            text, conf = words[0].text, words[0].confidence
        else:
            text = " ".join([w.text for w in words])
            conf = words[0].confidence
            for w in words:  # a loop: builtin min() on a generator is slow when compiled
                conf = w.confidence if w.confidence < conf else conf
        if role in _SINGLE:
            if row.get(role) is None:
                row[role] = text
                if conf < 1.0:
                    confidence[role] = conf
                if role in AMOUNT_ROLES:
                    build.has_amount = True
            elif role in ("date", "value_date"):
                build.texts.setdefault("description", []).append(text)
        else:
            build.texts.setdefault(role, []).append(text)
            if conf < 1.0:
                confidence[role] = min(confidence.get(role, 1.0), conf)


def _finish(build: _RowBuild) -> None:
    row = build.row
    row["description"] = " ".join(" ".join(build.texts.get("description", ())).split())
    ref = " ".join(build.texts.get("reference", ())).strip()
    row["reference"] = ref or None
    kind = classify_row_kind(row["description"])
    if kind != "txn":
        row["kind"] = kind


def _hundredths(x: float) -> float:
    """``x`` to 0.01 pt (a position, half up): round(x, 2) goes through decimal strings, 10x
    slower, for an exactness positions do not need."""
    return math.floor(x * 100.0 + 0.5) / 100.0


def _info(line: Line) -> dict[str, Any]:
    words = line.words
    out: dict[str, Any] = {
        "words": [
            (w.text, _hundredths(w.x0), _hundredths(w.y0), _hundredths(w.x1), _hundredths(w.y1))
            for w in words
        ]
    }
    if any(w.confidence < 1.0 for w in words):
        out["conf"] = [round(w.confidence, 4) for w in words]
    return out
