"""Redis client factory and key naming under the deployment's namespace."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

# Connections one process opens at most; a burst beyond it waits for a free connection
# (up to POOL_WAIT_S) instead of failing with "Too many connections".
MAX_CONNECTIONS = 64
POOL_WAIT_S = 10.0


def redis_client(url: str, *, max_connections: int = MAX_CONNECTIONS) -> Redis:
    """An asyncio Redis client that returns bytes (callers decode what they need)."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=POOL_WAIT_S,
        decode_responses=False,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)  # the client owns the pool: aclose() closes it


class Keys:
    """Builds namespaced keys: ``Keys("ft-test-1").of("job", job_id)`` → ``ft-test-1:job:<id>``."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def of(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))


__all__ = ["Keys", "redis_client"]
