"""The Keyfolio-style remote key verifier, against a real local HTTP server (aiohttp)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from fintract.keys import KeyfolioKeyVerifier, KeyVerifierUnavailable
from tests.conftest import free_port
from tests.integration.test_gateway_support import (  # noqa: F401 - fixtures
    StandInBackend,
    gateway_settings,
    open_gateway,
    stand_in_fixture,
)

GOOD = "kf_good_key_for_henry"


@dataclass
class Keyfolio:
    url: str
    calls: list[dict] = field(default_factory=list)
    admin_headers: list[str | None] = field(default_factory=list)
    broken: bool = False


@pytest.fixture
async def keyfolio() -> AsyncIterator[Keyfolio]:
    port = free_port()
    state = Keyfolio(url=f"http://127.0.0.1:{port}")

    async def verify(request: web.Request) -> web.Response:
        if state.broken:
            return web.json_response({"error": "db down"}, status=500)
        body = await request.json()
        state.calls.append(body)
        state.admin_headers.append(request.headers.get("X-Admin-Key"))
        if body.get("api_key") == GOOD:
            return web.json_response(
                {"valid": True, "user_id": "henry", "key_id": "kf-1", "scopes": ["parse"]}
            )
        if body.get("api_key") == "kf_says_invalid":
            return web.json_response({"valid": False})
        return web.json_response({"error": "unknown key"}, status=401)

    app = web.Application()
    app.router.add_post("/verify", verify)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    yield state
    await runner.cleanup()


async def test_keyfolio_verifier_answers(keyfolio: Keyfolio) -> None:
    verifier = KeyfolioKeyVerifier(keyfolio.url, admin_key="adm")
    try:
        verified = await verifier.verify(GOOD)
        assert verified is not None
        assert (verified.user_id, verified.key_id, verified.scopes) == ("henry", "kf-1", ("parse",))
        assert await verifier.verify("kf_says_invalid") is None
        assert await verifier.verify("nope") is None
        assert keyfolio.calls[0] == {"api_key": GOOD}
        assert keyfolio.admin_headers[0] == "adm"
        keyfolio.broken = True
        with pytest.raises(KeyVerifierUnavailable):
            await verifier.verify(GOOD)
    finally:
        await verifier.aclose()
    unreachable = KeyfolioKeyVerifier(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(KeyVerifierUnavailable):
        await unreachable.verify(GOOD)
    await unreachable.aclose()


async def test_gateway_with_keyfolio_backend(
    keyfolio: Keyfolio, stand_in: StandInBackend, sqlite_database, redis_url: str, namespace: str
) -> None:
    settings = gateway_settings(
        stand_in.address,
        sqlite_database,
        redis_url,
        namespace,
        auth_backend="keyfolio",
        keyfolio_url=keyfolio.url,
    )
    async for gw in open_gateway(settings, sqlite_database):
        ok = await gw.client.post(
            "/api/v1/parse/statements",
            json={"file_id": "f", "document_id": "d"},
            headers={"Authorization": f"Bearer {GOOD}"},
        )
        assert ok.status_code == 202
        assert stand_in.seen.create_jobs[-1].user_id == "henry"
        bad = await gw.client.get(
            "/api/v1/parse/statements", headers={"Authorization": "Bearer ft_local_only"}
        )
        assert bad.status_code == 401
        # a key from the local store means nothing to a Keyfolio-backed gateway
        _, local = await gw.store.create("henry")
        local_answer = await gw.client.get(
            "/api/v1/parse/statements", headers={"Authorization": f"Bearer {local}"}
        )
        assert local_answer.status_code == 401
        keyfolio.broken = True
        down = await gw.client.get(
            "/api/v1/parse/statements", headers={"Authorization": f"Bearer {GOOD}"}
        )
        assert down.status_code == 503
        assert down.json()["error"]["code"] == "unavailable"
