"""Redis client factory and key naming under the deployment's namespace."""

from __future__ import annotations

from redis.asyncio import Redis


def redis_client(url: str) -> Redis:
    """An asyncio Redis client that returns bytes (callers decode what they need)."""
    return Redis.from_url(url, decode_responses=False, health_check_interval=30)


class Keys:
    """Builds namespaced keys: ``Keys("ft-test-1").of("job", job_id)`` → ``ft-test-1:job:<id>``."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def of(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))


__all__ = ["Keys", "redis_client"]
