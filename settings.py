"""The one settings object: every knob of ingest and the API, read from `RA_*` environment variables
(and an optional `.env`). Built only by entry points (`ingest.cli.main`, `api.app.create_app`), never at
import time; everything below them receives plain arguments or this object.

`load_settings()` is how entry points build it: a value that cannot be read becomes one `ConfigError` line
naming the variable (`RA_CHUNK_TOKENS: input should be a valid integer (got 'abc')`), which both CLIs print
as `error: ...` with exit status 2. List settings are JSON lists (`RA_CORS_ORIGINS='["https://x.org"]'`).
`Settings.to_env()` gives the variables that rebuild the same settings in a child process.
"""
from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from errors import ConfigError

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
    embedding_batch_size: int = Field(
        16, ge=1, le=1024, description="Texts per ONNX batch (smaller batches run faster on CPU).")
    onnx_threads: int | None = Field(
        None, ge=1, le=256, description="ONNX threads; unset: the CPUs this process may use.")
    openai_embedding_model: str = Field("text-embedding-3-small")

    # --- crawling
    mirror_base: str | None = Field(
        None, description="Fetch https://HOST/PATH from MIRROR_BASE/HOST/PATH (the local mirror); citations keep "
                          "the real URL.")
    user_agent: str = Field("roadmap-assistant/0.1 (+https://github.com/roadmap-assistant)")
    crawl_depth: int = Field(1, ge=0, le=3, description="How many link hops below each roadmap link.")
    pages_per_resource: int = Field(80, ge=1, description="Page budget for one roadmap link and its children.")
    concurrency: int = Field(16, ge=1, description="Fetches in flight overall.")
    per_host_concurrency: int = Field(6, ge=1, description="Fetches in flight per host.")
    fetch_timeout: float = Field(20.0, gt=0, description="Seconds per request.")
    fetch_retries: int = Field(3, ge=0, description="Retries on timeouts, 429 and 5xx.")
    max_redirects: int = Field(5, ge=0)
    max_page_bytes: int = Field(5_000_000, ge=1024, description="Largest body read, counted after decompression.")
    max_retry_after: float = Field(60.0, ge=0, description="Longest Retry-After honoured; a longer one fails the page.")
    recheck_gone_hours: float = Field(
        24.0, ge=0, description="Child pages that answered 404/410 are not re-fetched for this long.")

    # --- chunking
    chunk_tokens: int = Field(200, ge=32, le=256, description="Target wordpieces per chunk (hard limit 256).")
    chunk_overlap_tokens: int = Field(24, ge=0, le=128)

    # --- answering
    llm_model: str | None = Field(None, description="Chat model name; with OPENAI_API_KEY set, answers are generated.")
    openai_api_key: str | None = Field(None, validation_alias=AliasChoices("OPENAI_API_KEY", "RA_OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=AliasChoices("OPENAI_BASE_URL", "RA_OPENAI_BASE_URL"))
    llm_timeout: float = Field(30.0, gt=0, description="Seconds for the whole model answer, first to last token.")
    condense_timeout: float = Field(
        5.0, gt=0,
        description="Seconds for the model to rewrite a follow-up as a standalone question, else the rule does.")
    roadmap_url: str | None = Field(
        None,
        description="Where roadmap citations point (a page publishing the roadmap); unset: this service's /roadmap.")
    top_k: int = Field(5, ge=1, le=20)

    # --- the service
    host: str = "127.0.0.1"
    port: int = 8000
    admin_token: str | None = Field(None, description="Bearer token for /admin/*; unset turns those endpoints off.")
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Bearer keys for /ask, /ask/stream and /v1/* (JSON list); empty: open.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins allowed to call the API (JSON list).")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Proxies (IPs or CIDRs, JSON list) whose X-Forwarded-For is believed.")
    rate_limit_per_minute: int = Field(120, ge=0, description="Requests per client per minute; 0 turns it off.")
    rate_limit_clients: int = Field(
        100_000, ge=1, description="Clients the rate limiter remembers (least recent dropped).")
    body_timeout: float = Field(15.0, gt=0, description="Seconds a client has to send its whole request body.")

    # --- the study companion's background warm-up (it yields to requests: api.inflight)
    warm_quiet: float = Field(
        0.25, ge=0, description="Seconds without a request in flight before the warm-up builds its next piece.")
    warm_patience: float = Field(
        5.0, ge=0, description="Longest a warm-up piece waits for such a quiet moment before it runs anyway.")

    # --- the question log (insights)
    question_log: bool = Field(
        True, description="Log every answer for the insights (RA_QUESTION_LOG=off turns it off).")
    question_log_days: int = Field(90, ge=1, description="Days a question-log entry is kept.")

    @field_validator("api_keys", "cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _json_list(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else []
            except ValueError:
                raise ValueError("must be a JSON list of strings, like [\"one\", \"two\"]") from None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a JSON list of strings, like [\"one\", \"two\"]")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (like \"10.0.0.0/8\")") from None
        return value

    def to_env(self) -> dict[str, str]:
        """The environment variables that give a child process these same settings (unset ones left out)."""
        env = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is not None:
                env[env_name(name)] = json.dumps(value) if isinstance(value, list) else str(value)
        return env


SECRET = {"admin_token", "api_keys", "openai_api_key"}  # never echoed in an error


def env_name(field: str) -> str:
    """The environment variable of a Settings field: `RA_CHUNK_TOKENS`, or its alias (`OPENAI_API_KEY`)."""
    alias = Settings.model_fields[field].validation_alias
    choices = getattr(alias, "choices", None)
    return str(choices[0]) if choices else f"RA_{field.upper()}"


def describe(exc: ValidationError) -> str:
    """One line naming each variable that is wrong and why: `RA_TOP_K: input should be ... (got '0')`."""
    parts = []
    for err in exc.errors()[:3]:
        field = str(err["loc"][0]) if err.get("loc") else ""
        name = env_name(field) if field in Settings.model_fields else field or "settings"
        message = err.get("msg", "invalid").removeprefix("Value error, ")
        message = message[:1].lower() + message[1:]
        shown = "" if field in SECRET or err.get("type") == "missing" else f" (got {err.get('input')!r:.80})"
        parts.append(f"{name}: {message}{shown}")
    return "; ".join(parts)


def load_settings(**values) -> Settings:
    """Settings from the environment (and `.env`), `values` overriding; a bad value raises a one-line ConfigError."""
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None
    except SettingsError as exc:  # e.g. an unreadable .env file
        raise ConfigError(" ".join(str(exc).split())) from None
