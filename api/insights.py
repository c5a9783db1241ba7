"""Insights for the roadmap keeper, from the question log (`api.questionlog`) and the published index:

- per week: questions, abstention rate, thumbs-down rate (of the rated answers), median latency; a question
  belongs to the week asked, else to its top source's first week, else to no week;
- coverage gaps: the unanswered and low-confidence questions clustered by meaning (`api.gaps`);
- the pages cited most, and the indexed pages never cited;
- roadmap links that fail now (link health) but were cited before, most-cited first.

`compute()` returns one JSON-ready dict, served by `GET /admin/insights` and the `/admin` page, and printed
by the CLI: `python -m api.insights` (or `roadmap-insights`) shows tables on a terminal, `--json` prints the
dict, `--csv DIR` writes one CSV file per table. The CLI shows a progress bar while it embeds questions.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from api.gaps import DISTANCE, LOW_CONFIDENCE, GapQuestion, Search, VectorCache, find_gaps, is_gap
from api.questionlog import DAY, Entry, LogRead

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from vectorstore.embeddings import Embedder

TOP_PAGES = 20
_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhw])\s*$", re.IGNORECASE)


# ---------------------------------------------------------------- the time window
def parse_since(text: str | None, days: int, now: float | None = None) -> float:
    """`30d`, `12h`, `2w`, or an ISO date / date-time (UTC unless it says) -> epoch seconds; None: the whole
    retention. Raises ValueError with a message meant for a person."""
    now = time.time() if now is None else now
    if text is None or not text.strip():
        return now - days * DAY
    if m := _RELATIVE.match(text):
        return now - float(m.group(1)) * {"h": 3600.0, "d": DAY, "w": 7 * DAY}[m.group(2).lower()]
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"since: {text!r} is neither a duration (30d, 12h, 2w) nor an ISO date (2026-11-01)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------- the numbers
def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summary(entries: list[Entry]) -> dict[str, Any]:
    """Questions, abstentions, ratings and median latency of a set of entries."""
    rated = [e for e in entries if e.rating]
    down = sum(e.rating == "down" for e in rated)
    abstained = sum(not e.grounded for e in entries)
    return {"questions": len(entries), "abstained": abstained, "abstention_rate": _rate(abstained, len(entries)),
            "rated": len(rated), "thumbs_down": down, "thumbs_down_rate": _rate(down, len(rated)),
            "median_latency_ms": round(statistics.median(e.latency_ms for e in entries), 1) if entries else None}


def per_week(entries: list[Entry], weeks: Mapping[int, str]) -> list[dict[str, Any]]:
    """One row per roadmap week (and any other week seen), then one for questions of no week (week null)."""
    by_week: dict[int | None, list[Entry]] = {}
    for e in entries:
        by_week.setdefault(e.week, []).append(e)
    numbers = sorted(set(weeks) | {w for w in by_week if w is not None})
    rows = [{"week": w, "title": weeks.get(w), **summary(by_week.get(w, []))} for w in numbers]
    if None in by_week:
        rows.append({"week": None, "title": "no week", **summary(by_week[None])})
    return rows


def cited_counts(entries: list[Entry]) -> tuple[Counter[str], dict[str, dict[str, Any]], dict[str, float]]:
    """Per page URL: how many answers cited it, its title/weeks as cited, and when it was last cited."""
    counts: Counter[str] = Counter()
    seen: dict[str, dict[str, Any]] = {}
    last: dict[str, float] = {}
    for e in entries:
        cited = [(str(c["url"]), c) for c in e.citations if c.get("url")]
        for url in dict.fromkeys(url for url, _ in cited):
            counts[url] += 1
            last[url] = max(last.get(url, 0.0), e.created_at)
        for url, c in cited:
            seen.setdefault(url, c)
    return counts, seen, last


def cited_pages(counts: Counter[str], seen: dict[str, dict[str, Any]], pages: dict[str, dict[str, Any]],
                top: int = TOP_PAGES) -> list[dict[str, Any]]:
    rows = []
    for url, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        page = pages.get(url) or seen.get(url) or {}
        rows.append({"url": url, "title": page.get("title"), "weeks": page.get("weeks") or [], "cited": n})
    return rows


def never_cited(counts: Counter[str], pages: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Indexed pages no answer in the window cited, by week then URL."""
    rows = [{"url": url, "title": p.get("title"), "weeks": p.get("weeks") or [], "chunks": p.get("chunks")}
            for url, p in pages.items() if url not in counts]
    return sorted(rows, key=lambda r: (min(r["weeks"] or [99]), r["url"]))


def failing_links(counts: Counter[str], last: dict[str, float], links: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Roadmap links whose last check failed although answers cited their page, most-cited first."""
    rows = []
    for link in links:
        if link.get("outcome") != "failed":
            continue
        urls = {link["url"], link.get("final_url") or link["url"]}
        cited = sum(counts.get(u, 0) for u in urls)
        if cited:
            rows.append({"url": link["url"], "weeks": link.get("weeks", []), "labels": link.get("labels", []),
                         "status": link.get("status"), "reason": link.get("reason"),
                         "last_success": link.get("last_success"), "cited": cited,
                         "last_cited": iso(max(last.get(u, 0.0) for u in urls))})
    return sorted(rows, key=lambda r: (-r["cited"], r["url"]))


def compute(read: LogRead, *, since: float, until: float | None = None, weeks: Mapping[int, str] | None = None,
            index: dict[str, Any] | None = None, embedder: Embedder | None = None, search: Search | None = None,
            low_confidence: float = LOW_CONFIDENCE, distance: float = DISTANCE, cache: VectorCache | None = None,
            progress: Callable[[int, int], None] | None = None, top: int = TOP_PAGES,
            log_info: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every insight as one dict. `index` is `ingest.status.index_status()` (pages and links); `embedder` and
    `search` are needed for the gaps (without an embedder they are left out)."""
    entries = read.entries
    index = index or {}
    pages = {p["url"]: p for p in index.get("pages", [])}
    counts, seen, last = cited_counts(entries)
    gap_questions = [GapQuestion(e.question, e.created_at, e.grounded, e.session, e.query) for e in entries
                     if is_gap(e.grounded, e.confidence, low_confidence)]
    gaps, clustered = (find_gaps(gap_questions, embedder, search, distance, cache, progress) if embedder is not None
                       else ([], {"questions": len(gap_questions), "distinct": None, "clustered": 0}))
    return {
        "since": iso(since), "until": iso(until or time.time()),
        "log": {**(log_info or {}), "files": read.files, "unreadable": read.unreadable},
        "index_version": index.get("version"),
        "totals": {**summary(entries), "sessions": len({e.session for e in entries if e.session}),
                   "gap_questions": len(gap_questions)},
        "weeks": per_week(entries, weeks or {}),
        "gaps": gaps,
        "gap_settings": {"low_confidence": low_confidence, "distance": distance, **clustered},
        "cited_pages": cited_pages(counts, seen, pages, top),
        "never_cited": never_cited(counts, pages),
        "failing_links": failing_links(counts, last, index.get("links", [])),
    }


# ---------------------------------------------------------------- the command line
TABLES = {  # CSV file / terminal table -> (key in the dict, columns)
    "weeks": ("weeks", ["week", "title", "questions", "abstained", "abstention_rate", "rated", "thumbs_down",
                        "thumbs_down_rate", "median_latency_ms"]),
    "gaps": ("gaps", ["size", "unanswered", "label", "closest_week", "closest_page", "examples"]),
    "cited_pages": ("cited_pages", ["cited", "weeks", "title", "url"]),
    "never_cited": ("never_cited", ["weeks", "chunks", "title", "url"]),
    "failing_links": ("failing_links", ["cited", "status", "weeks", "reason", "last_cited", "url"]),
}


def _cell(row: dict[str, Any], column: str, sep: str, terminal: bool = False) -> str:
    if column == "closest_week":
        value = (row.get("closest") or {}).get("week")
    elif column == "closest_page":
        c = row.get("closest") or {}
        both = f"{c.get('title') or ''} {c.get('url') or ''}".strip()
        value = (c.get("title") or c.get("url") or "") if terminal else both
    else:
        value = row.get(column)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.0%}" if terminal and column.endswith("_rate") else f"{value:g}"
    if isinstance(value, list):
        return sep.join(map(str, value))
    return str(value)


def write_csv(result: dict[str, Any], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (key, columns) in TABLES.items():
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(columns)
            for row in result[key]:
                w.writerow([_cell(row, c, " | " if c == "examples" else ",") for c in columns])
        written.append(path)
    return written


_HEADERS = {"abstention_rate": "abstained %", "thumbs_down_rate": "down %", "median_latency_ms": "p50 ms",
            "thumbs_down": "down", "questions": "asked", "unanswered": "unansw.", "closest_week": "week"}
_WIDE = {"title", "label", "closest_page", "examples", "url", "reason"}


def print_tables(result: dict[str, Any], console: Console) -> None:
    from rich.table import Table

    t = result["totals"]
    console.print(f"{t['questions']} questions from {result['since']} to {result['until']}, {t['sessions']} sessions, "
                  f"{t['abstained']} abstained, {t['rated']} rated ({t['thumbs_down']} down), "
                  f"{t['gap_questions']} gap questions; index version {result['index_version']}")
    titles = {"weeks": "per week", "gaps": "coverage gaps (unanswered / low-confidence questions by meaning)",
              "cited_pages": "pages cited most", "never_cited": "indexed pages never cited",
              "failing_links": "roadmap links failing now that answers cited"}
    for name, (key, columns) in TABLES.items():
        table = Table(title=f"{titles[name]} ({len(result[key])})")
        for c in columns:
            wide = c in _WIDE
            table.add_column(_HEADERS.get(c, c.replace("_", " ")), overflow="fold" if wide else "ellipsis",
                             no_wrap=not wide, ratio=1 if wide else None, justify="left" if wide else "right")
        for row in result[key]:
            table.add_row(*(_cell(row, c, "\n" if c == "examples" else ",", terminal=True) for c in columns))
        console.print(table)
    if result["log"].get("unreadable"):
        console.print("[yellow]unreadable log files:[/] " + "; ".join(result["log"]["unreadable"]))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="roadmap-insights",
                                description="What learners ask, where they get stuck, what the sources miss.")
    p.add_argument("--since", help="start of the window: 30d, 12h, 2w or an ISO date (default: the whole retention)")
    p.add_argument("--json", action="store_true", help="print the insights as one JSON object")
    p.add_argument("--csv", metavar="DIR", type=Path, help="write one CSV file per table into DIR")
    p.add_argument("--low-confidence", type=float, default=LOW_CONFIDENCE,
                   help=f"grounded answers below this confidence count as gaps (default {LOW_CONFIDENCE})")
    p.add_argument("--distance", type=float, default=DISTANCE,
                   help=f"cosine distance under which gap questions join a cluster (default {DISTANCE})")
    p.add_argument("--top", type=int, default=TOP_PAGES, help=f"pages cited most to show (default {TOP_PAGES})")
    return p


def main(argv: list[str] | None = None) -> int:
    from api.insights_data import open_data
    from errors import RoadmapAssistantError
    from settings import load_settings

    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()  # a bad RA_* value: one `error: RA_X: ...` line, as the other commands
        since = parse_since(args.since, settings.question_log_days)
        with open_data(settings) as data, _progress(sys.stderr.isatty() and not args.json) as progress:
            result = data.compute(since, progress=progress, low_confidence=args.low_confidence,
                                 distance=args.distance, top=args.top)
    except (ValueError, RoadmapAssistantError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.csv:
        for path in write_csv(result, args.csv):
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    elif not args.csv:
        from rich.console import Console

        print_tables(result, Console())
    return 0


class _progress:
    """A rich progress bar for the embedding of gap questions, on a terminal only; yields `update(done, total)`
    or None."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._bar: Progress | None = None

    def __enter__(self) -> Callable[[int, int], None] | None:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = self._bar = Progress(TextColumn("embedding questions"), BarColumn(), MofNCompleteColumn(),
                                   TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        bar.start()
        task = bar.add_task("embed", total=None)
        return lambda done, total: bar.update(task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


if __name__ == "__main__":
    sys.exit(main())
