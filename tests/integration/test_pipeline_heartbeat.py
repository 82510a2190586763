"""Long pages keep their message: in_progress() heartbeats hold off JetStream's redelivery."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from services.common.nats_bus import ensure_consumer, ensure_stream, stream_name, subject
from services.parser.worker import keep_alive

ACK_WAIT_S = 1.0


@pytest.fixture
async def queue(namespace: str, nats_url: str) -> AsyncIterator[tuple[JetStreamContext, str, str]]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    ns = f"{namespace}-hb{uuid.uuid4().hex[:6]}"
    stream, subj = stream_name(ns, "PARSE"), subject(ns, "parse", "page")
    await ensure_stream(js, name=stream, subjects=[subj])
    await ensure_consumer(
        js,
        stream=stream,
        config=ConsumerConfig(
            durable_name="pages", ack_policy=AckPolicy.EXPLICIT, ack_wait=ACK_WAIT_S, max_deliver=5
        ),
    )
    yield js, stream, subj
    await js.delete_stream(stream)
    await nc.close()


async def test_heartbeats_prevent_redelivery_of_a_long_page(
    queue: tuple[JetStreamContext, str, str],
) -> None:
    js, stream, subj = queue
    await js.publish(subj, b"long page", stream=stream)
    holder = await js.pull_subscribe_bind("pages", stream)
    other = await js.pull_subscribe_bind("pages", stream)
    [msg] = await holder.fetch(1, timeout=5)
    async with keep_alive(msg, ACK_WAIT_S / 3):
        with pytest.raises(TimeoutError):  # 2.5 × ack_wait: nothing comes back meanwhile
            await other.fetch(1, timeout=ACK_WAIT_S * 2.5)
    await msg.ack_sync()
    info = await js.consumer_info(stream, "pages")
    assert info.num_redelivered == 0 and info.num_ack_pending == 0


async def test_without_heartbeats_a_held_page_is_redelivered(
    queue: tuple[JetStreamContext, str, str],
) -> None:
    js, stream, subj = queue
    await js.publish(subj, b"page", stream=stream)
    holder = await js.pull_subscribe_bind("pages", stream)
    other = await js.pull_subscribe_bind("pages", stream)
    [msg] = await holder.fetch(1, timeout=5)
    [again] = await other.fetch(1, timeout=ACK_WAIT_S * 4)
    assert again.data == msg.data and again.metadata.num_delivered == 2
    await again.ack_sync()
