"""Keeps the served index fresh from a background thread, so that no request waits on the store for it.

`IndexWatcher` asks the Retriever to re-read the index pointer every `interval` seconds (loading a new
version when one was published) and remembers whether the store answered. `/readyz` reads only what it
remembers: readiness costs no I/O and no worker thread, however busy the service is.
"""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from errors import RoadmapAssistantError

if TYPE_CHECKING:
    from vectorstore.retrieve import Retriever

log = logging.getLogger("api.watcher")


class IndexWatcher:
    def __init__(self, retriever: Retriever, interval: float = 2.0) -> None:
        self.retriever, self.interval = retriever, interval
        self.problem: str | None = None   # why the store could not be read at the last check; None when it could
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> None:
        """Re-read the pointer now (loading a newer version) and record whether that worked."""
        try:
            self.retriever.refresh(force=True)
            self.problem = None
        except RoadmapAssistantError as exc:
            self.problem = str(exc)
        except Exception as exc:  # any store failure means "not ready", with the reason
            self.problem = f"the index store cannot be reached ({type(exc).__name__})"
        if self.problem:
            log.warning("index check failed: %s", self.problem)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()

    def start(self) -> IndexWatcher:
        self._thread = threading.Thread(target=self._run, name="index-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
