"""Admin endpoints on a served app: off (404) without a token, 401 with a missing or wrong one, and a real
re-index in a child process (202, 409 while it runs, its status and summary read from another worker too,
then the new version served)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from ingest.lock import writer_lock
from tests.conftest import GATED_URL
from tests.servers import serve

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def wait_for(check, seconds: float = 60.0):
    """Poll `check()` until it returns something truthy (fails the test after `seconds`)."""
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)
    return result


def test_admin_is_off_without_a_token(fixture_index):
    """With no admin token configured, every admin endpoint is a 404, even with a bearer token."""
    with serve(create_app(fixture_index)) as url:
        for method, path in [("post", "/admin/reindex"), ("get", "/admin/reindex/abc"), ("get", "/admin/links"),
                             ("get", "/admin/feedback")]:
            r = httpx.request(method, f"{url}{path}", headers=AUTH)
            assert r.status_code == 404 and r.json()["error"]["status"] == 404


@pytest.fixture(scope="module")
def admin_api(fixture_index):
    with serve(create_app(fixture_index.model_copy(update={"admin_token": TOKEN}))) as url:
        yield url


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {TOKEN}"}])
def test_admin_needs_the_right_bearer_token(admin_api, headers):
    """A missing, wrong or non-Bearer credential is a 401 asking for a Bearer token."""
    for method, path in [("post", "/admin/reindex"), ("get", "/admin/links"), ("get", "/admin/feedback")]:
        r = httpx.request(method, f"{admin_api}{path}", headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"]["status"] == 401


def test_links_lists_the_roadmap_links_health(admin_api):
    """/admin/links gives the published version's link-health table: every roadmap link, indexed."""
    body = httpx.get(f"{admin_api}/admin/links", headers=AUTH).json()
    assert body["version"] >= 1 and len(body["links"]) == 4
    assert {link["outcome"] for link in body["links"]} == {"indexed"}
    assert body["run"]["pages_indexed"] >= 4


def test_reindex_is_refused_while_another_ingest_holds_the_lock(admin_api, fixture_index):
    """While a command-line ingest holds the writer lock, a re-index is refused at once with a 409."""
    with writer_lock(fixture_index.data_dir):
        r = httpx.post(f"{admin_api}/admin/reindex", headers=AUTH)
    assert r.status_code == 409 and "another ingest is running" in r.json()["error"]["message"]


def test_unknown_run_is_404(admin_api):
    """The status of a run id that never existed is a 404."""
    assert httpx.get(f"{admin_api}/admin/reindex/nope", headers=AUTH).status_code == 404


def test_reindex_runs_one_at_a_time_and_publishes(tmp_path, fixture_index, fixture_site):
    """On an empty store: 202 starts a run, a second start is a 409 while it runs, the status shows progress
    (the same on a second worker of the deployment), the crawl runs in a `python -m ingest` child at a lower
    priority, and once it succeeds the service becomes ready and answers from the new version."""
    roadmap = tmp_path / "roadmap.md"
    roadmap.write_text(fixture_index.roadmap.read_text() + f"- [ ] **Gated**: {GATED_URL}\n")
    settings = fixture_index.model_copy(update={"admin_token": TOKEN, "data_dir": tmp_path / "data",
                                                "roadmap": roadmap})
    fixture_site.gate.clear()  # the gated page holds the run open until the test has looked
    try:
        with serve(create_app(settings)) as url, serve(create_app(settings)) as other, \
                httpx.Client(base_url=url, headers=AUTH, timeout=30) as client:
            assert client.get("/readyz").status_code == 503
            r = client.post("/admin/reindex", json={"full": True})
            assert r.status_code == 202 and r.json()["status"] == "running"
            run_id = r.json()["id"]
            assert r.headers["location"] == f"/admin/reindex/{run_id}"
            second = client.post("/admin/reindex")
            assert second.status_code == 409 and second.json()["error"]["id"] == run_id
            status = client.get(f"/admin/reindex/{run_id}").json()
            assert status["status"] == "running" and status["full"] is True and status["summary"] is None
            assert httpx.post(f"{other}/admin/reindex", headers=AUTH).status_code == 409  # one lock for all
            wait_for(lambda: client.get(f"/admin/reindex/{run_id}").json()["pages_done"] >= 3)
            status = client.get(f"/admin/reindex/{run_id}").json()
            seen = httpx.get(f"{other}/admin/reindex/{run_id}", headers=AUTH).json()
            assert seen["pages_done"] == status["pages_done"]
            pid = status["pid"]
            assert pid != os.getpid() and b"-m\x00ingest\x00" in Path(f"/proc/{pid}/cmdline").read_bytes()
            assert os.getpriority(os.PRIO_PROCESS, pid) >= min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
            fixture_site.gate.set()
            done = wait_for(lambda: (s := client.get(f"/admin/reindex/{run_id}").json())["status"] != "running" and s)
            assert done["status"] == "succeeded", done
            assert done["summary"]["published"] is True and done["summary"]["version"] == 1
            assert done["pages_done"] == done["summary"]["pages_indexed"] >= 8 and done["finished_at"]
            assert httpx.get(f"{other}/admin/reindex/{run_id}", headers=AUTH).json() == done
            ready = wait_for(lambda: (r := client.get("/readyz")).status_code == 200 and r.json())
            assert ready["version"] == 1
            answer = client.post("/ask", json={"question": "What is a model registry?"}).json()
            assert answer["version"] == 1 and answer["citations"]
            again = client.post("/admin/reindex")
            assert again.status_code == 202 and again.json()["id"] != run_id
            wait_for(lambda: client.get(f"/admin/reindex/{again.json()['id']}").json()["status"] != "running")
    finally:
        fixture_site.gate.set()


def test_a_full_reindex_during_an_outage_fails_and_the_version_keeps_serving(tmp_path, fixture_index):
    """With every link unreachable (the mirror's port closed), a full re-index through the API reports
    "failed", naming the failures, with its summary (published false); the service keeps answering from the
    version it had."""
    import shutil

    from tests.servers import free_port

    shutil.copytree(fixture_index.data_dir, tmp_path / "data")
    settings = fixture_index.model_copy(update={"admin_token": TOKEN, "data_dir": tmp_path / "data",
                                                "mirror_base": f"http://127.0.0.1:{free_port()}"})
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, headers=AUTH, timeout=30) as client:
        version = wait_for(lambda: (r := client.get("/readyz")).status_code == 200 and r.json())["version"]
        run_id = client.post("/admin/reindex", json={"full": True, "force": True}).json()["id"]
        done = wait_for(lambda: (s := client.get(f"/admin/reindex/{run_id}").json())["status"] != "running" and s)
        assert done["status"] == "failed" and done["error"].startswith("every roadmap link failed (4 of 4)")
        assert "https://docs.example.org/python/tutorial/: " in done["error"]  # each failure named with its reason
        assert done["summary"]["published"] is False and done["summary"]["roadmap_links_failed"] == 4
        answer = client.post("/ask", json={"question": "What is a model registry?"}).json()
        assert answer["version"] == version and answer["citations"]
        assert client.get("/weeks").json()["version"] == version
