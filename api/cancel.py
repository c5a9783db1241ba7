"""Cancelling outside calls when the client goes away.

Answers are composed by synchronous code in worker threads (`api.answer`), while the model call they wait on
runs on the model's own event loop (`api.llm`). A `CallScope` connects the two: a route makes one per
request and runs the answering code with it as the current scope (a context variable, copied into the worker
thread); each model call registers its cancel callback with `current_scope()`; the route cancels the scope
when the client disconnects (`/ask`, watched on the ASGI receive channel) or when the server cancels a
streaming response whose client left (`/ask/stream`, `/v1/*` with `stream`). The upstream request is then
closed at once, not when the model's next token happens to arrive.
"""
from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar, cast

import anyio
from starlette.types import Receive

T = TypeVar("T")
_END = object()
_current: contextvars.ContextVar[CallScope | None] = contextvars.ContextVar("call_scope", default=None)


class CallScope:
    """Cancel callbacks of the calls made for one request; `cancel()` runs them (and any added later)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], Any]] = []
        self.cancelled = False

    def on_cancel(self, callback: Callable[[], Any]) -> None:
        with self._lock:
            if not self.cancelled:
                self._callbacks.append(callback)
                return
        callback()

    def discard(self, callback: Callable[[], Any]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()


def current_scope() -> CallScope | None:
    """The scope of the request this code runs for (None outside a request, e.g. in the evaluation CLI)."""
    return _current.get()


def _context(scope: CallScope) -> contextvars.Context:
    context = contextvars.copy_context()
    context.run(_current.set, scope)
    return context


async def run_in_thread(scope: CallScope, func: Callable[..., T], *args: Any) -> T:
    """`func(*args)` in a worker thread with `scope` current; a cancelled caller cancels the scope at once."""
    try:
        return await anyio.to_thread.run_sync(_context(scope).run, func, *args, abandon_on_cancel=True)
    except BaseException:
        scope.cancel()
        raise


async def until_disconnect(receive: Receive, scope: CallScope, func: Callable[..., T], *args: Any) -> T:
    """`run_in_thread`, cancelling the scope if the client disconnects meanwhile (for non-streamed answers)."""
    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        scope.cancel()

    watcher = asyncio.ensure_future(watch())  # a plain task: the call's own exception must pass unwrapped
    try:
        return await run_in_thread(scope, func, *args)
    finally:
        watcher.cancel()


async def iterate_in_thread(scope: CallScope, iterator: Iterator[T]) -> AsyncIterator[T]:
    """Starlette's `iterate_in_threadpool` with `scope` current in the thread; when the response is cancelled
    (the client left) the scope is cancelled right away, without waiting for the thread's current step."""
    context = _context(scope)

    def step() -> T | object:
        return next(iterator, _END)

    try:
        while (item := await anyio.to_thread.run_sync(context.run, step, abandon_on_cancel=True)) is not _END:
            yield cast(T, item)  # not _END: one of the iterator's items
    finally:
        scope.cancel()
