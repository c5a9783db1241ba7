"""The conversation evaluation command end to end over the fixture index: earlier turns answered by the system
and replayed, the last turn scored with and without history, per split and kind; bad files are an error."""
from __future__ import annotations

import json

import pytest

from api.conversation import choose
from evaluation.evaluate_conversations import fit_prior, load, main
from vectorstore.retrieve import Hit, Retrieval

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
    # alone, the bare follow-up is measured too (on this small index its one content word may still find the page)
    assert dev["alone"]["overall"]["conversations"] == 1 and 0.0 <= dev["alone"]["overall"]["gold@k"] <= 1.0
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


def test_fit_prior_searches_the_last_turn_both_ways_and_cross_validates(env, capsys):
    """--fit-prior replays each conversation, keeps the last turns searched twice (standalone and bare) and
    scores every prior by which search `conversation.choose` keeps."""
    assert main(["--conversations", str(env), "--split", "dev", "--fit-prior", "--folds", "2"]) == 0
    fits = {f["scorer"]: f for f in map(json.loads, capsys.readouterr().out.splitlines())}
    assert set(fits) == {"confidence", "dense_gap", "dense"}  # the calibrated confidence and two raw readings
    fitted = fits["confidence"]
    assert fitted["cases"] == 1 and fitted["folds"] == 2  # "How are they promoted?" -> "... (model registry)"
    assert fitted["standalone_only"] == 1.0 and fitted["current"]["gold@k"] == 1.0
    assert fitted["whole_split"]["0.6"] == 1.0 and fits["dense"]["whole_split"]["0.4"] == 1.0


def retrieval(confidence: float, grounded: bool = True) -> Retrieval:
    return Retrieval([Hit("c", "text", {"url": "u"}, 1.0, None, None, ["c"])], None, "all", False, grounded,
                     confidence, None)


def test_cross_validation_scores_each_fold_with_a_prior_fitted_on_the_others():
    """The standalone search (first) is right when the bare one is at most 0.2 more confident: the fitted priors
    sit inside the plateau that gets every training case right, and the held-out rate is what they score."""
    cases = [([retrieval(0.5), retrieval(0.5 + d)], [True, False]) for d in (0.05, 0.1, 0.15, 0.2)]
    cases += [([retrieval(0.5), retrieval(0.5 + d)], [False, True]) for d in (0.45, 0.5, 0.55, 0.6)]
    cases.append(([retrieval(0.9, grounded=False), retrieval(0.1)], [True, False]))  # grounded beats any prior
    fitted = fit_prior(cases, folds=3)
    assert all(0.2 <= p < 0.45 for p in fitted["fold_priors"])
    assert fitted["cv_gold@k"] == round(8 / 9, 3) and fitted["whole_split"][0.3] == round(8 / 9, 3)
    assert fitted["standalone_only"] == round(5 / 9, 3) and fitted["bare_only"] == round(4 / 9, 3)
    close = [retrieval(0.5), retrieval(0.7)]
    assert choose(close, prior=0.1) == 1 and choose(close, prior=0.3) == 0
