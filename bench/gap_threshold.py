"""How well gap clustering recovers known groups, per cosine distance threshold and linkage: the development
set `eval/gap_dev.jsonl` (one question per line with its `topic`; 35 questions in 14 topics, five of them asked
once; none of the tests' topics) is embedded with the project's embedder and clustered as `api.gaps` does.
Prints the number of clusters and the adjusted Rand index against the topics (1.0: exactly the topics).

    python bench/gap_threshold.py [--file eval/gap_dev.jsonl]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score

from api.gaps import embed
from settings import Settings
from vectorstore.embeddings import make_embedder

DEV = Path(__file__).resolve().parents[1] / "eval" / "gap_dev.jsonl"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Gap clustering on a labelled development set, per threshold.")
    p.add_argument("--file", type=Path, default=DEV)
    args = p.parse_args(argv)
    rows = [json.loads(line) for line in args.file.read_text().splitlines() if line.strip()]
    vectors = embed([r["question"] for r in rows], make_embedder(Settings()))
    topics = [r["topic"] for r in rows]
    print(f"{len(rows)} questions, {len(set(topics))} topics")
    results = []
    for linkage in ("average", "complete"):
        for threshold in (0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7):
            labels = AgglomerativeClustering(n_clusters=None, distance_threshold=threshold, metric="cosine",
                                             linkage=linkage).fit_predict(vectors)
            ari = adjusted_rand_score(topics, labels)
            results.append({"linkage": linkage, "distance": threshold, "clusters": len(set(labels)),
                            "ari": round(ari, 3)})
            print(f"{linkage:8} distance {threshold:.2f}: {len(set(labels)):2} clusters, adjusted Rand index {ari:.3f}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
