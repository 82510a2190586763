"""Start a parser worker process: ``python -m services.parser``.

Runs the JetStream consumers (documents, pages) and serves ParserService.ParseDocument.
On SIGTERM: health NOT_SERVING, stop fetching, finish the pages in hand, drain NATS, then
stop the gRPC server.
"""

from __future__ import annotations

import asyncio

import grpc

from fintract.api.ingest.v1 import ingest_pb2_grpc
from fintract.api.jobs.v1 import jobs_pb2_grpc
from fintract.api.parser.v1 import parser_pb2, parser_pb2_grpc
from services.common.gemini import GeminiProvider, GeminiSettings, api_keys_from_env
from services.common.grpc_server import (
    GrpcService,
    insecure_channel,
    serve_forever,
    start_server,
)
from services.common.nats_bus import connect
from services.common.storage import blob_store
from services.parser.escalation import Escalation
from services.parser.servicer import ParserServicer
from services.parser.settings import ParserSettings
from services.parser.sources import Extraction, SourceCache
from services.parser.worker import Worker

SERVICE_NAME = parser_pb2.DESCRIPTOR.services_by_name["ParserService"].full_name


def gemini_provider(gemini_settings: GeminiSettings) -> GeminiProvider | None:
    """The process's one Gemini provider, or None when no API key is set (then ``hybrid``
    keeps local answers and ``gemini`` fails with ``ai_not_configured``). Nothing of the
    SDK is imported before the first request."""
    keys = api_keys_from_env()
    return GeminiProvider(gemini_settings, api_keys=keys) if keys else None


async def start(settings: ParserSettings, *, address: str | None = None) -> GrpcService:
    """Connect NATS, jobs, ingest and the blob store; create the consumers; start fetching
    and serving. ``address`` defaults to ``PARSER_ADDR``."""
    extraction = Extraction()
    gemini_settings = GeminiSettings()
    gemini = gemini_provider(gemini_settings)
    escalation = Escalation(
        gemini, gemini_settings, extraction.run, default_provider=settings.default_provider
    )
    blobs = blob_store(
        settings.storage_url, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region
    )
    jobs_channel = insecure_channel(settings.jobs_addr)
    ingest_channel = insecure_channel(settings.ingest_addr)
    nc = await connect(settings.nats_url, name="fintract-parser")
    js = nc.jetstream()
    sources = SourceCache(
        ingest=ingest_pb2_grpc.IngestServiceStub(ingest_channel),
        blobs=blobs,
        extraction=extraction,
        size=settings.source_cache_size,
        rpc_timeout_s=settings.rpc_timeout_s,
    )
    worker = Worker(
        settings=settings,
        js=js,
        jobs=jobs_pb2_grpc.JobsServiceStub(jobs_channel),
        sources=sources,
        extraction=extraction,
        escalation=escalation,
    )
    await worker.setup()
    servicer = ParserServicer(settings=settings, extraction=extraction, escalation=escalation)

    def register(server: grpc.aio.Server) -> list[str]:
        parser_pb2_grpc.add_ParserServiceServicer_to_server(servicer, server)
        return [SERVICE_NAME]

    service = await start_server(
        address=address or settings.parser_addr,
        register=register,
        metrics_port=settings.metrics_port,
    )
    worker.start()

    async def stop_work() -> None:
        await worker.stop()
        await nc.drain()

    async def close() -> None:
        await sources.clear()
        await jobs_channel.close()
        await ingest_channel.close()
        await blobs.close()
        if gemini is not None:
            await gemini.aclose()
        await asyncio.to_thread(extraction.shutdown)

    service.on_stop.append(stop_work)
    service.on_stopped.append(close)
    return service


def main() -> None:
    """Run the parser service until SIGTERM/SIGINT."""
    settings = ParserSettings()
    serve_forever("parser", settings, lambda: start(settings))


__all__ = ["SERVICE_NAME", "main", "start"]
