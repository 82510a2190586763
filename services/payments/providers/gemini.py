"""``local | gemini | hybrid`` for payment screenshots, per deployment and per request.

Built on ``services.common.gemini`` and active only when a Gemini API key is configured
(``GOOGLE_API_KEY``…); otherwise the service runs offline exactly as before and asking for
Gemini answers ``ai_failed``. The deployment default is the payments setting
(``PAYMENTS_PROVIDER``, else ``FINTRACT_PROVIDER``, else ``local``); a request's ``provider``
(``?provider=``) overrides it.

The offline reading always runs first: ``hybrid`` keeps it unless it misses a core field
(amount, date, status, transaction id, payee), is not a receipt, or is less confident than
``HYBRID_CONFIDENCE_THRESHOLD``, and then keeps the better-checked answer; ``gemini`` asks
Gemini every time and still needs the OCR text, because Gemini's answer is verified against
it. :class:`Produced` says what made the answer (``metadata.provider/model/model_cost_tier``):
``local`` and the OCR model, or — as the payment-parser contract names it — ``google_ai_studio``
and the Gemini model that really answered (the chain may fall back). A value Gemini gave that
is not in the screenshot's text asks for review (``review_reason = unverified_value``).
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image

from services.common.errors import AiFailed, AiRefused
from services.common.ocr import MODEL_NAME
from services.payments.extract import Extraction, Line, PaymentFields, extract_payment
from services.payments.providers.base import PaymentProvider, ProviderFailed
from services.payments.providers.local import LocalProvider, read_page

if TYPE_CHECKING:
    from services.common.gemini import GeminiProvider, GeminiSettings

MODES = ("local", "gemini", "hybrid")
# ``metadata.provider`` of an answer Gemini produced: the contract's (and the original
# service's) name for Google AI Studio keys, so its clients keep working unchanged. Routing
# names (local | gemini | hybrid) are what requests and settings choose, not who answered.
HOSTED_PROVIDER = "google_ai_studio"


@dataclass(frozen=True, slots=True)
class Produced:
    """What produced one answer."""

    provider: str
    model: str
    cost_tier: str
    review_reason: str | None = None

    def metadata(self) -> dict[str, Any]:
        return {"provider": self.provider, "model": self.model, "model_cost_tier": self.cost_tier}


LOCAL = Produced("local", MODEL_NAME, "free")


class PaymentRouter:
    """Routes each screenshot to the offline engine, Gemini, or both (hybrid)."""

    def __init__(
        self,
        local: LocalProvider,
        gemini: GeminiProvider,
        *,
        default: str,
        threshold: float,
    ) -> None:
        self.local = local
        self.gemini = gemini
        self.default = default
        self.threshold = threshold

    def mode(self, requested: str) -> str:
        return (requested.strip() or self.default).lower()

    def handles(self, requested: str) -> bool:
        """Whether a request asking for ``requested`` runs through this router."""
        return self.mode(requested) in MODES

    def uses_gemini(self, requested: str) -> bool:
        return self.mode(requested) in ("gemini", "hybrid")

    async def extract(self, image: Image.Image, requested: str) -> tuple[Extraction, Produced]:
        """Read ``image`` as the request's mode says. Raises :class:`ProviderFailed`
        (code ``ai_failed`` or ``model_not_free``) when Gemini must answer and cannot."""
        from services.common.gemini import (
            Assessment,
            MaskBox,
            escalate_payment,
            payment_data,
            route,
        )

        mode = self.mode(requested)
        try:
            page = await asyncio.to_thread(
                read_page,
                image,
                max_width=self.local.max_width,
                det_max_side=getattr(self.local, "det_max_side", 0),
            )
        except Exception as exc:
            raise ProviderFailed(f"OCR failed: {type(exc).__name__}: {exc}") from exc
        local = extract_payment(page)
        if mode == "local":
            return local, LOCAL
        assessment = Assessment(
            checks={f"{name}_read": False for name in local.missing},
            confidence=local.confidence,
            usable=local.is_payment_screenshot and local.fields.amount > 0,
        )
        lines: tuple[Line, ...] = page.lines
        boxes = [MaskBox(x.text, x.x0, x.y0, x.x1, x.y1, x.index) for x in lines]

        async def escalate() -> Any:
            buf = io.BytesIO()
            image.save(buf, format="PNG")
            return await escalate_payment(
                self.gemini,
                buf.getvalue(),
                page.text,
                words=boxes,
                words_size=(page.width, page.height),
            )

        try:
            routed = await route(
                "gemini" if mode == "gemini" else "hybrid",
                assessment,
                escalate,
                threshold=self.threshold,
            )
        except (AiFailed, AiRefused) as exc:
            raise ProviderFailed(exc.message, code=exc.code) from exc
        if routed.source == "local" or routed.gemini is None:
            return local, LOCAL
        found = routed.gemini
        answer = found.answer
        extraction = Extraction(
            fields=PaymentFields(**payment_data(answer)),
            is_payment_screenshot=answer.is_payment_screenshot,
            confidence=min(answer.confidence, found.verification.confidence),
            payment_score=1.0 if answer.is_payment_screenshot else 0.0,
        )
        reason = found.review_reasons[0] if found.review_reasons else None
        return extraction, Produced(HOSTED_PROVIDER, found.model, found.cost_tier, reason)

    def intended(self) -> Produced:
        """What a ``gemini`` request is to be answered by before any model has answered
        (named on its refusals): the chain's first model."""
        model = self.gemini.settings.models[0]
        return Produced(HOSTED_PROVIDER, model, self.gemini.cost_tier(model))

    async def aclose(self) -> None:
        await self.gemini.aclose()


def gemini_router(
    provider: PaymentProvider, *, default: str, settings: GeminiSettings | None = None
) -> PaymentRouter | None:
    """A router when the provider is the offline one and a Gemini key is configured;
    ``default`` is the deployment's mode for requests that name none."""
    if not isinstance(provider, LocalProvider):
        return None
    from services.common.gemini import GeminiProvider, GeminiSettings, api_keys_from_env

    if not api_keys_from_env():
        return None  # offline deployment: nothing of Gemini is set up
    gemini_settings = settings or GeminiSettings()
    gemini = GeminiProvider(gemini_settings)
    return PaymentRouter(
        provider,
        gemini,
        default=default,
        threshold=gemini_settings.hybrid_confidence_threshold,
    )


__all__ = ["HOSTED_PROVIDER", "LOCAL", "MODES", "PaymentRouter", "Produced", "gemini_router"]
