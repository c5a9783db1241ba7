"""`POST /ask` and `POST /ask/stream`: read the question in its conversation and retrieve (in the threadpool:
embedding, Chroma and a model's rewrite are synchronous; a question about a week's plan is answered from the
parsed roadmap instead, `api.plan`), then answer with the Answerer. The stream is
Server-Sent Events: `meta`, then `token`s, then `answer` (the same JSON as /ask), then `done`; a failure after
the stream has started is sent as an `error` event. Reading and answering run in worker threads under a
`CallScope` (`api.cancel`), so a model call is cancelled as soon as its client goes away. The helpers here
(`resolve`, `answer_turn`, `answer_payload`, `sse`) are shared with the OpenAI-compatible routes.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from api import conversation, plan
from api.answer import Answer
from api.cancel import CallScope, iterate_in_thread, until_disconnect
from api.deps import ApiKeyOrWidgetDep, Services, ServicesDep
from api.metrics import Stopwatch
from api.roadmap_page import link_citations
from api.routes.pages import roadmap_target
from api.schemas import AskIn, AskOut, ErrorOut
from api.served import require_week
from errors import RoadmapAssistantError
from vectorstore.retrieve import Retrieval

log = logging.getLogger("api.ask")
router = APIRouter(tags=["ask"], dependencies=[ApiKeyOrWidgetDep])

ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorOut}
                                          for status in (400, 401, 408, 413, 422, 429, 503)}
STREAM_FAILED = "the answer could not be completed; please try again"
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
TIMINGS = ("embed", "retrieve", "generate", "condense")


def resolve(services: Services, question: str, history: Sequence[conversation.Message], week: int | None,
            top_k: int | None) -> conversation.Resolved:
    """Read the question after its history and search it (raises NothingIndexedError -> 503 while there is no
    index); a question about a week's plan gets its ready answer from the parsed roadmap instead (`api.plan`: an
    Answer, which the Answerer passes through). A requested week, and a week the question names, must be one of
    the served roadmap's weeks (422 "week must be between 1 and N", "the question names week N+1, but ...")."""
    require_week(services.roadmap, week, question)

    def planned(query: str, week: int | None) -> Answer | None:
        return plan.answer(services.roadmap, query, week, services.retriever.embedder)

    return conversation.resolve(services.retriever, question, conversation.clean_history(history), week,
                                top_k or services.settings.top_k, services.condenser, plan=planned)


def answered_version(services: Services, retrieval: Retrieval | Answer) -> int | None:
    """The index version an answer was made from: its search's (the background watcher may serve a newer one by
    now), or, for a plan answer composed from the roadmap without a search, the version served."""
    version = retrieval.version if isinstance(retrieval, Retrieval) else None
    return services.retriever.version if version is None else version


def answer_payload(answer: Answer, version: int | None, timings: dict[str, float], query: str) -> dict[str, Any]:
    """The /ask response body for an Answer."""
    return {
        "answer": answer.answer,
        "citations": [asdict(c) for c in answer.citations],
        "grounded": answer.grounded,
        "mode": answer.mode,
        "week": answer.week,
        "scope": answer.scope,
        "widened": answer.widened,
        "suggested": answer.suggested,
        "note": answer.note,
        "version": version,
        "timings": {k: round(timings.get(k, 0.0), 2) for k in TIMINGS},
        "query": query,
        "id": answer.log_id,
    }


def record(services: Services, answer: Answer, timings: dict[str, float], total: Stopwatch,
           resolved: conversation.Resolved | None = None, session: str | None = None, channel: str = "ask") -> None:
    """Every answer, from any route, passes here: its metrics, and its row in the question log (whose id
    becomes the answer's `id`)."""
    total_ms = total.ms()
    services.metrics.observe_ms({**timings, "total": total_ms})
    services.metrics.answers.labels(mode=answer.mode, grounded=str(answer.grounded).lower()).inc()
    if services.questions is not None and resolved is not None:
        answer.log_id = services.questions.log(resolved.turn.question, answer, resolved.retrieval, total_ms, session,
                                               channel, answered_version(services, resolved.retrieval), resolved.query)


def answer_question(services: Services, resolved: conversation.Resolved) -> str:
    return resolved.answer_question(generated=services.answerer.llm is not None)


def finish(answer: Answer, target: str) -> Answer:
    """The answer with its roadmap citations opening on `target` (the /roadmap page or RA_ROADMAP_URL)."""
    answer.citations = link_citations(answer.citations, target)
    return answer


@dataclass
class Answered:
    answer: Answer
    timings: dict[str, float]
    query: str
    retrieval: Retrieval | Answer  # what the answer was made from: a search, or a plan answer from the roadmap


def answer_turn(services: Services, question: str, week: int | None, top_k: int | None,
                history: Sequence[conversation.Message], target: str, session: str | None = None,
                channel: str = "ask") -> Answered:
    """Resolve, retrieve and answer in one go (runs in a worker thread)."""
    total = Stopwatch()
    resolved = resolve(services, question, history, week, top_k)
    timings = dict(resolved.timings)
    sw = Stopwatch()
    answer = finish(services.answerer.answer(answer_question(services, resolved), resolved.retrieval), target)
    timings["generate"] = sw.ms()
    record(services, answer, timings, total, resolved, session, channel)
    return Answered(answer, timings, resolved.query, resolved.retrieval)


def sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def failure_message(exc: Exception) -> str:
    return str(exc) if isinstance(exc, RoadmapAssistantError) else STREAM_FAILED


@router.post("/ask", response_model=AskOut, responses=ERRORS, summary="Answer a question with cited sources")
async def ask(body: AskIn, services: ServicesDep, request: Request) -> dict[str, Any]:
    done = await until_disconnect(request.receive, CallScope(), answer_turn, services, body.question, body.week,
                                  body.top_k, body.messages(), roadmap_target(services.settings, request),
                                  body.session)
    return answer_payload(done.answer, answered_version(services, done.retrieval), done.timings, done.query)


def stream_events(services: Services, resolved: conversation.Resolved, total: Stopwatch, target: str,
                  session: str | None = None) -> Iterator[str]:
    """The SSE body after retrieval (a sync generator: the server iterates it in its threadpool)."""
    version = answered_version(services, resolved.retrieval)
    retrieval, timings = resolved.retrieval, dict(resolved.timings)
    yield sse("meta", {"week": retrieval.week, "scope": retrieval.scope, "widened": retrieval.widened,
                       "version": version, "query": resolved.query})
    try:
        sw, final = Stopwatch(), None
        for kind, value in services.answerer.stream(answer_question(services, resolved), retrieval):
            if kind == "token":
                yield sse("token", {"text": value})
            elif kind == "answer" and isinstance(value, Answer):
                final = value
        if final is None:
            raise RuntimeError("the answerer ended without an answer")
        timings["generate"] = sw.ms()
        record(services, final, timings, total, resolved, session, "stream")
        yield sse("answer", answer_payload(finish(final, target), version, timings, resolved.query))
        yield sse("done", {})
    except Exception as exc:  # the response has started: report in-band, log the trace here
        log.exception("streamed answer failed")
        yield sse("error", {"message": failure_message(exc)})


@router.post("/ask/stream", responses={200: {"content": {"text/event-stream": {}}}, **ERRORS},
             response_class=StreamingResponse, summary="Answer a question, streamed as Server-Sent Events")
async def ask_stream(body: AskIn, services: ServicesDep, request: Request) -> StreamingResponse:
    total = Stopwatch()
    resolved = await until_disconnect(request.receive, CallScope(), resolve, services, body.question, body.messages(),
                                      body.week, body.top_k)
    events = stream_events(services, resolved, total, roadmap_target(services.settings, request), body.session)
    return StreamingResponse(iterate_in_thread(CallScope(), events),
                             media_type="text/event-stream", headers=SSE_HEADERS)
