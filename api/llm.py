"""The chat model seam: a `ChatModel` protocol and its OpenAI-compatible implementation.

`OpenAIChatModel` talks to any `/v1/chat/completions` server (OpenAI, vLLM, Ollama, the tests' fake) through
the `openai` package, with no retries: a slow or failing model should fall back to an extractive answer
quickly, not be retried while the learner waits. Its `timeout` is a deadline for the whole answer, from the
request to the last token (a model that trickles a token every second never ends on its own), after which
the call raises `ModelDeadlineError`.

The calls run on the model's own event loop (an anyio blocking portal started on first use, one thread for
every call in flight), while `complete` and `stream` keep the synchronous interface the `Answerer` uses
from its worker threads. A call made on behalf of a request registers with that request's `CallScope`
(`api.cancel`): when the client goes away the upstream request is closed at once and the call raises
`ModelCancelledError`. Errors are left to propagate; the `Answerer` catches them. Nothing is built at import
time.
"""
from __future__ import annotations

import concurrent.futures
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import anyio
import openai
from anyio.from_thread import BlockingPortal, start_blocking_portal

from api.cancel import current_scope
from errors import ModelCancelledError, ModelDeadlineError

_END = object()


class ChatModel(Protocol):
    """Anything that turns chat messages into text, whole or streamed."""

    def complete(self, messages: list[dict]) -> str: ...

    def stream(self, messages: list[dict]) -> Iterator[str]: ...


class OpenAIChatModel:
    """A chat model behind an OpenAI-compatible API."""

    def __init__(self, model: str, api_key: str | None, base_url: str | None, timeout: float,
                 temperature: float = 0.1, max_tokens: int = 600):
        self.model = model
        self.deadline = timeout
        self.temperature = temperature
        self.max_tokens = max_tokens
        # local servers (vLLM, Ollama) accept any key; the client insists on one
        # the deadline bounds the whole call; the client's own (per read) timeout only backs it up
        self._client_options = {"api_key": api_key or "no-key", "base_url": base_url, "timeout": timeout + 1.0,
                                "max_retries": 0}
        self._lock = threading.Lock()
        self._portal_cm = None
        self._portal: BlockingPortal | None = None
        self._client: openai.AsyncOpenAI | None = None

    # ---- the model's event loop
    def _start(self, func: Callable[..., Any], *args: Any) -> concurrent.futures.Future:
        """Run `func(*args)` on the model's loop; registered with the current request's scope, if any."""
        with self._lock:
            if self._portal is None:
                self._portal_cm = start_blocking_portal(name="chat-model")
                self._portal = self._portal_cm.__enter__()
                self._client = openai.AsyncOpenAI(**self._client_options)
            future = self._portal.start_task_soon(func, *args)
        scope = current_scope()
        if scope is not None:
            scope.on_cancel(future.cancel)
            future.add_done_callback(lambda done: scope.discard(done.cancel))
        return future

    def _too_slow(self) -> ModelDeadlineError:
        return ModelDeadlineError(f"the model did not finish its answer within {self.deadline:g} s (RA_LLM_TIMEOUT)")

    def _request(self, messages: list[dict], stream: bool):
        assert self._client is not None
        return self._client.chat.completions.create(model=self.model, messages=messages, stream=stream,
                                                    temperature=self.temperature, max_tokens=self.max_tokens)

    # ---- whole replies
    async def _complete(self, messages: list[dict]) -> str:
        try:
            with anyio.fail_after(self.deadline):
                response = await self._request(messages, stream=False)
        except TimeoutError:
            raise self._too_slow() from None
        if not response.choices:
            return ""
        return response.choices[0].message.content or ""

    def complete(self, messages: list[dict]) -> str:
        """The model's whole reply (raises the `openai` error, ModelDeadlineError or ModelCancelledError)."""
        future = self._start(self._complete, messages)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise ModelCancelledError("the model call was cancelled: the client went away") from None

    # ---- streamed replies
    async def _stream(self, messages: list[dict], pieces: queue.SimpleQueue) -> None:
        try:
            with anyio.fail_after(self.deadline):
                chunks = await self._request(messages, stream=True)
                async with chunks:  # closes the HTTP response however this ends: done, deadline, cancelled
                    async for chunk in chunks:
                        if chunk.choices and chunk.choices[0].delta.content:
                            pieces.put(chunk.choices[0].delta.content)
        except TimeoutError:
            raise self._too_slow() from None
        finally:
            pieces.put(_END)

    def stream(self, messages: list[dict]) -> Iterator[str]:
        """The reply's text pieces as the server sends them; closing the generator cancels the upstream call."""
        pieces: queue.SimpleQueue = queue.SimpleQueue()
        future = self._start(self._stream, messages, pieces)
        try:
            while (piece := pieces.get()) is not _END:
                yield piece
            future.result()  # the producer's error, if it ended with one
        except concurrent.futures.CancelledError:
            raise ModelCancelledError("the model call was cancelled: the client went away") from None
        finally:
            future.cancel()

    def close(self) -> None:
        """Cancel the calls in flight, close the HTTP connections and stop the model's loop."""
        with self._lock:
            portal, self._portal = self._portal, None
            if portal is None:
                return
            try:
                portal.call(self._client.close)
                portal.call(portal.stop, True)
            finally:
                self._portal_cm.__exit__(None, None, None)
