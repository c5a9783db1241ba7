"""What an ingest run shows: a live progress bar on a terminal, plain log lines elsewhere, and a summary table."""
from __future__ import annotations

import logging

from ingest.report import IngestReport, PageOutcome

log = logging.getLogger("ingest")


class Progress:
    """Called once per finished page; a rich progress bar on a TTY, one log line per page otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.counts: dict[str, int] = {}
        self._bar = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.progress import BarColumn, Progress as Bar, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._bar = Bar(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[counts]}"),
                            TimeElapsedColumn(), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("pages", total=None, counts="")
        return self

    def __exit__(self, *exc) -> None:
        if self._bar:
            self._bar.stop()

    def page(self, o: PageOutcome) -> None:
        self.counts[o.outcome] = self.counts.get(o.outcome, 0) + 1
        if self._bar:
            counts = "  ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
            self._bar.update(self._task, advance=1, description=f"pages {sum(self.counts.values())}", counts=counts)
        else:
            extra = f" ({o.chunks} chunks)" if o.outcome == "indexed" else (f": {o.reason}" if o.reason else "")
            log.info("%-9s d%d %s%s", o.outcome, o.depth, o.url, extra)


def print_summary(report: IngestReport) -> None:
    from rich.console import Console
    from rich.table import Table

    s = report.summary()
    console = Console(stderr=False)
    table = Table(title=f"ingest run {s['run_id']}: {s['seconds']} s, index version {s['version']}"
                        + ("" if s["published"] else " (nothing changed, nothing written)"))
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("pages_indexed", "pages_unchanged", "pages_stale", "roadmap_links_failed", "child_pages_failed",
                "chunks_total", "chunks_added", "chunks_removed", "metadata_updated", "embedded"):
        table.add_row(key.replace("_", " "), str(s[key]))
    table.add_row("pages skipped", str(len(s["pages_skipped"])))
    console.print(table)
    roots = [p for p in s["pages_failed"] if p["depth"] == 0]
    if roots:
        failed = Table(title="roadmap links that failed")
        failed.add_column("url")
        failed.add_column("reason")
        for p in roots:
            failed.add_row(p["url"], p["reason"] or "")
        console.print(failed)
    console.print("stages (s): " + ", ".join(f"{k} {v}" for k, v in s["stages"].items()))
