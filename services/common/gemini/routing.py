"""Provider routing: ``local | gemini | hybrid`` and the pure decisions of ``hybrid``.

``hybrid`` answers locally first and asks Gemini only when the local answer fails a check, is
missing, or is less confident than ``HYBRID_CONFIDENCE_THRESHOLD``; then the better-checked of
the two answers wins (:func:`pick_better`). These functions do no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, cast, get_args

from services.common.errors import InputError
from services.common.gemini.settings import ProviderName

Source = Literal["local", "gemini"]


class InvalidProvider(InputError):
    code = "invalid_provider"


def resolve_provider(requested: str | None, default: ProviderName) -> ProviderName:
    """The request's provider (``""``/None = the deployment default), validated."""
    value = (requested or "").strip().lower() or default
    if value not in get_args(ProviderName):
        raise InvalidProvider(
            f"provider must be one of local, gemini, hybrid (got {requested!r})",
            provider=requested,
        )
    return cast(ProviderName, value)


@dataclass(frozen=True)
class Assessment:
    """What is known about one answer, local or Gemini's, to compare them.

    Attributes:
        checks: the contract's arithmetic checks (None = could not run).
        confidence: 0..1 as the engine reports it.
        unverified: how many values could not be found in the document.
        usable: False when there is no answer worth keeping (nothing extracted, not a
            payment screenshot, an error).
    """

    checks: Mapping[str, bool | None] = field(default_factory=dict)
    confidence: float = 1.0
    unverified: int = 0
    usable: bool = True

    @property
    def failed_checks(self) -> list[str]:
        return [name for name, ok in self.checks.items() if ok is False]

    @property
    def problems(self) -> int:
        return len(self.failed_checks) + self.unverified


@dataclass(frozen=True)
class Decision:
    escalate: bool
    reasons: tuple[str, ...] = ()


def should_escalate(local: Assessment | None, *, threshold: float) -> Decision:
    """Whether ``hybrid`` asks Gemini, and why (``no_local_answer``, ``check_failed:<name>``,
    ``unverified_value``, ``low_confidence``)."""
    if local is None or not local.usable:
        return Decision(True, ("no_local_answer",))
    reasons = [f"check_failed:{name}" for name in local.failed_checks]
    if local.unverified:
        reasons.append("unverified_value")
    if local.confidence < threshold:
        reasons.append("low_confidence")
    return Decision(bool(reasons), tuple(reasons))


def pick_better(local: Assessment | None, remote: Assessment, *, threshold: float) -> Source:
    """The better-checked answer. Gemini wins when the local one is unusable, when Gemini's
    has fewer problems (failed checks + unverified values), or when both are clean and the
    local one was below the confidence threshold. Otherwise the local answer stays: it is
    read from the document itself."""
    if local is None or not local.usable:
        return "gemini" if remote.usable else "local"
    if not remote.usable:
        return "local"
    if remote.problems < local.problems:
        return "gemini"
    if remote.problems == local.problems == 0 and local.confidence < threshold:
        return "gemini"
    return "local"


__all__ = [
    "Assessment",
    "Decision",
    "InvalidProvider",
    "Source",
    "pick_better",
    "resolve_provider",
    "should_escalate",
]
