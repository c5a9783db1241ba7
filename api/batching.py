"""Question embeddings for the service: micro-batched across concurrent requests, and remembered.

Each `/ask` embeds one short question. Run one by one from many worker threads, those model calls contend
for the same cores (each ONNX run wants every core) and pay the per-call overhead every time. The
`BatchingEmbedder` wraps any embedder: a caller that finds the model idle runs it at once on everything
queued so far (its own text included), so a lone request waits for nothing; callers arriving while the
model runs queue up and go together in the next run. Only one model run is in flight at a time. The vectors
of the last `cache_size` distinct texts are kept (an embedding depends only on the text and the model), so a
question asked again skips the model entirely, and of a list only the texts not cached are embedded (the
extractive answer embeds the question and its candidate sentences).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vectorstore.embeddings import Embedder, TokenVectors, embed_tokens


@dataclass
class _Job:
    texts: list[str]
    tokens: bool = False          # the wordpiece vectors are wanted too
    result: np.ndarray | None = None
    pieces: list[TokenVectors] = field(default_factory=list)
    error: BaseException | None = None
    done: bool = False


@dataclass
class BatchingEmbedder:
    """An Embedder that batches concurrent `embed` calls (`max_texts` caps one model run) and caches vectors."""

    inner: Embedder
    max_texts: int = 64
    cache_size: int = 20000                        # question and sentence vectors: ~30 MB at 384 dims
    runs: int = 0                                  # model runs so far (for tests and curiosity)
    _cache: OrderedDict[str, np.ndarray] = field(default_factory=OrderedDict, repr=False)
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _queue: list[_Job] = field(default_factory=list, repr=False)
    _busy: bool = False

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of `texts`; only the texts not cached go to the model."""
        texts = list(texts)
        with self._cond:
            cached = {t: self._cache[t] for t in texts if t in self._cache}
            for t in cached:
                self._cache.move_to_end(t)
        missing = [t for t in dict.fromkeys(texts) if t not in cached]
        if not missing:
            return np.stack([cached[t] for t in texts]) if texts else self._embed_batched([])
        vectors = self._embed_batched(missing)
        found = {**cached, **dict(zip(missing, vectors, strict=True))}
        if self.cache_size:
            with self._cond:
                for t, v in zip(missing, vectors, strict=True):
                    self._cache[t] = v
                    self._cache.move_to_end(t)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return np.stack([found[t] for t in texts])

    def embed_tokens(self, texts: Sequence[str]) -> tuple[np.ndarray, list[TokenVectors]]:
        """The vectors of `texts` and their wordpiece vectors (`embeddings.embed_tokens`), in the same queue of model
        runs as `embed` (not cached: the wordpiece vectors are not kept)."""
        job = self._submit(_Job(list(texts), tokens=True))
        assert job.result is not None
        return job.result, job.pieces

    def _embed_batched(self, texts: list[str]) -> np.ndarray:
        job = self._submit(_Job(texts))
        assert job.result is not None  # a done job has its vectors or its error
        return job.result

    def _submit(self, job: _Job) -> _Job:
        with self._cond:
            self._queue.append(job)
            while not job.done:
                if self._busy:
                    self._cond.wait()
                    continue
                batch = self._take()
                self._busy = True
                self._cond.release()
                try:
                    self._run(batch)
                finally:
                    self._cond.acquire()
                    self._busy = False
                    self._cond.notify_all()
        if job.error is not None:
            raise job.error
        return job

    def _take(self) -> list[_Job]:
        """Jobs from the queue's head up to max_texts texts (always at least one job)."""
        batch: list[_Job] = []
        count = 0
        while self._queue and (not batch or count + len(self._queue[0].texts) <= self.max_texts):
            job = self._queue.pop(0)
            batch.append(job)
            count += len(job.texts)
        return batch

    def _run(self, batch: list[_Job]) -> None:
        try:
            self.runs += 1
            texts = [t for job in batch for t in job.texts]
            # one run gives the wordpiece vectors too when a job of the batch wants them
            vectors, pieces = embed_tokens(self.inner, texts) if any(j.tokens for j in batch) else \
                (self.inner.embed(texts), [])
            start = 0
            for job in batch:
                job.result = vectors[start:start + len(job.texts)]
                job.pieces = pieces[start:start + len(job.texts)] if job.tokens else []
                start += len(job.texts)
        except BaseException as exc:  # every waiting caller gets the model's error
            for job in batch:
                job.error = exc
        finally:
            for job in batch:
                job.done = True
