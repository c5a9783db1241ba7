"""`python -m ingest`: build or update the index, report what is indexed, or watch the roadmap.

    python -m ingest                 incremental update (only what changed)
    python -m ingest --full          rebuild from scratch (needed after a change of embedder or chunking)
    python -m ingest --force         publish even when a safeguard would refuse (see ingest.safeguards)
    python -m ingest --json          the run's summary as one JSON object on stdout
    python -m ingest --status        what is indexed: chunks per week and per page, last run, failures
    python -m ingest --links         the roadmap links' health: status, redirect target, last success, pages
    python -m ingest --watch         re-run whenever roadmap.md changes (polls its hash, debounced)

`--status` and `--links` only read: they work on a read-only data folder. Exit codes: see EXIT_CODES.

`POST /admin/reindex` runs `python -m ingest --run-id ID --lock-fd N`: the run records its state under ID
(`ingest.runstate`) and adopts the writer lock the API took for it.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import signal
import sys
import time
from pathlib import Path

from errors import NothingIndexedError, PublishRefusedError, RoadmapAssistantError
from ingest.safeguards import MAX_DROP, MAX_FAILED_LOSS

log = logging.getLogger("ingest")


EXIT_CODES = f"""exit codes:
  0    the index is up to date: a new version was published, or nothing changed and nothing was written
  1    nothing could be indexed from the roadmap's links
  2    a setting, the roadmap file (missing, or without weeks or links) or the store is wrong
  3    not published, the active version keeps serving: every roadmap link failed, or the new version would
       lose more than {MAX_FAILED_LOSS:.0%} of the active version's pages to failed fetches or drop more
       than {MAX_DROP:.0%} (--force publishes those two)
  130  interrupted (the index that was serving is unchanged)"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ingest", description="Index the roadmap's documentation into ChromaDB.",
                                epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--roadmap", type=Path, help="roadmap markdown file (default: RA_ROADMAP, roadmap.md)")
    p.add_argument("--full", action="store_true", help="rebuild from scratch instead of updating")
    p.add_argument("--force", action="store_true",
                   help="publish even if the new version loses many of the active version's pages (exit 3 otherwise)")
    p.add_argument("--json", action="store_true", help="print the run's summary as one JSON object on stdout")
    p.add_argument("--status", action="store_true", help="report what is indexed and exit")
    p.add_argument("--links", action="store_true", help="report the roadmap links' health and exit")
    p.add_argument("--watch", action="store_true", help="re-run when the roadmap file changes")
    p.add_argument("--interval", type=float, default=2.0, help="watch: seconds between checks (default 2)")
    p.add_argument("--debounce", type=float, default=3.0, help="watch: seconds the file must stay unchanged")
    p.add_argument("--run-id", help="record this run's progress and result as re-index ID (what the API reads)")
    p.add_argument("--lock-fd", type=int, help="adopt the writer lock held by this inherited descriptor (the API's)")
    return p


def _stop(signum, frame):  # SIGTERM (docker stop, the API shutting down): end like Ctrl-C, leaving a record
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, _stop)
    recorder = None
    try:
        from settings import load_settings
        from vectorstore.client import open_client
        from vectorstore.embeddings import make_embedder
        from vectorstore.store import IndexStore

        settings = load_settings()
        if args.roadmap:
            settings.roadmap = args.roadmap
        if args.status or args.links:
            from ingest.status import index_status, print_links, print_status
            store = IndexStore(open_client(settings.data_dir, settings.chroma_url, read_only=True), settings.collection)
            status = index_status(store)
            if args.json:
                print(json.dumps(status if args.status else status["links"], indent=1))
            else:
                (print_status if args.status else print_links)(status)
            return 0
        store = IndexStore(open_client(settings.data_dir, settings.chroma_url), settings.collection)
        if args.run_id:
            from ingest.runstate import RunRecorder, run_states
            recorder = RunRecorder(run_states(settings, store), args.run_id, args.full)
        embedder = make_embedder(settings, lazy=True)  # loaded only once a page needs chunking or embedding
        if args.watch:
            return watch(settings, store, embedder, args)
        return run_once(settings, store, embedder, args, recorder)
    except PublishRefusedError as exc:
        summary = exc.report.summary() if exc.report is not None else None
        if summary is not None and args.json:
            print(json.dumps(summary))
        elif exc.report is not None:
            from ingest.progress import print_summary
            print_summary(exc.report)
        print(f"error: {exc}", file=sys.stderr)
        _failed(recorder, str(exc), summary)
        return 3
    except NothingIndexedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        _failed(recorder, str(exc))
        return 1
    except RoadmapAssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        _failed(recorder, str(exc))
        return 2
    except KeyboardInterrupt:
        print("interrupted: the index that was serving is unchanged", file=sys.stderr)
        _failed(recorder, "interrupted (stopped by a signal); the serving index is unchanged")
        return 130
    except BaseException as exc:
        _failed(recorder, f"the re-index crashed ({type(exc).__name__}); see its log")
        raise


def _failed(recorder, message: str, summary: dict | None = None) -> None:
    if recorder is not None:
        recorder.fail(message, summary)


def run_once(settings, store, embedder, args, recorder=None) -> int:
    from ingest.job import run_job
    from ingest.progress import Progress

    with Progress(enabled=sys.stderr.isatty() and not args.json) as progress:
        def on_page(outcome) -> None:
            progress.page(outcome)
            if recorder is not None:
                recorder.page(outcome)

        note = f"re-index {args.run_id}" if args.run_id else ""
        report = asyncio.run(run_job(settings, store, embedder, full=args.full, force=args.force, on_page=on_page,
                                     lock_fd=args.lock_fd, lock_note=note))
    summary = report.summary()
    if recorder is not None:
        recorder.finish(summary)
    if args.json:
        print(json.dumps(summary))
    else:
        from ingest.progress import print_summary
        print_summary(report)
    return 0


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def watch(settings, store, embedder, args) -> int:
    """Run once, then again each time the roadmap's content changes and stays put for `--debounce` seconds."""
    path = Path(settings.roadmap)
    seen = _digest(path)
    run_safely(settings, store, embedder, args)
    log.info("watching %s (every %.1fs)", path, args.interval)
    while True:
        time.sleep(args.interval)
        now = _digest(path)
        if now == seen:
            continue
        time.sleep(args.debounce)
        if _digest(path) != now:
            continue  # still being edited
        seen = now
        log.info("%s changed: re-indexing", path)
        run_safely(settings, store, embedder, args)


def run_safely(settings, store, embedder, args) -> None:
    try:
        run_once(settings, store, embedder, args)
    except RoadmapAssistantError as exc:  # watch mode keeps going; the serving index is untouched
        log.error("re-index failed: %s", exc)
