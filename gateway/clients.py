"""gRPC channels to the services, opened once at start-up and closed at shutdown."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health_pb2_grpc

from fintract.api.ingest.v1 import ingest_pb2_grpc
from fintract.api.jobs.v1 import jobs_pb2_grpc
from gateway.settings import GatewaySettings

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 30_000),
]

SERVICES = ("ingest", "jobs", "parser", "payments")


@dataclass
class GrpcClients:
    """One channel per service and the stubs the gateway calls."""

    channels: dict[str, grpc.aio.Channel]
    ingest: ingest_pb2_grpc.IngestServiceStub = field(init=False)
    jobs: jobs_pb2_grpc.JobsServiceStub = field(init=False)

    def __post_init__(self) -> None:
        self.ingest = ingest_pb2_grpc.IngestServiceStub(self.channels["ingest"])
        self.jobs = jobs_pb2_grpc.JobsServiceStub(self.channels["jobs"])

    @classmethod
    def connect(cls, settings: GatewaySettings) -> GrpcClients:
        addresses = {
            "ingest": settings.ingest_addr,
            "jobs": settings.jobs_addr,
            "parser": settings.parser_addr,
            "payments": settings.payments_addr,
        }
        # An address may list several replicas ("host:a,host:b"); routers that spread calls
        # open their own channels, the shared one (and health) uses the first.
        return cls(
            {
                name: grpc.aio.insecure_channel(
                    address.split(",")[0].strip(), options=CHANNEL_OPTIONS
                )
                for name, address in addresses.items()
            }
        )

    def channel(self, name: str) -> grpc.aio.Channel:
        """The channel to ``name`` (ingest, jobs, parser, payments) for other stubs."""
        return self.channels[name]

    def health(self, name: str) -> health_pb2_grpc.HealthStub:
        return health_pb2_grpc.HealthStub(self.channels[name])

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()


__all__ = ["CHANNEL_OPTIONS", "SERVICES", "GrpcClients"]
