"""The retriever's fitted numbers, which belong to the index they were fitted on.

`Calibration` holds every weight and threshold retrieval uses: the fusion weight, the BM25 title/section field
boost, how much agreeing passages of one page lift it, the abstention model (a logistic over
`vectorstore.ranking.Signals`), its threshold, the widening threshold and margin or the soft week prior, the
answer-type evidence check and the closeness a question needs before a closest week or page is named. It also
records what it was fitted with: the index's embedder and chunking, the question file, when.

It is stored with the index (`IndexStore.save_calibration`: an item of the `{prefix}-meta` collection, so it works
with a Chroma server too) and refitted with `python -m evaluation.calibrate` (see there). Without a stored one the
retriever uses `DEFAULT`, shipped here. Either way, when the calibration was fitted for another embedder or
chunking than the index it serves, `mismatch()` says so; the retriever logs it and /readyz and /metrics show it.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from errors import ConfigError
from vectorstore.passage_facts import COOCCUR_KINDS


@dataclass(frozen=True)
class Calibration:
    # Field defaults: `python -m evaluation.calibrate` on the mirror index (onnx MiniLM, heading-v1:200/24), dev =
    # eval/questions.jsonl + eval/questions_nearmiss.jsonl + eval/questions_learner.jsonl +
    # eval/questions_learner2.jsonl + eval/test_questions.jsonl + eval/test2_questions.jsonl +
    # eval/test3_questions.jsonl + eval/test4_questions.jsonl (1,253 questions; and eval/offtopic_questions.jsonl for
    # suggest_min), 2026-11-29, with its 5-fold cross-validation in bench/ablation.md. A stored calibration missing a
    # field takes the default here.
    dense_weight: float = 0.5          # fusion: share of the normalised cosine (BM25 gets the rest)
    title_weight: float = 0.0          # BM25 over title + section path, added to the body's BM25 with this weight
    page_weight: float = 0.0           # each passage gains this share of its page's best other passage
    title_sim_weight: float = 0.05     # the fused top 20 gain this times the question's cosine to their page title
    # the fused top 20 lose this times a page's hubness among them (vectorstore.links); alone, by 5-fold CV on the
    # 1,253 dev questions: 0.02 (`python -m evaluation.calibrate --one-weight hub_weight`, bench/ablation.md)
    hub_weight: float = 0.03
    # sibling pages (issue 9u): the fused top 20 gain contrast_weight times the question's IDF their title, section
    # path and file name cover with terms the other candidate pages' labels lack (ranking.contrast_feature), and
    # lose breadth_weight times log(their page's section count) (ranking.breadth_feature: a glossary or overview
    # page's subsection above the page dedicated to the subject). Fitted together by joint 5-fold CV on the 1,574 dev
    # questions, every other number as stored with the mirror index (bench/ablation.md); a stored calibration
    # without them takes these.
    contrast_weight: float = 0.3
    breadth_weight: float = 0.05
    sentence_weight: float = 0.5       # dense score: (1 - this) * chunk cosine + this * its best sentence's cosine
    normalise: bool = True             # drop learner boilerplate ("I'm on week 1 and want to ...") from the query
    # the abstention decision (issue 9x2): the logistic, its threshold and the evidence share refitted on all 11 dev
    # files (1,702 questions) with the retrieval numbers as stored with the mirror index, the rule chosen by
    # leave-one-FILE-out CV (each file one writer: `python -m evaluation.calibrate --by-file`, bench/ablation.md)
    weights: tuple[float, ...] = (3.6293, 4.1556, 0.0958, 1.5548, 0.898)  # logistic over Signals.vector(), all >= 0
    bias: float = -4.4343
    threshold: float = 0.2             # confidence at or above it: grounded
    widen_margin: float = 0.15         # widen when the whole index fits this much better than the week
    # widen when the asked week fits the question (`Retrieval.week_fit`) below this (and the whole index fits
    # better): its own number, not the abstention threshold (0.2), fitted to the mean of cross-week and in-week
    # hit@5 (`evaluation.calibrate.fit_widening`) on the 12 dev files (1,642 questions asked in a week) with every
    # other number as stored with the mirror index; 11 of 12 folds of its leave-one-file-out CV chose it
    # (`python -m evaluation.calibrate --widening`, bench/ablation.md). A stored calibration without it takes this.
    widen_threshold: float = 0.65
    merge_rank: int = 2                # in a week: the whole index's best page, another week's, placed at this rank
    # the soft week prior (issue 9w2): above 0, a question asked in a week is searched over the whole roadmap once and
    # the asked week's passages gain `week_prior` on their fused score (passages of the weeks before it, which the
    # learner has seen, gain `earlier_prior`), in place of the hard widening switch and `merge_rank`; 0: off (the
    # switch). Fitted by `evaluation.calibrate.fit_week_prior` on MRR@10 over the 14 dev files' questions asked in a
    # week (2,093 questions); all 14 folds of its leave-one-file-out CV chose 0.2 / 0.05 (`python -m
    # evaluation.calibrate --week-prior`, bench/ablation.md). A stored calibration without them takes these.
    week_prior: float = 0.2
    earlier_prior: float = 0.05
    evidence_share: float = 0.34       # answer-type check: min IDF share of key terms in the fact's sentence (0: off)
    evidence_kinds: tuple[str, ...] = ("price", "number", "duration", "date", "version", "comparison")  # checked kinds
    # the co-occurrence check (issue 9y5) for the kinds without a fact pattern to check (name, yes/no, how-to, other:
    # `vectorstore.passage_facts.COOCCUR_KINDS`): min IDF share of the key terms found together in one stretch of about
    # two sentences (`passage_facts.cooccurrence`); 0: off. `python -m evaluation.calibrate --cooccur`
    # (`fit_cooccur`: most unanswerable refused less 3 per answerable refused, within half a point of the answerable)
    # on the 14 dev files (1,963 searched questions), every other number as stored with the mirror index, fitted 0.0
    # on all of them and in every leave-one-file-out fold: no share refuses near misses without refusing more
    # answerable questions of these kinds (bench/ablation.md). A stored calibration without these takes them.
    cooccur_share: float = 0.0
    # ... and for a name asked by who made or first had something ("which company originally built X?": the group
    # "origin", `question_asks.checked_as`), whose stretch must also name something next to a making; fitted 0.4 on
    # the 14 files (leave-one-file-out: 2 more unanswerable refused, no answerable)
    origin_share: float = 0.4
    suggest_min: float = 0.3429        # best cosine a question needs before a closest week/page is named
    embedder: str = ""                 # what it was fitted with ("" : unknown)
    chunking: str = ""
    fitted_on: str = ""
    fitted_at: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        """Read a stored calibration; unknown keys are ignored, a missing key takes the default."""
        try:
            data = json.loads(text)
            known = {f.name: f for f in fields(cls)}
            values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                      for k, v in data.items() if k in known}
            cal = cls(**values)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"the stored calibration cannot be read ({exc}): "
                              "refit it with `python -m evaluation.calibrate`") from exc
        if len(cal.weights) != 5:
            raise ConfigError("the stored calibration has the wrong number of weights: "
                              "refit it with `python -m evaluation.calibrate`")
        return cal

    def mismatch(self, embedder: str, chunking: str) -> str | None:
        """Why this calibration does not fit an index built with `embedder` and `chunking` (None when it does)."""
        wrong = [f"{what} {mine!r} (the index: {theirs!r})" for what, mine, theirs in
                 (("embedder", self.embedder, embedder), ("chunking", self.chunking, chunking))
                 if mine and theirs and mine != theirs]
        if not wrong:
            return None
        return (f"the retrieval calibration was fitted with {' and '.join(wrong)}: its thresholds may not hold; "
                "refit it with `python -m evaluation.calibrate`")

    def lacks_evidence(self, kind: str, share: float | None) -> bool:
        """Whether the evidence check refuses a question of answer kind `kind` whose hits hold its key terms next
        to that kind of fact with IDF share `share` (None: nothing to check): the topic is there, the fact is not.
        For a kind without a fact to check (`COOCCUR_KINDS`) `share` is how much of them one stretch holds together,
        checked against `cooccur_share`, and for the group "origin" (`question_asks.checked_as`) against
        `origin_share` (0: never refuses)."""
        return share is not None and self.checks(kind) and share < self._share(kind)

    def checks(self, kind: str) -> bool:
        """Whether the evidence check can refuse a question of answer kind (or group) `kind` at all: when it can't,
        its share need not be computed."""
        return self._share(kind) > 0 and (kind in ("origin", *COOCCUR_KINDS) or kind in self.evidence_kinds)

    def _share(self, kind: str) -> float:
        if kind == "origin":  # a name asked by its maker or first holder, next to a making
            return self.origin_share
        if kind in COOCCUR_KINDS:  # the key terms found together, not next to a fact
            return self.cooccur_share
        return self.evidence_share

    def with_(self, **changes: Any) -> Calibration:
        return replace(self, **changes)


DEFAULT = Calibration(embedder="onnx:all-MiniLM-L6-v2", chunking="heading-v1:200/24",
                      fitted_on="eval/questions.jsonl + eval/questions_nearmiss.jsonl + eval/questions_learner.jsonl + "
                                "eval/questions_learner2.jsonl + eval/test_questions.jsonl + "
                                "eval/test2_questions.jsonl (934 questions, 24 off-topic), 5-fold CV in "
                                "bench/ablation.md",
                      fitted_at="2026-11-29T01:48:07Z")
