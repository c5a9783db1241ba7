"""Fit the retrieval calibration on the dev set with k-fold cross-validation, and store it with the index.

    python -m evaluation.calibrate [--dev FILE...] [--offtopic eval/offtopic_questions.jsonl] [--folds 5]
                            [--save] [--ablation bench/ablation.md [--variants NAME...]] [--retrieval-only]
                            [--one-weight NAME... [--jointly]] [--by-file] [--widening] [--week-prior]
                            [--cooccur] [--page-folds | --balanced-pages]
                            [--json out.json]

One fit, on a set of training questions, goes in three steps, each a search over a small grid run through the
real Retriever (question vectors are embedded once and remembered):
1. retrieval: the fusion weight, the BM25 title/section weight and the page-support weight that give the best
   MRR@10 on the questions with gold URLs, then with those the title-similarity rerank weight and the share of the
   best sentence's cosine in the dense score (searched together), then the rank another week's best page takes,
   then the hub demotion weight (`vectorstore.links`), then the sibling contrast and page breadth weights together
   (`vectorstore.ranking.contrast_feature`, `breadth_feature`), then the soft week prior (`fit_week_prior`);
2. abstention model: a class-balanced logistic regression with non-negative weights over the whole-index signals
   (`vectorstore.ranking.Signals`), the unanswerable questions being the negatives;
3. decisions: the widening threshold and margin with the best mean hit@k of the cross-week and the in-week
   questions (`fit_widening`), then the confidence threshold and the answer-type evidence share that make the
   most unanswerable questions abstain while at most `MAX_ANSWERABLE_ABSTAIN` of the answerable ones do
   (`fit_decisions`, the piece `--by-file` uses too), then the co-occurrence shares of the kinds without a fact
   pattern (`fit_cooccur`, the piece `--cooccur` uses too), and the closeness (best cosine) a question needs before a
   closest week or page is named, fitted to tell the dev questions (all on the roadmap's topics) from the off-topic
   ones.
Questions the plan route (`api.plan`) answers from the roadmap are left out of the fit: they are never searched.
Cross-validation fits on k-1 folds (stratified by kind, fixed seed) and measures the held-out fold the way
`POST /ask` answers it (plan route, retriever, extractive Answerer), so every reported dev figure is on questions
the numbers were not fitted on. The final calibration is then fitted on the whole dev set; `--save` stores it
with the index the settings point at (the retrievers serving it pick it up within seconds). `--ablation` runs the
cross-validation once per retrieval variant and writes the table (`--variants` picks some); `--retrieval-only`
cross-validates the retrieval weights alone per variant (ranking figures, no abstention fit: minutes instead of an
hour) and prints the table; `--widening` cross-validates the widening threshold and margin leaving one dev file
out (with `--save`: stores the index's calibration with the widening fitted on every file); `--week-prior` does the
same for the soft week prior (`Calibration.week_prior`, `earlier_prior`); `--cooccur` does the same
for the co-occurrence check's shares (`fit_cooccur`: the kinds without a fact pattern, and a name asked by its
maker); `--one-weight NAME...`
cross-validates each retrieval weight alone over its grid (`--jointly`: the named weights together, over every
combination of their grids), every other number at the calibration the index serves (the quick check of a new
weight). `--page-folds` draws every CV's folds grouped by gold page (`page_folds`: a held-out question's page was
never gold in the fit, as for a writer who asks about other pages) and splits the ranking figures into rare-page and
popular-page questions (`page_sharers`); `--balanced-pages` also fits the retrieval weights with each question
weighted 1 / (dev questions sharing its gold page), so the pages dozens of dev questions ask about don't decide the
weights. The test set is never read here.
"""
from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from evaluation.evaluate import DEV, LABELS, Harness, _fmt, load_questions, markdown, score_ranking, summarise
from vectorstore.calibration import DEFAULT, Calibration

if TYPE_CHECKING:
    from vectorstore.retrieve import Retrieval

OFFTOPIC = Path("eval/offtopic_questions.jsonl")
MAX_ANSWERABLE_ABSTAIN = 0.06   # the abstention fit's budget on the training folds (the goal is <= 8% on new data)
WIDEN_MARGINS: tuple[float, ...] = (0.15, 0.3, 0.6)
WIDEN_THRESHOLDS: tuple[float, ...] = tuple(round(float(x), 2) for x in np.arange(0.0, 0.951, 0.05))
COOCCUR_SHARES: tuple[float, ...] = (0.0, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
GRID = {
    "dense_weight": (0.3, 0.4, 0.5, 0.6),
    "title_weight": (0.0, 0.5, 1.0, 2.0),
    "page_weight": (0.0, 0.15, 0.3, 0.5),
    "title_sim_weight": (0.0, 0.05, 0.1, 0.2, 0.3),
    "sentence_weight": (0.0, 0.25, 0.5, 0.75),
    "hub_weight": (0.0, 0.01, 0.02, 0.03, 0.05),
    "merge_rank": (0, 2, 3, 5),
    "week_prior": (0.0, 0.05, 0.1, 0.2, 0.3, 0.5),
    "earlier_prior": (0.0, 0.05),
    "contrast_weight": (0.0, 0.15, 0.3, 0.45, 0.6),
    "breadth_weight": (0.0, 0.02, 0.05, 0.08, 0.12),
    "threshold": tuple(round(x, 2) for x in np.arange(0.15, 0.751, 0.05)),
    "widen_margin": WIDEN_MARGINS,
    "widen_threshold": WIDEN_THRESHOLDS,
    "evidence_share": (0.0, 0.1, 0.2, 0.34, 0.5, 0.6),
    "evidence_kinds": (("price", "number", "duration", "date", "version", "comparison"),
                       ("price", "number", "duration", "date", "version"), ("price", "duration", "date", "version"),
                       ("price", "date", "version"), ("date", "version")),
    "cooccur_share": COOCCUR_SHARES,
}
# The co-occurrence check may cost at most this much more of the answerable abstaining (on the training files) than
# with it off: the kinds it checks are most answerable questions, so it must be precise ...
MAX_COOCCUR_COST = 0.005
COOCCUR_PRICE = 3.0  # ... and each answerable question it refuses must be paid for by three unanswerable ones


# ---------------------------------------------------------------- the logistic model
def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 5000,
                 monotone: bool = True) -> tuple[np.ndarray, float]:
    """Class-balanced logistic regression by gradient descent on standardised features; weights in raw units.
    `monotone` keeps every weight >= 0 (projected gradient): each signal measures support for an answer, so more
    of it never lowers the confidence (correlated signals otherwise get opposite signs that don't generalise)."""
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mu) / sd
    sample = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum()))
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = sample * (p - y)
        w -= 0.5 * (z.T @ g + l2 * w)
        if monotone:
            w = np.maximum(w, 0.0)
        b -= 0.5 * g.sum()
    return w / sd, float(b - (w / sd) @ mu)


# ---------------------------------------------------------------- folds
def folds(questions: list[dict], k: int, seed: int = 0) -> list[list[int]]:
    """k folds of question indices, stratified by kind (each fold gets its share of every kind), fixed seed."""
    rng = random.Random(seed)
    out: list[list[int]] = [[] for _ in range(k)]
    by_kind: dict[str, list[int]] = {}
    for i, q in enumerate(questions):
        by_kind.setdefault(q.get("kind", "answerable"), []).append(i)
    n = 0
    for kind in sorted(by_kind):
        idx = by_kind[kind]
        rng.shuffle(idx)
        for i in idx:
            out[n % k].append(i)
            n += 1
    return [sorted(f) for f in out]


# ---------------------------------------------------------------- pages many questions share
RARE_OTHERS = 3  # a question whose gold page is gold for at most this many other dev questions asks a "rare" page


def page_sharers(questions: list[dict]) -> list[int]:
    """For each question, how many of these questions (itself included) have one of its gold pages among theirs
    (0 without gold URLs): how popular its page is in the set."""
    holders: dict[str, set[int]] = {}
    for i, q in enumerate(questions):
        for url in q.get("gold_urls") or ():
            holders.setdefault(url, set()).add(i)
    return [len(set().union(*(holders[u] for u in q["gold_urls"]))) if q.get("gold_urls") else 0
            for q in questions]


def page_folds(questions: list[dict], k: int) -> list[list[int]]:
    """k folds grouped by gold page (scikit-learn's `GroupKFold`): questions linked by a shared gold page always
    fall in one fold, so every held-out question's page was never gold in the fit (a question without gold URLs is
    a group of its own). The estimate of a new writer who asks about other pages than the dev files do; random
    folds put a question's page-mates in the fit and are optimistic."""
    from sklearn.model_selection import GroupKFold

    parent: dict[str, str] = {}

    def root(url: str) -> str:
        while parent.setdefault(url, url) != url:
            url = parent[url]
        return url

    for q in questions:
        urls = q.get("gold_urls") or []
        for url in urls[1:]:
            parent[root(url)] = root(urls[0])
    groups = [root(q["gold_urls"][0]) if q.get("gold_urls") else f"no gold page #{i}" for i, q in enumerate(questions)]
    split = GroupKFold(n_splits=k).split(np.zeros(len(questions)), groups=groups)
    return [sorted(int(i) for i in test) for _train, test in split]


def file_folds(files: list[str]) -> list[list[int]]:
    """One fold per dev file (each file is one writer): leave-one-file-out, in the files' order."""
    order = list(dict.fromkeys(files))
    return [[i for i, f in enumerate(files) if f == name] for name in order]


# ---------------------------------------------------------------- one fit
@dataclass
class Space:
    """Which values each fitted number may take (a variant of the ablation fixes some of them)."""

    dense_weight: tuple = GRID["dense_weight"]
    title_weight: tuple = GRID["title_weight"]
    page_weight: tuple = GRID["page_weight"]
    title_sim_weight: tuple = GRID["title_sim_weight"]
    sentence_weight: tuple = GRID["sentence_weight"]
    hub_weight: tuple = GRID["hub_weight"]
    contrast_weight: tuple = GRID["contrast_weight"]
    breadth_weight: tuple = GRID["breadth_weight"]
    merge_rank: tuple = GRID["merge_rank"]
    week_prior: tuple = GRID["week_prior"]
    earlier_prior: tuple = GRID["earlier_prior"]
    threshold: tuple = GRID["threshold"]
    widen_margin: tuple = GRID["widen_margin"]
    evidence_share: tuple = GRID["evidence_share"]
    evidence_kinds: tuple = GRID["evidence_kinds"]
    cooccur_share: tuple = GRID["cooccur_share"]
    normalise: bool = True


def signals_of(r: Retrieval) -> list[float]:
    """A retrieval's abstention signals (`vectorstore.ranking.Signals`), which every search of an index sets."""
    if r.signals is None:
        raise ValueError(f"the search for {r.query!r} returned no signals: is the index empty?")
    return r.signals


class Fitter:
    """Runs questions through the harness's retriever under many calibrations, remembering what it has run."""

    def __init__(self, harness: Harness, questions: list[dict], offtopic: list[dict], k: int = 5, *,
                 page_grouped: bool = False, balanced_pages: bool = False):
        self.h, self.questions, self.offtopic, self.k = harness, questions, offtopic, k
        # `balanced_pages`: each question weighs 1 / (questions sharing its gold page) in the MRR the retrieval
        # weights are fitted by, so a page gold for dozens of dev questions counts like one asked once; it implies
        # `page_grouped` folds (`page_folds`), the estimate that fits that objective
        self.sharers = page_sharers(questions)
        self.page_grouped, self.balanced = page_grouped or balanced_pages, balanced_pages
        self.weight = [1.0 / s if balanced_pages and s else 1.0 for s in self.sharers]
        self._searches: dict[tuple[Calibration, int, int, bool], Retrieval] = {}
        # questions the plan route answers from the roadmap are never searched: they don't fit retrieval
        self.planned = {i for i, q in enumerate(questions) if harness.planned(q["question"], q.get("week"))}

    def search(self, cal: Calibration, i: int, *, top_k: int, scope_week: bool = True) -> Retrieval:
        key = (cal, i, top_k, scope_week)
        if key not in self._searches:
            q = self.questions[i]
            self._searches[key] = self.h.retriever.search(q["question"], week=q.get("week") if scope_week else None,
                                                          top_k=top_k, scope_week=scope_week, calibration=cal)
        return self._searches[key]

    def folds(self, k: int) -> list[list[int]]:
        """The cross-validation folds: grouped by gold page (`page_folds`) or stratified by kind (`folds`)."""
        return page_folds(self.questions, k) if self.page_grouped else folds(self.questions, k)

    def mean(self, values: dict[int, float]) -> float:
        """The objective's mean of per-question values: weighted by `self.weight` (1 each unless balanced)."""
        return float(np.average(list(values.values()), weights=[self.weight[i] for i in values]))

    def mrr(self, cal: Calibration, idx: list[int]) -> float:
        gold = [i for i in idx if self.questions[i].get("gold_urls")]
        return self.mean({i: score_ranking([h.url for h in self.search(cal, i, top_k=10).hits],
                                           self.questions[i]["gold_urls"], self.k)["mrr@10"] for i in gold})

    @staticmethod
    def share(r: Retrieval) -> float:
        """The answer-type evidence of a retrieval's hits (`Retrieval.evidence`; 1.0 when it was not checked)."""
        return 1.0 if r.evidence is None else r.evidence

    def decisions(self, cal: Calibration, idx: list[int], gates: list[tuple[float, tuple]]) -> list[tuple]:
        """For each evidence gate (share, kinds): (recall of abstaining on unanswerable, share of answerable that
        abstain, MRR@5) on these questions, searched once with the gate off and gated after."""
        runs = [(self.search(cal, i, top_k=self.k), self.questions[i]) for i in idx]
        out = []
        for e, kinds in gates:
            abstained = [(not r.grounded or (e > 0 and r.kind in kinds and self.share(r) < e),
                          q.get("kind") == "unanswerable") for r, q in runs]
            unans = [a for a, u in abstained if u]
            ans = [a for a, u in abstained if not u]
            mrr = [score_ranking([h.url for h in r.hits], q["gold_urls"], self.k)["mrr@10"]
                   for r, q in runs if q.get("gold_urls")]
            out.append((float(np.mean(unans)) if unans else 0.0, float(np.mean(ans)) if ans else 0.0,
                        float(np.mean(mrr)) if mrr else 0.0))
        return out

    def fit_retrieval(self, idx: list[int], space: Space) -> tuple[Calibration, str]:
        """Step 1: the retrieval weights by MRR@10 on these questions (ties: the earlier, simpler value), with
        the abstention numbers left as shipped; and what was chosen, for the log. The fusion, title-field and
        page-support weights are searched together, then the title-similarity rerank weight and the best-sentence
        share together on top of them (one grid of all five would multiply its cost)."""
        idx = [i for i in idx if i not in self.planned]
        # the weights before the week prior are fitted under the widening switch (where `merge_rank` acts), the
        # prior last on top of them
        base = DEFAULT.with_(normalise=space.normalise, evidence_share=0.0, week_prior=0.0, earlier_prior=0.0)
        best = max(itertools.product(space.dense_weight, space.title_weight, space.page_weight),
                   key=lambda p: round(self.mrr(base.with_(dense_weight=p[0], title_weight=p[1], page_weight=p[2]),
                                                idx), 4))
        cal = base.with_(dense_weight=best[0], title_weight=best[1], page_weight=best[2])
        rerank = max(itertools.product(space.title_sim_weight, space.sentence_weight),
                     key=lambda w: round(self.mrr(cal.with_(title_sim_weight=w[0], sentence_weight=w[1]), idx), 4))
        cal = cal.with_(title_sim_weight=rerank[0], sentence_weight=rerank[1])
        merge = max(space.merge_rank, key=lambda m: round(self.mrr(cal.with_(merge_rank=m), idx), 4))
        cal = cal.with_(merge_rank=merge)
        hub = max(space.hub_weight, key=lambda w: round(self.mrr(cal.with_(hub_weight=w), idx), 4))
        cal = cal.with_(hub_weight=hub)
        sibling = max(itertools.product(space.contrast_weight, space.breadth_weight),
                      key=lambda w: round(self.mrr(cal.with_(contrast_weight=w[0], breadth_weight=w[1]), idx), 4))
        cal = cal.with_(contrast_weight=sibling[0], breadth_weight=sibling[1])
        cal = fit_week_prior(self, idx, cal, space)
        return cal, (f"dense {best[0]}, title {best[1]}, page {best[2]}, title similarity {rerank[0]}, "
                     f"best sentence {rerank[1]}, merge rank {merge}, hub {hub}, contrast {sibling[0]}, "
                     f"breadth {sibling[1]}, week prior {cal.week_prior}/{cal.earlier_prior}")

    def fit(self, idx: list[int], space: Space, log: Callable[[str], None] = lambda _m: None) -> Calibration:
        idx = [i for i in idx if i not in self.planned]
        # 1. retrieval weights, by MRR
        cal, chosen = self.fit_retrieval(idx, space)
        log(f"  retrieval: {chosen}")
        # 2. the abstention model on whole-index signals
        rows = [(signals_of(self.search(cal, i, top_k=self.k, scope_week=False)), self.questions[i].get("kind"))
                for i in idx]
        x = np.array([s for s, _k in rows], dtype=float)
        y = np.array([k != "unanswerable" for _s, k in rows], dtype=float)
        w, b = fit_logistic(x, y)
        cal = cal.with_(weights=tuple(round(float(v), 4) for v in w), bias=round(b, 4))
        # 3. widening (its threshold and margin: hit@k of the questions asked in a week), then the threshold and
        # evidence gate (`fit_decisions`, pooled: most abstentions within the budget) on the searches it leaves
        files = [""] * len(self.questions)
        cal = fit_widening(widening_rows(self, files, cal, idx, space.widen_margin), cal)
        decided = decision_rows(self, files, cal, idx)
        cal = fit_cooccur(decided, fit_decisions(decided, cal, "pooled", space), space.cooccur_share)
        log(f"  decisions: widen below {cal.widen_threshold} or by {cal.widen_margin}, threshold {cal.threshold}, "
            f"evidence {cal.evidence_share} on {', '.join(cal.evidence_kinds)}, co-occurrence {cal.cooccur_share}, "
            f"origin {cal.origin_share}")
        return cal.with_(suggest_min=self.fit_closeness(cal, idx))

    def fit_closeness(self, cal: Calibration, idx: list[int]) -> float:
        """The best-cosine cut that best tells the (on-topic) dev questions from the off-topic ones, balanced."""
        if not self.offtopic:
            return 0.0
        near = [signals_of(self.search(cal, i, top_k=self.k, scope_week=False))[0] for i in idx]
        far = [signals_of(self.h.retriever.search(q["question"], top_k=self.k, calibration=cal))[0]
               for q in self.offtopic]
        cuts = sorted(set(near) | set(far))
        score = lambda c: np.mean([v >= c for v in near]) + np.mean([v < c for v in far])  # noqa: E731
        best = max(cuts, key=score)
        lower = max((v for v in far if v < best), default=best)  # the middle of the gap, not its edge
        return round((best + lower) / 2, 4)

    def heldout(self, cal: Calibration, idx: list[int]) -> list[dict]:
        """The held-out questions run through the retriever and the answerer with this calibration."""
        qs = [self.questions[i] for i in idx]
        return self.h.run(qs, self.k, calibration=cal)


def cross_validate(fitter: Fitter, space: Space, k: int, log: Callable[[str], None]) -> tuple[list[dict], list]:
    """Held-out rows of every fold (fitted on the other folds), and the calibrations fitted."""
    rows, fitted = [], []
    for n, test in enumerate(fitter.folds(k)):
        train = [i for i in range(len(fitter.questions)) if i not in set(test)]
        log(f"fold {n + 1}/{k}: fitting on {len(train)}, measuring {len(test)}")
        cal = fitter.fit(train, space, log)
        fitted.append(cal)
        rows += fitter.heldout(cal, test)
    return rows, fitted


def retrieval_cross_validate(fitter: Fitter, space: Space, k: int, log: Callable[[str], None]) -> tuple[dict, list]:
    """Step 1 alone, cross-validated: the retrieval weights fitted on k-1 folds by MRR@10, the held-out fold's
    searched questions with gold URLs ranked with them (hit@1, hit@k, MRR@10, nDCG@10, pooled); and the fitted
    calibrations. Much cheaper than `cross_validate` (no abstention fit, no answers), for comparing retrieval
    changes on a larger dev set."""
    scores: dict[int, dict[str, float]] = {}
    fitted = []
    for n, test in enumerate(fitter.folds(k)):
        train = [i for i in range(len(fitter.questions)) if i not in set(test)]
        cal, chosen = fitter.fit_retrieval(train, space)
        log(f"fold {n + 1}/{k}: {chosen}")
        fitted.append(cal)
        for i in test:
            q = fitter.questions[i]
            if i in fitter.planned or not q.get("gold_urls"):
                continue
            urls = [h.url for h in fitter.search(cal, i, top_k=10).hits]
            scores[i] = score_ranking(urls, q["gold_urls"], fitter.k)
    return _pooled(scores, fitter.sharers), fitted


METRICS = ("hit@1", "hit@k", "mrr@10", "ndcg@10")


def _pooled(scores: dict[int, dict[str, float]], sharers: list[int]) -> dict:
    """The mean ranking figures of these questions' scores (by question index), how many there were, and the same
    split by how popular each question's gold page is (`page_sharers`): "rare" (gold for at most `RARE_OTHERS` other
    questions) and "popular" (the rest)."""
    def mean(some: list[dict[str, float]]) -> dict:
        return {**{m: float(np.mean([s[m] for s in some])) if some else None for m in METRICS}, "questions": len(some)}

    rare = [s for i, s in scores.items() if sharers[i] - 1 <= RARE_OTHERS]
    popular = [s for i, s in scores.items() if sharers[i] - 1 > RARE_OTHERS]
    return {**mean(list(scores.values())), "rare": mean(rare), "popular": mean(popular)}


ONE_WEIGHT = ("dense_weight", "title_weight", "page_weight", "title_sim_weight", "sentence_weight", "hub_weight",
              "merge_rank", "contrast_weight", "breadth_weight")  # what `--one-weight` can cross-validate


def one_weight_cross_validate(fitter: Fitter, name: str | tuple[str, ...], base: Calibration,
                              k: int, by: list[list[int]] | None = None) -> tuple[dict, dict, list]:
    """One retrieval weight alone, or several jointly (a tuple of names: every combination of their grids): every
    value run once on the searched questions with gold URLs (everything else as `base`); each fold takes the value
    with the best MRR@10 on the other folds and is scored with it. Returns the pooled held-out figures, each value's
    figures on all of them (with "objective": the fit's MRR@10 on all, page-balanced when the fitter is), and
    the values chosen (a weight's value, or a tuple of values for several). `by`: these folds instead of the
    fitter's k (`file_folds`: leave one dev file out)."""
    names = (name,) if isinstance(name, str) else name
    grid = list(itertools.product(*(GRID[n] for n in names)))  # each a tuple of values, one per name
    gold = [i for i, q in enumerate(fitter.questions) if i not in fitter.planned and q.get("gold_urls")]
    per = {v: {i: score_ranking([h.url for h in fitter.search(base.with_(**dict(zip(names, v, strict=True))), i,
                                                              top_k=10).hits],
                                fitter.questions[i]["gold_urls"], fitter.k) for i in gold} for v in grid}
    scores: dict[int, dict[str, float]] = {}
    chosen = []
    for test in by if by is not None else fitter.folds(k):
        held = set(test)
        if not held & set(gold):  # a file without searched gold questions (the near misses) scores nothing
            continue
        best = max(grid, key=lambda v: round(fitter.mean({i: per[v][i]["mrr@10"] for i in gold if i not in held}), 4))
        chosen.append(best)
        scores |= {i: per[best][i] for i in gold if i in held}
    one = (lambda v: v[0]) if isinstance(name, str) else (lambda v: v)  # a single weight's values are plain numbers
    each = {one(v): {**_pooled(per[v], fitter.sharers),
                     "objective": fitter.mean({i: per[v][i]["mrr@10"] for i in gold})} for v in grid}
    return (_pooled(scores, fitter.sharers), each,
            [one(v) for v in chosen])


# ---------------------------------------------------------------- transfer to a new writer: leave one file out
@dataclass(frozen=True)
class Decision:
    """One searched question's abstention inputs, the retrieval fixed at one calibration: which file (writer) it
    comes from, whether it is unanswerable, the chosen scope's signals, the asked kind (the group it is evidence-checked
    in: `question_asks.checked_as`) and the evidence share its hits give for it (None: nothing to check), and whether
    it names something no page mentions (always refused)."""

    file: str
    unanswerable: bool
    signals: tuple[float, ...]
    kind: str
    share: float | None
    mention: bool


def decision_rows(fitter: Fitter, files: list[str], base: Calibration, idx: list[int] | None = None
                  ) -> list[Decision]:
    """Every searched question's `Decision` under `base` (of the questions `idx`, default all; one search each; the
    plan route's questions are left out, the calibration never decides them). The threshold and evidence gate don't
    move the scope (widening has its own threshold), so the hits stay as `base` chose them."""
    from vectorstore.passage_facts import support
    from vectorstore.question_asks import checked_as

    idf = fitter.h.retriever.loaded().lexical.idf
    out = []
    for i in range(len(fitter.questions)) if idx is None else idx:
        q = fitter.questions[i]
        if i in fitter.planned:
            continue
        r = fitter.search(base, i, top_k=fitter.k)
        kind, share = support(r.query or q["question"], [h.text for h in r.hits], idf)
        out.append(Decision(files[i], q.get("kind") == "unanswerable", tuple(signals_of(r)),
                            checked_as(r.query or q["question"], kind), share,
                            bool(r.unknown)))
    return out


def _confidence(rows: list[Decision], cal: Calibration) -> np.ndarray:
    """The abstention model's confidence for each row (`vectorstore.ranking.confidence`, as the retriever scores)."""
    from vectorstore.ranking import Signals, confidence

    return np.array([confidence(Signals(*d.signals), cal) for d in rows])


def _gated(rows: list[Decision], cal: Calibration) -> np.ndarray:
    """Which questions `cal`'s evidence check (`Calibration.lacks_evidence`, as the retriever decides) or an unknown
    name refuses, whatever their confidence."""
    return np.array([d.mention or cal.lacks_evidence(d.kind, d.share) for d in rows], dtype=bool)


def abstains(rows: list[Decision], cal: Calibration) -> np.ndarray:
    """Which of these questions abstain under `cal`'s abstention model, threshold and evidence check."""
    return np.asarray((_confidence(rows, cal) < cal.threshold) | _gated(rows, cal))


def _rates(unanswerable: np.ndarray, abstained: np.ndarray) -> tuple[float | None, float | None]:
    return (float(abstained[unanswerable].mean()) if unanswerable.any() else None,
            float(abstained[~unanswerable].mean()) if (~unanswerable).any() else None)


def rates(rows: list[Decision], abstained: np.ndarray) -> tuple[float | None, float | None]:
    """(share of the unanswerable that abstain, share of the answerable that abstain); None for a side with none."""
    return _rates(np.array([d.unanswerable for d in rows], dtype=bool), abstained)


def per_file(rows: list[Decision], abstained: np.ndarray) -> dict[str, tuple[float | None, float | None]]:
    """Each file's `rates`."""
    un = np.array([d.unanswerable for d in rows], dtype=bool)
    where = np.array([d.file for d in rows])
    return {f: _rates(un[where == f], abstained[where == f]) for f in sorted(set(where.tolist()))}


def _outcome(r: tuple[float | None, float | None], budget: float) -> float:
    """One file's balanced outcome: unanswerable that abstain minus answerable that abstain, the latter weighed
    double past the budget (a file with one side only counts that side)."""
    recall, wrong = r
    over = 0.0 if wrong is None else wrong + max(0.0, wrong - budget)
    return (0.0 if recall is None else recall) - over


RULES = ("pooled", "mean-file", "worst-file")  # how the decisions are chosen on the training files


def fit_decisions(rows: list[Decision], base: Calibration, rule: str, space: Space,
                  budget: float = MAX_ANSWERABLE_ABSTAIN) -> Calibration:
    """The threshold and evidence gate (share, kinds) for the abstention model already in `base`, chosen on these
    rows by `rule`: "pooled" (most unanswerable abstaining, pooled, with at most `budget` of the answerable; the
    rule `Fitter.fit` uses), "mean-file" (the best mean over files of `_outcome`) or "worst-file" (the best worst
    file's `_outcome`). Ties: the lower evidence share, then the lower threshold."""
    gates = [(0.0, base.evidence_kinds)] + [(e, k) for e in space.evidence_share if e for k in space.evidence_kinds]
    conf = _confidence(rows, base)
    best, best_key = base, None
    for e, kinds in gates:
        gated = _gated(rows, base.with_(evidence_share=e, evidence_kinds=kinds))
        for t in space.threshold:
            a = (conf < t) | gated
            if rule == "pooled":
                recall, wrong = rates(rows, a)
                ok = (wrong or 0.0) <= budget
                score: tuple[bool, float] = (ok, (recall or 0.0) if ok else -(wrong or 0.0))
            else:
                outcomes = [_outcome(r, budget) for r in per_file(rows, a).values()]
                score = (True, float(np.mean(outcomes) if rule == "mean-file" else min(outcomes)))
            key = (*score, -e, -t)
            if best_key is None or key > best_key:
                best, best_key = base.with_(threshold=t, evidence_share=e, evidence_kinds=kinds), key
    return best


def fit_cooccur(rows: list[Decision], base: Calibration, grid: tuple[float, ...] = COOCCUR_SHARES,
                cost: float = MAX_COOCCUR_COST, price: float = COOCCUR_PRICE) -> Calibration:
    """The co-occurrence shares (`Calibration.cooccur_share`, `origin_share`) for the decisions already in `base`:
    of the pairs of values in `grid`, the one with the most unanswerable questions of these rows newly abstaining
    less `price` times the answerable ones newly abstaining, among those raising the answerable abstaining by at
    most `cost` over both checks off (ties: the lower shares; 0.0 when none gains)."""
    off = base.with_(cooccur_share=0.0, origin_share=0.0)
    below = _confidence(rows, off) < off.threshold
    un = np.array([d.unanswerable for d in rows], dtype=bool)
    before = below | _gated(rows, off)
    best, best_key = off, None
    values = sorted(set(grid) | {0.0})
    for shares in itertools.product(values, values):
        cal = off.with_(cooccur_share=shares[0], origin_share=shares[1])
        new = (below | _gated(rows, cal)) & ~before
        lost = int((new & ~un).sum())
        if (~un).any() and lost / int((~un).sum()) > cost + 1e-9:
            continue
        key = (int((new & un).sum()) - price * lost, -sum(shares), -shares[0])
        if best_key is None or key > best_key:
            best, best_key = cal, key
    return best


def cooccur_report(fitter: Fitter, files: list[str], log: Callable[[str], None]) -> tuple[str, Calibration]:
    """`--cooccur`: leave-one-file-out CV of the co-occurrence share (`fit_cooccur`), every other number as the
    index's calibration: each file's unanswerable and answerable abstaining with the check off and fitted on the
    other files; a markdown table, and the calibration with the share fitted on every file."""
    base = fitter.h.retriever.calibration.with_(cooccur_share=0.0, origin_share=0.0)
    rows = decision_rows(fitter, files, base)
    log(f"{len(rows)} searched questions in {len({d.file for d in rows})} files")
    per, fitted = leave_one_file_out(rows, lambda train: fit_cooccur(train, base))
    base_abstains = abstains(rows, base)
    off = per_file(rows, base_abstains)
    un = np.array([d.unanswerable for d in rows], dtype=bool)
    lines = ["| file left out (dev) | unanswerable abstain: off -> fitted | answerable abstain: off -> fitted | "
             "shares fitted on the others (co-occurrence / origin) |", "|---|---|---|---|"]
    gained = lost = 0
    for f in sorted(per):
        held = np.array([d.file == f for d in rows])
        a_off, a_fit = base_abstains[held], abstains([d for d in rows if d.file == f], fitted[f])
        gained += int((a_fit & ~a_off & un[held]).sum()) - int((a_off & ~a_fit & un[held]).sum())
        lost += int((a_fit & ~a_off & ~un[held]).sum()) - int((a_off & ~a_fit & ~un[held]).sum())
        lines.append(f"| {f} | {_pct(off[f][0])} -> {_pct(per[f][0])} | {_pct(off[f][1])} -> {_pct(per[f][1])} | "
                     f"{fitted[f].cooccur_share} / {fitted[f].origin_share} |")
    final = fit_cooccur(rows, base)
    pooled_off, pooled_fit = rates(rows, base_abstains), rates(rows, abstains(rows, final))
    lines += ["", f"leave-one-file-out, summed over the {len(per)} files: unanswerable refused {gained:+d}, "
              f"answerable refused {lost:+d}",
              f"fitted on every file (in-sample): cooccur_share {final.cooccur_share}, origin_share "
              f"{final.origin_share}: unanswerable abstain "
              f"{_pct(pooled_off[0])} -> {_pct(pooled_fit[0])}, answerable {_pct(pooled_off[1])} -> "
              f"{_pct(pooled_fit[1])}"]
    return "\n".join(lines) + "\n", final


def fit_abstention(rows: list[Decision], base: Calibration, rule: str, space: Space,
                   used: tuple[int, ...] = (0, 1, 2, 3, 4), budget: float = MAX_ANSWERABLE_ABSTAIN) -> Calibration:
    """The class-balanced non-negative logistic over the signals `used` (the others weigh 0), then the decisions by
    `rule` (`fit_decisions`)."""
    x = np.array([[d.signals[j] for j in used] for d in rows], dtype=float)
    y = np.array([not d.unanswerable for d in rows], dtype=float)
    w, b = fit_logistic(x, y)
    weights = [0.0] * len(rows[0].signals)
    for j, v in zip(used, w, strict=True):
        weights[j] = round(float(v), 4)
    return fit_decisions(rows, base.with_(weights=tuple(weights), bias=round(b, 4)), rule, space, budget)


def leave_one_file_out(rows: list[Decision], fit: Callable[[list[Decision]], Calibration]
                       ) -> tuple[dict[str, tuple[float | None, float | None]], dict[str, Calibration]]:
    """Each file's rates under the calibration `fit` made from the other files (each file is one writer or
    round: the estimate of how the abstention decision transfers to a new writer), and those calibrations."""
    out, fitted = {}, {}
    for f in sorted({d.file for d in rows}):
        cal = fit([d for d in rows if d.file != f])
        held = [d for d in rows if d.file == f]
        out[f], fitted[f] = rates(held, abstains(held, cal)), cal
    return out, fitted


# ---------------------------------------------------------------- widening: its own threshold
NEVER, ALWAYS = -1.0, 2.0  # widen thresholds no fit reaches: stay whenever allowed / widen whenever allowed


@dataclass(frozen=True)
class Widening:
    """One question asked in a week, searched twice under one widening margin: staying in the week whenever the
    margin allows (`NEVER` widen threshold) and widening whenever the whole index fits better (`ALWAYS`). Under a
    widen threshold t the retriever gives the first when the week's fit is at least t, else the second, so these
    two searches decide every t. `hit` and `grounded` are (staying, widening); `hit` is None without gold URLs."""

    file: str
    kind: str
    fit: float
    hit: tuple[bool, bool] | None
    grounded: tuple[bool, bool]
    widened: tuple[bool, bool]


def widening_rows(fitter: Fitter, files: list[str], base: Calibration, idx: list[int] | None = None,
                  margins: tuple[float, ...] = WIDEN_MARGINS) -> dict[float, list[Widening]]:
    """For each widening margin, the `Widening` of every searched question asked in a week (of `idx`, default all)."""
    out: dict[float, list[Widening]] = {}
    for m in margins:
        rows = []
        for i in range(len(fitter.questions)) if idx is None else idx:
            q = fitter.questions[i]
            if i in fitter.planned or q.get("week") is None:
                continue
            stay, wide = (fitter.search(base.with_(widen_margin=m, widen_threshold=t), i, top_k=fitter.k)
                          for t in (NEVER, ALWAYS))
            hit = None
            if q.get("gold_urls"):
                hit = (_hit(stay, q["gold_urls"], fitter.k), _hit(wide, q["gold_urls"], fitter.k))
            rows.append(Widening(files[i], q.get("kind", "answerable"), stay.week_fit if stay.week_fit is not None
                                 else 0.0, hit, (stay.grounded, wide.grounded), (stay.widened, wide.widened)))
        out[m] = rows
    return out


# ---------------------------------------------------------------- the soft week prior
def week_priors(space: Space) -> list[tuple[float, float]]:
    """The (week_prior, earlier_prior) pairs to try: off (the hard widening switch), and every pair with a prior."""
    return [(0.0, 0.0)] + [(w, e) for w in space.week_prior if w > 0 for e in space.earlier_prior]


def fit_week_prior(fitter: Fitter, idx: list[int], base: Calibration, space: Space | None = None) -> Calibration:
    """The soft week prior (`Calibration.week_prior`, `earlier_prior`) with the best MRR@10 over these questions
    asked in a week with gold URLs, in-week and cross-week alike (the others rank the same under any prior); ties:
    off, then the smaller prior. The one fit `Fitter.fit` and `--week-prior` use."""
    asked = [i for i in idx if i not in fitter.planned and fitter.questions[i].get("week") is not None
             and fitter.questions[i].get("gold_urls")]
    if not asked:
        return base
    best = max(week_priors(space or Space()),
               key=lambda p: (round(fitter.mrr(base.with_(week_prior=p[0], earlier_prior=p[1]), asked), 4),
                              -p[0], -p[1]))
    return base.with_(week_prior=best[0], earlier_prior=best[1])


def _ranking(fitter: Fitter, cal: Calibration, i: int) -> dict[str, float]:
    q = fitter.questions[i]
    return score_ranking([h.url for h in fitter.search(cal, i, top_k=10).hits], q["gold_urls"], fitter.k)


def _prior_line(name: str, fitter: Fitter, chosen: dict[int, Calibration], abstention: bool = True) -> str:
    """One table row: ranking of the in-week and cross-week questions, and (with `abstention`) abstention, each
    question searched with its own calibration (`chosen`: question -> calibration)."""
    qs = fitter.questions
    scored = {i: _ranking(fitter, cal, i) for i, cal in chosen.items() if qs[i].get("gold_urls")}
    cells = []
    for kinds in (("answerable", "cross_week"), ("answerable",), ("cross_week",)):
        some = [r for i, r in scored.items() if qs[i].get("kind", "answerable") in kinds]
        means = [_fmt(float(np.mean([r[m] for r in some])) if some else None) for m in ("hit@1", "hit@k", "mrr@10")]
        cells += [f"{means[0]} ({len(some)})", *means[1:]]
    abstained = {i: not fitter.search(cal, i, top_k=fitter.k).grounded for i, cal in chosen.items() if abstention}
    for unanswerable in (True, False):
        flags = [a for i, a in abstained.items() if (qs[i].get("kind") == "unanswerable") == unanswerable]
        cells.append(_fmt(float(np.mean(flags)) if flags else None))
    return f"| {name} | " + " | ".join(cells) + " |"


def week_prior_report(fitter: Fitter, files: list[str], log: Callable[[str], None],
                      space: Space | None = None) -> tuple[str, Calibration]:
    """`--week-prior`: leave-one-file-out CV of the soft week prior, every other number as the index's calibration;
    a markdown table (the served calibration, the CV's held-out files pooled, every prior in-sample), each file's
    held-out MRR@10 against the served one, and the prior fitted on every file."""
    space = space or Space()
    base = fitter.h.retriever.calibration.with_(week_prior=0.0, earlier_prior=0.0)
    asked = [i for i in range(len(fitter.questions))
             if i not in fitter.planned and fitter.questions[i].get("week") is not None]
    log(f"{len(asked)} searched questions asked in a week")
    held: dict[int, Calibration] = {}
    per_file = []
    for f in sorted({files[i] for i in asked}):
        out = [i for i in asked if files[i] == f]
        cal = fit_week_prior(fitter, [i for i in asked if files[i] != f], base, space)
        held.update(dict.fromkeys(out, cal))
        gold = [i for i in out if fitter.questions[i].get("gold_urls")]
        before, after = (float(np.mean([_ranking(fitter, c, i)["mrr@10"] for i in gold])) if gold else 0.0
                         for c in (base, cal))
        per_file.append(f"{f}: {cal.week_prior:g}/{cal.earlier_prior:g} MRR {before:.3f} -> {after:.3f}")
        log(f"  {per_file[-1]}")
    final = fit_week_prior(fitter, asked, base, space)
    head = ("| week prior (dev; asked in a week) | all hit@1 | all hit@5 | all MRR@10 | in-week hit@1 | "
            "in-week hit@5 | in-week MRR@10 | cross-week hit@1 | cross-week hit@5 | cross-week MRR@10 | "
            "unanswerable abstain | answerable abstain |\n|---|---|---|---|---|---|---|---|---|---|---|---|")
    lines = [head, _prior_line("served: hard widening switch (prior off)", fitter, dict.fromkeys(asked, base)),
             _prior_line("leave-one-file-out CV (held out)", fitter, held)]
    lines += [_prior_line(f"{w:g} / earlier {e:g} (in-sample)", fitter,
                          dict.fromkeys(asked, base.with_(week_prior=w, earlier_prior=e)), abstention=False)
              for w, e in week_priors(space)[1:]]  # abstention: one more search per question and prior, left out
    return ("\n".join(lines) + "\n\nchosen per file left out (week/earlier prior, held-out MRR@10 served -> CV): "
            + "; ".join(per_file) + "\n"), final


def _hit(r: Retrieval, gold: list[str], k: int) -> bool:
    return bool(score_ranking([h.url for h in r.hits], gold, k)["hit@k"])


def widening_outcome(rows: list[Widening], t: float) -> dict[str, float | int | None]:
    """What widen threshold t gives these rows: hit@k of the cross-week and of the in-week (other answerable)
    questions, how many of each hit, the share of each kind that widened, and abstention both ways."""
    pick = [0 if r.fit >= t else 1 for r in rows]

    def mean(values: list[bool]) -> float | None:
        return round(float(np.mean(values)), 3) if values else None

    chosen = list(zip(rows, pick, strict=True))
    cross = [(r, p) for r, p in chosen if r.kind == "cross_week"]
    inside = [(r, p) for r, p in chosen if r.kind not in ("cross_week", "unanswerable")]
    xweek = [r.hit[p] for r, p in cross if r.hit is not None]
    inweek = [r.hit[p] for r, p in inside if r.hit is not None]
    un = [not r.grounded[p] for r, p in chosen if r.kind == "unanswerable"]
    ans = [not r.grounded[p] for r, p in chosen if r.kind != "unanswerable"]
    return {"xweek_hit": mean(xweek), "inweek_hit": mean(inweek), "hits": int(sum(xweek) + sum(inweek)),
            "xweek": len(xweek), "inweek": len(inweek),
            "xweek_widened": mean([r.widened[p] for r, p in cross]),
            "inweek_widened": mean([r.widened[p] for r, p in inside]),
            "unanswerable_abstain": mean(un), "answerable_abstain": mean(ans)}


def fit_widening(by_margin: dict[float, list[Widening]], base: Calibration,
                 grid: tuple[float, ...] = WIDEN_THRESHOLDS) -> Calibration:
    """The widen threshold and margin with the best hit@k of the questions asked in a week with gold URLs, the
    cross-week and the in-week ones weighed alike (the mean of their two hit@k: how many of each a writer asks is
    no measure of how much either matters, like the class-balanced abstention logistic), so widening gains a
    cross-week question's hit only as far as it doesn't widen in-week questions into wrong weeks. Ties: the margin
    nearest the shipped one, then the threshold nearest the abstention threshold (the behaviour before widening had
    its own)."""
    def balanced(o: dict[str, float | int | None]) -> float:
        return round(float(o["xweek_hit"] or 0.0) + float(o["inweek_hit"] or 0.0), 4)

    best = max(((m, t) for m in by_margin for t in grid),
               key=lambda mt: (balanced(widening_outcome(by_margin[mt[0]], mt[1])),
                               -abs(mt[0] - DEFAULT.widen_margin), -abs(mt[1] - base.threshold)))
    return base.with_(widen_margin=best[0], widen_threshold=best[1])


def widening_report(fitter: Fitter, files: list[str], log: Callable[[str], None]) -> tuple[str, Calibration]:
    """`--widening`: leave-one-file-out CV of the widen threshold and margin, every other number as the index's
    calibration; a markdown table (the served numbers, the abstention threshold as widen threshold, the CV), and
    the widening fitted on every file."""
    base = fitter.h.retriever.calibration
    by_margin = widening_rows(fitter, files, base)
    rows = by_margin[base.widen_margin] if base.widen_margin in by_margin else next(iter(by_margin.values()))
    log(f"{len(rows)} searched questions asked in a week")
    held: dict[float, list[tuple[Widening, float]]] = {}  # margin chosen -> (row, threshold chosen) held out
    chosen = []
    for f in sorted({r.file for r in rows}):
        cal = fit_widening({m: [r for r in rs if r.file != f] for m, rs in by_margin.items()}, base)
        chosen.append(f"{f}: {cal.widen_threshold:g}/{cal.widen_margin:g}")
        for r in by_margin[cal.widen_margin]:
            if r.file == f:
                held.setdefault(cal.widen_margin, []).append((r, cal.widen_threshold))
    pooled = [_decided(r, t) for rs in held.values() for r, t in rs]
    final = fit_widening(by_margin, base)
    head = ("| widening (dev; rows asked in a week) | cross-week hit@5 | in-week hit@5 | cross-week widened | "
            "in-week widened | unanswerable abstain | answerable abstain |\n|---|---|---|---|---|---|---|")
    lines = [head]
    for name, some, t in ((f"widen below the abstention threshold {base.threshold:g}, margin {base.widen_margin:g} "
                        "(before)", rows, base.threshold),
                       (f"served: widen below {base.widen_threshold:g}, margin {base.widen_margin:g}", rows,
                        base.widen_threshold),
                       (f"fitted on all (in-sample): below {final.widen_threshold:g}, margin {final.widen_margin:g}",
                        by_margin[final.widen_margin], final.widen_threshold)):
        lines.append(_widening_line(name, widening_outcome(some, t)))
    lines.append(_widening_line("leave-one-file-out CV (held out)", widening_outcome(pooled, 0.5)))
    lines += ["", head.replace("widening (dev; rows asked in a week)",
                               f"widen threshold, margin {base.widen_margin:g} (dev, all rows, in-sample)")]
    lines += [_widening_line(f"{t:g}", widening_outcome(rows, t)) for t in WIDEN_THRESHOLDS]
    return "\n".join(lines) + f"\n\nchosen per file left out (threshold/margin): {'; '.join(chosen)}\n", final


def _decided(row: Widening, t: float) -> Widening:
    """The row with its decision under threshold t fixed (fit 1 stays at any threshold up to 1, 0 widens above 0),
    so rows decided by different thresholds pool under one."""
    return replace(row, fit=1.0 if row.fit >= t else 0.0)


def _widening_line(name: str, o: dict) -> str:
    return (f"| {name} | {_fmt(o['xweek_hit'])} ({o['xweek']}) | {_fmt(o['inweek_hit'])} ({o['inweek']}) | "
            f"{_fmt(o['xweek_widened'])} | {_fmt(o['inweek_widened'])} | {_fmt(o['unanswerable_abstain'])} | "
            f"{_fmt(o['answerable_abstain'])} |")


SIGNAL_SETS = {"all five signals": (0, 1, 2, 3, 4), "dense, gap, coverage": (0, 1, 3)}
# (rule, answerable-abstain budget) pairs `--by-file` compares: the pooled rule at the shipped budget and at the
# goal's, and the per-file rules
BY_FILE_RULES = (("pooled", MAX_ANSWERABLE_ABSTAIN), ("pooled", 0.08), ("mean-file", MAX_ANSWERABLE_ABSTAIN),
                 ("worst-file", MAX_ANSWERABLE_ABSTAIN))


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def _summary(per: dict[str, tuple[float | None, float | None]], newest: str) -> tuple[str, ...]:
    """Mean and worst over the files left out (their unanswerable and answerable sides apart), and the newest."""
    un = [r[0] for r in per.values() if r[0] is not None]
    an = [r[1] for r in per.values() if r[1] is not None]
    return (_pct(float(np.mean(un))), _pct(min(un)), _pct(float(np.mean(an))), _pct(max(an)),
            f"{_pct(per[newest][0])} / {_pct(per[newest][1])}" if newest in per else "–")


def by_file_report(fitter: Fitter, files: list[str], space: Space, log: Callable[[str], None]
                   ) -> tuple[str, dict[str, Calibration]]:
    """`--by-file`: leave-one-file-out CV of the abstention decision (logistic, threshold, evidence gate) under the
    index's retrieval calibration, for each fitting rule and signal set, and the served calibration on the same
    rows; a markdown table (one row per variant), and each variant fitted on every file."""
    base = fitter.h.retriever.calibration
    rows = decision_rows(fitter, files, base)
    newest = files[-1]
    log(f"{len(rows)} searched questions in {len({d.file for d in rows})} files")
    head = ("| abstention fit (dev, leave-one-file-out CV) | unanswerable abstain: mean / worst file | answerable "
            f"abstain: mean / worst file | {newest} left out | pooled, fitted on all (in-sample) |\n"
            "|---|---|---|---|---|")
    lines, finals = [head], {}
    served = per_file(rows, abstains(rows, base))
    s = _summary(served, newest)
    pooled = rates(rows, abstains(rows, base))
    lines.append(f"| the served calibration (fitted by random 5-fold; not held out) | {s[0]} / {s[1]} | {s[2]} / "
                 f"{s[3]} | {s[4]} | {_pct(pooled[0])} / {_pct(pooled[1])} |")
    per_variant: dict[str, dict] = {}
    for (sig_name, used), (rule, budget) in itertools.product(SIGNAL_SETS.items(), BY_FILE_RULES):
        name = f"{rule} decisions (budget {budget:.0%}), {sig_name}"
        log(f"== {name}")
        fit = lambda train, used=used, rule=rule, budget=budget: fit_abstention(  # noqa: E731
            train, base, rule, space, used, budget)
        per, _fitted = leave_one_file_out(rows, fit)
        final = fit(rows)
        finals[name] = final
        per_variant[name] = per
        s = _summary(per, newest)
        pooled = rates(rows, abstains(rows, final))
        lines.append(f"| {name} | {s[0]} / {s[1]} | {s[2]} / {s[3]} | {s[4]} | "
                     f"{_pct(pooled[0])} / {_pct(pooled[1])} |")
    detail = ["", "| file left out (dev) | served | " + " | ".join(per_variant) + " |",
              "|---" * (len(per_variant) + 2) + "|"]
    for f in sorted(served):
        detail.append(f"| {f} | {_pct(served[f][0])} / {_pct(served[f][1])} | "
                      + " | ".join(f"{_pct(p[f][0])} / {_pct(p[f][1])}" for p in per_variant.values()) + " |")
    return "\n".join(lines + detail) + "\n", finals


_PREAMBLES = ("I'm on week {week} and I want to know: {q}", "Hi! Quick question: {q}",
              "I'm working through the roadmap and I need to understand this. {q}", "{q} Thanks in advance!",
              "I'm studying week {week} now, and can you tell me {q_}", "{q}")


def learner_phrased(questions: list[dict]) -> list[dict]:
    """The questions wrapped in generic learner boilerplate (greetings, "I'm on week N and ...", thanks), one
    preamble after another: a dev variant that measures query normalisation (the dev questions carry none)."""
    out = []
    for n, q in enumerate(questions):
        text, week = q["question"], q.get("week")
        options = [p for p in _PREAMBLES if week is not None or "{week}" not in p]
        preamble = options[n % len(options)]
        out.append({**q, "question": preamble.format(q=text, q_=text[:1].lower() + text[1:], week=week)})
    return out


_ALL_OFF = Space(title_weight=(0.0,), page_weight=(0.0,), evidence_share=(0.0,), normalise=False,
                 title_sim_weight=(0.0,), sentence_weight=(0.0,), merge_rank=(0,), hub_weight=(0.0,),
                 contrast_weight=(0.0,), breadth_weight=(0.0,))


def _only(*kept: str) -> Space:
    """A variant with every retrieval change off (its weight fixed at 0) but the `kept` ones (searched as usual)."""
    return replace(_ALL_OFF, **{name: getattr(Space(), name) for name in kept})


VARIANTS = {  # the ablation: each retrieval change alone and together, all other numbers fitted as usual
    "none of the changes": _only(),
    "+ BM25 title/section field": _only("title_weight"),
    "+ page support": _only("page_weight"),
    "+ title-similarity rerank": _only("title_sim_weight"),
    "+ best sentence in the dense score": _only("sentence_weight"),
    "+ query normalisation": _only("normalise"),
    "+ answer-type evidence check": _only("evidence_share"),
    "+ another week's best page kept": _only("merge_rank"),
    "+ hub demotion (link graph)": _only("hub_weight"),
    "+ sibling contrast and page breadth": _only("contrast_weight", "breadth_weight"),
    "all but the best sentence": Space(sentence_weight=(0.0,)),
    "all": Space(),
}


ABLATION_COLUMNS = ("hit@k", "mrr@10", "ndcg@10", "abstain_recall", "answerable_abstain", "abstain_precision",
                    "keyfact_all", "widened_xweek")
CHOSEN = {"dense_weight": "dense", "title_weight": "title", "page_weight": "page", "title_sim_weight": "title-sim",
          "sentence_weight": "sentence", "hub_weight": "hub", "contrast_weight": "contrast",
          "breadth_weight": "breadth", "merge_rank": "merge", "threshold": "threshold",
          "evidence_share": "evidence"}  # fitted number -> its label in the table


def ablation_table(results: dict[str, dict], k: int) -> str:
    """One row per variant: its cross-validated dev figures, and the values the folds chose."""
    short = {"abstain_recall": "unanswerable abstain", "answerable_abstain": "answerable abstain",
             "abstain_precision": "abstention precision", "keyfact_all": "key facts (all)",
             "widened_xweek": "cross-week widened"}
    head = ["variant", *(short.get(m, LABELS[m].format(k=k)) for m in ABLATION_COLUMNS), "chosen per fold"]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for name, r in results.items():
        cv = r["cv"]
        chosen = "; ".join(f"{CHOSEN[c]} {'/'.join(f'{f.get(c, 0):g}' for f in r['folds'])}" for c in CHOSEN)
        lines.append(f"| {name} | " + " | ".join(_fmt(cv.get(m)) for m in ABLATION_COLUMNS) + f" | {chosen} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evaluation.calibrate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--dev", type=Path, nargs="+", default=list(DEV),
                    help=f"the dev question set (JSONL files; default: {', '.join(map(str, DEV))})")
    ap.add_argument("--offtopic", type=Path, default=OFFTOPIC,
                    help="questions on nothing the roadmap covers, for the closeness cut (JSONL; optional)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--save", action="store_true",
                    help="store the calibration fitted on the whole dev set with the index")
    ap.add_argument("--ablation", type=Path, help="cross-validate every retrieval variant and write the table here")
    ap.add_argument("--variants", nargs="+", choices=list(VARIANTS), metavar="NAME",
                    help="with --ablation: only these variants (default: all of them)")
    ap.add_argument("--retrieval-only", action="store_true",
                    help="cross-validate the retrieval weights alone (ranking figures only, per variant) "
                         "and print them")
    ap.add_argument("--one-weight", choices=ONE_WEIGHT, metavar="NAME", nargs="+",
                    help="cross-validate each of these retrieval weights alone, the others as the index's "
                         f"calibration, and print it ({', '.join(ONE_WEIGHT)})")
    ap.add_argument("--jointly", action="store_true",
                    help="with several --one-weight names: cross-validate them together over every combination "
                         "of their grids (one table)")
    ap.add_argument("--by-file", action="store_true",
                    help="leave-one-file-out CV of the abstention decision (each dev file is one writer), the "
                         "retrieval as the index's calibration; prints the table per fitting rule")
    ap.add_argument("--widening", action="store_true",
                    help="leave-one-file-out CV of the widen threshold and margin (each dev file is one writer), "
                         "every other number as the index's calibration; prints the table (with --save: stores "
                         "the index's calibration with the widening fitted on every file)")
    ap.add_argument("--week-prior", action="store_true",
                    help="leave-one-file-out CV of the soft week prior (each dev file is one writer), every other "
                         "number as the index's calibration; prints the table (with --save: stores the index's "
                         "calibration with the week prior fitted on every file)")
    ap.add_argument("--cooccur", action="store_true",
                    help="leave-one-file-out CV of the co-occurrence check's share for the kinds without a fact "
                         "pattern (each dev file is one writer), every other number as the index's calibration; "
                         "prints the table (with --save: stores the index's calibration with the share fitted on "
                         "every file)")
    ap.add_argument("--page-folds", action="store_true",
                    help="draw the CV folds grouped by gold page (GroupKFold: a held-out question's gold page is "
                         "never gold in the fit) and split the ranking figures by how popular the gold page is")
    ap.add_argument("--balanced-pages", action="store_true",
                    help="fit the retrieval weights with each question weighted 1 / (dev questions sharing its gold "
                         "page), so popular pages don't dominate (implies --page-folds)")
    ap.add_argument("--json", type=Path,
                    help="also write the fitted calibrations, the CV figures and every held-out row as JSON")
    args = ap.parse_args(argv)

    from errors import RoadmapAssistantError

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        by_path = [load_questions(path) for path in args.dev]
        questions = [q for qs in by_path for q in qs]
        # each question's file (one writer), for the leave-one-file-out commands
        files = [path.stem.replace("_questions", "") for path, qs in zip(args.dev, by_path, strict=True) for _q in qs]
        offtopic = load_questions(args.offtopic) if args.offtopic.is_file() else []
        harness = Harness.open()
        fitter = Fitter(harness, questions, offtopic, args.k, page_grouped=args.page_folds,
                        balanced_pages=args.balanced_pages)
        t0 = time.perf_counter()
        # each one-part leave-one-file-out command: its report, what it prints of the calibration fitted on every file,
        # and what `--save` replaces in the stored calibration
        parts: tuple[tuple[bool, Callable[..., tuple[str, Calibration]], Callable[[Calibration], str], str], ...] = (
            (args.widening, widening_report,
             lambda c: f"widen_threshold {c.widen_threshold}, widen_margin {c.widen_margin}", "its widening"),
            (args.week_prior, week_prior_report,
             lambda c: f"week_prior {c.week_prior}, earlier_prior {c.earlier_prior}", "its week prior"),
            (args.cooccur, cooccur_report, lambda c: "", "its co-occurrence share"))
        for asked, report, summary, part in parts:
            if not asked:
                continue
            table, cal = report(fitter, files, log)
            print(f"{len(questions)} dev questions in {len(args.dev)} files, {time.perf_counter() - t0:.0f} s")
            print(table)
            if summary(cal):
                print(f"fitted on every file: {summary(cal)}")
            if args.save:
                harness.retriever.store.save_calibration(cal.to_json())
                print(f"stored with the index (the index's calibration, {part} replaced)")
            return 0
        if args.by_file:
            table, finals = by_file_report(fitter, files, Space(), log)
            print(f"{len(questions)} dev questions in {len(args.dev)} files, {time.perf_counter() - t0:.0f} s")
            print(table)
            for name, cal in finals.items():
                print(f"fitted on every file, {name}: weights {list(cal.weights)}, bias {cal.bias}, threshold "
                      f"{cal.threshold}, evidence_share {cal.evidence_share}, "
                      f"evidence_kinds {list(cal.evidence_kinds)}")
            return 0
        if args.one_weight and args.jointly:
            return _one_weight(fitter, tuple(args.one_weight), args.folds, t0, files)
        if args.one_weight:
            return max(_one_weight(fitter, name, args.folds, t0, files) for name in args.one_weight)
        if args.retrieval_only:
            return _retrieval_only(fitter, args.variants or list(VARIANTS), args.folds, log, t0)
        results: dict[str, dict] = {}
        chosen = {n: VARIANTS[n] for n in args.variants or VARIANTS}
        runs = [(name, space, fitter) for name, space in (chosen.items() if args.ablation else [("all", Space())])]
        # query normalisation has nothing to remove from the dev questions as written: also learner-phrased
        if args.ablation and not args.variants:
            phrased = Fitter(harness, learner_phrased(questions), offtopic, args.k, page_grouped=args.page_folds,
                             balanced_pages=args.balanced_pages)
            runs += [(f"{name}, learner-phrased dev", VARIANTS[name], phrased)
                     for name in ("none of the changes", "+ query normalisation", "all")]
        for name, space, on in runs:
            log(f"== {name}")
            rows, fitted = cross_validate(on, space, args.folds, log)
            results[name] = {"cv": summarise(rows), "folds": [asdict(c) for c in fitted], "rows": rows}
        final = fitter.fit(list(range(len(questions))), Space(), log)
        status = harness.retriever.calibration_status()
        embedder, chunking = harness.retriever.index_settings()
        fitted_on = (f"{' + '.join(map(str, args.dev))} ({len(questions)} questions"
                     f"{f', {len(offtopic)} off-topic' if offtopic else ''}), "
                     f"{args.folds}-fold CV{_folds_label(fitter)} in bench/ablation.md")
        final = final.with_(embedder=embedder, chunking=chunking, fitted_on=fitted_on,
                            fitted_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        if args.save:
            harness.retriever.store.save_calibration(final.to_json())
    except (RoadmapAssistantError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    columns = {name: r["cv"] for name, r in results.items()}
    print(f"dev: {' + '.join(map(str, args.dev))}, {len(questions)} questions, {args.folds}-fold cross-validation "
          f"({time.perf_counter() - t0:.0f} s); index built with {embedder}, {chunking}; was serving the "
          f"{status['source']} calibration")
    print(markdown({f"dev CV: {n}": c for n, c in columns.items()}, args.k))
    print("fitted on the whole dev set:", json.dumps(asdict(final)))
    print("stored with the index" if args.save else "not stored (add --save to store it with the index)")
    if args.ablation:
        args.ablation.write_text(ablation_table(results, args.k), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"final": asdict(final), "results": results}, indent=1,
                                        default=lambda o: o.item() if hasattr(o, "item") else str(o)),
                             encoding="utf-8")  # numpy scalars in the rows
    return 0


def _one_weight(fitter: Fitter, name: str | tuple[str, ...], k: int, t0: float, files: list[str]) -> int:
    """`--one-weight NAME`: one markdown row per value of its grid (all questions), then the k-fold CV row and the
    leave-one-file-out row (each dev file one writer; its held-out MRR@10 per file at the served value and chosen
    printed after the table); with several names (`--jointly`), one row per combination of their values."""
    base = fitter.h.retriever.calibration
    cv, each, chosen = one_weight_cross_validate(fitter, name, base, k)
    by_file = file_folds(files)  # one file: nothing to leave out
    lofo = one_weight_cross_validate(fitter, name, base, k, by=by_file) if len(by_file) > 1 else None
    names = (name,) if isinstance(name, str) else name
    served = tuple(getattr(base, n) for n in names)

    def shown(v: float | tuple[float, ...]) -> str:
        return f"{v:g}" if isinstance(v, float | int) else "(" + ", ".join(f"{x:g}" for x in v) + ")"

    split = fitter.page_grouped  # with page-grouped folds: the figures split by how popular the gold page is
    lines = [f"| {' x '.join(names)} (dev; the other numbers: the index's calibration) | hit@1 | hit@5 | MRR@10 "
             f"| nDCG@10 |{_SPLIT_HEAD if split else ''}", "|---" * (5 + 4 * split) + "|"]
    lines += [f"| {shown(v)} on all"
              f"{' (the index serves this)' if (v if isinstance(v, tuple) else (v,)) == served else ''} | "
              + _cells(r, split) for v, r in each.items()]
    lines.append(f"| {k}-fold CV{_folds_label(fitter)}, chosen per fold {'/'.join(shown(v) for v in chosen)} | "
                 + _cells(cv, split))
    if lofo:
        lines.append(f"| leave-one-file-out CV ({len(lofo[2])} files), chosen per file "
                     f"{'/'.join(shown(v) for v in lofo[2])} | " + _cells(lofo[0], split))
    print(f"{len(fitter.questions)} dev questions ({cv['questions']} searched with gold URLs"
          f"{_split_count(cv) if split else ''}), {time.perf_counter() - t0:.0f} s")
    print("\n".join(lines))
    if lofo:
        print(_per_file(fitter, names, base, by_file, files, lofo[2], shown))
    best = max(each, key=lambda v: round(each[v]["objective"], 4))  # ties: the earlier value, as the folds choose
    print(f"fitted on all ({'page-balanced ' if fitter.balanced else ''}MRR@10 {each[best]['objective']:.4f}): "
          f"{shown(best)}")
    return 0


def _per_file(fitter: Fitter, names: tuple[str, ...], base: Calibration, by_file: list[list[int]], files: list[str],
              chosen: list, shown: Callable) -> str:
    """The leave-one-file-out table: each held-out file's MRR@10 (a plain mean, whatever the fit weighs) at the
    served value(s) and at its fold's choice."""
    served = tuple(getattr(base, n) for n in names)

    def mrr(cal: Calibration, idx: list[int]) -> float:
        return float(np.mean([score_ranking([h.url for h in fitter.search(cal, i, top_k=10).hits],
                                            fitter.questions[i]["gold_urls"], fitter.k)["mrr@10"] for i in idx]))

    lines = [f"| held-out file (dev) | MRR@10 at {shown(served if len(served) > 1 else served[0])} (served) "
             "| MRR@10 at the value its fold chose | chosen |", "|---|---|---|---|"]
    scored = [[i for i in fold if i not in fitter.planned and fitter.questions[i].get("gold_urls")]
              for fold in by_file]
    for idx, value in zip([i for i in scored if i], chosen, strict=True):  # the folds that were scored
        cal = base.with_(**dict(zip(names, value if isinstance(value, tuple) else (value,), strict=True)))
        lines.append(f"| {files[idx[0]]} ({len(idx)}) | {_fmt(mrr(base, idx))} | {_fmt(mrr(cal, idx))} "
                     f"| {shown(value)} |")
    return "\n".join(lines)


_SPLIT_HEAD = (f" rare page (<= {RARE_OTHERS} others) hit@5 | rare MRR@10 | popular page hit@5 | popular MRR@10 |")


def _cells(r: dict, split: bool) -> str:
    """A row's ranking figures as table cells (and its rare- and popular-page figures with `split`)."""
    cells = [_fmt(r[m]) for m in METRICS]
    if split:
        cells += [_fmt(r[side][m]) for side in ("rare", "popular") for m in ("hit@k", "mrr@10")]
    return " | ".join(cells) + " |"


def _split_count(r: dict) -> str:
    return (f": {r['rare']['questions']} whose gold page is gold for <= {RARE_OTHERS} other dev questions, "
            f"{r['popular']['questions']} more popular")


def _folds_label(fitter: Fitter) -> str:
    """How the folds were drawn and what the fit weighs, for a table's head."""
    if not fitter.page_grouped:
        return ""
    return (" grouped by gold page" + (", each question weighted 1 / questions sharing its gold page"
                                       if fitter.balanced else ""))


def _retrieval_only(fitter: Fitter, variants: list[str], k: int, log: Callable[[str], None], t0: float) -> int:
    """`--retrieval-only`: one markdown row per variant, the retrieval weights cross-validated alone."""
    split = fitter.page_grouped
    lines = [f"| variant (dev, k-fold CV{_folds_label(fitter)}, retrieval weights only) | hit@1 | hit@5 | MRR@10 "
             f"| nDCG@10 |{_SPLIT_HEAD if split else ''} chosen per fold |", "|---" * (6 + 4 * split) + "|"]
    for name in variants:
        log(f"== {name}")
        cv, fitted = retrieval_cross_validate(fitter, VARIANTS[name], k, log)
        chosen = "; ".join(f"{label} {'/'.join(f'{getattr(c, f):g}' for c in fitted)}" for f, label in CHOSEN.items()
                           if f.endswith("weight"))
        lines.append(f"| {name} | " + _cells(cv, split) + f" {chosen} |")
    print(f"{len(fitter.questions)} dev questions ({cv['questions']} searched with gold URLs"
          f"{_split_count(cv) if split else ''}), {k}-fold CV, {time.perf_counter() - t0:.0f} s")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
