"""Fit MEANING_MIN, the cosine a question needs to a plan field's meanings (`api.plan.FIELD_MEANINGS`) to be answered
from the week's plan, on the DEV questions with k-fold cross-validation, and print it.

    RA_EMBEDDING_MODEL_DIR=... python bench/fit_plan_meaning.py [--folds 5] [--repeats 20]

The candidates are the dev questions (`evaluation.evaluate.DEV`; the held-out test set is never read) that have a
week (named, else their `week`) and that the structural plan route (`api.plan.answer` without an embedder) does not
answer. A candidate is a plan question when its gold is the week's roadmap section (`roadmap.md#week-N`). Each gets
its best field cosine (`api.plan.field_meaning`). A threshold routes the candidates at or above it; it scores the
plan questions routed minus `--cost` times the other questions routed (a docs question answered from the plan is
worse than a plan question searched, which the search mostly grounds anyway: cost 3; at 2 the fit is 0.381). Each
fold's threshold is the midpoint of the gap that scores best on the other folds; the held-out counts are summed over
folds and shuffles. Prints the distribution's edge and the threshold fitted on all of dev.
"""
from __future__ import annotations

import argparse
import random
import sys


def best_threshold(scored: list[tuple[float, bool]], cost: float) -> float:
    """The midpoint of the gap between consecutive cosines whose threshold scores best (plan - cost * other)."""
    values = sorted({s for s, _p in scored})
    cuts = [values[0] - 1e-3] + [(a + b) / 2 for a, b in zip(values, values[1:], strict=False)] + [values[-1] + 1e-3]
    def score(t: float) -> float:
        return sum(1.0 if plan else -cost for s, plan in scored if s >= t)
    return max(cuts, key=lambda t: (score(t), t))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--cost", type=float, default=3.0)
    args = parser.parse_args(argv)

    from api import plan
    from evaluation.evaluate import DEV, load_questions
    from ingest.roadmap import load_roadmap
    from settings import Settings
    from vectorstore.embeddings import make_embedder
    from vectorstore.retrieve import detect_week

    settings = Settings()
    roadmap, embedder = load_roadmap(settings.roadmap), make_embedder(settings)
    scored: list[tuple[float, bool, str]] = []
    for q in load_questions(*DEV):
        week = detect_week(q["question"], roadmap.week_numbers()) or q.get("week")
        if not week or plan.answer(roadmap, q["question"], q.get("week")) is not None:
            continue
        _kind, cosine = plan.field_meaning(embedder, q["question"])
        gold = f"roadmap.md#week-{week}" in q.get("gold_urls", [])
        scored.append((cosine, gold, q["question"]))
    plans = sorted((s for s, g, _q in scored if g), reverse=True)
    others = sorted(((s, q) for s, g, q in scored if not g), reverse=True)
    print(f"dev candidates: {len(scored)} ({len(plans)} plan questions); highest other: {others[0][0]:.3f} "
          f"({others[0][1]!r}); plan questions at or above it: {sum(s >= others[0][0] for s in plans)}")
    routed_plan, routed_other, ts = 0, 0, []
    rng = random.Random(0)
    for _ in range(args.repeats):
        rows = [(s, g) for s, g, _q in scored]
        rng.shuffle(rows)
        for k in range(args.folds):
            test = rows[k::args.folds]
            train = [r for i, r in enumerate(rows) if i % args.folds != k]
            t = best_threshold(train, args.cost)
            ts.append(t)
            routed_plan += sum(1 for s, g in test if g and s >= t)
            routed_other += sum(1 for s, g in test if not g and s >= t)
    print(f"{args.folds}-fold CV x{args.repeats} (dev, held out): per repeat, plan questions routed "
          f"{routed_plan / args.repeats:.1f} of {len(plans)}, other questions routed "
          f"{routed_other / args.repeats:.1f}; "
          f"fold thresholds {min(ts):.3f}-{max(ts):.3f}")
    print(f"MEANING_MIN fitted on all dev: {best_threshold([(s, g) for s, g, _q in scored], args.cost):.3f} "
          f"(in use: {plan.MEANING_MIN})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
