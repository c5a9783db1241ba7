"""The one HTTP transport every crawler request goes through (pages, robots.txt, each redirect hop), checked
where it connects rather than beforehand.

`GuardedTransport` is httpx's own transport over an httpcore pool whose network backend resolves each host
name once, refuses the connection unless every address is public (`is_public_address`), then connects to the
very address it checked. The URL, the Host header and TLS (SNI and certificate checks) keep the host name;
only the socket goes to the checked address, so a name that answers "public" to a check and "private" to the
connect (DNS rebinding) gets nowhere. Exempt, because their owner chose them: the hosts (host and port)
written in the roadmap itself and the mirror base (`trusted_origins`).

The resolver is pluggable (`Resolver`: an async function from a host name to its addresses), so tests can map
any name to any address.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

from errors import AddressRefusedError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], Awaitable[list[str]]]

NAT64 = ipaddress.ip_network("64:ff9b::/96")            # well-known NAT64 prefix: the IPv4 address is embedded
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")    # local-use NAT64 (RFC 8215): never public
DEFAULT_PORTS = {"http": 80, "https": 443}


async def system_resolver(host: str) -> list[str]:
    """The host's addresses from the system resolver (getaddrinfo, off the event loop)."""
    infos = await anyio.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses. IPv4 addresses carried inside IPv6 (IPv4-mapped,
    6to4, NAT64) are judged as that IPv4 address; loopback, private, CGNAT (100.64/10), link-local,
    unique-local (fc00::/7), documentation, multicast, Teredo and unspecified addresses are not public."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        if address.sixtofour is not None:
            return is_public_address(address.sixtofour)
        if address in NAT64:
            return is_public_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address in NAT64_LOCAL or address.teredo is not None:
            return False
    return address.is_global and not address.is_multicast


def origin_of(url: str) -> tuple[str, int] | None:
    """(host, port) of a URL, the port filled in from the scheme; None for a URL without a host."""
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    return (parts.hostname.lower(), port) if port else None


def trusted_origins(urls: Iterable[str | None]) -> frozenset[tuple[str, int]]:
    """The (host, port) pairs of the given URLs (the roadmap's links, the mirror base): exempt from the check."""
    return frozenset(o for o in (origin_of(u) for u in urls if u) if o)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to checked addresses (see the module docstring)."""

    def __init__(self, resolver: Resolver = system_resolver, trusted: frozenset[tuple[str, int]] = frozenset(),
                 allow: Callable[[IPAddress], bool] = is_public_address,
                 inner: httpcore.AsyncNetworkBackend | None = None):
        self.resolver, self.trusted, self.allow = resolver, trusted, allow
        self._inner = inner or httpcore.AnyIOBackend()

    async def addresses(self, host: str, port: int, timeout: float | None) -> list[str]:
        """The addresses to connect to for host:port; raises AddressRefusedError if any of them is not allowed."""
        name = host.strip("[]").lower()
        try:
            literal = ipaddress.ip_address(name)
        except ValueError:
            literal = None
        if literal is not None:
            found = [str(literal)]
        else:
            try:
                with anyio.fail_after(timeout):
                    found = await self.resolver(name)
            except TimeoutError:
                raise httpcore.ConnectTimeout(f"resolving {name} timed out") from None
            except OSError as exc:
                raise httpcore.ConnectError(f"cannot resolve {name} ({exc})") from exc
        if not found:
            raise httpcore.ConnectError(f"{name} has no address")
        if (name, port) in self.trusted:
            return found  # the operator's own hosts (roadmap links, the mirror): private addresses allowed
        for text in found:
            address = ipaddress.ip_address(text)
            if not self.allow(address):
                where = name if literal is not None else f"{name} ({address})"
                raise AddressRefusedError(f"refused to connect to {where}: not a public address")
        return found

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options=None) -> httpcore.AsyncNetworkStream:
        last: Exception | None = None
        for address in await self.addresses(host, port, timeout):
            try:
                return await self._inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                     socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc  # try the host's next (equally checked) address
        assert last is not None
        raise last

    async def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):
        raise AddressRefusedError("refused to connect to a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


_DEFAULT_LIMITS = httpx.Limits()  # httpx's own defaults; only read, so one instance serves every transport


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport (request/response mapping, HTTP/1.1, TLS, pooling) on a `GuardedBackend`.

    httpx does not take a network backend itself, so the pool it built is replaced by an identical one
    that has ours; everything else is httpx's and httpcore's code."""

    def __init__(self, backend: GuardedBackend, limits: httpx.Limits = _DEFAULT_LIMITS):
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False), max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend)
