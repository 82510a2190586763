"""Start the ingest gRPC server in-process (tests) or as ``python -m services.ingest``."""

from __future__ import annotations

import grpc

from fintract.api.ingest.v1 import ingest_pb2_grpc
from services.common.db import create_engine
from services.common.grpc_server import GrpcService, serve_forever, start_server
from services.common.migrate import upgrade_async
from services.common.storage import blob_store
from services.ingest.gemini_classify import gemini_classifier
from services.ingest.repository import DocumentRepository
from services.ingest.service import SERVICE_NAME, IngestServicer
from services.ingest.settings import IngestSettings


async def start(settings: IngestSettings, *, address: str | None = None) -> GrpcService:
    """Open the database and blob store (and Gemini's client when the provider asks for it)
    and serve IngestService on ``address`` (default: ``INGEST_ADDR``; port 0 picks a free
    one). ``service.stop()`` closes them again."""
    if settings.auto_migrate:
        await upgrade_async(settings.database_url, settings.database_schema)
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    store = blob_store(
        settings.storage_url, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region
    )
    classifier = gemini_classifier(settings)
    servicer = IngestServicer(
        settings=settings,
        repository=DocumentRepository(engine),
        store=store,
        classifier=classifier,
    )

    def register(server: grpc.aio.Server) -> list[str]:
        ingest_pb2_grpc.add_IngestServiceServicer_to_server(servicer, server)
        return [SERVICE_NAME]

    try:
        service = await start_server(
            address=address or settings.ingest_addr,
            register=register,
            metrics_port=settings.metrics_port,
        )
    except BaseException:
        if classifier is not None:
            await classifier.aclose()
        await store.close()
        await engine.dispose()
        raise
    service.on_stopped.extend([servicer.drain, store.close, engine.dispose])
    if classifier is not None:
        service.on_stopped.append(classifier.aclose)
    return service


def main() -> None:
    """Run the ingest service until SIGTERM/SIGINT."""
    settings = IngestSettings()
    serve_forever("ingest", settings, lambda: start(settings))


__all__ = ["main", "start"]
