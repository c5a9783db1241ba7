"""BM25 keyword search over one snapshot of the index, held in memory next to the dense index.

`LexicalIndex.build(rows)` tokenises every chunk with `vectorstore.text.tokenize` and indexes them with
`bm25s`, and each chunk's page title and section path into a second, small BM25 index (a field a search can
weight in, so a page titled for the question's subject ranks up). A search scores only the documents holding a
query term (bm25s keeps a term -> documents sparse matrix), applies a precomputed 0/1 mask for a week filter and
takes the top k, so a query costs well under a millisecond for a few thousand chunks. The index is immutable: the
retriever builds a new one for a new version and swaps it in. `idf()`, `terms()` and `week_mask()` also serve the
retriever's dense search and abstention signals.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from vectorstore.text import tokenize


class LexicalIndex:
    """BM25 over a fixed set of chunks; `search` optionally keeps only the chunks of one week."""

    def __init__(self, ids: list[str], bm25: Any, doc_freq: dict[str, int], week_masks: dict[int, np.ndarray],
                 doc_terms: list[frozenset[str]], titles: Any = None):  # bm25s.BM25 indexes (bm25s is untyped)
        self.ids = ids
        self._bm25 = bm25
        self._titles = titles  # BM25 over each chunk's page title and section path (None: no title text at all)
        self._df = doc_freq
        self._week_masks = week_masks
        self._doc_terms = doc_terms
        self.row = {cid: i for i, cid in enumerate(ids)}

    @classmethod
    def build(cls, rows: Iterable[tuple[Any, ...]]) -> LexicalIndex:
        """Index (id, document, metadata, ...) rows; metadata `weeks` (list of ints) feeds the week masks."""
        import bm25s

        ids: list[str] = []
        corpus: list[list[str]] = []
        titles: list[list[str]] = []
        weeks_of: list[list[int]] = []
        for row in rows:
            cid, document, meta = row[0], row[1], row[2] or {}
            ids.append(cid)
            corpus.append(tokenize(document or ""))
            titles.append(tokenize(f"{meta.get('title') or ''} {meta.get('section') or ''}"))
            weeks_of.append([int(w) for w in (meta.get("weeks") or [])])
        doc_freq = Counter(t for tokens in corpus for t in set(tokens))

        def bm25_of(docs: list[list[str]]) -> Any:
            if not any(docs):  # bm25s cannot index a corpus without a single token
                return None
            index = bm25s.BM25()
            index.index(docs, create_empty_token=False, show_progress=False)
            return index

        week_masks: dict[int, np.ndarray] = {}
        for i, weeks in enumerate(weeks_of):
            for w in weeks:
                week_masks.setdefault(w, np.zeros(len(ids), dtype=bool))[i] = True
        return cls(ids, bm25_of(corpus), dict(doc_freq), week_masks, [frozenset(tokens) for tokens in corpus],
                   bm25_of(titles))

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def weeks(self) -> list[int]:
        return sorted(self._week_masks)

    def week_mask(self, week: int) -> np.ndarray | None:
        """Which rows (in `ids` order) belong to the week; None when no chunk does."""
        return self._week_masks.get(int(week))

    def terms(self, row: int) -> frozenset[str]:
        """The distinct terms of one chunk (by its row in `ids`)."""
        return self._doc_terms[row]

    def idf(self, term: str) -> float:
        """Lucene's BM25 idf of a stemmed term; a term no chunk holds gets the idf of a one-chunk term."""
        n, df = len(self.ids), max(1, self._df.get(term, 0))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def known(self, term: str) -> bool:
        return term in self._df

    def search(self, query: str | list[str], k: int, week: int | None = None,
               title_weight: float = 0.0) -> list[tuple[str, float]]:
        """The k best (id, score) with a score above zero, best first; `week` keeps that week's chunks only.
        A chunk's score is its BM25 plus `title_weight` times the BM25 of its page title and section path."""
        tokens = tokenize(query) if isinstance(query, str) else query
        if self._bm25 is None or k <= 0:
            return []
        term_ids = sorted({self._bm25.vocab_dict[t] for t in tokens if t in self._df})
        if not term_ids:
            return []
        scores = self._bm25.get_scores_from_ids(term_ids)
        if title_weight and self._titles is not None:
            title_ids = sorted({self._titles.vocab_dict[t] for t in tokens if t in self._titles.vocab_dict})
            if title_ids:
                scores = scores + title_weight * self._titles.get_scores_from_ids(title_ids)
        if week is not None:
            mask = self.week_mask(week)
            if mask is None:
                return []
            scores = np.where(mask, scores, 0.0)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        hits = hits[np.argsort(-scores[hits], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in hits]
