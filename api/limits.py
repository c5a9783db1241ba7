"""Request hardening as plain ASGI middleware: a body-size cap with a read deadline, and a per-client rate limit.

`BodyLimitMiddleware` refuses a body over the cap with 413, first by its Content-Length and then by
counting the bytes actually received (a chunked body declares no length), and a body not received in full
within `timeout` seconds with 408 (a client cannot hold a request open by sending its body slowly). Bodies
here are small, so it reads the whole body before the app runs and replays it. `TokenBucket` is the pure
limiter (capacity `per_minute`, refilled continuously) over a bounded table: the least recently seen client
is forgotten when it is full, one O(1) step per request, never a rebuild. `RateLimitMiddleware` applies it
per client (`client_key`: an IPv4 address, or an IPv6 address's /64, since one subscriber holds a whole /64)
and answers 429 with `Retry-After` (whole seconds). The client address is the connection's, or the one a
trusted proxy reported (`RA_TRUSTED_PROXIES`, applied by the server: see `api.cli`). `JSONCORSMiddleware` is
Starlette's CORS middleware whose refused preflights are JSON too. All answer in the service's error shape.
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.schemas import error_body

MAX_BODY_BYTES = 16 * 1024


async def send_error(send: Send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps(error_body(status, message)).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES, timeout: float = 15.0) -> None:
        self.app, self.max_bytes, self.timeout = app, max_bytes, timeout

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_bytes // 1024} KB"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await send_error(send, 400, "the Content-Length header is not a number")
                    return
                if declared > self.max_bytes:
                    await send_error(send, 413, self._too_large())
                    return
        chunks, size = [], 0
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":  # the client went away before sending its body
                        return
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_bytes:
                        await send_error(send, 413, self._too_large(), {"Connection": "close"})
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await send_error(send, 408, f"the request body did not arrive within {self.timeout:g} s",
                             {"Connection": "close"})
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as the app expects

        await self.app(scope, replay, send)


def client_key(host: str) -> str:
    """The rate-limit key of a client address: IPv4 as it is (also when IPv4-mapped), IPv6 by its /64."""
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return host  # not an IP (a unix socket, a test client): as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class TokenBucket:
    """Per-key token buckets: `per_minute` requests a minute, bursts up to `per_minute`, for at most
    `max_keys` keys (least recently used forgotten first; a forgotten key starts again with a full bucket).

    The table is an `OrderedDict` used as an LRU (the standard library's; `limits`' memory storage has no bound
    on its keys and sweeps all of them on a timer)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock, self.max_keys = clock, max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at), oldest first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def __contains__(self, key: str) -> bool:
        return key in self._buckets

    def take(self, key: str) -> float:
        """Take one token for `key`: 0.0 when allowed, else the seconds until one is available."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)  # (re)inserted as the newest
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return 0.0 if allowed else (1.0 - tokens) / self.rate


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, per_minute: int, exempt_prefixes: tuple[str, ...] = (),
                 max_clients: int = 100_000) -> None:
        self.app, self.exempt = app, exempt_prefixes
        self.bucket = TokenBucket(per_minute, max_keys=max_clients) if per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self.bucket is None or scope["type"] != "http" or scope["method"] == "OPTIONS"
                or scope["path"].startswith(self.exempt)):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.bucket.take(client_key(client[0]) if client else "unknown")
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            await send_error(send, 429, f"too many requests: try again in {seconds} s", {"Retry-After": str(seconds)})
            return
        await self.app(scope, receive, send)


class JSONCORSMiddleware(CORSMiddleware):
    """CORS for the configured origins only; a refused preflight is a JSON 400 naming what was refused."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
        message = f"{bytes(response.body).decode()}: this origin may not call the API"
        return JSONResponse(error_body(response.status_code, message), status_code=response.status_code,
                            headers=headers)
