"""The parts harness (`bench/quiz_parts.py`, issue 15p) on texts written here, with the real MiniLM model: an
expected text is cut at its list and coordination marks into parts that each hold a key term, and an answer that
states one part of two matches that part fully while matching the whole text only in part. No eval data is read."""
from __future__ import annotations

import pytest

from api import grading
from api.answer_readings import clauses, terms
from tests import bench_scripts


@pytest.fixture(scope="module")
def parts_script():
    return bench_scripts.load("quiz_parts")


QUESTION = "What does the monitor compute?"
EXPECTED = "model metrics for each endpoint and statistics on the tabular input data"


def test_the_expected_text_is_cut_at_its_coordination(parts_script):
    words = EXPECTED.split()
    keys = set(terms(EXPECTED)) - set(terms(QUESTION))
    cut = [" ".join(words[i] for i in p) for p in parts_script.parts(words, keys, cond=False)]
    assert cut == ["model metrics for each endpoint", "statistics on the tabular input data"]
    # a mark with no key term after it joins what follows to the part before
    assert len(parts_script.parts("metrics , and the".split(), {"metric"}, cond=False)) == 1


def test_one_part_of_two_matches_that_part_fully(parts_script, embedder):
    def signals(answer: str) -> tuple[list[float], int, float]:
        texts = [EXPECTED, answer, *[c for c in clauses(answer) if len(clauses(answer)) > 1]]
        _, pieces = embedder.embed_tokens(texts)
        recall = grading.alignment(pieces[0], pieces[1], lambda t: 1.0,
                                   set(terms(EXPECTED)) - set(terms(QUESTION)))[3]
        row = {"question": QUESTION, "expected": EXPECTED, "answer": answer}
        f = grading.Features(0.0, 0.0, 0.0, 0.0, key_recall=recall)
        s, n = parts_script.part_signals(row, f, pieces, {}, cond=False)
        return s, n, recall

    (best, share, gain, whole), n, recall = signals("statistics on the tabular input data")
    assert n == 2
    assert best >= parts_script.MATCHED and whole == 1.0 and share == 0.5   # one part of two matched
    assert gain > 0.2 and recall < best   # the whole text's key recall reads it as a weak match
    (best_wrong, _, _, whole_wrong), _, _ = signals("a load balancer for web traffic")
    assert best_wrong < 0.8 and whole_wrong == 0.0
