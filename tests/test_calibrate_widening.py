"""Week widening has its own threshold (`Calibration.widen_threshold`), not the abstention threshold: the retriever
widens by it alone, `evaluation.calibrate.fit_widening` fits it to the hit@k of cross-week and in-week questions, and
`--widening` cross-validates it leaving one dev file out, over a tiny on-disk index built with the real embedder."""
from __future__ import annotations

import json

from evaluation.calibrate import WIDEN_THRESHOLDS, Widening, fit_widening, main, widening_outcome
from tests.test_calibrate import two_dev_files
from tests.test_evaluate import QUESTIONS, publish_tiny_index
from vectorstore.calibration import DEFAULT, Calibration
from vectorstore.retrieve import Retriever

SWITCH = DEFAULT.with_(week_prior=0.0, earlier_prior=0.0)  # the hard widening switch (the soft week prior off)


def _rows(file: str = "a") -> list[Widening]:
    """Cross-week questions the week fits at 0.3-0.4 that hit only when widened; in-week ones the week fits at
    0.6-0.7 that hit only when they stay; an unanswerable one that abstains only when it stays."""
    cross = [Widening(file, "cross_week", 0.3 + 0.01 * i, (False, True), (True, True), (False, True))
             for i in range(10)]
    within = [Widening(file, "answerable", 0.6 + 0.01 * i, (True, False), (True, True), (False, True))
              for i in range(10)]
    return cross + within + [Widening(file, "unanswerable", 0.5, None, (False, True), (False, True))]


def test_widening_outcome_reads_each_row_by_its_weeks_fit():
    rows = _rows()
    never, between, always = (widening_outcome(rows, t) for t in (0.0, 0.5, 1.0))
    assert (never["xweek_hit"], never["inweek_hit"], never["xweek_widened"]) == (0.0, 1.0, 0.0)
    assert (between["xweek_hit"], between["inweek_hit"], between["inweek_widened"]) == (1.0, 1.0, 0.0)
    assert (always["xweek_hit"], always["inweek_hit"], always["inweek_widened"]) == (1.0, 0.0, 1.0)
    # the unanswerable one (fit 0.5) stays at 0.5 and abstains; widened, it is answered
    assert between["unanswerable_abstain"] == 1.0 and always["unanswerable_abstain"] == 0.0
    assert between["answerable_abstain"] == 0.0 and between["xweek"] == 10 and between["inweek"] == 10


def test_fit_widening_widens_cross_week_questions_without_widening_in_week_ones():
    """The threshold lands between the two groups' fits: every cross-week question widens, no in-week one does;
    among the margins, one whose rows gain nothing loses to the one whose rows gain."""
    flat = [Widening("a", r.kind, r.fit, (r.hit[0], r.hit[0]) if r.hit else None, r.grounded, r.widened)
            for r in _rows()]
    fitted = fit_widening({0.15: flat, 0.3: _rows()}, DEFAULT)
    assert fitted.widen_margin == 0.3 and fitted.widen_threshold == 0.4  # the tie nearest the abstention 0.2
    assert fitted.widen_threshold in WIDEN_THRESHOLDS
    assert fitted.threshold == DEFAULT.threshold and fitted.weights == DEFAULT.weights  # nothing else moves
    # with nothing to gain anywhere, ties keep the shipped margin and the abstention threshold
    assert fit_widening({0.15: flat, 0.3: flat}, DEFAULT.with_(threshold=0.35)) == DEFAULT.with_(
        threshold=0.35, widen_threshold=0.35, widen_margin=0.15)


def test_a_stored_calibration_without_the_widen_threshold_takes_the_default():
    stored = json.loads(DEFAULT.with_(widen_threshold=0.55).to_json())
    assert Calibration.from_json(json.dumps(stored)).widen_threshold == 0.55
    del stored["widen_threshold"]
    assert Calibration.from_json(json.dumps(stored)).widen_threshold == DEFAULT.widen_threshold


def test_the_retriever_widens_by_the_widen_threshold_not_the_abstention_threshold(tmp_path):
    """A cross-week question asked in week 1 (its answer lives on another week's page): it stays in the week when
    the widen threshold is below the week's fit and widens above it, whatever the abstention threshold (the margin
    set out of reach, so the whole index fitting much better doesn't widen it on its own)."""
    store, embedder = publish_tiny_index(tmp_path / "data", chunking="tiny-v1")
    retriever = Retriever(store, embedder)
    question = QUESTIONS[3]["question"]
    fit = retriever.search(question, week=1, calibration=SWITCH).week_fit
    assert fit is not None and retriever.search(question).week_fit is None  # no week asked: no week's fit
    for threshold in (0.05, 0.95):
        stay = retriever.search(question, week=1, calibration=SWITCH.with_(threshold=threshold, widen_margin=9.0,
                                                                            widen_threshold=fit - 0.01))
        wide = retriever.search(question, week=1, calibration=SWITCH.with_(threshold=threshold, widen_margin=9.0,
                                                                            widen_threshold=fit + 0.01))
        assert (stay.scope, stay.widened) == ("week", False)
        assert (wide.scope, wide.widened) == ("all", True)
        assert [h.url for h in wide.hits][0] == "https://aws.example/mme.html"


def test_widening_command_cross_validates_by_file_and_stores_only_with_save(tmp_path, monkeypatch, capsys):
    """`--widening` over two dev files prints the before / served / fitted / CV rows and the curve over the grid,
    stores nothing; with `--save` it stores the index's calibration with only its widening replaced."""
    store, one, two = two_dev_files(tmp_path, monkeypatch)
    assert main(["--dev", str(one), str(two), "--widening"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| widening (dev; rows asked in a week) | cross-week hit@5")
    assert [r.split(" | ")[0].split(":")[0] for r in rows[1:5]] == [
        "| widen below the abstention threshold 0.2, margin 0.15 (before)", "| served", "| fitted on all (in-sample)",
        "| leave-one-file-out CV (held out)"]
    assert sum(r.split(" | ")[0][2:].replace(".", "").isdigit() for r in rows) == len(WIDEN_THRESHOLDS)
    assert "chosen per file left out (threshold/margin): one: " in out and store.calibration() is None
    assert main(["--dev", str(one), str(two), "--widening", "--save"]) == 0
    stored = Calibration.from_json(store.calibration())
    assert stored.widen_threshold in WIDEN_THRESHOLDS
    assert stored.with_(widen_threshold=DEFAULT.widen_threshold, widen_margin=DEFAULT.widen_margin) == DEFAULT
