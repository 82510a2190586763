"""The seam between the service and whatever reads the screenshot.

A provider turns a checked image into an :class:`~services.payments.extract.Extraction` and
says what it is (``name``, ``model``, ``cost_tier``), which the response reports verbatim.
The local OCR provider is the default; a Gemini provider (and a fallback chain across
providers) plugs in here by implementing :class:`PaymentProvider`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from PIL import Image

from services.common.errors import FintractError
from services.payments.extract import Extraction


class ProviderFailed(FintractError):
    """The provider could not produce an answer (answered as ``ai_failed``)."""

    code = "ai_failed"


@runtime_checkable
class PaymentProvider(Protocol):
    """Reads a payment screenshot."""

    @property
    def name(self) -> str:
        """Provider name reported in ``metadata.provider`` (``local``, ``google_ai_studio``)."""
        ...

    @property
    def model(self) -> str:
        """Model reported in ``metadata.model``."""
        ...

    @property
    def cost_tier(self) -> str:
        """``free`` / ``paid`` / ``unknown``."""
        ...

    async def extract(self, image: Image.Image) -> Extraction:
        """Read the fields. Raises :class:`ProviderFailed` when it cannot."""
        ...


__all__ = ["PaymentProvider", "ProviderFailed"]
