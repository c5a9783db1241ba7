"""Embedding benchmark: our OnnxEmbedder (length-sorted batches padded to their longest member) against
ChromaDB's ONNXMiniLM_L6_V2 (every text padded to 256 tokens), on the same model files and the same texts.
Prints throughput for a batch of texts, how far the vectors differ, and single-query latency; the two take
turns slice by slice (and query by query) so that changing machine load does not favour either.

    python bench/embed_bench.py --model-dir /work/shared/models/all-MiniLM-L6-v2/onnx [--texts 2000] [--from-mirror]

Texts are 20-250 wordpieces long (lengths drawn with a fixed seed): synthetic sentences, or with --from-mirror
consecutive lines of the text of the mirror's HTML pages (bs4 get_text, files in sorted order).
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from vectorstore.embeddings import OnnxEmbedder

MIRROR_SITE = Path("/work/shared/mirror/site")
QUESTION = "How do I roll back a failed Kubernetes deployment safely?"  # ten words
MIN_TOKENS, MAX_TOKENS = 20, 250


def pack(lines: Iterable[str], n: int, count_tokens) -> list[str]:
    """Join lines into n texts, each of a (seeded) random length of 20-250 wordpieces, cut at a word when over."""
    rng = random.Random(0)
    texts: list[str] = []
    pending: list[str] = []
    pending_tokens, target = 0, rng.randint(MIN_TOKENS, MAX_TOKENS)
    for line in lines:
        pending.append(line)
        pending_tokens += count_tokens(line)  # wordpieces never span whitespace, so counts add up
        if pending_tokens < target:
            continue
        words = " ".join(pending).split()
        lo, hi = 0, len(words)  # the longest prefix of words within MAX_TOKENS
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if count_tokens(" ".join(words[:mid])) <= MAX_TOKENS else (lo, mid - 1)
        text = " ".join(words[:lo])
        if count_tokens(text) >= MIN_TOKENS:
            texts.append(text)
            if len(texts) == n:
                break
        pending, pending_tokens, target = [], 0, rng.randint(MIN_TOKENS, MAX_TOKENS)
    return texts


def synthetic_lines() -> Iterator[str]:
    rng = random.Random(1)
    words = ("model data pipeline container cluster deploy training feature metric latency registry "
             "kubernetes docker terraform monitoring drift experiment artifact serving batch stream").split()
    while True:
        yield " ".join(rng.choices(words, k=8)) + "."


def mirror_lines(site: Path = MIRROR_SITE) -> Iterator[str]:
    """The non-empty lines of bs4's get_text over the mirror's HTML pages, in file order."""
    from bs4 import BeautifulSoup

    for path in sorted(p for p in site.rglob("*") if p.suffix in {".html", ".htm"} and p.is_file()):
        text = BeautifulSoup(path.read_bytes(), "lxml").get_text("\n")
        yield from (line.strip() for line in text.splitlines() if line.strip())


def chroma_function(model_dir: Path, cache: Path):
    from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

    (cache / "onnx").symlink_to(model_dir.resolve(), target_is_directory=True)
    ef = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
    ef.DOWNLOAD_PATH = cache
    ef(["warm up"])
    return lambda texts: np.asarray(ef(texts), dtype=np.float32)


def embed_interleaved(fns, texts: list[str], slices: int = 10) -> list[tuple[np.ndarray, float]]:
    """Embed the texts with each function, slice by slice in turn, so a change in machine load hits all alike."""
    outs: list[list[np.ndarray]] = [[] for _ in fns]
    secs = [0.0] * len(fns)
    step = -(-len(texts) // slices)
    for start in range(0, len(texts), step):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            outs[i].append(fn(texts[start : start + step]))
            secs[i] += time.perf_counter() - t
    return [(np.concatenate(o), s) for o, s in zip(outs, secs, strict=True)]


def latencies_ms(fns, reps: int) -> list[tuple[float, float]]:
    """p50 and p95 of embedding the one question, the functions taking turns."""
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(reps):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            fn([QUESTION])
            samples[i].append((time.perf_counter() - t) * 1000)
    return [(statistics.median(s), statistics.quantiles(s, n=20)[18]) for s in samples]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, required=True)
    ap.add_argument("--texts", type=int, default=2000)
    ap.add_argument("--from-mirror", action="store_true")
    ap.add_argument("--reps", type=int, default=200, help="single-query repetitions")
    args = ap.parse_args()

    ours = OnnxEmbedder(args.model_dir)
    ours.embed(["warm up"])
    texts = pack(mirror_lines() if args.from_mirror else synthetic_lines(), args.texts, ours.count_tokens)
    if len(texts) < args.texts:
        raise SystemExit(f"only {len(texts)} texts could be built")
    lengths = [ours.count_tokens(t) for t in texts]
    print(f"texts: {len(texts)} ({'mirror' if args.from_mirror else 'synthetic'}), wordpieces "
          f"min {min(lengths)} / median {int(statistics.median(lengths))} / max {max(lengths)}")

    with tempfile.TemporaryDirectory() as cache:
        chroma = chroma_function(args.model_dir, Path(cache))
        (a, t_ours), (b, t_chroma) = embed_interleaved([ours.embed, chroma], texts)
        diff = 1.0 - (a * b).sum(axis=1)
        print(f"ours:    {len(texts) / t_ours:8.1f} texts/s  {t_ours:7.2f} s")
        print(f"chroma:  {len(texts) / t_chroma:8.1f} texts/s  {t_chroma:7.2f} s")
        print(f"speedup: {t_chroma / t_ours:.2f}x")
        print(f"cosine difference (1 - cos): max {diff.max():.2e}  mean {diff.mean():.2e}")

        (o50, o95), (c50, c95) = latencies_ms([ours.embed, chroma], args.reps)
        print(f"query latency ({len(QUESTION.split())} words, {args.reps} reps): "
              f"ours p50 {o50:.2f} ms p95 {o95:.2f} ms | chroma p50 {c50:.2f} ms p95 {c95:.2f} ms | "
              f"speedup p50 {c50 / o50:.1f}x")


if __name__ == "__main__":
    main()
