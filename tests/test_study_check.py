"""The quiz answer check's mechanisms through the API (`POST /weeks/{n}/quiz/check` on the real app over the study
fixture index): number words, a value qualified by what the source does not say, a wrong value, hedges and "I don't
know", a negated fact, an echo of the question, a right answer padded with other text; and the number and code-name
reading the check relies on (`api.grading.specifics`)."""
from __future__ import annotations

import httpx
import pytest

from api import grading
from tests.servers import serve


@pytest.fixture(scope="module")
def api(study_index):
    from api.app import create_app

    with serve(create_app(study_index)) as url:
        yield url


def question(api: str, week: int, kind: str, containing: str) -> dict:
    r = httpx.get(f"{api}/weeks/{week}/quiz", params={"count": 20}, timeout=60)
    assert r.status_code == 200, r.text
    return next(q for q in r.json()["questions"] if q["kind"] == kind and containing in q["answer"])


def check(api: str, week: int, q: dict, answer: str) -> dict:
    r = httpx.post(f"{api}/weeks/{week}/quiz/check", json={"id": q["id"], "answer": answer}, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["quote"] == q["answer"] and body["citation"] == q["citation"]  # whatever the verdict
    return body


def test_a_value_in_words_is_the_value_and_a_qualified_or_wrong_one_is_not(api):
    pods = question(api, 2, "limit", "110 Pods")
    said = check(api, 2, pods, "one hundred and ten")
    assert said["verdict"] == "correct" and said["reason"] is None and said["missing"] == []
    assert said["specifics"] == 1
    qualified = check(api, 2, pods, "110 per namespace")
    assert qualified["verdict"] == "partial" and "qualified" in qualified["reason"]
    wrong = check(api, 2, pods, "120")
    assert wrong["verdict"] == "incorrect" and wrong["reason"] == "a different number or name than the source's"
    assert wrong["missing"] == ["110"] and wrong["specifics"] == -1


def test_hedges_are_not_the_answer(api):
    image = question(api, 1, "definition", "container image")
    blank = check(api, 1, image, "I don't know")
    assert blank["verdict"] == "incorrect" and blank["reason"] == "no answer given"
    assert "read-only" in blank["missing"] and blank["similarity"] == 0
    hedged = check(api, 1, image, "Not sure, maybe a read-only template with the instructions to create a container?")
    assert hedged["verdict"] == "correct" and hedged["reason"] is None


def test_a_negated_fact_is_incorrect_however_close_its_words(api):
    image = question(api, 1, "definition", "container image")
    negated = check(api, 1, image, "It is not a read-only template with the instructions for creating a container")
    assert negated["verdict"] == "incorrect" and negated["reason"] == "the answer negates what the source states"
    assert negated["similarity"] > 0.7 and negated["coverage"] == 1.0  # the words alone would have passed
    pod = question(api, 2, "definition", "smallest deployable unit")
    plain = check(api, 2, pod, "The smallest unit you can deploy, create and manage in Kubernetes")
    assert plain["verdict"] == "correct" and plain["reason"] is None


def test_an_answer_that_only_repeats_the_question_is_incorrect(api):
    image = question(api, 1, "definition", "container image")
    echo = check(api, 1, image, "A container image is an image for containers")
    assert echo["verdict"] == "incorrect" and echo["reason"] == "the answer only repeats the question"
    deliverables = question(api, 4, "plan", "runbook")
    assert check(api, 4, deliverables, "the deliverables of week 4")["verdict"] == "incorrect"
    assert check(api, 4, deliverables, "An architecture document and a runbook")["verdict"] == "correct"


def test_a_right_answer_padded_with_other_text_stays_right(api):
    image = question(api, 1, "definition", "container image")
    padded = check(api, 1, image, "A read-only template with the instructions to create a container. I read about "
                                  "it last week, together with volumes, networks and the build cache of the engine.")
    assert padded["verdict"] == "correct"
    vague = check(api, 1, image, "a template")
    assert vague["verdict"] == "partial" and vague["reason"] is None and "read-only" in vague["missing"]


@pytest.mark.parametrize("text, found", [
    ("twenty-five shards", {"25"}), ("a thousand", {"1000"}), ("10,000 rows", {"10000"}),
    ("str.format()", {"format"}), ("the format() method", {"format"}), ("mlflow.pyfunc.log_model", {"log_model"}),
    ("a `Pipeline` step", {"pipeline"}), ("RFC 2822-based", {"2822"}), ("docker push", set()),
])
def test_numbers_and_code_names_are_read_as_values(text, found):
    assert grading.specifics(text) == found


def test_a_source_s_number_words_are_not_values_a_learner_s_are():
    assert grading.specifics("holds out one specific group", words=False) == set()
    assert grading.specifics("one", words=True) == {"1"}
