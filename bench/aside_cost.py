"""What reading the best page's other passages costs the extractive answer: the same DEV retrievals answered with
and without `Retrieval.aside`, timed alternately in one process (the load shifts absolute times; the difference
is the figure to compare).

    RA_DATA_DIR=... python bench/aside_cost.py [--n 400] [--repeat 3]

Answerable dev questions the retriever answers grounded with aside passages are searched once. First sight (the
passages' sentences read for the first time, as for a new question): every other question answered with them, the
others without (`cold_*`); then each answer is composed `--repeat` times each way, alternating (the sentence readers'
caches warm). Prints one JSON line: per-answer p50 / p95 ms each way (the aside lookup itself, the page's chunks and
their stored sentence vectors, is part of the search and not timed here).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=400, help="dev questions (the first n answerable grounded ones)")
    ap.add_argument("--repeat", type=int, default=3, help="timed answers each way per question")
    args = ap.parse_args(argv)
    from evaluation.evaluate import DEV, Harness, load_questions

    harness = Harness.open()
    retrievals = []
    for q in load_questions(*DEV):
        if q.get("kind") == "unanswerable" or not q.get("must_contain"):
            continue
        r = harness.retriever.search(q["question"], week=q.get("week"))
        if r.grounded and r.hits and r.aside:
            retrievals.append((q["question"], r))
        if len(retrievals) >= args.n:
            break
    answerer = harness.answerer
    times: dict[str, list[float]] = {"cold_with": [], "cold_without": [], "with": [], "without": []}

    def timed(label: str, question: str, retrieval) -> None:
        t = time.perf_counter()
        answerer.answer(question, retrieval)
        times[label].append(1000 * (time.perf_counter() - t))

    # first sight (its passages' sentences parsed for the first time): every other question each way
    for n, (question, r) in enumerate(retrievals):
        if n % 2:
            timed("cold_with", question, r)
        else:
            timed("cold_without", question, replace(r, aside=[]))
    for _ in range(args.repeat):  # seen before (the sentence readers' caches warm): both ways, alternately
        for question, r in retrievals:
            timed("with", question, r)
            timed("without", question, replace(r, aside=[]))
    sizes = [len(r.aside) for _q, r in retrievals]

    def p(values: list[float], q: float) -> float:
        return round(sorted(values)[int(q * (len(values) - 1))], 2)

    print(json.dumps({"questions": len(retrievals), "aside_passages_mean": round(statistics.fmean(sizes), 1),
                      **{f"{k}_p50_ms": p(v, 0.5) for k, v in times.items()},
                      **{f"{k}_p95_ms": p(v, 0.95) for k, v in times.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
