"""Where a callback may go, and getting it there without a second DNS lookup.

A callback URL is acceptable when it is http(s), carries no credentials and its host resolves
only to globally routable addresses, unless the host name or the resolved network is
allow-listed (``CALLBACK_ALLOWLIST``).

Checking a name and then letting the HTTP client resolve it again would leave a DNS-rebinding
hole: a hostile DNS server answers a public address to the check and ``127.0.0.1`` (or the
cloud metadata address) to the connection. So a delivery resolves the host once, vets every
address it got, and connects to a vetted address only; the request keeps the original
``Host`` header and, for https, the original name for SNI and certificate verification.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from services.common.errors import InvalidCallbackUrl

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Resolves (host, port) to the addresses a connection could go to, in preference order.
Resolver = Callable[[str, int], Awaitable[Sequence[IPAddress]]]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix (RFC 6052)
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # SIIT (RFC 2765)
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible form
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # local-use NAT64 (RFC 8215): never public


class CallbackHostUnresolved(InvalidCallbackUrl):
    """The callback host resolves to no address (possibly a passing DNS failure)."""


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


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, translated, 6to4, NAT64 well-known
    prefix, compatible)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or address in _IPV4_TRANSLATED:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast; an IPv6 form of an IPv4 address counts as that address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64:
            return False
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_public(inner)
    return address.is_global and not address.is_multicast


async def resolve_host(host: str, port: int) -> list[IPAddress]:
    """The system resolver's addresses for ``host``, first-preferred first, without repeats."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise CallbackHostUnresolved(f"callback_url host {host!r} does not resolve") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


@dataclass(frozen=True)
class CallbackTarget:
    """A checked callback URL and the addresses a delivery may connect to."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]  # empty: not resolved (host allow-listed by name)

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == _DEFAULT_PORTS[self.scheme] else f"{name}:{self.port}"

    def url_for(self, address: IPAddress) -> str:
        """The URL with its host replaced by ``address`` (path and query kept)."""
        parts = urlsplit(self.url)
        ip = f"[{address}]" if address.version == 6 else str(address)
        return urlunsplit(parts._replace(netloc=f"{ip}:{self.port}"))


def _parse(url: str) -> CallbackTarget:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidCallbackUrl(f"callback_url is not a valid URL: {exc}") from exc
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise InvalidCallbackUrl("callback_url must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise InvalidCallbackUrl("callback_url may not carry credentials")
    return CallbackTarget(
        url=url,
        scheme=parts.scheme,
        host=parts.hostname.lower().rstrip("."),
        port=port or _DEFAULT_PORTS[parts.scheme],
        addresses=(),
    )


async def vet_callback_url(
    url: str, allowlist: Allowlist, resolve: Resolver = resolve_host, *, for_delivery: bool
) -> CallbackTarget:
    """Parse ``url``, resolve its host once and check every address.

    Raises ``InvalidCallbackUrl`` (``CallbackHostUnresolved`` when the host resolves to
    nothing). A host allow-listed by name is trusted whatever it resolves to; it is resolved
    only ``for_delivery`` (the connection still goes to the address resolved here).
    """
    target = _parse(url)
    by_name = target.host in allowlist.hosts
    if by_name and not for_delivery:
        return target
    try:
        addresses: Sequence[IPAddress] = [ipaddress.ip_address(target.host)]
    except ValueError:
        addresses = await resolve(target.host, target.port)
    if not addresses:
        raise CallbackHostUnresolved(f"callback_url host {target.host!r} resolves to no address")
    if not by_name:
        for address in addresses:
            if not is_public(address) and not allowlist.allows(address):
                raise InvalidCallbackUrl(
                    f"callback_url resolves to a non-public address ({address}); "
                    "allow-list it in CALLBACK_ALLOWLIST to use it"
                )
    return CallbackTarget(
        url=target.url,
        scheme=target.scheme,
        host=target.host,
        port=target.port,
        addresses=tuple(addresses),
    )


async def check_callback_url(
    url: str, allowlist: Allowlist, resolve: Resolver = resolve_host
) -> str:
    """Return ``url`` when it may be called back, else raise ``InvalidCallbackUrl``."""
    await vet_callback_url(url, allowlist, resolve, for_delivery=False)
    return url


class CallbackSender:
    """POSTs to a callback URL at an address vetted in the same call, never following
    redirects. Connections are not kept alive, so a TLS connection verified for one host
    name is never reused for a request to another name at the same address."""

    def __init__(
        self,
        *,
        allowlist: Allowlist,
        timeout_s: float,
        resolve: Resolver = resolve_host,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.allowlist = allowlist
        self.resolve = resolve
        self._http = httpx.AsyncClient(
            timeout=timeout_s,
            follow_redirects=False,
            verify=verify,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def post(self, url: str, *, content: bytes, headers: Mapping[str, str]) -> httpx.Response:
        """Vet ``url`` and POST ``content`` there; tries the vetted addresses in order while
        the connection itself fails. Raises ``InvalidCallbackUrl`` or ``httpx.HTTPError``."""
        target = await vet_callback_url(url, self.allowlist, self.resolve, for_delivery=True)
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        failure: httpx.ConnectError | None = None
        for address in target.addresses:
            try:
                return await self._http.post(
                    target.url_for(address),
                    content=content,
                    headers={**headers, "Host": target.host_header},
                    extensions=extensions,
                    follow_redirects=False,
                )
            except httpx.ConnectError as exc:
                failure = exc
        assert failure is not None  # vet_callback_url never returns without an address
        raise failure


__all__ = [
    "Allowlist",
    "CallbackHostUnresolved",
    "CallbackSender",
    "CallbackTarget",
    "Resolver",
    "check_callback_url",
    "embedded_ipv4",
    "is_public",
    "resolve_host",
    "vet_callback_url",
]
