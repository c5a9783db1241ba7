"""Ingest end to end against a fixture site served on 127.0.0.1, into a real on-disk Chroma: what one run
indexes, and what each kind of change makes the next run do (issue: incremental re-index)."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import numpy as np
import pytest

from errors import EmbedderMismatchError, IngestLockedError, PublishRefusedError
from ingest.job import run_job
from ingest.lock import writer_lock
from settings import Settings
from tests.servers import serve
from tests.sites import Site, page, roadmap
from vectorstore.client import open_client
from vectorstore.embeddings import OnnxEmbedder
from vectorstore.sentences import sentences
from vectorstore.store import IndexStore, iter_chunks, iter_sentences, sentences_name

MODEL_DIR = Path(os.environ.get("RA_EMBEDDING_MODEL_DIR",
                                Path(__file__).resolve().parents[2] / "shared/models/all-MiniLM-L6-v2/onnx"))


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed (a fake that implements the protocol)."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.texts = inner, inner.name, inner.dim, 0

    def embed(self, texts):
        self.texts += len(texts)
        return self.inner.embed(texts)

    def count_tokens(self, text):
        return self.inner.count_tokens(text)


@pytest.fixture(scope="module")
def onnx():
    return OnnxEmbedder(MODEL_DIR)


REGISTRY = page("Model Registry",
                ("Versions", "Each registered model keeps numbered versions; a new version is created on every "
                             "registration."),
                ("Stages", "A version moves between Staging and Production stages."), links=["/docs/registry-api.html"])
REGISTRY_API = page("Registry API", ("Create", "Call create_registered_model to add a model to the registry."))
ENDPOINTS = page("Endpoints", ("Deploy", "A real-time endpoint serves predictions from a deployed model over HTTPS."))
DOCKER = page("Docker Basics",
              ("Images", "An image is a read-only template with instructions for creating a container."))


class World:
    """A fixture site, its roadmap file and the settings an ingest run uses, changeable between runs."""

    def __init__(self, tmp: Path, base: str, site: Site, onnx):
        self.tmp, self.base, self.site = tmp, base, site
        self.weeks = {1: [("Docker Basics", "/docs/docker.html")], 2: [("Model Registry", "/docs/registry.html")],
                      3: [("Endpoints", "/docs/endpoints.html"), ("Missing Page", "/docs/missing.html")]}
        self.embedder = CountingEmbedder(onnx)
        self.settings = Settings(data_dir=tmp / "data", roadmap=tmp / "roadmap.md", embedding_model_dir=MODEL_DIR,
                                 crawl_depth=1, fetch_retries=0, fetch_timeout=5, collection="test")
        self.store = IndexStore(open_client(self.settings.data_dir), "test")

    def run(self, **kw):
        (self.tmp / "roadmap.md").write_text(roadmap(self.base, self.weeks))
        self.site.reset_counts()
        self.embedder.texts = 0
        return asyncio.run(run_job(self.settings, self.store, self.embedder, **kw))

    def chunks(self) -> list[tuple[str, str, dict]]:
        return [(cid, doc, meta) for cid, doc, meta, _ in iter_chunks(self.store.published().collection)]

    def weeks_of(self, url_end: str) -> set[int]:
        return {w for _, _, m in self.chunks() if m["url"].endswith(url_end) for w in m.get("weeks", [])}


@pytest.fixture
def world(tmp_path, onnx):
    site = Site(pages={"/docs/registry.html": REGISTRY, "/docs/registry-api.html": REGISTRY_API,
                       "/docs/endpoints.html": ENDPOINTS, "/docs/docker.html": DOCKER})
    with serve(site.app()) as base:
        yield World(tmp_path, base, site, onnx)


def test_first_run_indexes_every_page_with_metadata(world):
    """One run indexes every page with content, follows child links, reports the 404 with its reason, and tags
    every chunk."""
    report = world.run().summary()
    assert report["pages_indexed"] >= 5  # 4 pages + the roadmap's own sections
    assert [f["reason"] for f in report["pages_failed"]] == ["HTTP 404 Not Found"]
    chunks = world.chunks()
    assert len(chunks) == report["chunks_total"] == report["embedded"]
    for _, doc, meta in chunks:
        assert meta["url"] and meta["title"] and meta["section"] and doc
        assert meta["weeks"], meta
    child = [m for _, _, m in chunks if m["url"].endswith("/docs/registry-api.html")]
    assert child and child[0]["depth"] == 1 and child[0]["weeks"] == [2]
    assert any(m["url"] == "roadmap.md#week-2" and "project 2" in d for _, d, m in chunks)
    assert any(m["deep_link"].endswith("/docs/registry.html#versions") for _, _, m in chunks)


def test_unchanged_rerun_embeds_and_writes_nothing(world):
    """A second run over unchanged pages uses conditional requests only, embeds nothing and publishes no version."""
    first = world.run()
    second = world.run()
    assert second.published is False and second.version == first.version
    assert world.embedder.texts == 0 and second.embedded == 0
    assert sum(world.site.full.values()) == 0 and sum(world.site.conditional.values()) >= 4


def test_edited_page_replaces_only_its_chunks(world):
    """Editing one page re-embeds only its new text; other pages' chunks are copied, not re-embedded."""
    world.run()
    before = {cid for cid, _, m in world.chunks() if not m["url"].endswith("/docs/endpoints.html")}
    world.site.pages["/docs/endpoints.html"] = page("Endpoints",
                                                    ("Deploy", "Serverless inference scales to zero when idle."))
    report = world.run()
    assert report.published and report.embedded == 1  # and the new chunk's sentences, nothing else:
    assert report.sentences_embedded == 1 and world.embedder.texts == 2
    after = world.chunks()
    assert before <= {cid for cid, _, _ in after}
    texts = " ".join(d for _, d, m in after if m["url"].endswith("/docs/endpoints.html"))
    assert "scales to zero" in texts and "real-time endpoint" not in texts


def test_added_link_fetches_and_embeds_only_it(world):
    """A link added to the roadmap is the only page fetched in full and embedded."""
    world.run()
    world.site.pages["/docs/new.html"] = page("Pipelines", ("Steps", "A pipeline chains processing steps together."))
    world.weeks[1].append(("Pipelines", "/docs/new.html"))
    report = world.run()
    assert dict(world.site.full) == {"/docs/new.html": 1}
    new_chunks = [m for _, _, m in world.chunks() if m["url"].endswith("/docs/new.html")]
    assert report.embedded == len(new_chunks) + 1  # + the roadmap's week-1 text
    assert world.embedder.texts == report.embedded + report.sentences_embedded  # and their new sentences
    assert world.weeks_of("/docs/new.html") == {1}


def test_removed_link_deletes_its_pages_but_keeps_shared_ones(world):
    """Removing a link deletes its pages' chunks, while a page another link still reaches keeps its chunks with new
    weeks."""
    world.weeks[1].append(("Registry API", "/docs/registry-api.html"))
    world.run()
    assert world.weeks_of("/docs/registry-api.html") == {1, 2}
    world.weeks[2] = []
    report = world.run()
    assert report.embedded == 1  # only the roadmap's week-2 text changed (and its sentences)
    assert world.embedder.texts == 1 + report.sentences_embedded
    urls = {m["url"] for _, _, m in world.chunks()}
    assert not any(u.endswith("/docs/registry.html") for u in urls)
    assert world.weeks_of("/docs/registry-api.html") == {1}
    assert report.chunks_removed >= 2


def test_link_moved_to_another_week_only_updates_metadata(world):
    """Moving a link to another week changes its chunks' week tags without re-embedding its pages."""
    long = " ".join(f"Endpoint fact {i} explains scaling, latency and cost." for i in range(30))
    world.site.pages["/docs/endpoints.html"] = page("Endpoints", ("Deploy", long), ("Scale", long), ("Monitor", long))
    world.run()
    world.weeks[1].append(world.weeks[3].pop(0))
    report = world.run()
    assert report.published
    assert world.weeks_of("/docs/endpoints.html") == {1}
    assert report.embedded == 2  # the roadmap text of weeks 1 and 3 changed; no page was re-embedded
    assert world.embedder.texts == 2 + report.sentences_embedded
    moved = [m for _, _, m in world.chunks() if m["url"].endswith("/docs/endpoints.html")]
    assert len(moved) > 1 and report.metadata_updated == len(moved)  # counted in chunks, like every other count


def test_failing_page_keeps_last_good_chunks_marked_stale(world):
    """A page that fails to fetch keeps its last good chunks, marked stale, and recovers on the next good run."""
    world.run()
    world.site.status["/docs/docker.html"] = 500
    report = world.run().summary()
    failed = [f for f in report["pages_failed"] if f["url"].endswith("/docs/docker.html")]
    assert failed and failed[0]["stale"] and "kept last good chunks" in failed[0]["reason"]
    stale = {m["stale"] for _, _, m in world.chunks() if m["url"].endswith("/docs/docker.html")}
    assert stale == {True}
    del world.site.status["/docs/docker.html"]
    world.run()
    assert {m["stale"] for _, _, m in world.chunks() if m["url"].endswith("/docs/docker.html")} == {False}


def test_network_down_publishes_nothing(world):
    """A run whose every fetch fails publishes nothing, naming the failures: the active version keeps serving,
    whole and not marked stale."""
    first = world.run()
    before = world.chunks()
    for path in list(world.site.pages):
        world.site.status[path] = 503
    refused = r"every roadmap link failed \(4 of 4\): .*docker\.html: HTTP 503"
    with pytest.raises(PublishRefusedError, match=refused) as e:
        world.run()
    assert e.value.report.published is False and e.value.report.summary()["pages_stale"] == 4
    assert world.store.snapshot().version == first.version and world.chunks() == before
    assert world.embedder.texts == 0


def test_other_embedder_is_refused(world):
    """An index built by one embedder refuses an incremental run with another, naming --full."""
    world.run()
    world.embedder.name = "onnx:other-model"
    with pytest.raises(EmbedderMismatchError, match="--full"):
        world.run()
    report = world.run(full=True)
    assert report.published and world.store.snapshot().embedder == "onnx:other-model"


def test_an_index_built_with_other_chunking_needs_a_full_rebuild(world):
    """An index whose pointer records another chunking (or embedding input) refuses an incremental run, naming
    --full; the full run re-embeds every chunk and records the current chunking."""
    world.run()
    current = world.store.snapshot().chunking
    world.store.client.get_collection("test-meta").modify(metadata={**world.store.pointer(),
                                                                    "chunking": "heading-v0:200/24"})
    with pytest.raises(EmbedderMismatchError, match=f"chunking 'heading-v0:200/24', not '{current}'.*--full"):
        world.run()
    report = world.run(full=True)
    assert report.published and report.embedded == report.chunks_total
    assert world.embedder.texts == report.chunks_total + report.sentences_embedded
    assert world.store.snapshot().chunking == current


def test_second_writer_is_refused(world):
    """A second ingest while one holds the writer lock fails at once with a clear message."""
    with writer_lock(world.settings.data_dir), pytest.raises(IngestLockedError, match="another ingest is running"):
        world.run()


def test_redirected_link_is_cited_at_its_target(world):
    """A roadmap link that redirects is indexed and cited under the target URL; its link health names the target."""
    world.site.redirects["/docs/old-docker.html"] = "/docs/docker.html"
    world.weeks[1] = [("Docker Basics", "/docs/old-docker.html")]
    report = world.run()
    urls = {m["url"] for _, _, m in world.chunks()}
    assert world.base + "/docs/docker.html" in urls and world.base + "/docs/old-docker.html" not in urls
    link = next(link for link in report.links if link.url.endswith("/docs/old-docker.html"))
    assert link.final_url.endswith("/docs/docker.html") and link.outcome == "indexed" and link.pages == 1


def test_gone_child_pages_are_remembered_not_refetched(world):
    """A child page that answered 404 is not asked again on the next run, while the roadmap's own dead link is."""
    world.site.pages["/docs/registry.html"] = page("Model Registry", ("Versions", "Numbered versions."),
                                                   links=["/docs/registry-api.html", "/docs/gone.html"])
    first = world.run().summary()
    assert any(f["url"].endswith("/docs/gone.html") for f in first["pages_failed"])
    world.run()
    assert world.site.hits["/docs/gone.html"] == 0 and world.site.hits["/docs/missing.html"] == 1


def stored_sentences(store: IndexStore) -> dict[str, list[str]]:
    """The published version's stored sentences: chunk id -> its sentences in order."""
    out: dict[str, list[str]] = {}
    collection = store.published().sentences
    assert collection is not None
    rows = iter_sentences(collection, embeddings=False)
    for cid, _pos, text, _e in sorted(rows, key=lambda r: (r[0], r[1])):
        out.setdefault(cid, []).append(text)
    return out


def expected_sentences(world) -> dict[str, list[str]]:
    """What the published version should store: the picker's sentences of each of its chunks."""
    return {cid: found for cid, doc, _m in world.chunks() if (found := sentences(doc))}


def test_sentence_vectors_follow_incremental_reingest(world):
    """Each chunk's readable sentences are stored with its version, each with its text's embedding; an edited page
    brings its new chunk's sentences (only they are embedded) and its old chunk's go; a removed page's sentences go;
    only the active and the previous versions keep a sentence collection."""
    first = world.run()
    assert stored_sentences(world.store) == expected_sentences(world) and first.sentences_total > 5
    rows = list(iter_sentences(world.store.sentence_collection(world.store.published().collection)))[:4]
    fresh = world.embedder.inner.embed([text for _c, _p, text, _e in rows])
    assert [float(np.dot(e, f)) for (*_r, e), f in zip(rows, fresh, strict=True)] == pytest.approx([1.0] * 4, abs=1e-5)
    old = {cid for cid, _d, m in world.chunks() if m["url"].endswith("/docs/endpoints.html")}
    assert old & set(stored_sentences(world.store))
    world.site.pages["/docs/endpoints.html"] = page("Endpoints",
                                                    ("Deploy", "Serverless inference scales to zero when idle."))
    edited = world.run()
    stored = stored_sentences(world.store)
    assert stored == expected_sentences(world) and not old & set(stored)
    assert "Serverless inference scales to zero when idle." in {s for found in stored.values() for s in found}
    assert edited.sentences_embedded == 1 and edited.sentences_total == sum(map(len, stored.values()))
    world.weeks[3] = [w for w in world.weeks[3] if not w[1].endswith("/docs/endpoints.html")]
    world.run()
    stored = stored_sentences(world.store)
    assert stored == expected_sentences(world)
    assert not any("scales to zero" in s for found in stored.values() for s in found)
    pointer = world.store.pointer()
    kept = sorted(n for n in world.store._collection_names() if n.endswith("-sentences"))
    assert kept == sorted(sentences_name(pointer[v]) for v in ("active", "previous"))


def test_an_index_without_sentence_vectors_gets_them_once(world):
    """A version built before sentence vectors were stored: the next run publishes a version with every chunk's
    sentence vectors, embedding no chunk; the run after it writes nothing."""
    world.run()
    world.store.client.delete_collection(sentences_name(world.store.pointer()["active"]))
    assert world.store.published().sentences is None
    report = world.run()
    assert report.published and report.embedded == 0 and report.sentences_embedded > 0
    assert stored_sentences(world.store) == expected_sentences(world)
    assert world.embedder.texts == report.sentences_embedded == len({s for found in expected_sentences(world).values()
                                                                     for s in found})
    again = world.run()
    assert again.published is False and world.embedder.texts == 0
