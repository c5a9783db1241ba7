"""The FastAPI app factory. `create_app(settings)` builds nothing but the app: its lifespan opens the index store, the
embedder, the Retriever and the Answerer (generating with `OpenAIChatModel` when a model and an API key are
configured; a second client with a short timeout condenses follow-up questions), reads the served version's roadmap
(`api.served`), opens the feedback store, starts the question log's writer (`api.questionlog`, unless
`RA_QUESTION_LOG=off`) and gathers what the insights read, starts the `IndexWatcher` that keeps the index fresh in
the background, starts the study companion's warm-up (which yields to the requests in flight that the outermost
middleware counts, `api.inflight`), and yields them as typed lifespan state that routes reach through `api.deps`. A
store without an index does not stop start-up: `/readyz` and `/ask` answer 503 until the Retriever loads one. The
MCP server (`api.mcp`) is served at `/mcp` over the same services, started and stopped by the same lifespan, behind
the same API keys (`api.auth.ApiKeyGuard`). Every error is JSON `{"error": {"status", "message"}}`; an unexpected
one is logged with its trace and answered with a generic 500. `/docs` (Swagger UI) and `/redoc` load their scripts
and styles from the app itself (`fastapi-offline` ships them), so they work without internet.

Run it: `python -m api`, `roadmap-api`, or `uvicorn --factory api.app:create_app`.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from api.auth import ApiKeyGuard, KeyPolicy
from api.batching import BatchingEmbedder
from api.deps import AppState, Services
from api.feedback import FeedbackStore
from api.inflight import InFlight, InFlightMiddleware
from api.insights_data import InsightsData
from api.limits import MAX_BODY_BYTES, BodyLimitMiddleware, JSONCORSMiddleware, RateLimitMiddleware
from api.llm import OpenAIChatModel
from api.mcp.mount import MCP_PATH, MCP_REQUEST_HEADERS, MCP_RESPONSE_HEADERS, MCPEndpoint
from api.metrics import Metrics, MetricsMiddleware
from api.questionlog import QuestionLog
from api.reindex import Reindexer
from api.routes import ROUTERS
from api.routes.pages import STATIC
from api.schemas import error_body
from api.study import Study
from api.watcher import IndexWatcher
from errors import (
    ConfigError,
    EmbedderMismatchError,
    IngestLockedError,
    NothingIndexedError,
    RoadmapAssistantError,
    StoreUnavailableError,
    UnknownWeekError,
)
from settings import Settings, load_settings

log = logging.getLogger("api")

DOCS_ASSETS = "/docs-assets"  # Swagger UI's and ReDoc's scripts, styles and icon, served by the app
NOT_LIMITED = ("/livez", "/readyz", "/metrics", "/static", "/widget.js", "/docs", "/redoc", "/openapi.json",
               DOCS_ASSETS)
ERROR_STATUS = [(StoreUnavailableError, 503), (NothingIndexedError, 503), (EmbedderMismatchError, 503),
                (IngestLockedError, 409), (UnknownWeekError, 422), (ConfigError, 500)]
GENERIC_500 = "internal error: the request could not be completed (the details are in the service log)"


def build_services(settings: Settings, metrics: Metrics, inflight: InFlight | None = None) -> Services:
    """Open everything the routes use (blocking: run in a thread). With `inflight` (the app's requests), the
    study companion's background warm-up waits for quiet moments between its pieces of work."""
    from api.answer import Answerer
    from api.conversation import Condenser
    from api.served import ServedVersion, WeekTitles
    from vectorstore.client import open_client
    from vectorstore.embeddings import make_embedder
    from vectorstore.retrieve import Retriever
    from vectorstore.store import IndexStore

    store = IndexStore(open_client(settings.data_dir, settings.chroma_url), settings.collection)
    embedder = make_embedder(settings)
    retriever = Retriever(store, BatchingEmbedder(embedder))  # concurrent questions share model runs
    served = ServedVersion(settings, store, retriever)
    llm: OpenAIChatModel | None = None
    condenser: Condenser | None = None
    if settings.llm_model and settings.openai_api_key:
        llm = OpenAIChatModel(settings.llm_model, settings.openai_api_key, settings.openai_base_url,
                              settings.llm_timeout)
        # its own client: a short timeout, a one-line reply
        condenser = Condenser(OpenAIChatModel(settings.llm_model, settings.openai_api_key, settings.openai_base_url,
                                              settings.condense_timeout, temperature=0.0, max_tokens=120))
    try:
        retriever.ready()  # load the index now if there is one; without one the service still starts
        served.roadmap()   # and its roadmap (the roadmap file's, for an index without one)
    except RoadmapAssistantError as exc:
        log.warning("no index loaded at start-up: %s", exc)
    questions = open_question_log(settings, metrics)
    insights = InsightsData(settings, store, embedder, retriever, WeekTitles(served),
                            flush=questions.flush if questions is not None else None)
    answerer = Answerer(llm, embedder=retriever.embedder,  # the extractive picker embeds sentences with it
                        title=lambda: served.roadmap().title)
    pause = partial(inflight.wait_quiet, settings.warm_quiet, settings.warm_patience) if inflight else None
    study = Study(retriever, store, llm, settings.mirror_base, pause=pause)
    watch_warmup(metrics, study)
    return Services(settings=settings, store=store, embedder=embedder, retriever=retriever, answerer=answerer,
                    served=served, feedback=FeedbackStore(settings.data_dir / "feedback.sqlite3"),
                    reindexer=Reindexer(settings, store), metrics=metrics, condenser=condenser,
                    questions=questions, insights=insights, study=study,
                    watcher=IndexWatcher(retriever, retriever.refresh_seconds))


def watch_warmup(metrics: Metrics, study: Study) -> None:
    """The study companion's warm-up in `/metrics` (read when scraped)."""
    status = study.warmup
    metrics.study_weeks.set_function(lambda: status.weeks)
    metrics.study_weeks_warm.set_function(lambda: status.weeks_warm)
    metrics.study_warm_pauses.set_function(lambda: status.pauses)
    metrics.study_warm_seconds.set_function(lambda: status.seconds)


def open_question_log(settings: Settings, metrics: Metrics) -> QuestionLog | None:
    """The question log's writer, started (its file is opened in the background: a read-only or full disk
    never stops the service), or None when `RA_QUESTION_LOG=off`."""
    if not settings.question_log:
        return None
    return QuestionLog(settings.data_dir / "questions", settings.question_log_days, metrics).start()


@asynccontextmanager
async def open_services(settings: Settings, metrics: Metrics,
                        inflight: InFlight | None = None) -> AsyncIterator[Services]:
    """The services, open for the duration of the block (the API's lifespan and `roadmap-mcp` both use this)."""
    services = await asyncio.to_thread(build_services, settings, metrics, inflight)
    log.info("serving index version %s from %s", services.retriever.version, settings.chroma_url or settings.data_dir)
    try:
        yield services
    finally:
        await asyncio.to_thread(services.reindexer.shutdown)
        if services.questions is not None:
            await asyncio.to_thread(services.questions.close)
        if isinstance(services.answerer.llm, OpenAIChatModel):  # the model this block opened (any other: its owner's)
            services.answerer.llm.close()
        if services.condenser is not None:
            services.condenser.close()


def make_lifespan(settings: Settings, metrics: Metrics, mcp: MCPEndpoint,
                  inflight: InFlight) -> Callable[[FastAPI], AbstractAsyncContextManager[AppState]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[AppState]:
        async with open_services(settings, metrics, inflight) as services, mcp.serving(services):
            services.watcher.start()
            if services.retriever.version is not None:
                services.study.warm_in_background(lambda: services.roadmap)  # briefings and quizzes ready before asked
            try:
                yield {"services": services}
            finally:
                await asyncio.to_thread(services.watcher.stop)

    return lifespan


def _json_error(status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(status, message, **extra), status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> tuple[str, list[dict[str, str]]]:
    broken = next((e for e in exc.errors() if e.get("type") == "json_invalid"), None)
    if broken is not None:  # FastAPI's loc is ("body", character offset): say what is wrong and where
        where = broken.get("loc", ("body", None))[-1]
        why = (broken.get("ctx") or {}).get("error", "cannot be parsed")
        at = f" at character {where}" if isinstance(where, int) else ""
        message = (f"the request body is not valid JSON ({why}{at}): send a JSON object, "
                   'like {"question": "What is a model registry?"}')
        return message, [{"field": "body", "message": f"{why}{at}"}]
    details = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        details.append({"field": loc, "message": err.get("msg", "invalid")})
    text = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5]) or "the request is invalid"
    return f"invalid request: {text}", details


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _json_error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, details = _validation_message(exc)
        return _json_error(422, message, details=details)

    @app.exception_handler(RoadmapAssistantError)
    async def known(request: Request, exc: RoadmapAssistantError) -> JSONResponse:
        status = next((code for cls, code in ERROR_STATUS if isinstance(exc, cls)), 500)
        log.warning("%s %s -> %d: %s", request.method, request.url.path, status, exc)
        return _json_error(status, str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return _json_error(500, GENERIC_500)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; the services are opened by its lifespan, not here."""
    settings = settings or load_settings()
    metrics = Metrics()
    mcp = MCPEndpoint()
    inflight = InFlight()  # the requests being served: the study companion's warm-up yields to them
    metrics.in_flight.set_function(lambda: inflight.count)
    app = FastAPIOffline(title="roadmap-assistant", version="0.1.0",
                         lifespan=make_lifespan(settings, metrics, mcp, inflight),
                         description="Answers questions about a learning roadmap with cited sources.",
                         static_url=DOCS_ASSETS)
    for router in ROUTERS:
        app.include_router(router)
    # an ASGI app at one path (a Route, not a Mount: /mcp itself, no redirect to /mcp/), behind the keys of /v1
    app.router.routes.append(Route(MCP_PATH, ApiKeyGuard(mcp, KeyPolicy.of(settings)), include_in_schema=False))
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    add_error_handlers(app)
    # Middleware: the last added is the outermost. Limits run inside CORS so their errors carry CORS headers.
    app.add_middleware(RateLimitMiddleware, per_minute=settings.rate_limit_per_minute, exempt_prefixes=NOT_LIMITED,
                       max_clients=settings.rate_limit_clients)
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES, timeout=settings.body_timeout)
    if settings.cors_origins:
        app.add_middleware(JSONCORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "Authorization", *MCP_REQUEST_HEADERS],
                           expose_headers=list(MCP_RESPONSE_HEADERS), max_age=600)
    known = frozenset(r.path for router in ROUTERS for r in router.routes
                      if isinstance(r, Route) and "{" not in r.path) | {MCP_PATH}
    app.add_middleware(MetricsMiddleware, metrics=metrics, known_paths=known)
    app.add_middleware(InFlightMiddleware, inflight=inflight, exempt_prefixes=NOT_LIMITED)  # outermost: all of it
    return app
