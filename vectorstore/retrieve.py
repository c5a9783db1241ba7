"""Hybrid, week-scoped retrieval with abstention: the one way the API reads the index.

The retriever holds one published version in memory: every chunk's text and metadata, its vectors (as read
from Chroma), a BM25 index (`vectorstore.lexical`) and the version's calibration (`vectorstore.calibration`:
every fitted weight and threshold), rebuilt when the index pointer moves and swapped in whole, so concurrent
searches always see one consistent version. A question loses its learner boilerplate ("I'm on week 1 and want
to ...") and its week mention, is embedded once and searched two ways over the same scope: exact cosine over the
vectors (one matrix product; Chroma's own filtered `query` took 5-15 ms a call on the mirror index, this takes
under 1 ms) and BM25 over the chunk text plus a weighted title/section field, each limited to a week by a
precomputed mask. The two candidate lists are fused (a weighted sum of normalised scores by default, or
reciprocal rank fusion), agreeing passages of one page lift it, the fused top 20 gain a fitted share of the
question's cosine to their page title, then the list is diversified (at most two chunks of one page while other
pages match; adjacent chunks of one section merged into one hit). The dense score of a chunk can mix in its best
sentence's cosine (`sentence_weight`; `vectorstore.sentence_index`: the sentence vectors stored with the version,
so nothing but the question is embedded), and each hit carries its sentences' vectors for the extractive picker.
The retrieval also carries the best hit's page's other chunks (`Retrieval.aside`, the closest 10 by cosine, with
their sentence vectors): the extractive picker may quote them; the grounded decision never reads them.
A question about a week ("in week 9 ...", or the `week` argument) is answered from that week when it holds a
good match; when it holds none, or the whole roadmap holds a clearly better one, the search is widened to every
page and `suggested` names where the answer lives. With a soft week prior (`Calibration.week_prior` above 0) there
is no switch: the whole roadmap is searched once, the week's passages gain the prior, and the search counts as
widened when another week's page still ranks first.

`grounded` says whether the hits can support an answer (see `vectorstore.ranking.confidence`). When they cover
the topic but the question asks for a kind of fact (a price, a limit, a date, a version...) that no passage
states near the question's key terms (`vectorstore.passage_facts`), `grounded` is false, `gap` names the missing
kind and the hits are kept, so the answer can say what the sources do cover. A closest week or page is named
(`suggested`) for an ungrounded question only when the index holds something genuinely close to it.
"""
from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from errors import ConfigError, NothingIndexedError, RoadmapAssistantError, StoreUnavailableError
from vectorstore.calibration import DEFAULT, Calibration
from vectorstore.embeddings import Embedder, l2_normalise
from vectorstore.lexical import LexicalIndex
from vectorstore.links import LinkGraph, hub_feature, page_key
from vectorstore.loaded import LoadedVersion
from vectorstore.passage_facts import COOCCUR_KINDS, support
from vectorstore.question_asks import DOCUMENTED_KINDS, checked_as, detect, unknown_names
from vectorstore.ranking import (
    Hit,
    Signals,
    breadth_feature,
    confidence,
    contrast_feature,
    coverage,
    diversify,
    fuse_rrf,
    fuse_weighted,
    page_support,
    rerank,
    signals,
    title_feature,
    union,
    week_prior,
)
from vectorstore.sentence_index import SentenceIndex
from vectorstore.store import IndexStore, Snapshot, iter_chunks, iter_sentences
from vectorstore.text import strip_boilerplate, tokenize

__all__ = ["Hit", "Retrieval", "Retriever", "detect_week", "search_text", "strip_week"]

log = logging.getLogger(__name__)

NUMBER_WORDS = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"
]
_ORDINALS = [
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
    "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
    "twentieth"
]
# "week 9", "wk-9", "week nine"; "the 9th week", "the ninth week"; a week named by its position in the plan: "the
# last / closing / concluding week", "the (very) final week" (the roadmap's last: with "the" or "final", so "last week
# I ..." is not read as one), "the opening week" (its first), "the middle week", "halfway through the plan" (its
# middle: week 8 of 16, week 6 of 12); "the penultimate / second-to-last week", "one week before the finale / the end
# of the plan" (the one before its last)
_POSITIONS = {"last": -1, "final": -1, "closing": -1, "concluding": -1, "opening": 0, "initial": 0, "middle": 0.5,
              "halfway": 0.5, "midway": 0.5}
_WEEK = re.compile(r"\b(?:week|wk)[\s#:_-]*(\d{1,2}|" + "|".join(NUMBER_WORDS) + r")\b"
                   r"|\b(\d{1,2}(?:st|nd|rd|th)|" + "|".join(_ORDINALS) + r")[\s-]+week\b"
                   r"|\b(?:the\s+(?:very\s+)?(last|closing|concluding|opening|middle)"
                   r"|(?:the\s+)?(?:very\s+)?(final|initial|halfway|midway))[\s-]+week\b"
                   r"|\b(halfway|midway)\s+(?:point\s+)?(?:through|into|in|of)\s+the\s+"
                   r"(?:plan|roadmap|course|program(?:me)?|[\w-]+\s+weeks)\b"
                   r"|\b((?:the\s+)?(?:penultimate|second[\s-]+to[\s-]+last|next[\s-]+to[\s-]+last)[\s-]+week"
                   r"|(?:one|a|the)\s+week\s+before\s+the\s+"
                   r"(?:finale|final\s+week|last\s+week|end\s+of\s+the\s+(?:plan|roadmap|course)))\b",
                   re.IGNORECASE)
# passages of the best hit's page beyond the hits the extractive picker may read (`_State.aside`)
ASIDE = 10
CANDIDATES = 30        # candidates taken from each of the dense and the BM25 search
ROADMAP_URL = "roadmap.md"  # the url prefix of the roadmap's own sections


def detect_week(question: str, weeks: Iterable[int] | None = None, last: int | None = None) -> int | None:
    """The week a question names ("week 9", "Wk-9", "week nine", "the 9th week", "the ninth week"): the first one
    that is among `weeks` (the roadmap's week numbers; any week from 1 up when not given), else None. A week named
    by its position ("the last / final / closing week", "the opening week", "halfway through the plan") is that
    position among `weeks`, or among 1 to `last` (the last of `weeks` when not given); without either it names no
    week."""
    allowed = None if weeks is None else sorted(set(weeks))
    last = last if last is not None else (allowed[-1] if allowed else None)
    for m in _WEEK.finditer(question):
        if position := (m.group(3) or m.group(4) or m.group(5) or m.group(6)):
            plan = allowed or (list(range(1, last + 1)) if last else [])
            if plan:
                at = _POSITIONS.get(position.lower(), -2)  # -2: the week before the last one
                index = {-1: len(plan) - 1, 0: 0, 0.5: (len(plan) - 1) // 2}.get(at, max(len(plan) - 2, 0))
                return plan[index]
            continue
        token = (m.group(1) or m.group(2)).lower()
        if token[:1].isdigit():
            n = int("".join(c for c in token if c.isdigit()))  # "9th"
        else:
            n = (NUMBER_WORDS.index(token) if token in NUMBER_WORDS else _ORDINALS.index(token)) + 1
        if n >= 1 and (allowed is None or n in allowed):
            return n
    return None


def week_mention(question: str) -> re.Match[str] | None:
    """Where the question first names a week (the words around it say whether the week is its subject)."""
    return _WEEK.search(question)


def strip_week(question: str) -> str:
    """The question without its week mention (the scope already carries it; the words would only add noise)."""
    return re.sub(r"\s+", " ", _WEEK.sub(" ", question)).strip()


def search_text(question: str, normalise: bool = True) -> str:
    """The text a question is searched (and embedded) by: without its learner boilerplate (with `normalise`) and
    its week mention, unless nothing else is left."""
    text = strip_boilerplate(question) if normalise else question
    return strip_week(text) or text


@dataclass
class Retrieval:
    hits: list[Hit]
    week: int | None
    scope: str                      # "week" | "all"
    widened: bool
    grounded: bool
    confidence: float
    suggested: dict[str, Any] | None  # {"weeks": [12], "title": ..., "url": ...}
    timings: dict[str, float] = field(default_factory=dict)
    signals: list[float] | None = None  # the abstention model's inputs (see vectorstore.ranking.Signals)
    version: int | None = None          # the index version searched (a newer one may be served by now)
    gap: str | None = None          # the asked kind of fact the hits don't state ("price", "date", ...)
    kind: str = "other"             # the kind of answer the question asks for (vectorstore.question_asks.detect)
    evidence: float | None = None   # the hits' evidence for that kind of fact (passage_facts.support; None: unchecked)
    query: str = ""                 # the text searched: the question without boilerplate and week mention
    unknown: list[str] = field(default_factory=list)  # names in the question no passage of the index mentions
    # how well the asked week fits the question (its confidence, the week's own roadmap section counted): it stays in
    # the week at `Calibration.widen_threshold` or above (None: no week asked); under the soft week prior, the fit of
    # the one search, which stays in the week when the week's page ranks first
    week_fit: float | None = None
    # the other passages of the best hit's page (`_State.aside`): the extractive picker may quote them beside the
    # hits; nothing else reads them (the grounded decision and the evidence are the hits')
    aside: list[Hit] = field(default_factory=list)


@dataclass(frozen=True)
class _State:
    """One index version as the retriever holds it: chunks, unit vectors and BM25, all in `lexical.ids` order."""

    version: int
    name: str
    lexical: LexicalIndex
    vectors: np.ndarray
    chunks: dict[str, tuple[str, dict[str, Any]]]
    embedder: str = ""
    chunking: str = ""
    calibration: Calibration = DEFAULT
    calibration_source: str = "default"   # "index" (stored with it) or "default" (shipped in code)
    calibrated_at: object = None          # the pointer's stamp of the stored calibration
    calibration_warning: str | None = None
    title_vectors: dict[str, np.ndarray] = field(default_factory=dict)  # page title -> unit vector
    sentences: SentenceIndex = field(default_factory=lambda: SentenceIndex.empty(0, 0))
    documented: frozenset[str] = frozenset()  # the terms of the documentation pages (the roadmap's own text left out)
    links: LinkGraph = field(default_factory=LinkGraph)  # which indexed page links to which (its ingest record)
    labels: dict[str, frozenset[str]] = field(default_factory=dict)  # chunk id -> `label_terms`, once each

    @classmethod
    def load(cls, snap: Snapshot, embedder: Embedder | None = None,
             record: Mapping[str, Any] | None = None) -> _State:
        """A version read whole: chunks, their vectors and BM25, their stored sentence vectors (none for a version
        built before they were stored), the link graph of its ingest `record` (empty without one), and, with an
        embedder, the vectors of its page titles (a few hundred,
        embedded in one batch here so no question waits for them)."""
        rows = list(iter_chunks(snap.collection, embeddings=True))
        vectors = np.asarray([r[3] for r in rows], dtype=np.float32).reshape(len(rows), -1 if rows else 0)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        chunks = {cid: (doc or "", meta or {}) for cid, doc, meta, _e in rows}
        lexical = LexicalIndex.build(rows)
        dim = vectors.shape[1] if rows else 0
        sentences = (SentenceIndex.build(iter_sentences(snap.sentences), lexical.row, dim)
                     if snap.sentences is not None and rows else SentenceIndex.empty(len(rows), dim))
        documented = frozenset().union(*(lexical.terms(lexical.row[cid]) for cid, (_t, meta) in chunks.items()
                                         if not str(meta.get("url") or "").startswith(ROADMAP_URL)))
        state = cls(snap.version, snap.name, lexical, vectors, chunks, snap.embedder, snap.chunking,
                    sentences=sentences, documented=documented, links=_links(record or {}, chunks))
        if embedder is not None and chunks:
            state.embed_titles(embedder, list(dict.fromkeys(state.title_of(cid) for cid in lexical.ids)))
        return state

    def calibrated(self, store: IndexStore, stamp: object) -> _State:
        """This state with the calibration stored with the index (or the default), checked against the index."""
        source, warning = "default", None
        try:
            text = store.calibration()
            cal = Calibration.from_json(text) if text else DEFAULT
            source = "index" if text else "default"
        except ConfigError as exc:  # unreadable: serve with the default, and say why
            cal, warning = DEFAULT, str(exc)
        warning = warning or cal.mismatch(self.embedder, self.chunking)
        if warning:
            log.warning("index version %s: %s", self.version, warning)
        return replace(self, calibration=cal, calibration_source=source, calibrated_at=stamp,
                       calibration_warning=warning)

    def title_of(self, cid: str) -> str:
        """A chunk's page title (its heading line's first part when the metadata has none)."""
        text, meta = self.chunks[cid]
        return str(meta.get("title") or text.partition("\n")[0].split(" > ")[0])

    @cached_property
    def pages(self) -> dict[str, list[str]]:
        """URL -> its chunk ids in page order (`chunk_index`)."""
        out: dict[str, list[tuple[int, str]]] = {}
        for cid, (_text, meta) in self.chunks.items():
            index = meta.get("chunk_index")
            out.setdefault(str(meta.get("url") or ""), []).append((index if isinstance(index, int) else 0, cid))
        return {url: [cid for _i, cid in sorted(rows)] for url, rows in out.items()}

    def aside(self, hits: list[Hit], cosines: np.ndarray, most: int) -> list[Hit]:
        """The other passages of the best hit's page (a documentation page, not the roadmap's own text), its
        chunks no hit holds, at most `most` of them, the closest to the question first (`cosines`: every chunk's
        dense score), each carrying its stored sentence vectors: the extractive picker may quote them."""
        if not hits or most <= 0 or hits[0].url.startswith(ROADMAP_URL):
            return []
        held = {cid for h in hits for cid in h.ids}
        rest = [cid for cid in self.pages.get(hits[0].url, []) if cid not in held]
        rest = sorted(rest, key=lambda cid: -float(cosines[self.lexical.row[cid]]))[:most]
        out = []
        for cid in rest:
            text, meta = self.chunks[cid]
            hit = Hit(cid, text, meta, 0.0, float(cosines[self.lexical.row[cid]]), None, [cid])
            hit.vectors = self.sentence_vectors([cid])
            out.append(hit)
        return out

    @cached_property
    def sections(self) -> dict[str, int]:
        """URL -> how many distinct sections its chunks belong to."""
        named: dict[str, set[str]] = {}
        for _text, meta in self.chunks.values():
            named.setdefault(str(meta.get("url") or ""), set()).add(str(meta.get("section") or ""))
        return {url: len(s) for url, s in named.items()}

    def label_terms(self, cid: str) -> frozenset[str]:
        """The terms of what names a chunk's place: its page title, its section path and its page's file name
        (the URL's last path segment without its extension: "service-sizes-and-limits.html", where the title
        may say only "Quotas"); worked out on a chunk's first use and remembered."""
        terms = self.labels.get(cid)
        if terms is None:
            meta = self.chunks[cid][1]
            name = re.sub(r"\.[a-z]+$", "", str(meta.get("url") or "").split("#")[0].split("?")[0].rstrip("/")
                          .rsplit("/", 1)[-1])
            terms = self.labels[cid] = frozenset(tokenize(f"{self.title_of(cid)} {meta.get('section') or ''} {name}"))
        return terms

    def title_similarity(self, embedder: Embedder, vector: np.ndarray, titles: list[str]) -> list[float]:
        """The cosine of the question's unit vector to each page title (embedded when the version is loaded; a
        title not seen then is embedded now and remembered)."""
        self.embed_titles(embedder, titles)
        return [float(self.title_vectors[t] @ vector) for t in titles]

    def embed_titles(self, embedder: Embedder, titles: list[str]) -> None:
        """Remember the unit vectors of the titles not held yet, embedded in one batch."""
        missing = [t for t in titles if t not in self.title_vectors]
        if missing:
            self.title_vectors.update(zip(missing, l2_normalise(np.asarray(embedder.embed(missing))), strict=True))

    @property
    def last_week(self) -> int | None:
        """The last week this version's chunks belong to (what "the last week" names)."""
        return max(self.lexical.weeks, default=None)

    def cosines(self, vector: np.ndarray, sentence_weight: float = 0.0) -> np.ndarray:
        """Every chunk's dense score for the unit vector: its cosine, mixed with `sentence_weight` of its best
        sentence's cosine ((1 - w) * chunk + w * best sentence; a chunk without sentences keeps its own cosine)."""
        # einsum, not `@`: multi-threaded BLAS took 0.3-8 ms for this product on a busy 2-core machine, next to
        # onnxruntime's own threads; the single-threaded loop takes a steady 0.5 ms for 3,600 chunks.
        scores = np.einsum("ij,j->i", self.vectors, vector)
        if sentence_weight and len(self.sentences):
            best = self.sentences.best(vector)
            scores = np.where(np.isnan(best), scores, (1 - sentence_weight) * scores + sentence_weight * best)
        return np.asarray(scores)

    def sentence_vectors(self, cids: list[str]) -> dict[str, np.ndarray]:
        """The stored sentence vectors of these chunks, by sentence text."""
        return self.sentences.of(self.lexical.row[cid] for cid in cids)

    def dense(self, scores: np.ndarray, n: int, week: int | None) -> list[tuple[str, float]]:
        """The n chunks with the best dense scores (`cosines`), best first, within a week when one is given."""
        if not len(self.vectors):
            return []
        if week is not None:
            mask = self.lexical.week_mask(week)
            if mask is None:
                return []
            scores = np.where(mask, scores, -np.inf)
        top = np.argpartition(-scores, n - 1)[:n] if len(scores) > n else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.lexical.ids[i], float(scores[i])) for i in top if scores[i] > -np.inf]


def _links(record: Mapping[str, Any], chunks: Mapping[str, tuple[str, dict[str, Any]]]) -> LinkGraph:
    """The version's link graph (`vectorstore.links`): the record's links kept where the linking page's text names
    the linked page's title, and each roadmap section's links to the pages of the resources it names by their
    roadmap labels (every chunk carries the labels of the roadmap links that reached its page)."""
    texts: dict[str, list[str]] = {}
    titles: dict[str, list[str]] = {}
    labels: dict[str, set[str]] = {}  # the pages a roadmap resource reached -> its labels
    sections: set[str] = set()
    for text, meta in chunks.values():
        url = str(meta.get("url") or "")
        key = page_key(url)
        texts.setdefault(key, []).append(text)
        titles.setdefault(key, [str(meta.get("title") or "")])
        if meta.get("resources"):
            labels.setdefault(key, set()).update(map(str, meta["resources"]))
        if url.startswith(ROADMAP_URL):
            sections.add(key)
    said = {k: "\n".join(v) for k, v in texts.items()}
    roadmap = LinkGraph(dict.fromkeys(sections, frozenset(labels) - sections)).mentioned(said, labels)
    return LinkGraph.from_record(record).mentioned(said, titles).with_links(roadmap.out)


@dataclass
class _Scoped:
    """One scope's result. `confidence` (grounding) counts the roadmap's own sections as covering the question only
    when the week's section is the best passage (what the week lists, "what should the platform let teams do?"):
    lower down, they name tools without explaining them. `fit` (stay in this week?) counts the week's section."""

    hits: list[Hit]
    signals: Signals
    confidence: float
    fit: float
    baseline: float  # mean cosine of the dense candidates


class Retriever:
    def __init__(self, store: IndexStore, embedder: Embedder, *, refresh_seconds: float = 2.0,
                 fusion: str = "weighted"):
        if fusion not in ("rrf", "weighted"):
            raise ValueError(f"fusion must be 'rrf' or 'weighted', not {fusion!r}")
        self.store, self.embedder, self.fusion = store, embedder, fusion
        self.refresh_seconds = refresh_seconds
        self._state: _State | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    # ---- the snapshot
    def refresh(self, force: bool = False) -> bool:
        """Re-read the pointer (at most every refresh_seconds unless forced); load a new version if it moved."""
        if not force and time.monotonic() - self._checked < self.refresh_seconds:
            return False
        # One reader at a time rebuilds; the others keep searching the old version meanwhile.
        if not self._lock.acquire(blocking=force or self._state is None):
            return False
        try:
            self._checked = time.monotonic()
            current = self._state
            for attempt in (0, 1):  # a publish may drop the collection while it is read: re-read the pointer once
                try:
                    pointer = self.store.pointer()
                    stamp = pointer.get("calibrated_at")
                    if current is not None and pointer.get("active") == current.name:
                        if stamp != current.calibrated_at:  # refitted: same chunks, new numbers
                            self._state = current.calibrated(self.store, stamp)
                        return False
                    snap = self.store.snapshot()
                    self.store.check_compatible(snap, self.embedder.name)  # vectors of another model: refuse
                    self._state = (_State.load(snap, self.embedder, self.store.record(snap))
                                   .calibrated(self.store, stamp)
                                   if snap is not None else None)
                    return self._state is not current
                except RoadmapAssistantError:
                    raise
                except Exception as exc:  # chromadb raises many types
                    if attempt:
                        raise StoreUnavailableError(f"cannot read the index ({type(exc).__name__}: {exc})") from exc
            return False
        finally:
            self._lock.release()

    @property
    def version(self) -> int | None:
        return self._state.version if self._state else None

    @property
    def calibration(self) -> Calibration:
        """The calibration searches use now (the index's, or the default before one is loaded)."""
        return self._state.calibration if self._state else DEFAULT

    def last_week(self) -> int | None:
        """The last week the loaded version's chunks belong to (what "the last week" names); None before a version
        is loaded (or the store is unreachable before one is)."""
        with contextlib.suppress(StoreUnavailableError):
            self.refresh()
        return self._state.last_week if self._state is not None else None

    def index_settings(self) -> tuple[str, str]:
        """(embedder, chunking) of the loaded index version."""
        state = self._require()
        return state.embedder, state.chunking

    def calibration_status(self) -> dict[str, Any]:
        """Where the calibration in use comes from, what it was fitted with, and a warning when it doesn't fit."""
        state = self._state
        cal = self.calibration
        return {"source": state.calibration_source if state else "default", "embedder": cal.embedder,
                "chunking": cal.chunking, "fitted_on": cal.fitted_on, "fitted_at": cal.fitted_at,
                "matches": not (state and state.calibration_warning),
                "warning": state.calibration_warning if state else None}

    def ready(self) -> bool:
        """True when a version with chunks is loaded (the store may be briefly unreachable meanwhile)."""
        with contextlib.suppress(StoreUnavailableError):
            self.refresh()
        return self._state is not None and bool(self._state.chunks)

    def _require(self) -> _State:
        try:
            self.refresh()
        except StoreUnavailableError:
            if self._state is None:
                raise  # nothing to serve; with a version in memory, keep serving it until the store is back
        state = self._state
        if state is None or not state.chunks:
            raise NothingIndexedError("nothing is indexed yet: run `python -m ingest` to build the index")
        return state

    def loaded(self) -> LoadedVersion:
        """The version held in memory (chunks, unit vectors, BM25), for readers that need more than `search`
        (`api.study`); raises like `search` while there is none."""
        return self._require()

    # ---- searching
    def search(self, question: str, week: int | None = None, top_k: int = 5, *, scope_week: bool = True,
               mode: str = "hybrid", calibration: Calibration | None = None) -> Retrieval:
        """The top_k hits for a question; `mode` "dense" or "bm25" ranks by one list only, and `calibration`
        replaces the index's for this search (both for evaluation)."""
        if mode not in ("hybrid", "dense", "bm25"):
            raise ValueError(f"mode must be 'hybrid', 'dense' or 'bm25', not {mode!r}")
        state = self._require()
        cal = calibration or state.calibration
        week = week if week is not None else detect_week(question, last=state.last_week)
        text = search_text(question, cal.normalise)
        t0 = time.perf_counter()
        vector = np.asarray(self.embedder.embed([text])[0], dtype=np.float32)
        t1 = time.perf_counter()
        result = self._search(state, text, vector, week if scope_week else None, top_k, mode, cal)
        result.week, result.version, result.query = week, state.version, text
        result.timings = {"embed": t1 - t0, "retrieve": time.perf_counter() - t1}
        return result

    def _search(self, state: _State, text: str, vector: np.ndarray, week: int | None, top_k: int,
                mode: str, cal: Calibration) -> Retrieval:
        terms = list(dict.fromkeys(tokenize(text)))
        cosines = state.cosines(vector, cal.sentence_weight)
        soft = week is not None and cal.week_prior > 0
        whole = self._scope(state, terms, vector, cosines, week if soft else None, top_k, mode, cal, soft=soft)
        chosen, scope, week_fit = whole, "all", None
        if soft:  # one search of the whole roadmap, the week's passages lifted: in the week when its page ranks first
            week_fit = whole.fit
            if not whole.hits or week in (whole.hits[0].meta.get("weeks") or []):
                scope = "week"
        elif week is not None:
            scoped = self._scope(state, terms, vector, cosines, week, top_k, mode, cal, baseline=whole.baseline)
            better_elsewhere = (whole.fit - scoped.fit > cal.widen_margin and whole.hits
                                and week not in whole.hits[0].meta.get("weeks", []))
            week_fit = scoped.fit
            if (scoped.fit >= cal.widen_threshold and not better_elsewhere) or scoped.fit >= whole.fit:
                chosen, scope = scoped, "week"
        widened = week is not None and scope == "all"
        hits = chosen.hits
        if scope == "week" and week is not None and cal.merge_rank and not soft:
            hits = merge_elsewhere(chosen.hits, whole.hits, week, cal.merge_rank, top_k)
        grounded = chosen.confidence >= cal.threshold
        # grounded: does a passage state the asked kind of fact about the question's subject? (only computed when
        # the calibration checks that kind at all)
        kind = detect(text)
        group = checked_as(text, kind)
        share = (support(text, [h.text for h in hits], state.lexical.idf, kind)[1]
                 if grounded and cal.checks(group) else None)
        gap = None
        if cal.lacks_evidence(group, share):  # the topic is there, the fact is not
            grounded, gap = False, kind
        unknown = unknown_names(text, state.lexical.known)
        if not unknown and kind in DOCUMENTED_KINDS:
            # a how-to or a stated value about a name only the roadmap's own text mentions (a tool it lists with no
            # linked page): the plan names it, no page documents it
            unknown = unknown_names(text, state.documented.__contains__)
        # the question names something no page mentions: the sources can't answer it (which also explains why its
        # key terms are not found together, the co-occurrence check's gap)
        if unknown and (grounded or gap in COOCCUR_KINDS):
            grounded, gap = False, "mention"
        if grounded:
            suggested = _where(whole.hits) if widened else None
        elif gap or whole.signals.dense >= cal.suggest_min:  # name a closest page only when one is close
            suggested = _where(hits if gap else (whole.hits or hits))
        else:
            suggested = None
        return Retrieval(hits, week, scope, widened, grounded, chosen.confidence, suggested,
                         signals=chosen.signals.vector(), gap=gap, kind=kind, evidence=share, unknown=unknown,
                         week_fit=week_fit, aside=state.aside(hits, cosines, ASIDE))

    def _scope(self, state: _State, terms: list[str], vector: np.ndarray, cosines: np.ndarray, week: int | None,
               top_k: int,
               mode: str, cal: Calibration, baseline: float | None = None, soft: bool = False) -> _Scoped:
        """Search one scope; `baseline` is the whole index's mean candidate cosine (a week's few chunks give a
        poor mean of their own). `soft`: the whole index, its candidates joined by the week's best ones, which gain
        the calibration's week prior (`ranking.week_prior`); the abstention signals read the week's candidates or the
        whole index's, whichever gives the hits more confidence (the hard switch read the week's only when the week
        fit well, the whole index's otherwise)."""
        n = max(CANDIDATES, 3 * top_k)
        dense = state.dense(cosines, n, None if soft else week)
        lexical = state.lexical.search(terms, n, week=None if soft else week, title_weight=cal.title_weight)
        if baseline is None:
            baseline = sum(s for _c, s in dense) / len(dense) if dense else 0.0
        scoped = in_week = dense, lexical  # what the abstention signals read
        if soft and week is not None:
            in_week = state.dense(cosines, n, week), state.lexical.search(terms, n, week=week,
                                                                          title_weight=cal.title_weight)
            dense, lexical = union(dense, in_week[0]), union(lexical, in_week[1])
        if mode == "dense":
            fused = dict(dense)
        elif mode == "bm25":
            fused = dict(lexical)
        elif self.fusion == "rrf":
            fused = fuse_rrf(dense, lexical)
        else:
            fused = fuse_weighted(dense, lexical, alpha=cal.dense_weight)
        url_of = lambda cid: str(state.chunks[cid][1].get("url") or "")  # noqa: E731
        fused = page_support(fused, url_of, cal.page_weight)
        if soft and week is not None:
            fused = week_prior(fused, lambda cid: state.chunks[cid][1].get("weeks") or [], week, cal.week_prior,
                               cal.earlier_prior)
        idf = {t: state.lexical.idf(t) for t in terms}
        if mode == "hybrid":  # the fused top: titled for the question or set apart from the other candidate pages
            # by its title, section or file name gains; a hub of the others loses
            fused = rerank(fused, [
                (title_feature(state.title_of, lambda titles: state.title_similarity(self.embedder, vector, titles)),
                 cal.title_sim_weight),
                (hub_feature(url_of, state.links), -cal.hub_weight),
                (contrast_feature(state.label_terms, url_of, idf), cal.contrast_weight),
                (breadth_feature(url_of, state.sections), -cal.breadth_weight)])
        dmap, lmap = dict(dense), dict(lexical)
        ranked = [Hit(cid, state.chunks[cid][0], state.chunks[cid][1], s, dmap.get(cid), lmap.get(cid), [cid])
                  for cid, s in sorted(fused.items(), key=lambda kv: -kv[1])]
        hits = diversify(ranked, top_k)
        for h in hits:
            h.vectors = state.sentence_vectors(h.ids)
        plan = [h.url.startswith(ROADMAP_URL) for h in hits]
        own = [p and week in (h.meta.get("weeks") or []) for h, p in zip(hits, plan, strict=True)]  # the week's
        row = state.lexical.row
        words = [set().union(*(state.lexical.terms(row[i]) for i in h.ids)) for h in hits]
        evidence = [w for w, p in zip(words, plan, strict=True) if not p]
        # the soft prior's hits are read against the week's candidates and the whole index's, the more confident
        # kept: the hard switch stayed in the week only when the week fit well and read the whole index otherwise
        def read(candidates: tuple[list[tuple[str, float]], list[tuple[str, float]]]) -> _Scoped:
            sig = signals(idf, evidence, *candidates, baseline, url_of)
            if not hits:
                return _Scoped(hits, sig, 0.0, 0.0, baseline)
            fit = conf = confidence(sig, cal)
            if week is not None and any(own):  # the week's own roadmap section is evidence for staying in the week
                in_plan = coverage(idf, [w for w, p in zip(words, own, strict=True) if p])
                fit = confidence(replace(sig, coverage=max(sig.coverage, in_plan)), cal)
                if own[0]:  # the best passage is the week's own section: the plan's text answers what it says
                    conf = fit
            return _Scoped(hits, sig, conf, fit, baseline)

        return max(map(read, [scoped, in_week] if soft and in_week is not scoped else [scoped]),
                   key=lambda r: r.confidence)


def merge_elsewhere(week_hits: list[Hit], whole_hits: list[Hit], week: int, rank: int, top_k: int) -> list[Hit]:
    """The week's hits with the whole index's best hit placed at `rank` (1-based) when that hit is a page of
    another week (not the roadmap) the week's list lacks: a question asked in one week whose answer lives in
    another keeps a slot for it without losing the week's best passages."""
    if not whole_hits or not week_hits:
        return week_hits
    best = whole_hits[0]
    if week in (best.meta.get("weeks") or []) or best.url.startswith(ROADMAP_URL) \
            or any(h.url == best.url for h in week_hits):
        return week_hits
    at = min(rank, len(week_hits) + 1) - 1
    return (week_hits[:at] + [best] + week_hits[at:])[:top_k]


def _where(hits: list[Hit]) -> dict[str, Any] | None:
    """Where the best hit lives: its weeks (none for a page no week links), title and URL."""
    if not hits:
        return None
    meta = hits[0].meta
    return {"weeks": list(meta.get("weeks") or []), "title": meta.get("title"), "url": meta.get("url")}
