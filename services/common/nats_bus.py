"""NATS JetStream connection and idempotent stream/consumer setup, namespaced per deployment."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, FetchTimeoutError, NotFoundError

from services.common.logging import get_logger

_log = get_logger("fintract.nats")


def stream_name(namespace: str, name: str) -> str:
    """Stream names may not hold dots or spaces: ``ft.test`` + ``PARSE`` → ``FT_TEST_PARSE``."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"{namespace}_{name}").upper()


def subject(namespace: str, *parts: str) -> str:
    return ".".join((namespace, *parts))


@dataclass(frozen=True)
class ParseStream:
    """Where parse work travels: one work-queue stream, a subject per message kind."""

    stream: str
    document_subject: str
    page_subject: str

    @property
    def subjects(self) -> list[str]:
        return [self.document_subject, self.page_subject]


def parse_stream(namespace: str) -> ParseStream:
    """The parse stream's naming, shared by jobs (publishes documents) and parser workers."""
    return ParseStream(
        stream=stream_name(namespace, "PARSE"),
        document_subject=subject(namespace, "parse", "document"),
        page_subject=subject(namespace, "parse", "page"),
    )


async def connect(url: str, *, name: str) -> NATS:
    """Connect with reconnects on; the caller drains the connection on shutdown."""
    return await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
    )


async def ensure_stream(
    js: JetStreamContext,
    *,
    name: str,
    subjects: list[str],
    max_age_s: float = 7 * 24 * 3600,
    retention: RetentionPolicy = RetentionPolicy.WORK_QUEUE,
) -> None:
    """Create the stream, or update it to this config: safe to call from every replica."""
    config = StreamConfig(
        name=name,
        subjects=subjects,
        retention=retention,
        storage=StorageType.FILE,
        max_age=max_age_s,
    )
    try:
        await js.stream_info(name)
        await js.update_stream(config)
    except NotFoundError:
        try:
            await js.add_stream(config)
        except BadRequestError:  # another replica won the race
            await js.update_stream(config)
    _log.info("stream_ready", stream=name, subjects=subjects)


async def ensure_consumer(js: JetStreamContext, *, stream: str, config: ConsumerConfig) -> None:
    """Create a durable consumer; an existing one keeps its delivery state."""
    try:
        await js.consumer_info(stream, config.durable_name or "")
        await js.add_consumer(stream, config)  # updates mutable fields
    except NotFoundError:
        await js.add_consumer(stream, config)
    except BadRequestError as exc:
        _log.warning("consumer_update_refused", stream=stream, error=str(exc))


FETCH_WAIT_S = 1.0


async def pull_until_stopped(
    js: JetStreamContext,
    *,
    stream: str,
    durable: str,
    handle: Callable[[Msg], Awaitable[None]],
    stopping: asyncio.Event,
    on_failure: Callable[[Msg], Awaitable[None]] | None = None,
) -> None:
    """Fetch and handle one message at a time from a durable pull consumer until ``stopping``.

    A fetch is a long poll of at most ``FETCH_WAIT_S`` and is never cancelled (a cancelled
    pull request can still be answered, leaving a message nobody holds until ack_wait); a
    message that arrives after the stop was requested is handed back at once with a NAK. A
    handler that raises is logged and, when given, ``on_failure(msg)`` decides what happens
    to the message (else it is redelivered after ack_wait); the loop never ends on one
    message or one broken fetch.
    """
    sub = await js.pull_subscribe_bind(durable, stream)
    try:
        while not stopping.is_set():
            try:
                messages = await sub.fetch(1, timeout=FETCH_WAIT_S)
            except (FetchTimeoutError, TimeoutError):
                continue
            except Exception:  # noqa: BLE001 - a broken fetch must not end the loop
                _log.exception("fetch_failed", consumer=durable)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), 1)
                continue
            for msg in messages:
                if stopping.is_set():
                    await msg.nak()
                    continue
                try:
                    await handle(msg)
                except Exception:  # noqa: BLE001 - never lose the loop to one message
                    _log.exception("message_failed", consumer=durable)
                    if on_failure is not None:
                        with contextlib.suppress(Exception):
                            await on_failure(msg)
    finally:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()


__all__ = [
    "FETCH_WAIT_S",
    "ParseStream",
    "connect",
    "ensure_consumer",
    "ensure_stream",
    "parse_stream",
    "pull_until_stopped",
    "stream_name",
    "subject",
]
