"""Feedback: `POST /feedback` stores a rating durably in SQLite, `GET /admin/feedback` lists it newest first,
and it is still there after the app restarts on the same data folder."""
from __future__ import annotations

import uuid

import httpx
import pytest

from api.app import create_app
from tests.servers import serve

TOKEN = "feedback-admin"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def settings(fixture_index):
    return fixture_index.model_copy(update={"admin_token": TOKEN})


def feedback(question: str, rating: str = "up", **extra) -> dict:
    return {"question": question, "answer": "Use a paginator [1].", "rating": rating,
            "citations": [{"n": 1, "url": "https://docs.example.org/python/tutorial/"}], **extra}


def test_feedback_is_stored_listed_newest_first_and_survives_a_restart(settings):
    """Two ratings come back newest first with every field, from the same SQLite file after a restart."""
    tag = uuid.uuid4().hex
    with serve(create_app(settings)) as url:
        first = httpx.post(f"{url}/feedback", json=feedback(f"first {tag}", "up"))
        second = httpx.post(f"{url}/feedback", json=feedback(f"second {tag}", "down", comment="wrong week"))
        assert first.status_code == 201 and second.status_code == 201
        assert first.json()["id"] != second.json()["id"]
    assert (settings.data_dir / "feedback.sqlite3").is_file()
    with serve(create_app(settings)) as url:
        items = httpx.get(f"{url}/admin/feedback", headers=AUTH).json()["items"]
        mine = [i for i in items if tag in i["question"]]
        assert [i["question"] for i in mine] == [f"second {tag}", f"first {tag}"]
        assert mine[0]["id"] == second.json()["id"] and mine[0]["rating"] == "down"
        assert mine[0]["comment"] == "wrong week" and mine[1]["comment"] is None
        assert mine[0]["citations"] == [{"n": 1, "url": "https://docs.example.org/python/tutorial/"}]
        downs = httpx.get(f"{url}/admin/feedback", params={"rating": "down"}, headers=AUTH).json()["items"]
        assert all(i["rating"] == "down" for i in downs) and any(i["id"] == second.json()["id"] for i in downs)


@pytest.fixture(scope="module")
def api(settings):
    with serve(create_app(settings)) as url:
        yield url


@pytest.mark.parametrize("body", [
    feedback("q", "meh"), feedback(""), feedback("   "), feedback("q", comment="x" * 2001),
    {"rating": "up"}, feedback("q", extra_field=1),
])
def test_invalid_feedback_is_a_422(api, body):
    """A rating other than up/down, a blank question, an oversized comment or unknown fields are refused."""
    r = httpx.post(f"{api}/feedback", json=body)
    assert r.status_code == 422 and r.json()["error"]["status"] == 422


def test_listing_feedback_needs_the_admin_token(api):
    """Without the bearer token the feedback list is a 401."""
    assert httpx.get(f"{api}/admin/feedback").status_code == 401


def _open_store(path, barrier, results):
    from api.feedback import FeedbackStore

    barrier.wait()
    try:
        FeedbackStore(path)
        results.put("ok")
    except Exception as exc:  # reported to the test, which fails on it
        results.put(repr(exc))


def test_replicas_can_create_the_feedback_database_at_the_same_time(tmp_path):
    """Four processes opening a new feedback database at once (API replicas on one data folder) all succeed."""
    import multiprocessing

    outcomes = []
    for round_ in range(15):
        barrier, results = multiprocessing.Barrier(4), multiprocessing.Queue()
        procs = [multiprocessing.Process(target=_open_store, args=(tmp_path / f"f{round_}.sqlite3", barrier, results))
                 for _ in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=60)
        outcomes += [results.get(timeout=10) for _ in procs]
    assert outcomes == ["ok"] * 60
