"""Coverage gaps: the questions the sources could not answer (or answered with low confidence), grouped by
meaning, so the roadmap keeper sees which topics are missing rather than a list of single questions.

The questions (a follow-up by its standalone query; without their "in week N" part) are embedded with the project's
embedder (MiniLM), then clustered with scikit-learn's `AgglomerativeClustering`: cosine distance, average linkage,
and a distance threshold instead of a number of clusters, so a topic asked once is a cluster of one and unrelated
questions stay apart. Each cluster is labelled with its top terms (the project's tokenizer, shown as the words
asked), lists its questions as asked, and names the closest week and page in the index (a search for the question
nearest the cluster's centre). The same question asked again is embedded once and counted in its cluster's size; at
most the newest `MAX_DISTINCT` distinct questions are clustered.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from vectorstore.retrieve import strip_week
from vectorstore.text import tokenize

if TYPE_CHECKING:
    from vectorstore.embeddings import Embedder
    from vectorstore.retrieve import Retriever

# Chosen on the development set eval/gap_dev.jsonl, 35 questions in 14 topics (5 asked once; none of the tests'
# topics), with bench/gap_threshold.py: average
# linkage at a cosine distance of 0.50-0.55 recovered the groups best (adjusted Rand index 0.91; 0.45: 0.87,
# 0.60: 0.80); complete linkage peaked at 0.91 only at 0.60-0.65.
DISTANCE = 0.5
LOW_CONFIDENCE = 0.5   # a grounded answer below this retrieval confidence is a gap too (abstention: below 0.35)
EXAMPLES = 5
LABEL_TERMS = 3
EMBED_BATCH = 64
MAX_DISTINCT = 3000    # distinct questions clustered at most (the newest): ~36 MB of distances, a few seconds
_WORD = re.compile(r"[a-z0-9]+")

VectorCache = dict[str, np.ndarray]   # question text -> its unit vector
Search = Callable[[str], dict[str, Any] | None]  # question -> its closest {week, weeks, url, title}


@dataclass
class GapQuestion:
    question: str                # as asked (shown)
    created_at: float
    grounded: bool
    session: str | None = None
    query: str | None = None     # what was searched, for a follow-up (its meaning: clustered and labelled)

    @property
    def meaning(self) -> str:
        return strip_week(self.query or self.question) or self.query or self.question


def is_gap(grounded: bool, confidence: float | None, low_confidence: float = LOW_CONFIDENCE) -> bool:
    return not grounded or (confidence is not None and confidence < low_confidence)


def embed(texts: Sequence[str], embedder: Embedder, cache: VectorCache | None = None,
          progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Unit vectors of `texts` in batches (`progress(done, total)` after each), reusing and filling `cache`
    (text -> vector)."""
    cache = {} if cache is None else cache
    todo = list(dict.fromkeys(t for t in texts if t not in cache))
    for i in range(0, len(todo), EMBED_BATCH):
        batch = todo[i:i + EMBED_BATCH]
        for text, vector in zip(batch, np.asarray(embedder.embed(batch), dtype=np.float32), strict=True):
            cache[text] = vector / max(float(np.linalg.norm(vector)), 1e-12)
        if progress:
            progress(i + len(batch), len(todo))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([cache[t] for t in texts])


def cluster(vectors: np.ndarray, distance: float = DISTANCE) -> list[list[int]]:
    """Groups of row indexes, biggest first (ties: the earliest row first)."""
    n = len(vectors)
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    from sklearn.cluster import AgglomerativeClustering  # untyped (no stubs): its labels are narrowed below

    labels = np.asarray(AgglomerativeClustering(n_clusters=None, distance_threshold=distance, metric="cosine",
                                                linkage="average").fit_predict(vectors), dtype=np.int64)
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def label(questions: Sequence[str], everywhere: Counter[str], terms: int = LABEL_TERMS) -> str:
    """The terms most of the cluster's questions use, rarer ones (across every gap question) first on ties;
    each shown as the word most often asked for that stem."""
    in_cluster: Counter[str] = Counter()
    words: dict[str, Counter[str]] = {}
    for q in questions:
        seen: set[str] = set()
        for word in _WORD.findall(strip_week(q).lower()):
            for stem in tokenize(word):
                words.setdefault(stem, Counter())[word] += 1
                seen.add(stem)
        in_cluster.update(seen)
    ranked = sorted(in_cluster, key=lambda s: (-in_cluster[s], everywhere[s], s))
    return ", ".join(words[s].most_common(1)[0][0] for s in ranked[:terms])


def stems(question: str) -> set[str]:
    return set(tokenize(strip_week(question)))


def _key(text: str) -> str:
    """The same question asked again: case, spacing and end punctuation aside."""
    return " ".join(_WORD.findall(text.lower()))


def find_gaps(questions: list[GapQuestion], embedder: Embedder, search: Search | None = None,
              distance: float = DISTANCE, cache: VectorCache | None = None,
              progress: Callable[[int, int], None] | None = None, examples: int = EXAMPLES,
              max_distinct: int = MAX_DISTINCT) -> tuple[list[dict[str, Any]], dict[str, int | None]]:
    """The gap clusters, biggest first (label, size, unanswered, sessions, examples newest first, closest
    {week, url, title}), and what was clustered. A question asked again joins its first asking; the newest
    `max_distinct` distinct questions are clustered (the distance matrix grows with their square)."""
    distinct: dict[str, list[GapQuestion]] = {}
    for q in sorted(questions, key=lambda q: -q.created_at):
        distinct.setdefault(_key(q.meaning) or q.meaning, []).append(q)
    kept = list(distinct.values())[:max_distinct]
    info: dict[str, int | None] = {"questions": len(questions), "distinct": len(distinct), "clustered": len(kept)}
    if not kept:
        return [], info
    texts = [same[0].meaning for same in kept]
    vectors = embed(texts, embedder, cache, progress)
    if cache is not None and len(cache) > 2 * len(texts):  # keep the cache to what the window still asks
        for text in set(cache) - set(texts):
            del cache[text]
    everywhere: Counter[str] = Counter()
    for same in kept:
        everywhere.update(stems(same[0].meaning))
    out: list[dict[str, Any]] = []
    for group in cluster(vectors, distance):
        members = [q for i in group for q in kept[i]]
        centre = vectors[group].mean(axis=0)
        medoid = kept[group[int(np.argmax(vectors[group] @ centre))]][0]
        newest = sorted(members, key=lambda q: -q.created_at)
        out.append({
            "label": label([q.meaning for q in members], everywhere),
            "size": len(members),
            "unanswered": sum(not q.grounded for q in members),
            "sessions": len({q.session for q in members if q.session}),
            "examples": [kept[i][0].question for i in sorted(group, key=lambda i: -kept[i][0].created_at)][:examples],
            "closest": search(medoid.meaning) if search else None,
            "last_asked": newest[0].created_at,
        })
    out.sort(key=lambda g: (-g["size"], -g["last_asked"]))
    return out, info


def searcher(retriever: Retriever, top_k: int = 3) -> Search:
    """The closest page and week to a question, from the index (the best hit, whether or not it answers)."""
    def search(question: str) -> dict[str, Any] | None:
        retrieval = retriever.search(question, top_k=top_k)
        if retrieval.hits:
            meta = retrieval.hits[0].meta
            weeks = list(meta.get("weeks") or [])
        elif retrieval.suggested:
            meta, weeks = retrieval.suggested, list(retrieval.suggested.get("weeks") or [])
        else:
            return None
        return {"week": weeks[0] if weeks else None, "weeks": weeks, "url": meta.get("url"), "title": meta.get("title")}

    return search
