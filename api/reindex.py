"""Background re-index runs for `POST /admin/reindex`: one at a time, each in its own thread running
`asyncio.run(ingest.job.run_job(...))` against the service's own store and embedder, with its progress
(pages done, the last page) and its summary or error kept for `GET /admin/reindex/{id}`. The writer lock
inside `run_job` still guards against an ingest started from the command line; `start` checks it first so
that case is refused at once instead of failing in the background. A run a safeguard refuses (every link
failed, or too many pages lost: see `ingest.safeguards`) ends "failed" with the reason and the run's summary;
`force` publishes what the command line's `--force` would. The Retriever notices the new version by polling
the index pointer.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from errors import IngestLockedError, PublishRefusedError, RoadmapAssistantError
from ingest.lock import writer_lock

log = logging.getLogger("api.reindex")


class ReindexRunning(Exception):
    """A re-index is already running in this service (carries its id)."""

    def __init__(self, run_id: str):
        super().__init__(f"a re-index is already running (id {run_id}); wait for it to finish")
        self.run_id = run_id


@dataclass
class ReindexRun:
    id: str
    full: bool
    force: bool = False
    status: str = "running"                 # running | succeeded | failed
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    pages_done: int = 0
    last_page: str | None = None
    summary: dict | None = None
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class Reindexer:
    """Starts and tracks re-index runs; keeps the last `keep` runs."""

    def __init__(self, settings, store, embedder, job: Callable[..., Any] | None = None, keep: int = 20) -> None:
        self.settings, self.store, self.embedder, self.job, self.keep = settings, store, embedder, job, keep
        self._runs: OrderedDict[str, ReindexRun] = OrderedDict()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def current(self) -> ReindexRun | None:
        with self._lock:
            return next((r for r in self._runs.values() if r.status == "running"), None)

    def get(self, run_id: str) -> ReindexRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def start(self, full: bool = False, force: bool = False) -> ReindexRun:
        """Start a run in the background; raise ReindexRunning or IngestLockedError when one is under way."""
        with self._lock:
            running = next((r for r in self._runs.values() if r.status == "running"), None)
            if running:
                raise ReindexRunning(running.id)
            with writer_lock(Path(self.settings.data_dir)):  # raises IngestLockedError if a CLI ingest runs
                pass
            run = ReindexRun(id=uuid.uuid4().hex[:12], full=full, force=force)
            self._runs[run.id] = run
            while len(self._runs) > self.keep:
                self._runs.popitem(last=False)
            self._thread = threading.Thread(target=self._run, args=(run,), name=f"reindex-{run.id}", daemon=True)
            self._thread.start()
        return run

    def _on_page(self, run: ReindexRun, outcome) -> None:
        run.pages_done += 1
        run.last_page = outcome.url

    def _run(self, run: ReindexRun) -> None:
        try:
            if self.job is None:
                from ingest.job import run_job  # the whole ingest stack: loaded on first use only
                self.job = run_job
            report = asyncio.run(self.job(self.settings, self.store, self.embedder, full=run.full, force=run.force,
                                          on_page=lambda o: self._on_page(run, o)))
            run.summary, run.status = report.summary(), "succeeded"
        except PublishRefusedError as exc:
            log.warning("re-index %s not published: %s", run.id, exc)
            run.error, run.status = str(exc), "failed"
            run.summary = exc.report.summary() if exc.report is not None else None
        except IngestLockedError as exc:
            run.error, run.status = str(exc), "failed"
        except RoadmapAssistantError as exc:
            log.warning("re-index %s failed: %s", run.id, exc)
            run.error, run.status = str(exc), "failed"
        except Exception as exc:  # never let a background failure vanish: record it, log the trace
            log.exception("re-index %s crashed", run.id)
            run.error, run.status = f"the re-index crashed ({type(exc).__name__}); see the service log", "failed"
        finally:
            run.finished_at = time.time()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running thread (used at shutdown)."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout)
