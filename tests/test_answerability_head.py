"""The answerability head's bench (`bench/answerability_head.py`), run on feature files made here: the threshold keeps
its budget of one answerable per three unanswerable newly refused, and `fit`, run as a command, refuses held-out
questions whose question vectors carry the label, and its held-out head ranks no better than chance when nothing does.
No eval data is read."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests import bench_scripts

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = bench_scripts.BENCH / "answerability_head.py"


@pytest.fixture(scope="module")
def head():
    return bench_scripts.load("answerability_head")


def test_threshold_refuses_the_most_unanswerable_within_the_budget(head):
    """Scores of answered questions, best first: u u a u u u a a ...; refusing the top 6 refuses 5 unanswerable and
    1 answerable (within 1 per 3); the top 7 would be 5 / 2 (over it), so t is the 7th score (refused: above it)."""
    p = np.array([0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.93, 0.92, 0.5, 0.4])
    y = np.array([1, 1, 0, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    answered = np.ones(10, dtype=bool)
    t = head.threshold(p, y, answered)
    refused = p > t
    assert t == pytest.approx(0.93)
    assert int((refused & y).sum()) == 5 and int((refused & ~y).sum()) == 1
    # an answerable question ranked first: refused only once three unanswerable come with it (the top 4)
    assert head.threshold(p, np.array([0, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool), answered) == pytest.approx(0.95)
    # an unanswerable question the current decision already refuses counts for nothing
    assert head.threshold(p, y, np.zeros(10, dtype=bool)) > 1.0


def features(path: Path, signal: float, n: int = 240, dim: int = 8) -> Path:
    """A feature file of `n` searched questions by 4 writers: the unanswerable ones' question vectors lean `signal`
    along one axis, their best sentences are noise; every question is answered by the current decision."""
    rng = np.random.default_rng(9)
    label = rng.random(n) < 0.3
    q = rng.normal(size=(n, dim)).astype(np.float32)
    q[:, 0] += signal * label
    s = rng.normal(size=(n, 5, dim)).astype(np.float32)
    np.savez_compressed(path, q=q, s=s, cos=rng.random((n, 5)).astype(np.float32),
                        signals=rng.random((n, 5)).astype(np.float32), confidence=rng.random(n).astype(np.float32),
                        label=label, grounded=np.ones(n, dtype=bool),
                        writer=np.asarray([f"w{i % 4}" for i in range(n)]),
                        group=np.asarray([f"page{i % 12}" for i in range(n)]),
                        rows=np.asarray(['{"question": "q", "answer_kind": "other"}'] * n))
    return path


def fit(feats: Path) -> list[str]:
    run = subprocess.run([sys.executable, str(SCRIPT), "fit", "--feats", str(feats), "--variants", "q",
                          "--groups", "4"], capture_output=True, text=True, timeout=600, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})
    assert run.returncode == 0, run.stderr[-2000:]
    return [line for line in run.stdout.splitlines() if line.startswith("q ")]


def counts(line: str) -> tuple[int, int]:
    words = line.split("newly refused unanswerable")[1].split(";")[0].split("/ answerable")
    return int(words[0]), int(words[1])


def head_auc(line: str) -> float:
    return float(line.split("AUC head")[1].split()[0])


def test_fit_refuses_held_out_questions_when_the_question_vector_tells(tmp_path):
    lines = fit(features(tmp_path / "f.npz", signal=4.0))
    assert [line.split()[1] for line in lines] == ["leave-one-file-out", "page-grouped"]
    for line in lines:
        unanswerable, answerable = counts(line)
        # the budget is fitted inside each training fold, so held out it holds roughly (the deepest t it allows
        # spends it all)
        assert unanswerable >= 20 and 2 * answerable <= unanswerable and head_auc(line) > 0.9, line


def test_fit_refuses_nothing_it_cannot_tell(tmp_path):
    """Labels the features don't carry: the held-out head ranks no better than chance."""
    lines = fit(features(tmp_path / "f.npz", signal=0.0))
    assert len(lines) == 2
    for line in lines:
        assert abs(head_auc(line) - 0.5) < 0.12, line
