"""Tests for the page-grouped cross-validation and the page-balanced objective of evaluation/calibrate.py: which
questions share a gold page, folds that never split a page, a fit weighted so a popular page counts like a rare
one, and the command's split table over a tiny on-disk index built with the real embedder."""
from __future__ import annotations

import json

from evaluation.calibrate import GRID, RARE_OTHERS, Fitter, main, page_folds, page_sharers
from evaluation.evaluate import Harness
from tests.test_evaluate import MODEL_DIR, QUESTIONS, publish_tiny_index


def _q(*urls: str) -> dict:
    return {"question": "q", "gold_urls": list(urls), "kind": "answerable" if urls else "unanswerable"}


def test_page_sharers_counts_the_questions_sharing_a_gold_page():
    """A question counts itself and every question with one of its gold pages; no gold page: 0."""
    qs = [_q("a"), _q("a"), _q("a", "b"), _q("b"), _q("c"), _q()]
    assert page_sharers(qs) == [3, 3, 4, 2, 1, 0]


def test_page_folds_never_split_a_page_and_cover_every_question_once():
    """Questions linked by a gold page (also through a question with two pages) land in one fold; the folds
    partition the questions, and the split is the same every time."""
    qs = [_q("a")] * 6 + [_q("a", "b"), _q("b")] + [_q(p) for p in "cdefghij"] + [_q()] * 4
    split = page_folds(qs, 3)
    assert len(split) == 3 and sorted(i for f in split for i in f) == list(range(len(qs)))
    linked = set(range(8))  # pages a and b, joined by question 6
    assert any(linked <= set(f) for f in split)
    assert all(f for f in split) and split == page_folds(qs, 3)


def _tiny(tmp_path, monkeypatch, questions: list[dict]):
    publish_tiny_index(tmp_path / "data", chunking="tiny-v1")
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps(q) + "\n" for q in questions))
    monkeypatch.setenv("RA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RA_EMBEDDING_MODEL_DIR", str(MODEL_DIR))
    return dev


def test_the_balanced_objective_weighs_each_page_alike(tmp_path, monkeypatch):
    """With `balanced_pages`, a page gold for three questions weighs what a page asked once does (each of its
    questions 1/3), so a value right on the popular page only and wrong on the rare one scores 0.5, not 0.75; it
    also groups the folds by page. Unbalanced, every question weighs 1."""
    _tiny(tmp_path, monkeypatch, [])
    questions = [QUESTIONS[0]] * 3 + [QUESTIONS[1]]
    harness = Harness.open()
    plain = Fitter(harness, questions, [])
    balanced = Fitter(harness, questions, [], balanced_pages=True)
    values = {0: 1.0, 1: 1.0, 2: 1.0, 3: 0.0}
    assert plain.mean(values) == 0.75 and not plain.page_grouped
    assert abs(balanced.mean(values) - 0.5) < 1e-9 and balanced.page_grouped
    assert balanced.folds(2) == page_folds(questions, 2) and {0, 1, 2} in [set(f) for f in balanced.folds(2)]


def test_one_weight_with_balanced_pages_prints_the_rare_and_popular_split(tmp_path, monkeypatch, capsys):
    """`--one-weight NAME --balanced-pages` labels its CV row as grouped by gold page and weighted, and adds the
    rare-page and popular-page hit@5 and MRR@10: the popular side holds the questions whose page is gold for more
    than `RARE_OTHERS` others."""
    questions = [QUESTIONS[0]] * (RARE_OTHERS + 2) + QUESTIONS[1:]
    dev = _tiny(tmp_path, monkeypatch, questions)
    assert main(["--dev", str(dev), "--folds", "2", "--one-weight", "hub_weight", "--balanced-pages"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert "rare page (<= 3 others) hit@5 | rare MRR@10 | popular page hit@5 | popular MRR@10 |" in rows[0]
    assert rows[-1].startswith("| 2-fold CV grouped by gold page, each question weighted 1 / questions sharing")
    assert f"{RARE_OTHERS + 2} more popular" in out
    cells = rows[-1].rstrip(" |").split(" | ")[1:]
    assert len(cells) == 8 and all(0.0 <= float(v) <= 1.0 for v in cells)
    fitted = next(line for line in out.splitlines() if line.startswith("fitted on all (page-balanced MRR@10 "))
    assert float(fitted.rsplit(": ", 1)[1]) in GRID["hub_weight"]
