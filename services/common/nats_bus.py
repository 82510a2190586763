"""NATS JetStream connection and idempotent stream/consumer setup, namespaced per deployment."""

from __future__ import annotations

import re
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

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


__all__ = [
    "ParseStream",
    "connect",
    "ensure_consumer",
    "ensure_stream",
    "parse_stream",
    "stream_name",
    "subject",
]
