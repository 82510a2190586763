"""Key verification behind one interface, :class:`KeyVerifier`.

- :class:`DatabaseKeyVerifier`: the local ``api_keys`` table (default).
- :class:`KeyfolioKeyVerifier`: a Keyfolio-style remote service. The gateway POSTs
  ``{"api_key": "<key>"}`` to ``<base_url>/verify`` and reads
  ``{"valid": true, "user_id": "...", "key_id": "...", "scopes": ["..."]}``; a 401/403/404
  or ``"valid": false`` means the key is not valid, anything else is an outage.
- :class:`CachingKeyVerifier`: wraps either and remembers answers for ``ttl`` seconds, so a
  revoked key stops working at most ``ttl`` seconds later (0 disables the cache).

Errors: ``KeyVerifierUnavailable`` when the backend cannot answer (the gateway says 503).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Protocol, runtime_checkable

import httpx

from fintract.keys.store import KeyStore, VerifiedKey, hash_key


class KeyVerifierUnavailable(Exception):
    """The verification backend could not answer."""


@runtime_checkable
class KeyVerifier(Protocol):
    """Turns a bearer token into its owner, or None when the key is not valid."""

    async def verify(self, key: str) -> VerifiedKey | None: ...

    async def aclose(self) -> None: ...


class DatabaseKeyVerifier:
    """Verifies against the ``api_keys`` table."""

    def __init__(self, store: KeyStore) -> None:
        self.store = store

    async def verify(self, key: str) -> VerifiedKey | None:
        try:
            return await self.store.verify(key)
        except Exception as exc:
            raise KeyVerifierUnavailable("key store unavailable") from exc

    async def aclose(self) -> None:
        return None


class KeyfolioKeyVerifier:
    """Verifies against a remote Keyfolio-style service (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        *,
        admin_key: str = "",
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"X-Admin-Key": admin_key} if admin_key else {}
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout, headers=headers, transport=transport
        )

    async def verify(self, key: str) -> VerifiedKey | None:
        try:
            response = await self._client.post("/verify", json={"api_key": key})
        except httpx.HTTPError as exc:
            raise KeyVerifierUnavailable("key service unreachable") from exc
        if response.status_code in (400, 401, 403, 404):
            return None
        if response.status_code != 200:
            raise KeyVerifierUnavailable(f"key service answered {response.status_code}")
        try:
            body: dict[str, Any] = response.json()
        except ValueError as exc:
            raise KeyVerifierUnavailable("key service answered garbage") from exc
        if not body.get("valid") or not body.get("user_id"):
            return None
        scopes = body.get("scopes") or ["*"]
        return VerifiedKey(
            key_id=str(body.get("key_id") or hash_key(key)[:32]),
            user_id=str(body["user_id"]),
            scopes=tuple(str(s) for s in scopes),
        )

    async def aclose(self) -> None:
        await self._client.aclose()


class CachingKeyVerifier:
    """Remembers answers (valid and not valid) for ``ttl`` seconds, at most ``max_entries``.

    Entries are indexed by the key's hash, so raw keys are not kept in memory.
    """

    def __init__(self, inner: KeyVerifier, *, ttl: float, max_entries: int = 10_000) -> None:
        self.inner = inner
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, VerifiedKey | None]] = OrderedDict()

    async def verify(self, key: str) -> VerifiedKey | None:
        if self.ttl <= 0:
            return await self.inner.verify(key)
        digest = hash_key(key)
        now = time.monotonic()
        hit = self._entries.get(digest)
        if hit is not None and hit[0] > now:
            self._entries.move_to_end(digest)
            return hit[1]
        answer = await self.inner.verify(key)
        self._entries[digest] = (now + self.ttl, answer)
        self._entries.move_to_end(digest)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return answer

    def clear(self) -> None:
        self._entries.clear()

    async def aclose(self) -> None:
        await self.inner.aclose()


__all__ = [
    "CachingKeyVerifier",
    "DatabaseKeyVerifier",
    "KeyVerifier",
    "KeyVerifierUnavailable",
    "KeyfolioKeyVerifier",
]
