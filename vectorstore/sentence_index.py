"""A version's sentence vectors as the retriever holds them: one matrix of unit rows grouped by chunk.

Ingest stores a vector for every readable sentence of every chunk (`vectorstore.store`, the version's sentence
collection). Loaded with the version, they give two things without embedding anything at question time: the
question's cosine to each chunk's best sentence (mixed into its dense score: a chunk's own vector is diluted when
the fact asked for is one sentence of it), and each hit's sentence vectors by text, for the extractive picker.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from vectorstore.embeddings import l2_normalise
from vectorstore.store import SentenceRow


@dataclass(frozen=True)
class SentenceIndex:
    vectors: np.ndarray      # (sentences, dim) unit rows; chunk row i's sentences are rows starts[i]:starts[i + 1]
    texts: tuple[str, ...]
    starts: np.ndarray       # (chunks + 1,) offsets

    @classmethod
    def build(cls, rows: Iterable[SentenceRow], row_of: dict[str, int], dim: int) -> SentenceIndex:
        """From stored sentence rows; `row_of` maps the version's chunk ids to their rows (sentences of other
        chunks are ignored)."""
        kept = sorted(((row_of[cid], pos, text, vec) for cid, pos, text, vec in rows if cid in row_of),
                      key=lambda r: (r[0], r[1]))
        vectors = l2_normalise(np.asarray([r[3] for r in kept], dtype=np.float32).reshape(len(kept), dim))
        counts = np.bincount(np.asarray([r[0] for r in kept], dtype=np.int64), minlength=len(row_of))
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(vectors, tuple(r[2] for r in kept), starts)

    @classmethod
    def empty(cls, chunks: int, dim: int) -> SentenceIndex:
        return cls(np.zeros((0, dim), dtype=np.float32), (), np.zeros(chunks + 1, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.texts)

    def best(self, vector: np.ndarray) -> np.ndarray:
        """For every chunk row, the largest cosine of the unit `vector` to one of its sentences (NaN: it has none)."""
        chunks = len(self.starts) - 1
        out = np.full(chunks, np.nan, dtype=np.float32)
        if not len(self.texts):
            return out
        # einsum, not `@`: single-threaded (see `_State.cosines`); ~14,000 sentences on the mirror
        scores = np.einsum("ij,j->i", self.vectors, vector)
        has = self.starts[1:] > self.starts[:-1]
        out[has] = np.maximum.reduceat(scores, self.starts[:-1][has])
        return out

    def of(self, rows: Iterable[int]) -> dict[str, np.ndarray]:
        """The sentence vectors of chunk rows, by sentence text."""
        return {self.texts[j]: self.vectors[j] for r in rows for j in range(int(self.starts[r]),
                                                                           int(self.starts[r + 1]))}
