"""Load benchmark of a running service's `POST /ask`: N requests at concurrency C (httpx + asyncio), rotating
through the questions of `eval/questions.jsonl` when present (else a few built-in ones), after a short
warm-up. With `--conversations FILE` (JSONL with `turns`) every other request is instead the last turn of a
conversation, sent with its earlier turns as `history` (each followed by a short assistant reply): follow-ups
in the mix; only the conversations of `--split` (default `dev`) are sent. The service remembers question
embeddings, so repeated questions are cheaper; `--cold` makes every question text unique (a request number is
appended; a follow-up gets a run of punctuation instead, which changes its embedding but not how it is read) to
measure the uncached path. Prints p50/p95/p99 latency
(overall and for follow-ups), answers per second, the error count, and one JSON line with the same.
`--compare URL2` sends the same requests to two services in alternating blocks from one client (a fair A/B on
a busy machine, e.g. the question log on and off) and prints both latencies and the difference of the p50s.

`--reindex full|incremental` (with `--admin-token`) starts `POST /admin/reindex` first and keeps the load
running until that run has finished (at least `-n` requests), then reports the latencies measured while it
ran and the run's outcome. `--probe` also asks `/readyz` every 100 ms and reports its latency. An answer
is lost when a request fails or does not answer 200: the exit status is 1 then.

    python -m api --port 8000 &            # with RA_DATA_DIR pointing at an index
    python bench/load.py --url http://127.0.0.1:8000 -n 500 -c 1
    python bench/load.py --url http://127.0.0.1:8000 -n 2000 -c 16
    python bench/load.py --url http://127.0.0.1:8000 -n 500 -c 1 --conversations eval/conversations.jsonl --split dev
    python bench/load.py --url http://127.0.0.1:8000 --compare http://127.0.0.1:8001 -n 4000
    python bench/load.py --url http://127.0.0.1:8000 -n 200 -c 4 --probe --reindex full --admin-token "$RA_ADMIN_TOKEN"
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

QUESTIONS = Path(__file__).resolve().parents[1] / "eval" / "questions.jsonl"
BUILT_IN = ["What is a model registry?", "How do I start a Docker container?", "What does boto3 do?",
            "In week 9, how do SageMaker endpoints scale?", "How do I read a CSV file with pandas?"]


def load_questions(path: Path) -> list[str]:
    if not path.is_file():
        return BUILT_IN
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line).get("question")
            if q:
                out.append(q[:2000])
    return out or BUILT_IN


def load_conversations(path: Path | None, split: str = "dev") -> list[dict]:
    """Request bodies for the last turns of the conversations of `split` ("all": every line; a line without a
    `split` field belongs to every split): the question and its history."""
    if path is None:
        return []
    bodies = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            conversation = json.loads(line)
            if split != "all" and conversation.get("split", split) != split:
                continue
            turns = conversation.get("turns") or []
            if len(turns) >= 2:
                reply = {"role": "assistant", "content": "Here is what the sources say [1]."}
                history = [m for t in turns[:-1] for m in ({"role": "user", "content": t}, reply)]
                bodies.append({"question": turns[-1], "history": history})
    return bodies


def uniquely(body: dict, i: int) -> dict:
    """The body made unique for request i (the uncached path)."""
    if "history" in body:  # punctuation: a new embedding, the same words (still read as a follow-up)
        return {**body, "question": body["question"] + " " + format(i, "b").replace("0", ".").replace("1", "!")}
    return {**body, "question": body["question"] + f" (request {i})"}


def percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_ms:
        return float("nan")
    k = max(0, min(len(sorted_ms) - 1, round(p / 100 * len(sorted_ms) + 0.5) - 1))
    return sorted_ms[k]


def stats(ms: list[float]) -> dict:
    lat = sorted(ms)
    return {"p50_ms": round(percentile(lat, 50), 1), "p95_ms": round(percentile(lat, 95), 1),
            "p99_ms": round(percentile(lat, 99), 1), "max_ms": round(lat[-1], 1) if lat else None}


async def follow_reindex(client: httpx.AsyncClient, full: bool, token: str) -> tuple[str, asyncio.Event, dict]:
    """Start a re-index; returns its id, an event set when it has finished, and a dict filled with its end."""
    auth = {"Authorization": f"Bearer {token}"}
    r = await client.post("/admin/reindex", json={"full": full}, headers=auth)
    r.raise_for_status()
    run_id, finished, outcome = r.json()["id"], asyncio.Event(), {}

    async def poll() -> None:
        while True:
            await asyncio.sleep(1.0)
            state = (await client.get(f"/admin/reindex/{run_id}", headers=auth)).json()
            if state["status"] != "running":
                outcome.update(state)
                finished.set()
                return

    asyncio.ensure_future(poll())
    return run_id, finished, outcome


async def probe_readyz(client: httpx.AsyncClient, stop: asyncio.Event, out: list[float]) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        r = await client.get("/readyz")
        out.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            out.append(float("inf"))
        await asyncio.sleep(0.1)


def mixed(questions: list[str], conversations: list[dict]) -> list[dict]:
    """Request bodies: the questions, interleaved one for one with the conversations' follow-ups when given."""
    singles = [{"question": q[:2000]} for q in questions]
    if not conversations:
        return singles
    repeated = singles * (1 + len(conversations) // len(singles))  # at least as many as the conversations
    return [b for pair in zip(repeated, conversations, strict=False) for b in pair]


async def run(url: str, n: int, concurrency: int, questions: list[str], warmup: int, timeout: float,
              cold: bool = False, conversations: list[dict] | None = None, keep: list[float] | None = None,
              offset: int = 0, reindex: str | None = None, admin_token: str | None = None,
              probe: bool = False) -> dict:
    limits = httpx.Limits(max_connections=concurrency + 2, max_keepalive_connections=concurrency + 2)
    bodies = mixed(questions, conversations or [])
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:
        for i in range(warmup):
            await client.post("/ask", json=bodies[i % len(bodies)])
        latencies: list[float] = []
        followups: list[float] = []
        errors: Counter = Counter()
        modes: Counter = Counter()
        next_i = 0
        done = asyncio.Event()
        finished: asyncio.Event | None = None
        outcome: dict[str, Any] = {}
        run_id: str | None = None
        if reindex:
            run_id, finished, outcome = await follow_reindex(client, reindex == "full", admin_token or "")
        probes: list[float] = []
        prober = asyncio.ensure_future(probe_readyz(client, done, probes)) if probe else None

        def more() -> bool:
            return next_i < n or (finished is not None and not finished.is_set())

        async def worker() -> None:
            nonlocal next_i
            while more():
                i, next_i = next_i, next_i + 1
                body = bodies[(offset + i) % len(bodies)]
                body = uniquely(body, offset + i) if cold else body
                t0 = time.perf_counter()
                try:
                    r = await client.post("/ask", json={**body, "question": body["question"][:2000]})
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                if "history" in body:
                    followups.append(latencies[-1])
                if r.status_code != 200:
                    errors[str(r.status_code)] += 1
                else:
                    modes[r.json().get("mode")] += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
        done.set()
        if prober is not None:
            await prober
    if keep is not None:
        keep.extend(latencies)
    lat, fol = sorted(latencies), sorted(followups)
    answered = sum(modes.values())
    result = {"requests": next_i, "concurrency": concurrency, "cold": cold, "seconds": round(wall, 2),
              "p50_ms": round(percentile(lat, 50), 1), "p95_ms": round(percentile(lat, 95), 1),
              "p99_ms": round(percentile(lat, 99), 1), "mean_ms": round(statistics.fmean(lat), 1) if lat else None,
              "followups": len(fol), "followup_p50_ms": round(percentile(fol, 50), 1) if fol else None,
              "followup_p95_ms": round(percentile(fol, 95), 1) if fol else None,
              "answers_per_s": round(answered / wall, 1) if wall else None,
              "errors": sum(errors.values()), "error_kinds": dict(errors), "modes": dict(modes)}
    if probe:
        result["readyz"] = {"probes": len(probes), **stats(probes)}
    if reindex:
        summary = outcome.get("summary") or {}
        result["reindex"] = {"id": run_id, "mode": reindex, "status": outcome.get("status"),
                             "error": outcome.get("error"), "seconds": summary.get("seconds"),
                             "pages_indexed": summary.get("pages_indexed"), "embedded": summary.get("embedded"),
                             "version": summary.get("version")}
    return result


async def compare(url: str, other: str, n: int, blocks: int, questions: list[str], warmup: int, timeout: float,
                  cold: bool = False, conversations: list[dict] | None = None) -> dict:
    """The same requests against two services in alternating blocks (A B, B A, ...), so the machine's load
    drifts over both alike; p50/p95 of each and the difference of the p50s (other - url)."""
    kept: dict[str, list[float]] = {url: [], other: []}
    errors = followups = 0
    for target in (url, other):
        await run(target, 0, 1, questions, warmup, timeout, conversations=conversations)
    size = max(1, n // blocks)
    for b in range(blocks):
        for target in ((url, other) if b % 2 == 0 else (other, url)):
            result = await run(target, size, 1, questions, 0, timeout, cold, conversations, keep=kept[target],
                               offset=b * size)
            errors += result["errors"]
            followups += result["followups"]
    out: dict[str, Any] = {"requests_each": size * blocks, "blocks": blocks, "cold": cold, "errors": errors,
                           "followups": followups}
    for name, target in (("a", url), ("b", other)):
        lat = sorted(kept[target])
        out[name] = {"url": target, "p50_ms": round(percentile(lat, 50), 2), "p95_ms": round(percentile(lat, 95), 2),
                     "mean_ms": round(statistics.fmean(lat), 2) if lat else None}
    out["p50_b_minus_a_ms"] = round(out["b"]["p50_ms"] - out["a"]["p50_ms"], 2)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Load-test a running service's POST /ask.")
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("-n", "--requests", type=int, default=500)
    p.add_argument("-c", "--concurrency", type=int, default=1)
    p.add_argument("--questions", type=Path, default=QUESTIONS, help="JSONL with a `question` per line")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--cold", action="store_true", help="make every question unique (no cached embeddings)")
    p.add_argument("--conversations", type=Path, default=None,
                   help="JSONL with `turns`: every other request is a conversation's last turn, sent with `history`")
    p.add_argument("--split", choices=["dev", "test", "all"], default="dev",
                   help="the conversations whose `split` is this (default dev: the held-out lines stay unread)")
    p.add_argument("--compare", metavar="URL", help="a second service: alternate blocks of requests between the two "
                   "(one client) and print both latencies and the difference of their p50s")
    p.add_argument("--blocks", type=int, default=20, help="alternating blocks with --compare (default 20)")
    p.add_argument("--reindex", choices=["full", "incremental"], help="start a re-index and load until it ends")
    p.add_argument("--admin-token", help="the service's RA_ADMIN_TOKEN (for --reindex)")
    p.add_argument("--probe", action="store_true", help="also time /readyz every 100 ms during the load")
    args = p.parse_args(argv)
    if args.reindex and not args.admin_token:
        p.error("--reindex needs --admin-token")
    questions = load_questions(args.questions)
    conversations = load_conversations(args.conversations, args.split)
    if args.conversations and not conversations:
        p.error(f"{args.conversations} holds no conversation of split {args.split!r}")
    if args.compare:
        result = asyncio.run(compare(args.url, args.compare, args.requests, args.blocks, questions, args.warmup,
                                     args.timeout, args.cold, conversations))
        for name in ("a", "b"):
            r = result[name]
            print(f"{r['url']}: p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms  mean {r['mean_ms']} ms")
        print(f"{result['requests_each']} requests each in {result['blocks']} alternating blocks; "
              f"p50 difference (second - first): {result['p50_b_minus_a_ms']} ms; errors: {result['errors']}"
              + (f"; follow-ups with history: {result['followups']}" if result["followups"] else ""))
        print(json.dumps(result))
        return 1 if result["errors"] else 0
    result = asyncio.run(run(args.url, args.requests, args.concurrency, questions, args.warmup, args.timeout, args.cold,
                             conversations, reindex=args.reindex, admin_token=args.admin_token, probe=args.probe))
    print(f"{result['requests']} requests, concurrency {result['concurrency']}, {len(questions)} distinct questions"
          + (f" and {len(conversations)} follow-ups with history" if conversations else "")
          + (" (each made unique: cold)" if args.cold else ""))
    print(f"latency ms: p50 {result['p50_ms']}  p95 {result['p95_ms']}  p99 {result['p99_ms']}  "
          f"mean {result['mean_ms']}")
    if result["followups"]:
        print(f"follow-ups ({result['followups']}): p50 {result['followup_p50_ms']}  p95 {result['followup_p95_ms']}")
    print(f"answers/s: {result['answers_per_s']}   errors: {result['errors']} {result['error_kinds'] or ''}")
    if "readyz" in result:
        r = result["readyz"]
        print(f"/readyz ms ({r['probes']} probes): p50 {r['p50_ms']}  p95 {r['p95_ms']}  max {r['max_ms']}")
    if "reindex" in result:
        r = result["reindex"]
        print(f"re-index {r['id']} ({r['mode']}) {r['status']}: {r['seconds']} s, {r['pages_indexed']} pages indexed, "
              f"{r['embedded']} texts embedded, version {r['version']}"
              + (f", error: {r['error']}" if r["error"] else ""))
    print(json.dumps(result))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
