"""Signed callbacks, delivered through a durable JetStream consumer owned by jobs.

When a job (or a whole batch) finishes, its contract JSON is published on
``<namespace>.callbacks`` with the target URL in a header. A pull consumer (``callbacks``)
POSTs it with ``X-Signature: sha256=<hex hmac-sha256 of the body>``; a non-2xx answer or a
network error is NAKed with an exponential delay until ``CALLBACK_MAX_ATTEMPTS``. Pending
callbacks live in the stream, so they survive a restart of the jobs service.

URLs must be http(s) and resolve only to globally routable addresses, unless their host or
network is allow-listed (``CALLBACK_ALLOWLIST``): checked at CreateJob and again before each
delivery.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig
from prometheus_client import Counter

from services.common.errors import InvalidCallbackUrl
from services.common.logging import get_logger
from services.common.nats_bus import (
    ensure_consumer,
    ensure_stream,
    pull_until_stopped,
    stream_name,
    subject,
)

URL_HEADER = "Fintract-Callback-Url"
KIND_HEADER = "Fintract-Callback-Kind"
CONSUMER = "callbacks"

_log = get_logger("fintract.jobs.callbacks")

DELIVERIES = Counter(
    "fintract_jobs_callback_deliveries_total",
    "Callback delivery attempts, by outcome",
    ["outcome"],  # delivered | retried | given_up | refused
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def sign(secret: str, body: bytes) -> str:
    """The ``X-Signature`` header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Allowlist:
    """Hosts and networks a callback may reach although they are not global."""

    hosts: frozenset[str]
    networks: tuple[IPNetwork, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Allowlist:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(hosts=frozenset(hosts), networks=tuple(networks))

    def allows(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def check_callback_url(url: str, allowlist: Allowlist) -> str:
    """Return ``url`` when it may be called back, else raise ``InvalidCallbackUrl``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidCallbackUrl(f"callback_url is not a valid URL: {exc}") from exc
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidCallbackUrl("callback_url must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise InvalidCallbackUrl("callback_url may not carry credentials")
    host = parts.hostname.lower().rstrip(".")
    if host in allowlist.hosts:
        return url
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(
                host, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise InvalidCallbackUrl(f"callback_url host {host!r} does not resolve") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise InvalidCallbackUrl(f"callback_url host {host!r} does not resolve")
    for address in addresses:
        if not _is_public(address) and not allowlist.allows(address):
            raise InvalidCallbackUrl(
                f"callback_url resolves to a non-public address ({address}); "
                "allow-list it in CALLBACK_ALLOWLIST to use it"
            )
    return url


def callbacks_stream(namespace: str) -> tuple[str, str]:
    """The callbacks stream's name and subject."""
    return stream_name(namespace, "CALLBACKS"), subject(namespace, "callbacks")


def backoff_delay(attempt: int, *, base: float, cap: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    return float(min(cap, base * (2 ** max(0, attempt - 1))))


class CallbackQueue:
    """Publishes callbacks and runs their delivery loop."""

    def __init__(
        self,
        js: JetStreamContext,
        *,
        namespace: str,
        secret: str,
        allowlist: Allowlist,
        max_attempts: int,
        backoff_s: float,
        backoff_max_s: float,
        timeout_s: float,
        concurrency: int = 4,
    ) -> None:
        self.js = js
        self.stream, self.subject = callbacks_stream(namespace)
        self.secret = secret
        self.allowlist = allowlist
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.timeout_s = timeout_s
        self.concurrency = concurrency
        self._http: httpx.AsyncClient | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    async def setup(self) -> None:
        """Create the stream and the durable consumer (idempotent)."""
        await ensure_stream(self.js, name=self.stream, subjects=[self.subject])
        await ensure_consumer(
            self.js,
            stream=self.stream,
            config=ConsumerConfig(
                durable_name=CONSUMER,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=self.timeout_s + 30,
                max_deliver=self.max_attempts,
                filter_subject=self.subject,
            ),
        )

    async def enqueue(self, *, url: str, body: bytes, kind: str, key: str) -> None:
        """Queue one delivery; ``key`` deduplicates a repeated enqueue of the same event."""
        await self.js.publish(
            self.subject,
            body,
            stream=self.stream,
            headers={URL_HEADER: url, KIND_HEADER: kind, "Nats-Msg-Id": f"{kind}-{key}"},
        )

    def start(self) -> None:
        self._http = httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False)
        self._tasks = [
            asyncio.create_task(self._loop(), name=f"callbacks-{i}")
            for i in range(self.concurrency)
        ]

    async def stop(self) -> None:
        """Stop fetching; deliveries in flight finish first."""
        self._stopping.set()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()

    async def _loop(self) -> None:
        # A delivery that raises is redelivered after ack_wait.
        await pull_until_stopped(
            self.js,
            stream=self.stream,
            durable=CONSUMER,
            handle=self._deliver,
            stopping=self._stopping,
        )

    async def _deliver(self, msg: Msg) -> None:
        headers = msg.headers or {}
        url = headers.get(URL_HEADER, "")
        kind = headers.get(KIND_HEADER, "job")
        attempt = msg.metadata.num_delivered
        log = _log.bind(kind=kind, attempt=attempt)
        try:
            await check_callback_url(url, self.allowlist)
        except InvalidCallbackUrl as exc:
            DELIVERIES.labels("refused").inc()
            log.warning("callback_refused", error=exc.message)
            await msg.term()
            return
        assert self._http is not None
        try:
            response = await self._http.post(
                url,
                content=msg.data,
                headers={
                    "Content-Type": "application/json",
                    "X-Signature": sign(self.secret, msg.data),
                    "X-Fintract-Event": kind,
                    "X-Fintract-Attempt": str(attempt),
                },
            )
            ok, outcome = response.is_success, str(response.status_code)
        except httpx.HTTPError as exc:
            ok, outcome = False, type(exc).__name__
        if ok:
            await msg.ack_sync()
            DELIVERIES.labels("delivered").inc()
            log.info("callback_delivered", status=outcome)
            return
        if attempt >= self.max_attempts:
            DELIVERIES.labels("given_up").inc()
            log.error("callback_given_up", outcome=outcome)
            await msg.term()
            return
        delay = backoff_delay(attempt, base=self.backoff_s, cap=self.backoff_max_s)
        DELIVERIES.labels("retried").inc()
        log.info("callback_retry", outcome=outcome, delay_s=delay)
        await msg.nak(delay=delay)


__all__ = [
    "Allowlist",
    "CallbackQueue",
    "backoff_delay",
    "callbacks_stream",
    "check_callback_url",
    "sign",
]
