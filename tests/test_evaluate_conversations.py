"""The conversation evaluation command end to end over the fixture index: earlier turns answered by the system
and replayed, the last turn scored with and without history, per split and kind; bad files are an error."""
from __future__ import annotations

import json

import pytest

from evaluation.evaluate_conversations import load, main

CONVERSATIONS = [
    {"id": "c1", "split": "dev", "week": None, "kind": "pronoun",
     "turns": ["What is a model registry?", "How are they promoted?"],
     "gold_urls": ["https://mlops.example.org/registry/"], "must_contain": ["approval"], "expected_week": None},
    {"id": "c2", "split": "test", "week": 1, "kind": "week_keep",
     "turns": ["What is the weekend project of week 2?", "what about the deliverables?"],
     "gold_urls": ["roadmap.md#week-2"], "must_contain": ["dockerfile"], "expected_week": 2},
]


@pytest.fixture
def env(fixture_index, monkeypatch, tmp_path):
    for name, value in {"RA_DATA_DIR": fixture_index.data_dir, "RA_ROADMAP": fixture_index.roadmap,
                        "RA_EMBEDDING_MODEL_DIR": fixture_index.embedding_model_dir}.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    path = tmp_path / "conversations.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in CONVERSATIONS))
    return path


def test_the_command_replays_conversations_with_and_without_history(env, tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main(["--conversations", str(env), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("2 conversations, k=5") and "pronoun (history)" in printed
    result = json.loads(out.read_text())
    dev = result["summary"]["dev"]
    assert dev["history"]["overall"] == {"conversations": 1, "gold@k": 1.0, "cited": 1.0, "facts": 1.0,
                                         "all_facts": 1.0, "week": 1.0, "grounded": 1.0}
    assert dev["alone"]["overall"]["cited"] == 0.0 and dev["alone"]["overall"]["grounded"] == 0.0
    test = result["summary"]["test"]
    assert test["history"]["overall"]["week"] == 1.0 and test["alone"]["overall"]["week"] == 0.0
    assert set(result["summary"]) == {"dev", "test", "all"}
    first = result["conversations"][0]
    assert first["history"]["query"] == "How are they promoted? (model registry)"
    assert first["alone"]["query"] == "How are they promoted?"


def test_one_split_only(env, capsys):
    assert main(["--conversations", str(env), "--split", "test"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("1 conversations") and "\ntest\n" in printed and "\ndev\n" not in printed


def test_bad_files_are_reported(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "turns": []}) + "\n")
    with pytest.raises(ValueError, match="needs `turns`"):
        load(str(bad))
    assert main(["--conversations", str(bad)]) == 1
    assert "needs `turns`" in capsys.readouterr().err
    assert main(["--conversations", str(tmp_path / "missing.jsonl")]) == 1
