"""What the sibling features (issue 9u: `contrast_weight`, `breadth_weight`) cost a search: the dev questions
searched in-process over the index the settings point at, each twice in alternating order (features off, then on,
then the next question the other way round), so both see the same machine load; prints the p50 and p95 of the
retrieval time (the question's vector cached, so only ranking is timed) for each, and one JSON line.

    RA_DATA_DIR=... python bench/sibling_cost.py [-n 300]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluation.evaluate import DEV, Harness, load_questions  # noqa: E402
from vectorstore.calibration import Calibration  # noqa: E402
from vectorstore.retrieve import Retriever  # noqa: E402


def compare(retriever: Retriever, off: Calibration, on: Calibration, questions: list[dict],
            label: str) -> dict[str, dict[str, float]]:
    """Each question searched under `off` and `on` in alternating order (its vector warmed first); prints and returns
    the p50 and p95 retrieval time of each (`label` names what is off / on). `bench/week_prior_cost.py` uses it too."""
    times: dict[str, list[float]] = {"off": [], "on": []}
    for n, q in enumerate(questions):
        retriever.search(q["question"], week=q.get("week"), calibration=off)  # warm the question's vector
        order = [("off", off), ("on", on)] if n % 2 == 0 else [("on", on), ("off", off)]
        for name, cal in order:
            r = retriever.search(q["question"], week=q.get("week"), calibration=cal)
            times[name].append(r.timings["retrieve"] * 1000)
    out = {name: {"p50_ms": round(statistics.median(t), 2), "p95_ms": round(statistics.quantiles(t, n=20)[-1], 2)}
           for name, t in times.items()}
    for name, v in out.items():
        print(f"{label} {name:3}: retrieve p50 {v['p50_ms']:.2f} ms, p95 {v['p95_ms']:.2f} ms ({len(times[name])})")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=300, help="how many dev questions")
    args = ap.parse_args(argv)
    retriever = Harness.open().retriever
    on = retriever.calibration
    off = on.with_(contrast_weight=0.0, breadth_weight=0.0)
    questions = load_questions(*DEV)[:args.n]
    out = compare(retriever, off, on, questions, "features")
    print(json.dumps({"questions": len(questions), **out, "contrast_weight": on.contrast_weight,
                      "breadth_weight": on.breadth_weight}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
