"""What the question log costs an answer: the time `QuestionLog.log()` takes on the answering thread (it
builds the row and queues it), and how fast the background writer stores rows (SQLite WAL, batched), in a
temporary folder. Prints percentiles in microseconds and rows per second, and one JSON line.

    python bench/questionlog_bench.py [-n 20000]

For the end-to-end effect on `/ask`, run two services, one with `RA_QUESTION_LOG=off`, and compare them
with `python bench/load.py --url A --compare B` (README: Evaluation and benchmarks).
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from api.questionlog import QuestionLog


def sample_answer(i: int):
    """An answer shaped like a real one: five citations, a week, a suggestion."""
    citations = [SimpleNamespace(url=f"https://docs.example.org/page/{i % 50}/{n}", title=f"Page {n}",
                                 section=f"Section {n}", weeks=[(i + n) % 16 + 1]) for n in range(5)]
    return SimpleNamespace(week=i % 16 + 1, scope="week", widened=False, grounded=bool(i % 4), mode="extractive",
                           citations=citations, suggested={"weeks": [3], "title": "Page", "url": "https://x/"})


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Cost of the question log on the answering path, and writer speed.")
    p.add_argument("-n", type=int, default=20000, help="rows to log (default 20000)")
    args = p.parse_args(argv)
    answers = [sample_answer(i) for i in range(200)]
    retrieval = SimpleNamespace(confidence=0.61)
    with tempfile.TemporaryDirectory() as tmp:
        qlog = QuestionLog(Path(tmp) / "questions", days=90, queue_size=args.n + 10).start()
        qlog.flush()
        per_call = []
        t0 = time.perf_counter()
        for i in range(args.n):
            a = time.perf_counter()
            qlog.log(f"question number {i} about week {i % 16 + 1}?", answers[i % 200], retrieval, 9.5,
                     "0123456789abcdef0123456789abcdef", "stream", 7)
            per_call.append((time.perf_counter() - a) * 1e6)
        queued = time.perf_counter() - t0
        qlog.flush(timeout=600)
        written = time.perf_counter() - t0
        qlog.close()
        size = sum(f.stat().st_size for f in (Path(tmp) / "questions").iterdir())
    per_call.sort()
    q = statistics.quantiles(per_call, n=100)
    result = {"rows": args.n, "log_call_us": {"p50": round(q[49], 1), "p95": round(q[94], 1), "p99": round(q[98], 1),
                                              "mean": round(statistics.fmean(per_call), 1)},
              "queue_seconds": round(queued, 3), "written_rows_per_s": round(args.n / written),
              "bytes_per_row": round(size / args.n)}
    calls = result["log_call_us"]
    print(f"log() on the answering thread: p50 {calls['p50']} µs, p95 {calls['p95']} µs, p99 {calls['p99']} µs")
    print(f"writer: {args.n} rows stored in {written:.2f} s ({result['written_rows_per_s']} rows/s), "
          f"~{result['bytes_per_row']} bytes per row on disk")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
