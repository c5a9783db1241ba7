"""The service's entry points as a user runs them: `python -m api --host --port` and
`uvicorn --factory api.app:create_app` serve the index named by `RA_*` variables; a bad setting is one
`error:` line and a non-zero exit."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]


def env_for(settings, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RA_")}
    env.update(RA_DATA_DIR=str(settings.data_dir), RA_ROADMAP=str(settings.roadmap),
               RA_EMBEDDING_MODEL_DIR=str(settings.embedding_model_dir), RA_RATE_LIMIT_PER_MINUTE="0")
    env.update(extra)
    return env


def ready(url: str, proc: subprocess.Popen, seconds: float = 90.0) -> httpx.Response:
    """Poll /readyz until it answers 200 (fails if the process exits or time runs out)."""
    deadline = time.monotonic() + seconds
    while True:
        assert proc.poll() is None, proc.stderr and proc.stderr.read().decode()
        try:
            r = httpx.get(f"{url}/readyz")
            if r.status_code == 200:
                return r
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the service did not become ready"
        time.sleep(0.2)


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "api", "--host", "127.0.0.1", "--port", "{port}", "--no-access-log"],
    [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", "127.0.0.1", "--port", "{port}"],
], ids=["python-m-api", "uvicorn-factory"])
def test_entry_point_serves_the_index(fixture_index, command):
    """The command starts a server that becomes ready on the given port and answers a question."""
    port = free_port()
    proc = subprocess.Popen([c.format(port=port) for c in command], cwd=ROOT, env=env_for(fixture_index),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        assert ready(url, proc).json()["version"] >= 1
        assert httpx.post(f"{url}/ask", json={"question": "What is a model registry?"}, timeout=30).json()["citations"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_missing_roadmap_is_one_error_line(fixture_index, tmp_path):
    """`python -m api` with RA_ROADMAP pointing nowhere prints one error line naming the setting and exits 2."""
    env = env_for(fixture_index, RA_ROADMAP=str(tmp_path / "nope.md"))
    done = subprocess.run([sys.executable, "-m", "api", "--port", str(free_port())], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("error: roadmap file") and "RA_ROADMAP" in done.stderr
    assert "Traceback" not in done.stderr
