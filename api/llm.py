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
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import anyio
import openai
from anyio.from_thread import BlockingPortal, start_blocking_portal

from api.cancel import current_scope
from errors import ModelCancelledError, ModelDeadlineError

if TYPE_CHECKING:
    from openai.resources.chat.completions import AsyncCompletions
    from openai.types.chat import ChatCompletionMessageParam

_END = object()
T = TypeVar("T")

ChatMessage = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}


def _params(messages: list[ChatMessage]) -> list[ChatCompletionMessageParam]:
    """Our messages as the SDK's message params: the same role + content dicts, which it types as TypedDicts."""
    return cast("list[ChatCompletionMessageParam]", messages)


class ChatModel(Protocol):
    """Anything that turns chat messages into text, whole or streamed."""

    def complete(self, messages: list[ChatMessage]) -> str: ...

    def stream(self, messages: list[ChatMessage]) -> Iterator[str]: ...


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
        self._api_key, self._base_url = api_key or "no-key", base_url
        self._lock = threading.Lock()
        self._portal_cm: AbstractContextManager[BlockingPortal] | None = None
        self._portal: BlockingPortal | None = None
        self._client: openai.AsyncOpenAI | None = None

    # ---- the model's event loop
    def _start(self, func: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> concurrent.futures.Future[T]:
        """Run `func(*args)` on the model's loop; registered with the current request's scope, if any."""
        with self._lock:
            if self._portal is None:
                self._portal_cm = start_blocking_portal(name="chat-model")
                self._portal = self._portal_cm.__enter__()
                self._client = openai.AsyncOpenAI(api_key=self._api_key, base_url=self._base_url,
                                                  timeout=self.deadline + 1.0, max_retries=0)
            future = self._portal.start_task_soon(func, *args)
        scope = current_scope()
        if scope is not None:
            scope.on_cancel(future.cancel)
            future.add_done_callback(lambda done: scope.discard(done.cancel))
        return future

    def _too_slow(self) -> ModelDeadlineError:
        return ModelDeadlineError(f"the model did not finish its answer within {self.deadline:g} s (RA_LLM_TIMEOUT)")

    def _completions(self) -> AsyncCompletions:
        assert self._client is not None
        return self._client.chat.completions

    # ---- whole replies
    async def _complete(self, messages: list[ChatMessage]) -> str:
        try:
            with anyio.fail_after(self.deadline):
                response = await self._completions().create(
                    model=self.model, messages=_params(messages), stream=False, temperature=self.temperature,
                    max_tokens=self.max_tokens)
        except TimeoutError:
            raise self._too_slow() from None
        if not response.choices:
            return ""
        return response.choices[0].message.content or ""

    def complete(self, messages: list[ChatMessage]) -> str:
        """The model's whole reply (raises the `openai` error, ModelDeadlineError or ModelCancelledError)."""
        future = self._start(self._complete, messages)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise ModelCancelledError("the model call was cancelled: the client went away") from None

    # ---- streamed replies
    async def _stream(self, messages: list[ChatMessage], pieces: queue.SimpleQueue[str | object]) -> None:
        try:
            with anyio.fail_after(self.deadline):
                chunks = await self._completions().create(
                    model=self.model, messages=_params(messages), stream=True, temperature=self.temperature,
                    max_tokens=self.max_tokens)
                async with chunks:  # closes the HTTP response however this ends: done, deadline, cancelled
                    async for chunk in chunks:
                        if chunk.choices and chunk.choices[0].delta.content:
                            pieces.put(chunk.choices[0].delta.content)
        except TimeoutError:
            raise self._too_slow() from None
        finally:
            pieces.put(_END)

    def stream(self, messages: list[ChatMessage]) -> Iterator[str]:
        """The reply's text pieces as the server sends them; closing the generator cancels the upstream call."""
        pieces: queue.SimpleQueue[str | object] = queue.SimpleQueue()  # text pieces, then _END
        future = self._start(self._stream, messages, pieces)
        try:
            while isinstance(piece := pieces.get(), str):
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
            client, portal_cm = self._client, self._portal_cm
            if portal is None or client is None or portal_cm is None:
                return
            try:
                portal.call(client.close)
                portal.call(portal.stop, True)
            finally:
                portal_cm.__exit__(None, None, None)
