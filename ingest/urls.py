"""URL handling: canonical form, same-site checks, and the mapping to a local mirror.

Every URL the project records (chunk metadata, citations, the ingest record) is the real one
(`https://docs.python.org/3/tutorial/`). With a mirror configured (`RA_MIRROR_BASE`), fetching maps it to
`MIRROR_BASE/docs.python.org/3/tutorial/`, and links found inside mirrored pages map back.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urldefrag, urlsplit, urlunsplit


def canonical(url: str) -> str:
    """Drop the fragment, lower-case scheme and host, drop default ports; keep path and query."""
    url, _ = urldefrag(url.strip())
    p = urlsplit(url)
    host = (p.hostname or "").lower()
    port = p.port
    netloc = host if port is None or (p.scheme, port) in {("http", 80), ("https", 443)} else f"{host}:{port}"
    return urlunsplit((p.scheme.lower(), netloc, p.path or "/", p.query, ""))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_private_host(host: str) -> bool:
    """True for loopback, private, link-local and reserved addresses (and names resolving to one)."""
    host = host.strip("[]")
    if host in {"localhost"} or host.endswith(".localhost"):
        return True
    try:
        addrs = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None)
        except OSError:
            return False  # unresolvable: the fetch itself will fail with a clear reason
        addrs = [ipaddress.ip_address(i[4][0].split("%")[0]) for i in infos]
    return any(a.is_private or a.is_loopback or a.is_link_local or a.is_reserved or a.is_unspecified for a in addrs)


@dataclass(frozen=True)
class UrlMap:
    """Maps real URLs to where they are fetched from (identity without a mirror)."""

    mirror_base: str | None = None

    def to_fetch(self, url: str) -> str:
        if not self.mirror_base or self.is_mirrored(url):
            return url
        p = urlsplit(url)
        rest = (p.path or "/") + (f"?{p.query}" if p.query else "")
        return f"{self.mirror_base.rstrip('/')}/{p.netloc}{rest}"

    def is_mirrored(self, url: str) -> bool:
        return bool(self.mirror_base) and url.startswith(self.mirror_base.rstrip("/") + "/")

    def real_text(self, text: str) -> str:
        """Text (a roadmap) with every mirror URL in it written as the real URL."""
        if not self.mirror_base:
            return text
        return text.replace(self.mirror_base.rstrip("/") + "/", "https://")

    def to_real(self, url: str) -> str:
        """A mirror URL back to the real one; anything else unchanged."""
        if not self.is_mirrored(url):
            return url
        return "https://" + url[len(self.mirror_base.rstrip("/")) + 1 :]
