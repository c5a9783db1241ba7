"""The pair-head harness (`bench/quiz_pair_head.py`, issue 15o) on labelled signals made here: with the head's
scale at 0 it judges as the check's own fit (`bench/fit_quiz_check.py`) does, and a label the pair features carry and
the signals do not is learned (the inner CV picks a scale above 0) and carries over to answers left out. No eval data
is read."""
from __future__ import annotations

import numpy as np
import pytest

from api import grading
from tests import bench_scripts


@pytest.fixture(scope="module")
def head():
    return bench_scripts.load("quiz_pair_head")   # it imports fit_quiz_check from beside it


def labelled(n: int, hidden: float) -> tuple[list[dict], list[grading.Features], np.ndarray, np.ndarray]:
    """Answers whose label follows similarity and length, and `hidden` times a pair feature the signals lack."""
    rng = np.random.default_rng(15)
    rows, feats, labels = [], [], []
    pair = rng.normal(0, 1, (n, 12))
    for i in range(n):
        similarity, length = float(rng.uniform(0.2, 0.95)), float(rng.uniform(0.2, 0.9))
        score = 6 * similarity + 2 * length + hidden * pair[i, 0] + rng.normal(0, 0.4)
        label = "correct" if score > 5.6 else "partial" if score > 4.0 else "incorrect"
        rows.append({"id": str(i), "question": f"q{i // 3}", "label": label, "split": f"s{i % 6}"})
        feats.append(grading.Features(similarity, 0.0, 0.0, 0.0, length=length))
        labels.append({"incorrect": 0, "partial": 1, "correct": 2}[label])
    return rows, feats, np.array(labels), pair


def test_at_scale_zero_the_head_judges_as_the_check_s_fit(head):
    rows, feats, labels, pair = labelled(300, 0.0)
    train = np.ones(len(rows), dtype=bool)
    said, alphas = head.fit_and_judge(feats, labels, np.array([r["split"] for r in rows]), pair, train, [0.0], 3.0)
    fq = head.fq
    theirs = fq.verdicts(feats, fq.fit(rows, feats, head.SIGNALS))
    assert alphas == (0.0, 0.0)
    # the same fit; fit_quiz_check rounds its weights to three decimals, which may move an answer on a boundary
    assert sum(a != b for a, b in zip(said, theirs, strict=True)) <= 2


def test_a_label_only_the_pair_carries_is_learned_and_carries_over(head):
    rows, feats, labels, pair = labelled(600, 1.5)
    groups = np.array([r["split"] for r in rows])
    train = groups != "s0"
    left_out = np.where(~train)[0]

    def agreement(alphas: list[float]) -> tuple[float, tuple[float, float]]:
        said, chosen = head.fit_and_judge(feats, labels, groups, pair, train, alphas, 3.0)
        return sum(said[i] == rows[i]["label"] for i in left_out) / len(left_out), chosen

    signals_only, _ = agreement([0.0])
    with_head, chosen = agreement([0.0, 0.1, 0.3, 1.0])
    assert min(chosen) > 0
    assert with_head >= signals_only + 0.1
