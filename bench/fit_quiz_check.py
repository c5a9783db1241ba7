"""Fit and measure the quiz answer check (`api.grading`) on the labelled learner answers in eval/quiz_answers.jsonl.

    python bench/fit_quiz_check.py            # the constants in api/grading.py, agreement on dev and on test
    python bench/fit_quiz_check.py --fit      # search the constants on the dev split only, then report test

Each line of the file is an answer a learner might give to a question the quiz generated from the mirror's index
(`question`, its `expected` part and `quote`), labelled `correct`, `partial` or `incorrect`, with `split` dev or
test. The features are computed exactly as the service computes them: the configured embedder (MiniLM) and the
idf of the index the settings point at (`RA_DATA_DIR`). The search tries every similarity weight in steps of 0.05
and every pair of thresholds between consecutive dev scores, keeps the best dev agreement (ties: the widest
margins), and reports a leave-one-question-out estimate on dev beside it. The test split is only ever scored with
constants fitted without it.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
from itertools import pairwise
from pathlib import Path

import numpy as np

from api import grading
from api.batching import BatchingEmbedder
from settings import Settings
from vectorstore.client import open_client
from vectorstore.embeddings import make_embedder
from vectorstore.retrieve import Retriever
from vectorstore.store import IndexStore

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "eval" / "quiz_answers.jsonl"


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def features(rows: list[dict], settings: Settings) -> list[grading.Features]:
    retriever = Retriever(IndexStore(open_client(settings.data_dir, settings.chroma_url), settings.collection),
                          BatchingEmbedder(make_embedder(settings)))
    lexical = retriever.loaded().lexical
    return [grading.features(r["answer"], r["question"], r["expected"], retriever.embedder.embed, lexical.idf)
            for r in rows]


def agreement(rows, feats, weight, correct, partial) -> float:
    hits = sum(grading.verdict(f, weight, correct, partial) == r["label"] for r, f in zip(rows, feats, strict=True))
    return hits / len(rows) if rows else 0.0


def fit(rows: list[dict], feats: list[grading.Features]) -> tuple[float, float, float, float]:
    """(weight, correct, partial, dev agreement): the best on these rows, ties broken by the widest margins."""
    best = None
    for weight in np.round(np.arange(0.0, 1.0001, 0.05), 2):
        scores = sorted({round(f.score(weight), 4) for f in feats})
        cuts = [(a + b) / 2 for a, b in pairwise(scores)] or scores
        for i, partial in enumerate(cuts):
            for correct in cuts[i + 1:]:
                agree = agreement(rows, feats, weight, correct, partial)
                margin = min(_margin(feats, weight, correct), _margin(feats, weight, partial))
                key = (agree, margin)
                if best is None or key > best[0]:
                    best = (key, (float(weight), round(correct, 3), round(partial, 3), agree))
    if best is None:
        raise ValueError("no graded answers to fit the thresholds on")
    return best[1]


def _margin(feats, weight, threshold) -> float:
    return min(abs(f.score(weight) - threshold) for f in feats)


def leave_one_question_out(rows, feats) -> float:
    """Dev agreement when each question's answers are judged with constants fitted on the other questions."""
    hits = 0
    for question in {r["question"] for r in rows}:
        train = [(r, f) for r, f in zip(rows, feats, strict=True) if r["question"] != question]
        held = [(r, f) for r, f in zip(rows, feats, strict=True) if r["question"] == question]
        w, c, p, _ = fit([r for r, _ in train], [f for _, f in train])
        hits += sum(grading.verdict(f, w, c, p) == r["label"] for r, f in held)
    return hits / len(rows)


def confusion(rows, feats, weight, correct, partial) -> str:
    counts = Counter((r["label"], grading.verdict(f, weight, correct, partial))
                     for r, f in zip(rows, feats, strict=True))
    head = "label \\ verdict  " + "  ".join(f"{v:>9}" for v in grading.VERDICTS)
    lines = [f"{label:>15}  " + "  ".join(f"{counts[(label, v)]:>9}" for v in grading.VERDICTS)
             for label in grading.VERDICTS]
    return "\n".join([head, *lines])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--fit", action="store_true", help="fit the constants on the dev split (then report test)")
    ap.add_argument("--loo", action="store_true", help="with --fit: a leave-one-question-out estimate on dev")
    args = ap.parse_args()
    rows = load(args.data)
    feats = features(rows, Settings())
    split = {s: ([r for r in rows if r["split"] == s], [f for r, f in zip(rows, feats, strict=True) if r["split"] == s])
             for s in ("dev", "test")}
    if args.fit:
        weight, correct, partial, agree = fit(*split["dev"])
        print(f"fitted on dev ({len(split['dev'][0])} answers): SIMILARITY_WEIGHT = {weight}, CORRECT = {correct}, "
              f"PARTIAL = {partial}; dev agreement {agree:.3f}")
        if args.loo:
            print(f"dev, leave one question out: {leave_one_question_out(*split['dev']):.3f}")
    else:
        weight, correct, partial = grading.SIMILARITY_WEIGHT, grading.CORRECT, grading.PARTIAL
        print(f"api/grading.py: SIMILARITY_WEIGHT = {weight}, CORRECT = {correct}, PARTIAL = {partial}")
    for name, (r, f) in split.items():
        print(f"\n{name}: {len(r)} answers, agreement {agreement(r, f, weight, correct, partial):.3f}")
        print(confusion(r, f, weight, correct, partial))


if __name__ == "__main__":
    main()
