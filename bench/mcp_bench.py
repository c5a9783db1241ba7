"""What one MCP `ask_roadmap` call costs next to `POST /ask`: the same questions answered three ways by one
client, one call at a time, over the same index:

- `/ask`: httpx with a kept-alive connection, against an API (`python -m api`, started here on a free port);
- MCP over HTTP: the SDK's `ClientSession` over streamable HTTP to `/mcp` of a second API started the same way;
- MCP over stdio: the SDK's `ClientSession` over stdio to `python -m api.mcp` (started here, as a client would).

Each path has a process of its own, so no path profits from another's caches (the service caches question and
sentence embeddings), and all three get the same question texts in the same order: their work is the same. The
paths take turns call by call (their order rotating), so a busy machine slows them alike. Every question is
made unique (a call number is appended), so each call embeds its question. Measuring starts once both APIs are
idle (their background warm-up done). For each path it prints p50/p95/mean latency as the client sees it, the
service's own work (embed + retrieve + generate, from the answer's `timings`), and the difference: what the
transport and the protocol cost. Settings come from `RA_*` like the API's; the APIs write their feedback and
question-log databases into RA_DATA_DIR, so point it at a copy of an index you want to keep read-only.

    cp -r /work/index/mirror /tmp/mirror-index
    RA_DATA_DIR=/tmp/mirror-index RA_EMBEDDING_MODEL_DIR=... python bench/mcp_bench.py -n 100
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx
from mcp.client import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from load import QUESTIONS, load_questions, percentile  # noqa: E402  (bench/load.py: the same questions and percentile)

PATHS = ("ask", "mcp-http", "mcp-stdio")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_api(env: dict[str, str], port: int, log) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "api", "--host", "127.0.0.1", "--port", str(port),
                             "--no-access-log", "--log-level", "warning"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the API exited with {proc.returncode}; see {log.name}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit("the API did not become ready (is there an index in RA_DATA_DIR?)")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def settle(pids: list[int], timeout: float = 300.0) -> None:
    """Wait until every process uses under 10% of a core over a second (background warm-up finished)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = [cpu_seconds(p) for p in pids]
        time.sleep(1.0)
        if all(cpu_seconds(p) - b < 0.1 for p, b in zip(pids, before, strict=True)):
            return


def work_ms(payload: dict) -> float:
    t = payload.get("timings") or {}
    return sum(float(t.get(k, 0.0)) for k in ("embed", "retrieve", "generate"))


async def measure(ask_url: str, mcp_url: str, env: dict[str, str], questions: list[str], n: int, warmup: int,
                  log) -> dict:
    samples: dict[str, list[tuple[float, float]]] = {p: [] for p in PATHS}  # (latency ms, service work ms)
    errors = dict.fromkeys(PATHS, 0)
    params = StdioServerParameters(command=sys.executable, args=["-m", "api.mcp", "--log-level", "warning"],
                                   env=env, cwd=str(ROOT))
    async with (httpx.AsyncClient(base_url=ask_url, timeout=60) as http,
                streamable_http_client(f"{mcp_url}/mcp") as (hr, hw), ClientSession(hr, hw) as mcp_http,
                stdio_client(params, errlog=log) as (sr, sw), ClientSession(sr, sw) as mcp_stdio):
        await mcp_http.initialize()
        await mcp_stdio.initialize()

        async def call(path: str, question: str) -> dict | None:
            if path == "ask":
                r = await http.post("/ask", json={"question": question})
                return r.json() if r.status_code == 200 else None
            session = mcp_http if path == "mcp-http" else mcp_stdio
            result = await session.call_tool("ask_roadmap", {"question": question})
            return None if result.is_error else result.structured_content

        for i in range(warmup + n):
            question = f"{questions[i % len(questions)][:1950]} (#{i})"  # unique, the same text on every path
            for path in PATHS[i % 3:] + PATHS[:i % 3]:  # rotate which path goes first
                t0 = time.perf_counter()
                payload = await call(path, question)
                ms = (time.perf_counter() - t0) * 1000
                if i < warmup:
                    continue
                if payload is None:
                    errors[path] += 1
                else:
                    samples[path].append((ms, work_ms(payload)))
    out = {}
    for path, rows in samples.items():
        lat = sorted(ms for ms, _ in rows)
        over = sorted(ms - work for ms, work in rows)
        out[path] = {"calls": len(rows), "errors": errors[path],
                     "p50_ms": round(percentile(lat, 50), 1), "p95_ms": round(percentile(lat, 95), 1),
                     "mean_ms": round(statistics.fmean(lat), 1) if lat else None,
                     "work_p50_ms": round(percentile(sorted(w for _, w in rows), 50), 1),
                     "overhead_p50_ms": round(percentile(over, 50), 1),
                     "overhead_p95_ms": round(percentile(over, 95), 1)}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="ask_roadmap over MCP (stdio, HTTP) against POST /ask, one client.")
    p.add_argument("-n", "--calls", type=int, default=60, help="measured calls per path")
    p.add_argument("--warmup", type=int, default=5, help="unmeasured calls per path first")
    p.add_argument("--questions", type=Path, default=QUESTIONS, help="JSONL with a `question` per line")
    args = p.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "RA_RATE_LIMIT_PER_MINUTE": "0"}
    questions = load_questions(args.questions)
    ports = [free_port()]
    while len(ports) < 2:
        ports += [port for port in [free_port()] if port not in ports]
    with tempfile.NamedTemporaryFile("w+", prefix="mcp-bench-", suffix=".log", delete=False) as log:
        apis = [start_api(env, port, log) for port in ports]
        try:
            settle([api.pid for api in apis])
            version = httpx.get(f"http://127.0.0.1:{ports[0]}/readyz", timeout=5).json().get("version")
            ask_url, mcp_url = (f"http://127.0.0.1:{port}" for port in ports)
            result = anyio.run(measure, ask_url, mcp_url, env, questions, args.calls, args.warmup, log)
        finally:
            for api in apis:
                api.terminate()
                api.wait(timeout=30)
    print(f"index version {version} in {os.environ.get('RA_DATA_DIR', 'data')}; {args.calls} calls per path after "
          f"{args.warmup} warm-up, one client, paths interleaved, one process each, every question unique; "
          f"questions from {args.questions.name} (dev)")
    print(f"{'path':<10} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'work p50':>9} {'overhead p50':>13} "
          f"{'overhead p95':>13} {'errors':>7}")
    for path, r in result.items():
        print(f"{path:<10} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['mean_ms']:>8} {r['work_p50_ms']:>9} "
              f"{r['overhead_p50_ms']:>13} {r['overhead_p95_ms']:>13} {r['errors']:>7}")
    print(json.dumps({"version": version, "calls": args.calls, "paths": result}))
    return 1 if any(r["errors"] for r in result.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
