"""A worker thread that embeds new chunk texts while the crawl goes on, and adds them to the new version
(with each chunk's sentence vectors, `ingest.sentence_vectors`, in the version's sentence collection).

Embedding is the costly stage; running it beside fetching and parsing (onnxruntime releases the GIL) makes
the run take about as long as the embedding alone. Texts are taken in large groups so the embedder can
batch texts of similar length. The new collection is created only when the first text arrives, so a run
with nothing new to embed writes nothing.
"""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ingest.sentence_vectors import SentenceEmbedder
from vectorstore.store import add_chunks, add_sentences

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

_DONE = object()
Item = tuple[str, str, dict[str, Any]]  # (chunk id, text, metadata)


class EmbedWriter:
    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray], open_collection: Callable[[], Collection],
                 group: int = 256, sentences_of: Callable[[Collection], Collection] | None = None):
        self._embed = embed
        self._open = open_collection
        self._sentences_of = sentences_of  # the sentence collection of the new version (None: no sentence vectors)
        self.sentences = SentenceEmbedder(embed)
        self._group = group
        self._queue: queue.Queue[Item | object] = queue.Queue()  # items, then _DONE
        self.collection: Collection | None = None
        self.embedded = 0
        self.added: dict[str, dict[str, Any]] = {}       # id -> metadata it was written with
        self.embed_seconds = 0.0
        self.store_seconds = 0.0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="embed-writer", daemon=True)
        self._thread.start()

    def submit(self, ids: list[str], texts: list[str], metas: list[dict[str, Any]]) -> None:
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
                items = [b for b in batch if isinstance(b, tuple)]
                done = len(items) < len(batch)  # the rest is _DONE
                if items:
                    self._write(items)
        except BaseException as exc:  # surfaced by close(); the run then fails without publishing
            self.error = exc
            while True:  # drain so close() never blocks
                if self._queue.get() is _DONE:
                    break

    def _write(self, batch: list[Item]) -> None:
        ids, texts, metas = [b[0] for b in batch], [b[1] for b in batch], [b[2] for b in batch]
        t = time.perf_counter()
        vectors = self._embed(texts)
        self.embed_seconds += time.perf_counter() - t
        self.embedded += len(texts)
        t = time.perf_counter()
        if self.collection is None:
            self.collection = self._open()
        add_chunks(self.collection, ids, texts, metas, vectors)
        self.store_seconds += time.perf_counter() - t
        if self._sentences_of is not None:
            before = self.sentences.seconds
            rows = self.sentences.rows(list(zip(ids, texts, strict=True)))
            self.embed_seconds += self.sentences.seconds - before
            t = time.perf_counter()
            add_sentences(self._sentences_of(self.collection), rows)
            self.store_seconds += time.perf_counter() - t
        self.added.update(zip(ids, metas, strict=True))
