"""What the gateway holds for its lifetime: settings, channels, key verifier, usage writer,
rate limiter. Built at start-up (lifespan), closed at shutdown."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from fintract.keys import (
    CachingKeyVerifier,
    DatabaseKeyVerifier,
    KeyfolioKeyVerifier,
    KeyStore,
    KeyVerifier,
    UsageRecorder,
    create_engine,
)
from gateway.clients import GrpcClients
from gateway.ratelimit import RateLimiter
from gateway.settings import GatewaySettings

_log = structlog.get_logger("fintract.gateway")


@dataclass
class GatewayState:
    settings: GatewaySettings
    clients: GrpcClients
    engine: AsyncEngine
    verifier: CachingKeyVerifier
    recorder: UsageRecorder | None
    redis: Redis
    limiter: RateLimiter

    @classmethod
    async def open(cls, settings: GatewaySettings) -> GatewayState:
        engine = create_engine(settings.database_url, schema=settings.database_schema)
        inner: KeyVerifier
        if settings.auth_backend == "keyfolio":
            inner = KeyfolioKeyVerifier(
                settings.keyfolio_url, admin_key=settings.keyfolio_admin_key
            )
        else:
            inner = DatabaseKeyVerifier(KeyStore(engine))
        recorder = None
        if settings.api_logs_enabled:
            recorder = UsageRecorder(
                engine,
                interval=settings.api_log_interval_s,
                batch_size=settings.api_log_batch,
                # Keys verified elsewhere have no row here to touch.
                record_key_use=settings.auth_backend == "database",
            )
            recorder.start()
        redis = Redis.from_url(settings.redis_url, decode_responses=False)
        return cls(
            settings=settings,
            clients=GrpcClients.connect(settings),
            engine=engine,
            verifier=CachingKeyVerifier(inner, ttl=settings.key_cache_ttl_s),
            recorder=recorder,
            redis=redis,
            limiter=RateLimiter(
                redis, namespace=settings.namespace, limit=settings.rate_limit_per_minute
            ),
        )

    async def close(self) -> None:
        if self.recorder is not None:
            try:
                await self.recorder.stop()
            except Exception:  # noqa: BLE001 - shutting down anyway
                _log.warning("could not flush api_logs at shutdown", exc_info=True)
        await self.clients.close()
        await self.verifier.aclose()
        await self.redis.aclose()
        await self.engine.dispose()


__all__ = ["GatewayState"]
