"""Callback deliveries connect only to an address vetted in the same attempt (no DNS rebinding).

Real sockets: local aiohttp servers on 127.0.0.1 and 127.0.0.2 (same port), a real httpx
client; only the DNS answers are scripted, through the sender's resolver seam.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.common.errors import InvalidCallbackUrl
from services.jobs.callback_target import (
    Allowlist,
    CallbackHostUnresolved,
    CallbackSender,
    IPAddress,
    check_callback_url,
    is_public,
    vet_callback_url,
)

PUBLIC = ipaddress.ip_address("93.184.216.34")
LOOPBACK = ipaddress.ip_address("127.0.0.1")
DECOY = ipaddress.ip_address("127.0.0.2")  # stands for "the vetted address" in these tests
TLS_NAME = "hooks.fintract.test"  # made up: real DNS cannot answer it
BODY = b'{"job_id":"j1"}'


@dataclass
class ScriptedDns:
    """Answers ``answers[0]`` to the first lookup, then ``answers[1]`` (a rebinding server)."""

    answers: list[list[IPAddress]]
    lookups: list[tuple[str, int]] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> Sequence[IPAddress]:
        self.lookups.append((host, port))
        return self.answers[min(len(self.lookups) - 1, len(self.answers) - 1)]


@dataclass
class Hook:
    """A local HTTP(S) server that records what reaches it."""

    host: str
    calls: list[dict[str, str]] = field(default_factory=list)
    port: int = 0
    runner: web.AppRunner | None = None

    async def start(self, port: int = 0, tls: ssl.SSLContext | None = None) -> int:
        async def handle(request: web.Request) -> web.Response:
            headers = dict(request.headers)
            headers["body"] = (await request.read()).decode()
            self.calls.append(headers)
            return web.Response(status=204)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, self.host, port, ssl_context=tls).start()
        self.port = self.runner.addresses[0][1]
        return self.port


@pytest.fixture
async def hooks() -> AsyncIterator[tuple[Hook, Hook]]:
    """A victim on 127.0.0.1 and a decoy on 127.0.0.2, on the same port (a port free on
    127.0.0.2 may be taken on 127.0.0.1: then both move to another one)."""
    for _ in range(20):
        decoy, victim = Hook(str(DECOY)), Hook(str(LOOPBACK))
        port = await decoy.start()
        try:
            await victim.start(port)
            break
        except OSError:
            for hook in (victim, decoy):
                if hook.runner is not None:
                    await hook.runner.cleanup()
    else:
        pytest.fail("no port free on both 127.0.0.1 and 127.0.0.2")
    yield victim, decoy
    for hook in (victim, decoy):
        if hook.runner is not None:
            await hook.runner.cleanup()


async def _post(sender: CallbackSender, url: str) -> httpx.Response:
    try:
        return await sender.post(url, content=BODY, headers={"X-Signature": "sha256=x"})
    finally:
        await sender.aclose()


async def test_delivery_goes_to_the_address_vetted_not_to_a_second_lookup(
    hooks: tuple[Hook, Hook],
) -> None:
    victim, decoy = hooks
    # "localhost" resolves to 127.0.0.1 in the system resolver: a client that looked the name
    # up again would reach the victim. The scripted DNS answers the decoy first, then loopback.
    dns = ScriptedDns([[DECOY], [LOOPBACK]])
    sender = CallbackSender(allowlist=Allowlist.parse(["127.0.0.2/32"]), timeout_s=5, resolve=dns)
    response = await _post(sender, f"http://localhost:{decoy.port}/hook?x=1")
    assert response.status_code == 204
    assert dns.lookups == [("localhost", decoy.port)]  # one lookup per attempt
    assert victim.calls == []
    [call] = decoy.calls
    assert call["Host"] == f"localhost:{decoy.port}"  # the original name, not the address
    assert call["body"] == BODY.decode() and call["X-Signature"] == "sha256=x"


async def test_a_rebound_answer_at_delivery_is_refused(hooks: tuple[Hook, Hook]) -> None:
    victim, decoy = hooks
    url = f"http://localhost:{victim.port}/hook"
    dns = ScriptedDns([[PUBLIC], [LOOPBACK]])
    allow = Allowlist.parse([])
    assert await check_callback_url(url, allow, dns) == url  # CreateJob saw a public address
    sender = CallbackSender(allowlist=allow, timeout_s=5, resolve=dns)
    with pytest.raises(InvalidCallbackUrl, match=r"127\.0\.0\.1"):
        await _post(sender, url)  # the delivery's own lookup answered loopback
    assert victim.calls == [] and decoy.calls == []


async def test_one_private_address_among_public_ones_refuses_the_delivery(
    hooks: tuple[Hook, Hook],
) -> None:
    victim, _ = hooks
    dns = ScriptedDns([[PUBLIC, LOOPBACK]])
    sender = CallbackSender(allowlist=Allowlist.parse([]), timeout_s=5, resolve=dns)
    with pytest.raises(InvalidCallbackUrl):
        await _post(sender, f"http://rebind.example:{victim.port}/hook")
    assert victim.calls == []


async def test_next_vetted_address_is_tried_when_the_first_refuses_connections(
    hooks: tuple[Hook, Hook],
) -> None:
    victim, decoy = hooks
    closed = ipaddress.ip_address("127.0.0.3")  # nothing listens there
    dns = ScriptedDns([[closed, DECOY]])
    allow = Allowlist.parse(["127.0.0.2", "127.0.0.3"])
    sender = CallbackSender(allowlist=allow, timeout_s=5, resolve=dns)
    response = await _post(sender, f"http://two.example:{decoy.port}/hook")
    assert response.status_code == 204 and len(decoy.calls) == 1 and victim.calls == []


async def test_redirects_are_not_followed(hooks: tuple[Hook, Hook]) -> None:
    victim, _ = hooks

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://127.0.0.1:{victim.port}/stolen")

    app = web.Application()
    app.router.add_post("/hook", redirect)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.4", victim.port).start()
    try:
        dns = ScriptedDns([[ipaddress.ip_address("127.0.0.4")]])
        sender = CallbackSender(allowlist=Allowlist.parse(["127.0.0.4"]), timeout_s=5, resolve=dns)
        response = await _post(sender, f"http://redirector.example:{victim.port}/hook")
    finally:
        await runner.cleanup()
    assert response.status_code == 302  # not a success: the queue retries, never follows
    assert victim.calls == []


async def test_a_host_resolving_to_nothing_is_a_clear_error() -> None:
    with pytest.raises(CallbackHostUnresolved, match="resolves to no address"):
        await vet_callback_url(
            "http://empty.example/h", Allowlist.parse([]), ScriptedDns([[]]), for_delivery=True
        )
    with pytest.raises(CallbackHostUnresolved, match="does not resolve"):  # system resolver
        await check_callback_url("http://no-such-host.invalid/h", Allowlist.parse([]))


async def test_a_host_allow_listed_by_name_is_still_pinned_to_one_lookup(
    hooks: tuple[Hook, Hook],
) -> None:
    victim, decoy = hooks
    dns = ScriptedDns([[DECOY], [LOOPBACK]])
    allow = Allowlist.parse(["hooks.internal"])
    assert await check_callback_url("http://hooks.internal/h", allow, dns)
    assert dns.lookups == []  # CreateJob does not resolve a name allow-listed as such
    sender = CallbackSender(allowlist=allow, timeout_s=5, resolve=dns)
    response = await _post(sender, f"http://hooks.internal:{decoy.port}/h")
    assert response.status_code == 204 and len(decoy.calls) == 1 and victim.calls == []


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::ffff:0:7f00:1",  # IPv4-translated (SIIT) 127.0.0.1
        "64:ff9b:1::5db8:d822",  # local-use NAT64, whatever it embeds
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "2001:db8::1",
        "ff02::1",
    ],
)
def test_ipv6_spellings_of_private_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "::ffff:93.184.216.34", "64:ff9b::5db8:d822", "2606:4700::1111"]
)
def test_public_addresses_in_any_spelling_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


async def test_resolved_ipv4_mapped_loopback_is_refused() -> None:
    dns = ScriptedDns([[ipaddress.ip_address("::ffff:127.0.0.1")]])
    with pytest.raises(InvalidCallbackUrl, match="non-public"):
        await check_callback_url("http://mapped.example/h", Allowlist.parse([]), dns)


def _self_signed(tmp_path: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.parametrize("cert_name", [TLS_NAME, "someone-else.test"])
async def test_https_keeps_the_name_for_sni_and_certificate_checks(
    tmp_path: Path, cert_name: str
) -> None:
    cert, key = _self_signed(tmp_path, cert_name)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    seen_sni: list[str | None] = []

    def record_sni(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        seen_sni.append(name)

    server_tls.sni_callback = record_sni
    hook = Hook(str(DECOY))
    port = await hook.start(tls=server_tls)
    try:
        dns = ScriptedDns([[DECOY]])
        sender = CallbackSender(
            allowlist=Allowlist.parse(["127.0.0.2"]),
            timeout_s=5,
            resolve=dns,
            verify=ssl.create_default_context(cafile=str(cert)),
        )
        url = f"https://{TLS_NAME}:{port}/hook"
        if cert_name != TLS_NAME:  # the certificate is checked against the URL's name
            with pytest.raises(httpx.ConnectError, match=f"not valid for '{TLS_NAME}'"):
                await _post(sender, url)
            assert hook.calls == []
            return
        response = await _post(sender, url)
    finally:
        assert hook.runner is not None
        await hook.runner.cleanup()
    assert response.status_code == 204
    assert seen_sni == [TLS_NAME]
    assert hook.calls[0]["Host"] == f"{TLS_NAME}:{port}"
