"""Signed callbacks, delivered through a durable JetStream consumer owned by jobs.

When a job (or a whole batch) finishes, its contract JSON is published on
``<namespace>.callbacks`` with the target URL in a header. A pull consumer (``callbacks``)
POSTs it with ``X-Signature: sha256=<hex hmac-sha256 of the body>``; a non-2xx answer or a
network error is NAKed with an exponential delay until ``CALLBACK_MAX_ATTEMPTS``. Pending
callbacks live in the stream, so they survive a restart of the jobs service.

URLs must be http(s) and resolve only to globally routable addresses, unless their host or
network is allow-listed (``CALLBACK_ALLOWLIST``): checked at CreateJob and again at each
delivery attempt, which connects to an address vetted in that attempt only
(``callback_target``: no second DNS lookup to rebind). A host that does not resolve at
delivery is retried like a network error; a non-public address ends the delivery.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ssl

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
from services.jobs.callback_target import (
    Allowlist,
    CallbackHostUnresolved,
    CallbackSender,
    Resolver,
    check_callback_url,
    resolve_host,
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


def sign(secret: str, body: bytes) -> str:
    """The ``X-Signature`` header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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
        resolve: Resolver = resolve_host,
        verify: ssl.SSLContext | bool = True,
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
        self.resolve = resolve
        self.verify = verify
        self._sender: CallbackSender | None = None
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
        self._sender = CallbackSender(
            allowlist=self.allowlist,
            timeout_s=self.timeout_s,
            resolve=self.resolve,
            verify=self.verify,
        )
        self._tasks = [
            asyncio.create_task(self._loop(), name=f"callbacks-{i}")
            for i in range(self.concurrency)
        ]

    async def stop(self) -> None:
        """Stop fetching; deliveries in flight finish first."""
        self._stopping.set()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._sender is not None:
            await self._sender.aclose()

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
        assert self._sender is not None
        try:
            response = await self._sender.post(
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
        except CallbackHostUnresolved:
            ok, outcome = False, "unresolved"  # DNS may be down for a while: retried
        except InvalidCallbackUrl as exc:
            DELIVERIES.labels("refused").inc()
            log.warning("callback_refused", error=exc.message)
            await msg.term()
            return
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
