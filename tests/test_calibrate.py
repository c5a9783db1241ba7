"""Tests for evaluation/calibrate.py: the logistic fit, stratified folds, and the command end to end over a tiny on-disk
index built with the real embedder: a cross-validated fit stored with the index and picked up by a retriever."""
from __future__ import annotations

import json

import numpy as np

from evaluation.calibrate import (
    BY_FILE_RULES,
    GRID,
    RULES,
    Decision,
    Space,
    abstains,
    fit_abstention,
    fit_cooccur,
    fit_decisions,
    fit_logistic,
    folds,
    learner_phrased,
    leave_one_file_out,
    main,
    rates,
)
from tests.test_evaluate import MODEL_DIR, QUESTIONS, publish_tiny_index
from vectorstore.calibration import DEFAULT, Calibration
from vectorstore.retrieve import Retriever


def test_fit_logistic_separates_two_classes():
    """The fitted weights, given back in raw feature units, score every positive above every negative."""
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal([0.6, 0.5], 0.05, (30, 2)), rng.normal([0.3, 0.1], 0.05, (8, 2))])
    y = np.array([1.0] * 30 + [0.0] * 8)
    w, b = fit_logistic(x, y)
    z = x @ w + b
    assert z[:30].min() > 0 > z[30:].max()
    flipped = x * [1, -1]  # the second feature now speaks against the positives: its weight stays at 0
    w, b = fit_logistic(flipped, y)
    assert w[1] == 0 and w[0] > 0
    assert fit_logistic(flipped, y, monotone=False)[0][1] < 0


def test_folds_are_stratified_disjoint_and_stable():
    """Every question is in exactly one fold, each kind is spread evenly, and the split never changes."""
    qs = [{"kind": "answerable"}] * 20 + [{"kind": "unanswerable"}] * 5 + [{"kind": "cross_week"}] * 3
    split = folds(qs, 5)
    assert sorted(i for f in split for i in f) == list(range(len(qs)))
    assert all(sum(qs[i]["kind"] == "unanswerable" for i in f) == 1 for f in split)
    assert split == folds(qs, 5) and split != folds(qs, 5, seed=1)


def test_learner_phrased_wraps_questions_in_boilerplate_only():
    """The learner-phrased variant keeps each question whole inside generic boilerplate, its week where it has one."""
    qs = [{"question": "What does dvc add do?", "week": 9}, {"question": "What is a Pod?", "week": None}] * 3
    phrased = learner_phrased(qs)
    assert [q["week"] for q in phrased] == [q["week"] for q in qs]
    assert any(q["question"] != o["question"] for q, o in zip(phrased, qs, strict=True))
    assert all(o["question"].lower()[1:] in q["question"].lower() for q, o in zip(phrased, qs, strict=True))
    assert not any("week None" in q["question"] for q in phrased)


def test_calibrate_command_fits_and_stores_with_the_index(tmp_path, monkeypatch, capsys):
    """`--save` stores a calibration fitted for this index's embedder and chunking; a retriever then uses it."""
    store, embedder = publish_tiny_index(tmp_path / "data", chunking="tiny-v1")
    dev, off = tmp_path / "dev.jsonl", tmp_path / "off.jsonl"
    dev.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS * 2))
    off.write_text(json.dumps({"question": "Who painted the Mona Lisa?", "kind": "offtopic"}) + "\n")
    monkeypatch.setenv("RA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RA_EMBEDDING_MODEL_DIR", str(MODEL_DIR))
    assert main(["--dev", str(dev), "--offtopic", str(off), "--folds", "2", "--save"]) == 0
    printed = capsys.readouterr().out
    assert "dev CV: all" in printed and "stored with the index" in printed
    stored = Calibration.from_json(store.calibration())
    assert stored.embedder == embedder.name and stored.chunking == "tiny-v1" and stored.fitted_at
    assert 0 < stored.threshold < 1 and stored.suggest_min > 0
    retriever = Retriever(store, embedder)
    assert retriever.ready() and retriever.calibration == stored
    assert retriever.calibration_status()["source"] == "index" and retriever.calibration_status()["matches"]


def test_retrieval_only_cross_validates_the_ranking_weights_per_variant(tmp_path, monkeypatch, capsys):
    """`--retrieval-only` prints one row per variant with its held-out ranking figures and the weights each fold
    chose (the title-similarity weight among them), and stores nothing with the index."""
    store, _embedder = publish_tiny_index(tmp_path / "data", chunking="tiny-v1")
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS * 2))
    monkeypatch.setenv("RA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RA_EMBEDDING_MODEL_DIR", str(MODEL_DIR))
    assert main(["--dev", str(dev), "--folds", "2", "--retrieval-only",
                 "--variants", "none of the changes", "+ title-similarity rerank",
                 "+ best sentence in the dense score"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [r.split(" | ")[0] for r in rows[1:]] == ["| none of the changes", "| + title-similarity rerank",
                                                     "| + best sentence in the dense score"]
    assert "title-sim 0/0; sentence 0/0; hub 0/0; contrast 0/0; breadth 0/0 |" in rows[1] and "title-sim" in rows[2] \
        and "sentence 0/0; hub 0/0; contrast 0/0; breadth 0/0 |" in rows[2]
    assert "title-sim 0/0; sentence" in rows[3]
    assert all(0.0 <= float(v) <= 1.0 for r in rows[1:] for v in r.split(" | ")[1:5])
    assert store.calibration() is None  # nothing stored


def test_one_weight_cross_validates_a_single_weight_over_its_grid(tmp_path, monkeypatch, capsys):
    """`--one-weight` prints one row per value of the weight's grid (all questions), marks the value the index
    serves, and a k-fold CV row whose per-fold choices are values of that grid; it stores nothing."""
    store, _embedder = publish_tiny_index(tmp_path / "data", chunking="tiny-v1")
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS * 2))
    monkeypatch.setenv("RA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RA_EMBEDDING_MODEL_DIR", str(MODEL_DIR))
    assert main(["--dev", str(dev), "--folds", "2", "--one-weight", "hub_weight"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [r.split(" | ")[0] for r in rows[1:-1]] == [f"| {v:g} on all" + (" (the index serves this)"
                                                                           if v == DEFAULT.hub_weight else "")
                                                       for v in GRID["hub_weight"]]
    chosen = rows[-1].split(" | ")[0].rsplit(" ", 1)[1].split("/")
    assert rows[-1].startswith("| 2-fold CV") and len(chosen) == 2 and all(float(v) in GRID["hub_weight"]
                                                                          for v in chosen)
    assert all(0.0 <= float(v) <= 1.0 for r in rows[1:] for v in r.rstrip(" |").split(" | ")[1:])
    assert store.calibration() is None


def test_one_weight_takes_several_weights_each_cross_validated_alone(tmp_path, monkeypatch, capsys):
    """`--one-weight A B` prints one table per weight, each over its own grid, on the same questions."""
    publish_tiny_index(tmp_path / "data", chunking="tiny-v1")
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS * 2))
    monkeypatch.setenv("RA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RA_EMBEDDING_MODEL_DIR", str(MODEL_DIR))
    assert main(["--dev", str(dev), "--folds", "2", "--one-weight", "hub_weight", "contrast_weight"]) == 0
    out = capsys.readouterr().out.splitlines()
    heads = [line.split(" (")[0] for line in out if line.startswith("| ") and "(dev;" in line]
    assert heads == ["| hub_weight", "| contrast_weight"]
    values = [line.split(" | ")[0] for line in out if line.startswith("| ") and " on all" in line]
    assert len(values) == len(GRID["hub_weight"]) + len(GRID["contrast_weight"])
    assert sum(line.startswith("| 2-fold CV") for line in out) == 2


def test_one_weight_jointly_cross_validates_every_combination_of_the_grids(tmp_path, monkeypatch, capsys):
    """`--one-weight A B --jointly` prints one table: a row per pair of values (the pair the index serves marked),
    then the k-fold CV row whose per-fold choices are pairs from the grids."""
    publish_tiny_index(tmp_path / "data", chunking="tiny-v1")
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS * 2))
    monkeypatch.setenv("RA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RA_EMBEDDING_MODEL_DIR", str(MODEL_DIR))
    assert main(["--dev", str(dev), "--folds", "2", "--one-weight", "contrast_weight", "breadth_weight",
                 "--jointly"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| contrast_weight x breadth_weight (dev;")
    pairs = [(c, b) for c in GRID["contrast_weight"] for b in GRID["breadth_weight"]]
    served = (DEFAULT.contrast_weight, DEFAULT.breadth_weight)
    assert [r.split(" | ")[0] for r in rows[1:-1]] == [f"| ({c:g}, {b:g}) on all"
                                                       + (" (the index serves this)" if (c, b) == served else "")
                                                       for c, b in pairs]
    chosen = rows[-1].split(" | ")[0].split("chosen per fold ")[1].split("/")
    assert rows[-1].startswith("| 2-fold CV") and len(chosen) == 2
    assert all(tuple(map(float, v.strip("()").split(", "))) in pairs for v in chosen)


def _decisions(file: str, n_ans: int, n_un: int, ans_at: float, un_at: float) -> list[Decision]:
    """Rows of one writer's file: its answerable questions' signals around `ans_at`, its unanswerable ones' around
    `un_at` (the same value in every signal), no evidence check, no unknown name."""
    rows = [Decision(file, False, (ans_at + 0.01 * i,) * 5, "other", None, False) for i in range(n_ans)]
    return rows + [Decision(file, True, (un_at + 0.01 * i,) * 5, "other", None, False) for i in range(n_un)]


def test_abstains_applies_the_model_the_threshold_the_evidence_gate_and_unknown_names():
    """A row abstains below the threshold, or when its kind is checked and its evidence falls short, or when it
    names something no page mentions; a kind outside the checked ones is never gated."""
    cal = DEFAULT.with_(weights=(1.0, 0.0, 0.0, 0.0, 0.0), bias=0.0, threshold=0.5, evidence_share=0.4,
                        evidence_kinds=("price",))
    rows = [Decision("a", False, (1.0, 0, 0, 0, 0), "price", 0.9, False),   # confident, evidence there
            Decision("a", False, (-1.0, 0, 0, 0, 0), "other", None, False),  # below the threshold
            Decision("a", True, (1.0, 0, 0, 0, 0), "price", 0.1, False),    # the price is not stated
            Decision("a", True, (1.0, 0, 0, 0, 0), "date", 0.1, False),     # date is not a checked kind
            Decision("a", True, (1.0, 0, 0, 0, 0), "other", None, True)]    # an unknown name
    assert abstains(rows, cal).tolist() == [False, True, True, False, True]
    assert rates(rows, abstains(rows, cal)) == (2 / 3, 1 / 2)


def test_the_co_occurrence_checks_gate_their_own_groups_only():
    """The kinds without a fact (`passage_facts.COOCCUR_KINDS`) are checked against `cooccur_share`, a name asked by
    its maker ("origin") against `origin_share`, the fact kinds against `evidence_share`; 0 turns a check off."""
    cal = DEFAULT.with_(evidence_share=0.4, evidence_kinds=("price",), cooccur_share=0.5, origin_share=0.3)
    assert cal.lacks_evidence("yesno", 0.45) and not cal.lacks_evidence("yesno", 0.55)
    assert cal.lacks_evidence("name", 0.45) and not cal.lacks_evidence("origin", 0.45)
    assert cal.lacks_evidence("origin", 0.2) and not cal.lacks_evidence("price", 0.45)
    assert not cal.lacks_evidence("yesno", None)
    off = DEFAULT.with_(cooccur_share=0.0, origin_share=0.0)
    assert not any(off.lacks_evidence(k, 0.0) for k in ("name", "yesno", "howto", "other", "origin"))
    assert Calibration.from_json(cal.to_json()) == cal


def _grounded(file: str, kind: str, shares: list[float], unanswerable: bool) -> list[Decision]:
    """Confident rows (the logistic answers them) of one kind, with these evidence shares."""
    return [Decision(file, unanswerable, (1.0, 0.0, 0.0, 0.0, 0.0), kind, s, False) for s in shares]


def test_fit_cooccur_refuses_unanswerable_only_at_a_price_the_answerable_can_pay():
    """The shares refuse the unanswerable rows whose key terms are apart, within the budget and at most one
    answerable refusal per three unanswerable gained; with no such gain, both checks stay off."""
    base = DEFAULT.with_(weights=(1.0, 0.0, 0.0, 0.0, 0.0), bias=0.0, threshold=0.5)
    rows = (_grounded("a", "yesno", [0.9] * 300 + [0.28], False) + _grounded("a", "yesno", [0.3] * 10, True)
            + _grounded("a", "origin", [0.6, 0.7], False) + _grounded("a", "origin", [0.1, 0.15], True))
    cal = fit_cooccur(rows, base)
    assert (cal.cooccur_share, cal.origin_share) == (0.35, 0.2)  # 10 gained for 1 lost; 2 gained for none
    assert rates(rows, abstains(rows, cal)) == (1.0, 1 / 303)
    # ten answerable refusals for ten unanswerable: not worth it, whatever the budget
    costly = _grounded("a", "yesno", [0.9] * 3000 + [0.28] * 10, False) + _grounded("a", "yesno", [0.3] * 10, True)
    assert (fit_cooccur(costly, base).cooccur_share, fit_cooccur(costly, base).origin_share) == (0.0, 0.0)
    # ... and over the budget (half a point of the answerable), not even for a large gain
    assert fit_cooccur(costly, base, cost=0.0005, price=0.5).cooccur_share == 0.0


def test_leave_one_file_out_scores_each_file_with_a_fit_that_never_saw_it():
    """Each file is scored by the calibration fitted on the others, and that fit never holds the file's rows."""
    rows = _decisions("a", 20, 5, 0.8, 0.2) + _decisions("b", 20, 5, 0.7, 0.3) + _decisions("c", 20, 5, 0.9, 0.1)
    seen: list[set[str]] = []

    def fit(train: list[Decision]) -> Calibration:
        seen.append({d.file for d in train})
        return fit_abstention(train, DEFAULT, "pooled", Space())

    per, fitted = leave_one_file_out(rows, fit)
    assert seen == [{"b", "c"}, {"a", "c"}, {"a", "b"}] and set(fitted) == {"a", "b", "c"}
    assert all(r == (1.0, 0.0) for r in per.values())  # separable in every file: all right


def test_a_file_rule_weighs_a_writer_the_pooled_rule_drowns():
    """One big file and one small one whose answerable questions sit lower: the pooled rule's threshold, within the
    budget over all answerable questions, refuses many of the small file's; the worst-file rule does not."""
    rows = _decisions("big", 200, 40, 0.6, -0.3) + _decisions("small", 20, 10, 0.0, -0.6)
    base = DEFAULT.with_(weights=(1.0, 0.0, 0.0, 0.0, 0.0), bias=0.0)
    space = Space(threshold=tuple(round(x, 2) for x in np.arange(0.05, 0.951, 0.01)), evidence_share=(0.0,))
    pooled = fit_decisions(rows, base, "pooled", space)
    worst = fit_decisions(rows, base, "worst-file", space)
    small = [d for d in rows if d.file == "small"]
    assert rates(small, abstains(small, pooled))[1] > rates(small, abstains(small, worst))[1]
    for rule in RULES:  # every rule picks from the grid
        assert fit_decisions(rows, base, rule, space).threshold in space.threshold


def two_dev_files(tmp_path, monkeypatch):
    """(the tiny index's store, two dev files, each one writer) with the settings pointing at that index: what the
    leave-one-file-out commands (`--by-file`, `--widening`) read."""
    store, _embedder = publish_tiny_index(tmp_path / "data", chunking="tiny-v1")
    one, two = tmp_path / "one_questions.jsonl", tmp_path / "two_questions.jsonl"
    one.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    two.write_text("".join(json.dumps(q) + "\n" for q in reversed(QUESTIONS)))
    monkeypatch.setenv("RA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RA_EMBEDDING_MODEL_DIR", str(MODEL_DIR))
    return store, one, two


def test_by_file_command_prints_the_leave_one_file_out_table(tmp_path, monkeypatch, capsys):
    """`--by-file` over two dev files: the served calibration's row, one row per fitting rule and signal set, one
    detail row per file left out; it stores nothing."""
    store, one, two = two_dev_files(tmp_path, monkeypatch)
    assert main(["--dev", str(one), str(two), "--by-file"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| abstention fit (dev, leave-one-file-out CV)") and "two left out" in rows[0]
    assert rows[1].startswith("| the served calibration")
    fits = [r for r in rows if r.startswith(tuple(f"| {rule} decisions (" for rule in RULES))]
    assert len(fits) == len(BY_FILE_RULES) * 2
    assert [r.split(" | ")[0] for r in rows if r.startswith(("| one ", "| two "))] == ["| one", "| two"]
    assert out.count("fitted on every file,") == len(BY_FILE_RULES) * 2
    assert store.calibration() is None


def test_cooccur_command_prints_the_leave_one_file_out_table(tmp_path, monkeypatch, capsys):
    """`--cooccur` over two dev files: one row per file left out, the summed gains and the in-sample fit; it stores
    nothing without --save."""
    store, one, two = two_dev_files(tmp_path, monkeypatch)
    assert main(["--dev", str(one), str(two), "--cooccur"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| file left out (dev)") and [r.split(" | ")[0] for r in rows[1:]] == ["| one", "| two"]
    assert "leave-one-file-out, summed over the 2 files: unanswerable refused" in out
    assert "fitted on every file (in-sample): cooccur_share" in out
    assert store.calibration() is None


def test_one_weight_also_leaves_one_file_out_and_prints_each_files_mrr(tmp_path, monkeypatch, capsys):
    """With two dev files `--one-weight` adds a leave-one-file-out row (one choice per file, from the grid) after the
    k-fold row, and a table of each held-out file's MRR@10 at the served value and at its fold's choice; the served
    value's MRR on a file is the MRR the grid row of that value gives on that file's questions alone."""
    _store, one, two = two_dev_files(tmp_path, monkeypatch)
    assert main(["--dev", str(one), str(two), "--folds", "2", "--one-weight", "hub_weight"]) == 0
    out = capsys.readouterr().out.splitlines()
    lofo = [line for line in out if line.startswith("| leave-one-file-out CV (2 files)")]
    assert len(lofo) == 1
    chosen = lofo[0].split(" | ")[0].split("chosen per file ")[1].split("/")
    assert len(chosen) == 2 and all(float(v) in GRID["hub_weight"] for v in chosen)
    head = out.index(next(line for line in out if line.startswith("| held-out file (dev)")))
    files = out[head + 2:head + 4]
    assert [f.split(" (")[0] for f in files] == ["| one", "| two"]
    for line, value in zip(files, chosen, strict=True):
        served, at_choice, shown = (c.strip(" |") for c in line.split(" | ")[1:])
        assert 0.0 <= float(served) <= 1.0 and 0.0 <= float(at_choice) <= 1.0 and shown == value
    # the two files hold the same questions: each held-out file's MRR at a value equals the other's
    assert files[0].split(" | ")[1] == files[1].split(" | ")[1]
