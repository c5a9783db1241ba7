"""What is indexed now: chunks per week and per page, the last run, failures and the roadmap links' health.
Read from the published version's record, so it is the same for every process that shares the store."""
from __future__ import annotations

import json
from collections import Counter


def index_status(store) -> dict:
    snap = store.snapshot()
    if snap is None:
        return {"version": None, "chunks": 0, "weeks": {}, "pages": [], "last_run": None, "links": []}
    record = store.record(snap)
    pages = record.get("pages", {})
    per_week: Counter = Counter()
    rows = []
    for url, e in sorted(pages.items()):
        meta = json.loads(e.get("meta_key") or "{}")
        n = len(e.get("chunk_ids", []))
        for w in meta.get("weeks", []) or [0]:
            per_week[w] += n
        rows.append({"url": url, "title": e.get("title"), "chunks": n, "weeks": meta.get("weeks", []),
                     "depth": e.get("depth"), "stale": e.get("stale", False), "fetched_at": e.get("fetched_at")})
    return {"version": snap.version, "collection": snap.name, "embedder": snap.embedder, "chunking": snap.chunking,
            "chunks": snap.collection.count(), "weeks": {str(k): v for k, v in sorted(per_week.items())},
            "pages": rows, "last_run": record.get("run"), "links": record.get("links", [])}


def print_status(status: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if status["version"] is None:
        console.print("no index yet: run `python -m ingest`")
        return
    console.print(f"index version {status['version']} ({status['collection']}), {status['chunks']} chunks, "
                  f"embedder {status['embedder']}, chunking {status['chunking']}")
    weeks = Table(title="chunks per week (0: no week)")
    weeks.add_column("week", justify="right")
    weeks.add_column("chunks", justify="right")
    for w, n in status["weeks"].items():
        weeks.add_row(w, str(n))
    console.print(weeks)
    pages = Table(title="pages")
    for col in ("chunks", "weeks", "stale", "url"):
        pages.add_column(col)
    for p in status["pages"]:
        pages.add_row(str(p["chunks"]), ",".join(map(str, p["weeks"])), "stale" if p["stale"] else "", p["url"])
    console.print(pages)
    run = status["last_run"] or {}
    console.print(f"last run {run.get('run_id')} at {run.get('started_at')}: {len(run.get('pages_failed', []))} pages failed")
    for f in run.get("pages_failed", []):
        console.print(f"  failed d{f['depth']} {f['url']}: {f['reason']}")


def print_links(status: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="roadmap links")
    for col in ("weeks", "status", "outcome", "pages", "last success", "url / redirect / reason"):
        table.add_column(col)
    for link in status["links"]:
        where = link["url"]
        if link.get("final_url") and link["final_url"] != link["url"]:
            where += f"\n-> {link['final_url']}"
        if link.get("reason"):
            where += f"\n{link['reason']}"
        table.add_row(",".join(map(str, link["weeks"])) or "-", str(link.get("status") or "-"), link["outcome"],
                      str(link["pages"]), link.get("last_success") or "never", where)
    Console().print(table)
