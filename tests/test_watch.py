"""`python -m ingest --watch` re-runs by itself when the roadmap file changes (a real subprocess)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.servers import serve
from tests.sites import Site, page, roadmap
from vectorstore.client import open_client
from vectorstore.store import IndexStore

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = Path(os.environ.get("RA_EMBEDDING_MODEL_DIR", ROOT.parent / "shared/models/all-MiniLM-L6-v2/onnx"))


def wait_for(predicate, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_watch_reindexes_when_the_roadmap_changes(tmp_path):
    """The watcher indexes once, then publishes a new version after the roadmap gains a link, without a restart."""
    site = Site(pages={"/a.html": page("Alpha", ("Intro", "Alpha pages explain feature stores.")),
                       "/b.html": page("Beta", ("Intro", "Beta pages explain drift detection."))})
    with serve(site.app()) as base:
        road = tmp_path / "roadmap.md"
        road.write_text(roadmap(base, {1: [("Alpha", "/a.html")]}))
        env = {**os.environ, "RA_DATA_DIR": str(tmp_path / "data"), "RA_ROADMAP": str(road),
               "RA_EMBEDDING_MODEL_DIR": str(MODEL_DIR), "RA_COLLECTION": "watch", "RA_CRAWL_DEPTH": "0"}
        proc = subprocess.Popen([sys.executable, "-m", "ingest", "--watch", "--interval", "0.2", "--debounce", "0.3"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            store = IndexStore(open_client(tmp_path / "data"), "watch")

            def version() -> int:
                return int(store.pointer().get("version", 0))

            assert wait_for(lambda: version() == 1)
            road.write_text(roadmap(base, {1: [("Alpha", "/a.html"), ("Beta", "/b.html")]}))
            assert wait_for(lambda: version() == 2)
            urls = {m["url"] for m in store.snapshot().collection.get(include=["metadatas"])["metadatas"]}
            assert base + "/b.html" in urls
        finally:
            proc.terminate()
            proc.wait(timeout=30)
