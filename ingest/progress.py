"""What an ingest run shows: a live progress bar on a terminal, plain log lines elsewhere, and a summary table."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ingest.report import IngestReport, PageOutcome

if TYPE_CHECKING:  # rich is imported only when a bar is shown
    from rich.progress import Progress as Bar

log = logging.getLogger("ingest")


class Progress:
    """Called once per finished page; a rich progress bar on a TTY, one log line per page otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.counts: dict[str, int] = {}
        self._bar: Bar | None = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                            TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), transient=True)
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


def print_summary(report: IngestReport, out=None) -> None:
    from ingest.tables import console, plain, print_lines, table, text_column, url_column

    s = report.summary()
    out = out or console()
    if s["refused"]:
        what = "refused to publish; the active version keeps serving"
    else:
        what = "published" if s["published"] else "nothing changed, nothing written"
    out.print(f"ingest run {s['run_id']}: {s['seconds']} s, index version {s['version']} ({what})")
    counts = table()
    counts.add_column("what")
    counts.add_column("count", justify="right")
    for key in ("pages_indexed", "pages_unchanged", "pages_stale", "roadmap_links_failed", "child_pages_failed",
                "chunks_total", "chunks_added", "chunks_removed", "metadata_updated", "embedded",
                "sentences_total", "sentences_embedded", "pages_dropped"):
        counts.add_row(key.replace("_", " "), str(s[key]))
    counts.add_row("pages skipped", str(len(s["pages_skipped"])))
    out.print(counts)
    roots = [p for p in s["pages_failed"] if p["depth"] == 0]
    if roots and plain(out):
        out.print(f"roadmap links that failed ({len(roots)}):")
        print_lines(out, [f"  {p['url']}: {p['reason'] or ''}" for p in roots])
    elif roots:
        failed = table(f"roadmap links that failed ({len(roots)})")
        url_column(failed)
        text_column(failed, "reason")
        for p in roots:
            failed.add_row(p["url"], p["reason"] or "")
        out.print(failed)
    out.print("stages (s): " + ", ".join(f"{k} {v}" for k, v in s["stages"].items()))
