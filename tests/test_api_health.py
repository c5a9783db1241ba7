"""Health, readiness, metrics and error rendering: /livez, /readyz before and after an index exists,
/metrics from a per-app registry, and JSON errors (never a stack trace) for unknown routes and methods."""
from __future__ import annotations

import asyncio
import shutil
import time

import httpx
import pytest

from api.app import create_app
from ingest.job import run_job
from tests.servers import serve
from vectorstore.client import open_client
from vectorstore.embeddings import make_embedder
from vectorstore.store import IndexStore


@pytest.fixture(scope="module")
def api(fixture_index):
    with serve(create_app(fixture_index)) as url:
        yield url


def test_livez_always_answers(api):
    """/livez answers 200."""
    assert httpx.get(f"{api}/livez").json() == {"status": "alive"}


def test_readyz_reports_the_loaded_version(api):
    """/readyz answers 200 with the index version once an index is loaded, and the calibration in use."""
    r = httpx.get(f"{api}/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready" and r.json()["version"] >= 1
    assert r.json()["calibration"]["source"] == "default" and r.json()["calibration"]["matches"]


def test_a_calibration_fitted_for_other_chunking_is_flagged(tmp_path, fixture_index):
    """A calibration stored with the index but fitted for another chunking shows on /readyz and /metrics."""
    from vectorstore.calibration import DEFAULT

    settings = fixture_index.model_copy(update={"data_dir": tmp_path / "data"})
    shutil.copytree(fixture_index.data_dir, settings.data_dir)
    store = IndexStore(open_client(settings.data_dir), settings.collection)
    store.save_calibration(DEFAULT.with_(chunking="heading-v1:128/16", threshold=0.5).to_json())
    with serve(create_app(settings)) as url:
        calibration = httpx.get(f"{url}/readyz").json()["calibration"]
        assert calibration["source"] == "index" and not calibration["matches"]
        assert "chunking 'heading-v1:128/16' (the index: 'heading-v1:200/24')" in calibration["warning"]
        assert "ra_calibration_mismatch 1.0" in httpx.get(f"{url}/metrics").text


def test_readyz_is_503_until_an_index_is_built(tmp_path, fixture_index):
    """An app started on an empty store is up but not ready (/readyz and /ask 503), and becomes ready when an
    ingest publishes a version."""
    settings = fixture_index.model_copy(update={"data_dir": tmp_path / "data"})
    with serve(create_app(settings)) as url:
        assert httpx.get(f"{url}/livez").status_code == 200
        r = httpx.get(f"{url}/readyz")
        assert r.status_code == 503 and "no index" in r.json()["error"]["message"]
        r = httpx.post(f"{url}/ask", json={"question": "What is Docker?"})
        assert r.status_code == 503 and "python -m ingest" in r.json()["error"]["message"]
        store = IndexStore(open_client(settings.data_dir), settings.collection)
        asyncio.run(run_job(settings, store, make_embedder(settings)))
        deadline = time.monotonic() + 30  # the Retriever polls the pointer every 2 s
        while (r := httpx.get(f"{url}/readyz")).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert r.status_code == 200 and r.json()["version"] == 1
        assert httpx.post(f"{url}/ask", json={"question": "What is Docker Compose?"}).json()["grounded"]


def test_metrics_count_requests_and_stage_latency(api):
    """After an /ask, /metrics shows the request by route and status and a sample for every stage."""
    httpx.post(f"{api}/ask", json={"question": "What is a container image?"}, timeout=30)
    text = httpx.get(f"{api}/metrics").text
    assert 'ra_http_requests_total{method="POST",route="/ask",status="200"}' in text
    for stage in ("embed", "retrieve", "generate", "total"):
        name = f'ra_stage_seconds_count{{stage="{stage}"}}'
        count = next(line for line in text.splitlines() if line.startswith(name))
        assert float(count.split()[-1]) >= 1
    assert 'ra_answers_total{grounded="true",mode="extractive"}' in text
    assert "ra_calibration_mismatch 0.0" in text


def test_metrics_registry_is_per_app(fixture_index, api):
    """A second app in the same process starts with its own, empty counters."""
    httpx.get(f"{api}/weeks")
    with serve(create_app(fixture_index)) as other:
        text = httpx.get(f"{other}/metrics").text
    assert 'route="/weeks"' not in text and 'route="/ask"' not in text


def test_unknown_route_and_wrong_method_are_json_errors(api):
    """404 and 405 come back as {"error": {"status", "message"}}."""
    r = httpx.get(f"{api}/no/such/page")
    assert r.status_code == 404 and r.json() == {"error": {"status": 404, "message": "Not Found"}}
    r = httpx.get(f"{api}/ask")
    assert r.status_code == 405 and r.json()["error"]["status"] == 405


def test_demo_page_and_widget_are_served(api):
    """GET / serves the demo page, /widget.js the widget with a JavaScript type and cache headers."""
    r = httpx.get(f"{api}/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    r = httpx.get(f"{api}/widget.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    assert "max-age" in r.headers["cache-control"]
    assert httpx.get(f"{api}/static/index.html").status_code == 200


def test_an_unexpected_error_is_a_generic_500_without_a_trace(fixture_index):
    """An exception no handler knows becomes a generic JSON 500; the trace stays in the server log."""
    app = create_app(fixture_index)

    async def boom():
        raise RuntimeError("secret internals at /srv/app.py line 42")

    app.add_api_route("/boom", boom)
    with serve(app) as url:
        r = httpx.get(f"{url}/boom")
    assert r.status_code == 500 and r.json()["error"]["status"] == 500
    assert "secret" not in r.text and "Traceback" not in r.text
