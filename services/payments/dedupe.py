"""Duplicate screenshots: exact copies by SHA-256 (the cached answer is returned without
running OCR again) and re-encoded or resized copies by a 256-bit perceptual hash.

Perceptual hashes are indexed in Redis by 16 bands of 16 bits: two hashes within
``max_distance`` ≤ 15 bits share at least one identical band, so a lookup reads 16 small sets
instead of scanning every stored hash.
"""

from __future__ import annotations

import imagehash
import numpy as np
from PIL import Image
from redis.asyncio import Redis

from services.common.redis import Keys

HASH_SIZE = 16  # 16x16 = 256-bit pHash: 8x8 confuses two receipts of the same app
BANDS = 16
BAND_HEX = HASH_SIZE * HASH_SIZE // 4 // BANDS


def perceptual_hash(image: Image.Image) -> str:
    """256-bit DCT hash of the picture as 64 hex digits (computed on a ~256 px wide box
    reduction: the hash only looks at 64x64 anyway, and reducing first is ~30x faster)."""
    factor = max(1, min(image.width, image.height) // 256)
    small = image.reduce(factor) if factor > 1 else image
    return str(imagehash.phash(small, hash_size=HASH_SIZE))


def warm_up() -> None:
    """Hash one small picture now: the first pHash imports scipy (~0.5 s CPU), which
    would otherwise land on the first request."""
    perceptual_hash(Image.new("RGB", (64, 64), "white"))


def hamming(a: str, b: str) -> int:
    return int(
        np.unpackbits(
            np.frombuffer(bytes.fromhex(a), dtype=np.uint8)
            ^ np.frombuffer(bytes.fromhex(b), dtype=np.uint8)
        ).sum()
    )


class DuplicateIndex:
    """Remembers answers by SHA-256 and pictures by perceptual hash for ``ttl_s`` seconds."""

    def __init__(self, redis: Redis, keys: Keys, *, ttl_s: int, max_distance: int) -> None:
        self._redis = redis
        self._keys = keys
        self.ttl_s = ttl_s
        self.max_distance = min(max_distance, BANDS - 1)

    def _answer_key(self, sha256: str) -> str:
        return self._keys.of("payments", "answer", sha256)

    def _band_key(self, index: int, value: str) -> str:
        return self._keys.of("payments", "phash", str(index), value)

    async def cached_answer(self, sha256: str) -> bytes | None:
        value = await self._redis.get(self._answer_key(sha256))
        if value is None:
            return None
        return value.encode() if isinstance(value, str) else bytes(value)

    async def remember_answer(self, sha256: str, answer: bytes) -> None:
        await self._redis.set(self._answer_key(sha256), answer, ex=self.ttl_s)

    async def find_similar(self, phash: str, *, exclude_sha256: str) -> str | None:
        """SHA-256 of an earlier, different upload that looks the same, if any."""
        pipe = self._redis.pipeline(transaction=False)
        for i in range(BANDS):
            pipe.smembers(self._band_key(i, phash[i * BAND_HEX : (i + 1) * BAND_HEX]))
        seen: set[bytes] = set()
        for members in await pipe.execute():
            seen.update(members)
        best: tuple[int, str] | None = None
        for member in seen:
            other_hash, other_sha = member.decode().split(":", 1)
            if other_sha == exclude_sha256:
                continue
            distance = hamming(phash, other_hash)
            if distance <= self.max_distance and (best is None or distance < best[0]):
                best = (distance, other_sha)
        return best[1] if best else None

    async def remember_picture(self, phash: str, sha256: str) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for i in range(BANDS):
            key = self._band_key(i, phash[i * BAND_HEX : (i + 1) * BAND_HEX])
            pipe.sadd(key, f"{phash}:{sha256}")
            pipe.expire(key, self.ttl_s)
        await pipe.execute()


__all__ = ["DuplicateIndex", "hamming", "perceptual_hash", "warm_up"]
