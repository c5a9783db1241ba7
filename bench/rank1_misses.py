"""Why dev questions miss at rank 1 (issue 9r3): every searched dev question with gold pages run through the
retriever with the index's calibration (hybrid), and with the dense list alone and the BM25 list alone; each rank-1
miss is put in the first cause that fits it, in this order:

- other week: the question is asked in a week, the gold page belongs to it, the page ranked first does not;
- hub: the page ranked first links to the gold page (the index's link graph: `vectorstore.links`);
- broader page: the page ranked first has more sections in the index than the gold page (a broad page's
  subsection above the dedicated page);
- sibling: same host and directory as the gold page;
- other: anything else (rank 1 is scored by page, so the gold page's right passage below a generic passage of it
  is no rank-1 miss).

Independently of the cause, it counts for each miss the gold page's crawl depth (0: linked from the roadmap;
"absent": not in the top 10), which single list had the gold page first (dense, BM25, both, neither) and whether
the gold page's title is closer to the question than the first page's title (the title matched but ranked low).
The same causes are counted for the "rare" questions alone (the gold page gold for at most 3 other questions of the
files: `evaluation.calibrate.page_sharers`). Prints one line per dev file and the totals as one JSON line. Dev
only: never run on test13.

    RA_DATA_DIR=... python bench/rank1_misses.py [--dev FILE...] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluation.calibrate import RARE_OTHERS, page_sharers  # noqa: E402
from evaluation.evaluate import DEV, Harness, load_questions, norm_url  # noqa: E402
from vectorstore.links import page_key  # noqa: E402

CAUSES = ("other week", "hub", "broader page", "sibling", "other")
LISTS = ("dense only right", "BM25 only right", "both right", "neither")


def _dir(url: str) -> str:
    return page_key(url).rsplit("/", 1)[0]


def classify(h: Harness, q: dict) -> dict | None:
    """One question's rank-1 outcome: None when it is planned or has no gold page."""
    gold = {norm_url(u) for u in q.get("gold_urls") or []}
    if not gold or h.planned(q["question"], q.get("week")):
        return None
    r = h.retriever
    hybrid = r.search(q["question"], week=q.get("week"), top_k=10)
    urls = [norm_url(x.url) for x in hybrid.hits]
    out: dict = {"hit1": bool(urls) and urls[0] in gold, "query_terms": len(set(hybrid.query.lower().split()))}
    firsts = {}
    for mode in ("dense", "bm25"):
        alone = r.search(q["question"], week=q.get("week"), top_k=10, mode=mode)
        firsts[mode] = bool(alone.hits) and norm_url(alone.hits[0].url) in gold
    out["list"] = ("both right" if firsts["dense"] and firsts["bm25"] else "dense only right" if firsts["dense"]
                   else "BM25 only right" if firsts["bm25"] else "neither")
    if out["hit1"] or not urls:
        return out
    state = r._require()  # noqa: SLF001 (a diagnostic reads the link graph and section counts)
    top = hybrid.hits[0]
    gold_hit = next((x for x in hybrid.hits if norm_url(x.url) in gold), None)
    week = hybrid.week
    gold_url = next(iter(sorted(gold)))
    gold_weeks = gold_hit.meta.get("weeks") or [] if gold_hit else []
    links = state.links.out.get(page_key(top.url), frozenset())
    if week is not None and week in gold_weeks and week not in (top.meta.get("weeks") or []):
        cause = "other week"
    elif any(page_key(g) in links for g in gold):
        cause = "hub"
    elif state.sections.get(top.url, 1) > state.sections.get(gold_hit.url if gold_hit else gold_url, 1):
        cause = "broader page"
    elif any(_dir(top.url) == _dir(g) for g in gold):
        cause = "sibling"
    else:
        cause = "other"
    out["cause"] = cause
    out["gold_depth"] = gold_hit.meta.get("depth") if gold_hit else None
    if gold_hit is not None:
        t_top, t_gold = state.title_of(top.id), state.title_of(gold_hit.id)
        vec = r.embedder.embed([hybrid.query])[0]
        sims = state.title_similarity(r.embedder, vec, [t_top, t_gold])
        out["title_closer"] = sims[1] > sims[0]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dev", type=Path, nargs="+", default=list(DEV), help="question files (default: the dev files)")
    ap.add_argument("--json", type=Path, help="also write the counts per file and in all here")
    args = ap.parse_args(argv)
    h = Harness.open()
    report: dict[str, dict] = {}
    keys = ("cause", "list", "list_all", "title", "depth", "rare", "rare_cause")
    total: dict[str, Counter] = {k: Counter() for k in keys}
    files = [load_questions(path) for path in args.dev]
    # a "rare" question's gold page is gold for at most RARE_OTHERS other questions of these files (`page_sharers`):
    # the nearer picture of a writer asking about the pages the dev files use least
    sharers = iter(page_sharers([q for qs in files for q in qs]))
    for path, questions in zip(args.dev, files, strict=True):
        c: dict[str, Counter] = {k: Counter() for k in keys}
        n = 0
        for q in questions:
            rare = next(sharers) - 1 <= RARE_OTHERS
            o = classify(h, q)
            if o is None:
                continue
            n += 1
            c["list_all"][o["list"]] += 1
            if rare:
                c["rare"]["searched"] += 1
                c["rare"]["rank-1 hits"] += o["hit1"]
            if not o["hit1"]:
                if rare:
                    c["rare_cause"][o.get("cause", "other")] += 1
                c["cause"][o.get("cause", "other")] += 1
                c["list"][o["list"]] += 1
                c["title"]["gold title closer" if o.get("title_closer") else "first title closer"] += 1
                depth = o.get("gold_depth")
                c["depth"][f"gold depth {depth}" if depth is not None else "gold absent"] += 1
        for key in total:
            total[key].update(c[key])
        report[path.name] = {"searched": n, **{k: dict(v) for k, v in c.items()}}
        print(f"{path.name}: {n} searched, misses {sum(c['cause'].values())}: "
              f"{dict(c['cause'])}; lists on misses {dict(c['list'])}; {dict(c['title'])}", flush=True)
    report["all"] = {k: dict(v) for k, v in total.items()}
    print(json.dumps(report["all"]))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
