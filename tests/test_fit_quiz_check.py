"""The quiz check's fit (`bench/fit_quiz_check.py`), run on labelled signals made here: the L2 penalty weighs every
signal alike whatever its scale (issue 15n), so a signal written ten times smaller gets a weight ten times larger and
the same verdicts. No eval data is read."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from api import grading
from tests import bench_scripts


@pytest.fixture(scope="module")
def fitting():
    return bench_scripts.load("fit_quiz_check")


def labelled(n: int = 300) -> tuple[list[dict], list[grading.Features]]:
    """Answers whose label follows similarity and length with noise (a longer answer is more often correct)."""
    rng = np.random.default_rng(15)
    rows, feats = [], []
    for i in range(n):
        similarity, length = float(rng.uniform(0.2, 0.95)), float(rng.uniform(0.2, 0.9))
        score = 6 * similarity + 2 * length + rng.normal(0, 0.6)
        label = "correct" if score > 5.6 else "partial" if score > 4.0 else "incorrect"
        rows.append({"id": str(i), "question": f"q{i // 3}", "label": label, "split": "dev"})
        feats.append(grading.Features(similarity, 0.0, 0.0, 0.0, length=length))
    return rows, feats


def test_a_signal_s_scale_changes_its_weight_not_the_verdicts(fitting):
    rows, feats = labelled()
    signals = ("similarity", "length")
    weights, correct, partial, elsewhere, correct_weights, terms = fitting.fit(rows, feats, signals)
    assert weights["similarity"] > 0 and correct_weights["length"] > 0   # the fit reads the labels' rule
    tenth = [dataclasses.replace(f, length=f.length / 10) for f in feats]
    scaled = fitting.fit(rows, tenth, signals)
    assert scaled[0]["length"] == pytest.approx(10 * weights["length"], rel=0.01)
    assert scaled[4]["length"] == pytest.approx(10 * correct_weights["length"], rel=0.01)
    assert scaled[0]["similarity"] == pytest.approx(weights["similarity"], rel=0.01)
    assert (scaled[1], scaled[2]) == pytest.approx((correct, partial), abs=0.01)
    assert fitting.verdicts(tenth, scaled) == fitting.verdicts(feats, (weights, correct, partial, elsewhere,
                                                                       correct_weights, terms))
