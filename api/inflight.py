"""Requests in flight, and a wait for a quiet moment between them: what background work yields to.

`InFlight` counts the HTTP requests being served (`InFlightMiddleware` enters it when a request starts and leaves
it when its response has been sent, streamed ones included) and remembers when the last one ended.
`wait_quiet(quiet, patience)` blocks a background thread (the study companion's warm-up) until no request is in
flight and none has ended for `quiet` seconds, but no longer than `patience` seconds: under load without a pause
the background work still goes on, one piece at a time. Probes and static files (`exempt_prefixes`) don't count.
"""
from __future__ import annotations

import threading
import time

from starlette.types import ASGIApp, Receive, Scope, Send


class InFlight:
    """The number of requests being served and when the last one ended (thread-safe)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._count = 0
        self._ended = time.monotonic()  # the start counts as activity: requests first, then background work

    @property
    def count(self) -> int:
        return self._count

    def enter(self) -> None:
        with self._changed:
            self._count += 1

    def leave(self) -> None:
        with self._changed:
            self._count -= 1
            self._ended = time.monotonic()
            self._changed.notify_all()

    def wait_quiet(self, quiet: float, patience: float) -> bool:
        """Block until no request is in flight and none ended in the last `quiet` seconds, or until `patience`
        seconds have passed; True when it had to wait at all."""
        give_up = time.monotonic() + patience
        waited = False
        with self._changed:
            while True:
                now = time.monotonic()
                if now >= give_up:
                    return waited
                if self._count == 0:
                    left = self._ended + quiet - now
                    if left <= 0:
                        return waited
                else:
                    left = give_up - now  # woken when a request ends
                waited = True
                self._changed.wait(min(left, give_up - now))


class InFlightMiddleware:
    """Count each HTTP request (but those under `exempt_prefixes`) as in flight until its response is sent."""

    def __init__(self, app: ASGIApp, inflight: InFlight, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app, self.inflight, self.exempt = app, inflight, exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        self.inflight.enter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.inflight.leave()
