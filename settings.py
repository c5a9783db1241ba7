"""The one settings object: every knob of ingest and the API, read from `RA_*` environment variables
(and an optional `.env`). Built only by entry points (`ingest.cli.main`, `api.app.create_app`), never at
import time; everything below them receives plain arguments or this object.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

CHROMA_MODEL_CACHE = Path.home() / ".cache" / "chroma" / "onnx_models" / "all-MiniLM-L6-v2" / "onnx"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RA_", env_file=".env", extra="ignore")

    # --- where things live
    data_dir: Path = Field(Path("data"), description="On-disk Chroma, ingest lock and run reports.")
    chroma_url: str | None = Field(None, description="A Chroma server (http://host:port); replaces the on-disk store.")
    collection: str = Field("roadmap", description="Name (prefix) of the Chroma collection.")
    roadmap: Path = Field(Path("roadmap.md"), description="The roadmap markdown file.")

    # --- embeddings
    embedder: Literal["onnx", "openai"] = Field("onnx", description="Local ONNX MiniLM or an OpenAI-compatible API.")
    embedding_model_dir: Path = Field(CHROMA_MODEL_CACHE, description="Folder with model.onnx + tokenizer.json.")
    embedding_batch_size: int = Field(16, ge=1, le=1024, description="Texts per ONNX batch (smaller batches run faster on CPU).")
    openai_embedding_model: str = Field("text-embedding-3-small")

    # --- crawling
    mirror_base: str | None = Field(
        None, description="Fetch https://HOST/PATH from MIRROR_BASE/HOST/PATH (the local mirror); citations keep the real URL."
    )
    user_agent: str = Field("roadmap-assistant/0.1 (+https://github.com/roadmap-assistant)")
    crawl_depth: int = Field(1, ge=0, le=3, description="How many link hops below each roadmap link.")
    pages_per_resource: int = Field(80, ge=1, description="Page budget for one roadmap link and its children.")
    concurrency: int = Field(16, ge=1, description="Fetches in flight overall.")
    per_host_concurrency: int = Field(6, ge=1, description="Fetches in flight per host.")
    fetch_timeout: float = Field(20.0, gt=0, description="Seconds per request.")
    fetch_retries: int = Field(3, ge=0, description="Retries on timeouts, 429 and 5xx.")
    max_redirects: int = Field(5, ge=0)
    max_page_bytes: int = Field(5_000_000, ge=1024)
    recheck_gone_hours: float = Field(24.0, ge=0, description="Child pages that answered 404/410 are not re-fetched for this long.")

    # --- chunking
    chunk_tokens: int = Field(200, ge=32, le=256, description="Target wordpieces per chunk (hard limit 256).")
    chunk_overlap_tokens: int = Field(24, ge=0, le=128)

    # --- answering
    llm_model: str | None = Field(None, description="Chat model name; with OPENAI_API_KEY set, answers are generated.")
    openai_api_key: str | None = Field(None, validation_alias=AliasChoices("OPENAI_API_KEY", "RA_OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=AliasChoices("OPENAI_BASE_URL", "RA_OPENAI_BASE_URL"))
    llm_timeout: float = Field(30.0, gt=0)
    condense_timeout: float = Field(
        5.0, gt=0, description="Seconds for the model to rewrite a follow-up as a standalone question, else the rule does.")
    roadmap_url: str | None = Field(
        None, description="Where roadmap citations point (a page publishing the roadmap); unset: this service's /roadmap.")
    top_k: int = Field(5, ge=1, le=20)

    # --- the service
    host: str = "127.0.0.1"
    port: int = 8000
    admin_token: str | None = Field(None, description="Bearer token for /admin/*; unset turns those endpoints off.")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed to call the API (JSON list).")
    rate_limit_per_minute: int = Field(120, ge=0, description="Requests per client per minute; 0 turns it off.")

    # --- the question log (insights)
    question_log: bool = Field(True, description="Log every answer for the insights (RA_QUESTION_LOG=off turns it off).")
    question_log_days: int = Field(90, ge=1, description="Days a question-log entry is kept.")
