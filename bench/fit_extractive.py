"""Fit the extractive picker's weights on the DEV questions, with k-fold cross-validation, and print them.

    RA_DATA_DIR=... python bench/fit_extractive.py [--qa FILE ...] [--folds 5]

`--qa` defaults to the dev set `python -m evaluation.evaluate --only dev` reads (`evaluation.evaluate.DEV`: the
dev questions, near-misses, learner-phrased questions and the two earlier held-out sets, reported on and dev since).
Only the dev set may be given here: the held-out test set is
never tuned on. Every answerable dev question with `must_contain` phrases that the real retriever answers grounded
(plan questions go to `api.plan` and are left out) gives its candidate sentences once (features with the real
MiniLM similarity, `api.extractive.Extractor`); then every combination of the grid below is scored by the key-fact
rate of the answers it would pick (the mean of "all phrases present" and "at least one present", as
`evaluation.evaluate` measures them). The cross-validated rate is the mean over folds (of `--repeats` shuffles) of
the held-out rate of the grid's combination best on the other folds (the weights in use are scored for comparison,
never chosen); the printed `WEIGHTS` are the best on all of dev, to paste into `api/extractive.py`. `--narrow`
searches a small grid around the fitted weights; `--cap`/`--caps` also vary how many sentences are embedded per
question; `--grid NAME=V1,V2` replaces one weight's values; `--lexical` fits the weights used without an embedder.
`--features FILE` keeps the features for the next run. `--by-file` also
cross-validates leaving one dev file (one writer) out at a time.
"""
from __future__ import annotations

import argparse
import itertools
import json
import pickle
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

GRID = {
    "similarity": (0.0, 0.5, 1.0, 2.0),
    "coverage": (0.5, 1.0, 2.0),
    "fact": (0.2, 0.5),
    "form": (0.0, 0.5),
    "heading": (0.0, 0.3),
    "rank": (0.3, 0.6),
    "redundancy": (0.1, 0.3),
    "bar": (0.2, 0.3),
    "bar_other": (0.3, 0.5, 0.7),
    "min_similarity": (0.3, 0.45, 1.01),
    "follow": (0.0, 1.0, 3.0),
    "after": (0.0, 1.0, 4.0),
}
# `--narrow`: the weights a picker change touches, around the fitted ones (288 settings instead of 6,912)
NARROW = {"similarity": (0.5, 1.0), "coverage": (1.0, 2.0), "fact": (0.5,), "form": (0.0, 0.2, 0.5), "heading": (0.0,),
          "rank": (0.3,),
          "redundancy": (0.1, 0.3), "bar": (0.2,), "bar_other": (0.3, 0.5, 0.7), "min_similarity": (0.3, 0.45),
          "follow": (0.0, 1.0, 3.0), "after": (0.0,)}
# `--grid context=0,0.25,0.5 ...`: replace some of the grid's values (a new mechanism's weight, say)
CAPS = (0, 6, 16, 24, 1000)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--qa", type=Path, nargs="+", default=None,
                    help="the DEV question files (default: evaluation.evaluate.DEV)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=5,
                    help="repeat the k-fold split with this many shuffles; the CV figures are means over all folds")
    ap.add_argument("--cap", action="store_true", help="also vary the number of sentences embedded")
    ap.add_argument("--caps", type=int, nargs="+", metavar="N",
                    help="score with these numbers of sentences having a similarity (1000: all, as with the sentence "
                         "vectors stored with the index)")
    ap.add_argument("--lexical", action="store_true",
                    help="fit LEXICAL_WEIGHTS, used without an embedder (no similarity feature)")
    ap.add_argument("--narrow", action="store_true",
                    help="search the small grid around the fitted weights (NARROW) instead of the full one")
    ap.add_argument("--grid", nargs="+", default=[], metavar="NAME=V1,V2",
                    help="search these values of a weight instead of the grid's (e.g. context=0,0.25,0.5)")
    ap.add_argument("--features", type=Path, help="keep the computed features in this file and reuse them (pickle)")
    ap.add_argument("--by-file", action="store_true",
                    help="also cross-validate leaving one dev file out at a time (each file a new writer)")
    args = ap.parse_args(argv)
    from evaluation.evaluate import DEV, TEST

    args.qa = args.qa or list(DEV)
    if any(p.name == TEST.name for p in args.qa):
        print("error: fit on the dev set only; the test set is never tuned on", file=sys.stderr)
        return 2

    from api import plan
    from api.extractive import LEXICAL_WEIGHTS, MAX_EMBEDDED, WEIGHTS, Extractor, Weights, compose, pick
    from evaluation.evaluate import Harness, key_facts, load_questions
    from ingest.roadmap import load_roadmap
    from vectorstore.retrieve import strip_week

    t0 = time.perf_counter()
    rows = []
    if args.features and args.features.exists():
        rows = pickle.loads(args.features.read_bytes())
    questions = [] if rows else load_questions(*args.qa)
    if questions:
        harness = Harness.open()
        roadmap = load_roadmap(harness.settings.roadmap)
        extractor = Extractor(harness.retriever.embedder, max_embedded=1000)
    for q in questions:
        if q.get("kind") == "unanswerable" or not q.get("must_contain"):
            continue
        if plan.answer(roadmap, q["question"], q.get("week"), harness.retriever.embedder) is not None:
            continue
        r = harness.retriever.search(q["question"], week=q.get("week"), top_k=5)
        if not (r.grounded and r.hits):
            continue
        cands = extractor.features(q["question"], r.hits, strip_week(q["question"]) or q["question"], r.aside)
        order = sorted(range(len(cands)), key=lambda i: -cands[i].lexical)
        rank = {i: n for n, i in enumerate(order)}
        rows.append((q, [*r.hits, *r.aside], cands, [rank[i] for i in range(len(cands))]))
    if args.features and questions:
        args.features.write_bytes(pickle.dumps(rows))
    print(f"{len(rows)} grounded answerable dev questions, features in {time.perf_counter() - t0:.1f} s", flush=True)

    caps = (0,) if args.lexical else tuple(args.caps) if args.caps else CAPS if args.cap else (MAX_EMBEDDED,)
    grid = NARROW if args.narrow else GRID
    for item in args.grid:
        name, _, values = item.partition("=")
        grid = {**grid, name: tuple(float(v) for v in values.split(","))}
    if args.lexical:
        grid = {**grid, "similarity": (0.0,), "min_similarity": (1.01,)}
    current = LEXICAL_WEIGHTS if args.lexical else WEIGHTS
    combos = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]
    combos.append(vars(current))  # the weights in use now, for comparison only (never chosen below)
    found = np.zeros((2, len(caps) * len(combos), len(rows)))  # all / any phrases quoted
    labels = []
    t0 = time.perf_counter()
    for ci, cap in enumerate(caps):
        for row_i, (q, hits, cands, ranks) in enumerate(rows):
            capped = [c if r < cap else replace(c, similarity=0.0, vector=None)
                      for c, r in zip(cands, ranks, strict=True)]
            for k, combo in enumerate(combos):
                pieces, _ = compose(hits, pick(capped, Weights(**combo), 90, 4))
                found[:, ci * len(combos) + k, row_i] = key_facts(" ".join(pieces), q["must_contain"])
        labels += [(cap, combo) for combo in combos]
    scores = found.mean(axis=0)
    searched = np.array([k != len(combos) - 1 for _cap in caps for k in range(len(combos))])  # the grid's own rows
    print(f"{scores.shape[0]} settings scored in {time.perf_counter() - t0:.1f} s")

    held, held_all, held_any = [], [], []
    for seed in range(args.repeats):  # each repeat shuffles the questions into other folds
        index = list(range(len(rows)))
        random.Random(seed).shuffle(index)
        folds = [index[f::args.folds] for f in range(args.folds)]
        for f, test in enumerate(folds):
            train = [i for i in index if i not in set(test)]
            best = int(np.argmax(np.where(searched, scores[:, train].mean(axis=1), -1.0)))
            held.append(float(scores[best, test].mean()))
            held_all.append(float(found[0, best, test].mean()))
            held_any.append(float(found[1, best, test].mean()))
            if seed == 0:
                print(f"fold {f}: best on the other folds {labels[best]}, held-out key-fact score {held[-1]:.3f}",
                      flush=True)
    if args.by_file:
        _by_file(args.qa, [q for q, *_ in rows], scores, found, searched, labels, current, load_questions, Weights)
    best = int(np.argmax(np.where(searched, scores.mean(axis=1), -1.0)))
    in_use = MAX_EMBEDDED if MAX_EMBEDDED in caps else caps[-1]
    default = next(i for i, (cap, combo) in enumerate(labels) if cap == in_use and Weights(**combo) == current)
    cap, combo = labels[best]
    print(json.dumps({"dev_questions": len(rows), "cv_keyfact": round(statistics.fmean(held), 3),
                      "cv_keyfact_all": round(statistics.fmean(held_all), 3),
                      "cv_keyfact_any": round(statistics.fmean(held_any), 3),
                      "cv_folds": [round(h, 3) for h in held[:args.folds]],
                      "dev_fit_keyfact": round(float(scores[best].mean()), 3),
                      "dev_current_weights_keyfact": round(float(scores[default].mean()), 3)}))
    name = "LEXICAL_WEIGHTS" if args.lexical else "WEIGHTS"
    print(f"{name} = {Weights(**combo)!r}" + ("" if args.lexical else f"\nMAX_EMBEDDED = {cap}"))
    return 0


def _by_file(paths, questions, scores, found, searched, labels, current, load_questions, Weights) -> None:
    """Leave-one-file-out: for each dev file, the grid's best on the other files scored on it, beside the weights in
    use (fitted on all of dev, that file included); "all" and "any" key-fact rates."""
    where = {(q.get("id"), q["question"]): Path(path).stem for path in paths for q in load_questions(path)}
    files = np.array([where.get((q.get("id"), q["question"]), "?") for q in questions])
    now = next(i for i, (_cap, combo) in enumerate(labels) if Weights(**combo) == current)
    totals = np.zeros(4)
    for name in dict.fromkeys(files):
        test, train = files == name, files != name
        best = int(np.argmax(np.where(searched, scores[:, train].mean(axis=1), -1.0)))
        row = [found[0, now, test].sum(), found[0, best, test].sum(), found[1, now, test].sum(),
               found[1, best, test].sum()]
        totals += row
        n = int(test.sum())
        print(f"leave out {name:<22} {n:>4}: all {row[0] / n:.3f} (weights in use) -> {row[1] / n:.3f} (fitted "
              f"without it), any {row[2] / n:.3f} -> {row[3] / n:.3f}; {labels[best][1]}", flush=True)
    n = len(files)
    print(json.dumps({"lofo_all_in_use": round(totals[0] / n, 3), "lofo_all": round(totals[1] / n, 3),
                      "lofo_any_in_use": round(totals[2] / n, 3), "lofo_any": round(totals[3] / n, 3)}))


if __name__ == "__main__":
    sys.exit(main())
