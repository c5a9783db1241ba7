"""Fit SUBJECT_MIN, the cosine at which a plan answer quotes the week's line closest to the asked subject
(`api.plan.closest_line`: "which log-related practice does the data manipulation week want me to do?" -> "DevOps
Applications: Log analysis with Pandas, ..."), on the DEV questions, leave-one-file-out.

    RA_EMBEDDING_MODEL_DIR=... python bench/fit_plan_subject.py [--cost 3]

Every dev question (`evaluation.evaluate.DEV`; the held-out test set is never read) is answered by the plan route
twice: with the closest line always quoted and never quoted (the cut changes no route, only which part of the week a
plan answer quotes). A question whose two answers differ is a row with its closest line's cosine. At a cut the row
takes the first answer when the cosine reaches it; it scores 1 when that answer is right (grounded, citing a gold
week, holding every `must_contain` key fact), and `--cost` is taken off for an unanswerable question answered
grounded. Each file is held out in turn, the cut fitted on the others; prints the held-out counts, each fold's cut
and the cut fitted on all of dev.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

Row = tuple[str, float, float, float]  # file, cosine, score with the line quoted, score without
GRID = [round(0.10 + i / 100, 2) for i in range(81)]


def score(rows: list[Row], cut: float) -> float:
    return sum(r[2] if r[1] >= cut else r[3] for r in rows)


def best_cut(rows: list[Row]) -> float:
    """The cut on a 0.01 grid from 0.10 to 0.90 that scores best; ties: the middle of the best cuts."""
    scores = [score(rows, cut) for cut in GRID]
    best = [cut for cut, s in zip(GRID, scores, strict=True) if s == max(scores)]
    return best[len(best) // 2]


def outcome(answer: object, q: dict, cost: float) -> float:
    """1 for a right plan answer to an answerable question, -cost for an unanswerable one answered grounded."""
    from api.answer import Answer

    if not isinstance(answer, Answer):
        return 0.0
    if q.get("kind") == "unanswerable":
        return -cost if answer.grounded else 0.0
    gold = {g for g in q.get("gold_urls", []) if g.startswith("roadmap.md#")}
    cited = {c.url for c in answer.citations}
    text = answer.answer.lower()
    keys = all(k.lower() in text for k in q.get("must_contain", []))
    return float(answer.grounded and bool(gold & cited) and keys)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cost", type=float, default=3.0)
    args = parser.parse_args(argv)

    from api import plan
    from api.batching import BatchingEmbedder
    from evaluation.evaluate import DEV, load_questions
    from ingest.roadmap import load_roadmap
    from settings import Settings
    from vectorstore.embeddings import make_embedder

    settings = Settings()
    roadmap = load_roadmap(settings.roadmap)
    embedder = BatchingEmbedder(make_embedder(settings), cache_size=50_000)
    in_use = plan.SUBJECT_MIN
    rows: list[Row] = []
    try:
        for path in DEV:
            for q in load_questions(path):
                week = q.get("week")
                plan.SUBJECT_MIN = -1.0
                quoted = plan.answer(roadmap, q["question"], week, embedder)
                plan.SUBJECT_MIN = 2.0
                unquoted = plan.answer(roadmap, q["question"], week, embedder)
                if quoted is None or unquoted is None or quoted.answer == unquoted.answer:
                    continue
                found = roadmap.week(quoted.week) if quoted.week else None
                line = plan.closest_line(roadmap, found, q["question"], embedder) if found else None
                if line is not None:
                    rows.append((Path(path).name, line[2], outcome(quoted, q, args.cost),
                                 outcome(unquoted, q, args.cost)))
    finally:
        plan.SUBJECT_MIN = in_use
    print(f"dev questions whose plan answer the cut changes: {len(rows)}; right with the line quoted "
          f"{sum(r[2] > 0 for r in rows)}, without {sum(r[3] > 0 for r in rows)}")
    total = base = 0.0
    for name in sorted({r[0] for r in rows}):
        cut = best_cut([r for r in rows if r[0] != name])
        held = [r for r in rows if r[0] == name]
        kept = score(held, cut)
        total, base = total + kept, base + sum(r[3] for r in held)
        print(f"  held out {name}: cut {cut:.2f}, score {kept:+.0f} (never quoted {sum(r[3] for r in held):+.0f}) "
              f"of {len(held)}")
    print(f"leave-one-file-out (dev, held out): score {total:+.0f}, never quoting the line {base:+.0f}")
    print("in-sample score by cut: " + ", ".join(f"{c:.2f} {score(rows, c):+.0f}" for c in GRID[::5]))
    print(f"fitted on all dev: SUBJECT_MIN {best_cut(rows):.2f} (in use: {in_use})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
