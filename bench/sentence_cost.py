"""What storing sentence vectors costs at ingest: the index's chunks, their readable sentences (the extractive
picker's reader, `vectorstore.sentences`), and the time to split and embed them next to the time to embed the
chunk texts themselves, in one process on the same model (what a full ingest embeds: both).

    RA_DATA_DIR=... python bench/sentence_cost.py [--repeat 1]

Reads the index read-only (`RA_DATA_DIR` / `RA_CHROMA_URL`); prints one JSON line. The machine's load shifts
absolute times, so the two are timed alternately and the ratio is the figure to compare.
"""
from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=1, help="timed rounds (chunks, then sentences, each round)")
    args = ap.parse_args(argv)

    from settings import Settings
    from vectorstore.client import open_client
    from vectorstore.embeddings import make_embedder
    from vectorstore.sentences import sentences
    from vectorstore.store import IndexStore, iter_chunks

    settings = Settings()
    store = IndexStore(open_client(settings.data_dir, settings.chroma_url, read_only=True), settings.collection)
    snap = store.published()
    texts = [doc for _cid, doc, _meta, _e in iter_chunks(snap.collection)]
    t = time.perf_counter()
    found = [s for doc in texts for s in sentences(doc)]
    split = time.perf_counter() - t
    distinct = list(dict.fromkeys(found))
    embedder = make_embedder(settings)
    rounds: list[dict[str, float]] = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        embedder.embed(texts)
        chunks_s = time.perf_counter() - t
        t = time.perf_counter()
        embedder.embed(distinct)
        rounds.append({"chunks_s": round(chunks_s, 1), "sentences_s": round(time.perf_counter() - t, 1)})
    stored = snap.sentences.count() if snap.sentences is not None else None
    print(json.dumps({"chunks": len(texts), "sentences": len(found), "distinct_sentences": len(distinct),
                      "stored_sentences": stored, "split_s": round(split, 1), "rounds": rounds,
                      "sentences_over_chunks": [round(r["sentences_s"] / r["chunks_s"], 2) for r in rounds]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
