"""Open ChromaDB: on disk under the data folder by default, a Chroma server when a URL is given.

`PersistentClient`, `HttpClient` and `EphemeralClient` share one interface, so everything above this module
works the same embedded, against a server, and in memory (tests). Anonymized telemetry is always off.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from errors import StoreUnavailableError

if TYPE_CHECKING:  # chromadb is imported when a client is opened, not with this module
    from chromadb.api import ClientAPI


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and all(os.access(p, os.W_OK) for p in path.rglob("*"))


def _private_copy(path: Path) -> Path:
    """A copy of the on-disk store in a temporary folder removed at exit (an empty one if there is no store):
    Chroma's on-disk client writes when it opens, so a read-only folder is read through a copy."""
    tmp = Path(tempfile.mkdtemp(prefix="roadmap-chroma-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    if path.is_dir():
        shutil.copytree(path, tmp / "chroma")
    return tmp / "chroma"


def open_client(data_dir: Path | None = None, chroma_url: str | None = None, *, in_memory: bool = False,
                read_only: bool = False) -> ClientAPI:
    """A Chroma client: in memory, a server at `chroma_url`, or on disk at `data_dir/chroma`. `read_only`
    (reports) creates nothing, and reads a store it may not write through a private copy."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if in_memory:
            return chromadb.EphemeralClient(settings=chroma_settings)
        if chroma_url:
            parts = urlsplit(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
            client = chromadb.HttpClient(
                host=parts.hostname or "localhost",
                port=parts.port or (443 if parts.scheme == "https" else 8000),
                ssl=parts.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
            return client
        path = Path(data_dir or "data") / "chroma"
        if read_only and not (path.is_dir() and _writable(path)):
            path = _private_copy(path)
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:  # chromadb raises many types; one clear message names the setting
        where = chroma_url or f"{data_dir}/chroma"
        hint = "RA_CHROMA_URL" if chroma_url else "RA_DATA_DIR"
        raise StoreUnavailableError(f"cannot open the Chroma store at {where} ({type(exc).__name__}: {exc}); "
                                    f"check {hint}") from exc
