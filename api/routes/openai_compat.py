"""An OpenAI-compatible face: `GET /v1/models` lists one model, "roadmap-assistant", and
`POST /v1/chat/completions` answers the last user message (the question) from the roadmap's sources, whole
or streamed as `chat.completion.chunk` events ending with `data: [DONE]`. The user and assistant messages
before it are the conversation a follow-up is read in (the last 8, each cut to 2,000 characters; replayed
answers lose their Sources lists and `[n]` markers); system messages from the client are ignored, never
replacing the service's own instructions. The week comes from the question's text, an extra body field `week`
(`extra_body={"week": 9}` with the openai client), or the conversation. The citations are appended to the
message as a "Sources:" list (`[n] title — url`) and also given as a top-level `citations`, beside `query`
(what was searched). An extra body field `session` is kept in the question log, as on /ask.
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from api.answer import Answer
from api.cancel import CallScope, iterate_in_thread, until_disconnect
from api.conversation import MAX_HISTORY_MESSAGES, MAX_MESSAGE_CHARS, Message, Resolved
from api.deps import ApiKeyDep, Services, ServicesDep
from api.metrics import Stopwatch
from api.routes.ask import ERRORS, SSE_HEADERS, answer_question, answer_turn, failure_message, finish, record, resolve
from api.routes.pages import roadmap_target
from api.schemas import MAX_QUESTION_CHARS, MODEL_NAME, ChatIn

if TYPE_CHECKING:
    from api.extractive import Citation

log = logging.getLogger("api.openai")
router = APIRouter(prefix="/v1", tags=["openai-compatible"], dependencies=[ApiKeyDep])


def sources_block(citations: Sequence[Citation]) -> str:
    if not citations:
        return ""
    lines = [f"[{c.n}] {c.title} — {c.deep_link or c.url}" for c in citations]
    return "\n\nSources:\n" + "\n".join(lines)


def question_of(body: ChatIn) -> str:
    user = [m for m in body.messages if m.role == "user"]
    question = user[-1].text().strip() if user else ""
    if not question:
        raise HTTPException(422, "the request needs a user message with the question")
    if len(question) > MAX_QUESTION_CHARS:
        raise HTTPException(422, f"the question is longer than {MAX_QUESTION_CHARS} characters")
    return question


def history_of(body: ChatIn) -> list[Message]:
    """The user and assistant messages before the last user message: the last 8, each cut to 2,000 characters."""
    last = max(i for i, m in enumerate(body.messages) if m.role == "user")
    turns = [Message(m.role, m.text()[:MAX_MESSAGE_CHARS]) for m in body.messages[:last]
             if m.role in ("user", "assistant")]
    return turns[-MAX_HISTORY_MESSAGES:]


def _usage() -> dict[str, int]:
    return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


@router.get("/models", summary="The one model this service offers")
async def models() -> dict[str, Any]:
    model = {"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "roadmap-assistant"}
    return {"object": "list", "data": [model]}


@router.post("/chat/completions", responses={200: {"content": {"text/event-stream": {}}}, **ERRORS},
             summary="Answer the last user message in its conversation, OpenAI chat-completions style",
             response_model=None)  # a JSON completion or an event stream
async def chat_completions(body: ChatIn, services: ServicesDep, request: Request) -> dict[str, Any] | StreamingResponse:
    question = question_of(body)
    history = history_of(body)
    target = roadmap_target(services.settings, request)
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    if not body.stream:
        done = await until_disconnect(request.receive, CallScope(), answer_turn, services, question, body.week,
                                      body.top_k, history, target, body.session, "v1")
        answer = done.answer
        return {
            "id": cid, "object": "chat.completion", "created": created, "model": MODEL_NAME,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": answer.answer + sources_block(answer.citations)}}],
            "usage": _usage(),
            "citations": [asdict(c) for c in answer.citations],
            "query": done.query,
        }
    total = Stopwatch()
    resolved = await until_disconnect(request.receive, CallScope(), resolve, services, question, history, body.week,
                                      body.top_k)
    events = chunks(services, resolved, total, target, cid, created, body.session)
    return StreamingResponse(iterate_in_thread(CallScope(), events),
                             media_type="text/event-stream", headers=SSE_HEADERS)


def _chunk(cid: str, created: int, delta: dict[str, object], finish: str | None = None, **extra: Any) -> str:
    data = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL_NAME,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return f"data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def chunks(services: Services, resolved: Resolved, total: Stopwatch, target: str, cid: str,
           created: int, session: str | None = None) -> Iterator[str]:
    """The streamed completion: a role delta, the answer's tokens, the Sources list, a stop chunk, [DONE]."""
    yield _chunk(cid, created, {"role": "assistant", "content": ""})
    try:
        sw = Stopwatch()
        final: Answer | None = None
        for kind, value in services.answerer.stream(answer_question(services, resolved), resolved.retrieval):
            if kind == "token" and value:
                yield _chunk(cid, created, {"content": value})
            elif kind == "answer":
                assert isinstance(value, Answer)  # the stream's last item: ("answer", Answer)
                final = value
        if final is None:
            raise RuntimeError("the answerer ended without an answer")
        timings = {**resolved.timings, "generate": sw.ms()}
        record(services, final, timings, total, resolved, session, "v1-stream")
        final = finish(final, target)
        if block := sources_block(final.citations):
            yield _chunk(cid, created, {"content": block})
        yield _chunk(cid, created, {}, "stop", citations=[asdict(c) for c in final.citations], query=resolved.query)
    except Exception as exc:  # the response has started: end the message with the error, log the trace
        log.exception("streamed chat completion failed")
        yield _chunk(cid, created, {"content": f"\n\n[error: {failure_message(exc)}]"}, "stop")
    yield "data: [DONE]\n\n"
