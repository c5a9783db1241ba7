"""Tests for api/evaluate.py: URL matching, the ranking metrics on hand-computed cases, the summaries, the
abstention fit, and the command end to end over a tiny on-disk index built with the real embedder."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from api.evaluate import fit_logistic, main, norm_url, score_ranking, summarise
from vectorstore.client import open_client
from vectorstore.embeddings import OnnxEmbedder
from vectorstore.store import IndexStore, add_chunks

MODEL_DIR = Path(os.environ.get("RA_EMBEDDING_MODEL_DIR") or "/work/shared/models/all-MiniLM-L6-v2/onnx")


def test_norm_url_ignores_fragment_slash_and_host_case():
    """Real URLs compare without fragment, trailing slash or host case; roadmap anchors keep their anchor."""
    assert norm_url("https://MLflow.org/docs/tracking/#runs") == norm_url("https://mlflow.org/docs/tracking")
    assert norm_url("roadmap.md#week-6") == "roadmap.md#week-6"
    assert norm_url("roadmap.md#week-6") != norm_url("roadmap.md#week-7")


def test_score_ranking_on_a_known_list():
    """hit@1, hit@k, MRR, nDCG (each gold URL once) and precision match values worked out by hand."""
    urls = ["https://x.org/a", "https://g.org/1/", "https://x.org/b", "https://g.org/1#s", "https://g.org/2"]
    got = score_ranking(urls, ["https://g.org/1", "https://g.org/2"], k=5)
    assert got["hit@1"] == 0.0 and got["hit@k"] == 1.0 and got["mrr@10"] == 0.5
    assert got["precision"] == pytest.approx(3 / 5)
    ideal = 1 + 1 / math.log2(3)
    assert got["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(6)) / ideal)
    assert score_ranking(urls, ["https://g.org/2"], k=3) == {
        "hit@1": 0.0, "hit@k": 0.0, "mrr@10": 0.2, "ndcg@10": pytest.approx(1 / math.log2(6)), "precision": 0.0}
    assert score_ranking([], ["https://g.org/2"], k=3)["precision"] == 0.0


def test_summarise_splits_answerable_and_unanswerable():
    """Ranking metrics and answer rate come from questions with gold URLs, abstention from the others."""
    rows = [
        {"kind": "answerable", "week": 1, "grounded": True, "widened": False, "ms": 10.0,
         "hit@1": 1.0, "hit@k": 1.0, "mrr@10": 1.0, "ndcg@10": 1.0, "precision": 0.4},
        {"kind": "cross_week", "week": 1, "grounded": False, "widened": True, "ms": 20.0,
         "hit@1": 0.0, "hit@k": 1.0, "mrr@10": 0.5, "ndcg@10": 0.5, "precision": 0.2},
        {"kind": "unanswerable", "week": 2, "grounded": False, "widened": True, "ms": 30.0},
        {"kind": "unanswerable", "week": 2, "grounded": True, "widened": False, "ms": 40.0},
    ]
    s = summarise(rows)
    assert s["questions"] == 4 and s["hit@1"] == 0.5 and s["hit@k"] == 1.0 and s["mrr@10"] == 0.75
    assert s["precision"] == 0.3 and s["answer_rate"] == 0.5 and s["abstain_rate"] == 0.5
    assert s["widened_xweek"] == 1.0 and s["p50_ms"] == 25.0
    assert "hit@1" not in summarise(rows[2:]) and "abstain_rate" not in summarise(rows[:2])


def test_fit_logistic_separates_two_classes():
    """The fitted weights, given back in raw feature units, score every positive above every negative."""
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal([0.6, 0.5], 0.05, (30, 2)), rng.normal([0.3, 0.1], 0.05, (8, 2))])
    y = np.array([1.0] * 30 + [0.0] * 8)
    w, b = fit_logistic(x, y)
    z = x @ w + b
    assert z[:30].min() > 0 > z[30:].max()


CHUNKS = [
    ("pag", "Paginators > Paginators\n\nS3 ListObjects returns at most 1000 keys; a boto3 paginator iterates over "
            "every page of results.", {"url": "https://boto3.amazonaws.com/guide/paginators.html", "weeks": [1]}),
    ("dvc", "Get Started with DVC > Data versioning\n\ndvc add moves the dataset file into the DVC cache and writes "
            "a small .dvc file for Git.", {"url": "https://dvc.org/doc/start", "weeks": [9]}),
    ("mme", "Multi-model endpoints > Overview\n\nMulti-model endpoints host hundreds of models behind a single "
            "SageMaker endpoint with a shared serving container.",
     {"url": "https://aws.example/mme.html", "weeks": [12]}),
    ("road", "Roadmap: Week 9 > Week 9\n\nWeek 9 covers experiment tracking with MLflow and data versioning with "
             "DVC. Weekend project: a reproducible training pipeline.", {"url": "roadmap.md#week-9", "weeks": [9]}),
]
QUESTIONS = [
    {"question": "How do I get every key of a big S3 bucket with boto3?", "week": 1,
     "gold_urls": ["https://boto3.amazonaws.com/guide/paginators.html"], "kind": "answerable"},
    {"question": "What does dvc add do with my dataset?", "week": 9, "gold_urls": ["https://dvc.org/doc/start/"],
     "kind": "answerable"},
    {"question": "What is the weekend project of week 9?", "week": 9, "gold_urls": ["roadmap.md#week-9"],
     "kind": "answerable"},
    {"question": "How can I serve hundreds of models from one endpoint?", "week": 1,
     "gold_urls": ["https://aws.example/mme.html"], "kind": "cross_week"},
    {"question": "What is a good recipe for vegetarian lasagna?", "week": 2, "gold_urls": [], "kind": "unanswerable"},
]


def test_evaluate_command_end_to_end(tmp_path, monkeypatch, capsys):
    """`--mode all` over a tiny index prints the table and writes JSON with every mode and scope, scored right."""
    client = open_client(tmp_path / "data")
    store = IndexStore(client, "roadmap")
    version, col = store.new_version()
    embedder = OnnxEmbedder(MODEL_DIR)
    add_chunks(col, [c[0] for c in CHUNKS], [c[1] for c in CHUNKS], [c[2] for c in CHUNKS],
               embedder.embed([c[1] for c in CHUNKS]).tolist())
    store.publish(version, col, {"pages": {}}, embedder=embedder.name, chunking="test")
    qa = tmp_path / "qa.jsonl"
    qa.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    monkeypatch.setenv("RA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RA_EMBEDDING_MODEL_DIR", str(MODEL_DIR))
    out = tmp_path / "out.json"
    assert main(["--qa", str(qa), "--json", str(out), "--mode", "all", "--k", "3"]) == 0
    printed = capsys.readouterr().out
    assert "hybrid (no week)" in printed and "per week" in printed
    result = json.loads(out.read_text())
    assert set(result["runs"]) == {f"{m}{s}" for m in ("bm25", "dense", "hybrid") for s in ("", " (no week)")}
    hybrid = result["runs"]["hybrid"]
    assert hybrid["overall"]["hit@k"] == 1.0 and hybrid["overall"]["mrr@10"] == 1.0
    assert hybrid["overall"]["abstain_rate"] == 1.0 and hybrid["overall"]["widened_xweek"] == 1.0
    assert set(hybrid["per_week"]) == {"1", "2", "9"} and hybrid["per_week"]["9"]["questions"] == 2
    assert len(result["questions"]["hybrid"]) == len(QUESTIONS)


def test_evaluate_command_reports_an_empty_index(tmp_path, monkeypatch, capsys):
    """Over a store with nothing published the command prints one error line and exits 1."""
    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps(QUESTIONS[0]) + "\n")
    monkeypatch.setenv("RA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RA_EMBEDDING_MODEL_DIR", str(MODEL_DIR))
    assert main(["--qa", str(qa)]) == 1
    assert capsys.readouterr().err.startswith("error: nothing is indexed")
