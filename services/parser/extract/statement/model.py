"""What one page yields (serialised between :meth:`extract_page` and :meth:`assemble`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

RowKind = Literal["txn", "opening", "closing", "total"]

__all__ = ["ColumnOut", "InfoLine", "PageOut", "RowKind", "RowOut"]


class ColumnOut(BaseModel):
    role: str
    x0: float
    x1: float
    certain: bool = True  # False when the role was inferred from values, not a header word


class RowOut(BaseModel):
    """One table row, fields as printed (parsed once the document's locale is known)."""

    kind: RowKind = "txn"
    date: str | None = None
    value_date: str | None = None
    description: str = ""
    reference: str | None = None
    debit: str | None = None
    credit: str | None = None
    amount: str | None = None
    balance: str | None = None
    type: str | None = None
    confidence: dict[str, float] = Field(default_factory=dict)  # OCR confidence per field
    y: float = 0.0
    dated: bool = True  # False when the row inherited the date of the row above


class InfoLine(BaseModel):
    """A line outside the transaction table: words as ``[text, x0, y0, x1, y1]``."""

    words: list[tuple[str, float, float, float, float]]
    conf: list[float] = Field(default_factory=list)  # per word, for OCR'd lines only

    @property
    def text(self) -> str:
        return " ".join(w[0] for w in self.words)


class PageOut(BaseModel):
    index: int
    source: str = "text_layer"
    width: float = 0.0
    height: float = 0.0
    rotation: int = 0
    skew: float = 0.0
    ocr_confidence: float | None = None
    header: bool = False
    columns: list[ColumnOut] = Field(default_factory=list)
    rows: list[RowOut] = Field(default_factory=list)
    lead: str = ""  # text above the first row: the wrapped end of the previous page's last row
    info: list[InfoLine] = Field(default_factory=list)
    layout_score: float = 0.0
