"""Per-key rate limit: fixed one-minute windows counted atomically in Redis.

One Lua script increments ``<namespace>:ratelimit:<key_id>:<window>`` and sets its expiry on
the first hit, so concurrent gateways share the count without races.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis

_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
"""

WINDOW_S = 60


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int


class RateLimiter:
    """``limit`` requests per minute per key id (0 = unlimited)."""

    def __init__(self, redis: Redis, *, namespace: str, limit: int) -> None:
        self.redis = redis
        self.namespace = namespace
        self.limit = limit
        self._script = redis.register_script(_SCRIPT)

    async def hit(self, key_id: str) -> RateDecision:
        if self.limit <= 0:
            return RateDecision(True, 0, 0, 0)
        now = time.time()
        window = int(now // WINDOW_S)
        key = f"{self.namespace}:ratelimit:{key_id}:{window}"
        count = int(await self._script(keys=[key], args=[(WINDOW_S + 1) * 1000]))
        remaining = max(self.limit - count, 0)
        retry_after = max(1, math.ceil((window + 1) * WINDOW_S - now))
        return RateDecision(count <= self.limit, self.limit, remaining, retry_after)


__all__ = ["WINDOW_S", "RateDecision", "RateLimiter"]
