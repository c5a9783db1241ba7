"""A small OpenAI-compatible server for tests: chat completions (whole or streamed) and embeddings.

`FakeOpenAI()` holds the behaviour a test steers - `replies` (a queue of canned texts, or `reply`, a function
of the messages), `delay` (seconds before answering, for timeouts), `fail_status` (answer every request with
that HTTP status), `cut_after` (break a stream after that many chunks, without `[DONE]`), `token_delay`
(seconds between streamed pieces: a slow model; the first `fast_pieces` come without it, so a model can
answer a first sentence and then stall), `trickle` (never finish: after the reply, stream " ." every
`token_delay` forever; a whole reply trickles whitespace before its JSON forever) - and records every
request body it received in `requests`, and how its streams ended: `streams_finished`, and
`streams_abandoned` (the client went away mid-stream); `reset()` clears all of that between tests sharing
one server.
`fake.app()` is the Starlette app; serve it with `tests.servers.serve` and point the `openai` client at
`<base>/v1` (kept in `fake.base` by convention). Embeddings are deterministic unit vectors derived from a hash of
each input, in float lists or base64 as the client asks.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route


def fake_vector(text: str, dim: int) -> list[float]:
    """A deterministic unit vector for `text`."""
    raw = b""
    counter = 0
    while len(raw) < 4 * dim:
        raw += hashlib.sha256(f"{counter}:{text}".encode()).digest()
        counter += 1
    values = [(v - 2**31) / 2**31 for v in struct.unpack(f"<{dim}I", raw[: 4 * dim])]
    norm = sum(v * v for v in values) ** 0.5 or 1.0
    return [v / norm for v in values]


def split_tokens(text: str) -> list[str]:
    """Stream pieces of `text`: each word with the whitespace before it, brackets split off like a tokenizer does."""
    pieces: list[str] = []
    for word in text.replace("[", "\0[").split("\0"):
        pieces.extend(p for p in word.replace(" ", "\0 ").split("\0") if p)
    return pieces


@dataclass
class FakeOpenAI:
    replies: deque[str] = field(default_factory=deque)
    reply: Callable[[list[dict]], str] | None = None
    default_reply: str = "The sources say so [1]."
    delay: float = 0.0
    fail_status: int | None = None
    cut_after: int | None = None
    token_delay: float = 0.0
    fast_pieces: int = 0
    trickle: bool = False
    embedding_dim: int = 384
    requests: list[dict] = field(default_factory=list)
    streams_finished: int = 0
    streams_abandoned: int = 0
    base: str = ""  # "<served URL>/v1", filled in by whoever serves the app

    def say(self, *texts: str) -> FakeOpenAI:
        """Queue canned replies, used one per chat request in order."""
        self.replies.extend(texts)
        return self

    def next_reply(self, messages: list[dict]) -> str:
        if self.replies:
            return self.replies.popleft()
        return self.reply(messages) if self.reply else self.default_reply

    def reset(self) -> None:
        """Forget the script, the failure modes and the recorded requests (for a server shared by tests)."""
        self.replies, self.reply, self.requests = deque(), None, []
        self.delay, self.fail_status, self.cut_after = 0.0, None, None
        self.token_delay, self.fast_pieces, self.trickle = 0.0, 0, False
        self.streams_finished = self.streams_abandoned = 0

    async def _prelude(self, request: Request) -> tuple[dict, JSONResponse | None, dict]:
        """Record the request and read the behaviour now, before any delay, so a late reply changes nothing."""
        body = await request.json()
        self.requests.append({"path": request.url.path, "body": body})
        steer: dict[str, Any] = {"delay": self.delay, "cut_after": self.cut_after, "token_delay": self.token_delay,
                 "fast_pieces": self.fast_pieces, "trickle": self.trickle}
        if request.url.path.endswith("/chat/completions") and not self.fail_status:
            steer["text"] = self.next_reply(body.get("messages", []))
        failure = None
        if self.fail_status:
            error = {"error": {"message": f"fake failure {self.fail_status}", "type": "server_error", "code": None}}
            failure = JSONResponse(error, status_code=self.fail_status)
        if steer["delay"]:
            await asyncio.sleep(steer["delay"])
        return body, failure, steer

    async def chat(self, request: Request):
        body, failure, steer = await self._prelude(request)
        if failure:
            return failure
        text, cut_after = steer["text"], steer["cut_after"]
        pause, trickle, fast = steer["token_delay"], steer["trickle"], steer["fast_pieces"]
        base = {"id": "chatcmpl-fake", "created": int(time.time()), "model": body.get("model", "fake")}
        if not body.get("stream") and trickle:
            async def whitespace():  # valid JSON never comes: leading whitespace, one byte at a time
                while True:
                    yield b" "
                    await asyncio.sleep(pause or 0.1)

            return StreamingResponse(self._tracked(whitespace()), media_type="application/json")
        if not body.get("stream"):
            return JSONResponse({**base, "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": len(text.split()), "total_tokens": 1}})

        def chunk(delta: dict, finish: str | None = None) -> str:
            data = {**base, "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            return f"data: {json.dumps(data)}\n\n"

        async def events():
            yield chunk({"role": "assistant", "content": ""})
            for i, piece in enumerate(split_tokens(text)):
                if cut_after is not None and i >= cut_after:
                    raise ConnectionAbortedError("fake stream cut")  # uvicorn drops the connection mid-body
                yield chunk({"content": piece})
                await asyncio.sleep(pause if i + 1 >= fast else 0)
            while trickle:
                yield chunk({"content": " ."})
                await asyncio.sleep(pause or 0.1)
            yield chunk({}, "stop")
            yield "data: [DONE]\n\n"

        return StreamingResponse(self._tracked(events()), media_type="text/event-stream")

    async def _tracked(self, body):
        """The streamed body, counting whether it ran to its end or its client went away first."""
        try:
            async for part in body:
                yield part
        except (asyncio.CancelledError, GeneratorExit):
            self.streams_abandoned += 1
            raise
        else:
            self.streams_finished += 1

    async def embeddings(self, request: Request):
        body, failure, _ = await self._prelude(request)
        if failure:
            return failure
        inputs = body.get("input", [])
        inputs = [inputs] if isinstance(inputs, str) else inputs
        data = []
        for i, text in enumerate(inputs):
            vector = fake_vector(str(text), int(body.get("dimensions") or self.embedding_dim))
            if body.get("encoding_format") == "base64":
                encoded: object = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            else:
                encoded = vector
            data.append({"object": "embedding", "index": i, "embedding": encoded})
        tokens = sum(len(str(t).split()) for t in inputs)
        return JSONResponse({"object": "list", "data": data, "model": body.get("model", "fake"),
                             "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    async def models(self, request: Request):
        return JSONResponse({"object": "list", "data": [{"id": "fake", "object": "model", "owned_by": "tests"}]})

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/v1/embeddings", self.embeddings, methods=["POST"]),
            Route("/v1/models", self.models, methods=["GET"]),
        ])
