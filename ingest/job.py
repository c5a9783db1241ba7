"""Run one ingest from the settings: the single entry that the CLI, the watch mode and the API's
`POST /admin/reindex` all call. Holds the writer lock for the run, so only one writer runs at a time.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from errors import PublishRefusedError
from ingest.fetch import Fetcher
from ingest.lock import writer_lock
from ingest.pipeline import Ingest, IngestOptions
from ingest.report import IngestReport, PageOutcome
from ingest.roadmap import load_roadmap
from ingest.urls import UrlMap
from vectorstore.store import IndexStore


def options_from(settings, full: bool = False, force: bool = False) -> IngestOptions:
    return IngestOptions(depth=settings.crawl_depth, budget=settings.pages_per_resource,
                         chunk_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap_tokens, full=full,
                         recheck_gone_hours=settings.recheck_gone_hours, force=force)


async def run_job(settings, store: IndexStore, embedder, *, roadmap_path: Path | None = None, full: bool = False,
                  force: bool = False, on_page: Callable[[PageOutcome], None] | None = None,
                  lock_fd: int | None = None, lock_note: str = "") -> IngestReport:
    """Parse the roadmap, crawl, embed and publish a new index version; write the run's report to disk (a run a
    safeguard refused too: its PublishRefusedError carries the report). The writer lock is taken here, or
    adopted from `lock_fd` (inherited from the API that started this run)."""
    roadmap = load_roadmap(roadmap_path or settings.roadmap, settings.mirror_base)
    url_map = UrlMap(settings.mirror_base)
    with writer_lock(Path(settings.data_dir), fd=lock_fd, note=lock_note):
        async with Fetcher(settings.user_agent, concurrency=settings.concurrency,
                           per_host_concurrency=settings.per_host_concurrency, timeout=settings.fetch_timeout,
                           retries=settings.fetch_retries, max_redirects=settings.max_redirects,
                           max_bytes=settings.max_page_bytes, max_retry_after=settings.max_retry_after,
                           url_map=url_map, trusted=[r.url for r in roadmap.resources]) as fetcher:
            run = Ingest(roadmap, store, embedder, fetcher.fetch, url_map, options_from(settings, full, force), on_page)
            try:
                report = await run.run()
            except PublishRefusedError:
                save_report(Path(settings.data_dir), run.report)
                raise
    save_report(Path(settings.data_dir), report)
    return report


def save_report(data_dir: Path, report: IngestReport) -> None:
    runs = data_dir / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    (runs / f"{report.run_id}.json").write_text(json.dumps(report.to_dict(), indent=1))
    (runs / "last.json").write_text(json.dumps(report.to_dict(), indent=1))
