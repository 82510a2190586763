"""A local HTTP server speaking the Gemini REST wire protocol, for tests and the benchmark.

The real google-genai SDK is pointed at it (``GEMINI_BASE_URL``): it answers
``POST /{v1,v1beta}/models/{model}:generateContent`` with scripted replies — JSON candidates
with text parts and ``usageMetadata``, Google's error bodies (429 RESOURCE_EXHAUSTED with
``RetryInfo``, 500s, 4xx), slow answers — and records every request (API version, model,
``x-goog-api-key``, inline data, prompt text, generation config).

Replies are looked up per request in this order: a queued reply for (model, key), for model,
for key, for any request; then a standing reply (``always=True``) in the same order; then
``responder(request)``; else a 500 saying nothing was scripted (so a test sees it).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

_FREE_TIER_METRIC = "generativelanguage.googleapis.com/generate_content_free_tier_requests"
_PATH = re.compile(r"^/(?P<version>v1(?:beta|alpha)?)/models/(?P<model>[^/:]+):generateContent$")


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def answer(
    value: Any,
    *,
    prompt_tokens: int = 120,
    output_tokens: int = 40,
    delay_s: float = 0.0,
    fenced: bool = False,
) -> Reply:
    """A successful candidate whose text is ``value`` (JSON-encoded unless already a str)."""
    text = value if isinstance(value, str) else json.dumps(value)
    if fenced:
        text = f"```json\n{text}\n```"
    body = {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": text}]},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": output_tokens,
            "totalTokenCount": prompt_tokens + output_tokens,
        },
        "modelVersion": "fake",
    }
    return Reply(200, body, delay_s)


def error(code: int, status: str, message: str = "", *, details: list[Any] | None = None) -> Reply:
    body: dict[str, Any] = {"error": {"code": code, "message": message or status, "status": status}}
    if details is not None:
        body["error"]["details"] = details
    return Reply(code, body)


def rate_limited(retry_delay: str | None = "2s") -> Reply:
    """429 RESOURCE_EXHAUSTED, with a RetryInfo detail when ``retry_delay`` is given."""
    details: list[Any] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [
                {
                    "quotaMetric": _FREE_TIER_METRIC,
                    "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                }
            ],
        }
    ]
    if retry_delay is not None:
        details.append(
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}
        )
    return error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.", details=details)


def server_error(code: int = 500) -> Reply:
    status = {500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}.get(code, "UNKNOWN")
    return error(code, status, "An internal error has occurred.")


def blocked() -> Reply:
    """No candidate: the prompt was blocked."""
    return Reply(200, {"promptFeedback": {"blockReason": "OTHER"}, "usageMetadata": {}})


@dataclass(frozen=True)
class Recorded:
    api_version: str
    model: str
    key: str | None
    body: dict[str, Any]

    def _parts(self) -> list[dict[str, Any]]:
        return [p for c in self.body.get("contents", []) for p in c.get("parts", [])]

    @property
    def inline(self) -> list[tuple[str, bytes]]:
        """(mime type, decoded bytes) of every inline-data part."""
        out = []
        for part in self._parts():
            blob = part.get("inlineData") or part.get("inline_data")
            if blob:
                mime = blob.get("mimeType") or blob.get("mime_type")
                data = blob["data"]
                out.append((mime, base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))))
        return out

    @property
    def text(self) -> str:
        texts = [p["text"] for p in self._parts() if "text" in p]
        system = self.body.get("systemInstruction") or {}
        texts += [p["text"] for p in system.get("parts", []) if "text" in p]
        return "\n".join(texts)

    @property
    def generation_config(self) -> dict[str, Any]:
        config: dict[str, Any] = self.body.get("generationConfig", {})
        return config


class GeminiServer:
    """Start with ``await server.start()``; point ``GEMINI_BASE_URL`` at ``server.base_url``."""

    def __init__(self, responder: Callable[[Recorded], Reply] | None = None) -> None:
        self.requests: list[Recorded] = []
        self.responder = responder
        self._queued: dict[tuple[str | None, str | None], deque[Reply]] = {}
        self._standing: dict[tuple[str | None, str | None], Reply] = {}
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.in_flight = 0
        self.max_in_flight = 0

    def script(
        self,
        *replies: Reply,
        model: str | None = None,
        key: str | None = None,
        always: bool = False,
    ) -> None:
        """Queue replies (or, with ``always``, set a standing one) for model/key/any."""
        if always:
            (reply,) = replies
            self._standing[(model, key)] = reply
        else:
            self._queued.setdefault((model, key), deque()).extend(replies)

    def requests_for(self, model: str) -> list[Recorded]:
        return [r for r in self.requests if r.model == model]

    def _reply_for(self, request: Recorded) -> Reply:
        order = [
            (request.model, request.key),
            (request.model, None),
            (None, request.key),
            (None, None),
        ]
        for slot in order:
            queue = self._queued.get(slot)
            if queue:
                return queue.popleft()
        for slot in order:
            if slot in self._standing:
                return self._standing[slot]
        if self.responder is not None:
            return self.responder(request)
        return server_error(500)

    async def _handle(self, http: web.Request) -> web.StreamResponse:
        match = _PATH.match(http.path)
        if not match:
            return web.json_response(
                error(404, "NOT_FOUND", f"no route {http.path}").body, status=404
            )
        recorded = Recorded(
            api_version=match["version"],
            model=match["model"],
            key=http.headers.get("x-goog-api-key"),
            body=await http.json(),
        )
        self.requests.append(recorded)
        reply = self._reply_for(recorded)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
        finally:
            self.in_flight -= 1
        return web.json_response(reply.body, status=reply.status, headers=reply.headers)

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
