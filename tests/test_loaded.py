"""`Retriever.loaded()`: the index version in memory as its public `LoadedVersion` (what the study companion
reads), on the fixture site's real index."""
from __future__ import annotations

import numpy as np

from vectorstore.client import open_client
from vectorstore.embeddings import make_embedder
from vectorstore.loaded import LoadedVersion
from vectorstore.retrieve import Retriever
from vectorstore.store import IndexStore, iter_chunks


def test_loaded_version_holds_every_chunk_with_its_row_vector_and_terms(fixture_index):
    """Every chunk of the published version, by id: its text and metadata, its row in `lexical.ids` order, a unit
    vector in that row and BM25 terms; the version is the one served."""
    store = IndexStore(open_client(fixture_index.data_dir), fixture_index.collection)
    retriever = Retriever(store, make_embedder(fixture_index))
    loaded: LoadedVersion = retriever.loaded()
    stored = {cid: (doc, meta) for cid, doc, meta, _e in iter_chunks(store.published().collection)}
    assert loaded.version == retriever.version == store.published().version
    assert dict(loaded.chunks) == stored and len(loaded.lexical.ids) == len(stored) == loaded.vectors.shape[0]
    for cid in stored:
        row = loaded.lexical.row[cid]
        assert loaded.lexical.ids[row] == cid and loaded.lexical.terms(row)
    assert np.allclose(np.linalg.norm(loaded.vectors, axis=1), 1.0, atol=1e-5)
