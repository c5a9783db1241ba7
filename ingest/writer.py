"""A worker thread that embeds new chunk texts while the crawl goes on, and adds them to the new version.

Embedding is the costly stage; running it beside fetching and parsing (onnxruntime releases the GIL) makes
the run take about as long as the embedding alone. Texts are taken in large groups so the embedder can
batch texts of similar length. The new collection is created only when the first text arrives, so a run
with nothing new to embed writes nothing.
"""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from vectorstore.store import add_chunks

_DONE = object()


class EmbedWriter:
    def __init__(self, embed: Callable, open_collection: Callable, group: int = 256):
        self._embed = embed
        self._open = open_collection
        self._group = group
        self._queue: queue.Queue = queue.Queue()
        self.collection = None
        self.embedded = 0
        self.added: dict[str, dict] = {}       # id -> metadata it was written with
        self.embed_seconds = 0.0
        self.store_seconds = 0.0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="embed-writer", daemon=True)
        self._thread.start()

    def submit(self, ids: list[str], texts: list[str], metas: list[dict]) -> None:
        for item in zip(ids, texts, metas, strict=True):
            self._queue.put(item)

    def close(self) -> None:
        """Wait until everything submitted is embedded and stored; re-raise a worker failure."""
        self._queue.put(_DONE)
        self._thread.join()
        if self.error:
            raise self.error

    def _run(self) -> None:
        done = False
        try:
            while not done:
                batch = [self._queue.get()]
                while len(batch) < self._group:
                    try:
                        batch.append(self._queue.get(timeout=0.05 if len(batch) > 1 else 0.2))
                    except queue.Empty:
                        break
                if _DONE in batch:
                    done = True
                    batch = [b for b in batch if b is not _DONE]
                if batch:
                    self._write(batch)
        except BaseException as exc:  # surfaced by close(); the run then fails without publishing
            self.error = exc
            while True:  # drain so close() never blocks
                if self._queue.get() is _DONE:
                    break

    def _write(self, batch: list[tuple[str, str, dict]]) -> None:
        ids, texts, metas = (list(x) for x in zip(*batch, strict=True))
        t = time.perf_counter()
        vectors = self._embed(texts)
        self.embed_seconds += time.perf_counter() - t
        self.embedded += len(texts)
        t = time.perf_counter()
        if self.collection is None:
            self.collection = self._open()
        add_chunks(self.collection, ids, texts, metas, vectors)
        self.store_seconds += time.perf_counter() - t
        self.added.update(zip(ids, metas, strict=True))
