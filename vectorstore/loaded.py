"""What readers beyond `search` may read of the index version the Retriever holds (`Retriever.loaded()`): the
study companion reads every chunk's text, metadata, unit vector and BM25 terms. The retriever's own state is
private; this is the part of it that is promised."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from vectorstore.lexical import LexicalIndex


class LoadedVersion(Protocol):
    """One index version in memory, every array in `lexical.ids` order."""

    @property
    def version(self) -> int: ...

    @property
    def chunks(self) -> Mapping[str, tuple[str, dict[str, Any]]]:
        """chunk id -> (text, metadata)"""

    @property
    def lexical(self) -> LexicalIndex:
        """BM25 over the chunks; `ids[row]`, `row[id]` and `terms(row)` map rows, ids and terms"""

    @property
    def vectors(self) -> np.ndarray:
        """the chunks' unit vectors, one row per chunk"""
