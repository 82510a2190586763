"""Pure parts of the key store: key format, hashing, the verification cache."""

from __future__ import annotations

import asyncio

from fintract.keys import CachingKeyVerifier, VerifiedKey, generate_key, hash_key


def test_keys_are_high_entropy_and_stored_as_sha256() -> None:
    keys = {generate_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert key.startswith("ft_") and len(key) == 46
        assert set(key[3:]) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )
    key = next(iter(keys))
    digest = hash_key(key)
    assert len(digest) == 64 and digest == hash_key(key) and key not in digest


class CountingVerifier:
    def __init__(self) -> None:
        self.calls = 0
        self.answer: VerifiedKey | None = VerifiedKey("k1", "u1", ("*",))

    async def verify(self, key: str) -> VerifiedKey | None:
        self.calls += 1
        return self.answer

    async def aclose(self) -> None:
        return None


async def test_cache_remembers_answers_for_ttl_then_asks_again() -> None:
    inner = CountingVerifier()
    cache = CachingKeyVerifier(inner, ttl=0.2)
    assert (await cache.verify("ft_a")) == inner.answer
    assert (await cache.verify("ft_a")) == inner.answer
    assert inner.calls == 1
    inner.answer = None  # revoked upstream
    assert (await cache.verify("ft_a")) is not None  # still within the TTL
    await asyncio.sleep(0.25)
    assert (await cache.verify("ft_a")) is None
    assert inner.calls == 2


async def test_cache_ttl_zero_always_asks_and_size_is_bounded() -> None:
    inner = CountingVerifier()
    off = CachingKeyVerifier(inner, ttl=0)
    for _ in range(3):
        await off.verify("ft_a")
    assert inner.calls == 3
    bounded = CachingKeyVerifier(inner, ttl=60, max_entries=5)
    for n in range(20):
        await bounded.verify(f"ft_{n}")
    assert len(bounded._entries) == 5


def test_verified_key_scopes() -> None:
    assert VerifiedKey("k", "u", ("*",)).allows("parse")
    assert VerifiedKey("k", "u", ("parse",)).allows("parse")
    assert not VerifiedKey("k", "u", ("payments",)).allows("parse")
