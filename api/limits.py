"""Request hardening as plain ASGI middleware: a body-size cap and a per-client rate limit.

`BodyLimitMiddleware` refuses a body over the cap with 413, first by its Content-Length and then by
counting the bytes actually received (a chunked body declares no length). Bodies here are small, so it
reads the whole body before the app runs and replays it. `TokenBucket` is the pure limiter (capacity
`per_minute`, refilled continuously); `RateLimitMiddleware` applies it per client IP and answers 429 with
`Retry-After` (whole seconds). `JSONCORSMiddleware` is Starlette's CORS middleware whose refused preflights
are JSON too. All answer in the service's error shape.
"""
from __future__ import annotations

import json
import math
import threading
import time
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
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

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
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as the app expects

        await self.app(scope, replay, send)


class TokenBucket:
    """Per-key token buckets: `per_minute` requests a minute, bursts up to `per_minute`."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic, max_keys: int = 50_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock, self.max_keys = clock, max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token for `key`: 0.0 when allowed, else the seconds until one is available."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                if len(self._buckets) > self.max_keys:
                    self._forget_full(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled completely (they behave exactly like new ones)."""
        full_after = self.capacity / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, per_minute: int, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app, self.exempt = app, exempt_prefixes
        self.bucket = TokenBucket(per_minute) if per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self.bucket is None or scope["type"] != "http" or scope["method"] == "OPTIONS"
                or scope["path"].startswith(self.exempt)):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.bucket.take(client[0] if client else "unknown")
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
        return JSONResponse(error_body(response.status_code, message), status_code=response.status_code, headers=headers)
