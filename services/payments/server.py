"""The PaymentsService gRPC server: ``python -m services.payments``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import grpc

from fintract.api.payments.v1 import payments_pb2 as pb
from fintract.api.payments.v1 import payments_pb2_grpc as pb_grpc
from services.common.grpc_server import GrpcService, serve_forever, start_server
from services.common.logging import get_logger
from services.common.redis import redis_client
from services.payments.core import PaymentsCore
from services.payments.dedupe import warm_up as warm_up_dedupe
from services.payments.providers import LocalProvider, PaymentProvider
from services.payments.settings import PaymentsSettings, payments_settings

_log = get_logger("fintract.payments")


class PaymentsServicer(pb_grpc.PaymentsServiceServicer):
    """Forwards to :class:`PaymentsCore`; every outcome is a response (never a gRPC error)."""

    def __init__(self, core: PaymentsCore) -> None:
        self.core = core

    async def ParsePayment(
        self, request: pb.ParsePaymentRequest, context: grpc.aio.ServicerContext
    ) -> pb.ParsePaymentResponse:
        return await self.core.parse(request)

    async def GetStatus(
        self, request: pb.GetStatusRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetStatusResponse:
        return await self.core.status(request)


def make_provider(settings: PaymentsSettings) -> LocalProvider:
    """The offline engine. Every mode needs it (``gemini``'s answers are verified against its
    text); Gemini is layered on top by the core's router when a key is configured."""
    return LocalProvider(
        max_width=settings.ocr_max_width,
        det_max_side=settings.ocr_det_max_side,
        threads=settings.ocr_threads,
    )


async def start(
    settings: PaymentsSettings,
    *,
    address: str | None = None,
    provider: PaymentProvider | None = None,
) -> GrpcService:
    """Start the service in this process (tests pass ``address="127.0.0.1:0"``)."""
    provider = provider or make_provider(settings)
    if settings.warm_up:
        await asyncio.to_thread(warm_up_dedupe)
    if settings.warm_up and isinstance(provider, LocalProvider):
        await asyncio.to_thread(provider.warm_up)
    redis = redis_client(settings.redis_url)
    core = PaymentsCore(settings, redis, provider)

    def register(server: grpc.aio.Server) -> Iterable[str]:
        pb_grpc.add_PaymentsServiceServicer_to_server(PaymentsServicer(core), server)
        return [pb.DESCRIPTOR.services_by_name["PaymentsService"].full_name]

    service = await start_server(
        address=address or settings.payments_addr,
        register=register,
        metrics_port=settings.metrics_port,
    )

    async def close_redis() -> None:
        await redis.aclose()

    # After in-flight RPCs have finished: they may still be using Redis or Gemini's sessions.
    service.on_stopped.extend([core.aclose, close_redis])
    return service


def main() -> None:
    """Run the payments service until SIGTERM/SIGINT."""
    settings = payments_settings()
    serve_forever("payments", settings, lambda: start(settings))


__all__ = ["PaymentsServicer", "main", "make_provider", "start"]
