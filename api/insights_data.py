"""Where the insights read from: the question log's files, the published index (pages, link health and a
search for the closest page), the embedder and the roadmap's weeks. The API builds an `InsightsData` from
its running services; the CLI opens its own with `open_data(settings)`.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from api import questionlog
from api.gaps import Search, VectorCache, searcher
from api.insights import compute
from errors import RoadmapAssistantError
from settings import Settings
from vectorstore.embeddings import Embedder
from vectorstore.retrieve import Retriever
from vectorstore.store import IndexStore

log = logging.getLogger("api.insights")


@dataclass
class InsightsData:
    settings: Settings
    store: IndexStore
    embedder: Embedder
    retriever: Retriever
    weeks: Mapping[int, str]  # roadmap week -> title (the served roadmap's, read at each use)
    cache: VectorCache = field(default_factory=dict)  # question text -> unit vector, kept between calls
    flush: Callable[[], bool] | None = None         # waits for this process's queued log rows

    def compute(self, since: float, until: float | None = None, **options: Any) -> dict[str, Any]:
        if self.flush is not None:
            self.flush()
        s = self.settings
        read = questionlog.read(s.data_dir / "questions", since, s.question_log_days, until)
        index: dict[str, Any] = {}
        search: Search | None = None
        try:
            from ingest.status import index_status

            index = index_status(self.store)
            if self.retriever.ready():
                search = searcher(self.retriever)
        except RoadmapAssistantError as exc:  # no index / store down: the log's numbers still stand
            log.warning("insights without the index: %s", exc)
        return compute(read, since=since, until=until, weeks=self.weeks, index=index, embedder=self.embedder,
                       search=search, cache=self.cache,
                       log_info={"enabled": s.question_log, "days": s.question_log_days}, **options)


@contextlib.contextmanager
def open_data(settings: Settings) -> Iterator[InsightsData]:
    """For the CLI: open the store, the embedder and a retriever the way the API does."""
    from ingest.roadmap import load_roadmap
    from vectorstore.client import open_client
    from vectorstore.embeddings import make_embedder
    from vectorstore.retrieve import Retriever
    from vectorstore.store import IndexStore

    roadmap = load_roadmap(settings.roadmap)
    store = IndexStore(open_client(settings.data_dir, settings.chroma_url), settings.collection)
    embedder = make_embedder(settings)
    yield InsightsData(settings, store, embedder, Retriever(store, embedder),
                       {w.number: w.title for w in roadmap.weeks})
