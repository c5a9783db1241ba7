"""Tests for vectorstore/embeddings.py: the ONNX embedder against Chroma's own function, the model download
against a local archive server, and the OpenAI embedder against a fake OpenAI-compatible server."""
from __future__ import annotations

import base64
import hashlib
import io
import os
import random
import tarfile
from pathlib import Path

import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from errors import ConfigError, ModelUnavailableError
from settings import Settings
from tests.servers import free_port, serve
from vectorstore.embeddings import (
    CHROMA_MODEL_SHA256,
    CHROMA_MODEL_URL,
    OnnxEmbedder,
    OpenAIEmbedder,
    embed_tokens,
    ensure_model,
    make_embedder,
)

MODEL_DIR = Path(os.environ.get("RA_EMBEDDING_MODEL_DIR") or "/work/shared/models/all-MiniLM-L6-v2/onnx")

TEXTS = [
    "How do I roll back a Kubernetes deployment?",
    "",
    "MLflow",
    "Terraform state is stored remotely so that a team shares one view of the infrastructure. " * 30,  # > 256 tokens
    "naïve café — ünïcödé 東京 ✓",
    "Docker images are built in layers; each instruction in a Dockerfile adds one.",
    "pods " * 7,
    "A feature store keeps training and serving features consistent. " * 6,
]


@pytest.fixture(scope="module")
def onnx() -> OnnxEmbedder:
    return OnnxEmbedder(MODEL_DIR, batch_size=3)


# --- the ONNX embedder


def test_matches_chromas_onnx_function(onnx: OnnxEmbedder, tmp_path: Path):
    """Per text, our vectors point the same way as Chroma's ONNXMiniLM_L6_V2 on the same model files."""
    from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

    (tmp_path / "onnx").symlink_to(MODEL_DIR.resolve(), target_is_directory=True)
    chroma = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
    chroma.DOWNLOAD_PATH = tmp_path  # Chroma reads DOWNLOAD_PATH/onnx/{model.onnx,tokenizer.json}
    theirs = np.asarray(chroma(TEXTS), dtype=np.float32)
    ours = onnx.embed(TEXTS)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() > 0.999, cosines


def test_rows_are_unit_float32_and_empty_input_has_the_width(onnx: OnnxEmbedder):
    """embed returns (n, 384) float32 rows of length 1, and (0, 384) for no texts."""
    vectors = onnx.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert onnx.embed([]).shape == (0, 384)
    assert onnx.dim == 384 and onnx.name == "onnx:all-MiniLM-L6-v2"


def test_output_follows_input_order(onnx: OnnxEmbedder):
    """Length-sorted batching is undone: permuting the input permutes the output rows the same way."""
    perm = [5, 3, 0, 7, 1, 6, 2, 4]
    forward, shuffled = onnx.embed(TEXTS), onnx.embed([TEXTS[i] for i in perm])
    cosines = (forward[perm] * shuffled).sum(axis=1)
    assert cosines.min() > 0.999, cosines
    assert (forward @ forward.T)[0, 3] < 0.9  # the texts themselves differ, so a misordering would show


def test_count_tokens_counts_wordpieces_without_specials_or_truncation(onnx: OnnxEmbedder):
    """count_tokens leaves out [CLS]/[SEP] and does not stop at the 256-token model limit."""
    assert onnx.count_tokens("hello world") == 2
    assert onnx.count_tokens("") == 0
    assert onnx.count_tokens("word " * 400) == 400


def test_token_vectors_come_from_the_same_run_with_their_words(onnx: OnnxEmbedder):
    """embed_tokens gives the embeddings embed gives and, per text, one unit vector per wordpiece the model read
    ([CLS] and [SEP] left out, truncated at 254), each with the word it belongs to; the vectors are contextual."""
    texts = ["Use str.format() to invoke models", "a river bank", "a bank account", "word " * 400]
    vectors, tokens = onnx.embed_tokens(texts)
    np.testing.assert_allclose(vectors, onnx.embed(texts), atol=1e-5)
    assert [len(t.vectors) for t in tokens] == [onnx.count_tokens(texts[0]), 3, 3, OnnxEmbedder.max_tokens - 2]
    first = tokens[0]
    assert first.words == ("Use", "str", ".", "format", "(", ")", "to", "invoke", "models")
    assert [first.words[i] for i in first.word_ids].count("invoke") == 3   # in ##vo ##ke
    np.testing.assert_allclose(np.linalg.norm(first.vectors, axis=1), 1.0, atol=1e-5)
    assert first.vectors.dtype == np.float32 and first.vectors.shape[1] == 384
    river, account = tokens[1].vectors[2], tokens[2].vectors[2]   # "bank" in two contexts
    assert 0.3 < float(river @ account) < 0.95
    assert onnx.embed_tokens([])[0].shape == (0, 384) and onnx.embed_tokens([])[1] == []


def test_an_embedder_without_token_vectors_gives_none(fake_openai):
    """embeddings.embed_tokens: an embeddings API returns vectors only, so no wordpiece vectors (an empty list)."""
    base_url, _ = fake_openai
    embedder = OpenAIEmbedder("fake-embed", FAKE_KEY, base_url)
    vectors, tokens = embed_tokens(embedder, ["a", "b"])
    np.testing.assert_allclose(vectors, expected(["a", "b"]), atol=1e-6)
    assert tokens == []


def test_missing_model_folder_is_a_clear_error(tmp_path: Path):
    """A folder without model.onnx/tokenizer.json gives ModelUnavailableError naming the setting."""
    with pytest.raises(ModelUnavailableError, match="RA_EMBEDDING_MODEL_DIR"):
        OnnxEmbedder(tmp_path)


# --- downloading the model


@pytest.fixture(scope="module")
def archive() -> bytes:
    """Chroma's archive layout: onnx/<file> for each model file."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        for f in sorted(MODEL_DIR.iterdir()):
            tar.add(f, arcname=f"onnx/{f.name}")
    return buf.getvalue()


@pytest.fixture(scope="module")
def archive_server(archive: bytes):
    async def tarball(request: Request) -> Response:
        return Response(archive, media_type="application/gzip")

    with serve(Starlette(routes=[Route("/onnx.tar.gz", tarball)])) as base:
        yield base


def test_constants_are_chromas():
    """The download URL and checksum are the ones Chroma's function uses."""
    from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

    chroma_own = (ONNXMiniLM_L6_V2.MODEL_DOWNLOAD_URL, ONNXMiniLM_L6_V2._MODEL_SHA256)
    assert chroma_own == (CHROMA_MODEL_URL, CHROMA_MODEL_SHA256)


def test_present_model_is_used_without_downloading():
    """A folder that has the model is returned as is (the download URL is a closed port)."""
    assert ensure_model(MODEL_DIR, download_url=f"http://127.0.0.1:{free_port()}/x.tar.gz") == MODEL_DIR


def test_download_verifies_and_unpacks_into_the_folder(archive: bytes, archive_server: str, tmp_path: Path):
    """With the right checksum the archive is unpacked into model_dir, leaving nothing else behind."""
    model_dir = tmp_path / "cache" / "all-MiniLM-L6-v2" / "onnx"
    got = ensure_model(model_dir, download_url=f"{archive_server}/onnx.tar.gz",
                       sha256=hashlib.sha256(archive).hexdigest())
    assert got == model_dir
    assert sorted(p.name for p in model_dir.iterdir()) == sorted(p.name for p in MODEL_DIR.iterdir())
    assert (model_dir / "tokenizer.json").read_bytes() == (MODEL_DIR / "tokenizer.json").read_bytes()
    assert [p.name for p in model_dir.parent.iterdir()] == ["onnx"]
    assert OnnxEmbedder(model_dir).embed(["hello"]).shape == (1, 384)


def test_download_with_wrong_checksum_is_refused(archive_server: str, tmp_path: Path):
    """A checksum mismatch raises ModelUnavailableError and leaves no model folder or temp files."""
    model_dir = tmp_path / "m" / "onnx"
    with pytest.raises(ModelUnavailableError, match="checksum mismatch"):
        ensure_model(model_dir, download_url=f"{archive_server}/onnx.tar.gz", sha256="0" * 64)
    assert list(model_dir.parent.iterdir()) == []


def test_download_http_error_names_the_status(archive_server: str, tmp_path: Path):
    """An HTTP error from the download server is reported with its status."""
    with pytest.raises(ModelUnavailableError, match="HTTP 404"):
        ensure_model(tmp_path / "onnx", download_url=f"{archive_server}/missing.tar.gz")


def test_unreachable_download_gives_the_clear_error(tmp_path: Path):
    """With no server to download from, the error names the folder, the cause and the setting to fix."""
    model_dir = tmp_path / "onnx"
    with pytest.raises(ModelUnavailableError) as info:
        ensure_model(model_dir, download_url=f"http://127.0.0.1:{free_port()}/onnx.tar.gz", timeout=5)
    message = str(info.value)
    assert f"embedding model not found in {model_dir} and could not be downloaded (ConnectError" in message
    assert message.endswith("set RA_EMBEDDING_MODEL_DIR to a folder with model.onnx and tokenizer.json")


# --- the OpenAI embedder, against a fake OpenAI-compatible server

FAKE_DIM = 8
FAKE_KEY = "sk-test"


def fake_vector(text: str) -> list[float]:
    """Deterministic, deliberately not normalised."""
    return [b - 127.5 for b in hashlib.sha256(text.encode()).digest()[:FAKE_DIM]]


@pytest.fixture(scope="module")
def fake_openai():
    requests: list[list[str]] = []

    async def embeddings(request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {FAKE_KEY}":
            return JSONResponse({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}},
                                401)
        body = await request.json()
        if body["model"] == "broken":
            return JSONResponse({"error": {"message": "upstream exploded", "type": "server_error"}}, 500)
        if body["model"] != "fake-embed":
            return JSONResponse({"error": {"message": f"model {body['model']} not found",
                                           "type": "invalid_request_error"}}, 404)
        requests.append(body["input"])
        data = []
        for i, text in enumerate(body["input"]):
            vec = fake_vector(text)
            packed = base64.b64encode(np.asarray(vec, dtype=np.float32).tobytes()).decode()
            data.append({"object": "embedding", "index": i,
                         "embedding": packed if body.get("encoding_format") == "base64" else vec})
        random.Random(len(data)).shuffle(data)
        return JSONResponse({"object": "list", "data": data, "model": body["model"],
                             "usage": {"prompt_tokens": 0, "total_tokens": 0}})

    with serve(Starlette(routes=[Route("/v1/embeddings", embeddings, methods=["POST"])])) as base:
        yield f"{base}/v1", requests


def expected(texts: list[str]) -> np.ndarray:
    v = np.asarray([fake_vector(t) for t in texts], dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_openai_vectors_come_back_in_input_order_and_normalised(fake_openai):
    """Batches are sent in order, rows are put back by `index` and normalised; dim comes from the response."""
    base_url, requests = fake_openai
    texts = [f"text {i}" for i in range(7)]
    emb = OpenAIEmbedder("fake-embed", FAKE_KEY, base_url, batch_size=3)
    requests.clear()
    vectors = emb.embed(texts)
    assert [len(r) for r in requests] == [3, 3, 1]
    np.testing.assert_allclose(vectors, expected(texts), atol=1e-6)
    assert vectors.dtype == np.float32 and emb.dim == FAKE_DIM and emb.name == "openai:fake-embed"


def test_openai_empty_input_and_dim_probe(fake_openai):
    """Empty input gives (0, dim); an unknown dim is learnt with one probe request."""
    base_url, requests = fake_openai
    requests.clear()
    assert OpenAIEmbedder("fake-embed", FAKE_KEY, base_url, dim=FAKE_DIM).embed([]).shape == (0, FAKE_DIM)
    assert requests == []
    assert OpenAIEmbedder("fake-embed", FAKE_KEY, base_url).embed([]).shape == (0, FAKE_DIM)
    assert len(requests) == 1


def test_openai_dimension_mismatch_is_reported(fake_openai):
    """A declared dim that the server does not return is a ConfigError."""
    with pytest.raises(ConfigError, match="returned 8 dimensions, not the expected 16"):
        OpenAIEmbedder("fake-embed", FAKE_KEY, fake_openai[0], dim=16).embed(["x"])


@pytest.mark.parametrize(
    ("model", "key", "error", "pattern"),
    [
        ("fake-embed", "sk-wrong", ConfigError,
         "refused the key .HTTP 401: Incorrect API key provided.: check OPENAI_API_KEY"),
        ("no-such-model", FAKE_KEY, ConfigError,
         "does not serve model 'no-such-model' .HTTP 404.*RA_OPENAI_EMBEDDING_MODEL"),
        ("broken", FAKE_KEY, ModelUnavailableError, "unavailable .HTTP 500: upstream exploded."),
    ],
)
def test_openai_api_errors_become_project_errors(fake_openai, model, key, error, pattern):
    """HTTP errors from the API become project errors whose message says what to fix."""
    with pytest.raises(error, match=pattern):
        OpenAIEmbedder(model, key, fake_openai[0], max_retries=0).embed(["x"])


def test_openai_unreachable_server_is_unavailable():
    """A closed port gives ModelUnavailableError naming the connection failure."""
    emb = OpenAIEmbedder("fake-embed", FAKE_KEY, f"http://127.0.0.1:{free_port()}/v1", max_retries=0, timeout=5)
    with pytest.raises(ModelUnavailableError, match="APIConnectionError"):
        emb.embed(["x"])


def test_openai_needs_a_key_or_a_base_url():
    """Without a key and without a base URL the embedder refuses to start, naming OPENAI_API_KEY."""
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        OpenAIEmbedder("text-embedding-3-small", None, None)


def test_openai_count_tokens(onnx: OnnxEmbedder):
    """count_tokens uses the MiniLM tokenizer when given its folder, else about four characters a token."""
    text = "Kubernetes schedules pods onto nodes."
    with_tokenizer = OpenAIEmbedder("m", "k", None, tokenizer_dir=MODEL_DIR)
    assert with_tokenizer.count_tokens(text) == onnx.count_tokens(text)
    assert OpenAIEmbedder("m", "k", None).count_tokens(text) == 10  # 37 characters


# --- make_embedder


def test_make_embedder_follows_the_settings(fake_openai):
    """make_embedder builds the ONNX or the OpenAI embedder the settings name, with their batch size and model."""
    onnx = make_embedder(Settings(_env_file=None, embedder="onnx", embedding_model_dir=MODEL_DIR,
                                  embedding_batch_size=5))
    assert isinstance(onnx, OnnxEmbedder) and onnx.batch_size == 5
    settings = Settings(
        _env_file=None, embedder="openai", embedding_model_dir=MODEL_DIR, openai_embedding_model="fake-embed",
        OPENAI_API_KEY=FAKE_KEY, OPENAI_BASE_URL=fake_openai[0],
    )
    emb = make_embedder(settings)
    assert isinstance(emb, OpenAIEmbedder) and emb.name == "openai:fake-embed"
    np.testing.assert_allclose(emb.embed(["a", "b"]), expected(["a", "b"]), atol=1e-6)
    assert emb.count_tokens("hello world") == 2  # the MiniLM tokenizer from the model folder
