"""The study companion: a week's briefing, its self-check quiz and the checking of answers, over the version of
the index the Retriever serves and the roadmap the service holds.

`Study` keeps one `_Version` (the `Material` of the loaded index version and roadmap, and what is derived from it
per week: the question pool, the briefing, "Builds on") and replaces it when the Retriever loads another version
or the roadmap object changes. A week is built on first use under its own lock; `warm()` builds every week (the
service runs it in a background thread when an index is loaded), so requests find them ready. The warm-up works
in small pieces (the unit registry, each week's questions, "Builds on", each week's briefing, each week's answer
vectors) and calls `pause` before each: the service's pause waits for a moment without requests
(`api.inflight`), so the first answers after a start are not slowed by it; its thread also runs at the lowest OS
priority where the OS allows one thread's to be lowered. `warmup` tells how far it got. Model-written
quizzes are remembered per (version, week, count, seed). Unknown weeks and questions come back as None: the
routes turn them into 404s.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from api import briefing as briefing_
from api import grading, quantities
from api.buildson import Closeness, names_in, phrases_of
from api.extractive import Extractor, quotable_sentences
from api.llm import ChatModel
from api.material import Material
from api.plan import item
from api.quiz import ID_CHARS, Question, draw, pool, resolve_model_id, written_by_model
from ingest.roadmap import Roadmap, Week
from vectorstore.embeddings import embed_tokens, l2_normalise
from vectorstore.retrieve import Retriever
from vectorstore.store import IndexStore

log = logging.getLogger(__name__)

MAX_COUNT = 20
MODEL_QUIZZES = 256   # model-written quizzes remembered


@dataclass
class WarmUp:
    """How far the background warm-up of the current version got (read by `/metrics`)."""

    weeks: int = 0             # the roadmap's weeks
    weeks_warm: int = 0        # weeks whose questions, briefing and answer vectors it has built
    pauses: int = 0            # pieces that waited for requests before they ran (all versions)
    waiting: bool = False      # in `pause` now
    seconds: float = 0.0       # how long the last finished warm-up took, pauses included (0: none finished)


def lower_priority() -> None:
    """Run the calling thread at the lowest OS priority on Linux (where a thread id names one thread for
    `setpriority`; elsewhere it would name a process, so nothing is done there)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except OSError as exc:  # not allowed here (a sandbox): the warm-up still yields to requests
        log.debug("warm-up priority not lowered: %s", exc)


class _Version:
    """One index version with one roadmap, and what the study companion derives from them, week by week."""

    def __init__(self, material: Material):
        self.material = material
        self.pools: dict[int, list[Question]] = {}
        self.by_id: dict[int, dict[str, Question]] = {}
        self.briefings: dict[int, dict[str, Any]] = {}
        self.model_questions: dict[str, Question] = {}
        self.answer_vectors: dict[int, tuple[list[str], np.ndarray]] = {}   # week -> its questions' expected texts
        self.locks: dict[int, threading.Lock] = {}
        self.lock = threading.Lock()
        self._closeness: Closeness | None = None

    def week_lock(self, week: int) -> threading.Lock:
        with self.lock:
            return self.locks.setdefault(week, threading.Lock())

    def pool(self, week: Week) -> list[Question]:
        found = self.pools.get(week.number)
        if found is None:
            with self.week_lock(week.number):
                found = self.pools.get(week.number)
                if found is None:
                    found = pool(self.material, week)
                    self.by_id[week.number] = {q.id: q for q in found}
                    self.pools[week.number] = found
        return found

    def rivals(self, week: Week, expected: str, embed: grading.Embed) -> np.ndarray:
        """The unit-length embeddings of what the week's other questions expect (one model run per week, once)."""
        found = self.answer_vectors.get(week.number)
        if found is None:
            texts = sorted({q.expected for q in self.pool(week)})
            with self.week_lock(week.number):
                found = self.answer_vectors.get(week.number)
                if found is None:
                    vectors = l2_normalise(np.asarray(embed(texts), dtype=np.float32)) if texts \
                        else np.zeros((0, 0), dtype=np.float32)
                    found = self.answer_vectors[week.number] = (texts, vectors)
        texts, vectors = found
        return vectors[[i for i, t in enumerate(texts) if t != expected]]

    def closeness(self) -> Closeness:
        if self._closeness is None:
            with self.week_lock(0):  # no week is numbered 0: the lock of what all weeks share
                if self._closeness is None:
                    vocab = {w.number: self._vocab(w) for w in self.material.roadmap.weeks}
                    self._closeness = Closeness(self.material, vocab)
        return self._closeness

    def _vocab(self, week: Week) -> set[str]:
        """The names of things in a week: those its prose uses, the terms its quiz facts define, its topics."""
        m = self.material
        out: set[str] = set()
        for page in m.week_pages(week.number):
            if not page.roadmap:
                for row in page.rows:
                    for sentence in quotable_sentences(m.text(row)):
                        out |= names_in(sentence)
        for q in self.pool(week):
            if q.kind in ("definition", "role"):
                out |= phrases_of(" ".join(w for w in q.subject.split() if w.lower() not in ("a", "an", "the")))
        for name, items in week.sections.items():
            out |= phrases_of(name)
            out.update(p for i in items for p in phrases_of(item(i)))
        return out


class Study:
    """The service's study companion (one per app)."""

    def __init__(self, retriever: Retriever, store: IndexStore, llm: ChatModel | None = None,
                 mirror_base: str | None = None, background: bool = True,
                 pause: Callable[[], bool] | None = None):
        """`background`: build a newly loaded version's weeks in a background thread (the service does).
        `pause`: called by the warm-up before each piece of work; blocks while it should wait (for requests),
        returns whether it waited."""
        self.retriever, self.store, self.llm, self.mirror_base = retriever, store, llm, mirror_base
        self.background, self.pause = background, pause
        self.warmup = WarmUp()
        self.extractor = Extractor(retriever.embedder)
        self._current: _Version | None = None
        self._lock = threading.Lock()
        # (index version, week, count, seed) -> the model-written quiz and how many of its questions were rejected
        self._model: OrderedDict[tuple[int, int, int, int], tuple[list[Question], int]] = OrderedDict()
        self._warming: threading.Thread | None = None

    # ---- the version
    def version(self, roadmap: Roadmap) -> _Version:
        """The current version's study data (raises NothingIndexedError while nothing is indexed)."""
        state = self.retriever.loaded()
        current = self._current
        if current is not None and current.material.state is state and current.material.roadmap is roadmap:
            return current
        with self._lock:
            current = self._current
            if current is None or current.material.state is not state or current.material.roadmap is not roadmap:
                record = self.store.record_at(state.version)  # the record of the version in memory
                current = self._current = _Version(Material(state, roadmap, record, self.mirror_base))
                self._model.clear()
                self.warm_in_background(lambda: roadmap)  # a new version: build its weeks before they are asked
        return current

    def warm(self, roadmap: Roadmap) -> _Version | None:
        """Build every week's questions, "Builds on", briefing and answer vectors now, piece by piece, calling
        `pause` before each piece; the version warmed, or None when another version was loaded meanwhile (the
        pieces left are not built for the old one)."""
        v = self.version(roadmap)
        weeks, embed = roadmap.weeks, self.retriever.embedder.embed
        status = self.warmup
        status.weeks, status.weeks_warm, status.seconds = len(weeks), 0, 0.0
        t0 = time.perf_counter()
        shared: list[Callable[[], object]] = [quantities.load, *(partial(v.pool, w) for w in weeks), v.closeness]
        per_week: list[list[Callable[[], object]]] = [
            [partial(self.briefing, roadmap, w.number, v), partial(v.rivals, w, "", embed)] for w in weeks]
        for pieces in [shared, *per_week]:
            for piece in pieces:
                if self.pause is not None:
                    status.waiting = True
                    status.pauses += self.pause()
                    status.waiting = False
                if self._current is not v:
                    log.info("study companion warm-up of version %s left: version moved on", v.material.version)
                    return None
                piece()
            if pieces is not shared:
                status.weeks_warm += 1
        status.seconds = time.perf_counter() - t0
        log.info("study companion ready for index version %s (%d weeks, %.1f s)", v.material.version, len(weeks),
                 status.seconds)
        return v

    def warm_in_background(self, roadmap_of: Callable[[], Roadmap]) -> None:
        """`warm(roadmap_of())` in a daemon thread of the lowest priority unless one is running (that one warms
        again when the version moved on while it worked); failures are logged, not raised."""
        if not self.background or (self._warming is not None and self._warming.is_alive()):
            return

        def run() -> None:
            lower_priority()
            try:
                while True:
                    warmed = self.warm(roadmap_of())
                    if warmed is not None and warmed is self._current:
                        return
            except Exception as exc:  # no index yet, or it moved on: requests build what they need
                log.info("study companion not warmed: %s", exc)

        self._warming = threading.Thread(target=run, name="study-warm", daemon=True)
        self._warming.start()

    # ---- the three answers
    def briefing(self, roadmap: Roadmap, week: int, v: _Version | None = None) -> dict[str, Any] | None:
        w = roadmap.week(week)
        if w is None:
            return None
        v = v or self.version(roadmap)
        found = v.briefings.get(week)
        if found is None:
            questions = v.pool(w)
            builds_on = v.closeness().builds_on(week)
            with v.week_lock(week):
                found = v.briefings.get(week)
                if found is None:
                    found = v.briefings[week] = briefing_.briefing(v.material, w, questions, builds_on, self.extractor)
        return found

    def quiz(self, roadmap: Roadmap, week: int, count: int, seed: int) -> dict[str, Any] | None:
        w = roadmap.week(week)
        if w is None:
            return None
        v = self.version(roadmap)
        questions = draw(v.pool(w), count, f"{v.material.version}:{week}:{seed}")
        rejected, written = 0, "sentences"
        if self.llm is not None and questions:
            key = (v.material.version, week, count, seed)
            with self._lock:
                done = self._model.get(key)
            if done is None:
                done = written_by_model(self.llm, questions, v.material)  # outside the lock: a model call is slow
                with self._lock:
                    self._model[key] = done
                    while len(self._model) > MODEL_QUIZZES:
                        self._model.popitem(last=False)
            questions, rejected = done
            for q in questions:
                if q.kind == "model":
                    v.model_questions[q.id] = q
            written = "model" if any(q.kind == "model" for q in questions) else "sentences"
        return {"week": week, "version": v.material.version, "seed": seed, "count": len(questions),
                "available": len(v.pool(w)), "written_by": written, "rejected": rejected,
                "questions": [q.public() for q in questions]}

    def question(self, roadmap: Roadmap, week: int, qid: str) -> Question | None:
        w = roadmap.week(week)
        if w is None:
            return None
        v = self.version(roadmap)
        v.pool(w)
        found = v.by_id.get(week, {}).get(qid) or v.model_questions.get(qid)
        if found is None and qid.startswith("m-"):
            rows = {v.material.cid(r)[:ID_CHARS]: r for p in v.material.week_pages(week) for r in p.rows}
            found = resolve_model_id(v.material, rows, qid)
        return found

    def check(self, roadmap: Roadmap, week: int, qid: str, answer: str) -> dict[str, object] | None:
        q, w = self.question(roadmap, week, qid), roadmap.week(week)
        if q is None or w is None:
            return None
        lexical = self.retriever.loaded().lexical
        embed = self.retriever.embedder.embed
        rivals = self.version(roadmap).rivals(w, q.expected, embed)
        f = grading.features(answer, q.question, q.expected, embed, lexical.idf, rivals,
                             partial(embed_tokens, self.retriever.embedder))
        verdict, reason = grading.judge(f)
        return {"id": q.id, "verdict": verdict, "quote": q.answer, "citation": q.citation,
                "question": q.question, "similarity": round(f.similarity, 3), "coverage": round(f.coverage, 3),
                "key_recall": round(f.key_recall, 3), "replaced": round(f.replaced, 3),
                "specifics": f.specifics, "elsewhere": round(f.elsewhere, 3), "reason": reason,
                "missing": list(f.missing)}
