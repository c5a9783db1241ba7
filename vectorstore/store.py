"""The index in Chroma: versioned collections behind one atomic pointer.

    {prefix}-meta        its metadata is the pointer: {"active", "previous", "version", "embedder",
                         "chunking", "updated_at", "calibrated_at"}; it also holds one item per version whose
                         document is that version's ingest record (JSON: every page, its validators, hash and
                         chunk ids), the item "calibration" (`vectorstore.calibration`, JSON) once fitted, and
                         small shared documents (`put_document`: the state of re-index runs)
    {prefix}-v000007     one version's chunks: ids, embeddings, documents, metadatas (cosine space)
    {prefix}-v000007-sentences   the same version's sentence vectors: one item per readable sentence of a chunk
                         (`vectorstore.sentences.sentences`), id "{chunk id}:{position}", the sentence as its
                         document, {"chunk_id", "pos"} as its metadata; created and dropped with its version

A re-index builds a new version (copying unchanged chunks and their sentences with their embeddings, embedding
only new text),
writes its record, then moves the pointer in one metadata write: that write is the commit point. Readers
always see a complete version; a run killed at any point leaves the old pointer serving, and the next run
drops the orphaned collection. The previous version is kept so queries in flight during a switch finish.
"""
from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from errors import EmbedderMismatchError, NothingIndexedError

if TYPE_CHECKING:  # chromadb is imported by whoever opens the client, not by this module
    import numpy as np
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import GetResult, Include, Metadata, PyEmbeddings, Where

_PAGE = 1000  # Chroma batch size for get/add
_WHERE_IN = 200  # chunk ids per `$in` filter when reading sentences
SENTENCES = "-sentences"  # the suffix of a version's sentence collection
CALIBRATION_ID = "calibration"  # the meta collection's item holding the fitted calibration

# One stored chunk: (id, document, metadata, embedding or None); the metadata as a plain dict of the values ingest
# wrote; the embedding is whatever Chroma returns for a vector (a numpy row or a list of floats), so it stays Any.
ChunkRow = tuple[str, str, dict[str, Any], Any]
# One stored sentence: (chunk id, position in its chunk, text, embedding or None).
SentenceRow = tuple[str, int, str, Any]
_ITEM_VECTOR: PyEmbeddings = [[1.0]]  # the meta collection's items are documents; Chroma wants a vector for each


@dataclass(frozen=True)
class Snapshot:
    """One published version of the index."""

    version: int
    name: str
    collection: Collection
    embedder: str
    chunking: str
    updated_at: float
    sentences: Collection | None = None  # its sentence vectors (None: a version built before they were stored)


class IndexStore:
    def __init__(self, client: ClientAPI, prefix: str = "roadmap"):
        self.client = client
        self.prefix = prefix
        self._meta_col: Collection | None = None

    # ---- reading
    def _meta(self) -> Collection:
        if self._meta_col is None:
            self._meta_col = self.client.get_or_create_collection(f"{self.prefix}-meta", embedding_function=None)
        return self._meta_col

    def _document(self, key: str) -> str | None:
        """The document of one meta item (None when there is none)."""
        got = self._meta().get(ids=[key], include=["documents"])
        return got["documents"][0] if got["ids"] and got["documents"] else None

    def pointer(self) -> dict[str, Any]:
        """The pointer as stored now (read fresh: another process may have moved it)."""
        col = self.client.get_or_create_collection(f"{self.prefix}-meta", embedding_function=None)
        return dict(col.metadata or {})

    def snapshot(self) -> Snapshot | None:
        p = self.pointer()
        if not p.get("active"):
            return None
        has_sentences = sentences_name(p["active"]) in self._collection_names()
        return Snapshot(
            version=int(p.get("version", 0)),
            name=p["active"],
            collection=self.client.get_collection(p["active"], embedding_function=None),
            embedder=str(p.get("embedder", "")),
            chunking=str(p.get("chunking", "")),
            updated_at=float(p.get("updated_at", 0.0)),
            sentences=self.client.get_collection(sentences_name(p["active"]), embedding_function=None)
            if has_sentences else None,
        )

    def published(self) -> Snapshot:
        """The published version; `NothingIndexedError` when nothing has been published yet."""
        snap = self.snapshot()
        if snap is None:
            raise NothingIndexedError("nothing is indexed yet: run `python -m ingest` to build the index")
        return snap

    def calibration(self) -> str | None:
        """The stored calibration (JSON text, see `vectorstore.calibration`), or None when none was fitted."""
        return self._document(CALIBRATION_ID)

    def save_calibration(self, text: str) -> None:
        """Store a calibration with the index and stamp the pointer, so running retrievers reload it."""
        meta = self._meta()
        meta.upsert(ids=[CALIBRATION_ID], documents=[text], embeddings=_ITEM_VECTOR)
        meta.modify(metadata={**self.pointer(), "calibrated_at": time.time()})

    def record(self, snap: Snapshot | None) -> dict[str, Any]:
        """The ingest record of a version ({} when there is none)."""
        return {} if snap is None else self._record(snap.name)

    def _record(self, name: str) -> dict[str, Any]:
        text = self._document(name)
        record: dict[str, Any] = json.loads(text) if text else {}
        return record

    def version_name(self, version: int) -> str:
        return f"{self.prefix}-v{version:06d}"

    def record_at(self, version: int) -> dict[str, Any]:
        """The ingest record of a version by its number ({} once it has been dropped)."""
        return self._record(self.version_name(version))

    def check_compatible(self, snap: Snapshot | None, embedder: str, chunking: str | None = None) -> None:
        """Refuse to mix embedders (or chunking settings) within one index."""
        if snap is None:
            return
        if snap.embedder and snap.embedder != embedder:
            raise EmbedderMismatchError(
                f"the index was built with embedder {snap.embedder!r}, not {embedder!r}: "
                "rebuild it with `python -m ingest --full`"
            )
        if chunking is not None and snap.chunking and snap.chunking != chunking:
            raise EmbedderMismatchError(
                f"the index was built with chunking {snap.chunking!r}, not {chunking!r}: "
                "rebuild it with `python -m ingest --full`"
            )

    def get_document(self, key: str) -> str | None:
        """A shared document kept in the meta collection (None when there is none)."""
        return self._document(key)

    # ---- writing
    def put_document(self, key: str, text: str) -> None:
        """Keep a small shared document in the meta collection, readable by every process on the store."""
        self._meta().upsert(ids=[key], documents=[text], embeddings=_ITEM_VECTOR)

    def new_version(self) -> tuple[int, Collection]:
        """The next version's number and its new, empty chunk collection (its sentence collection is created with
        it: `sentence_collection`)."""
        version = int(self.pointer().get("version", 0)) + 1
        name = self.version_name(version)
        made = []
        for each in (name, sentences_name(name)):
            with contextlib.suppress(Exception):  # a crashed run may have left this very name behind
                self.client.delete_collection(each)
            made.append(self.client.create_collection(each, configuration={"hnsw": {"space": "cosine"}},
                                                      embedding_function=None))
        return version, made[0]

    def sentence_collection(self, collection: Collection) -> Collection:
        """The sentence collection of a version's chunk collection (created when missing)."""
        return self.client.get_or_create_collection(sentences_name(collection.name),
                                                    configuration={"hnsw": {"space": "cosine"}},
                                                    embedding_function=None)

    def publish(self, version: int, collection: Collection, record: dict[str, Any], *, embedder: str,
                chunking: str) -> None:
        """Write the version's record, then move the pointer (the commit point), then drop old versions."""
        meta = self._meta()
        meta.upsert(ids=[collection.name], documents=[json.dumps(record, separators=(",", ":"))],
                    embeddings=_ITEM_VECTOR)
        old = self.pointer()
        meta.modify(
            metadata={
                "active": collection.name,
                "previous": old.get("active") or "",
                "version": version,
                "embedder": embedder,
                "chunking": chunking,
                "updated_at": time.time(),
                **({"calibrated_at": old["calibrated_at"]} if "calibrated_at" in old else {}),
            }
        )
        self.cleanup()

    def discard(self, name: str) -> None:
        """Drop a version that was begun but will not be published (never the active or previous one)."""
        p = self.pointer()
        if name.startswith(f"{self.prefix}-v") and name not in (p.get("active"), p.get("previous")):
            for each in (name, sentences_name(name)):
                with contextlib.suppress(Exception):  # already gone; the next cleanup() would catch a leftover
                    self.client.delete_collection(each)

    def cleanup(self) -> list[str]:
        """Drop every version that is neither active nor previous (orphans of crashed runs included), with its
        sentence collection."""
        p = self.pointer()
        kept = [v for v in (p.get("active"), p.get("previous")) if v]
        keep = {*kept, *(sentences_name(v) for v in kept), f"{self.prefix}-meta"}
        dropped = []
        for name in self._collection_names():
            if name.startswith(f"{self.prefix}-v") and name not in keep:
                self.client.delete_collection(name)
                dropped.append(name)
        if dropped:
            self._meta().delete(ids=dropped)  # their records go with them
        return dropped

    def _collection_names(self) -> list[str]:
        return [c if isinstance(c, str) else c.name for c in self.client.list_collections()]


def sentences_name(version_name: str) -> str:
    """The name of a version's sentence collection."""
    return version_name + SENTENCES


def iter_chunks(collection: Collection, ids: list[str] | None = None, *,
                embeddings: bool = False) -> Iterator[ChunkRow]:
    """Yield (id, document, metadata, embedding|None) for all chunks (or the given ids), in pages."""
    include = _include(embeddings)
    if ids is not None:
        for i in range(0, len(ids), _PAGE):
            got = collection.get(ids=ids[i : i + _PAGE], include=include)
            yield from _rows(got, embeddings)
        return
    for got in _pages(collection, include):
        yield from _rows(got, embeddings)


def _include(embeddings: bool) -> Include:
    return ["documents", "metadatas", "embeddings"] if embeddings else ["documents", "metadatas"]


def _pages(collection: Collection, include: Include) -> Iterator[GetResult]:
    """Every item of the collection, a page of `_PAGE` at a time."""
    offset = 0
    while True:
        got = collection.get(limit=_PAGE, offset=offset, include=include)
        if not got["ids"]:
            return
        yield got
        offset += len(got["ids"])


def _rows(got: GetResult, embeddings: bool) -> Iterator[ChunkRow]:
    embs = got.get("embeddings") if embeddings else None
    documents, metadatas = got["documents"] or [], got["metadatas"] or []
    for i, cid in enumerate(got["ids"]):
        yield cid, documents[i], dict(metadatas[i]), (embs[i] if embs is not None else None)


def add_chunks(collection: Collection, ids: Sequence[str], documents: Sequence[str],
               metadatas: Sequence[Metadata], embeddings: list[Any] | np.ndarray) -> None:
    for i in range(0, len(ids), _PAGE):
        collection.add(
            ids=list(ids[i : i + _PAGE]),
            documents=list(documents[i : i + _PAGE]),
            metadatas=list(metadatas[i : i + _PAGE]),
            embeddings=embeddings[i : i + _PAGE],
        )


def iter_sentences(collection: Collection, chunk_ids: Sequence[str] | None = None, *,
                   embeddings: bool = True) -> Iterator[SentenceRow]:
    """Yield (chunk id, position, sentence, embedding|None) for every stored sentence (or those of the given chunks),
    in pages; not in any particular order."""
    include = _include(embeddings)
    if chunk_ids is not None:
        ids = list(chunk_ids)
        for i in range(0, len(ids), _WHERE_IN):
            yield from _sentence_rows(collection.get(where=_of_chunks(ids[i : i + _WHERE_IN]), include=include),
                                      embeddings)
        return
    for got in _pages(collection, include):
        yield from _sentence_rows(got, embeddings)


def _sentence_rows(got: GetResult, embeddings: bool) -> Iterator[SentenceRow]:
    embs = got.get("embeddings") if embeddings else None
    documents, metadatas = got["documents"] or [], got["metadatas"] or []
    for i in range(len(got["ids"])):
        meta = metadatas[i]
        yield (str(meta["chunk_id"]), int(str(meta["pos"])), documents[i],
               embs[i] if embs is not None else None)


def add_sentences(collection: Collection, rows: Sequence[SentenceRow]) -> None:
    """Store sentence rows (their embeddings given) in a version's sentence collection."""
    for i in range(0, len(rows), _PAGE):
        page = rows[i : i + _PAGE]
        collection.add(ids=[f"{cid}:{pos}" for cid, pos, _t, _e in page], documents=[t for _c, _p, t, _e in page],
                       metadatas=[{"chunk_id": cid, "pos": pos} for cid, pos, _t, _e in page],
                       embeddings=[e for _c, _p, _t, e in page])


def delete_sentences(collection: Collection, chunk_ids: Sequence[str]) -> None:
    """Remove the stored sentences of these chunks."""
    ids = list(chunk_ids)
    for i in range(0, len(ids), _WHERE_IN):
        collection.delete(where=_of_chunks(ids[i : i + _WHERE_IN]))


def _of_chunks(chunk_ids: Sequence[str]) -> Where:
    """The filter for the sentences of these chunks."""
    match: dict[Literal["$in", "$nin"], list[str | int | float | bool]] = {"$in": list(chunk_ids)}
    return {"chunk_id": match}
