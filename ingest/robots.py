"""robots.txt for the fetcher: fetched once per site (through the url map, so from the mirror when one is
configured, and through the fetcher's own guarded client, redirects included), cached, and consulted with
`urllib.robotparser` for the configured user agent.

As RFC 9309 says: a robots.txt that is "unavailable" (a 4xx status: the common 404) allows everything; one
that is "unreachable" (a 5xx status, 429, a timeout or a connection error) disallows the whole site for this
run, and its pages fail naming the reason (so they keep their last good chunks). Crawl-delay is not honoured
(the fetcher's own concurrency limits keep the load polite).
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Literal
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from ingest.body import UnsupportedEncoding, read_body
from ingest.urls import UrlMap

MAX_ROBOTS_BYTES = 512_000


def robots_url(url: str) -> str:
    """The real robots.txt URL for a real page URL."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}/robots.txt"


def parse_robots(text: str | None) -> RobotFileParser:
    """A parser for `text`; None (no robots.txt: a 4xx) allows everything."""
    rp = RobotFileParser()
    rp.parse([] if text is None else text.splitlines())  # no rules at all: everything is allowed
    return rp


class Unreachable(Exception):
    """robots.txt could not be had for a reason that RFC 9309 reads as "disallow everything"."""


class RobotsCache:
    """One parsed robots.txt per scheme+host, fetched on first use; concurrent first uses share one fetch.

    `gate(host)` is an async context manager held around the download (the fetcher's concurrency slots).
    """

    def __init__(self, client: httpx.AsyncClient, user_agent: str, url_map: UrlMap, timeout: float,
                 gate: Callable[[str], AbstractAsyncContextManager] | None = None, retries: int = 0,
                 backoff: float = 0.5):
        self._retries, self._backoff = retries, backoff
        self._client = client
        self._user_agent = user_agent
        self._url_map = url_map
        self._timeout = timeout
        self._gate = gate or (lambda host: contextlib.nullcontext())
        self._parsers: dict[str, RobotFileParser | str] = {}  # a str: why the site is off limits
        self._locks: dict[str, asyncio.Lock] = {}

    async def verdict(self, url: str) -> tuple[Literal["skipped", "failed"], str] | None:
        """None if the user agent may fetch the real URL `url`; else (outcome, reason): ("skipped",
        "disallowed by robots.txt"), or ("failed", why) while the site's robots.txt is unreachable.
        A refused address (`AddressRefusedError`) propagates."""
        key = robots_url(url)
        if key not in self._parsers:
            lock = self._locks.setdefault(key, asyncio.Lock())
            async with lock:
                if key not in self._parsers:
                    try:
                        self._parsers[key] = parse_robots(await self._download_with_retries(key))
                    except Unreachable as exc:
                        self._parsers[key] = (f"robots.txt unreachable ({exc}): the site is treated as disallowed "
                                              "(RFC 9309)")
        parser = self._parsers[key]
        if isinstance(parser, str):
            return "failed", parser
        return None if parser.can_fetch(self._user_agent, url) else ("skipped", "disallowed by robots.txt")

    async def _download_with_retries(self, real_robots_url: str) -> str | None:
        for attempt in range(self._retries + 1):
            try:
                return await self._download(real_robots_url)
            except Unreachable:
                if attempt == self._retries:
                    raise
                await asyncio.sleep(self._backoff * 2 ** attempt)
        return None

    async def _download(self, real_robots_url: str) -> str | None:
        """The robots.txt text, None when there is none (4xx); raises Unreachable (5xx, 429, network)."""
        from ingest.fetch import status_text

        try:
            async with self._gate(urlsplit(real_robots_url).hostname or ""), asyncio.timeout(self._timeout):
                req = self._client.build_request("GET", self._url_map.to_fetch(real_robots_url))
                resp = await self._client.send(req, stream=True, follow_redirects=True)
                try:
                    code = resp.status_code
                    if code == 429 or code >= 500:
                        raise Unreachable(status_text(code))
                    if not 200 <= code < 300:
                        return None
                    body = await read_body(resp, MAX_ROBOTS_BYTES, truncate=True)
                    return body.decode("utf-8", errors="replace")
                finally:
                    await resp.aclose()
        except (httpx.TimeoutException, TimeoutError):
            raise Unreachable("timed out") from None
        except httpx.TooManyRedirects:
            return None  # RFC 9309: past five redirects, "unavailable"
        except (httpx.HTTPError, OSError, UnsupportedEncoding) as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}") from None
