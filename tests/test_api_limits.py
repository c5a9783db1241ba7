"""Request hardening on a served app: bodies over 16 KB (declared or streamed) -> 413, a per-client rate
limit -> 429 with Retry-After, and CORS answered only for the configured origins."""
from __future__ import annotations

import httpx
import pytest

from api.app import create_app
from api.limits import TokenBucket
from tests.servers import serve

ALLOWED = "https://learn.example.org"


@pytest.fixture(scope="module")
def api(fixture_index):
    settings = fixture_index.model_copy(update={"cors_origins": [ALLOWED]})
    with serve(create_app(settings)) as url:
        yield url


def test_a_17kb_body_is_refused_with_413(api):
    """A 17 KB JSON body is refused by its Content-Length with a JSON 413."""
    r = httpx.post(f"{api}/ask", json={"question": "x" * 17 * 1024})
    assert r.status_code == 413 and r.json()["error"]["status"] == 413 and "16 KB" in r.json()["error"]["message"]


def test_a_streamed_body_without_length_is_counted(api):
    """A chunked body (no Content-Length) is refused with 413 once more than 16 KB has arrived."""
    def chunks():
        for _ in range(17):
            yield b"x" * 1024

    r = httpx.post(f"{api}/feedback", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in r.request.headers
    assert r.status_code == 413 and r.json()["error"]["status"] == 413


def test_a_small_streamed_body_still_reaches_the_route(api):
    """A chunked body under the limit is passed on whole to the route."""
    def chunks():
        yield b'{"question": "What is a '
        yield b'container image?"}'

    r = httpx.post(f"{api}/ask", content=chunks(), headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 200 and r.json()["citations"]


def test_rate_limit_answers_429_with_retry_after(fixture_index):
    """With 3 requests a minute, the 4th within the minute is a 429 with Retry-After seconds; health is exempt."""
    settings = fixture_index.model_copy(update={"rate_limit_per_minute": 3})
    with serve(create_app(settings)) as url, httpx.Client(base_url=url) as client:
        assert [client.get("/weeks").status_code for _ in range(3)] == [200, 200, 200]
        r = client.post("/ask", json={"question": "What is Docker?"})
        assert r.status_code == 429 and r.json()["error"]["status"] == 429
        assert 1 <= int(r.headers["retry-after"]) <= 20
        assert client.get("/livez").status_code == 200 and client.get("/readyz").status_code == 200


def test_cors_allows_the_configured_origin(api):
    """A request and a preflight from the allowed origin get Access-Control-Allow-Origin for it."""
    r = httpx.get(f"{api}/weeks", headers={"Origin": ALLOWED})
    assert r.headers["access-control-allow-origin"] == ALLOWED
    r = httpx.options(f"{api}/ask", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ALLOWED


def test_cors_refuses_other_origins(api):
    """Another origin gets no CORS grant: no Allow-Origin header, and its preflight is refused."""
    other = "https://evil.example.com"
    r = httpx.get(f"{api}/weeks", headers={"Origin": other})
    assert "access-control-allow-origin" not in r.headers
    r = httpx.options(f"{api}/ask", headers={"Origin": other, "Access-Control-Request-Method": "POST"})
    assert r.status_code == 400 and "access-control-allow-origin" not in r.headers
    assert "Disallowed CORS origin" in r.json()["error"]["message"]


def test_no_cors_by_default(fixture_index):
    """Without configured origins, no origin gets a CORS grant."""
    with serve(create_app(fixture_index)) as url:
        r = httpx.get(f"{url}/weeks", headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in r.headers


def test_token_bucket_refills_over_time():
    """A bucket of 3/min allows a burst of 3, then one more every 20 s, per key; the wait is exact."""
    now = [1000.0]
    bucket = TokenBucket(3, clock=lambda: now[0])
    assert [bucket.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take("a") == pytest.approx(20.0)
    assert bucket.take("b") == 0.0  # another client has its own bucket
    now[0] += 15
    assert bucket.take("a") == pytest.approx(5.0)
    now[0] += 5
    assert bucket.take("a") == 0.0 and bucket.take("a") > 0
