"""Text embeddings behind one `Embedder` protocol: the local all-MiniLM-L6-v2 ONNX model, or any
OpenAI-compatible embeddings API. `OnnxEmbedder` computes the same vectors as ChromaDB's default
`ONNXMiniLM_L6_V2` (mean-pooled over the attention mask, L2-normalised) but batches texts of similar
length and pads each batch only to its longest member instead of to 256 tokens. `ensure_model` fetches
the model archive Chroma would fetch (same URL, same checksum) into the model folder when it is missing,
and `make_embedder` is the one place that turns `Settings` into an embedder.
"""
from __future__ import annotations

import hashlib
import os
import tarfile
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import numpy as np

from errors import ConfigError, ModelUnavailableError
from vectorstore.cpus import usable_cpus

# Copied from chromadb.utils.embedding_functions.ONNXMiniLM_L6_V2 (a test keeps them equal).
CHROMA_MODEL_URL = "https://chroma-onnx-models.s3.amazonaws.com/all-MiniLM-L6-v2/onnx.tar.gz"
CHROMA_MODEL_SHA256 = "913d7300ceae3b2dbc2c50d1de4baacab4be7b9380491c27fab7418616a16ec3"
ARCHIVE_FOLDER = "onnx"  # Chroma's archive holds onnx/model.onnx, onnx/tokenizer.json, ...
MODEL_FILES = ("model.onnx", "tokenizer.json")


class Embedder(Protocol):
    @property
    def name(self) -> str: ...  # embedder + model, recorded on the collection

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...  # (n, dim) float32, unit rows

    def count_tokens(self, text: str) -> int: ...  # wordpieces, without special tokens


@dataclass(frozen=True)
class TokenVectors:
    """A text's contextual wordpiece vectors (the model's last hidden state before pooling, without [CLS] and [SEP]),
    unit rows, and the word each wordpiece belongs to: `words[word_ids[i]]` is the word of row i."""

    vectors: np.ndarray          # (wordpieces, dim) float32
    word_ids: tuple[int, ...]    # one per row
    words: tuple[str, ...]       # the text's words as written (the tokenizer's pre-tokenization)


class TokenEmbedder(Protocol):
    """An embedder that also gives each text's wordpiece vectors, from the same model run as its embedding."""

    def embed_tokens(self, texts: Sequence[str]) -> tuple[np.ndarray, list[TokenVectors]]: ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def has_model(model_dir: Path) -> bool:
    return all((model_dir / f).is_file() for f in MODEL_FILES)


def load_tokenizer(model_dir: Path) -> Any:
    """The model's wordpiece tokenizer with the padding and truncation of tokenizer.json turned off."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


class OnnxEmbedder:
    """all-MiniLM-L6-v2 on onnxruntime (CPU), loaded once from a folder with model.onnx + tokenizer.json."""

    name = "onnx:all-MiniLM-L6-v2"
    max_tokens = 256  # including [CLS] and [SEP]

    def __init__(self, model_dir: Path, batch_size: int = 32, threads: int | None = None):
        import onnxruntime as ort

        model_dir = Path(model_dir)
        if not has_model(model_dir):
            raise ModelUnavailableError(
                f"embedding model not found in {model_dir}: set RA_EMBEDDING_MODEL_DIR to a folder with model.onnx "
                "and tokenizer.json"
            )
        self.batch_size = batch_size
        try:
            self._tokenizer = load_tokenizer(model_dir)
            options = ort.SessionOptions()
            self.threads = options.intra_op_num_threads = threads or usable_cpus()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3
            # Idle workers sleep instead of spinning: on a busy machine (crawler, API, other jobs) spinning
            # threads steal the CPU the work needs; measured 13 -> 23 texts/s with 2 threads on a loaded 2-core box.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._session = ort.InferenceSession(
                str(model_dir / "model.onnx"), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # a corrupt or foreign file: onnxruntime and tokenizers raise their own types
            raise ModelUnavailableError(
                f"embedding model in {model_dir} could not be loaded ({exc}): replace the folder") from exc
        width = self._session.get_outputs()[0].shape[-1]
        self.dim = width if isinstance(width, int) else 384

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, tokens=False)[0]

    def embed_tokens(self, texts: Sequence[str]) -> tuple[np.ndarray, list[TokenVectors]]:
        """The texts' embeddings and, from the same model run, their wordpiece vectors (`TokenVectors`)."""
        return self._encode(texts, tokens=True)

    def _encode(self, texts: Sequence[str], tokens: bool) -> tuple[np.ndarray, list[TokenVectors]]:
        texts = list(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        pieces: list[TokenVectors] = []
        if not texts:
            return out, pieces
        encodings = self._tokenizer.encode_batch(texts)
        ids = [self._truncate(e.ids) for e in encodings]
        hidden_of: dict[int, np.ndarray] = {}
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows], hidden = self._forward([ids[i] for i in rows])
            if tokens:
                hidden_of.update({i: hidden[j, 1 : len(ids[i]) - 1] for j, i in enumerate(rows)})
        if tokens:
            pieces = [_token_vectors(text, e, hidden_of[i]) for i, (text, e) in enumerate(zip(texts, encodings,
                                                                                               strict=True))]
        return out, pieces

    def _truncate(self, ids: list[int]) -> list[int]:
        """Keep [CLS], the first max_tokens-2 wordpieces and the final [SEP], as the tokenizer's truncation does."""
        return ids if len(ids) <= self.max_tokens else ids[: self.max_tokens - 1] + ids[-1:]

    def _forward(self, batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """The batch's mean-pooled unit embeddings and the model's last hidden state (batch, wordpieces, dim)."""
        input_ids = np.zeros((len(batch), max(map(len, batch))), dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
        hidden = self._session.run(None, feeds)[0]
        summed = np.einsum("bsd,bs->bd", hidden, mask.astype(hidden.dtype))
        return l2_normalise(summed / np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)), hidden


def _token_vectors(text: str, encoding: Any, hidden: np.ndarray) -> TokenVectors:
    """Unit wordpiece vectors (as many as the model read, [CLS] and [SEP] left out) with the words they belong to."""
    word_ids = list(encoding.word_ids[1 : 1 + len(hidden)])
    spans: dict[int, tuple[int, int]] = {}
    for w, (a, b) in zip(word_ids, encoding.offsets[1 : 1 + len(hidden)], strict=True):
        spans[w] = (min(a, spans.get(w, (a, b))[0]), max(b, spans.get(w, (a, b))[1]))
    index = {w: i for i, w in enumerate(dict.fromkeys(word_ids))}
    return TokenVectors(l2_normalise(np.asarray(hidden, dtype=np.float32)), tuple(index[w] for w in word_ids),
                        tuple(text[spans[w][0]:spans[w][1]] for w in index))


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible `POST /embeddings`, in batches, rows normalised."""

    def __init__(
        self,
        model: str,
        api_key: str | None,
        base_url: str | None,
        batch_size: int = 128,
        dim: int | None = None,
        tokenizer_dir: Path | None = None,
        *,
        timeout: float = 60.0,
        max_retries: int = 2,
    ):
        import openai

        if not api_key and not base_url:
            raise ConfigError("the openai embedder needs OPENAI_API_KEY (or OPENAI_BASE_URL for a server without keys)")
        self.name = f"openai:{model}"
        self.model = model
        self.batch_size = batch_size
        self._dim = dim
        # Local OpenAI-compatible servers often need no key, but the client insists on one.
        self._client = openai.OpenAI(api_key=api_key or "unused", base_url=base_url, timeout=timeout,
                                     max_retries=max_retries)
        self._tokenizer = load_tokenizer(Path(tokenizer_dir)) if tokenizer_dir else None

    @property
    def dim(self) -> int:
        """As given, else learnt from the first response (asking for one vector if none was made yet)."""
        if self._dim is None:
            self.embed(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def count_tokens(self, text: str) -> int:
        if self._tokenizer is not None:
            return len(self._tokenizer.encode(text, add_special_tokens=False).ids)
        return -(-len(text) // 4)  # about four characters a token

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            rows.extend(self._request(texts[start : start + self.batch_size]))
        vectors = np.asarray(rows, dtype=np.float32)
        if self._dim is None:
            self._dim = vectors.shape[1]
        elif vectors.shape[1] != self._dim:
            raise ConfigError(f"embedding model {self.model!r} returned {vectors.shape[1]} dimensions, "
                              f"not the expected {self._dim}")
        return l2_normalise(vectors)

    def _request(self, batch: list[str]) -> list[list[float]]:
        import openai

        where = f"embedding API at {self._client.base_url}"
        try:
            response = self._client.embeddings.create(model=self.model, input=batch)
        except openai.APIStatusError as exc:
            raise _status_error(where, self.model, exc) from exc
        except openai.APIError as exc:  # connection refused, timeout, unreadable response
            raise ModelUnavailableError(f"{where} unavailable ({type(exc).__name__}: {exc})") from exc
        data = sorted(response.data, key=lambda d: d.index)
        if [d.index for d in data] != list(range(len(batch))):
            raise ModelUnavailableError(f"{where} returned {len(data)} vectors for {len(batch)} texts")
        return [d.embedding for d in data]


def _status_error(where: str, model: str, exc: Any) -> Exception:
    body = exc.body if isinstance(exc.body, dict) else {}
    detail = f"HTTP {exc.status_code}: {body.get('message') or exc.response.reason_phrase}"
    if exc.status_code in (401, 403):
        return ConfigError(f"{where} refused the key ({detail}): check OPENAI_API_KEY")
    if exc.status_code == 404:
        return ConfigError(f"{where} does not serve model {model!r} ({detail}): "
                           "check RA_OPENAI_EMBEDDING_MODEL and OPENAI_BASE_URL")
    if exc.status_code == 429 or exc.status_code >= 500:
        return ModelUnavailableError(f"{where} unavailable ({detail})")
    return ConfigError(f"{where} rejected the request ({detail})")


def ensure_model(
    model_dir: Path, *, download_url: str = CHROMA_MODEL_URL, sha256: str = CHROMA_MODEL_SHA256, timeout: float = 60
) -> Path:
    """Return `model_dir`, first downloading and unpacking Chroma's model archive into it if it lacks the model."""
    model_dir = Path(model_dir).expanduser()
    if has_model(model_dir):
        return model_dir
    try:
        _download_model(model_dir, download_url, sha256, timeout)
    except httpx.HTTPStatusError as exc:
        raise _model_unavailable(model_dir, f"HTTP {exc.response.status_code} from {download_url}") from exc
    except (httpx.HTTPError, OSError, tarfile.TarError) as exc:
        raise _model_unavailable(model_dir, f"{type(exc).__name__}: {exc}") from exc
    return model_dir


def _model_unavailable(model_dir: Path, reason: str) -> ModelUnavailableError:
    return ModelUnavailableError(
        f"embedding model not found in {model_dir} and could not be downloaded ({reason}): "
        "set RA_EMBEDDING_MODEL_DIR to a folder with model.onnx and tokenizer.json"
    )


def _download_model(model_dir: Path, url: str, sha256: str, timeout: float) -> None:
    """Download, verify and unpack next to `model_dir`, then move the folder into place in one rename."""
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=model_dir.parent, prefix=".download-") as tmp:
        archive, unpacked = Path(tmp) / "onnx.tar.gz", Path(tmp) / "unpacked"
        digest = hashlib.sha256()
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response, archive.open("wb") as f:
            response.raise_for_status()
            for block in response.iter_bytes(1 << 20):
                digest.update(block)
                f.write(block)
        if digest.hexdigest() != sha256:
            raise _model_unavailable(model_dir, f"checksum mismatch: sha256 {digest.hexdigest()}, expected {sha256}")
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(unpacked, filter="data")
        folder = unpacked / ARCHIVE_FOLDER
        if not has_model(folder):
            raise _model_unavailable(
                model_dir, f"the archive has no {ARCHIVE_FOLDER}/model.onnx and {ARCHIVE_FOLDER}/tokenizer.json")
        try:
            os.replace(folder, model_dir)  # replaces an empty folder; fails on a non-empty one
        except OSError:
            if not has_model(model_dir):  # unless a concurrent download just put it there
                raise


class LazyEmbedder:
    """An embedder whose model is loaded on first use (thread-safe): an ingest run with nothing new to chunk or
    embed never loads it. `name` is known up front, for the index's compatibility check."""

    def __init__(self, name: str, load: Callable[[], Embedder]):
        self.name = name
        self._load = load
        self._inner: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._inner is not None

    def _get(self) -> Embedder:
        with self._lock:
            if self._inner is None:
                self._inner = self._load()
            return self._inner

    @property
    def dim(self) -> int:
        return self._get().dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._get().embed(texts)

    def embed_tokens(self, texts: Sequence[str]) -> tuple[np.ndarray, list[TokenVectors]]:
        return embed_tokens(self._get(), texts)

    def count_tokens(self, text: str) -> int:
        return self._get().count_tokens(text)


def embed_tokens(embedder: Embedder, texts: Sequence[str]) -> tuple[np.ndarray, list[TokenVectors]]:
    """The texts' embeddings and their wordpiece vectors from one model run, when the embedder gives them (the local
    ONNX model does); else the embeddings and no wordpiece vectors (an empty list: an embeddings API returns none)."""
    tokens: Callable[[Sequence[str]], tuple[np.ndarray, list[TokenVectors]]] | None = \
        getattr(embedder, "embed_tokens", None)
    return tokens(texts) if tokens is not None else (embedder.embed(texts), [])


def make_embedder(settings: Any, *, lazy: bool = False) -> Embedder:
    """The embedder the settings ask for (downloading the ONNX model on first use, as Chroma does); `lazy`
    defers loading the ONNX model until the first text is counted or embedded (the OpenAI client is cheap)."""
    if settings.embedder == "openai":
        tokenizer_dir = settings.embedding_model_dir
        return OpenAIEmbedder(
            settings.openai_embedding_model,
            settings.openai_api_key,
            settings.openai_base_url,
            batch_size=settings.embedding_batch_size,
            tokenizer_dir=tokenizer_dir if (tokenizer_dir / "tokenizer.json").is_file() else None,
        )
    model_dir = ensure_model(settings.embedding_model_dir)  # a missing model fails now, not mid-run

    def load() -> Embedder:
        return OnnxEmbedder(model_dir, batch_size=settings.embedding_batch_size, threads=settings.onnx_threads)

    return LazyEmbedder(OnnxEmbedder.name, load) if lazy else load()
