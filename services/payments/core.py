"""What one ParsePayment call does, in order, and the contract-shaped answers it gives.

1. request_error from the gateway (malformed body)      → ``invalid_image``    (no quota)
2. base64 that does not decode                           → ``invalid_image``    (no quota)
3. master switch off                                     → ``service_disabled`` (no quota)
4. configured model not in the free list                 → ``model_not_free``   (no quota)
   (a provider the deployment does not run               → ``ai_failed``)
5. type / size / dimensions / decompression bomb         → ``invalid_image``    (no quota)
6. match_date not ISO 8601                               → ``validation_failed`` (no quota)
7. same SHA-256 answered before → that answer, ``requires_review``/``duplicate`` (no OCR, no quota)
8. daily quota (deployment and API key)                  → ``daily_limit_exceeded``
9. provider (OCR + extractor); engine failure            → ``ai_failed``
10. not a receipt                                        → ``not_payment_screenshot``
11. hard validation failure                             → ``validation_failed``
12. review reasons: duplicate (perceptual) > date_mismatch > low_confidence
Anything unexpected → ``service_error``. Quota is spent only by requests that reach the
provider (step 9), since that is the costly part the limit protects.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

from redis.asyncio import Redis

from fintract.api.payments.v1 import payments_pb2 as pb
from services.common.logging import get_logger
from services.common.redis import Keys
from services.payments.dedupe import DuplicateIndex, perceptual_hash
from services.payments.extract import PaymentFields, parse_match_date, validate
from services.payments.image import InvalidImage, check_image, decode_base64, sha256_hex
from services.payments.providers import PaymentProvider, ProviderFailed
from services.payments.providers.gemini import Produced, gemini_router
from services.payments.quota import DailyQuota
from services.payments.settings import PaymentsSettings

_log = get_logger("fintract.payments")

ERROR_CODES = (
    "invalid_image",
    "not_payment_screenshot",
    "ai_failed",
    "service_disabled",
    "daily_limit_exceeded",
    "model_not_free",
    "validation_failed",
    "service_error",
)
# review_reason given with each error (the contract shows invalid_image → validation_failed).
_ERROR_REVIEW_REASON = {
    "invalid_image": "validation_failed",
    "validation_failed": "validation_failed",
    "not_payment_screenshot": "not_payment_screenshot",
}


class ParseRefused(Exception):
    """Ends a parse with one of the contract's error codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Timer:
    start: float

    def ms(self) -> int:
        return int((time.perf_counter() - self.start) * 1000)


class PaymentsCore:
    """The service's behaviour, independent of gRPC (the servicer only forwards)."""

    def __init__(
        self,
        settings: PaymentsSettings,
        redis: Redis,
        provider: PaymentProvider,
    ) -> None:
        self.settings = settings
        self.redis = redis
        self.provider = provider
        # local | gemini | hybrid per request; None when no Gemini key is configured.
        self.router = gemini_router(provider, default=settings.provider)
        if self.router is None and settings.provider != "local":
            _log.warning(
                "payments_provider_offline",
                configured=settings.provider,
                reason="no Gemini API key (GOOGLE_API_KEY) is set: answering with local",
            )
        self.keys = Keys(settings.namespace)
        self.quota = DailyQuota(
            redis,
            self.keys,
            limit=settings.daily_limit,
            per_key_limit=settings.daily_limit_per_key,
        )
        self.duplicates = DuplicateIndex(
            redis, self.keys, ttl_s=settings.dedupe_ttl_s, max_distance=settings.phash_max_distance
        )

    # ------------------------------------------------------------------ helpers

    @property
    def model(self) -> str:
        return self.settings.model or self.provider.model

    @property
    def deployment_provider(self) -> str:
        """What a request that names no provider gets: the configured ``local | gemini |
        hybrid``, or ``local`` when Gemini is configured but has no key to run with."""
        return self.router.default if self.router is not None else "local"

    async def aclose(self) -> None:
        """Close Gemini's HTTP sessions (the server calls this once RPCs have finished)."""
        if self.router is not None:
            await self.router.aclose()

    async def enabled(self) -> bool:
        if not self.settings.enabled:
            return False
        return not await self.redis.exists(self.keys.of("payments", "disabled"))

    def _metadata(self, **values: object) -> pb.PaymentMetadata:
        base: dict[str, object] = {
            "provider": self.provider.name,
            "model": self.model,
            "model_cost_tier": self._cost_tier(),
        }
        base.update(values)
        return pb.PaymentMetadata(**base)  # type: ignore[arg-type]

    def _cost_tier(self) -> str:
        return "free" if self.model in self.settings.free_model_list else "paid"

    def answering(self, request: pb.ParsePaymentRequest) -> Produced | None:
        """Who answers ``request`` when it is refused before any answer exists: Gemini (the
        chain's first model) when the request's mode is ``gemini``; None = the offline engine
        (``local``, and ``hybrid``, which always reads locally first)."""
        if self.router is None or self.router.mode(request.provider) != "gemini":
            return None
        return self.router.intended()

    def error(
        self,
        code: str,
        message: str,
        *,
        image_hash: str,
        timer: _Timer,
        produced: Produced | None = None,
    ) -> pb.ParsePaymentResponse:
        """The contract's error answer: empty ``data``, review asked, nothing guessed."""
        answer = pb.ParsePaymentResponse(
            success=False,
            error_code=code,
            error_message=message,
            data=_data(PaymentFields()),
            metadata=self._metadata(
                confidence=0.0,
                is_payment_screenshot=False,
                processing_time_ms=timer.ms(),
                image_hash=image_hash,
                requires_review=True,
                review_reason=_ERROR_REVIEW_REASON.get(code, code),
            ),
        )
        if produced is not None:
            for name, value in produced.metadata().items():
                setattr(answer.metadata, name, value)
        return answer

    # ------------------------------------------------------------------ RPCs

    async def parse(self, request: pb.ParsePaymentRequest) -> pb.ParsePaymentResponse:
        timer = _Timer(time.perf_counter())
        image_hash = ""
        produced = self.answering(request)
        try:
            image_hash, response = await self._parse(request, timer, produced)
        except ParseRefused as refused:
            return self.error(
                refused.code,
                refused.message,
                image_hash=image_hash,
                timer=timer,
                produced=produced,
            )
        except Exception:  # noqa: BLE001 - the contract answers every failure
            _log.exception("parse_failed")
            return self.error(
                "service_error",
                "Unexpected service error",
                image_hash=image_hash,
                timer=timer,
                produced=produced,
            )
        return response

    async def _parse(
        self, request: pb.ParsePaymentRequest, timer: _Timer, produced: Produced | None
    ) -> tuple[str, pb.ParsePaymentResponse]:
        image_hash = ""

        def refuse(code: str, message: str) -> ParseRefused:
            return ParseRefused(code, message)

        if request.request_error:
            raise refuse("invalid_image", request.request_error)
        try:
            raw = decode_base64(request.image_base64) if request.image_base64 else request.image
            if not raw:
                raise InvalidImage("Cannot open image: no image_base64 in the request")
            image_hash = sha256_hex(raw)
        except InvalidImage as exc:
            raise refuse("invalid_image", exc.message) from exc

        try:
            return image_hash, await self._parse_image(request, raw, image_hash, timer)
        except ParseRefused as refused:
            return image_hash, self.error(
                refused.code,
                refused.message,
                image_hash=image_hash,
                timer=timer,
                produced=produced,
            )
        except Exception:  # noqa: BLE001 - the contract answers every failure
            _log.exception("parse_failed")
            return image_hash, self.error(
                "service_error",
                "Unexpected service error",
                image_hash=image_hash,
                timer=timer,
                produced=produced,
            )

    async def _parse_image(
        self, request: pb.ParsePaymentRequest, raw: bytes, image_hash: str, timer: _Timer
    ) -> pb.ParsePaymentResponse:
        if not await self.enabled():
            raise ParseRefused("service_disabled", "Payment parsing is disabled")
        requested = request.provider.strip().lower()  # "" = the deployment's default
        routed = self.router is not None and self.router.handles(requested)
        if requested and requested != self.provider.name and not routed:
            raise ParseRefused(
                "ai_failed", f"Provider {request.provider!r} is not available on this deployment"
            )
        if self.model not in self.settings.free_model_list:
            raise ParseRefused(
                "model_not_free", f"Model {self.model!r} is not in the free-model list"
            )
        try:
            checked = check_image(raw, max_bytes=self.settings.max_image_bytes)
        except InvalidImage as exc:
            raise ParseRefused("invalid_image", exc.message) from exc
        match_date: date | None = None
        if request.HasField("match_date") and request.match_date.strip():
            try:
                match_date = parse_match_date(request.match_date)
            except ValueError as exc:
                raise ParseRefused(
                    "validation_failed", f"match_date {request.match_date!r} is not ISO 8601"
                ) from exc

        cached = await self.duplicates.cached_answer(image_hash)
        if cached is not None:
            answer = pb.ParsePaymentResponse.FromString(cached)
            answer.metadata.processing_time_ms = timer.ms()
            if answer.success:
                answer.metadata.requires_review = True
                answer.metadata.review_reason = "duplicate"
            return answer

        reservation = await self.quota.reserve(request.api_key_id)
        if not reservation.granted:
            scope = "for this API key" if reservation.limited_by == "api_key" else ""
            raise ParseRefused(
                "daily_limit_exceeded",
                " ".join(f"Daily request limit reached {scope}; resets at midnight UTC".split()),
            )

        produced: Produced | None = None
        try:
            if self.router is not None and self.router.uses_gemini(requested):
                extraction, produced = await self.router.extract(checked.image, requested)
            else:
                extraction = await self.provider.extract(checked.image)
        except ProviderFailed as exc:
            code = exc.code if exc.code in ("ai_failed", "model_not_free") else "ai_failed"
            raise ParseRefused(code, exc.message) from exc

        def stamp(answer: pb.ParsePaymentResponse) -> pb.ParsePaymentResponse:
            """Name what really produced the answer (Gemini, or local under hybrid)."""
            if produced is not None:
                for name, value in produced.metadata().items():
                    setattr(answer.metadata, name, value)
            return answer

        phash = perceptual_hash(checked.image)
        if not extraction.is_payment_screenshot:
            answer = self.error(
                "not_payment_screenshot",
                "The image does not look like a payment screenshot",
                image_hash=image_hash,
                timer=timer,
            )
            await self.duplicates.remember_answer(image_hash, stamp(answer).SerializeToString())
            return answer
        verdict = validate(
            extraction,
            today=datetime.now(UTC).date(),
            match_date=match_date,
            window_days=self.settings.match_date_window_days,
            min_confidence=self.settings.min_confidence_threshold,
        )
        if verdict.failure is not None:
            answer = self.error(
                "validation_failed", verdict.failure, image_hash=image_hash, timer=timer
            )
            answer.metadata.is_payment_screenshot = True
            answer.metadata.confidence = extraction.confidence
            await self.duplicates.remember_answer(image_hash, stamp(answer).SerializeToString())
            return answer

        similar = await self.duplicates.find_similar(phash, exclude_sha256=image_hash)
        await self.duplicates.remember_picture(phash, image_hash)
        review_reason = verdict.review_reason
        gemini_reason = produced.review_reason if produced is not None else None
        if gemini_reason and review_reason in (None, "low_confidence"):
            review_reason = gemini_reason  # unverified_value says more than low_confidence
        answer = pb.ParsePaymentResponse(
            success=True,
            data=_data(extraction.fields),
            metadata=self._metadata(
                confidence=extraction.confidence,
                is_payment_screenshot=True,
                processing_time_ms=timer.ms(),
                image_hash=image_hash,
                requires_review=review_reason is not None,
            ),
        )
        if review_reason is not None:
            answer.metadata.review_reason = review_reason
        stamp(answer)
        # Cached before the perceptual verdict: a later exact copy is "duplicate" anyway.
        await self.duplicates.remember_answer(image_hash, answer.SerializeToString())
        if similar is not None:
            answer.metadata.requires_review = True
            answer.metadata.review_reason = "duplicate"
        return answer

    async def status(self, request: pb.GetStatusRequest) -> pb.GetStatusResponse:
        used = await self.quota.used_today()
        limit = self.settings.daily_limit
        return pb.GetStatusResponse(
            enabled=await self.enabled(),
            provider=self.deployment_provider,
            daily_limit=limit,
            requests_today=used,
            requests_remaining=max(0, limit - used),
            min_confidence_threshold=self.settings.min_confidence_threshold,
        )


def _data(fields: PaymentFields) -> pb.PaymentData:
    return pb.PaymentData(**fields.as_dict())


__all__ = ["ERROR_CODES", "PaymentsCore"]
