"""The daily request quota in Redis: one counter for the deployment and one per API key,
both reset at midnight UTC.

One Lua script checks both limits and increments both counters atomically, so concurrent
requests can never take the count past a limit. Keys carry the UTC date (a new day starts a
new counter) and expire at the next midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from services.common.redis import Keys

_RESERVE = """
local limit = tonumber(ARGV[1])
local key_limit = tonumber(ARGV[2])
local expire_at = tonumber(ARGV[3])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= limit then
  return {0, used, 1}
end
if #KEYS > 1 and key_limit > 0 then
  local key_used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if key_used >= key_limit then
    return {0, used, 2}
  end
end
if #KEYS > 1 then
  redis.call('INCR', KEYS[2])
  redis.call('EXPIREAT', KEYS[2], expire_at)
end
used = redis.call('INCR', KEYS[1])
redis.call('EXPIREAT', KEYS[1], expire_at)
return {1, used, 0}
"""


@dataclass(frozen=True, slots=True)
class Reservation:
    granted: bool
    used_today: int
    limited_by: str | None  # "daily" | "api_key" when refused


def _day(now: datetime) -> tuple[str, int]:
    day = now.astimezone(UTC).date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    return day.isoformat(), int(midnight.timestamp())


class DailyQuota:
    """Counts requests per UTC day (see the module docstring)."""

    def __init__(self, redis: Redis, keys: Keys, *, limit: int, per_key_limit: int) -> None:
        self._redis = redis
        self._keys = keys
        self.limit = limit
        self.per_key_limit = per_key_limit
        self._script = redis.register_script(_RESERVE)

    def _global_key(self, day: str) -> str:
        return self._keys.of("payments", "quota", day)

    def _api_key(self, day: str, key_id: str) -> str:
        return self._keys.of("payments", "quota", day, "key", key_id)

    async def reserve(self, api_key_id: str = "", *, now: datetime | None = None) -> Reservation:
        """Take one request from today's quota (and the key's), or refuse without taking."""
        day, expire_at = _day(now or datetime.now(UTC))
        keys = [self._global_key(day)]
        if api_key_id:
            keys.append(self._api_key(day, api_key_id))
        granted, used, reason = await self._script(
            keys=keys, args=[self.limit, self.per_key_limit, expire_at]
        )
        limited = {1: "daily", 2: "api_key"}.get(int(reason))
        return Reservation(bool(granted), int(used), limited)

    async def used_today(self, api_key_id: str = "", *, now: datetime | None = None) -> int:
        day, _ = _day(now or datetime.now(UTC))
        key = self._api_key(day, api_key_id) if api_key_id else self._global_key(day)
        value = await self._redis.get(key)
        return int(value or 0)


__all__ = ["DailyQuota", "Reservation"]
