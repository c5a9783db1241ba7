"""Re-index runs as jobs of the whole deployment: `python -m api --workers 2` answers a run's status the
same from either worker, two workers racing to start a run get one 202 and one 409 (the lock is taken
atomically), and a run whose process is killed is reported as failed, with the lock free again."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from tests.conftest import GATED_URL
from tests.servers import free_port, serve

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "jobs-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def wait_for(check, seconds: float = 90.0):
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.2)
    return result


@pytest.fixture
def gated_settings(tmp_path, fixture_index, fixture_site):
    """A copy of the fixture index whose roadmap also links the gated page (a run waits there until the gate
    opens), with an admin token."""
    roadmap = tmp_path / "roadmap.md"
    roadmap.write_text(fixture_index.roadmap.read_text() + f"- [ ] **Gated**: {GATED_URL}\n")
    shutil.copytree(fixture_index.data_dir, tmp_path / "data", ignore=shutil.ignore_patterns("ingest.lock", "reindex"))
    fixture_site.gate.clear()
    try:
        yield fixture_index.model_copy(update={"admin_token": TOKEN, "data_dir": tmp_path / "data", "roadmap": roadmap})
    finally:
        fixture_site.gate.set()


def fresh_get(url: str) -> httpx.Response:
    """One request on a new connection (so that the kernel hands it to whichever worker accepts first)."""
    with httpx.Client(headers=AUTH, timeout=30) as client:
        return client.get(url)


def test_every_worker_answers_a_runs_status(gated_settings, fixture_site):
    """With two worker processes, a run started through one is answered identically by both, while it runs
    and when it is done (before, the other worker answered 404)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RA_")}
    env.update({**gated_settings.to_env(), "PYTHONPATH": str(ROOT)})
    proc = subprocess.Popen([sys.executable, "-m", "api", "--port", str(port), "--workers", "2", "--no-access-log"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: proc.poll() is None and _ok(f"{url}/readyz"), 120)
        started = httpx.post(f"{url}/admin/reindex", headers=AUTH, timeout=30)
        assert started.status_code == 202, started.text
        run = f"{url}/admin/reindex/{started.json()['id']}"
        seen = [fresh_get(run) for _ in range(30)]
        assert {r.status_code for r in seen} == {200}
        assert {(r.json()["id"], r.json()["status"], r.json()["started_at"]) for r in seen} == \
               {(started.json()["id"], "running", seen[0].json()["started_at"])}
        fixture_site.gate.set()
        wait_for(lambda: fresh_get(run).json()["status"] != "running")
        done = [fresh_get(run).json() for _ in range(20)]
        assert all(d == done[0] for d in done) and done[0]["status"] == "succeeded", done[0]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def test_two_workers_racing_to_start_get_one_run(gated_settings):
    """Two workers asked at the same instant: exactly one run starts, the other is told which one runs."""
    with serve(create_app(gated_settings)) as a, serve(create_app(gated_settings)) as b:
        barrier, answers = threading.Barrier(2), {}

        def start(url: str) -> None:
            barrier.wait()
            answers[url] = httpx.post(f"{url}/admin/reindex", headers=AUTH, timeout=30)

        threads = [threading.Thread(target=start, args=(u,)) for u in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r.status_code for r in answers.values())
        assert codes == [202, 409], [r.text for r in answers.values()]
        winner = next(r for r in answers.values() if r.status_code == 202).json()["id"]
        loser = next(r for r in answers.values() if r.status_code == 409).json()["error"]
        assert loser["id"] == winner and "another ingest is running" in loser["message"]
        pid = httpx.get(f"{a}/admin/reindex/{winner}", headers=AUTH).json()["pid"]
        os.kill(pid, signal.SIGKILL)  # end it here rather than waiting on the gate


def test_a_killed_run_is_reported_failed_and_frees_the_lock(gated_settings):
    """kill -9 of a run's process: its status turns to failed naming the signal, and a new run can start."""
    with serve(create_app(gated_settings)) as url, httpx.Client(base_url=url, headers=AUTH, timeout=30) as client:
        run_id = client.post("/admin/reindex").json()["id"]
        pid = wait_for(lambda: client.get(f"/admin/reindex/{run_id}").json()["pid"])
        wait_for(lambda: client.get(f"/admin/reindex/{run_id}").json()["pages_done"] >= 1)  # the child is running
        os.kill(pid, signal.SIGKILL)
        failed = wait_for(lambda: (s := client.get(f"/admin/reindex/{run_id}").json())["status"] != "running" and s)
        assert failed["status"] == "failed" and "stopped by signal 9" in failed["error"]
        assert (gated_settings.data_dir / "runs" / f"reindex-{run_id}.log").is_file()
        again = client.post("/admin/reindex")
        assert again.status_code == 202, again.text
        os.kill(client.get(f"/admin/reindex/{again.json()['id']}").json()["pid"], signal.SIGKILL)


def test_a_run_silent_for_a_minute_reads_as_failed(tmp_path):
    """A run whose process vanished without a word (no waiter left to tell, e.g. its worker died too) is
    reported failed once its heartbeat is a minute old; ids that are not run ids are never looked up."""
    from ingest.runstate import SILENT_SECONDS, FileRunStates, new_state, observed

    states = FileRunStates(tmp_path / "reindex")
    state = new_state("0123456789ab", full=False)
    states.write(state)
    assert observed(states.read("0123456789ab"), now=state["heartbeat_at"] + 5)["status"] == "running"
    late = observed(states.read("0123456789ab"), now=state["heartbeat_at"] + SILENT_SECONDS + 1)
    assert late["status"] == "failed" and "stopped without a result" in late["error"]
    assert states.read("../../etc/passwd") is None and states.read("0123456789AB") is None
