"""Sentence vectors of chunks, computed at ingest and stored with the index version.

Each chunk's readable sentences are the ones the extractive answer quotes (`vectorstore.sentences.sentences`: the
same reader, so the picker finds every sentence it reads with its vector). A sentence repeated in several chunks
(the chunks of a section overlap) is embedded once per run.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from vectorstore.sentences import sentences
from vectorstore.store import SentenceRow


class SentenceEmbedder:
    """Splits chunks into sentences and embeds each distinct sentence once, remembering its vector for the run."""

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray]):
        self._embed = embed
        self._known: dict[str, np.ndarray] = {}
        self.embedded = 0        # sentences embedded this run
        self.seconds = 0.0       # spent splitting and embedding

    def rows(self, chunks: Sequence[tuple[str, str]]) -> list[SentenceRow]:
        """(chunk id, position, sentence, vector) for each readable sentence of the (chunk id, text) pairs."""
        t = time.perf_counter()
        found = [(cid, pos, s) for cid, text in chunks for pos, s in enumerate(sentences(text))]
        new = [s for s in dict.fromkeys(s for _c, _p, s in found) if s not in self._known]
        if new:
            self._known.update(zip(new, np.asarray(self._embed(new), dtype=np.float32), strict=True))
            self.embedded += len(new)
        self.seconds += time.perf_counter() - t
        return [(cid, pos, s, self._known[s]) for cid, pos, s in found]
