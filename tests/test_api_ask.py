"""The answering endpoints over a real index of the fixture site: `POST /ask` (citations, week scoping,
validation) and `POST /ask/stream` (the Server-Sent Events order), served by uvicorn and called with httpx."""
from __future__ import annotations

import json
import re

import httpx
import pytest

from api.app import create_app
from tests.fake_openai import FakeOpenAI
from tests.servers import serve
from vectorstore.client import open_client
from vectorstore.store import IndexStore, iter_chunks

CITE = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module")
def api(fixture_index):
    with serve(create_app(fixture_index)) as url:
        yield url


@pytest.fixture(scope="module")
def chunk_texts(fixture_index) -> dict[str, str]:
    """Every indexed chunk's whitespace-normalised text, by page URL (joined)."""
    store = IndexStore(open_client(fixture_index.data_dir), fixture_index.collection)
    texts: dict[str, list[str]] = {}
    for _id, doc, meta, _e in iter_chunks(store.published().collection):
        texts.setdefault(meta["url"], []).append(" ".join(doc.split()))
    return {url: "\n".join(parts) for url, parts in texts.items()}


def ask(api: str, **body) -> httpx.Response:
    return httpx.post(f"{api}/ask", json=body, timeout=30)


def sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_ask_answers_with_citations_taken_from_the_index(api, chunk_texts):
    """An answerable question gets an extractive answer whose [n] markers all name citations of indexed chunks."""
    r = ask(api, question="What is a model registry and how are its versions numbered?")
    assert r.status_code == 200
    body = r.json()
    assert body["grounded"] is True and body["mode"] == "extractive"
    assert isinstance(body["version"], int) and set(body["timings"]) == {"embed", "retrieve", "generate", "condense"}
    numbers = {c["n"] for c in body["citations"]}
    used = {int(n) for n in CITE.findall(body["answer"])}
    assert used and used <= numbers
    assert any(c["url"] == "https://mlops.example.org/registry/" for c in body["citations"])
    for c in body["citations"]:
        assert c["url"] in chunk_texts
        assert c["deep_link"].startswith(c["url"])
        for sentence in re.split(r"(?<=\.) ", c["snippet"].rstrip("…")):
            assert sentence.rstrip(".") in chunk_texts[c["url"]]


def test_week_is_detected_from_the_question(api):
    """'In week 2 ...' scopes the search to week 2, and the answer cites week-2 pages."""
    body = ask(api, question="In week 2, how do I start a container from an image?").json()
    assert body["week"] == 2 and body["scope"] == "week" and body["grounded"]
    assert body["citations"] and all(2 in c["weeks"] for c in body["citations"])


def test_week_given_in_the_body_scopes_the_search(api):
    """The `week` field scopes the search as a week named in the question would."""
    body = ask(api, question="How does endpoint autoscaling decide how many instances to run?", week=3).json()
    assert body["week"] == 3 and body["scope"] == "week"
    assert body["citations"][0]["url"] == "https://aws.example.org/sagemaker/endpoints.html"


def test_top_k_limits_the_citations(api):
    """top_k=1 retrieves a single chunk, so at most one source is cited."""
    body = ask(api, question="What is a container image?", top_k=1).json()
    assert len(body["citations"]) == 1


def test_stream_sends_meta_tokens_answer_done_in_order(api):
    """/ask/stream sends meta, then tokens, then the full answer (the tokens joined), then done."""
    with httpx.stream("POST", f"{api}/ask/stream", json={"question": "What does the finally clause do in Python?"},
                      timeout=30) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r.read().decode())
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-2:] == ["answer", "done"]
    assert set(names[1:-2]) == {"token"}
    meta, answer = events[0][1], events[-2][1]
    assert meta["version"] == answer["version"] and meta["scope"] == answer["scope"]
    assert "".join(data["text"] for name, data in events if name == "token") == answer["answer"]
    assert answer["citations"] and answer["grounded"]


@pytest.mark.parametrize("body", [
    {"question": ""}, {"question": "   \n\t"}, {"question": "x" * 2001}, {"question": "What is Docker?", "week": 17},
    {"question": "What is Docker?", "top_k": 0}, {"question": "What is Docker?", "colour": "blue"}, {"week": 2},
])
def test_invalid_questions_are_refused_with_422(api, body):
    """Empty, blank, too long, out-of-range and unknown fields are a 422 with a JSON error message."""
    for path in ("/ask", "/ask/stream"):
        r = httpx.post(f"{api}{path}", json=body, timeout=30)
        assert r.status_code == 422
        assert r.json()["error"]["status"] == 422 and r.json()["error"]["message"].startswith("invalid request")


@pytest.mark.parametrize("question, week", [
    ("What are the goals of week 7?", 7), ("In wk 23, how do I start a container?", 23),
    ("What does the fourth week cover?", 4), ("how do registries version models in week four?", 4),
    ("What did I do last week?", None),
])
def test_a_week_the_question_names_that_the_roadmap_lacks_is_a_422_naming_its_weeks(api, question, week):
    """A week named in the text must be one of the roadmap's (1-3 here), as the `week` field must: /ask,
    /ask/stream and /v1 answer 422 saying which weeks it has, instead of searching every week in silence."""
    chat = {"model": "roadmap-assistant", "messages": [{"role": "user", "content": question}]}
    for path, body in (("/ask", {"question": question, "week": 2}), ("/ask/stream", {"question": question}),
                       ("/v1/chat/completions", chat)):
        r = httpx.post(f"{api}{path}", json=body, timeout=30)
        if week is None:  # "last week" is a time, no week mention ("the fourth week" and "the last week" are)
            assert r.status_code == 200, (path, r.text)
            continue
        assert r.status_code == 422, (path, r.text)
        assert r.json()["error"]["message"] == \
            f"invalid request: the question names week {week}, but the roadmap has weeks 1-3", path
    assert ask(api, question="What are the goals of week 3?").json()["week"] == 3  # a week it has is answered


def test_a_question_of_exactly_2000_characters_is_accepted(api):
    """The length limit is inclusive: 2,000 characters are answered."""
    question = ("What is a Docker image? " * 100)[:2000]
    assert ask(api, question=question).status_code == 200


def test_malformed_json_is_a_422_json_error(api):
    """A body that is not JSON gets the same JSON error shape, never a stack trace."""
    r = httpx.post(f"{api}/ask", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "Traceback" not in r.text
    assert r.json()["error"]["status"] == 422


@pytest.fixture(scope="module")
def llm(fixture_index):
    """The app configured to generate with a fake OpenAI-compatible server; yields (app URL, fake)."""
    fake = FakeOpenAI()
    with serve(fake.app()) as fake_url:
        settings = fixture_index.model_copy(update={"llm_model": "fake-model", "openai_api_key": "k",
                                                    "openai_base_url": f"{fake_url}/v1", "llm_timeout": 5.0})
        with serve(create_app(settings)) as url:
            yield url, fake


def test_llm_answer_is_generated_from_the_retrieved_sources(llm):
    """With a model configured, /ask answers with the model's text, its citations checked against the hits."""
    url, fake = llm
    fake.say("A registry keeps numbered versions of each model [1]. Approval promotes one [7].")
    body = ask(url, question="How does a model registry track versions?").json()
    assert body["mode"] == "llm" and body["grounded"]
    assert body["answer"] == "A registry keeps numbered versions of each model [1]. Approval promotes one."
    assert [c["n"] for c in body["citations"]] == [1]
    sent = fake.requests[-1]["body"]
    assert sent["model"] == "fake-model"
    prompt = sent["messages"][-1]["content"]
    assert "How does a model registry track versions?" in prompt and body["citations"][0]["url"] in prompt


def test_llm_answer_streams_the_model_tokens(llm):
    """/ask/stream relays the model's tokens as they come (from its first valid citation on), then the verified
    answer."""
    url, fake = llm
    fake.say("Docker Compose [1] runs several containers from one YAML file, one service for each container.")
    with httpx.stream("POST", f"{url}/ask/stream", json={"question": "What is Docker Compose?"}, timeout=30) as r:
        events = sse_events(r.read().decode())
    tokens = [data["text"] for name, data in events if name == "token"]
    answer = events[-2][1]
    assert len(tokens) > 5 and "".join(tokens) == answer["answer"]
    assert answer["mode"] == "llm" and answer["answer"].startswith("Docker Compose [1] runs several containers")
    assert fake.requests[-1]["body"]["stream"] is True


def test_a_failing_model_falls_back_to_an_extractive_answer(llm):
    """When the model answers 500, /ask still answers, extractively, and says why."""
    url, fake = llm
    fake.fail_status = 500
    try:
        body = ask(url, question="What is a container image?").json()
    finally:
        fake.fail_status = None
    assert body["mode"] == "extractive" and body["citations"] and "model was unavailable" in body["note"]
