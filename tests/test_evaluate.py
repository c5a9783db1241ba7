"""Tests for evaluation/evaluate.py: URL matching, the ranking metrics on hand-computed cases, key facts and citation
faithfulness, the summaries, and the command end to end over a tiny on-disk index built with the real embedder."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from evaluation.evaluate import (
    cited_sentences,
    faithfulness,
    key_facts,
    main,
    norm_url,
    score_ranking,
    summarise,
    without_note,
)
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
    ideal = 1 + 1 / math.log2(3)
    assert got["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(6)) / ideal)
    assert score_ranking(urls, ["https://g.org/2"], k=3) == {
        "hit@1": 0.0, "hit@k": 0.0, "mrr@10": 0.2, "ndcg@10": pytest.approx(1 / math.log2(6))}
    assert score_ranking([], ["https://g.org/2"], k=3)["mrr@10"] == 0.0


def test_key_facts_all_and_any_ignore_case_and_spacing():
    """A phrase counts when the answer holds it in any case, with any run of whitespace."""
    answer = "Use a Paginator:  it walks every page of\nresults [1]."
    assert key_facts(answer, ["paginator", "every page of results"]) == (True, True)
    assert key_facts(answer, ["paginator", "1000"]) == (False, True)
    assert key_facts(answer, ["continuation token"]) == (False, False)


def test_faithfulness_checks_each_cited_sentence_in_its_passage():
    """A sentence is faithful when its words, in order, are in a passage its [n] names; the note is not a sentence."""
    passages = {1: ["Paginators > Intro\n\nA paginator iterates over every page (of results)."],
                2: ["DVC > Data\n\n`dvc add` tracks a data file."]}
    answer = ("A paginator iterates over every page of results [1]. Run dvc add to track data [2]. "
              "dvc add tracks a data file [1][2].")
    assert [ns for _s, ns in cited_sentences(answer)] == [[1], [2], [1, 2]]
    assert faithfulness(answer, passages) == (2, 3)  # the second sentence is a paraphrase
    noted = "This is covered in week 9, not week 1. " + answer
    assert without_note(noted, "This is covered in week 9, not week 1.") .strip() == answer
    assert faithfulness("I couldn't find this.", passages) == (0, 0)
    # an index inside a code span is code, not a citation marker (the widget reads it so too)
    argv = {1: ["Modules > Scripts\n\nWith no script given, `sys.argv[0]` is an empty string."]}
    coded = "With no script given, `sys.argv[0]` is an empty string [1]."
    assert [ns for _s, ns in cited_sentences(coded)] == [[1]] and faithfulness(coded, argv) == (1, 1)


def test_summarise_splits_answerable_and_unanswerable():
    """Ranking metrics come from questions with gold URLs; abstention counts unanswerable as the positive class."""
    rows = [
        {"kind": "answerable", "week": 1, "grounded": True, "widened": False, "ms": 10.0,
         "hit@1": 1.0, "hit@k": 1.0, "mrr@10": 1.0, "ndcg@10": 1.0, "keyfact_all": True, "keyfact_any": True,
         "faithful": 2, "cited": 2},
        {"kind": "cross_week", "week": 1, "grounded": False, "widened": True, "ms": 20.0,
         "hit@1": 0.0, "hit@k": 1.0, "mrr@10": 0.5, "ndcg@10": 0.5, "keyfact_all": False, "keyfact_any": False},
        {"kind": "unanswerable", "week": 2, "grounded": False, "widened": True, "ms": 30.0},
        {"kind": "unanswerable", "week": 2, "grounded": True, "widened": False, "ms": 40.0, "faithful": 0, "cited": 1},
    ]
    s = summarise(rows)
    assert s["questions"] == 4 and s["hit@1"] == 0.5 and s["hit@k"] == 1.0 and s["mrr@10"] == 0.75
    assert s["abstain_precision"] == 0.5 and s["abstain_recall"] == 0.5 and s["answerable_abstain"] == 0.5
    assert s["keyfact_all"] == 0.5 and s["keyfact_any"] == 0.5 and s["faithful"] == pytest.approx(0.667)
    assert s["widened_xweek"] == 1.0 and s["p50_ms"] == 25.0
    assert "hit@1" not in summarise(rows[2:]) and "abstain_recall" not in summarise(rows[:2])


CHUNKS: list[tuple[str, str, dict[str, Any]]] = [
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


def publish_tiny_index(data_dir, chunking: str) -> tuple[IndexStore, OnnxEmbedder]:
    """CHUNKS embedded with the real model and published as version 1 of an on-disk index in data_dir."""
    store = IndexStore(open_client(data_dir), "roadmap")
    version, col = store.new_version()
    embedder = OnnxEmbedder(MODEL_DIR)
    add_chunks(col, [c[0] for c in CHUNKS], [c[1] for c in CHUNKS], [c[2] for c in CHUNKS],
               embedder.embed([c[1] for c in CHUNKS]).tolist())
    store.publish(version, col, {"pages": {}}, embedder=embedder.name, chunking=chunking)
    return store, embedder


def test_evaluate_command_end_to_end(tmp_path, monkeypatch, capsys):
    """Dev and test side by side over a tiny index: the table, the markdown report and the JSON, scored right."""
    publish_tiny_index(tmp_path / "data", chunking="test")
    dev, test = tmp_path / "dev.jsonl", tmp_path / "test.jsonl"
    dev.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    test.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS[:2]))
    monkeypatch.setenv("RA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RA_EMBEDDING_MODEL_DIR", str(MODEL_DIR))
    out, md = tmp_path / "out.json", tmp_path / "report.md"
    assert main(["--dev", str(dev), "--test", str(test), "--json", str(out), "--report", str(md), "--k", "3"]) == 0
    printed = capsys.readouterr().out
    assert "dev" in printed and "test" in printed and "abstain_recall" in printed
    result = json.loads(out.read_text())
    assert set(result["runs"]) == {"dev", "test"}
    dev_run = result["runs"]["dev"]
    assert dev_run["overall"]["hit@k"] == 1.0 and dev_run["overall"]["mrr@10"] == 1.0
    assert dev_run["overall"]["abstain_recall"] == 1.0 and dev_run["overall"]["widened_xweek"] == 1.0
    assert set(dev_run["per_week"]) == {"1", "2", "9"} and dev_run["per_week"]["9"]["questions"] == 2
    assert len(dev_run["questions"]) == len(QUESTIONS) and result["runs"]["test"]["overall"]["questions"] == 2
    assert all(r["answer"] for r in dev_run["questions"])
    table = md.read_text()
    assert "| measure | dev | test |" in table and "| hit@3 | 1.000 | 1.000 |" in table


def test_evaluate_command_reports_an_empty_index(tmp_path, monkeypatch, capsys):
    """Over a store with nothing published the command prints one error line and exits 1."""
    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps(QUESTIONS[0]) + "\n")
    monkeypatch.setenv("RA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RA_EMBEDDING_MODEL_DIR", str(MODEL_DIR))
    assert main(["--dev", str(qa), "--only", "dev"]) == 1
    assert capsys.readouterr().err.startswith("error: nothing is indexed")
