"""Bootstrap for every service's grpc.aio server: interceptors, health, reflection, metrics,
and graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import start_http_server

from services.common.interceptors import ObservabilityInterceptor
from services.common.logging import configure_logging, get_logger
from services.common.settings import CommonSettings

_log = get_logger("fintract.server")

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
SERVER_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.so_reuseport", 0),
]
CLIENT_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 30_000),
]


@dataclass
class GrpcService:
    """A running server with its health servicer; ``port`` is the bound port."""

    server: grpc.aio.Server
    health: health.aio.HealthServicer
    port: int
    service_names: Sequence[str]
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Run after in-flight RPCs have finished: close what the handlers used (DB engine, stores).
    on_stopped: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def stop(self, grace: float) -> None:
        """Stop taking work, let in-flight RPCs finish, then run stop hooks (drain NATS…)."""
        await self.health.enter_graceful_shutdown()
        for hook in self.on_stop:
            try:
                await hook()
            except Exception:  # noqa: BLE001 - keep stopping the rest
                _log.exception("stop_hook_failed")
        await self.server.stop(grace)
        for hook in self.on_stopped:
            try:
                await hook()
            except Exception:  # noqa: BLE001 - keep closing the rest
                _log.exception("stopped_hook_failed")


async def start_server(
    *,
    address: str,
    register: Callable[[grpc.aio.Server], Iterable[str]],
    metrics_port: int = 0,
) -> GrpcService:
    """Create, register and start a server. ``register`` adds servicers and returns their
    full service names (for health and reflection). Port 0 in ``address`` picks a free one."""
    server = grpc.aio.server(interceptors=[ObservabilityInterceptor()], options=SERVER_OPTIONS)
    names = list(register(server))
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    port = server.add_insecure_port(address)
    if port == 0:
        raise RuntimeError(f"could not bind {address}")
    await server.start()
    for name in [*names, ""]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    if metrics_port:
        start_http_server(metrics_port)
    _log.info("server_started", address=address, port=port, services=names)
    return GrpcService(server=server, health=health_servicer, port=port, service_names=names)


async def run_until_signalled(service: GrpcService, *, grace: float) -> None:
    """Serve until SIGTERM or SIGINT, then shut down gracefully."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    waiter = asyncio.create_task(service.server.wait_for_termination())
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    _log.info("shutting_down", grace=grace)
    await service.stop(grace)
    waiter.cancel()
    stopper.cancel()


def serve_forever(
    name: str, settings: CommonSettings, start: Callable[[], Awaitable[GrpcService]]
) -> None:
    """A service's ``main()``: JSON logs, start, serve until SIGTERM/SIGINT, stop gracefully."""
    configure_logging(name, level=settings.log_level, json=settings.log_json)

    async def serve() -> None:
        service = await start()
        await run_until_signalled(service, grace=settings.shutdown_grace_s)

    asyncio.run(serve())


def insecure_channel(address: str) -> grpc.aio.Channel:
    """A client channel with the suite's message limits."""
    return grpc.aio.insecure_channel(address, options=CLIENT_OPTIONS)


__all__ = [
    "CLIENT_OPTIONS",
    "GrpcService",
    "insecure_channel",
    "run_until_signalled",
    "serve_forever",
    "start_server",
]
