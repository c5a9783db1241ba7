"""What one ingest run did: every page's outcome with its reason, the counts, and the link-health table."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class PageOutcome:
    url: str
    outcome: str               # indexed | unchanged | skipped | failed
    reason: str | None = None
    depth: int = 0
    chunks: int = 0
    stale: bool = False        # failed now, last good chunks kept


@dataclass
class LinkHealth:
    """One roadmap link: how it fared this run (the keeper's view)."""

    url: str
    weeks: list[int]
    labels: list[str]
    status: int | None
    outcome: str
    reason: str | None
    final_url: str | None
    redirects: list[str]
    pages: int                  # pages indexed under this link (itself and its children)
    last_success: str | None


@dataclass
class IngestReport:
    run_id: str
    started_at: str
    seconds: float = 0.0
    version: int | None = None          # the index version serving after this run
    published: bool = False             # False: nothing changed, nothing written
    pages: list[PageOutcome] = field(default_factory=list)
    links: list[LinkHealth] = field(default_factory=list)
    chunks_total: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    embedded: int = 0
    sentences_total: int = 0            # sentence vectors stored with the published version
    sentences_embedded: int = 0         # of them, sentences embedded this run (the rest were copied)
    metadata_updated: int = 0           # chunks kept from the active version whose metadata changed
    pages_dropped: int = 0              # pages of the active version the new one no longer holds
    refused: str | None = None          # why a safeguard kept this run from publishing
    stages: dict[str, float] = field(default_factory=dict)

    def _by(self, outcome: str, roots: bool | None = None) -> list[PageOutcome]:
        return [p for p in self.pages if p.outcome == outcome and (roots is None or (p.depth == 0) == roots)]

    def summary(self) -> dict:
        """The run as one JSON-able object (what `--json` prints)."""
        failed = self._by("failed")
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 2),
            "version": self.version,
            "published": self.published,
            "pages_indexed": len(self._by("indexed")),
            "pages_unchanged": len(self._by("unchanged")),
            "pages_skipped": [{"url": p.url, "reason": p.reason} for p in self._by("skipped")],
            "pages_failed": [{"url": p.url, "reason": p.reason, "depth": p.depth, "stale": p.stale} for p in failed],
            "roadmap_links_failed": sum(1 for p in failed if p.depth == 0),
            "child_pages_failed": sum(1 for p in failed if p.depth > 0),
            "pages_stale": sum(1 for p in self.pages if p.stale),
            "chunks_total": self.chunks_total,
            "chunks_added": self.chunks_added,
            "chunks_removed": self.chunks_removed,
            "metadata_updated": self.metadata_updated,
            "embedded": self.embedded,
            "sentences_total": self.sentences_total,
            "sentences_embedded": self.sentences_embedded,
            "pages_dropped": self.pages_dropped,
            "refused": self.refused,
            "stages": {k: round(v, 2) for k, v in self.stages.items()},
        }

    def to_dict(self) -> dict:
        return asdict(self)
