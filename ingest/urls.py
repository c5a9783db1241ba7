"""URL handling: canonical form, same-site checks, and the mapping to a local mirror.

Every URL the project records (chunk metadata, citations, the ingest record) is the real one
(`https://docs.python.org/3/tutorial/`). With a mirror configured (`RA_MIRROR_BASE`), fetching maps it to
`MIRROR_BASE/docs.python.org/3/tutorial/`, and links found inside mirrored pages map back.
"""
from __future__ import annotations

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

    def _prefix(self) -> str | None:
        """The mirror's URL prefix (`http://mirror/`), None without a mirror."""
        return self.mirror_base.rstrip("/") + "/" if self.mirror_base else None

    def is_mirrored(self, url: str) -> bool:
        prefix = self._prefix()
        return prefix is not None and url.startswith(prefix)

    def real_text(self, text: str) -> str:
        """Text (a roadmap) with every mirror URL in it written as the real URL."""
        prefix = self._prefix()
        return text.replace(prefix, "https://") if prefix else text

    def to_real(self, url: str) -> str:
        """A mirror URL back to the real one; anything else unchanged."""
        prefix = self._prefix()
        if prefix is None or not url.startswith(prefix):
            return url
        return "https://" + url[len(prefix) :]
