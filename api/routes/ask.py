"""`POST /ask` and `POST /ask/stream`: retrieve (in the threadpool: embedding and Chroma are synchronous),
then answer with the Answerer. The stream is Server-Sent Events: `meta`, then `token`s, then `answer` (the
same JSON as /ask), then `done`; a failure after the stream has started is sent as an `error` event.
Answering runs in a worker thread under a `CallScope` (`api.cancel`), so a model call is cancelled as soon as
its client goes away. The helpers here (`retrieve`, `answer_payload`, `sse`) are shared with the
OpenAI-compatible routes.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.cancel import CallScope, iterate_in_thread, until_disconnect
from api.deps import ApiKeyOrWidgetDep, ServicesDep, Services
from api.metrics import Stopwatch
from api.schemas import AskIn, AskOut, ErrorOut
from errors import RoadmapAssistantError

log = logging.getLogger("api.ask")
router = APIRouter(tags=["ask"], dependencies=[ApiKeyOrWidgetDep])

ERRORS = {400: {"model": ErrorOut}, 401: {"model": ErrorOut}, 408: {"model": ErrorOut}, 413: {"model": ErrorOut}, 422: {"model": ErrorOut}, 429: {"model": ErrorOut}, 503: {"model": ErrorOut}}
STREAM_FAILED = "the answer could not be completed; please try again"
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def retrieve(services: Services, question: str, week: int | None, top_k: int | None):
    """Search the index (raises NothingIndexedError -> 503 while there is no index)."""
    return services.retriever.search(question, week=week, top_k=top_k or services.settings.top_k)


def retrieval_ms(retrieval) -> dict[str, float]:
    t = retrieval.timings or {}
    return {"embed": t.get("embed", 0.0) * 1000.0, "retrieve": t.get("retrieve", 0.0) * 1000.0}


def answer_payload(answer, version: int | None, timings: dict[str, float]) -> dict:
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
        "timings": {k: round(timings.get(k, 0.0), 2) for k in ("embed", "retrieve", "generate")},
    }


def record(services: Services, answer, timings: dict[str, float], total: Stopwatch) -> None:
    services.metrics.observe_ms({**timings, "total": total.ms()})
    services.metrics.answers.labels(mode=answer.mode, grounded=str(answer.grounded).lower()).inc()


def ask_sync(services: Services, question: str, week: int | None, top_k: int | None) -> tuple[object, dict]:
    """Retrieve and answer in one go (runs in a worker thread); returns (Answer, timings in ms)."""
    total = Stopwatch()
    retrieval = retrieve(services, question, week, top_k)
    timings = retrieval_ms(retrieval)
    sw = Stopwatch()
    answer = services.answerer.answer(question, retrieval)
    timings["generate"] = sw.ms()
    record(services, answer, timings, total)
    return answer, timings


def sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def failure_message(exc: Exception) -> str:
    return str(exc) if isinstance(exc, RoadmapAssistantError) else STREAM_FAILED


@router.post("/ask", response_model=AskOut, responses=ERRORS, summary="Answer a question with cited sources")
async def ask(body: AskIn, services: ServicesDep, request: Request) -> dict:
    answer, timings = await until_disconnect(request.receive, CallScope(), ask_sync, services, body.question,
                                             body.week, body.top_k)
    return answer_payload(answer, services.retriever.version, timings)


def stream_events(services: Services, question: str, retrieval, total: Stopwatch) -> Iterator[str]:
    """The SSE body after retrieval (a sync generator: the server iterates it in its threadpool)."""
    version = services.retriever.version
    timings = retrieval_ms(retrieval)
    yield sse("meta", {"week": retrieval.week, "scope": retrieval.scope, "widened": retrieval.widened,
                       "version": version})
    try:
        sw, final = Stopwatch(), None
        for kind, value in services.answerer.stream(question, retrieval):
            if kind == "token":
                yield sse("token", {"text": value})
            elif kind == "answer":
                final = value
        if final is None:
            raise RuntimeError("the answerer ended without an answer")
        timings["generate"] = sw.ms()
        record(services, final, timings, total)
        yield sse("answer", answer_payload(final, version, timings))
        yield sse("done", {})
    except Exception as exc:  # the response has started: report in-band, log the trace here
        log.exception("streamed answer failed")
        yield sse("error", {"message": failure_message(exc)})


@router.post("/ask/stream", responses={200: {"content": {"text/event-stream": {}}}, **ERRORS},
             response_class=StreamingResponse, summary="Answer a question, streamed as Server-Sent Events")
async def ask_stream(body: AskIn, services: ServicesDep) -> StreamingResponse:
    total = Stopwatch()
    retrieval = await run_in_threadpool(retrieve, services, body.question, body.week, body.top_k)
    return StreamingResponse(iterate_in_thread(CallScope(), stream_events(services, body.question, retrieval, total)),
                             media_type="text/event-stream", headers=SSE_HEADERS)
