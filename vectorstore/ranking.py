"""The pure ranking steps of retrieval: fusing the dense and BM25 candidate lists, letting agreeing passages
of one page support it, reranking the fused top by features of each candidate (the question's cosine to its page
title, to its best sentence), diversifying and merging the fused list into hits, and the abstention signals with the
small logistic model (its numbers in `vectorstore.calibration`) that turns them into a confidence. Nothing here
touches Chroma or the embedder: `vectorstore.retrieve` feeds it plain lists.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vectorstore.calibration import DEFAULT, Calibration

if TYPE_CHECKING:
    import numpy as np

RRF_K = 60  # the usual constant of reciprocal rank fusion
RERANK_N = 20  # how many fused candidates the title-similarity rerank reorders


@dataclass
class Hit:
    """One retrieved passage: a chunk, or adjacent chunks of one page section merged (`ids` lists them all)."""

    id: str
    text: str
    meta: dict[str, Any]
    score: float
    dense: float | None
    lexical: float | None
    ids: list[str] = field(default_factory=list)
    # the stored unit vectors of its chunks' sentences, by sentence text (set by the retriever when the index
    # holds them: the extractive picker reads them instead of embedding the sentences)
    vectors: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def url(self) -> str:
        return str(self.meta.get("url", ""))


def fuse_rrf(dense: list[tuple[str, float]], lexical: list[tuple[str, float]], k: int = RRF_K,
             dense_weight: float = 1.0) -> dict[str, float]:
    """Reciprocal rank fusion: each list adds weight / (k + rank) (rank from 1) to its ids."""
    scores: dict[str, float] = {}
    for weight, ranked in ((dense_weight, dense), (1.0, lexical)):
        for rank, (cid, _s) in enumerate(ranked, 1):
            scores[cid] = scores.get(cid, 0.0) + weight / (k + rank)
    return scores


def fuse_weighted(dense: list[tuple[str, float]], lexical: list[tuple[str, float]],
                  alpha: float = 0.5) -> dict[str, float]:
    """alpha * min-max-normalised cosine + (1 - alpha) * BM25 / best BM25; a list missing an id adds 0."""
    scores: dict[str, float] = {}
    if dense:
        hi, lo = dense[0][1], dense[-1][1]
        for cid, s in dense:
            scores[cid] = alpha * ((s - lo) / (hi - lo) if hi > lo else 1.0)
    if lexical:
        top = lexical[0][1] or 1.0
        for cid, s in lexical:
            scores[cid] = scores.get(cid, 0.0) + (1 - alpha) * s / top
    return scores


def page_support(fused: dict[str, float], url_of: Callable[[str], str], weight: float) -> dict[str, float]:
    """Several passages of one page that match count for the page: each candidate gains `weight` times the score
    of its page's best other candidate (so a page with two good passages can outrank a page with one slightly
    better passage)."""
    if not weight:
        return fused
    top: dict[str, list[float]] = {}  # url -> its two best scores, best first
    for cid, score in fused.items():
        best = top.setdefault(url_of(cid), [])
        best.append(score)
        best.sort(reverse=True)
        del best[2:]
    out = {}
    for cid, score in fused.items():
        best = top[url_of(cid)]
        other = best[1] if score == best[0] and len(best) > 1 else best[0] if score != best[0] else 0.0
        out[cid] = score + weight * other
    return out


def week_prior(fused: dict[str, float], weeks_of: Callable[[str], list[int]], week: int, bonus: float,
               earlier: float = 0.0) -> dict[str, float]:
    """The soft week prior: each candidate of the asked `week` gains `bonus`, one of only the weeks before it (the
    learner has seen them) gains `earlier`, any other keeps its score, so another week's page that fits the question
    clearly better still outranks the week's best."""
    def gain(weeks: list[int]) -> float:
        return bonus if week in weeks else earlier if weeks and min(weeks) < week else 0.0
    return {cid: score + gain(weeks_of(cid)) for cid, score in fused.items()}


def union(*ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Candidate lists of one score merged, best first, each id once."""
    merged = dict(kv for r in ranked for kv in r)
    return sorted(merged.items(), key=lambda kv: -kv[1])


Feature = Callable[[list[str]], list[float]]  # candidate ids -> one value each


def rerank(fused: dict[str, float], features: list[tuple[Feature, float]],
           top_n: int = RERANK_N) -> dict[str, float]:
    """The fused top `top_n` candidates each gain, for each (feature, weight), `weight` times the feature's value
    for them (negative values count 0); all features are read on the same top. Candidates below the top keep their
    score (they gain nothing, so only the top is reordered); a feature whose weight is 0 is never computed."""
    features = [(f, w) for f, w in features if w]
    if not features or not fused:
        return fused
    top = sorted(fused, key=lambda cid: -fused[cid])[:top_n]
    out = dict(fused)
    for feature, weight in features:
        for cid, value in zip(top, feature(top), strict=True):
            out[cid] += weight * max(0.0, value)
    return out


def title_feature(title_of: Callable[[str], str], similarity: Callable[[list[str]], list[float]]) -> Feature:
    """The cosine similarity of the question to each candidate's page title (`similarity` maps titles to cosines;
    the caller holds the title vectors): a page titled for what the question asks about ("What does X do?" -> "X
    overview") outranks a generic page that merely mentions it."""
    def feature(top: list[str]) -> list[float]:
        titles = list(dict.fromkeys(title_of(cid) for cid in top))
        cosine = dict(zip(titles, similarity(titles), strict=True))
        return [cosine[title_of(cid)] for cid in top]
    return feature


def title_rerank(fused: dict[str, float], title_of: Callable[[str], str],
                 similarity: Callable[[list[str]], list[float]], weight: float,
                 top_n: int = RERANK_N) -> dict[str, float]:
    """The fused top `top_n` candidates each gain `weight` times the question's cosine to their page title."""
    return rerank(fused, [(title_feature(title_of, similarity), weight)], top_n)


def contrast_feature(terms_of: Callable[[str], frozenset[str]], url_of: Callable[[str], str],
                     idf: Mapping[str, float]) -> Feature:
    """How much of the question each candidate's page title and section path (`terms_of`) covers with the terms that
    set it apart from the other candidate pages: each question term weighs its IDF (`idf`: term -> IDF) times the
    share of the candidate pages whose title and section do NOT hold it. Sibling pages of one directory share the
    subject's words ("Model Monitor"); a term all of them hold counts nothing, the term only one of them holds
    ("data capture") counts for that one in full."""
    total = sum(idf.values())

    def feature(top: list[str]) -> list[float]:
        if not total:
            return [0.0] * len(top)
        labels = [terms_of(cid) for cid in top]
        pages: dict[str, frozenset[str]] = {}
        for cid, terms in zip(top, labels, strict=True):
            pages[url_of(cid)] = pages.get(url_of(cid), frozenset()) | terms
        held = {t: sum(t in terms for terms in pages.values()) for t in idf}
        weight = {t: v * (1 - held[t] / len(pages)) for t, v in idf.items()}
        return [sum(w for t, w in weight.items() if t in terms) / total for terms in labels]
    return feature


def breadth_feature(url_of: Callable[[str], str], sections: Mapping[str, int]) -> Feature:
    """How broad each candidate's page is: the log of how many sections the page has in the index (`sections`: URL
    -> count; 0 for a page of one section). A glossary, an overview or a "how it works" page covers many subjects
    in many sections, each matching a question about one of them; the page dedicated to that subject has few."""
    return lambda top: [math.log(max(1, sections.get(url_of(cid), 1))) for cid in top]


def _overlap(prev: str, text: str, limit: int = 800) -> int:
    """Length of the longest end of `prev` (at most `limit` characters, at least 16) that `text` starts with."""
    probe = text[:16]
    if len(probe) < 16:
        return 0
    i = prev.find(probe, max(0, len(prev) - limit))
    while i != -1:
        if text.startswith(prev[i:]):
            return len(prev) - i
        i = prev.find(probe, i + 1)
    return 0


def join_chunks(texts: list[str]) -> str:
    """Join consecutive chunks of one section: later copies of the heading line and the overlap are dropped."""
    out = texts[0]
    for text in texts[1:]:
        head, sep, body = text.partition("\n\n")
        if not sep or out.split("\n\n", 1)[0] != head:
            body = text
        cut = _overlap(out, body)
        out = f"{out}{body[cut:]}" if cut else f"{out}\n{body}"
    return out


def diversify(ranked: list[Hit], top_k: int, per_page: int = 2, max_merge: int = 3) -> list[Hit]:
    """The top_k hits from a best-first list: a chunk right next to a chosen one of the same page section joins
    it (up to max_merge chunks); at most `per_page` hits per URL while other pages are left to fill the list."""
    chosen: list[list[Hit]] = []
    sections: dict[tuple[str, Any], list[list[Hit]]] = {}
    deferred: list[Hit] = []
    per_url: dict[str, int] = {}
    for hit in ranked:
        key = (hit.url, hit.meta.get("section"))
        group = next((g for g in sections.get(key, []) if _adjacent(g, hit, max_merge)), None)
        if group is not None:
            group.append(hit)
        elif len(chosen) < top_k:
            if per_url.get(hit.url, 0) >= per_page:
                deferred.append(hit)
                continue
            per_url[hit.url] = per_url.get(hit.url, 0) + 1
            chosen.append([hit])
            sections.setdefault(key, []).append(chosen[-1])
    for hit in deferred:  # too few other pages: fill up with the extra chunks of the pages already there
        if len(chosen) >= top_k:
            break
        chosen.append([hit])
    return [_merge(g) for g in chosen]


def _adjacent(group: list[Hit], hit: Hit, max_merge: int) -> bool:
    """True when the hit's chunk_index extends the group's run of consecutive chunks."""
    idx = [i for i in (g.meta.get("chunk_index") for g in group) if isinstance(i, int)]
    me = hit.meta.get("chunk_index")
    if len(group) >= max_merge or not isinstance(me, int) or len(idx) != len(group):
        return False
    return me == min(idx) - 1 or me == max(idx) + 1


def _merge(group: list[Hit]) -> Hit:
    best = group[0]
    if len(group) == 1:
        return Hit(best.id, best.text, best.meta, best.score, best.dense, best.lexical, [best.id])
    ordered = sorted(group, key=lambda h: h.meta.get("chunk_index", 0))
    dense = [h.dense for h in group if h.dense is not None]
    lexical = [h.lexical for h in group if h.lexical is not None]
    return Hit(best.id, join_chunks([h.text for h in ordered]), best.meta, best.score,
               max(dense) if dense else None, max(lexical) if lexical else None, [h.id for h in ordered])


@dataclass
class Signals:
    """What the abstention model looks at, for one scope of one question."""

    dense: float      # best cosine among the dense candidates
    dense_gap: float  # that cosine minus the mean cosine of the whole index's candidates (peaked: a real match)
    lexical: float    # best BM25 score / the sum of the query terms' idf (0..1)
    coverage: float   # idf-weighted share of the query terms in the best-covering documentation hit (0..1)
    agree: float      # 1.0 when a URL is in both the dense and the BM25 top 5

    def vector(self) -> list[float]:
        return [self.dense, self.dense_gap, self.lexical, self.coverage, self.agree]


def coverage(terms_idf: dict[str, float], term_sets: list[set[str]]) -> float:
    """The idf-weighted share of the query terms that the best-covering term set holds (0..1)."""
    total = sum(terms_idf.values())
    if not total:
        return 0.0
    return max((sum(v for t, v in terms_idf.items() if t in terms) / total for terms in term_sets), default=0.0)


def signals(terms_idf: dict[str, float], hit_terms: list[set[str]], dense: list[tuple[str, float]],
            lexical: list[tuple[str, float]], baseline: float, url_of: Callable[[str], str]) -> Signals:
    """The signals of one search: query term -> idf, the term sets of the top hits that count as evidence,
    both candidate lists (best first), the mean candidate cosine, and a chunk id -> URL function."""
    def top_urls(ranked: list[tuple[str, float]]) -> set[str]:
        return {url_of(cid) for cid, _s in ranked[:5]}

    best = dense[0][1] if dense else 0.0
    return Signals(
        dense=best,
        dense_gap=best - baseline if dense else 0.0,
        lexical=min(1.0, lexical[0][1] / (sum(terms_idf.values()) or 1.0)) if lexical else 0.0,
        coverage=coverage(terms_idf, hit_terms),
        agree=1.0 if top_urls(dense) & top_urls(lexical) else 0.0,
    )


def confidence(s: Signals, calibration: Calibration = DEFAULT) -> float:
    """The abstention model: sigmoid(bias + weights . signals), with the calibration's fitted numbers."""
    z = calibration.bias + sum(w * x for w, x in zip(calibration.weights, s.vector(), strict=True))
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))
