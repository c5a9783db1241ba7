"""Re-index runs for `POST /admin/reindex`, as jobs that every API worker and replica can see.

`start` takes the writer lock (atomically: a second start, from any worker, or a CLI ingest already running,
is an `IngestLockedError` at once), writes the run's first state where every process reads it
(`ingest.runstate`: the data folder, or the Chroma server's meta collection), and starts
`python -m ingest --run-id ID --lock-fd N` as a child process at a lower CPU priority (nice +10), with this
service's settings (`Settings.to_env`) and its output in `DATA_DIR/runs/reindex-ID.log`. The child inherits
the lock's descriptor and this process closes its copy, so the lock passes to the run with no gap and is
released by the kernel when the run ends, however it ends. The crawl and the embedding use the child's CPU,
not the serving process's. The child records its progress and result itself; a waiter thread here records
a failure if it exits without one. `get` answers from the shared state on any worker. Runs this worker
started are stopped (SIGTERM, then SIGKILL) when it shuts down; the serving index is never harmed by that.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.lock import note_holder, take_lock
from ingest.runstate import new_run_id, new_state, observed, run_states

if TYPE_CHECKING:
    from settings import Settings
    from vectorstore.store import IndexStore

log = logging.getLogger("api.reindex")

NICENESS = 10


class Reindexer:
    """Starts re-index runs as child processes and reads any run's state."""

    def __init__(self, settings: Settings, store: IndexStore) -> None:
        self.settings = settings
        self.states = run_states(settings, store)
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()

    def get(self, run_id: str) -> dict[str, Any] | None:
        """The run's state as any worker sees it (a run that died silently reads as failed)."""
        return observed(self.states.read(run_id))

    def start(self, full: bool = False, force: bool = False) -> dict[str, Any]:
        """Start a run; raise IngestLockedError (with the running re-index's id, if it is one) when one runs.
        `force` is the command's `--force`: publish even when the new version loses many pages. A run a
        safeguard refuses (`ingest.safeguards`) ends "failed" with the reason and its summary."""
        data_dir = Path(self.settings.data_dir)
        run_id = new_run_id()
        fd = take_lock(data_dir, note=f"re-index {run_id}")
        try:
            state = {**new_state(run_id, full), "force": force}
            self.states.write(state)
            (data_dir / "runs").mkdir(parents=True, exist_ok=True)
            log_path = data_dir / "runs" / f"reindex-{run_id}.log"
            command = [sys.executable, "-m", "ingest", "--json", "--run-id", run_id, "--lock-fd", str(fd)]
            env = {k: v for k, v in os.environ.items() if not k.startswith(("RA_", "OPENAI_"))}
            env.update(self.settings.to_env())
            with log_path.open("ab") as out:
                child = subprocess.Popen(command + (["--full"] if full else []) + (["--force"] if force else []),
                                         stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT, env=env, pass_fds=(fd,),
                                         start_new_session=True)
            self._lower_priority(child.pid)
            note_holder(fd, f"re-index {run_id} (starting pid {child.pid})")
        except BaseException:
            os.close(fd)  # nothing started: the lock is free again
            raise
        os.close(fd)  # the child holds the lock now
        state["pid"] = child.pid
        self.states.write(state)  # (the child rewrites its whole state from memory as it runs)
        with self._lock:
            self._children[run_id] = child
        threading.Thread(target=self._wait, args=(run_id, child), name=f"reindex-{run_id}", daemon=True).start()
        log.info("re-index %s started (pid %d, full=%s), its log: %s", run_id, child.pid, full, log_path)
        return state

    @staticmethod
    def _lower_priority(pid: int) -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS))
        except OSError as exc:  # not allowed here: the run still works, at normal priority
            log.warning("could not lower the re-index's priority: %s", exc)

    def _wait(self, run_id: str, child: subprocess.Popen[bytes]) -> None:
        """Record a failure for a child that ended without recording its own result."""
        code = child.wait()
        with self._lock:
            self._children.pop(run_id, None)
        try:
            state = self.states.read(run_id)
            if state is not None and state.get("status") == "running":
                how = f"was stopped by signal {-code}" if code < 0 else f"exited with status {code}"
                self.states.write({**state, "status": "failed", "finished_at": time.time(),
                                   "error": f"the re-index process {how} without a result; see "
                                            f"runs/reindex-{run_id}.log (the serving index is unchanged)"})
        except Exception:  # the store may be gone at shutdown: readers then see the run fall silent
            log.exception("could not record the end of re-index %s", run_id)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop the runs this worker started (SIGTERM, then SIGKILL after `timeout`)."""
        with self._lock:
            children = list(self._children.values())
        for child in children:
            child.terminate()
        deadline = time.monotonic() + timeout
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
