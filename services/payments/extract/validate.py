"""Checks on extracted fields: hard failures (``validation_failed``) and reasons to ask a
human (``date_mismatch``, ``low_confidence``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from services.payments.extract.extractor import Extraction


@dataclass(frozen=True, slots=True)
class Verdict:
    """``failure`` is a message when the extraction must be refused; ``review_reason`` asks
    for a human look while still answering."""

    failure: str | None
    review_reason: str | None


def parse_match_date(value: str) -> date:
    """``2024-01-15``, ``2024-01-15T00:00:00Z`` or any ISO 8601 date-time → its date.

    Raises:
        ValueError: not an ISO 8601 date.
    """
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return date.fromisoformat(text[:10])


def validate(
    extraction: Extraction,
    *,
    today: date,
    match_date: date | None,
    window_days: int,
    min_confidence: float,
) -> Verdict:
    """Amount > 0, a real date not in the future (one day of slack: India is ahead of UTC),
    a valid time; then the match-date window and the confidence threshold."""
    data = extraction.fields
    if data.amount <= 0:
        return Verdict("no payment amount could be read", None)
    paid_on: date | None = None
    if data.date:
        try:
            paid_on = date.fromisoformat(data.date)
        except ValueError:
            return Verdict(f"payment date {data.date!r} is not a real date", None)
        if paid_on > today + timedelta(days=1):
            return Verdict(f"payment date {data.date} is in the future", None)
    if data.time:
        try:
            time.fromisoformat(data.time)
        except ValueError:
            return Verdict(f"payment time {data.time!r} is not a valid time", None)
    if match_date is not None and (
        paid_on is None or abs((paid_on - match_date).days) > window_days
    ):
        return Verdict(None, "date_mismatch")
    if extraction.confidence < min_confidence:
        return Verdict(None, "low_confidence")
    return Verdict(None, None)


__all__ = ["Verdict", "parse_match_date", "validate"]
