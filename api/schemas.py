"""The service's request and response bodies (pydantic), and the one shape of every error:
`{"error": {"status": int, "message": str}}`. Validation limits live here: a question is 1..2,000
characters and not blank, a week is a positive number (one of the served roadmap's weeks: checked against it
by `api.served.require_week`), top_k is 1..10, `history` holds at most 8 messages of at most 2,000 characters
each. Request bodies are strict: a JSON value must already have its field's type (`{"week": true}` or
`{"week": "3"}` is refused, not read as 1 or 3). The OpenAI-compatible bodies accept and ignore fields the
service does not use (temperature, max_tokens, ...), as OpenAI clients send them.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.conversation import MAX_HISTORY_MESSAGES, MAX_MESSAGE_CHARS, Message

MAX_QUESTION_CHARS = 2000
MAX_TOP_K = 10
MODEL_NAME = "roadmap-assistant"


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of every error the service answers."""
    return {"error": {"status": status, "message": message, **extra}}


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


SESSION = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                description="A random id of the asking browser (the widget sends one), kept in the question log.")


class ErrorDetail(BaseModel):
    status: int
    message: str


class ErrorOut(BaseModel):
    error: ErrorDetail


class HistoryMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_MESSAGE_CHARS)

    def message(self) -> Message:
        return Message(self.role, self.content)


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="The learner's question.")
    week: int | None = Field(None, ge=1,
                             description="The learner's week, one of the roadmap's (the page's or the widget "
                                         "selector's): searched first unless the question names one.")
    top_k: int | None = Field(None, ge=1, le=MAX_TOP_K,
                              description="How many chunks to retrieve (default: the service's setting).")
    history: list[HistoryMessage] = Field(
        default_factory=list, max_length=MAX_HISTORY_MESSAGES,
        description="Earlier turns of the conversation, oldest first (a follow-up question is read in their light).")
    session: str | None = SESSION

    _blank = field_validator("question")(_not_blank)

    def messages(self) -> list[Message]:
        return [m.message() for m in self.history]


class CitationOut(BaseModel):
    n: int
    url: str
    deep_link: str
    title: str
    section: str
    weeks: list[int]
    snippet: str


class Timings(BaseModel):
    embed: float = Field(0.0, description="Milliseconds.")
    retrieve: float = Field(0.0, description="Milliseconds.")
    generate: float = Field(0.0, description="Milliseconds.")
    condense: float = Field(0.0, description="Milliseconds the model took to rewrite a follow-up.")


class AskOut(BaseModel):
    answer: str
    citations: list[CitationOut]
    grounded: bool
    mode: str
    week: int | None
    scope: str
    widened: bool
    suggested: dict[str, Any] | None
    note: str | None
    version: int | None
    timings: Timings
    query: str = Field(description="What was searched: the standalone form of a follow-up, else the question.")
    id: str | None = Field(None, description="This answer's id in the question log (name it as `answer_id` in "
                                             "feedback); null when the log is off.")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    answer: str = Field("", max_length=8000)
    citations: list[dict[str, Any] | str] = Field(default_factory=list, max_length=20)
    rating: Literal["up", "down"]
    comment: str | None = Field(None, max_length=2000)
    answer_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                  description="The rated answer's `id`.")
    session: str | None = SESSION

    _blank = field_validator("question")(_not_blank)


class FeedbackCreated(BaseModel):
    id: str


class ReindexIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    full: bool = False
    force: bool = Field(False,
                        description="Publish even if the new version loses many pages (not if every link failed).")


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text: a string, or the text parts of a list of content parts."""
        if isinstance(self.content, str):
            return self.content
        parts = self.content or []
        return "".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    model: str = MODEL_NAME
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    week: int | None = Field(None, ge=1, description="Extra field: limit retrieval to this week, one of the roadmap's.")
    top_k: int | None = Field(None, ge=1, le=MAX_TOP_K, description="Extra field: how many chunks to retrieve.")
    session: str | None = SESSION


class QuizCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(min_length=1, max_length=200, description="A question id from GET /weeks/{n}/quiz.")
    answer: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="The learner's answer.")

    _blank = field_validator("answer")(_not_blank)
