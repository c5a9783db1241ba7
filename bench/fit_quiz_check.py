"""Fit and measure the quiz answer check (`api.grading`) on the labelled learner answers in eval/quiz_answers.jsonl.

    python bench/fit_quiz_check.py                 # the constants in api/grading.py on dev, with a grouped CV
    python bench/fit_quiz_check.py --fit           # fit the constants on dev; its CV estimate; the lines to paste
    python bench/fit_quiz_check.py --signals similarity,coverage --fit   # an ablation: fit on these signals only
    python bench/fit_quiz_check.py --by-split      # also leave one split out: fit on the others, score it
    python bench/fit_quiz_check.py --split test17  # the lead only: score the held-out split

Each line of the file is an answer a learner might give to a question the quiz generated from the mirror's index
(`question`, its `expected` part and `quote`), labelled `correct`, `partial` or `incorrect`, with `split` dev, test,
test2 to test16 (and test17, the next round's held-out split, once written). The dev data is the splits in DEV_SPLITS
(dev, and test to test16, held out by earlier rounds and reported on). Only the lines of the splits asked for are
read and checked (dev, and the held-out one with `--split`). The signals are computed exactly as the service
computes them: the configured embedder (MiniLM, with its wordpiece vectors for the token alignment) and the idf of the
index the settings point at (`RA_DATA_DIR`).

The fit is one logistic model per boundary on the standardised signals (since issue 15n; scikit-learn's
LogisticRegression; since issue 15h, before a
proportional-odds model with one weight per signal for both): "at least partial" gives WEIGHTS and PARTIAL, "correct"
gives CORRECT_WEIGHTS and CORRECT, so that `sum(WEIGHTS[s] * signal)` is compared with PARTIAL and
`sum(CORRECT_WEIGHTS[s] * signal)` with CORRECT. Answers the check rules incorrect whatever they
score (empty, or an echo of the question) are left out of the fit. ELSEWHERE, the margin of the rule "the answer
fits another of the week's questions better", is then the candidate (0.10 to 0.50, or never) that agrees best with
the labels given the weights and thresholds (the largest among equals), and then ELSEWHERE_TERMS, the least number
of terms an answer adds to the question for that rule to read it (1 to 6, the smallest among equals; issue 15n).
The estimate of how it generalises is
grouped cross-validation on dev: each question's answers are judged with constants fitted on the other questions
(leave one question out), so no answer is judged by constants that saw its question; its agreement is also given per
split of the dev data (the former held-out test to test5 answers apart). Each split was written by
other writers, so `--by-split` also fits on the other splits and scores the one left out (leave one split out), the
dev estimate of how the check carries over to a writer it never saw. The test split is only ever
scored with constants fitted without it.
"""
from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from api import grading, quantities
from api.app import build_services
from api.metrics import Metrics
from api.study import Study
from settings import Settings
from vectorstore.embeddings import embed_tokens

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "eval" / "quiz_answers.jsonl"
RANK = {"incorrect": 0, "partial": 1, "correct": 2}
REGULARISATION = 3.0   # LogisticRegression's C (issue 15k: 3 of 0.3, 1, 3, 10 by leave-one-split-out on dev)

# WEIGHTS, CORRECT, PARTIAL, ELSEWHERE, CORRECT_WEIGHTS, ELSEWHERE_TERMS
Constants = tuple[dict[str, float], float, float, float, dict[str, float], int]
MARGINS = tuple(round(0.10 + 0.02 * i, 2) for i in range(21)) + (1.0,)   # ELSEWHERE's candidates (1.0: never)
TERMS = (1, 2, 3, 4, 5, 6)   # ELSEWHERE_TERMS' candidates (1: every answer that adds a term)


DEV_SPLITS = ("dev", "test", "test2", "test3", "test4", "test5", "test6", "test7", "test8", "test9",
              "test10", "test11", "test12", "test13", "test14", "test15", "test16")  # reported on


def load(path: Path, split: str) -> list[dict]:
    """The lines of one split ("dev": every split in DEV_SPLITS; the others are not kept)."""
    wanted = DEV_SPLITS if split == "dev" else (split,)
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return [r for r in rows if r["split"] in wanted]


def features(rows: list[dict], settings: Settings,
             wrap: Callable[[grading.TokenEmbed], grading.TokenEmbed] | None = None,
             ) -> tuple[list[grading.Features], list[float]]:
    """The signals of every answer, and the milliseconds each took (the embedder's cache starts empty, as a service
    that has not seen the question yet). The week's other answers (`elsewhere`) come from the study companion's
    question pool of the index, as the service builds it. `wrap`: given the model run that gives the texts'
    embeddings and wordpiece vectors, the one to use in its place (`bench/quiz_pair_head.py` keeps the vectors)."""
    services = build_services(settings, Metrics())
    retriever, roadmap = services.retriever, services.roadmap
    version = Study(retriever, services.store, None, settings.mirror_base, background=False).version(roadmap)
    lexical = retriever.loaded().lexical
    retriever.embedder.embed(["warm-up"])
    quantities.load()   # as the service's warm-up does
    tokens: grading.TokenEmbed = partial(embed_tokens, retriever.embedder)
    tokens = wrap(tokens) if wrap is not None else tokens
    out, ms = [], []
    for r in rows:
        week = roadmap.week(r["week"])
        rivals = version.rivals(week, r["expected"], retriever.embedder.embed) if week else None
        t = time.perf_counter()
        out.append(grading.features(r["answer"], r["question"], r["expected"], retriever.embedder.embed, lexical.idf,
                                    rivals, tokens))
        ms.append((time.perf_counter() - t) * 1000)
    return out, ms


def fit(rows: list[dict], feats: list[grading.Features], signals: tuple[str, ...]) -> Constants:
    """The logistic fit of the signals named (the others weigh 0), one per boundary: "at least partial" (WEIGHTS,
    PARTIAL) and "correct" (CORRECT_WEIGHTS, CORRECT), each with its own weights (not proportional odds: a signal
    may tell partial from incorrect answers and not correct from partial ones, as the answer's length does)."""
    scored = [(r, f) for r, f in zip(rows, feats, strict=True) if f.ruled() is None]
    x = np.array([[getattr(f, s) for s in signals] for _, f in scored])
    y = np.array([RANK[r["label"]] for r, _ in scored])

    # each signal standardised (mean 0, variance 1 on the answers fitted) before the fit, so that the L2 penalty
    # weighs every signal alike whatever its scale (issue 15n: on the raw signals it shrank the small-valued ones,
    # `length` and `replaced`, the most); the weights are then read back on the signals' own scale
    scaler = StandardScaler().fit(x)

    def boundary(target: np.ndarray) -> tuple[dict[str, float], float]:
        model = LogisticRegression(C=REGULARISATION, max_iter=1000).fit(scaler.transform(x), target)
        raw = model.coef_[0] / scaler.scale_
        weights = dict.fromkeys(grading.SIGNALS, 0.0) | {s: round(float(w), 3)
                                                          for s, w in zip(signals, raw, strict=True)}
        return weights, round(-float(model.intercept_[0] - raw @ scaler.mean_), 3)

    weights, partial = boundary(y >= 1)
    correct_weights, correct = boundary(y >= 2)
    # the margin of the "fits another question better" rule: the one that agrees best with these labels (the
    # largest among equals, the rule is then the most cautious)
    margin = max(MARGINS, key=lambda m: (agreement(rows, verdicts(feats, (weights, correct, partial, m,
                                                                           correct_weights, 1))), m))
    # then the least number of terms an answer adds for that rule to read it (issue 15n): the one that agrees best
    # given the margin (the smallest among equals, the rule then reads the most answers)
    terms = max(TERMS, key=lambda t: (agreement(rows, verdicts(feats, (weights, correct, partial, margin,
                                                                       correct_weights, t))), -t))
    return weights, correct, partial, margin, correct_weights, terms


def verdicts(feats: list[grading.Features], constants: Constants) -> list[str]:
    return [grading.verdict(f, *constants) for f in feats]


def agreement(rows: list[dict], said: list[str]) -> float:
    return sum(v == r["label"] for r, v in zip(rows, said, strict=True)) / len(rows) if rows else 0.0


def grouped_cv(rows: list[dict], feats: list[grading.Features], signals: tuple[str, ...]) -> list[str]:
    """Each answer's verdict with constants fitted on the answers to the other questions (leave one question out)."""
    said = [""] * len(rows)
    for question in {(r["id"], r["question"]) for r in rows}:
        train = [i for i, r in enumerate(rows) if (r["id"], r["question"]) != question]
        constants = fit([rows[i] for i in train], [feats[i] for i in train], signals)
        for i, r in enumerate(rows):
            if (r["id"], r["question"]) == question:
                said[i] = grading.verdict(feats[i], *constants)
    return said


def split_cv(rows: list[dict], feats: list[grading.Features], signals: tuple[str, ...]) -> list[str]:
    """Each answer's verdict with constants fitted on the other splits of the dev data (leave one split out: each
    split has its own writers, so this estimates how the check carries over to answers by a writer it never saw)."""
    said = [""] * len(rows)
    for split in {r["split"] for r in rows}:
        train = [i for i, r in enumerate(rows) if r["split"] != split]
        constants = fit([rows[i] for i in train], [feats[i] for i in train], signals)
        for i, r in enumerate(rows):
            if r["split"] == split:
                said[i] = grading.verdict(feats[i], *constants)
    return said


def confusion(rows: list[dict], said: list[str]) -> str:
    counts = Counter((r["label"], v) for r, v in zip(rows, said, strict=True))
    head = "label \\ verdict  " + "  ".join(f"{v:>9}" for v in grading.VERDICTS)
    lines = [f"{label:>15}  " + "  ".join(f"{counts[(label, v)]:>9}" for v in grading.VERDICTS)
             for label in grading.VERDICTS]
    return "\n".join([head, *lines])


def by_split(rows: list[dict], said: list[str]) -> str:
    """The agreement on each split of the dev data (all but "dev": the earlier held-out answers, by their lines'
    `split`), and on the earlier held-out splits together."""
    groups = {s: [i for i, r in enumerate(rows) if r["split"] == s] for s in DEV_SPLITS}
    groups["former held-out"] = [i for s in DEV_SPLITS if s != "dev" for i in groups.get(s, [])]
    parts = []
    for name, idx in groups.items():
        hits = sum(said[i] == rows[i]["label"] for i in idx)
        parts.append(f"{name} {hits / len(idx) if idx else 0.0:.3f} ({hits}/{len(idx)})")
    return "  by split: " + ", ".join(parts)


def show(constants: Constants) -> str:
    weights, correct, partial, elsewhere, correct_weights, terms = constants
    return (f"WEIGHTS = {weights}\nCORRECT_WEIGHTS = {correct_weights}\nCORRECT = {correct}\nPARTIAL = {partial}\n"
            f"ELSEWHERE = {elsewhere}\nELSEWHERE_TERMS = {terms}")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--split", choices=("dev", "test17"), default="dev",
                    help="the held-out split to score as well (test17: the lead only, to report)")
    ap.add_argument("--fit", action="store_true", help="fit the constants on the dev split")
    weighed = ",".join(s for s in grading.SIGNALS if grading.WEIGHTS[s] or grading.CORRECT_WEIGHTS[s])
    ap.add_argument("--signals", default=weighed,
                    help=f"the signals to fit on (default those api/grading.py weighs: {weighed}; any of "
                         f"{','.join(grading.SIGNALS)})")
    ap.add_argument("--by-split", action="store_true",
                    help="also leave each dev split out: fit on the others, score it (a new writer)")
    ap.add_argument("--errors", action="store_true", help="list the dev answers the check misjudges")
    args = ap.parse_args()
    signals = tuple(s for s in args.signals.split(",") if s)
    if unknown := set(signals) - set(grading.SIGNALS):
        ap.error(f"unknown signals {sorted(unknown)}: choose among {', '.join(grading.SIGNALS)}")
    settings = Settings()
    dev = load(args.data, "dev")
    dev_feats, ms = features(dev, settings)
    if args.fit:
        constants = fit(dev, dev_feats, signals)
        print(f"fitted on dev ({len(dev)} answers, signals {', '.join(signals)}):\n{show(constants)}")
    else:
        constants = (grading.WEIGHTS, grading.CORRECT, grading.PARTIAL, grading.ELSEWHERE, grading.CORRECT_WEIGHTS,
                     grading.ELSEWHERE_TERMS)
        print(f"api/grading.py:\n{show(constants)}")
    said = verdicts(dev_feats, constants)
    print(f"\nsignals per answer (one thread, in-process): p50 {float(np.percentile(ms, 50)):.1f} ms, "
          f"p95 {float(np.percentile(ms, 95)):.1f} ms, max {max(ms):.1f} ms")
    print(f"\ndev: {len(dev)} answers to {len({r['question'] for r in dev})} questions, "
          f"agreement {agreement(dev, said):.3f} (fitted on these)")
    print(confusion(dev, said))
    cv = grouped_cv(dev, dev_feats, signals)
    print(f"\ndev, grouped CV (leave one question out): agreement {agreement(dev, cv):.3f}")
    print(confusion(dev, cv))
    print(by_split(dev, cv))
    if args.by_split:
        loso = split_cv(dev, dev_feats, signals)
        print(f"\ndev, leave one split out (fit on the others, score it): agreement {agreement(dev, loso):.3f}")
        print(confusion(dev, loso))
        print(by_split(dev, loso))
    if args.errors:
        print("\ndev answers misjudged in the grouped CV:")
        for r, f, v in zip(dev, dev_feats, cv, strict=True):
            if v != r["label"]:
                print(f"  {r['split']:>5} {r['label']:>9} -> {v:<9} sim {f.similarity:.2f} kr {f.key_recall:.2f} "
                      f"cov {f.coverage:.2f} "
                      f"spec {f.specifics:+.0f} reason {f.reason() or '-'}  "
                      f"{r['expected'][:50]!r} <- {r['answer'][:70]!r}")
    if args.split != "dev":
        test = load(args.data, args.split)
        said = verdicts(features(test, settings)[0], constants)
        print(f"\n{args.split}: {len(test)} answers, agreement {agreement(test, said):.3f} "
              "(constants fitted on dev only)")
        print(confusion(test, said))


if __name__ == "__main__":
    main()
