"""Words that name things on statements. Extend the tables here; nothing else hard-codes them.

Phrases are matched on normalised text: lower case, punctuation other than ``/`` dropped,
spaces collapsed (``"Chq./Ref.No."`` → ``"chq/refno"`` and ``"chq/ref no"``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

Role = Literal[
    "date",
    "value_date",
    "description",
    "reference",
    "debit",
    "credit",
    "amount",
    "balance",
    "type",
    "other",
]
AMOUNT_ROLES: frozenset[str] = frozenset({"debit", "credit", "amount", "balance"})
TEXT_ROLES: frozenset[str] = frozenset({"description", "reference", "type", "other"})

__all__ = [
    "ACCOUNT_LABELS",
    "AMOUNT_ROLES",
    "HEADER_SYNONYMS",
    "NON_TRANSACTION",
    "TEXT_ROLES",
    "Role",
    "header_phrases",
    "normalise",
]

HEADER_SYNONYMS: dict[Role, tuple[str, ...]] = {
    "date": (
        "date",
        "txn date",
        "tran date",
        "trans date",
        "transaction date",
        "posting date",
        "post date",
        "posted date",
        "booking date",
        "book date",
        "entry date",
        "value date/txn",
        "date posted",
        "trans",
        "dt",
    ),
    "value_date": ("value date", "value dt", "val date", "valuedate", "effective date", "value"),
    "description": (
        "description",
        "narration",
        "particulars",
        "details",
        "transaction details",
        "transaction description",
        "transaction",
        "remarks",
        "payee",
        "memo",
        "transaction",
        "description of transaction",
        "narrative",
        "payment details",
        "merchant",
    ),
    "reference": (
        "chq/ref no",
        "chq/refno",
        "chq no",
        "cheque no",
        "cheque number",
        "ref no",
        "ref",
        "reference",
        "ref number",
        "reference no",
        "chq/ref number",
        "instrument no",
        "cheque/ref no",
        "check no",
        "check number",
        "ref no/cheque no",
        "transaction id",
    ),
    "debit": (
        "debit",
        "debits",
        "withdrawal",
        "withdrawals",
        "withdrawal amt",
        "withdrawal amount",
        "debit amount",
        "dr",
        "dr amount",
        "money out",
        "paid out",
        "payments",
        "out",
        "withdrawals/debits",
        "debits/withdrawals",
        "amount debited",
        "charges",
    ),
    "credit": (
        "credit",
        "credits",
        "deposit",
        "deposits",
        "deposit amt",
        "deposit amount",
        "credit amount",
        "cr",
        "cr amount",
        "money in",
        "paid in",
        "receipts",
        "in",
        "deposits/credits",
        "credits/deposits",
        "amount credited",
    ),
    "amount": ("amount", "transaction amount", "amt", "amount (inr)", "net amount", "sum"),
    "balance": (
        "balance",
        "closing balance",
        "running balance",
        "balance amount",
        "available balance",
        "ledger balance",
        "bal",
        "balance (inr)",
        "closing bal",
        "account balance",
    ),
    "type": ("dr/cr", "cr/dr", "type", "txn type", "d/c", "c/d", "debit/credit"),
    "other": ("branch", "init", "branch code", "sol", "init br", "channel", "category"),
}

# Rows that are not transactions. Matched on the row's normalised description.
NON_TRANSACTION: dict[str, tuple[str, ...]] = {
    "opening": (
        "opening balance",
        "balance b/f",
        "balance bf",
        "b/f",
        "bf",
        "brought forward",
        "balance brought forward",
        "previous balance",
        "beginning balance",
        "balance forward",
        "opening bal",
        "start balance",
        "starting balance",
        "last statement balance",
        "last month's balance",
        "last months balance",
        "balance from previous statement",
    ),
    "closing": (
        "closing balance",
        "balance c/f",
        "balance cf",
        "c/f",
        "cf",
        "carried forward",
        "balance carried forward",
        "ending balance",
        "closing bal",
        "new balance",
        "balance carried down",
        "end balance",
    ),
    "total": (
        "total",
        "totals",
        "grand total",
        "page total",
        "sub total",
        "subtotal",
        "total debits",
        "total credits",
        "transaction total",
        "total for period",
    ),
}

ACCOUNT_LABELS: dict[str, tuple[str, ...]] = {
    "account_holder": (
        "account holder",
        "account name",
        "customer name",
        "name of account holder",
        "account holder name",
        "holder",
        "name",
        "customer",
        "account title",  # Pakistan, Bangladesh
        "title of account",
        "cardmember",  # card statements
        "card member",
        "cardholder",
        "card holder",
        "cardholder name",
    ),
    "account_number": (
        "account number",
        "account no",
        "a/c no",
        "ac no",
        "acct no",
        "account #",
        "acct #",
        "account",
        "a/c number",
        "acc no",
        "card number",
        "card no",
    ),
    "branch_code": (
        "ifsc code",
        "ifsc",
        "sort code",
        "routing number",
        "routing no",
        "aba routing number",
        "aba",
        "iban",
        "rtn",
        "bsb",
        "transit number",
        "branch code",  # South Africa's universal branch codes, Kenya, Nigeria ...
        "universal branch code",
        "bank code",
    ),
    "currency": ("currency", "account currency", "ccy"),
    "period": (
        "statement period",
        "period",
        "statement from",
        "for the period",
        "from",
        "transactions from",
        "statement dates",
    ),
    "opening_balance": NON_TRANSACTION["opening"],
    "closing_balance": NON_TRANSACTION["closing"],
}

_PUNCT = re.compile(r"[^\w/#'$]+")
_SLASH = re.compile(r"\s*/\s*")


@lru_cache(maxsize=16384)
def normalise(text: str) -> str:
    """Lower case, punctuation (other than ``/``) to spaces, spaces collapsed."""
    text = text.lower().replace(".", " ").replace("_", " ")
    text = " ".join(_PUNCT.sub(" ", text).split())
    return _SLASH.sub("/", text)


def header_phrases() -> list[tuple[tuple[str, ...], Role]]:
    """Header phrases as word tuples, longest first (so "value date" wins over "date")."""
    out: list[tuple[tuple[str, ...], Role]] = []
    for role, phrases in HEADER_SYNONYMS.items():
        for phrase in phrases:
            out.append((tuple(normalise(phrase).split()), role))
    out.sort(key=lambda item: -len(item[0]))
    return out
