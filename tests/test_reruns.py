"""Exact re-runs and the publishing safeguards, end to end: a fixture site on 127.0.0.1 whose pages are reached
under several URLs (a redirect, an `index.html` alias, a query string), ingested by the real job into a real
on-disk Chroma; then the site stopped and started again (issue 11)."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from errors import PublishRefusedError
from ingest.job import run_job
from settings import Settings
from tests.servers import free_port, serve
from tests.sites import Site, page, roadmap
from vectorstore.client import open_client
from vectorstore.embeddings import OnnxEmbedder
from vectorstore.store import IndexStore, iter_chunks

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = Path(os.environ.get("RA_EMBEDDING_MODEL_DIR", ROOT.parent.parent / "shared/models/all-MiniLM-L6-v2/onnx"))


def with_canonical(html: str, href: str) -> str:
    return html.replace("<head>", f'<head><link rel="canonical" href="{href}">', 1)


GUIDE = with_canonical(page("Deployment Guide", ("Rollouts", "A rolling update replaces pods one batch at a time."),
                            ("Rollbacks", "Undo a rollout to return to the previous revision."),
                            links=["/docs/paper.html?context=cs", "/docs/guide/index.html"]), "/docs/guide/")
PAPER = with_canonical(page("Retrieval Paper", ("Method", "Dense passages are retrieved and fed to the generator.")),
                       "/docs/paper.html")
OTHER = [page(f"Topic {n}", ("Body", f"Topic {n} explains subject number {n} in some detail.")) for n in range(6)]


class CountingEmbedder:
    """The real embedder, counting the texts it embeds and whether anything asked for it at all."""

    def __init__(self, inner):
        self.inner, self.name, self.texts, self.used = inner, inner.name, 0, False

    def embed(self, texts):
        self.used, self.texts = True, self.texts + len(texts)
        return self.inner.embed(texts)

    def count_tokens(self, text):
        self.used = True
        return self.inner.count_tokens(text)


class World:
    """The fixture site (served on a fixed port, so it can be stopped and started again), its roadmap and store."""

    def __init__(self, tmp: Path, onnx):
        self.tmp, self.port = tmp, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.site = Site(pages={"/docs/guide/": GUIDE, "/docs/guide/index.html": GUIDE, "/docs/paper.html": PAPER,
                                **{f"/docs/topic{n}.html": html for n, html in enumerate(OTHER)}},
                         redirects={"/docs/old-guide.html": "/docs/guide/"})
        self.weeks = {1: [("Guide", "/docs/guide/index.html"), ("Topic 0", "/docs/topic0.html")],
                      2: [("Old guide", "/docs/old-guide.html"), ("Topic 1", "/docs/topic1.html")],
                      3: [("Paper", "/docs/paper.html?context=cs"), ("Topic 2", "/docs/topic2.html")],
                      4: [("Guide home", "/docs/guide/"), ("Paper home", "/docs/paper.html"),
                          ("Topic 3", "/docs/topic3.html"), ("Topic 4", "/docs/topic4.html"),
                          ("Topic 5", "/docs/topic5.html")]}
        self.embedder = CountingEmbedder(onnx)
        self.settings = Settings(_env_file=None, data_dir=tmp / "data", roadmap=tmp / "roadmap.md",
                                 embedding_model_dir=MODEL_DIR, crawl_depth=1, fetch_retries=0, fetch_timeout=5,
                                 collection="reruns")
        self.store = IndexStore(open_client(self.settings.data_dir), "reruns")

    def serving(self):
        return serve(self.site.app(), port=self.port)

    def run(self, **kw):
        (self.tmp / "roadmap.md").write_text(roadmap(self.base, self.weeks))
        self.site.reset_counts()
        self.embedder.texts, self.embedder.used = 0, False
        return asyncio.run(run_job(self.settings, self.store, self.embedder, **kw))

    def chunks(self) -> list[tuple[str, str, dict]]:
        return [(cid, doc, meta) for cid, doc, meta, _ in iter_chunks(self.store.published().collection)]

    def files(self) -> dict[str, tuple[int, int]]:
        chroma = self.settings.data_dir / "chroma"
        return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in chroma.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def onnx():
    return OnnxEmbedder(MODEL_DIR)


@pytest.fixture
def world(tmp_path, onnx):
    return World(tmp_path, onnx)


def test_redirect_alias_and_query_string_settle_on_the_first_run(world):
    """Each page is indexed once, under its canonical URL, with the tags of every URL that reached it; the
    other URLs are reported as what they are."""
    with world.serving():
        report = world.run()
    assert report.published and report.metadata_updated == 0  # a first build updates nothing
    urls = {m["url"] for _, _, m in world.chunks()}
    assert {world.base + "/docs/guide/", world.base + "/docs/paper.html"} <= urls
    assert not any("index.html" in u or "old-guide" in u or "?" in u for u in urls)
    weeks = {m["url"]: set(m["weeks"]) for _, _, m in world.chunks()}
    assert weeks[world.base + "/docs/guide/"] == {1, 2, 4} and weeks[world.base + "/docs/paper.html"] >= {3, 4}
    skipped = {p["url"].removeprefix(world.base): p["reason"] for p in report.summary()["pages_skipped"]}
    assert skipped["/docs/old-guide.html"].startswith("redirects to")
    assert "duplicate of" in skipped["/docs/guide/index.html"]
    assert "duplicate of" in skipped["/docs/paper.html?context=cs"]


def test_unchanged_rerun_publishes_and_writes_nothing(world):
    """Over an unchanged site, a re-run asks every URL (aliases and the redirect's target too) conditionally,
    publishes nothing, writes nothing to the store and never needs the embedding model; again and again."""
    with world.serving():
        first = world.run()
        files = world.files()
        for _ in range(2):
            again = world.run()
            s = again.summary()
            assert (again.published, again.version, s["embedded"], s["metadata_updated"], s["pages_indexed"]) == \
                   (False, first.version, 0, 0, 0)
            assert sum(world.site.full.values()) == 0, dict(world.site.full)
            assert world.site.conditional["/docs/guide/index.html"] == 1
            assert world.site.conditional["/docs/paper.html"] >= 2
            assert not world.embedder.used and world.files() == files


def test_an_alias_whose_page_is_no_longer_linked_takes_over(world):
    """When the canonical URL's own link is removed, an alias still linked is fetched again and indexes the
    page (its text is not embedded again), and the run after that settles."""
    with world.serving():
        world.run()
        world.weeks[4] = [("Topic 3", "/docs/topic3.html"), ("Topic 4", "/docs/topic4.html"),
                          ("Topic 5", "/docs/topic5.html")]
        moved = world.run()
        assert moved.published and moved.embedded == 1  # only the roadmap's week-4 text changed (and its sentences)
        assert world.embedder.texts == 1 + moved.sentences_embedded
        guide = {frozenset(m["weeks"]) for _, _, m in world.chunks() if m["url"] == world.base + "/docs/guide/"}
        assert guide == {frozenset({1, 2})}
        settled = world.run()
        assert settled.published is False and sum(world.site.full.values()) == 0


def test_server_stopped_then_started_again(world):
    """With the site down, an incremental run and a --full run both refuse to publish (even forced), naming the
    failures, and the active version keeps serving untouched; once the site is back, nothing needs publishing."""
    with world.serving():
        first = world.run()
    before, files = world.chunks(), world.files()
    for kw in ({}, {"full": True}, {"full": True, "force": True}):
        with pytest.raises(PublishRefusedError, match=r"every roadmap link failed \(\d+ of \d+\): http://127\.0\.0\.1:"
                                                      r"\d+/docs/\S+: ") as e:
            world.run(**kw)
        assert e.value.report.published is False and e.value.report.refused
        assert world.store.snapshot().version == first.version and world.chunks() == before
        if not kw:  # an incremental run had nothing to embed: it wrote nothing at all
            assert world.files() == files
    assert (world.settings.data_dir / "runs" / "last.json").read_text().count("every roadmap link failed") == 1
    with world.serving():
        back = world.run()
    assert back.published is False and back.version == first.version


def test_a_full_run_losing_pages_to_failures_is_refused_unless_forced(world):
    """--full while part of the site answers 503 would drop those pages: refused, naming them; --force publishes."""
    with world.serving():
        first = world.run()
        for n in (3, 4):
            world.site.status[f"/docs/topic{n}.html"] = 503
        with pytest.raises(PublishRefusedError, match=r"lose 2 of the active version's 8 pages because fetches failed"
                                                      r" .*topic3\.html: HTTP 503") as e:
            world.run(full=True)
        assert e.value.report.summary()["pages_dropped"] == 2
        assert world.store.snapshot().version == first.version
        forced = world.run(full=True, force=True)
    assert forced.published and not any("topic3" in m["url"] for _, _, m in world.chunks())


def test_a_version_dropping_most_pages_needs_force(world):
    """A roadmap edit that removes most links would drop more than half the pages: refused until --force."""
    with world.serving():
        first = world.run()
        world.weeks = {1: world.weeks[1]}
        with pytest.raises(PublishRefusedError, match=r"drop 5 of the active version's 8 pages .*--force"):
            world.run()
        assert world.store.snapshot().version == first.version
        assert world.run(force=True).published


def test_the_command_exits_3_naming_the_failures(world):
    """`python -m ingest --full` against a stopped site exits 3 with an error naming the failed links, and the
    version it had keeps serving."""
    with world.serving():
        world.run()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RA_")}
    env.update(RA_DATA_DIR=str(world.settings.data_dir), RA_ROADMAP=str(world.settings.roadmap),
               RA_COLLECTION="reruns", RA_EMBEDDING_MODEL_DIR=str(MODEL_DIR), RA_FETCH_RETRIES="0",
               PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "ingest", "--json", "--full"], cwd=world.tmp, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "error: every roadmap link failed" in done.stderr and f"{world.base}/docs/topic0.html" in done.stderr
    assert '"refused": "every roadmap link failed' in done.stdout and '"published": false' in done.stdout
    assert world.store.snapshot().version == 1
