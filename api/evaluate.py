"""Retrieval quality on a question file: `python -m api.evaluate --qa eval/questions.jsonl [--json out.json]
[--k 5] [--mode hybrid|dense|bm25|all] [--no-week] [--fusion rrf|weighted] [--fit]`.

Every question runs through the real `Retriever` over the index the settings point at. Metrics compare
URLs (canonical, without fragment or trailing slash; `roadmap.md#week-6` keeps its anchor): hit@1, hit@k,
MRR@10 and nDCG@10 (each gold URL counted once), citation precision (share of the top-k hits whose URL is
gold) over the questions that have an answer; answer rate (`grounded`) on those, abstention rate on the
unanswerable ones; overall and per week. `--mode all` runs BM25, dense and hybrid, each with and without the
week scope. `--fit` refits the abstention model on the file and prints the constants for `vectorstore.ranking`.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections.abc import Callable

import numpy as np

from ingest.urls import canonical

METRICS = ("hit@1", "hit@k", "mrr@10", "ndcg@10", "precision", "answer_rate", "abstain_rate", "widened_xweek",
           "p50_ms", "search_ms")


def norm_url(url: str) -> str:
    """Compare URLs by canonical form without fragment or trailing slash; roadmap anchors stay whole."""
    url = url.strip()
    if not url.startswith(("http://", "https://")):
        return url.rstrip("/").lower()
    return canonical(url).rstrip("/")


def score_ranking(urls: list[str], gold: list[str], k: int) -> dict[str, float]:
    """Ranking metrics of one answer list (`urls` best first, at least 10 long when available)."""
    gold_set = {norm_url(g) for g in gold}
    got = [norm_url(u) for u in urls]
    first = next((i for i, u in enumerate(got[:10]) if u in gold_set), None)
    seen: set[str] = set()
    dcg = 0.0
    for i, u in enumerate(got[:10]):
        if u in gold_set and u not in seen:
            seen.add(u)
            dcg += 1.0 / math.log2(i + 2)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold_set), 10)))
    return {
        "hit@1": float(bool(got[:1]) and got[0] in gold_set),
        "hit@k": float(any(u in gold_set for u in got[:k])),
        "mrr@10": 0.0 if first is None else 1.0 / (first + 1),
        "ndcg@10": dcg / ideal if ideal else 0.0,
        "precision": sum(u in gold_set for u in got[:k]) / len(got[:k]) if got[:k] else 0.0,
    }


def evaluate_question(search: Callable, q: dict, k: int, scope_week: bool) -> dict:
    """Run one question (top-k and top-10) and score it; `search` is `Retriever.search` with its mode bound."""
    week = q.get("week") if scope_week else None
    top = search(q["question"], week=week, top_k=k, scope_week=scope_week)
    wide = top if k >= 10 else search(q["question"], week=week, top_k=10, scope_week=scope_week)
    row = {"id": q.get("id"), "week": q.get("week"), "kind": q.get("kind", "answerable"),
           "grounded": top.grounded, "widened": top.widened, "confidence": round(top.confidence, 4),
           "suggested": top.suggested, "urls": [h.meta.get("url", "") for h in top.hits],
           "ms": 1000 * (top.timings.get("embed", 0.0) + top.timings.get("retrieve", 0.0)),
           "search_ms": 1000 * top.timings.get("retrieve", 0.0),
           "signals": top.signals}
    if q.get("gold_urls"):  # hit@1, hit@k and precision from the top-k answer; MRR and nDCG from the top 10
        row.update(score_ranking(row["urls"], q["gold_urls"], k))
        ten = score_ranking([h.meta.get("url", "") for h in wide.hits], q["gold_urls"], k)
        row["mrr@10"], row["ndcg@10"] = ten["mrr@10"], ten["ndcg@10"]
    return row


def summarise(rows: list[dict]) -> dict[str, float | int]:
    """Mean metrics of a group of scored questions (a metric without questions is left out)."""
    answerable = [r for r in rows if r["kind"] != "unanswerable" and "hit@k" in r]
    unanswerable = [r for r in rows if r["kind"] == "unanswerable"]
    cross = [r for r in rows if r["kind"] == "cross_week"]
    out: dict[str, float | int] = {"questions": len(rows)}
    for m in ("hit@1", "hit@k", "mrr@10", "ndcg@10", "precision"):
        if answerable:
            out[m] = round(statistics.fmean(r[m] for r in answerable), 3)
    if answerable:
        out["answer_rate"] = round(statistics.fmean(r["grounded"] for r in answerable), 3)
    if unanswerable:
        out["abstain_rate"] = round(statistics.fmean(not r["grounded"] for r in unanswerable), 3)
    if cross:
        out["widened_xweek"] = round(statistics.fmean(r["widened"] for r in cross), 3)
    if rows:  # median milliseconds per question: embedding + search, and search alone
        out["p50_ms"] = round(statistics.median(r["ms"] for r in rows), 1)
        out["search_ms"] = round(statistics.median(r.get("search_ms", 0.0) for r in rows), 1)
    return out


def report(rows: list[dict]) -> dict:
    weeks = sorted({r["week"] for r in rows}, key=lambda w: (w is None, w or 0))
    return {"overall": summarise(rows),
            "per_week": {str(w): summarise([r for r in rows if r["week"] == w]) for w in weeks}}


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 5000) -> tuple[np.ndarray, float]:
    """Class-balanced logistic regression by gradient descent on standardised features; weights in raw units."""
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mu) / sd
    sample = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum()))
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = sample * (p - y)
        w -= 0.5 * (z.T @ g + l2 * w)
        b -= 0.5 * g.sum()
    return w / sd, float(b - (w / sd) @ mu)


def _table(title: str, rows: dict[str, dict]) -> str:
    cols = ["questions", *METRICS]
    width = {c: max(8, len(c) + 2) for c in cols}
    lines = [title, f"{'':<18}" + "".join(f"{c:>{width[c]}}" for c in cols)]
    for name, summary in rows.items():
        lines.append(f"{name:<18}" + "".join(f"{summary.get(c, ''):>{width[c]}}" for c in cols))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m api.evaluate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--qa", required=True, help="JSONL: question, week, gold_urls, kind")
    ap.add_argument("--json", help="also write the results here as JSON")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--mode", choices=["hybrid", "dense", "bm25", "all"], default="hybrid")
    ap.add_argument("--no-week", action="store_true", help="search the whole index, ignoring weeks")
    ap.add_argument("--fusion", choices=["rrf", "weighted"], default=None, help="override the retriever's default")
    ap.add_argument("--fit", action="store_true",
                    help="refit the abstention model on the whole-index signals and print its constants (use --no-week)")
    args = ap.parse_args(argv)

    from errors import RoadmapAssistantError
    from settings import Settings
    from vectorstore.client import open_client
    from vectorstore.embeddings import make_embedder
    from vectorstore.retrieve import Retriever
    from vectorstore.store import IndexStore

    try:
        settings = Settings()
        questions = [json.loads(line) for line in open(args.qa, encoding="utf-8") if line.strip()]
        store = IndexStore(open_client(settings.data_dir, settings.chroma_url), settings.collection)
        options = {"fusion": args.fusion} if args.fusion else {}
        retriever = Retriever(store, make_embedder(settings), refresh_seconds=3600, **options)
        retriever.refresh(force=True)
        modes = ["bm25", "dense", "hybrid"] if args.mode == "all" else [args.mode]
        scopes = [True, False] if args.mode == "all" else [not args.no_week]
        runs: dict[str, dict] = {}
        details: dict[str, list[dict]] = {}
        for mode in modes:
            for scoped in scopes:
                def search(*a, _mode=mode, **kw):
                    return retriever.search(*a, mode=_mode, **kw)
                name = f"{mode}{'' if scoped else ' (no week)'}"
                details[name] = [evaluate_question(search, q, args.k, scoped) for q in questions]
                runs[name] = report(details[name])
    except (RoadmapAssistantError, OSError, ValueError) as exc:  # a bad question file is reported the same way
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(questions)} questions, k={args.k}, index version {retriever.version}, fusion {retriever.fusion}")
    print(_table("overall", {n: r["overall"] for n, r in runs.items()}))
    shown = "hybrid" if "hybrid" in runs else list(runs)[-1]
    print(_table(f"\nper week: {shown}", runs[shown]["per_week"]))
    if args.fit:
        rows = [r for r in details["hybrid (no week)" if "hybrid (no week)" in runs else shown] if r.get("signals")]
        x = np.array([r["signals"] for r in rows], dtype=float)
        y = np.array([r["kind"] != "unanswerable" for r in rows], dtype=float)
        w, b = fit_logistic(x, y)
        print(f"\nfitted on {len(rows)} questions ({int(y.sum())} answerable): WEIGHTS = "
              f"({', '.join(f'{v:.3f}' for v in w)}), BIAS = {b:.3f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"k": args.k, "version": retriever.version, "fusion": retriever.fusion, "runs": runs,
                       "questions": details}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
