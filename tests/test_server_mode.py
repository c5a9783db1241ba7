"""Server mode, as docker compose runs it: a real Chroma server (`chroma run`), the ingest CLI and two API
processes all pointed at it by `RA_CHROMA_URL` and sharing one data folder. Both API replicas start without an
index (unready), serve the first ingest without a restart, give the same answer with the same citations, and
both switch to a new index version after a re-index started through only one of them, whose status both
answer (it is kept in the Chroma server's meta collection). The compose health
checks are run here against the real servers too.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import MODEL_DIR

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
TOKEN = "server-mode-admin-token"
QUESTION = "How are model versions numbered in a model registry?"
REGISTRY_PATH = "/mlops.example.org/registry/"
NEW_FACT = "Registry versions are now named after rivers, such as Danube and Amazon, instead of numbers."

pytestmark = pytest.mark.timeout(240)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], object], what: str, timeout: float = 90.0, logs: Sequence[Path] = ()) -> object:
    """Poll `check` until it returns something truthy; fail naming `what` (with the processes' log tails)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        time.sleep(0.25)
    tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in logs if p.exists())
    pytest.fail(f"timed out waiting for {what}\n{tails}")


def compose_check(service: str, port: int) -> list[str]:
    """The service's compose health check command, `$$` unescaped and aimed at a local port instead of 8000."""
    test = COMPOSE[service]["healthcheck"]["test"]
    assert test[0] == "CMD"
    words = [w.replace("$$", "$").replace("127.0.0.1:8000", f"127.0.0.1:{port}") for w in test[1:]]
    return [sys.executable if w == "python" else w.replace("127.0.0.1/8000", f"127.0.0.1/{port}") for w in words]


@dataclass
class Cluster:
    tmp: Path
    env: dict[str, str]
    chroma_port: int
    api_urls: list[str]
    logs: list[Path]
    observed: dict = field(default_factory=dict)  # what was seen before the first ingest

    def run(self, *args: str) -> subprocess.CompletedProcess:
        """`python -m ...` in the deployment's environment (its own working folder: no stray .env)."""
        return subprocess.run([sys.executable, "-m", *args], cwd=self.tmp, env=self.env, capture_output=True,
                              text=True, timeout=180)

    def status(self) -> dict:
        done = self.run("ingest", "--status", "--json")
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout)

    def ingested(self) -> dict:
        """The index status after the first ingest (run by the CLI on first call, then remembered)."""
        if "first_ingest" not in self.observed:
            done = self.run("ingest", "--json")
            assert done.returncode == 0, done.stderr[-3000:]
            self.observed["first_ingest"] = self.status()
        return self.observed["first_ingest"]

    def ask(self, url: str) -> dict:
        r = httpx.post(f"{url}/ask", json={"question": QUESTION}, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()

    def ready(self, url: str) -> dict | None:
        r = httpx.get(f"{url}/readyz", timeout=10)
        return r.json() if r.status_code == 200 else None


def start(cmd: list[str], log: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, fixture_site, fixture_roadmap):
    """Chroma server + two API processes on it, started before any index exists; stopped at the end."""
    tmp = tmp_path_factory.mktemp("server-mode")
    chroma_port, api_ports = free_port(), [free_port(), free_port()]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", str(tmp)),
        "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
        "RA_CHROMA_URL": f"http://127.0.0.1:{chroma_port}", "RA_DATA_DIR": str(tmp / "data"),
        "RA_ROADMAP": str(fixture_roadmap), "RA_MIRROR_BASE": fixture_site.url,
        "RA_EMBEDDING_MODEL_DIR": str(MODEL_DIR), "RA_CRAWL_DEPTH": "0", "RA_FETCH_RETRIES": "0",
        "RA_ADMIN_TOKEN": TOKEN, "RA_RATE_LIMIT_PER_MINUTE": "0",
    }
    procs, logs = [], [tmp / "chroma.log", tmp / "api-a.log", tmp / "api-b.log"]
    chroma = Path(sys.executable).parent / "chroma"
    procs.append(start([str(chroma), "run", "--path", str(tmp / "chroma"), "--port", str(chroma_port),
                        "--host", "127.0.0.1"], logs[0], env, tmp))
    try:
        heartbeat = f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat"
        wait_for(lambda: httpx.get(heartbeat, timeout=5).status_code == 200, "the Chroma heartbeat", logs=logs)
        for port, log in zip(api_ports, logs[1:], strict=True):
            procs.append(start([sys.executable, "-m", "api", "--host", "127.0.0.1", "--port", str(port),
                                "--no-access-log"], log, env, tmp))
        urls = [f"http://127.0.0.1:{p}" for p in api_ports]
        for url in urls:
            wait_for(lambda url=url: httpx.get(f"{url}/livez", timeout=5).status_code == 200, f"{url}/livez", logs=logs)
        cluster = Cluster(tmp, env, chroma_port, urls, logs)
        # Before any ingest: both replicas run but are not ready, and the compose health check says so.
        cluster.observed = {
            "readyz": [httpx.get(f"{u}/readyz", timeout=10).status_code for u in urls],
            "healthcheck_rc": subprocess.run(compose_check("api", api_ports[0]), capture_output=True).returncode,
        }
        yield cluster
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_replicas_start_unready_and_serve_the_first_ingest_without_restart(cluster):
    """Both APIs answer 503 on /readyz with no index, then serve the CLI's ingest with identical citations."""
    assert cluster.observed["readyz"] == [503, 503]
    assert cluster.observed["healthcheck_rc"] != 0
    status = cluster.ingested()
    assert status["version"] is not None and status["chunks"] > 0
    assert any(p["url"] == "https://mlops.example.org/registry/" for p in status["pages"])
    for url in cluster.api_urls:
        wait_for(lambda url=url: cluster.ready(url), f"{url} to load the index", logs=cluster.logs)
    a, b = (cluster.ask(url) for url in cluster.api_urls)
    assert a["grounded"] and a["citations"]
    assert any(c["url"] == "https://mlops.example.org/registry/" for c in a["citations"])
    assert a["version"] == b["version"] == status["version"]
    assert a["citations"] == b["citations"] and a["answer"] == b["answer"]


def test_ingest_status_cli_reads_the_server_index(cluster):
    """`python -m ingest --status` against the Chroma server reports the published version, pages and weeks."""
    cluster.ingested()
    status = cluster.status()
    text = cluster.run("ingest", "--status")
    assert text.returncode == 0, text.stderr
    assert f"index version {status['version']}" in " ".join(text.stdout.split())
    assert {"1", "2", "3"} <= set(status["weeks"])
    assert {p["url"] for p in status["pages"]} >= {"https://docs.example.org/python/tutorial/",
                                                   "https://aws.example.org/sagemaker/endpoints.html"}


def test_reindex_through_one_replica_updates_both(cluster, fixture_site):
    """A page changes, POST /admin/reindex on replica A publishes a new version, and A and B both cite the new text."""
    cluster.ingested()
    before = max(wait_for(lambda url=url: cluster.ready(url), f"{url} to load the index", logs=cluster.logs)["version"]
                 for url in cluster.api_urls)
    original = fixture_site.site.pages[REGISTRY_PATH]
    changed = original.replace("</h1>", f'</h1><h2 id="naming">Version naming</h2><p>{NEW_FACT}</p>')
    assert changed != original
    fixture_site.site.pages[REGISTRY_PATH] = changed
    try:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        started = httpx.post(f"{cluster.api_urls[0]}/admin/reindex", headers=auth, timeout=30)
        assert started.status_code == 202, started.text
        run_url = f"{cluster.api_urls[0]}/admin/reindex/{started.json()['id']}"
        other_url = f"{cluster.api_urls[1]}/admin/reindex/{started.json()['id']}"
        seen = httpx.get(other_url, headers=auth, timeout=10)  # the other replica knows the run too
        assert seen.status_code == 200 and seen.json()["id"] == started.json()["id"], seen.text
        run = wait_for(lambda: (r := httpx.get(run_url, headers=auth, timeout=10).json())["status"] != "running" and r,
                       "the re-index run", logs=cluster.logs)
        assert run["status"] == "succeeded", run
        assert httpx.get(other_url, headers=auth, timeout=10).json() == run  # read from Chroma by either replica
        assert run["summary"]["published"] and run["summary"]["version"] > before
        assert run["summary"]["pages_indexed"] == 1  # only the changed page was re-embedded
    finally:
        fixture_site.site.pages[REGISTRY_PATH] = original
    new_version = run["summary"]["version"]
    for url in cluster.api_urls:  # each replica notices the new pointer on its own (no restart, no signal)
        answer = wait_for(lambda url=url: (a := cluster.ask(url))["version"] == new_version and a,
                          f"{url} to serve version {new_version}", logs=cluster.logs)
        cited = " ".join(c["snippet"] for c in answer["citations"]) + " " + answer["answer"]
        assert "rivers" in cited, answer


def test_compose_health_checks_pass_against_the_real_servers(cluster):
    """Compose's Chroma probe (bash, no curl) passes on the real server's heartbeat; the API probe passes once ready."""
    cluster.ingested()
    chroma_check = compose_check("chroma", cluster.chroma_port)
    assert subprocess.run(chroma_check, capture_output=True).returncode == 0
    wrong_path = [re.sub(r"/api/v2/heartbeat", "/api/v2/no-such-path", w) for w in chroma_check]
    assert subprocess.run(wrong_path, capture_output=True).returncode != 0
    port = int(cluster.api_urls[0].rsplit(":", 1)[1])
    wait_for(lambda: cluster.ready(cluster.api_urls[0]), "the API to be ready", logs=cluster.logs)
    assert subprocess.run(compose_check("api", port), capture_output=True).returncode == 0


def test_sentence_vectors_are_stored_in_the_server_with_their_version(cluster, fixture_site):
    """Against the Chroma server: each chunk's sentence vectors are in its version's sentence collection on the
    server; an incremental run after a page edit stores the new chunk's sentences and drops the replaced chunk's,
    and a run after the page is restored drops the edit's sentences again."""
    from vectorstore.client import open_client
    from vectorstore.sentences import sentences
    from vectorstore.store import IndexStore, iter_chunks, iter_sentences

    cluster.ingested()
    store = IndexStore(open_client(chroma_url=cluster.env["RA_CHROMA_URL"]), "roadmap")

    def stored() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        snap = store.published()
        assert snap.sentences is not None
        expected = {cid: found for cid, doc, _m, _e in iter_chunks(snap.collection) if (found := sentences(doc))}
        got: dict[str, list[str]] = {}
        for cid, _pos, text, _e in sorted(iter_sentences(snap.sentences, embeddings=False), key=lambda r: r[:2]):
            got.setdefault(cid, []).append(text)
        return expected, got

    def ingest() -> dict:
        done = cluster.run("ingest", "--json")
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout)

    ingest()  # the index as the site is now (an earlier test may have indexed an edit it then undid)
    expected, got = stored()
    assert got and got == expected
    original = fixture_site.site.pages[REGISTRY_PATH]
    fixture_site.site.pages[REGISTRY_PATH] = original.replace(
        "</h1>", f'</h1><h2 id="naming">Version naming</h2><p>{NEW_FACT}</p>')
    try:
        edited = ingest()
    finally:
        fixture_site.site.pages[REGISTRY_PATH] = original
    assert edited["published"] and 0 < edited["sentences_embedded"] < edited["sentences_total"]
    expected, got = stored()
    assert got == expected and any(NEW_FACT in s for found in got.values() for s in found)
    restored = ingest()
    assert restored["published"]
    expected, got = stored()
    assert got == expected and not any("rivers" in s for found in got.values() for s in found)
