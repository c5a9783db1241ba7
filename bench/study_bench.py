"""Latency of the study companion: `GET /weeks/{n}/briefing`, `GET /weeks/{n}/quiz` and `POST /weeks/{n}/quiz/check`.

    python bench/study_bench.py [--rounds 20] [--url http://127.0.0.1:8000]

Starts the real service (`api.app.create_app`, the index the settings point at) with uvicorn on a free loopback
port, waits for `/readyz`, then:

1. **build**: the time to build every week's questions, "Builds on" and briefing from the loaded version (what the
   service's background warm-up does once per index version; measured here on a separate `Study` in-process);
2. **first request** per week: one briefing per week right after start-up (served from the warm-up, or built on
   the spot if the warm-up has not reached that week yet);
3. **steady state**: `--rounds` rounds over every week of a briefing, a quiz of 5 with a new seed, and a check of
   an answer to one of its questions, one client; p50 / p95 / max per endpoint, in milliseconds.

With `--url`, a running service is measured instead (no build, no service started): e.g. one started a while ago,
whose warm-up is done, for the first briefing and quiz of each week as a learner meets them; the first quiz per
week is then timed too.

The service it starts has the per-client rate limit off (`RA_RATE_LIMIT_PER_MINUTE=0` for it alone, whatever the
environment says): one client sends three requests per week per round, past the default 120 a minute, and a 429 is
no latency of the study companion. It says so in its first line.
"""
from __future__ import annotations

import argparse
import random
import socket
import statistics
import threading
import time

import httpx
import uvicorn

from api.app import create_app
from api.batching import BatchingEmbedder
from api.study import Study
from ingest.roadmap import load_roadmap
from settings import Settings
from vectorstore.client import open_client
from vectorstore.embeddings import make_embedder
from vectorstore.retrieve import Retriever
from vectorstore.store import IndexStore


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def row(name: str, ms: list[float]) -> str:
    return (f"{name:<28} n={len(ms):<4} p50 {statistics.median(ms):7.1f}  p95 {pct(ms, 0.95):7.1f}  "
            f"max {max(ms):7.1f}")


def build_time(settings: Settings) -> tuple[float, dict[int, float]]:
    """Seconds to build every week on a fresh Study, and the seconds per week (briefing included)."""
    store = IndexStore(open_client(settings.data_dir, settings.chroma_url), settings.collection)
    retriever = Retriever(store, BatchingEmbedder(make_embedder(settings)))
    roadmap = load_roadmap(settings.roadmap)
    study = Study(retriever, store, None, settings.mirror_base, background=False)  # time each week in turn
    t0 = time.perf_counter()
    v = study.version(roadmap)
    per_week = {}
    for week in roadmap.weeks:
        t = time.perf_counter()
        study.briefing(roadmap, week.number, v)
        per_week[week.number] = time.perf_counter() - t
    return time.perf_counter() - t0, per_week


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--url", help="measure this running service (its rate limit is its own) instead of starting one")
    args = ap.parse_args()
    if args.url:
        measure(args.url, args.rounds, first_quiz=True)
        return
    settings = Settings()
    print(f"the service below runs with the rate limit off (RA_RATE_LIMIT_PER_MINUTE=0 for it; the environment's: "
          f"{settings.rate_limit_per_minute})")

    total, per_week = build_time(settings)
    slowest = max(per_week, key=lambda week: per_week[week])
    print(f"build (all {len(per_week)} weeks, one thread): {total:.1f} s; slowest week {slowest}: "
          f"{per_week[slowest]:.2f} s; median week {statistics.median(per_week.values()):.2f} s")

    port = free_port()
    served = settings.model_copy(update={"rate_limit_per_minute": 0})  # one client, many requests: not a flood
    server = uvicorn.Server(uvicorn.Config(create_app(served), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        measure(f"http://127.0.0.1:{port}", args.rounds)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def measure(base: str, rounds: int, first_quiz: bool = False) -> None:
    """Once /readyz answers: the first briefing (and with `first_quiz`, the first quiz) per week, then `rounds`
    rounds of briefing, quiz and check over every week."""
    with httpx.Client(base_url=base, timeout=120) as client:
        while True:
            try:
                if client.get("/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        weeks = [w["number"] for w in client.get("/weeks").json()["weeks"]]
        first = []
        for n in weeks:
            t = time.perf_counter()
            client.get(f"/weeks/{n}/briefing").raise_for_status()
            first.append((time.perf_counter() - t) * 1000)
        print(row("first briefing per week", first))
        if first_quiz:
            first = []
            for n in weeks:
                t = time.perf_counter()
                client.get(f"/weeks/{n}/quiz", params={"count": 5, "seed": 0}).raise_for_status()
                first.append((time.perf_counter() - t) * 1000)
            print(row("first quiz per week", first))

        timings: dict[str, list[float]] = {"briefing": [], "quiz (5 questions)": [], "check": []}
        rng = random.Random(0)
        for _ in range(rounds):
            for n in weeks:
                t = time.perf_counter()
                client.get(f"/weeks/{n}/briefing").raise_for_status()
                timings["briefing"].append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                quiz = client.get(f"/weeks/{n}/quiz", params={"count": 5, "seed": rng.randrange(2**31)})
                quiz.raise_for_status()
                timings["quiz (5 questions)"].append((time.perf_counter() - t) * 1000)
                questions = quiz.json()["questions"]
                if questions:
                    q = rng.choice(questions)
                    answer = " ".join(q["answer"].split()[: rng.randint(2, 12)])  # part of the quote, new each time
                    t = time.perf_counter()
                    client.post(f"/weeks/{n}/quiz/check", json={"id": q["id"], "answer": answer}).raise_for_status()
                    timings["check"].append((time.perf_counter() - t) * 1000)
        for name, ms in timings.items():
            print(row(name, ms))


if __name__ == "__main__":
    main()
