"""Ingest speed on the mirror, as the keeper runs it: `python -m ingest` processes timed end to end (start-up,
imports and exit included), one session, into a fresh folder.

    python3 ../shared/mirror/serve.py --port 8900 &
    python3 ../shared/mirror/serve.py --port 8900 --rewrite roadmap.md /tmp/roadmap-mirror.md
    RA_EMBEDDING_MODEL_DIR=../shared/models/all-MiniLM-L6-v2/onnx \\
        .venv/bin/python bench/ingest_bench.py --mirror-base http://127.0.0.1:8900 \\
        [--rewritten /tmp/roadmap-mirror.md] [--raw-embed] [--chroma-ef]

Runs, in order: a full run (`--full`), an unchanged re-run, and with `--rewritten` an unchanged re-run of the
roadmap whose links are written as mirror URLs (the same index: both URL forms must settle on the same pages).
Prints one JSON object: for each run its process wall time, the run's own seconds and stages, whether it
published, pages indexed, texts embedded, metadata updates, and each re-run's wall time as a share of the full
run's. `--raw-embed` adds the raw embedding time of exactly the chunks stored (our embedder alone, all texts
in one call, in this process) and the ratio of the full run to it; `--chroma-ef` the same chunks through
Chroma's default embedding function (pads every text to 256 tokens).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def ingest(data_dir: Path, mirror_base: str, depth: int, *args: str) -> dict:
    """One `python -m ingest --json` process; its summary plus the process's wall time."""
    env = {**os.environ, "RA_DATA_DIR": str(data_dir), "RA_MIRROR_BASE": mirror_base, "RA_CRAWL_DEPTH": str(depth),
           "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ingest", "--json", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"ingest {' '.join(args)} exited {done.returncode}: {done.stderr.strip().splitlines()[-1:]}")
    s = json.loads(done.stdout)
    return {"wall_s": round(wall, 2), "run_s": s["seconds"], "stages_s": s["stages"], "published": s["published"],
            "version": s["version"], "pages_indexed": s["pages_indexed"], "pages_unchanged": s["pages_unchanged"],
            "chunks": s["chunks_total"], "embedded": s["embedded"], "metadata_updated": s["metadata_updated"],
            "roadmap_links_failed": s["roadmap_links_failed"], "child_pages_failed": s["child_pages_failed"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror-base", default="http://127.0.0.1:8900")
    ap.add_argument("--depth", type=int, default=1)
    ap.add_argument("--rewritten", type=Path, help="the roadmap rewritten to mirror URLs (serve.py --rewrite)")
    ap.add_argument("--raw-embed", action="store_true", help="also time the raw embedding of the stored chunks")
    ap.add_argument("--chroma-ef", action="store_true", help="also time Chroma's default embedding function")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        full = ingest(data, args.mirror_base, args.depth, "--full")
        out: dict[str, Any] = {"machine": f"{os.cpu_count()} cores", "full": full,
                               "rerun": ingest(data, args.mirror_base, args.depth)}
        if args.rewritten:
            out["rerun_rewritten"] = ingest(data, args.mirror_base, args.depth, "--roadmap",
                                            str(args.rewritten.resolve()))
        for key in ("rerun", "rerun_rewritten"):
            if key in out:
                out[key]["share_of_full"] = round(out[key]["wall_s"] / full["wall_s"], 4)
        if args.raw_embed or args.chroma_ef:
            out.update(raw_embedding(data, args.chroma_ef, full["wall_s"]))
    print(json.dumps(out))


def raw_embedding(data: Path, chroma_ef: bool, full_s: float) -> dict:
    from settings import Settings
    from vectorstore.client import open_client
    from vectorstore.embeddings import make_embedder
    from vectorstore.store import IndexStore, iter_chunks

    settings = Settings(data_dir=data)
    store = IndexStore(open_client(settings.data_dir), settings.collection)
    texts = [doc for _, doc, _, _ in iter_chunks(store.published().collection)]
    embedder = make_embedder(settings)
    t1 = time.perf_counter()
    embedder.embed(texts)
    raw = time.perf_counter() - t1
    out = {"raw_embed_s": round(raw, 2), "full_over_raw_embed": round(full_s / raw, 2)}
    if chroma_ef:
        from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

        ef = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
        ef.DOWNLOAD_PATH = Path(settings.embedding_model_dir).parent
        t2 = time.perf_counter()
        ef(texts)
        out["chroma_default_ef_embed_s"] = round(time.perf_counter() - t2, 2)
        out["speedup_vs_chroma_ef"] = round(out["chroma_default_ef_embed_s"] / raw, 2)
    return out


if __name__ == "__main__":
    main()
