"""The callback queue over real NATS JetStream with scripted DNS answers: a rebound answer at
delivery is refused and nothing reaches loopback; a host that does not resolve yet is retried."""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import nats
import pytest
from nats.js import JetStreamContext
from prometheus_client import REGISTRY

from services.jobs.callback_target import IPAddress
from services.jobs.callbacks import CONSUMER, Allowlist, CallbackQueue, callbacks_stream
from tests.conftest import free_port
from tests.integration.test_pipeline_support import Receiver

LOOPBACK = ipaddress.ip_address("127.0.0.1")


@dataclass
class ScriptedDns:
    """Answers ``answers[n]`` to the n-th lookup (the last one from then on)."""

    answers: list[list[IPAddress]]
    lookups: list[str] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> Sequence[IPAddress]:
        self.lookups.append(host)
        return self.answers[min(len(self.lookups) - 1, len(self.answers) - 1)]


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_url)
    yield nc.jetstream()
    await nc.close()


def _queue(
    js: JetStreamContext, namespace: str, dns: ScriptedDns, allow: list[str]
) -> CallbackQueue:
    return CallbackQueue(
        js,
        namespace=namespace,
        secret="s",
        allowlist=Allowlist.parse(allow),
        max_attempts=5,
        backoff_s=0.2,
        backoff_max_s=0.2,
        timeout_s=5,
        concurrency=1,
        resolve=dns,
    )


def _count(outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "fintract_jobs_callback_deliveries_total", {"outcome": outcome}
    )
    return value or 0.0


async def test_a_rebound_answer_at_delivery_is_refused_and_loopback_gets_nothing(
    js: JetStreamContext, namespace: str
) -> None:
    ns = f"{namespace}-dns-{uuid.uuid4().hex[:8]}"
    receiver = Receiver()
    await receiver.start()  # on 127.0.0.1, which the allow-list does not open
    dns = ScriptedDns([[LOOPBACK]])  # CreateJob may have seen a public address; now loopback
    queue = _queue(js, ns, dns, allow=["10.0.0.0/8"])
    refused_before = _count("refused")
    await queue.setup()
    queue.start()
    stream, _ = callbacks_stream(ns)
    try:
        url = f"http://rebind.example:{receiver.port}/hook"
        await queue.enqueue(url=url, body=b"{}", kind="job", key="j1")
        for _ in range(100):
            if _count("refused") > refused_before:
                break
            await asyncio.sleep(0.05)
        assert _count("refused") == refused_before + 1
        await asyncio.sleep(0.5)  # would a retry reach the receiver?
        info = await js.consumer_info(stream, CONSUMER)
        assert info.num_ack_pending == 0 and info.num_pending == 0  # ended, not retried
        assert dns.lookups == ["rebind.example"]
        assert receiver.calls == []
    finally:
        await queue.stop()
        await receiver.stop()
        await js.delete_stream(stream)


async def test_a_host_that_does_not_resolve_yet_is_retried_then_delivered(
    js: JetStreamContext, namespace: str
) -> None:
    ns = f"{namespace}-dns-{uuid.uuid4().hex[:8]}"
    port = free_port()
    receiver = Receiver()
    await receiver.start(port)
    dns = ScriptedDns([[], [LOOPBACK]])  # no answer, then the allow-listed address
    queue = _queue(js, ns, dns, allow=["127.0.0.1"])
    await queue.setup()
    queue.start()
    stream, _ = callbacks_stream(ns)
    try:
        url = f"http://late.example:{port}/hook"
        await queue.enqueue(url=url, body=b'{"job_id":"j2"}', kind="job", key="j2")
        await asyncio.wait_for(receiver.received.wait(), 10)
        [(headers, body)] = receiver.calls
        assert headers["X-Fintract-Attempt"] == "2" and body == b'{"job_id":"j2"}'
        assert headers["Host"] == f"late.example:{port}"
        assert dns.lookups == ["late.example", "late.example"]  # once per attempt
    finally:
        await queue.stop()
        await receiver.stop()
        await js.delete_stream(stream)
