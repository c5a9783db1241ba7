"""What the co-occurrence evidence (issue 9y5: `vectorstore.passage_facts.cooccurrence`, scored for every grounded
question of a kind without a fact pattern: name, yes/no, how-to, other) costs a search: the dev questions searched
in-process over the index the settings point at, then `passage_facts.support` timed alone on each one's hits (the
work the search adds for it; before issue 9y5 these kinds returned at once), cold (the page words' cache cleared
first: pages no question brought before) and warm (read again), next to the whole retrieval time of the same search
(which already includes it); prints the p50 and p95 of each for those kinds, and one JSON line.

    RA_DATA_DIR=... python bench/cooccur_cost.py [-n 600]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluation.evaluate import DEV, Harness, load_questions  # noqa: E402
from vectorstore import passage_facts  # noqa: E402


def _p(values: list[float], q: int) -> float:
    return round(statistics.quantiles(values, n=100)[q - 1], 3) if len(values) > 1 else round(values[0], 3)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=600, help="how many dev questions")
    args = ap.parse_args(argv)
    retriever = Harness.open().retriever
    idf = retriever.loaded().lexical.idf
    support_ms: list[float] = []
    cold_ms: list[float] = []
    retrieve_ms: list[float] = []
    for q in load_questions(*DEV)[:args.n]:
        retriever.search(q["question"], week=q.get("week"))  # warm the question's vector
        r = retriever.search(q["question"], week=q.get("week"))
        if r.kind not in passage_facts.COOCCUR_KINDS or not r.hits:
            continue
        texts = [h.text for h in r.hits]
        passage_facts.clear_caches()  # cold: every word of the hits read afresh (a page no question brought before)
        t0 = time.perf_counter()
        passage_facts.support(r.query or q["question"], texts, idf)
        t1 = time.perf_counter()
        passage_facts.support(r.query or q["question"], texts, idf)  # warm: the hits' words read before
        cold_ms.append((t1 - t0) * 1000)
        support_ms.append((time.perf_counter() - t1) * 1000)
        retrieve_ms.append(r.timings["retrieve"] * 1000)
    if not support_ms:
        print("no dev question of a co-occurrence kind was searched", file=sys.stderr)
        return 1
    times = {"support cold": {"p50_ms": _p(cold_ms, 50), "p95_ms": _p(cold_ms, 95)},
             "support warm": {"p50_ms": _p(support_ms, 50), "p95_ms": _p(support_ms, 95)},
             "retrieve": {"p50_ms": _p(retrieve_ms, 50), "p95_ms": _p(retrieve_ms, 95)}}
    for name, v in times.items():
        print(f"{name:12}: p50 {v['p50_ms']:.3f} ms, p95 {v['p95_ms']:.3f} ms "
              f"({len(support_ms)} questions of {', '.join(passage_facts.COOCCUR_KINDS)})")
    print(json.dumps({"questions": len(support_ms), **times}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
