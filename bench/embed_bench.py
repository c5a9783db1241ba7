"""Embedding benchmark: our OnnxEmbedder (length-sorted batches padded to their longest member) against
ChromaDB's ONNXMiniLM_L6_V2 (every text padded to 256 tokens), on the same model files and the same texts.
Prints throughput for a batch of texts, how far the vectors differ, and single-query latency; the two take
turns slice by slice (and query by query) so that changing machine load does not favour either.

    python bench/embed_bench.py --model-dir /work/shared/models/all-MiniLM-L6-v2/onnx [--texts 2000] [--from-mirror]

Without --from-mirror the texts are synthetic sentences of 20-250 wordpieces; with it, paragraphs of 20-250
wordpieces taken in file order from the HTML pages under the mirror (deterministic either way).
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from vectorstore.embeddings import OnnxEmbedder

MIRROR_SITE = Path("/work/shared/mirror/site")
QUESTION = "How do I roll back a failed Kubernetes deployment safely?"  # ten words
MIN_TOKENS, MAX_TOKENS = 20, 250


def synthetic_texts(n: int, count_tokens) -> list[str]:
    rng = random.Random(0)
    words = ("model data pipeline container cluster deploy training feature metric latency registry "
             "kubernetes docker terraform monitoring drift experiment artifact serving batch stream").split()
    texts = []
    while len(texts) < n:
        target = rng.randint(MIN_TOKENS, MAX_TOKENS)
        text = ""
        while count_tokens(text) < target:
            text += " ".join(rng.choices(words, k=8)) + ". "
        texts.append(text.strip())
    return texts


def mirror_texts(n: int, count_tokens, site: Path = MIRROR_SITE) -> list[str]:
    """Paragraphs of 20-250 wordpieces from the mirror's HTML (short lines merged, long ones cut at words)."""
    from bs4 import BeautifulSoup

    texts: list[str] = []
    for path in sorted(p for p in site.rglob("*") if p.suffix in {".html", ".htm"} and p.is_file()):
        text = BeautifulSoup(path.read_bytes(), "lxml").get_text("\n")
        pending = ""
        for line in (ln.strip() for ln in text.splitlines()):
            if not line:
                continue
            pending = f"{pending} {line}".strip()
            if count_tokens(pending) < MIN_TOKENS:
                continue
            words = pending.split()
            while count_tokens(" ".join(words)) > MAX_TOKENS:
                words = words[: int(len(words) * 0.9)]
            texts.append(" ".join(words))
            pending = ""
            if len(texts) == n:
                return texts
    if not texts:
        raise SystemExit(f"no text found under {site}")
    return (texts * (n // len(texts) + 1))[:n]


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
    return [(np.concatenate(o), s) for o, s in zip(outs, secs)]


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
    make = mirror_texts if args.from_mirror else synthetic_texts
    texts = make(args.texts, ours.count_tokens)
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
