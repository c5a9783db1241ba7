"""The OpenAI-compatible endpoints, driven by the real `openai` client: a whole completion, a streamed one
(chat.completion.chunk events ending with [DONE]), the week as an extra body field, and /v1/models."""
from __future__ import annotations

import httpx
import openai
import pytest

from api.app import create_app
from tests.servers import serve


@pytest.fixture(scope="module")
def api(fixture_index):
    with serve(create_app(fixture_index)) as url:
        yield url


@pytest.fixture(scope="module")
def client(api):
    with openai.OpenAI(base_url=f"{api}/v1", api_key="x", max_retries=0, timeout=30) as c:
        yield c


def test_models_lists_the_roadmap_assistant(client):
    """/v1/models lists exactly one model, roadmap-assistant."""
    assert [m.id for m in client.models.list()] == ["roadmap-assistant"]


def test_completion_appends_sources_and_gives_citations(client):
    """A whole completion's content ends with a Sources list matching the top-level citations."""
    resp = client.chat.completions.create(model="roadmap-assistant", messages=[
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "What is Docker Compose for?"}])
    content = resp.choices[0].message.content
    citations = resp.model_extra["citations"]
    assert resp.object == "chat.completion" and resp.choices[0].finish_reason == "stop"
    assert citations and "\n\nSources:\n" in content
    for c in citations:
        assert f"[{c['n']}] {c['title']} — {c['deep_link']}" in content
    assert citations[0]["url"] == "https://docs.example.org/docker/get-started/"


def test_the_last_user_message_is_the_question(client):
    """Earlier turns are context only: the answer follows the last user message."""
    resp = client.chat.completions.create(model="roadmap-assistant", messages=[
        {"role": "user", "content": "What is Docker Compose for?"},
        {"role": "assistant", "content": "It runs multi-container apps."},
        {"role": "user", "content": [{"type": "text", "text": "How are model versions promoted to production?"}]}])
    assert resp.model_extra["citations"][0]["url"] == "https://mlops.example.org/registry/"


def test_stream_yields_chunks_then_sources_and_stops(client):
    """A streamed completion arrives as several content chunks, ends with the Sources list and a stop chunk."""
    stream = client.chat.completions.create(model="roadmap-assistant", stream=True, messages=[
        {"role": "user", "content": "What does the finally clause do in Python?"}])
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert len([c for c in chunks if c.choices[0].delta.content]) >= 2
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    citations = chunks[-1].model_extra["citations"]
    assert citations
    last = citations[-1]
    assert text.endswith(f"[{last['n']}] {last['title']} — {last['deep_link']}")
    assert "[1]" in text.split("Sources:")[0]


def test_stream_ends_with_done(api):
    """The raw event stream's last event is `data: [DONE]`."""
    body = {"model": "roadmap-assistant", "stream": True,
            "messages": [{"role": "user", "content": "What is a Python package?"}]}
    r = httpx.post(f"{api}/v1/chat/completions", json=body, timeout=30)
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.text.rstrip().endswith("data: [DONE]")


def test_week_as_extra_body_field_scopes_the_answer(client):
    """`extra_body={"week": 1}` searches week 1 first: a week-2 topic is answered with a note saying so."""
    resp = client.chat.completions.create(model="roadmap-assistant", extra_body={"week": 1}, messages=[
        {"role": "user", "content": "How do I start a container from an image?"}])
    assert "covered in week 2, not week 1" in resp.choices[0].message.content
    assert all(2 in c["weeks"] for c in resp.model_extra["citations"])


def test_week_named_in_the_question_scopes_the_answer(client):
    """'week 1' in the question scopes retrieval to week 1."""
    resp = client.chat.completions.create(model="roadmap-assistant", messages=[
        {"role": "user", "content": "For week 1: how do I load a module?"}])
    citations = resp.model_extra["citations"]
    assert citations and all(1 in c["weeks"] for c in citations)


def test_no_user_message_is_a_422(client):
    """A conversation without a user message has no question: the client sees a 422."""
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="roadmap-assistant", messages=[{"role": "system", "content": "hi"}])
