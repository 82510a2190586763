"""Start the jobs service: ``python -m services.jobs``."""

from __future__ import annotations

import grpc

from fintract.api.ingest.v1 import ingest_pb2_grpc
from fintract.api.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from services.common.db import create_engine
from services.common.grpc_server import (
    GrpcService,
    insecure_channel,
    serve_forever,
    start_server,
)
from services.common.migrate import upgrade_async
from services.common.nats_bus import connect, ensure_stream, parse_stream
from services.common.redis import redis_client
from services.jobs.callbacks import Allowlist, CallbackQueue
from services.jobs.recovery import Recovery
from services.jobs.registry import Registry
from services.jobs.servicer import JobsServicer
from services.jobs.settings import JobsSettings
from services.jobs.store import JobStore

SERVICE_NAME = jobs_pb2.DESCRIPTOR.services_by_name["JobsService"].full_name


async def start(settings: JobsSettings, *, address: str | None = None) -> GrpcService:
    """Connect Redis, the database, NATS and ingest; start the callback deliveries and the
    gRPC server. ``address`` defaults to ``JOBS_ADDR``."""
    if settings.auto_migrate:
        await upgrade_async(settings.database_url, settings.database_schema)
    redis = redis_client(settings.redis_url)
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    nc = await connect(settings.nats_url, name="fintract-jobs")
    js = nc.jetstream()
    parse = parse_stream(settings.namespace)
    await ensure_stream(js, name=parse.stream, subjects=parse.subjects)
    callbacks = CallbackQueue(
        js,
        namespace=settings.namespace,
        secret=settings.callback_secret,
        allowlist=Allowlist.parse(settings.callback_allowlist_entries),
        max_attempts=settings.callback_max_attempts,
        backoff_s=settings.callback_backoff_s,
        backoff_max_s=settings.callback_backoff_max_s,
        timeout_s=settings.callback_timeout_s,
        concurrency=settings.callback_concurrency,
    )
    await callbacks.setup()
    ingest_channel = insecure_channel(settings.ingest_addr)
    registry = Registry(redis, settings.namespace, terminal_ttl_s=settings.terminal_ttl_s)
    store = JobStore(engine, namespace=settings.namespace)
    servicer = JobsServicer(
        settings=settings,
        redis=redis,
        registry=registry,
        store=store,
        ingest=ingest_pb2_grpc.IngestServiceStub(ingest_channel),
        js=js,
        callbacks=callbacks,
    )

    def register(server: grpc.aio.Server) -> list[str]:
        jobs_pb2_grpc.add_JobsServiceServicer_to_server(servicer, server)
        return [SERVICE_NAME]

    service = await start_server(
        address=address or settings.jobs_addr,
        register=register,
        metrics_port=settings.metrics_port,
    )
    await servicer.send_all_owed_callbacks()
    callbacks.start()
    recovery = Recovery(
        registry=registry,
        store=store,
        requeue=servicer.requeue,
        check_interval_s=settings.restore_check_s,
    )
    recovery.start()  # its first check runs now: a Redis that lost its data is rebuilt

    async def close() -> None:
        await nc.drain()
        await ingest_channel.close()
        await redis.aclose()
        await engine.dispose()

    service.on_stop.append(recovery.stop)
    service.on_stop.append(callbacks.stop)
    service.on_stopped.append(close)
    return service


def main() -> None:
    """Run the jobs service until SIGTERM/SIGINT."""
    settings = JobsSettings()
    serve_forever("jobs", settings, lambda: start(settings))


__all__ = ["SERVICE_NAME", "main", "start"]
