"""What the soft week prior (issue 9w2: `Calibration.week_prior`) costs a search against the hard widening switch:
the dev questions asked in a week searched in-process over the index the settings point at, each both ways in
alternating order (`sibling_cost.compare`: the question's vector cached, so only ranking is timed); prints the p50
and p95 retrieval time of each, and one JSON line. The switch searches the week and the whole roadmap (two scopes);
the prior searches the whole roadmap once, its candidates joined by the week's.

    RA_DATA_DIR=... python bench/week_prior_cost.py [-n 300] [--prior 0.2 --earlier 0.05]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from sibling_cost import compare  # noqa: E402

from evaluation.evaluate import DEV, Harness, load_questions  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=300, help="how many dev questions asked in a week")
    ap.add_argument("--prior", type=float, help="the week prior timed (default: the index's calibration's)")
    ap.add_argument("--earlier", type=float, help="the earlier-weeks prior timed (default: the calibration's)")
    args = ap.parse_args(argv)
    retriever = Harness.open().retriever
    served = retriever.calibration
    on = served.with_(week_prior=served.week_prior if args.prior is None else args.prior,
                      earlier_prior=served.earlier_prior if args.earlier is None else args.earlier)
    if on.week_prior <= 0:
        print("error: the week prior is off: pass --prior", file=sys.stderr)
        return 2
    off = served.with_(week_prior=0.0, earlier_prior=0.0)
    questions = [q for q in load_questions(*DEV) if q.get("week") is not None][:args.n]
    out = compare(retriever, off, on, questions, "week prior")
    print(json.dumps({"questions": len(questions), **out, "week_prior": on.week_prior,
                      "earlier_prior": on.earlier_prior}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
