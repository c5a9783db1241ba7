"""Model calls under slowness and abuse, on a served app talking to the fake OpenAI server: RA_LLM_TIMEOUT
bounds the whole answer (a model that never stops trickling is cut there and the learner still gets an
answer), an upstream call is closed as soon as its client goes away (even while the model is silent), and
/readyz stays instant while 60 slow answers are in flight."""
from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from api.answer import MODEL_CUT, MODEL_UNAVAILABLE
from api.app import create_app
from tests.servers import serve

QUESTION = {"question": "How are model versions numbered in a model registry?"}
DEADLINE = 2.0
REPLY = "A model registry numbers each registered model version in order, starting from one [1]. " * 2
STALLING = "Versions are numbered [1]. " + REPLY  # its first cited sentence comes at once, then the model stalls
FIRST_SENTENCE = 8  # pieces of STALLING's first sentence (streamed text is shown from its first valid citation)


def llm_settings(fixture_index, fake_server, timeout: float):
    return fixture_index.model_copy(update={"llm_model": "fake-model", "openai_api_key": "key",
                                            "openai_base_url": fake_server.base, "llm_timeout": timeout})


@pytest.fixture(scope="module")
def strict_api(fixture_index, fake_server):
    """An app whose model answers must be complete within DEADLINE seconds."""
    with serve(create_app(llm_settings(fixture_index, fake_server, DEADLINE))) as url:
        yield url


@pytest.fixture(scope="module")
def patient_api(fixture_index, fake_server):
    """An app with a minute for each model answer: whatever ends a call sooner is not the deadline."""
    with serve(create_app(llm_settings(fixture_index, fake_server, 60.0))) as url:
        yield url


def events_of(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((fields["event"], json.loads(fields["data"])))
    return out


def wait_until(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_model_trickling_forever_is_cut_at_the_deadline(strict_api, fake):
    """A reply that never completes (whitespace trickling before its JSON, so no read ever times out) is
    abandoned at RA_LLM_TIMEOUT and the learner gets the extractive answer, saying why."""
    fake.trickle, fake.token_delay = True, 0.1
    started = time.monotonic()
    r = httpx.post(f"{strict_api}/ask", json=QUESTION, timeout=30)
    took = time.monotonic() - started
    assert r.status_code == 200 and DEADLINE <= took < DEADLINE + 5, took
    body = r.json()
    assert body["mode"] == "extractive" and body["note"] == MODEL_UNAVAILABLE and body["citations"]
    assert wait_until(lambda: fake.streams_abandoned == 1, 5)  # the upstream response was closed


def test_a_streamed_answer_trickling_forever_ends_at_the_deadline(strict_api, fake):
    """A stream of tokens that never ends is closed at RA_LLM_TIMEOUT: the learner keeps what arrived, marked
    as cut off, and the SSE stream finishes properly."""
    fake.say(REPLY)
    fake.trickle, fake.token_delay = True, 0.05
    started = time.monotonic()
    r = httpx.post(f"{strict_api}/ask/stream", json=QUESTION, timeout=30)
    took = time.monotonic() - started
    assert DEADLINE <= took < DEADLINE + 5, took
    events = events_of(r.text)
    assert [name for name, _ in events[-2:]] == ["answer", "done"]
    answer = events[-2][1]
    assert answer["mode"] == "llm" and answer["note"] == MODEL_CUT
    assert answer["answer"].startswith("A model registry numbers each registered model version")
    assert wait_until(lambda: fake.streams_abandoned == 1, 5) and fake.streams_finished == 0


async def _read_first_token_then_leave(client: httpx.AsyncClient, url: str) -> None:
    async with client.stream("POST", f"{url}/ask/stream", json=QUESTION) as r:
        async for line in r.aiter_lines():
            if line == "event: token":
                return  # leaving the block closes the connection mid-stream


def test_upstream_streams_are_closed_when_their_clients_leave(patient_api, fake):
    """20 learners each read the first token and close the tab while the model is silent (20 s between
    tokens): all 20 upstream streams are closed within seconds, not when the model's next token comes."""
    fake.say(*[STALLING] * 20)
    fake.token_delay, fake.fast_pieces = 20.0, FIRST_SENTENCE

    async def go():
        async with httpx.AsyncClient(timeout=30) as client:
            await asyncio.gather(*(_read_first_token_then_leave(client, patient_api) for _ in range(20)))

    asyncio.run(go())
    assert wait_until(lambda: fake.streams_abandoned == 20, 8), (fake.streams_abandoned, fake.streams_finished)
    assert fake.streams_finished == 0


def test_a_model_call_is_cancelled_when_a_non_streamed_client_leaves(patient_api, fake):
    """/ask's client gives up after 1 s: the model call it was waiting for is closed then, not at the deadline."""
    fake.trickle, fake.token_delay = True, 0.1
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{patient_api}/ask", json=QUESTION, timeout=1.0)
    assert wait_until(lambda: fake.streams_abandoned == 1, 8)


def test_sixty_slow_answers_in_flight_all_complete(patient_api, fake):
    """60 answers asked at once from a model that streams a token every 50 ms: every one completes with the
    model's text, none lost or cut."""
    fake.say(*[REPLY] * 60)
    fake.token_delay = 0.05

    async def go():
        async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=100)) as client:
            replies = await asyncio.gather(*(client.post(f"{patient_api}/ask/stream", json=QUESTION)
                                             for _ in range(60)))
        return [events_of(r.text)[-2][1] for r in replies]

    answers = asyncio.run(go())
    assert len(answers) == 60 and all(a["mode"] == "llm" and a["note"] is None for a in answers)
    assert all(a["answer"].startswith("A model registry numbers") for a in answers)
    assert fake.streams_finished == 60 and fake.streams_abandoned == 0


def test_probes_answer_at_once_while_every_worker_waits_on_the_model(patient_api, fake):
    """60 answers whose model goes silent after its first token (15 s to the next): every worker thread is
    waiting on it, yet /readyz and /livez answer at once (they read memory only). Then the learners leave, and
    every upstream stream is closed within seconds."""
    fake.say(*[STALLING] * 60)
    fake.token_delay, fake.fast_pieces = 15.0, FIRST_SENTENCE
    workers = 40  # anyio's default worker-thread limit, which the waiting answers use up

    async def answer(client: httpx.AsyncClient, streaming: list[int], full: asyncio.Event, leave: asyncio.Event):
        async with client.stream("POST", f"{patient_api}/ask/stream", json=QUESTION) as r:
            lines = r.aiter_lines()
            async for line in lines:
                if line == "event: token":
                    streaming[0] += 1
                    if streaming[0] == workers:
                        full.set()
                    break
            await leave.wait()

    async def go():
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client, httpx.AsyncClient(timeout=30) as prober:
            streaming, full, leave = [0], asyncio.Event(), asyncio.Event()
            tasks = [asyncio.ensure_future(answer(client, streaming, full, leave)) for _ in range(60)]
            await asyncio.wait_for(full.wait(), 60)
            took = []
            for _ in range(10):
                for path in ("/readyz", "/livez"):
                    t0 = time.perf_counter()
                    assert (await prober.get(f"{patient_api}{path}")).status_code == 200
                    took.append(time.perf_counter() - t0)
                await asyncio.sleep(0.1)
            leave.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            return took

    took = sorted(asyncio.run(go()))
    print(f"/readyz and /livez under 60 stalled answers: median {took[len(took) // 2] * 1000:.1f} ms, "
          f"max {took[-1] * 1000:.1f} ms (dev, loaded shared machine)")
    # before: each waited for a free worker thread, up to the model's 15 s; the bound is far from both that and the
    # few milliseconds a probe takes, so a loaded machine (the failure seen: 0.1 s at load 8 on 2 cores) passes
    assert took[-1] < 3.0, took
    asked = lambda: sum(1 for q in fake.requests if q["path"].endswith("/chat/completions"))  # noqa: E731
    assert wait_until(lambda: fake.streams_abandoned == asked() >= workers, 8), (fake.streams_abandoned, asked())
    assert fake.streams_finished == 0
