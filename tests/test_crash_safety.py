"""Crash safety of re-indexing: an ingest process killed with SIGKILL at several points never leaves readers
without a complete index, and the next run repairs everything with no manual step (embedded on-disk Chroma,
ingest in a real subprocess, queries from this process while it runs)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.servers import serve
from tests.sites import Site, page, roadmap
from vectorstore.client import open_client
from vectorstore.embeddings import OnnxEmbedder
from vectorstore.store import IndexStore

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = Path(os.environ.get("RA_EMBEDDING_MODEL_DIR", ROOT.parent / "shared/models/all-MiniLM-L6-v2/onnx"))


def pages(version: int) -> dict[str, str]:
    """Twelve pages whose text depends on `version`, so every version re-embeds everything."""
    out = {}
    for i in range(12):
        sections = [(f"Part {j}", f"Topic {i} revision {version}: " + " ".join(f"word{i}x{j}x{k}" for k in range(60)))
                    for j in range(6)]
        out[f"/p{i}.html"] = page(f"Page {i}", *sections)
    return out


def ingest(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ingest", "--json"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


class Reader(threading.Thread):
    """Queries the published index in a loop; records every failure and every incomplete answer."""

    def __init__(self, data_dir: Path, embedder):
        super().__init__(daemon=True)
        self.store = IndexStore(open_client(data_dir), "crash")
        self.vector = embedder.embed(["Topic 3 revision"])[0].tolist()
        self.stop, self.queries = threading.Event(), 0
        self.problems: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                snap = self.store.published()
                expected = sum(len(p["chunk_ids"]) for p in self.store.record(snap)["pages"].values())
                got = snap.collection.query(query_embeddings=[self.vector], n_results=3)
                if snap.collection.count() != expected or len(got["ids"][0]) != 3:
                    self.problems.append(f"v{snap.version}: {snap.collection.count()} chunks, record says {expected}")
                self.queries += 1
            except Exception as exc:  # a reader must never fail
                self.problems.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.01)


def consistent(data_dir: Path) -> tuple[set, set, list[str]]:
    store = IndexStore(open_client(data_dir), "crash")
    snap = store.published()
    ids = set(snap.collection.get(include=[])["ids"])
    record_ids = {c for p in store.record(snap)["pages"].values() for c in p["chunk_ids"]}
    names = sorted(c.name for c in store.client.list_collections())
    return ids, record_ids, names


def test_sigkill_during_reindex_keeps_serving_and_next_run_repairs(tmp_path):
    """SIGKILL at several points of a re-index: queries keep succeeding on a complete index, and the next run
    completes consistently."""
    site = Site(pages=pages(0))
    with serve(site.app()) as base:
        (tmp_path / "roadmap.md").write_text(roadmap(base, {1: [(f"P{i}", f"/p{i}.html") for i in range(6)],
                                                            2: [(f"P{i}", f"/p{i}.html") for i in range(6, 12)]}))
        env = {**os.environ, "RA_DATA_DIR": str(tmp_path / "data"), "RA_ROADMAP": str(tmp_path / "roadmap.md"),
               "RA_EMBEDDING_MODEL_DIR": str(MODEL_DIR), "RA_COLLECTION": "crash", "RA_CRAWL_DEPTH": "0"}
        first = ingest(env)
        assert first.wait(timeout=300) == 0

        site.pages = pages(1)
        t0 = time.monotonic()
        assert ingest(env).wait(timeout=300) == 0
        duration = time.monotonic() - t0

        reader = Reader(tmp_path / "data", OnnxEmbedder(MODEL_DIR))
        reader.start()
        try:
            for n, fraction in enumerate((0.15, 0.35, 0.55, 0.75, 0.9, 0.97), start=2):
                site.pages = pages(n)
                proc = ingest(env)
                time.sleep(duration * fraction)
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
            site.pages = pages(99)
            final = ingest(env)
            out, _ = final.communicate(timeout=300)
            assert final.returncode == 0, out
        finally:
            reader.stop.set()
            reader.join(timeout=30)
    assert reader.queries > 20 and reader.problems == []
    ids, record_ids, names = consistent(tmp_path / "data")
    assert ids == record_ids and ids
    versions = [n for n in names if n.startswith("crash-v")]
    assert len(versions) <= 4  # orphans of killed runs were dropped: active and previous, each with its sentences
    assert {n for n in versions if not n.endswith("-sentences")} == {n.removesuffix("-sentences") for n in versions}
