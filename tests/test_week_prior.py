"""The soft week prior (`Calibration.week_prior`, issue 9w2): a question asked in a week is searched over the whole
roadmap once and the week's passages gain a bonus, so the week's page wins a close call and another week's page
that fits clearly better still ranks first. Over the small real index of tests/test_retrieve.py (real ONNX
embeddings, in-memory Chroma) and, for the fit and `--week-prior`, the tiny on-disk index of tests/test_evaluate.py."""
from __future__ import annotations

import json

import pytest

from api.answer import widened_note
from evaluation.calibrate import Fitter, Space, fit_week_prior, main, week_priors
from evaluation.evaluate import Harness, load_questions
from tests.test_calibrate import two_dev_files
from tests.test_retrieve import CHUNKS, MME, MODEL_DIR, new_store, publish
from vectorstore.calibration import DEFAULT, Calibration
from vectorstore.embeddings import OnnxEmbedder
from vectorstore.ranking import union, week_prior
from vectorstore.retrieve import Retriever

SOFT = DEFAULT.with_(week_prior=0.2, earlier_prior=0.0)
SWITCH = DEFAULT.with_(week_prior=0.0, earlier_prior=0.0)  # the hard widening switch
MLFLOW, SPOT = "mlflow", "spot"  # week 9: "Artifacts can be stored in S3"; week 12: "save checkpoints to S3"


@pytest.fixture(scope="module")
def retriever():
    embedder = OnnxEmbedder(MODEL_DIR)
    vectors = dict(zip([c[0] for c in CHUNKS], embedder.embed([c[1] for c in CHUNKS]).tolist(), strict=True))
    store = new_store()
    publish(store, vectors, CHUNKS)
    return Retriever(store, embedder)


def test_week_prior_lifts_the_weeks_candidates_and_less_the_earlier_weeks():
    weeks = {"a": [5], "b": [2, 9], "c": [9], "d": []}
    fused = {"a": 0.5, "b": 0.5, "c": 0.5, "d": 0.5}
    assert week_prior(fused, weeks.__getitem__, 5, 0.2, 0.05) == {"a": 0.7, "b": 0.55, "c": 0.5, "d": 0.5}
    assert week_prior(fused, weeks.__getitem__, 9, 0.2) == {"a": 0.5, "b": 0.7, "c": 0.7, "d": 0.5}
    assert union([("x", 0.9), ("y", 0.3)], [("y", 0.3), ("z", 0.5)]) == [("x", 0.9), ("z", 0.5), ("y", 0.3)]


def test_a_stored_calibration_without_the_prior_takes_the_default():
    stored = json.loads(DEFAULT.with_(week_prior=0.3, earlier_prior=0.05).to_json())
    assert Calibration.from_json(json.dumps(stored)).week_prior == 0.3
    del stored["week_prior"], stored["earlier_prior"]
    assert Calibration.from_json(json.dumps(stored)) == DEFAULT


def test_an_in_week_question_stays_on_its_weeks_page(retriever):
    """Asked in week 12, "where can training artifacts be stored in S3?" fits week 9's MLflow page a little better
    than week 12's spot-training page: the whole roadmap alone (and the hard switch, which widens) ranks week 9's
    first; the prior keeps the week's page first, in the week, and week 9's page still among the hits."""
    q = "Where can training artifacts be stored in S3?"
    assert retriever.search(q, calibration=SOFT).hits[0].id == MLFLOW  # no week asked: no prior
    hard = retriever.search(q, week=12, calibration=SWITCH)
    assert hard.widened and hard.hits[0].id == MLFLOW
    r = retriever.search(q, week=12, calibration=SOFT)
    assert r.hits[0].id == SPOT and (r.scope, r.widened) == ("week", False) and r.grounded
    assert MLFLOW in [h.id for h in r.hits] and r.suggested is None and widened_note(r) is None


def test_a_question_answered_only_on_another_weeks_page_ranks_it_first(retriever):
    """Asked in week 9, "how do I save my training progress to S3?" is answered by week 12's checkpoints: it ranks
    first over the week's own pages, which keep the next places; the answer says where it lives."""
    r = retriever.search("How do I save my training progress to S3?", week=9, calibration=SOFT)
    assert r.hits[0].id == SPOT and (r.scope, r.widened) == ("all", True) and r.grounded
    assert [h.id for h in r.hits][1] == MLFLOW
    assert r.suggested["weeks"] == [12] and widened_note(r) == "This is covered in week 12, not week 9."
    served = retriever.search("How can I host hundreds of per-customer models behind a single endpoint?", week=1,
                              calibration=SOFT)
    assert served.hits[0].url == MME and served.widened and served.grounded and served.suggested["weeks"] == [12]
    assert any(1 in h.meta["weeks"] for h in served.hits)  # the week's best passages are still in the list


def test_a_prior_large_enough_keeps_every_search_in_the_week(retriever):
    r = retriever.search("How do I save my training progress to S3?", week=9, calibration=DEFAULT.with_(week_prior=5))
    assert r.hits[0].id == MLFLOW and r.scope == "week" and not r.widened


def test_an_off_topic_question_still_abstains_under_the_prior(retriever):
    for week in (None, 2):
        r = retriever.search("What is a good recipe for vegetarian lasagna with ricotta?", week=week,
                             calibration=SOFT)
        assert not r.grounded


def test_fit_week_prior_chooses_by_mrr_and_week_prior_command_stores_only_with_save(tmp_path, monkeypatch, capsys):
    """The fit takes the prior with the best MRR@10 (off on ties); `--week-prior` over two dev files prints the served,
    leave-one-file-out and per-prior rows and the per-file choices, and stores only with `--save`."""
    store, one, two = two_dev_files(tmp_path, monkeypatch)
    questions = load_questions(one)
    fitter = Fitter(Harness.open(), questions, [])
    fitted = fit_week_prior(fitter, list(range(len(questions))), DEFAULT)
    searched = [i for i, q in enumerate(questions) if q.get("week") and q["gold_urls"] and i not in fitter.planned]
    best = max(fitter.mrr(DEFAULT.with_(week_prior=w, earlier_prior=e), searched) for w, e in week_priors(Space()))
    assert round(fitter.mrr(fitted, searched), 4) == round(best, 4)
    assert fit_week_prior(fitter, [], DEFAULT) == DEFAULT  # nothing to fit on: unchanged
    assert main(["--dev", str(one), str(two), "--week-prior"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| week prior (dev; asked in a week) | all hit@1")
    assert rows[1].startswith("| served: hard widening switch") and rows[2].startswith("| leave-one-file-out CV")
    assert len(rows) == 3 + len(week_priors(Space())) - 1
    assert "chosen per file left out" in out and "one: " in out and store.calibration() is None
    assert main(["--dev", str(one), str(two), "--week-prior", "--save"]) == 0
    stored = Calibration.from_json(store.calibration())
    assert stored == DEFAULT.with_(week_prior=stored.week_prior, earlier_prior=stored.earlier_prior)
