"""Prometheus metrics with a registry per app (never the process-global one, so two apps in one process,
as in tests, count separately): requests by route template, method and status; latency by stage
(embed, retrieve, generate, total) in seconds; the index version being served; whether the retrieval
calibration in use was fitted for another embedder or chunking (`ra_calibration_mismatch`); the question log's
rows written, failed and dropped; the requests in flight and how far the study companion's warm-up got (read when
scraped, from `api.inflight.InFlight` and `api.study.WarmUp`). `MetricsMiddleware` counts
every HTTP request, including those answered by other middleware (413, 429) before routing.
"""
from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STAGES = ("embed", "retrieve", "generate", "condense", "total")
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("ra_http_requests", "HTTP requests by route template, method and status.",
                                ["route", "method", "status"], registry=self.registry)
        self.stage_seconds = Histogram("ra_stage_seconds", "Latency of answering, by stage.", ["stage"],
                                       buckets=_BUCKETS, registry=self.registry)
        self.answers = Counter("ra_answers", "Answers given, by mode and groundedness.", ["mode", "grounded"],
                               registry=self.registry)
        self.index_version = Gauge("ra_index_version", "The index version being served (0: none).",
                                   registry=self.registry)
        self.calibration_mismatch = Gauge(
            "ra_calibration_mismatch", "1 when the retrieval calibration was fitted for another embedder or "
            "chunking than the index served (refit: python -m evaluation.calibrate).", registry=self.registry)
        self.question_log_entries = Counter(
            "ra_question_log_entries", "Question-log rows (answers and ratings) by outcome: written, failed (the "
            "disk refused them; the answers were served), dropped (the write queue was full).", ["outcome"],
            registry=self.registry)
        self.question_log_errors = Counter("ra_question_log_errors", "Question-log writes (or opens) that failed.",
                                           registry=self.registry)
        self.in_flight = Gauge("ra_requests_in_flight", "HTTP requests being served (probes and static files "
                               "aside): what the background warm-up yields to.", registry=self.registry)
        self.study_weeks = Gauge("ra_study_weeks", "Weeks of the roadmap the study companion warms.",
                                 registry=self.registry)
        self.study_weeks_warm = Gauge("ra_study_weeks_warm", "Weeks whose questions, briefing and answer vectors "
                                      "the background warm-up has built for the version served.",
                                      registry=self.registry)
        self.study_warm_pauses = Gauge("ra_study_warm_pauses", "Pieces of the warm-up that waited for requests "
                                       "in flight before they ran (since start).", registry=self.registry)
        self.study_warm_seconds = Gauge("ra_study_warm_seconds", "Seconds the last finished warm-up took, its "
                                        "pauses included (0: none finished yet).", registry=self.registry)
        self._stage = {s: self.stage_seconds.labels(stage=s) for s in STAGES}

    def observe_ms(self, timings_ms: dict[str, float]) -> None:
        """Record the stage timings of one answer (milliseconds in, seconds stored)."""
        for stage, ms in timings_ms.items():
            hist = self._stage.get(stage)
            if hist is not None:
                hist.observe(ms / 1000.0)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Count each HTTP request by the route that served it (its template, so ids don't explode the labels)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, known_paths: frozenset[str] = frozenset()) -> None:
        self.app, self.metrics, self.known_paths = app, metrics, known_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None)
            if path is None:
                path = scope["path"] if scope["path"] in self.known_paths else "<unmatched>"
            self.metrics.requests.labels(route=path, method=scope["method"], status=str(status)).inc()


class Stopwatch:
    """Milliseconds since creation: `sw.ms()`."""

    __slots__ = ("t0",)

    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def ms(self) -> float:
        return (time.perf_counter() - self.t0) * 1000.0
