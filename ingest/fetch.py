"""The page fetcher: async httpx with bounded concurrency (overall and per host), per-attempt deadlines,
jittered exponential backoff that honours Retry-After up to `max_retry_after` (a longer one fails the page,
saying so), manually followed redirects, a cap on the decoded body (`ingest.body`), content-type filtering,
charset-aware decoding, conditional requests and robots.txt. Every request - pages, robots.txt, each redirect
hop - goes through one `GuardedTransport` (`ingest.transport`), which connects only to public addresses
(the roadmap's own hosts and the mirror base excepted). It never raises for a page's failure: every `fetch`
ends in a `FetchResult` whose `outcome` is "ok", "not_modified", "skipped" (by policy: robots, content type,
size) or "failed", with a one-line `reason`. All URLs in and out are real ones; `url_map` says where to
fetch them.
"""
from __future__ import annotations

import asyncio
import contextlib
import email.utils
import random
import re
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Literal
from urllib.parse import urljoin, urlsplit

import httpx

from errors import AddressRefusedError
from ingest.body import ACCEPT_ENCODING, BodyTooLarge, UnsupportedEncoding, read_body
from ingest.robots import RobotsCache
from ingest.transport import (
    GuardedBackend,
    GuardedTransport,
    Resolver,
    is_public_address,
    system_resolver,
    trusted_origins,
)
from ingest.urls import UrlMap, host_of

Outcome = Literal["ok", "not_modified", "skipped", "failed"]
TEXT_TYPES = {"text/html", "application/xhtml+xml", "text/plain", "text/markdown"}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
REDIRECTS = {301, 302, 303, 307, 308}
RETRYABLE_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, TimeoutError)
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# WHATWG Encoding: browsers read these labels as windows-1252, and so do pages that declare them.
LATIN1_LABELS = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "cp819"}


@dataclass
class FetchResult:
    url: str                                  # the real URL asked for
    final_url: str                            # the real URL after redirects
    outcome: Outcome
    status: int | None = None                 # last HTTP status seen
    reason: str | None = None                 # why, for skipped/failed
    redirects: list[str] = field(default_factory=list)  # real URL of each redirect target, in order
    content_type: str | None = None           # media type only, lower-case ("text/html")
    encoding: str | None = None               # charset the text was decoded with
    text: str | None = None                   # decoded body, for "ok"
    etag: str | None = None
    last_modified: str | None = None
    elapsed: float = 0.0                      # seconds, robots and backoff included
    attempts: int = 0                         # HTTP requests sent for this page (all hops and retries)


class _Done(Exception):
    """Internal: ends a fetch early with a finished result."""

    def __init__(self, outcome: Outcome, reason: str, status: int | None = None):
        super().__init__(reason)
        self.outcome, self.reason, self.status = outcome, reason, status


def status_text(code: int) -> str:
    """'HTTP 404 Not Found' (just 'HTTP 599' for codes without a standard phrase)."""
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now) if when.tzinfo else None


def backoff_delay(retry: int, base: float, cap: float, rng: random.Random) -> float:
    """Jittered exponential backoff before retry number `retry` (0-based): base*2^retry*[0.5, 1.5), capped."""
    return min(cap, base * (2 ** retry) * (0.5 + rng.random()))


def split_content_type(header: str | None) -> tuple[str | None, str | None]:
    """('text/html', 'utf-8') from 'text/html; charset="UTF-8"'; Nones where missing."""
    if not header:
        return None, None
    media, _, params = header.partition(";")
    m = re.search(r"""charset\s*=\s*["']?([^"';\s]+)""", params, re.I)
    return media.strip().lower() or None, (m.group(1).lower() if m else None)


def decode_body(body: bytes, media_type: str, header_charset: str | None) -> tuple[str, str]:
    """(text, charset used): a BOM wins, then the header charset, then (HTML) a <meta> charset in the
    first 4 KB, else UTF-8; undecodable bytes become U+FFFD."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if body.startswith(bom):
            return body[len(bom):].decode(enc, errors="replace"), enc
    candidates = [header_charset]
    if media_type in HTML_TYPES:
        m = META_CHARSET.search(body[:4096])
        candidates.append(m.group(1).decode("ascii").lower() if m else None)
    for charset in filter(None, candidates):
        charset = "windows-1252" if charset in LATIN1_LABELS else charset
        try:
            return body.decode(charset, errors="replace"), charset
        except LookupError:
            continue  # unknown label: try the next source
    return body.decode("utf-8", errors="replace"), "utf-8"


def _retries_text(n: int) -> str:
    return f"after {n} {'retry' if n == 1 else 'retries'}"


class Fetcher:
    """Use as `async with Fetcher(...) as f: result = await f.fetch(url)`; safe to call concurrently."""

    def __init__(self, user_agent: str, *, concurrency: int = 16, per_host_concurrency: int = 6,
                 timeout: float = 20.0, retries: int = 3, max_redirects: int = 5, max_bytes: int = 5_000_000,
                 url_map: UrlMap | None = None, backoff_base: float = 0.5, backoff_cap: float = 30.0,
                 max_retry_after: float = 60.0, trusted: Iterable[str] = (), resolver: Resolver = system_resolver,
                 allow_address=is_public_address, obey_robots: bool = True, rng: random.Random | None = None):
        """`trusted`: URLs whose host:port may be private (the roadmap's links; the mirror base is added);
        `resolver` and `allow_address` are the transport's name resolution and address policy."""
        self.user_agent, self.timeout, self.retries = user_agent, timeout, retries
        self.max_redirects, self.max_bytes = max_redirects, max_bytes
        self.url_map = url_map or UrlMap()
        self.backoff_base, self.backoff_cap, self.max_retry_after = backoff_base, backoff_cap, max_retry_after
        self.obey_robots = obey_robots
        self._rng = rng or random.Random()
        self._all = asyncio.Semaphore(concurrency)
        self._per_host_limit = per_host_concurrency
        self._hosts: dict[str, asyncio.Semaphore] = {}
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        backend = GuardedBackend(resolver, trusted_origins([self.url_map.mirror_base, *trusted]), allow_address)
        self._client = httpx.AsyncClient(
            transport=GuardedTransport(backend, limits), headers={"User-Agent": user_agent,
                                                                  "Accept-Encoding": ACCEPT_ENCODING},
            follow_redirects=False, max_redirects=5, timeout=timeout, trust_env=False)
        self._robots = RobotsCache(self._client, user_agent, self.url_map, timeout, gate=self._slot,
                                   retries=retries, backoff=backoff_base)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    @contextlib.asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        """Hold one overall and one per-host concurrency slot."""
        host_sem = self._hosts.setdefault(host, asyncio.Semaphore(self._per_host_limit))
        async with host_sem, self._all:
            yield

    async def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """Fetch the real URL `url`; never raises for the page's problems."""
        result = FetchResult(url=url, final_url=url, outcome="failed")
        start = time.monotonic()
        try:
            await self._fetch(result, etag, last_modified)
        except _Done as done:
            result.outcome, result.reason = done.outcome, done.reason
            result.status = done.status if done.status is not None else result.status
        except Exception as exc:  # anything unforeseen still ends in a result
            result.outcome, result.reason = "failed", " ".join(f"{type(exc).__name__}: {exc}".split())
        result.elapsed = time.monotonic() - start
        return result

    async def _fetch(self, result: FetchResult, etag: str | None, last_modified: str | None) -> None:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        url = result.url
        while True:
            if urlsplit(url).scheme not in {"http", "https"}:
                raise _Done("failed", f"unsupported URL scheme in {url}")
            if self.obey_robots and (verdict := await self._robots_verdict(url)):
                raise _Done(*verdict)
            location = await self._request(result, url, headers)
            if location is None:
                return
            target = self.url_map.to_real(urljoin(self.url_map.to_fetch(url), location))
            if len(result.redirects) >= self.max_redirects:
                raise _Done("failed", f"too many redirects (>{self.max_redirects})")
            result.redirects.append(target)
            result.final_url = url = target

    async def _robots_verdict(self, url: str) -> tuple[Outcome, str] | None:
        try:
            return await self._robots.verdict(url)
        except AddressRefusedError as exc:
            raise _Done("failed", exc.reason) from None

    async def _request(self, result: FetchResult, url: str, headers: dict[str, str]) -> str | None:
        """Send one hop with retries; fills `result` and returns a redirect's Location, else None."""
        last_problem, delay = "", 0.0
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(delay)
            result.attempts += 1
            try:
                async with self._slot(host_of(url)), asyncio.timeout(self.timeout):
                    req = self._client.build_request("GET", self.url_map.to_fetch(url), headers=headers)
                    resp = await self._client.send(req, stream=True)
                    try:
                        retry_status = resp.status_code == 429 or resp.status_code >= 500
                        if not retry_status:
                            return await self._handle(result, resp)
                        result.status = resp.status_code
                        last_problem = status_text(resp.status_code)
                        wait = parse_retry_after(resp.headers.get("Retry-After"), time.time())
                    finally:
                        await resp.aclose()
            except AddressRefusedError as exc:
                raise _Done("failed", exc.reason) from None
            except RETRYABLE_ERRORS as exc:
                timed_out = isinstance(exc, (httpx.TimeoutException, TimeoutError))
                last_problem = "timed out" if timed_out else f"connection failed ({type(exc).__name__}: {exc})"
                wait = None
            if wait is not None and wait > self.max_retry_after and attempt < self.retries:
                raise _Done("failed", f"{last_problem}: asked to retry after {wait:g} s, longer than the "
                                      f"{self.max_retry_after:g} s allowed (RA_MAX_RETRY_AFTER)")
            delay = backoff_delay(attempt, self.backoff_base, self.backoff_cap, self._rng) if wait is None else wait
        if self.retries:
            last_problem += f" {_retries_text(self.retries)}"
        raise _Done("failed", last_problem)

    async def _handle(self, result: FetchResult, resp: httpx.Response) -> str | None:
        """A non-retryable response: fill `result`, or return the Location of a redirect."""
        code = result.status = resp.status_code
        result.etag = resp.headers.get("ETag")
        result.last_modified = resp.headers.get("Last-Modified")
        if code in REDIRECTS:
            if not resp.headers.get("Location"):
                raise _Done("failed", f"{status_text(code)} without a Location")
            return resp.headers["Location"]
        if code == 304:
            result.outcome = "not_modified"
            return None
        if not 200 <= code < 300:
            raise _Done("failed", status_text(code))
        media, charset = split_content_type(resp.headers.get("Content-Type"))
        result.content_type = media
        if media is not None and media not in TEXT_TYPES:
            raise _Done("skipped", f"unsupported content type {media}")
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise _Done("skipped", f"body larger than {self.max_bytes} bytes")
        try:
            body = await read_body(resp, self.max_bytes)
        except BodyTooLarge:
            raise _Done("skipped", f"body larger than {self.max_bytes} bytes") from None
        except UnsupportedEncoding as exc:
            raise _Done("skipped", f"unsupported content encoding {exc}") from None
        if media is None:  # no Content-Type: take text as HTML, refuse what looks binary
            if b"\x00" in body[:1024]:
                raise _Done("skipped", "unsupported content type (none declared, binary body)")
            media = result.content_type = "text/html"
        result.text, result.encoding = decode_body(bytes(body), media, charset)
        result.outcome = "ok"
        return None
