"""The study companion through the API: `GET /weeks/{n}/briefing`, `GET /weeks/{n}/quiz`, `POST /weeks/{n}/quiz/check`,
served by the real app over a real index of the study fixture site (`study_index`: 7 pages and a missing link
over 4 weeks, the last with roadmap text only), and the model path against the fake OpenAI server.
"""
from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.servers import serve

WEEKS = (1, 2, 3, 4)


@pytest.fixture(scope="module")
def api(study_index):
    from api.app import create_app

    with serve(create_app(study_index)) as url:
        yield url


@pytest.fixture(scope="module")
def passages(study_index) -> list[dict]:
    """Every chunk of the index, read from Chroma directly: {text, url, weeks}."""
    from vectorstore.client import open_client
    from vectorstore.store import IndexStore, iter_chunks

    store = IndexStore(open_client(study_index.data_dir), study_index.collection)
    return [{"id": cid, "text": doc, "url": meta["url"], "weeks": meta.get("weeks") or []}
            for cid, doc, meta, _e in iter_chunks(store.published().collection)]


def get(url: str, **params) -> httpx.Response:
    return httpx.get(url, params=params, timeout=60)


def quiz(api: str, week: int, count: int = 20, seed: int = 0) -> dict:
    r = get(f"{api}/weeks/{week}/quiz", count=count, seed=seed)
    assert r.status_code == 200, r.text
    return r.json()


def check(api: str, week: int, qid: str, answer: str) -> httpx.Response:
    return httpx.post(f"{api}/weeks/{week}/quiz/check", json={"id": qid, "answer": answer}, timeout=60)


def norm(text: str) -> str:
    """Text as a reader sees it: no bold markers, list markers or checkboxes, whitespace collapsed."""
    text = re.sub(r"(?m)^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?", "", text.replace("**", ""))
    return " ".join(text.split())


def holder(question: dict, week: int, passages: list[dict]) -> dict | None:
    """The passage of that week, on the cited page, that holds the answer word for word."""
    return next((p for p in passages if p["url"] == question["citation"]["url"] and week in p["weeks"]
                 and norm(question["answer"]) in norm(p["text"])), None)


# ---------------------------------------------------------------- briefing

def test_briefing_has_the_plan_resources_in_order_with_health_and_an_overview(api):
    b = get(f"{api}/weeks/1/briefing").json()
    assert (b["week"], b["title"], b["phase"]) == (1, "Containers", 1)
    assert b["goals"] == ["Build container images and run them"]
    assert b["weekend_project"] == "containerise a web service"
    assert b["deliverables"] == ["a Dockerfile", "a compose file"]
    assert [r["label"] for r in b["resources"]] == ["Docker Images", "Docker Compose", "Release Notes",
                                                    "Docker Networking"]
    images, compose, _notes, missing = b["resources"]
    assert images["health"]["status"] == "indexed" and images["health"]["http_status"] == 200
    assert missing["health"] == {"status": "failed", "http_status": 404, "reason": "HTTP 404 Not Found",
                                 "last_success": None, "redirected_to": None}
    assert missing["indexed"] == {"pages": 0, "chunks": 0, "words": 0} and missing["key_sections"] == []
    assert images["indexed"]["pages"] == 1 and images["indexed"]["chunks"] == 4
    assert 100 < images["indexed"]["words"] < 200 and images["reading_minutes"] == 1
    assert 1 <= len(images["key_sections"]) <= 3
    for section in images["key_sections"] + compose["key_sections"]:
        assert section["deep_link"].startswith(section["url"] + "#") and section["pointers"] >= 1
    assert b["indexed"]["pages"] == 3 and b["reading_minutes"] >= 2
    overview = b["overview"]
    assert overview["text"] and "[1]" in overview["text"]
    assert {c["url"] for c in overview["citations"]} <= {r["url"] for r in b["resources"]}
    for c in overview["citations"]:  # each cited sentence is the cited passage's own words
        for sentence in re.findall(r"([^[\]]+?) \[" + str(c["n"]) + r"\]", overview["text"]):
            assert norm(sentence.strip().lstrip(".!? ")) in norm(c["snippet"])  # not the stop after another's [n]


def test_builds_on_lists_earlier_weeks_with_what_they_share(api):
    assert get(f"{api}/weeks/1/briefing").json()["builds_on"] == []  # nothing comes before week 1
    week2 = get(f"{api}/weeks/2/briefing").json()["builds_on"]
    assert [b["week"] for b in week2] == [1]
    assert week2[0]["shared"] == ["Docker Compose"]
    assert week2[0]["reason"].startswith("Both cover Docker Compose; closest pages:")
    week3 = get(f"{api}/weeks/3/briefing").json()["builds_on"]
    assert week3 and all(b["week"] < 3 for b in week3)
    for entry in week2 + week3:
        assert entry["shared"] or entry["shared_pages"]
        named = entry["shared"] + [p["title"] for p in entry["shared_pages"]]
        assert any(name in entry["reason"] for name in named)
        assert entry["closest"]["that_week"]["title"] in entry["reason"]


def test_a_week_with_only_roadmap_text_is_briefed_and_quizzed_from_its_plan(api):
    b = get(f"{api}/weeks/4/briefing").json()
    assert b["resources"] == [] and b["indexed"]["pages"] == 0 and b["reading_minutes"] == 0
    assert [t["name"] for t in b["topics"]] == ["Platform Topics", "Operations"]
    assert b["topics"][0]["items"] == ["Multi-tenant clusters", "Self-service deployments"]
    assert b["overview"]["text"].startswith("Week 4 is about Platform Design")
    assert [c["url"] for c in b["overview"]["citations"]] == ["roadmap.md#week-4"]
    q = quiz(api, 4)
    assert len(q["questions"]) == 5 and {x["kind"] for x in q["questions"]} == {"plan"}
    answers = {x["question"]: x["answer"] for x in q["questions"]}
    assert answers["What is the goal of week 4?"] == "Design a platform for model serving"
    assert answers["What is week 4's final project?"] == "a model serving platform"
    assert answers["What does week 4's “Operations” part cover?"] == "Cost reports\nDisaster recovery"
    assert {x["citation"]["url"] for x in q["questions"]} == {"roadmap.md#week-4"}


def test_unknown_week_is_404_and_bad_parameters_are_422(api):
    for path in ("/weeks/99/briefing", "/weeks/0/quiz"):
        r = get(api + path)
        assert r.status_code == 404
        missing = f"week {path.split('/')[2]} is not in the roadmap (it has weeks 1-4)"
        assert r.json()["error"]["message"].startswith(missing)
    r = check(api, 99, "abc", "x")
    assert r.status_code == 404
    assert get(f"{api}/weeks/two/briefing").status_code == 422
    for params in ({"count": 0}, {"count": 21}, {"seed": -1}, {"count": "many"}):
        r = get(f"{api}/weeks/1/quiz", **params)
        assert r.status_code == 422 and r.json()["error"]["message"].startswith("invalid request:")


# ---------------------------------------------------------------- quiz

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quiz_answers_are_verbatim_in_a_cited_passage_of_the_week(api, passages, seed):
    """Over every week: each answer is found word for word (markdown and whitespace aside) in a passage of that
    week on the cited page; at least 95% must be, and the mechanism is meant to make it all."""
    total = found = 0
    for week in WEEKS:
        for q in quiz(api, week, seed=seed)["questions"]:
            total += 1
            found += holder(q, week, passages) is not None
    assert total >= 4 * 5
    assert found / total >= 0.95
    assert found == total


def test_every_week_gets_five_questions_of_the_kinds_asked_for(api):
    kinds = set()
    for week in WEEKS:
        q = quiz(api, week, count=5)
        assert len(q["questions"]) == 5 and q["count"] == 5 and q["available"] >= 5
        assert q["written_by"] == "sentences" and q["rejected"] == 0
        kinds |= {x["kind"] for x in q["questions"]}
        for x in q["questions"]:
            assert set(x) == {"id", "question", "answer", "citation", "kind"}
            assert set(x["citation"]) == {"url", "deep_link", "title", "section"}
    assert {"definition", "limit", "default", "command", "role", "plan"} <= kinds


def test_fill_in_the_blank_hides_the_fact_the_answer_quotes(api):
    questions = quiz(api, 2)["questions"]
    limit = next(x for x in questions if x["kind"] == "limit")
    assert limit["question"] == ("Fill in the blank (“Pod limits”): "
                                 "“A node can run up to ____ Pods in the default configuration of a cluster.”")
    assert limit["answer"] == "A node can run up to 110 Pods in the default configuration of a cluster."
    assert limit["citation"]["deep_link"] == "https://k8s.example.org/pods/#limits"
    command = next(x for x in questions if x["kind"] == "command" and "Deployment" in x["answer"])
    assert "kubectl apply" in command["answer"] and "kubectl apply" not in command["question"]


def test_one_question_per_passage_and_none_from_chrome_changelogs_or_code(api, passages):
    """At most one question per documentation passage (questions on a week's plan: one per roadmap field)."""
    for week in WEEKS:
        questions = quiz(api, week)["questions"]
        holders = [holder(q, week, passages)["id"] for q in questions if q["kind"] != "plan"]
        assert len(holders) == len(set(holders)), f"week {week}: two questions from one passage"
        fields = [q["citation"]["section"] for q in questions if q["kind"] == "plan"]  # a roadmap field each
        assert len(fields) == len(set(fields))
        for q in questions:
            text = q["question"] + " " + q["answer"]
            assert not re.search(r"cookie|navigation|Version 2\.0|project name|apiVersion", text, re.I), text
            assert "changelog" not in q["citation"]["url"] and q["citation"]["section"] != "Example manifest"


def test_quiz_is_deterministic_per_seed(api, study_index):
    from api.app import create_app

    first = quiz(api, 1, count=3, seed=7)
    assert quiz(api, 1, count=3, seed=7) == first
    with serve(create_app(study_index)) as other:  # another process-like instance of the service
        assert quiz(other, 1, count=3, seed=7) == first
    drawn = {tuple(x["id"] for x in quiz(api, 1, count=3, seed=s)["questions"]) for s in range(8)}
    assert len(drawn) > 1, "every seed drew the same questions"


# ---------------------------------------------------------------- checking answers

def _question(api: str, week: int, kind: str, containing: str) -> dict:
    return next(x for x in quiz(api, week)["questions"] if x["kind"] == kind and containing in x["answer"])


def test_check_judges_answers_and_always_quotes_the_source(api):
    pods = _question(api, 2, "limit", "110 Pods")
    right = check(api, 2, pods["id"], "110")
    assert right.status_code == 200
    body = right.json()
    assert body["verdict"] == "correct" and body["missing"] == []
    assert body["quote"] == pods["answer"] and body["citation"] == pods["citation"]
    wrong = check(api, 2, pods["id"], "about 500 per node").json()
    assert wrong["verdict"] == "incorrect" and wrong["quote"] == pods["answer"] and wrong["missing"] == ["110"]
    image = _question(api, 1, "definition", "container image")
    said = check(api, 1, image["id"], "A read-only template holding the instructions to create a container").json()
    assert said["verdict"] == "correct"
    partly = check(api, 1, image["id"], "a template").json()
    assert partly["verdict"] == "partial"
    off = check(api, 1, image["id"], "a virtual machine running Windows").json()
    assert off["verdict"] == "incorrect"
    assert off["citation"]["deep_link"] == "https://containers.example.org/docker/images/#images"


def test_check_refuses_unknown_questions_and_bad_answers(api):
    first = quiz(api, 1, count=1)["questions"][0]
    r = check(api, 2, first["id"], "anything")  # a week-1 question asked as week 2's
    assert r.status_code == 404 and "is not one of week 2's" in r.json()["error"]["message"]
    assert check(api, 1, "nonsense", "x").status_code == 404
    for body in ({"id": first["id"], "answer": ""}, {"id": first["id"], "answer": "   "},
                 {"id": first["id"]}, {"id": first["id"], "answer": "x", "extra": 1},
                 {"id": first["id"], "answer": "x" * 2001}):
        r = httpx.post(f"{api}/weeks/1/quiz/check", json=body, timeout=30)
        assert r.status_code == 422, body


def test_without_an_index_the_study_routes_answer_503(tmp_path, study_index):
    from api.app import create_app

    empty = study_index.model_copy(update={"data_dir": tmp_path / "empty"})
    with serve(create_app(empty)) as url:
        for r in (get(f"{url}/weeks/1/briefing"), get(f"{url}/weeks/1/quiz"), check(url, 1, "abc", "x")):
            assert r.status_code == 503 and "nothing is indexed yet" in r.json()["error"]["message"]


# ---------------------------------------------------------------- model-written questions

PASSAGE = re.compile(r'<passage n="(\d+)">\n(.*?)\n</passage>', re.S)


def model_reply(messages: list[dict]) -> str:
    """The fake model: passage 1 gets a question whose answer is its first sentence (copied); passage 2 one
    whose answer is in no passage; passage 9 does not exist."""
    passages = dict(PASSAGE.findall(messages[-1]["content"]))
    sentence = re.match(r"(.+?\.)(?:\s|$)", " ".join(passages["1"].split()))
    assert sentence, passages["1"]
    first = sentence[1]
    return json.dumps({"questions": [
        {"passage": 1, "question": "Which statement does the first passage open with?", "answer": first},
        {"passage": 2, "question": "How many moons does Jupiter have?", "answer": "Jupiter has ninety-five moons."},
        {"passage": 9, "question": "Is there a ninth passage?", "answer": "No, there is not."}]})


@pytest.fixture(scope="module")
def model_api(study_index, fake_server):
    from api.app import create_app

    settings = study_index.model_copy(update={"llm_model": "fake", "openai_api_key": "test-key",
                                              "openai_base_url": fake_server.base})
    with serve(create_app(settings)) as url:
        yield url


def test_model_questions_are_kept_only_when_their_answer_is_quoted_from_the_passage(model_api, fake, passages):
    fake.reply = model_reply
    body = quiz(model_api, 2, count=3, seed=5)
    first, second, third = body["questions"]
    assert body["written_by"] == "model" and body["rejected"] == 2
    assert first["kind"] == "model" and first["id"].startswith("m-")
    assert first["question"] == "Which statement does the first passage open with?"
    assert holder(first, 2, passages) is not None
    assert second["kind"] != "model" and "Jupiter" not in second["question"] + second["answer"]
    assert holder(second, 2, passages) is not None and holder(third, 2, passages) is not None
    assert len(fake.requests) == 1
    assert quiz(model_api, 2, count=3, seed=5) == body and len(fake.requests) == 1  # remembered, not asked again
    right = check(model_api, 2, first["id"], first["answer"]).json()
    assert right["verdict"] == "correct" and right["quote"] == first["answer"]


def test_a_failing_model_leaves_the_sentence_questions(model_api, fake, api):
    fake.fail_status = 500
    body = quiz(model_api, 3, count=4, seed=11)
    assert body["written_by"] == "sentences" and body["rejected"] == 0
    assert body["questions"] == quiz(api, 3, count=4, seed=11)["questions"]
