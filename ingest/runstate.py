"""Where a re-index run started by the API keeps its state (id, status, progress, summary or error), so that
every API worker and replica answers `GET /admin/reindex/{id}` the same.

On disk (no `RA_CHROMA_URL`) each run is one JSON file, `DATA_DIR/reindex/{id}.json`, replaced atomically;
with a Chroma server it is one document of the index's meta collection (`reindex-{id}`), which every replica
reads, whichever host it runs on. The run itself (`python -m ingest --run-id ID`) writes its progress through
a `RunRecorder`: at most twice a second from a background thread, which also leaves a heartbeat every few
seconds, so a run whose process died without a word (killed, out of memory) is reported as failed by
whoever reads it (`observed`).
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Protocol

RUN_ID = re.compile(r"[0-9a-f]{12}")
FLUSH_SECONDS = 0.5      # progress is written at most this often
HEARTBEAT_SECONDS = 5.0  # a running run is written at least this often
SILENT_SECONDS = 60.0    # a "running" run not heard from for this long has died
KEEP_RUNS = 50           # on disk: the newest runs kept


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def new_state(run_id: str, full: bool) -> dict:
    now = time.time()
    return {"id": run_id, "full": full, "status": "running", "started_at": now, "finished_at": None,
            "pages_done": 0, "last_page": None, "summary": None, "error": None, "pid": None, "heartbeat_at": now}


def observed(state: dict | None, now: float | None = None) -> dict | None:
    """The state as a reader should report it: a running run silent for too long has failed."""
    if state is None or state.get("status") != "running":
        return state
    now = time.time() if now is None else now
    if now - float(state.get("heartbeat_at") or state.get("started_at") or now) <= SILENT_SECONDS:
        return state
    heard = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(state.get("heartbeat_at") or 0))
    return {**state, "status": "failed", "error": f"the re-index stopped without a result (last heard from at "
                                                  f"{heard}); the serving index is unchanged"}


class RunStates(Protocol):
    def write(self, state: dict) -> None: ...

    def read(self, run_id: str) -> dict | None: ...


class FileRunStates:
    """One JSON file per run under `folder`, each replaced atomically (readers never see half a file)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def write(self, state: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".run-", suffix=".tmp")
        with os.fdopen(fd, "w") as out:
            json.dump(state, out)
        os.replace(tmp, self.folder / f"{state['id']}.json")

    def read(self, run_id: str) -> dict | None:
        if not RUN_ID.fullmatch(run_id):
            return None
        try:
            return json.loads((self.folder / f"{run_id}.json").read_text())
        except (OSError, ValueError):
            return None

    def prune(self, keep: int = KEEP_RUNS) -> None:
        """Delete all but the newest `keep` finished runs."""
        files = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for path in files[keep:]:
            path.unlink(missing_ok=True)


class ChromaRunStates:
    """One document per run in the index's meta collection (shared by every replica of a Chroma server)."""

    def __init__(self, store):
        self.store = store

    def write(self, state: dict) -> None:
        self.store.put_document(f"reindex-{state['id']}", json.dumps(state))

    def read(self, run_id: str) -> dict | None:
        if not RUN_ID.fullmatch(run_id):
            return None
        text = self.store.get_document(f"reindex-{run_id}")
        return json.loads(text) if text else None


def run_states(settings, store) -> RunStates:
    """The state store every process of this deployment shares: the Chroma server's, else the data folder."""
    return ChromaRunStates(store) if settings.chroma_url else FileRunStates(Path(settings.data_dir) / "reindex")


class RunRecorder:
    """The running side: progress in memory, written by a background thread; `finish`/`fail` write at once."""

    def __init__(self, states: RunStates, run_id: str, full: bool):
        self.states = states
        self.state = {**(states.read(run_id) or new_state(run_id, full)), "pid": os.getpid(), "status": "running"}
        self._lock = threading.Lock()
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._write()
        self._thread = threading.Thread(target=self._run, name="run-recorder", daemon=True)
        self._thread.start()

    def _write(self) -> None:
        with self._lock:
            self.state["heartbeat_at"] = time.time()
            snapshot = dict(self.state)
        self.states.write(snapshot)

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(FLUSH_SECONDS):
            if self._dirty.is_set() or time.monotonic() - last >= HEARTBEAT_SECONDS:
                self._dirty.clear()
                try:
                    self._write()
                except Exception:  # a store hiccup must not end the run: the next beat retries
                    continue
                last = time.monotonic()

    def page(self, outcome) -> None:
        with self._lock:
            self.state["pages_done"] += 1
            self.state["last_page"] = outcome.url
        self._dirty.set()

    def _end(self, **changes) -> None:
        self._stop.set()
        self._thread.join(5)
        with self._lock:
            self.state.update(changes, finished_at=time.time())
        self._write()
        if isinstance(self.states, FileRunStates):
            self.states.prune()

    def finish(self, summary: dict) -> None:
        self._end(status="succeeded", summary=summary)

    def fail(self, message: str, summary: dict | None = None) -> None:
        """A failed run; a run a safeguard refused also leaves its summary (published false)."""
        self._end(status="failed", error=message, summary=summary)
