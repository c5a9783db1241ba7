"""The evidence share counted over what the sources can speak to: does weighing down the question's key terms that
no top passage holds (a learner's context words: "planning disk", "left untouched") fix answerable refusals without
answering near misses? DEV only.

    python bench/evidence_context.py [--rows /tmp/evidence-rows.pkl] [--budget 0.04 0.05 0.06]

Every searched dev question (the plan route's left out) is searched once with the served calibration (`--rows`
caches the hits); then, for each variant, the evidence share is recomputed over the same top-5 hits with each key
term's IDF weight multiplied by a factor:
  held       the term is in a top passage (as the check finds terms: stems, camel-case parts, compounds): 1;
  context    in no top passage but known to the index (another page's word): the variant's factor;
  unknown    in no chunk of the index: the variant's factor for unknown terms (1: kept: it may be the missing thing).
(Under the soft week prior every question is searched over the whole index, so the scope is the index.) Each
variant's `evidence_share` (grid 0.20-0.62; threshold, logistic and checked kinds as served) is refitted
leave-one-FILE-out with the pooled rule of `evaluation.calibrate.fit_decisions` (most unanswerable refused with at
most each `--budget` of the answerable refused); then the variant and the share are fitted together the same way, and
by the keep rule against the served calibration (answerable refusals drop, at most one unanswerable newly answered
per three answerable fixed). Each is counted against the served calibration as is: answerable fixed / broken,
unanswerable newly answered / refused, files better / worse, the number / duration / version near misses refused.
bench/ablation.md (issue 9ev) has the numbers.
"""
from __future__ import annotations

import argparse
import pickle
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from evaluation.calibrate import Decision, Fitter, abstains, signals_of
from evaluation.evaluate import DEV, Harness, load_questions
from vectorstore.calibration import Calibration
from vectorstore.passage_facts import _compounds, scope_terms, support
from vectorstore.question_asks import american, checked_as, fact_terms

SHARES = tuple(round(x, 2) for x in np.arange(0.2, 0.621, 0.02))
# variant name -> (factor for context terms, factor for unknown terms)
VARIANTS: dict[str, tuple[float, float]] = {
    "served (all terms by IDF)": (1.0, 1.0),
    "context dropped, unknown kept": (0.0, 1.0),
    "context x0.25, unknown kept": (0.25, 1.0),
    "context x0.5, unknown kept": (0.5, 1.0),
    "context x0.75, unknown kept": (0.75, 1.0),
    "absent dropped (context and unknown)": (0.0, 0.0),
    "absent x0.5 (context and unknown)": (0.5, 0.5),
    "context dropped, unknown x0.5": (0.0, 0.5),
    "unknown dropped, context kept": (1.0, 0.0),
    "unknown x0.5, context kept": (1.0, 0.5),
}


def search_rows(path: Path) -> tuple[Calibration, list[dict]]:
    """The served calibration, and each searched dev question's file, side, signals, query, hits' texts, unknown
    names and key terms' IDF and index presence (cached in `path`)."""
    if path.is_file():
        cal, rows = pickle.loads(path.read_bytes())
        return Calibration.from_json(cal), rows
    by_path = [load_questions(p) for p in DEV]
    questions = [q for qs in by_path for q in qs]
    files = [p.stem.replace("_questions", "") for p, qs in zip(DEV, by_path, strict=True) for _q in qs]
    harness = Harness.open()
    fitter = Fitter(harness, questions, [], 5)
    base = harness.retriever.calibration
    rows = []
    for i, q in enumerate(questions):
        if i in fitter.planned:
            continue
        r = fitter.search(base, i, top_k=5)
        rows.append({"id": q["id"], "file": files[i], "unanswerable": q.get("kind") == "unanswerable",
                     "signals": tuple(signals_of(r)), "query": r.query or q["question"],
                     "texts": [h.text for h in r.hits], "mention": bool(r.unknown)})
    lexical = harness.retriever.loaded().lexical
    terms = {t for row in rows for t in fact_terms(row["query"])}
    for row in rows:
        row["idf"] = {t: lexical.idf(t) for t in fact_terms(row["query"])}
        row["known"] = {t: lexical.known(t) for t in fact_terms(row["query"])}
    path.write_bytes(pickle.dumps((base.to_json(), rows)))
    print(f"searched {len(rows)} questions ({len(terms)} key terms)", file=sys.stderr)
    return base, rows


def held(texts: list[str]) -> set[str]:
    """The terms the hits hold, found as the evidence check finds them."""
    out: set[str] = set()
    for text in texts:
        text = american(text or "")
        out |= scope_terms(text) | _compounds(text)
    return out


def weights(row: dict, context: float, unknown: float) -> dict[str, float]:
    """A question's key terms' IDF, times `context` for a term no hit holds that the index knows and `unknown` for
    one no chunk holds (a weight of 0 drops the term from the share)."""
    holds = held(row["texts"])
    return {t: w * (1.0 if t in holds else context if row["known"][t] else unknown) for t, w in row["idf"].items()}


def decisions(rows: list[dict], context: float, unknown: float) -> list[Decision]:
    """Each row's `Decision`, its evidence share recomputed with the variant's `weights`."""
    out = []
    for row in rows:
        kind, share = support(row["query"], row["texts"], weights(row, context, unknown).__getitem__)
        out.append(Decision(row["file"], row["unanswerable"], row["signals"], checked_as(row["query"], kind), share,
                            row["mention"]))
    return out


def pooled(a: np.ndarray, un: np.ndarray, m: np.ndarray, budget: float) -> tuple[bool, int, int]:
    """The pooled rule's key for the abstentions `a` on the rows `m` (`evaluation.calibrate.fit_decisions`, threshold
    fixed): within `budget` of the answerable refused, the most unanswerable refused, then the fewest answerable."""
    wrong = int((a & ~un & m).sum())
    return wrong <= budget * int((~un & m).sum()), int((a & un & m).sum()), -wrong


def lofo(table: dict[tuple[str, float], np.ndarray], un: np.ndarray, files: np.ndarray, budget: float
         ) -> tuple[np.ndarray, Counter[tuple[str, float]]]:
    """Each row's abstention under the (variant, share) of `table` the pooled rule chose on the other files (ties:
    the lower share, then the earlier variant), and how often each was chosen."""
    out = np.zeros(len(un), dtype=bool)
    chosen: Counter[tuple[str, float]] = Counter()
    order = list(table)
    for f in sorted(set(files.tolist())):
        train, held_out = files != f, files == f
        best = max(order, key=lambda k: (*pooled(table[k], un, train, budget), -k[1], -order.index(k)))
        out[held_out] = table[best][held_out]
        chosen[best] += 1
    return out, chosen


def kept(a: np.ndarray, served: np.ndarray, un: np.ndarray, m: np.ndarray) -> tuple[bool, int]:
    """The keep rule's key for the abstentions `a` against `served` on the rows `m`: whether answerable refusals drop
    with at most one unanswerable newly answered per three answerable fixed (net), and by how much (answerable saved
    less 3 x unanswerable lost)."""
    saved = int((served & ~a & ~un & m).sum()) - int((~served & a & ~un & m).sum())
    lost = int((served & ~a & un & m).sum()) - int((~served & a & un & m).sum())
    return saved > 0 and 3 * lost <= saved, saved - 3 * lost


def lofo_kept(table: dict[tuple[str, float], np.ndarray], served_key: tuple[str, float], un: np.ndarray,
              files: np.ndarray) -> tuple[np.ndarray, Counter[tuple[str, float]]]:
    """Each row's abstention under the (variant, share) that best meets the keep rule against the served one on the
    other files (the served one when none does)."""
    served, out = table[served_key], np.zeros(len(un), dtype=bool)
    chosen: Counter[tuple[str, float]] = Counter()
    for f in sorted(set(files.tolist())):
        train, held_out = files != f, files == f
        best = max(table, key=lambda k: (*kept(table[k], served, un, train), -k[1]))
        best = best if kept(table[best], served, un, train)[0] else served_key
        out[held_out] = table[best][held_out]
        chosen[best] += 1
    return out, chosen


def counts(un: np.ndarray, kinds: list[str], a: np.ndarray) -> str:
    near = Counter(k for k, u, x in zip(kinds, un, a, strict=True) if u and x)
    return (f"unanswerable refused {int((a & un).sum())} of {int(un.sum())}, answerable refused "
            f"{int((a & ~un).sum())} of {int((~un).sum())}, near misses refused number / duration / version "
            f"{near['number']} / {near['duration']} / {near['version']}")


def compare(un: np.ndarray, files: np.ndarray, before: np.ndarray, after: np.ndarray) -> str:
    """What changed from `before` to `after`: answerable fixed / broken, unanswerable newly answered / refused, and
    how many files come out better / worse (answerable refusals saved less 3 x unanswerable newly answered)."""
    fixed, broken = int((before & ~after & ~un).sum()), int((~before & after & ~un).sum())
    lost, gained = int((before & ~after & un).sum()), int((~before & after & un).sum())
    better = worse = 0
    for f in set(files.tolist()):
        m = files == f
        gain = int((before & ~after & ~un & m).sum()) - int((~before & after & ~un & m).sum()) \
            - 3 * (int((before & ~after & un & m).sum()) - int((~before & after & un & m).sum()))
        better, worse = better + (gain > 0), worse + (gain < 0)
    return (f"answerable fixed {fixed}, broken {broken}; unanswerable newly answered {lost}, newly refused {gained}; "
            f"files better {better}, worse {worse} (of {len(set(files.tolist()))})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=Path, default=Path("/tmp/evidence-rows.pkl"))
    ap.add_argument("--budget", type=float, nargs="+", default=[0.06])
    args = ap.parse_args(argv)
    base, raw = search_rows(args.rows)
    table: dict[tuple[str, float], np.ndarray] = {}
    kinds: list[str] = []
    for name, (context, unknown) in VARIANTS.items():
        rows = decisions(raw, context, unknown)
        kinds = kinds or [d.kind for d in rows]
        for share in sorted({*SHARES, base.evidence_share}):
            table[(name, share)] = abstains(rows, base.with_(evidence_share=share))
    un = np.array([r["unanswerable"] for r in raw], dtype=bool)
    files = np.array([r["file"] for r in raw])
    served = table[(next(iter(VARIANTS)), base.evidence_share)]
    print(f"{len(raw)} searched dev questions in {len(set(files.tolist()))} files; served (share "
          f"{base.evidence_share}): {counts(un, kinds, served)}")
    for name in VARIANTS:
        at = table[(name, base.evidence_share)]
        print(f"\n== {name}\n  at the served share: {counts(un, kinds, at)}\n    vs served: "
              f"{compare(un, files, served, at)}")
        for budget in args.budget:
            mine = {k: v for k, v in table.items() if k[0] == name}
            a, chosen = lofo(mine, un, files, budget)
            print(f"  leave-one-file-out, pooled {budget:.0%} (shares {sorted(s for _n, s in chosen)}): "
                  f"{counts(un, kinds, a)}\n    vs served: {compare(un, files, served, a)}")
    for budget in args.budget:
        a, chosen = lofo(table, un, files, budget)
        plain, _c = lofo({k: v for k, v in table.items() if k[0] == next(iter(VARIANTS))}, un, files, budget)
        print(f"\n== variant and share fitted together, leave-one-file-out, pooled {budget:.0%}: "
              f"{counts(un, kinds, a)}\n  chosen: {dict(chosen)}\n  vs served: {compare(un, files, served, a)}"
              f"\n  vs the share alone refitted the same way: {compare(un, files, plain, a)}")
    a, chosen = lofo_kept(table, (next(iter(VARIANTS)), base.evidence_share), un, files)
    print(f"\n== variant and share fitted together by the keep rule against served, leave-one-file-out: "
          f"{counts(un, kinds, a)}\n  chosen: {dict(chosen)}\n  vs served: {compare(un, files, served, a)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
