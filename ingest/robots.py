"""robots.txt for the fetcher: fetched once per site (through the url map, so from the mirror when one is
configured), cached, and consulted with `urllib.robotparser` for the configured user agent.

A robots.txt that cannot be had - 404, any other non-200 status, a timeout, a connection error - allows
everything: a missing file is the common case and a broken one should not silently empty the index.
Crawl-delay is not honoured (the fetcher's own concurrency limits keep the load polite).
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from ingest.urls import UrlMap

MAX_ROBOTS_BYTES = 512_000


def robots_url(url: str) -> str:
    """The real robots.txt URL for a real page URL."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}/robots.txt"


def parse_robots(text: str | None) -> RobotFileParser:
    """A parser for `text`; None (no usable robots.txt) allows everything."""
    rp = RobotFileParser()
    if text is None:
        rp.allow_all = True
    else:
        rp.parse(text.splitlines())
    return rp


class RobotsCache:
    """One parsed robots.txt per scheme+host, fetched on first use; concurrent first uses share one fetch.

    `gate(host)` is an async context manager held around the download (the fetcher's concurrency slots).
    """

    def __init__(self, client: httpx.AsyncClient, user_agent: str, url_map: UrlMap, timeout: float,
                 gate: Callable[[str], AbstractAsyncContextManager] | None = None):
        self._client = client
        self._user_agent = user_agent
        self._url_map = url_map
        self._timeout = timeout
        self._gate = gate or (lambda host: contextlib.nullcontext())
        self._parsers: dict[str, RobotFileParser] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str) -> bool:
        """True if robots.txt of `url`'s site lets the user agent fetch the real URL `url`."""
        key = robots_url(url)
        if key not in self._parsers:
            lock = self._locks.setdefault(key, asyncio.Lock())
            async with lock:
                if key not in self._parsers:
                    self._parsers[key] = parse_robots(await self._download(key))
        return self._parsers[key].can_fetch(self._user_agent, url)

    async def _download(self, real_robots_url: str) -> str | None:
        """The robots.txt text, or None when there is none to be had."""
        try:
            async with self._gate(urlsplit(real_robots_url).hostname or ""), asyncio.timeout(self._timeout):
                req = self._client.build_request("GET", self._url_map.to_fetch(real_robots_url))
                resp = await self._client.send(req, stream=True, follow_redirects=True)
                try:
                    if resp.status_code != 200:
                        return None
                    body = bytearray()
                    async for chunk in resp.aiter_bytes():
                        body += chunk
                        if len(body) >= MAX_ROBOTS_BYTES:
                            break
                    return bytes(body[:MAX_ROBOTS_BYTES]).decode("utf-8", errors="replace")
                finally:
                    await resp.aclose()
        except (httpx.HTTPError, TimeoutError, OSError):
            return None
