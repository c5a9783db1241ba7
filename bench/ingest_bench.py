"""Ingest speed on the mirror: a full run into a fresh folder, then the raw model's time for the same chunks.

    python3 ../shared/mirror/serve.py --port 8900 &
    RA_EMBEDDING_MODEL_DIR=../shared/models/all-MiniLM-L6-v2/onnx \
        .venv/bin/python bench/ingest_bench.py --mirror-base http://127.0.0.1:8900 [--chroma-ef]

Prints one JSON object: pages, chunks, seconds end to end (process work: parse roadmap, crawl, extract, chunk,
embed, store, publish), pages/s, chunks/s, seconds per stage, then the raw embedding time of exactly the
chunks it stored (our embedder alone, all texts in one call), the ratio of the two, and with --chroma-ef the
same chunks through Chroma's default embedding function (pads every text to 256 tokens).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror-base", default="http://127.0.0.1:8900")
    ap.add_argument("--depth", type=int, default=1)
    ap.add_argument("--chroma-ef", action="store_true", help="also time Chroma's default embedding function")
    args = ap.parse_args()

    from ingest.job import run_job
    from settings import Settings
    from vectorstore.client import open_client
    from vectorstore.embeddings import make_embedder
    from vectorstore.store import IndexStore, iter_chunks

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), mirror_base=args.mirror_base, crawl_depth=args.depth)
        embedder = make_embedder(settings)
        store = IndexStore(open_client(settings.data_dir), settings.collection)
        t0 = time.perf_counter()
        report = asyncio.run(run_job(settings, store, embedder, full=True))
        total = time.perf_counter() - t0
        s = report.summary()
        texts = [doc for _, doc, _, _ in iter_chunks(store.snapshot().collection)]
        t1 = time.perf_counter()
        embedder.embed(texts)
        raw = time.perf_counter() - t1
        out = {
            "machine": f"{os.cpu_count()} cores", "pages": s["pages_indexed"], "chunks": s["chunks_total"],
            "ingest_s": round(total, 2), "pages_per_s": round(s["pages_indexed"] / total, 1),
            "chunks_per_s": round(s["chunks_total"] / total, 1), "stages_s": s["stages"],
            "roadmap_links_failed": s["roadmap_links_failed"], "child_pages_failed": s["child_pages_failed"],
            "raw_embed_s": round(raw, 2), "ingest_over_raw_embed": round(total / raw, 2),
        }
        if args.chroma_ef:
            from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

            ef = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
            ef.DOWNLOAD_PATH = str(Path(settings.embedding_model_dir).parent)
            t2 = time.perf_counter()
            ef(texts)
            out["chroma_default_ef_embed_s"] = round(time.perf_counter() - t2, 2)
            out["speedup_vs_chroma_ef"] = round(out["chroma_default_ef_embed_s"] / raw, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
