"""Fit LINE_MIN and LINE_MARGIN, the cosine and margin at which the plan route places a subject in the week whose
parsed field line is closest in meaning (`api.plan.line_match`), on the DEV plan questions, leave-one-file-out.

    RA_EMBEDDING_MODEL_DIR=... python bench/fit_plan_lines.py [--cost 3]

The questions are the dev questions (`evaluation.evaluate.DEV`; the held-out test set is never read) whose gold is a
week's roadmap section (`roadmap.md#week-N`) and that have a subject (`api.plan.subject_of`: the question's words but
for its week mention, words of asking, positions and fields). Each subject is matched against every week's field lines
(title, goals, section names, items, project, deliverables): the closest week, its best line's cosine and its margin
over any other week's best. A (cosine, margin) cut grounds the subjects at or above both; it scores the grounded ones
placed in their gold week minus `--cost` times those placed in another week. Each file is held out in turn, the cut
fitted on the others; prints the held-out counts, each fold's cut and the cut fitted on all of dev.
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

Row = tuple[str, float, float, bool]  # file, cosine, margin, placed in the gold week


def best_cut(rows: list[Row], cost: float) -> tuple[float, float]:
    """The (cosine, margin) on a 0.01 grid that scores best (right - cost * wrong); ties: the stricter cut."""
    cuts = itertools.product([round(0.40 + i / 100, 2) for i in range(56)], [round(i / 100, 2) for i in range(31)])

    def score(cut: tuple[float, float]) -> tuple[float, float, float]:
        grounded = [r for r in rows if r[1] >= cut[0] and r[2] >= cut[1]]
        return sum(1.0 if r[3] else -cost for r in grounded), cut[0], cut[1]
    return max(cuts, key=score)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cost", type=float, default=3.0)
    args = parser.parse_args(argv)

    from api import plan
    from evaluation.evaluate import DEV, load_questions
    from ingest.roadmap import load_roadmap
    from settings import Settings
    from vectorstore.embeddings import make_embedder

    settings = Settings()
    roadmap, embedder = load_roadmap(settings.roadmap), make_embedder(settings)
    rows: list[Row] = []
    for path in DEV:
        for q in load_questions(path):
            gold = [g for g in q.get("gold_urls", []) if g.startswith("roadmap.md#week-")]
            _terms, said = plan.subject_of(roadmap, q["question"])
            if not gold or not said:
                continue
            week, cosine, margin = plan.line_match(roadmap, embedder, said)
            rows.append((Path(path).name, cosine, margin, f"roadmap.md#week-{week.number}" in gold))
    placed = sum(r[3] for r in rows)
    print(f"dev plan questions with a subject: {len(rows)}; closest week is the gold week for {placed}")
    right = wrong = 0
    for name in sorted({r[0] for r in rows}):
        cut = best_cut([r for r in rows if r[0] != name], args.cost)
        held = [r for r in rows if r[0] == name and r[1] >= cut[0] and r[2] >= cut[1]]
        right, wrong = right + sum(r[3] for r in held), wrong + sum(not r[3] for r in held)
        print(f"  held out {name}: cut {cut[0]:.2f} / {cut[1]:.2f}, grounded right {sum(r[3] for r in held)}, "
              f"wrong {sum(not r[3] for r in held)} of {sum(r[0] == name for r in rows)}")
    print(f"leave-one-file-out (dev, held out): grounded in the right week {right}, in a wrong week {wrong}")
    cut = best_cut(rows, args.cost)
    print(f"fitted on all dev: LINE_MIN {cut[0]:.2f}, LINE_MARGIN {cut[1]:.2f} "
          f"(in use: {plan.LINE_MIN}, {plan.LINE_MARGIN})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
