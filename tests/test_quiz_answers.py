"""Checks on eval/quiz_answers.jsonl, the labelled learner answers the quiz's answer check is fitted (dev) and
measured (test) on: the schema, at least 60 answers, a right, a partly right and a wrong answer (or more) for every
question, the split by week parity (so no test question was fitted on), and quotes that hold their expected part."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

FILE = Path(__file__).resolve().parents[1] / "eval" / "quiz_answers.jsonl"
FIELDS = {"week", "id", "kind", "question", "quote", "expected", "answer", "label", "split", "url"}


def rows() -> list[dict]:
    return [json.loads(line) for line in FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_schema_counts_and_labels():
    data = rows()
    assert len(data) >= 60
    by_question = defaultdict(list)
    for r in data:
        assert set(r) == FIELDS
        assert r["label"] in ("correct", "partial", "incorrect") and r["split"] in ("dev", "test")
        assert r["kind"] in ("definition", "role", "limit", "default", "command", "plan")
        assert r["answer"].strip() and r["answer"] != r["quote"]
        assert " ".join(r["expected"].split()) in " ".join(r["quote"].split())
        by_question[r["question"]].append(r)
    for question, answers in by_question.items():
        assert {a["label"] for a in answers} == {"correct", "partial", "incorrect"}, question
        assert len({a["answer"] for a in answers}) == len(answers), question
        assert len({(a["split"], a["week"]) for a in answers}) == 1
    splits = {r["split"] for r in data}
    assert splits == {"dev", "test"}
    assert all((r["week"] % 2 == 1) == (r["split"] == "dev") for r in data)
    assert min(sum(r["split"] == s for r in data) for s in splits) >= 30
