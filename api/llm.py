"""The chat model seam: a `ChatModel` protocol and its OpenAI-compatible implementation.

`OpenAIChatModel` talks to any `/v1/chat/completions` server (OpenAI, vLLM, Ollama, the tests' fake) through
the `openai` package, with the caller's timeout and no retries: a slow or failing model should fall back to an
extractive answer quickly, not be retried while the learner waits. Errors are left to propagate; the
`Answerer` catches them. The client is built in the constructor, never at import time.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import openai


class ChatModel(Protocol):
    """Anything that turns chat messages into text, whole or streamed."""

    def complete(self, messages: list[dict]) -> str: ...

    def stream(self, messages: list[dict]) -> Iterator[str]: ...


class OpenAIChatModel:
    """A chat model behind an OpenAI-compatible API."""

    def __init__(self, model: str, api_key: str | None, base_url: str | None, timeout: float,
                 temperature: float = 0.1, max_tokens: int = 600):
        self.model = model
        self.temperature = temperature
        self.max_tokens = max_tokens
        # local servers (vLLM, Ollama) accept any key; the client insists on one
        self._client = openai.OpenAI(api_key=api_key or "no-key", base_url=base_url, timeout=timeout,
                                     max_retries=0)

    def complete(self, messages: list[dict]) -> str:
        """The model's whole reply (raises the `openai` error on any failure)."""
        response = self._client.chat.completions.create(
            model=self.model, messages=messages, temperature=self.temperature, max_tokens=self.max_tokens)
        if not response.choices:
            return ""
        return response.choices[0].message.content or ""

    def stream(self, messages: list[dict]) -> Iterator[str]:
        """The reply's text pieces as the server sends them; the HTTP response is closed when the generator is."""
        with self._client.chat.completions.create(
                model=self.model, messages=messages, temperature=self.temperature, max_tokens=self.max_tokens,
                stream=True) as chunks:
            for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()
