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


def _when(stamp: str | None) -> str:
    """'2026-11-28 17:34' from an ISO time ('never' without one)."""
    return stamp[:16].replace("T", " ") if stamp else "never"


def _where(link: dict, redirect: str, reason: str) -> str:
    """The link's URL, then its redirect target (when it moved) and its failure reason, each in its format."""
    where = link["url"]
    if link.get("final_url") and link["final_url"] != link["url"]:
        where += redirect.format(link["final_url"])
    if link.get("reason"):
        where += reason.format(link["reason"])
    return where


def print_status(status: dict, out=None) -> None:
    from ingest.tables import console, plain, print_lines, table, text_column, url_column

    out = out or console()
    if status["version"] is None:
        out.print("no index yet: run `python -m ingest`")
        return
    out.print(f"index version {status['version']} ({status['collection']}), {status['chunks']} chunks, "
              f"embedder {status['embedder']}, chunking {status['chunking']}")
    weeks = table("chunks per week (0: no week)")
    weeks.add_column("week", justify="right")
    weeks.add_column("chunks", justify="right")
    for w, n in status["weeks"].items():
        weeks.add_row(w, str(n))
    out.print(weeks)
    if plain(out):
        out.print(f"pages ({len(status['pages'])}): chunks, weeks, url, title")
        print_lines(out, [f"{p['chunks']:>5}  {','.join(map(str, p['weeks'])) or '-':<8} "
                          f"{'stale ' if p['stale'] else ''}{p['url']}  {p['title'] or ''}".rstrip()
                          for p in status["pages"]])
    else:
        pages = table(f"pages ({len(status['pages'])})")
        pages.add_column("chunks", justify="right")
        pages.add_column("weeks")
        url_column(pages)
        text_column(pages, "title")
        for p in status["pages"]:
            pages.add_row(str(p["chunks"]), ",".join(map(str, p["weeks"])) + (" stale" if p["stale"] else ""),
                          p["url"], p["title"] or "")
        out.print(pages)
    run = status["last_run"] or {}
    failed = run.get("pages_failed", [])
    out.print(f"last run {run.get('run_id')} at {run.get('started_at')}: {len(failed)} pages failed")
    if plain(out):
        print_lines(out, [f"  failed d{f['depth']} {f['url']}: {f['reason']}" for f in failed])
    elif failed:
        t = table()
        t.add_column("depth", justify="right")
        url_column(t)
        text_column(t, "reason")
        for f in failed:
            t.add_row(str(f["depth"]), f["url"], f["reason"] or "")
        out.print(t)


def print_links(status: dict, out=None) -> None:
    from ingest.tables import console, plain, print_lines, table, url_column

    out = out or console()
    links = status["links"]
    failed = sum(1 for link in links if link["outcome"] not in ("indexed", "unchanged", "skipped"))
    out.print(f"roadmap links of index version {status['version']}: {len(links)} links, {failed} failed")
    if plain(out):
        out.print("weeks  status outcome    pages  last success      url [-> redirect] [(reason)]")
        lines = []
        for link in links:
            where = _where(link, " -> {}", " ({})")
            lines.append(f"{','.join(map(str, link['weeks'])) or '-':<6} {str(link.get('status') or '-'):<6} "
                         f"{link['outcome']:<10} {link['pages']:>5}  {_when(link.get('last_success')):<16}  {where}")
        print_lines(out, lines)
        return
    t = table()
    t.add_column("weeks")
    t.add_column("status")
    t.add_column("pages", justify="right")
    t.add_column("last success")
    url_column(t, "url / redirect / reason")
    for link in links:
        where = _where(link, "\n-> {}", "\n{}")
        t.add_row(",".join(map(str, link["weeks"])) or "-", f"{link.get('status') or '-'} {link['outcome']}",
                  str(link["pages"]), _when(link.get("last_success"))[:10], where)
    out.print(t)
