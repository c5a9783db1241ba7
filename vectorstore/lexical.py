"""BM25 keyword search over one snapshot of the index, held in memory next to the dense index.

`LexicalIndex.build(rows)` tokenises every chunk (lower-case words, English stopwords dropped, Snowball
stems from PyStemmer, or a small suffix stripper when it is missing) and indexes them with `bm25s`. A search
scores only the documents holding a query term (bm25s keeps a term -> documents sparse matrix), applies a
precomputed 0/1 mask for a week filter and takes the top k, so a query costs well under a millisecond for a
few thousand chunks. The index is immutable: the retriever builds a new one for a new version and swaps it
in. `idf()`, `terms()` and `week_mask()` also serve the retriever's dense search and abstention signals.
"""
from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache

import numpy as np

_WORD = re.compile(r"[a-z0-9]+")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers him his how i if in into is it its itself just me more most my no nor not now of off on once
    only or other our ours out over own same she should so some such than that the their theirs them then there
    these they this those through to too under until up very was we were what when where which while who whom why
    will with would you your yours yourself want wants need needs use using used get getting go going know learn
    learning tell explain show give please way ways thing things something anyone one someone""".split()
)


def _fallback_stem(word: str) -> str:
    """A tiny English suffix stripper for when PyStemmer is not installed."""
    for suffix, keep in (("ational", 5), ("ization", 5), ("ingly", 4), ("ments", 4), ("ment", 4), ("ness", 4),
                         ("ings", 4), ("ing", 4), ("ies", 3), ("ied", 3), ("edly", 4), ("ed", 4), ("es", 4),
                         ("ly", 4), ("s", 3)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep and not word.endswith("ss"):
            return word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
    return word


def _make_stemmer() -> Callable[[str], str]:
    try:
        import Stemmer  # PyStemmer
    except ImportError:
        return _fallback_stem
    return Stemmer.Stemmer("english").stemWord


_local = threading.local()  # a PyStemmer object is not thread-safe: one per thread


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    stem = getattr(_local, "stem", None)
    if stem is None:
        stem = _local.stem = _make_stemmer()
    return stem(word)


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stopwords, stemmed ("Deploying models" -> ["deploy", "model"])."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


class LexicalIndex:
    """BM25 over a fixed set of chunks; `search` optionally keeps only the chunks of one week."""

    def __init__(self, ids: list[str], bm25, doc_freq: dict[str, int], week_masks: dict[int, np.ndarray],
                 doc_terms: list[frozenset[str]]):
        self.ids = ids
        self._bm25 = bm25
        self._df = doc_freq
        self._week_masks = week_masks
        self._doc_terms = doc_terms
        self.row = {cid: i for i, cid in enumerate(ids)}

    @classmethod
    def build(cls, rows: Iterable[tuple]) -> LexicalIndex:
        """Index (id, document, metadata, ...) rows; metadata `weeks` (list of ints) feeds the week masks."""
        import bm25s

        ids: list[str] = []
        corpus: list[list[str]] = []
        weeks_of: list[list[int]] = []
        for row in rows:
            cid, document, meta = row[0], row[1], row[2] or {}
            ids.append(cid)
            corpus.append(tokenize(document or ""))
            weeks_of.append([int(w) for w in (meta.get("weeks") or [])])
        doc_freq = Counter(t for tokens in corpus for t in set(tokens))
        bm25 = None
        if doc_freq:  # bm25s cannot index a corpus without a single token
            bm25 = bm25s.BM25()
            bm25.index(corpus, create_empty_token=False, show_progress=False)
        week_masks: dict[int, np.ndarray] = {}
        for i, weeks in enumerate(weeks_of):
            for w in weeks:
                week_masks.setdefault(w, np.zeros(len(ids), dtype=bool))[i] = True
        return cls(ids, bm25, dict(doc_freq), week_masks, [frozenset(tokens) for tokens in corpus])

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

    def search(self, query: str | list[str], k: int, week: int | None = None) -> list[tuple[str, float]]:
        """The k best (id, score) with a score above zero, best first; `week` keeps that week's chunks only."""
        tokens = tokenize(query) if isinstance(query, str) else query
        if self._bm25 is None or k <= 0:
            return []
        term_ids = sorted({self._bm25.vocab_dict[t] for t in tokens if t in self._df})
        if not term_ids:
            return []
        scores = self._bm25.get_scores_from_ids(term_ids)
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
