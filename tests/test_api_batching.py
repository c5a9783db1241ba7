"""The question-embedding micro-batcher: concurrent calls share model runs, each caller gets its own rows,
a lone call runs at once, and a model error reaches every caller of that run."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from api.batching import BatchingEmbedder


class GatedEmbedder:
    """A deterministic embedder (one row per text: [len, first char code]) whose first run waits for a gate."""

    name, dim = "gated", 2

    def __init__(self, fail: bool = False):
        self.calls: list[list[str]] = []
        self.gate, self.entered, self.fail = threading.Event(), threading.Event(), fail

    def embed(self, texts):
        self.calls.append(list(texts))
        if len(self.calls) == 1:
            self.entered.set()
            self.gate.wait(10)
        if self.fail:
            raise RuntimeError("model down")
        return np.array([[len(t), ord(t[0])] for t in texts], dtype=np.float32)

    def count_tokens(self, text):
        return len(text.split())


def test_a_lone_call_runs_at_once_and_passes_through():
    """One call is one model run with exactly its texts, and the protocol's name/dim/count_tokens pass through."""
    inner = GatedEmbedder()
    inner.gate.set()
    batcher = BatchingEmbedder(inner)
    assert batcher.embed(["ab", "c"]).tolist() == [[2, 97], [1, 99]]
    assert inner.calls == [["ab", "c"]] and batcher.runs == 1
    assert (batcher.name, batcher.dim, batcher.count_tokens("a b c")) == ("gated", 2, 3)


def test_calls_arriving_during_a_run_share_the_next_run():
    """While the model runs, later callers queue up and are embedded together, each getting its own row."""
    inner = GatedEmbedder()
    batcher = BatchingEmbedder(inner)
    texts = ["first"] + [f"{chr(98 + i)}{'x' * i}" for i in range(8)]
    with ThreadPoolExecutor(9) as pool:
        first = pool.submit(batcher.embed, texts[:1])
        assert inner.entered.wait(10)
        rest = [pool.submit(batcher.embed, [t]) for t in texts[1:]]
        while len(batcher._queue) < 8:  # all eight are waiting behind the running model call
            threading.Event().wait(0.005)
        inner.gate.set()
        results = [first.result()] + [f.result() for f in rest]
    assert inner.calls[0] == ["first"] and sorted(inner.calls[1]) == sorted(texts[1:])
    assert batcher.runs == 2
    for text, rows in zip(texts, results, strict=True):
        assert rows.tolist() == [[len(text), ord(text[0])]]


def test_max_texts_caps_a_run():
    """No model run embeds more than max_texts texts."""
    inner = GatedEmbedder()
    batcher = BatchingEmbedder(inner, max_texts=3)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(batcher.embed, ["a"])
        assert inner.entered.wait(10)
        rest = [pool.submit(batcher.embed, [f"q{i}"]) for i in range(7)]
        while len(batcher._queue) < 7:
            threading.Event().wait(0.005)
        inner.gate.set()
        assert [f.result().shape for f in [first, *rest]] == [(1, 2)] * 8
    assert [len(c) for c in inner.calls] == [1, 3, 3, 1]


def test_a_model_error_reaches_every_caller_of_the_run():
    """When the model raises, each caller batched into that run gets the error."""
    inner = GatedEmbedder(fail=True)
    batcher = BatchingEmbedder(inner)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(batcher.embed, ["a"])
        assert inner.entered.wait(10)
        rest = [pool.submit(batcher.embed, [f"q{i}"]) for i in range(3)]
        while len(batcher._queue) < 3:
            threading.Event().wait(0.005)
        inner.gate.set()
        for f in [first, *rest]:
            with pytest.raises(RuntimeError, match="model down"):
                f.result()


def test_a_text_embedded_before_comes_from_the_cache():
    """Asking the same text again returns the same vector without a model run; the cache keeps cache_size texts."""
    inner = GatedEmbedder()
    inner.gate.set()
    batcher = BatchingEmbedder(inner, cache_size=2)
    first = batcher.embed(["alpha"])
    assert batcher.embed(["alpha"]).tolist() == first.tolist() and inner.calls == [["alpha"]]
    batcher.embed(["beta"])
    batcher.embed(["gamma"])  # evicts alpha, the least recently used
    batcher.embed(["alpha"])
    assert inner.calls == [["alpha"], ["beta"], ["gamma"], ["alpha"]]
    assert batcher.embed(["gamma", "alpha"]).tolist() == [[5, 103], [5, 97]] and len(inner.calls) == 4


def test_only_the_texts_not_cached_go_to_the_model():
    """A list mixing cached and new texts (a question and its candidate sentences) embeds only the new ones once,
    and returns every row in the order asked."""
    inner = GatedEmbedder()
    inner.gate.set()
    batcher = BatchingEmbedder(inner)
    batcher.embed(["question"])
    rows = batcher.embed(["question", "beta", "gamma", "beta"])
    assert inner.calls == [["question"], ["beta", "gamma"]]
    assert rows.tolist() == [[8, 113], [4, 98], [5, 103], [4, 98]]
    assert batcher.embed([]).shape[0] == 0


def test_token_vectors_go_through_the_same_queue_and_a_model_without_them_gives_none():
    """embed_tokens runs the model's embed_tokens (one run for the embeddings and the wordpiece vectors); an
    embedder without wordpiece vectors gives the embeddings and an empty list."""
    import os
    from pathlib import Path

    from vectorstore.embeddings import OnnxEmbedder

    onnx = OnnxEmbedder(Path(os.environ.get("RA_EMBEDDING_MODEL_DIR") or "/work/shared/models/all-MiniLM-L6-v2/onnx"))
    batcher = BatchingEmbedder(onnx)
    texts = ["a container image", "launches apps from one file"]
    vectors, tokens = batcher.embed_tokens(texts)
    want, want_tokens = onnx.embed_tokens(texts)
    np.testing.assert_allclose(vectors, want, atol=1e-5)
    assert batcher.runs == 1
    assert [t.words for t in tokens] == [t.words for t in want_tokens] == [("a", "container", "image"),
                                                                          ("launches", "apps", "from", "one", "file")]
    np.testing.assert_allclose(tokens[1].vectors, want_tokens[1].vectors, atol=1e-5)
    inner = GatedEmbedder()
    inner.gate.set()
    plain, none = BatchingEmbedder(inner).embed_tokens(["ab"])
    assert plain.tolist() == [[2, 97]] and none == []
