"""Shared fixtures: a small documentation site (4 pages under `tests/data/api_site/`, served as a local
mirror of made-up hosts), a 3-week roadmap linking them, and one real index built from them by the real
ingest job (session-scoped) whose `Settings` the API tests start apps with.
"""
from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route

from tests.servers import serve
from tests.sites import Site

DATA = Path(__file__).parent / "data"
MODEL_DIR = Path(os.environ.get("RA_EMBEDDING_MODEL_DIR")
                 or Path(__file__).resolve().parents[2] / "shared/models/all-MiniLM-L6-v2/onnx")
SITE_PAGES = {  # mirror path (HOST/PATH) -> fixture file
    "/docs.example.org/python/tutorial/": "python-tutorial.html",
    "/docs.example.org/docker/get-started/": "docker-get-started.html",
    "/mlops.example.org/registry/": "model-registry.html",
    "/aws.example.org/sagemaker/endpoints.html": "sagemaker-endpoints.html",
}
GATED_URL = "https://slow.example.org/gated/"  # answers only once the site's gate is open
GATED_PAGE = ("<html><head><title>Gated</title></head><body><main><article><h1>Gated page</h1><p>This page is "
              "served only when the gate is open, so that a re-index stays running while a test looks.</p>"
              "</article></main></body></html>")


@dataclass
class FixtureSite:
    url: str             # the mirror base: https://HOST/PATH is served at {url}/HOST/PATH
    site: Site
    gate: threading.Event


@pytest.fixture(scope="session")
def fixture_site():
    site = Site(pages={path: (DATA / "api_site" / name).read_text() for path, name in SITE_PAGES.items()})
    gate = threading.Event()
    gate.set()

    async def gated(request):
        while not gate.is_set():
            await asyncio.sleep(0.02)
        return HTMLResponse(GATED_PAGE)

    app = Starlette(routes=[Route("/slow.example.org/gated/", gated), Mount("/", app=site.app())])
    with serve(app) as url:
        yield FixtureSite(url, site, gate)


@pytest.fixture(scope="session")
def fixture_roadmap() -> Path:
    return DATA / "api_roadmap.md"


def make_settings(data_dir: Path, roadmap: Path, mirror_base: str, **overrides):
    """Settings for a test app or ingest run: nothing read from a .env file, every limit explicit."""
    from settings import Settings

    values = {"data_dir": data_dir, "roadmap": roadmap, "mirror_base": mirror_base, "embedding_model_dir": MODEL_DIR,
              "crawl_depth": 0, "fetch_retries": 0, "fetch_timeout": 10, "rate_limit_per_minute": 0,
              "admin_token": None, "cors_origins": [], "llm_model": None, "openai_api_key": None,
              "openai_base_url": None}
    return Settings(_env_file=None, **{**values, **overrides})


@pytest.fixture(scope="session")
def fixture_index(tmp_path_factory, fixture_site, fixture_roadmap):
    """A real index of the fixture site, built once by `ingest.job.run_job`; yields its Settings."""
    from ingest.job import run_job
    from vectorstore.client import open_client
    from vectorstore.embeddings import make_embedder
    from vectorstore.store import IndexStore

    settings = make_settings(tmp_path_factory.mktemp("index") / "data", fixture_roadmap, fixture_site.url)
    store = IndexStore(open_client(settings.data_dir), settings.collection)
    report = asyncio.run(run_job(settings, store, make_embedder(settings)))
    assert report.published and report.summary()["pages_indexed"] >= 4 + 3  # 4 pages + the roadmap's 3 weeks
    yield settings


@pytest.fixture(scope="session")
def embedder():
    """The real local MiniLM embedder (ONNX), loaded once."""
    from vectorstore.embeddings import OnnxEmbedder

    return OnnxEmbedder(MODEL_DIR, batch_size=16)


@pytest.fixture(scope="session")
def fake_server():
    """A fake OpenAI-compatible server (tests/fake_openai.py) on 127.0.0.1; `fake.base` is its /v1 URL."""
    from tests.fake_openai import FakeOpenAI

    fake = FakeOpenAI()
    with serve(fake.app()) as base:
        fake.base = base + "/v1"
        yield fake


@pytest.fixture
def fake(fake_server):
    """The fake OpenAI server, with its replies, failures and recorded requests reset."""
    fake_server.reset()
    return fake_server


STUDY_PAGES = {  # the study companion's fixture site (tests/data/study_site/): mirror path -> file
    "/containers.example.org/docker/images/": "docker-images.html",
    "/containers.example.org/compose/": "compose.html",
    "/containers.example.org/changelog/": "changelog.html",
    "/k8s.example.org/pods/": "pods.html",
    "/k8s.example.org/deployments/": "deployments.html",
    "/serving.example.org/kserve/": "kserve.html",
    "/serving.example.org/registry/": "registry.html",
}


@pytest.fixture(scope="session")
def study_index(tmp_path_factory):
    """A real index of the study fixture site (7 pages, a missing one, a 4-week roadmap whose last week has
    only roadmap text), chunked small so that each section is a passage; yields its Settings."""
    from ingest.job import run_job
    from vectorstore.client import open_client
    from vectorstore.embeddings import make_embedder
    from vectorstore.store import IndexStore

    site = Site(pages={path: (DATA / "study_site" / name).read_text() for path, name in STUDY_PAGES.items()})
    with serve(site.app()) as url:
        settings = make_settings(tmp_path_factory.mktemp("study") / "data", DATA / "study_roadmap.md", url,
                                 chunk_tokens=64, chunk_overlap_tokens=8)
        store = IndexStore(open_client(settings.data_dir), settings.collection)
        report = asyncio.run(run_job(settings, store, make_embedder(settings)))
        assert report.published
        yield settings
