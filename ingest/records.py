"""What the index records about pages and chunks: content-derived chunk ids, the metadata every chunk
carries, and the tags each roadmap link gives the pages it reaches. Pure functions, no I/O."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from ingest.crawl import Tag
from ingest.roadmap import Roadmap
from ingest.urls import UrlMap, canonical

ROADMAP_DOC = "roadmap.md"  # the URL prefix of the roadmap's own sections ("roadmap.md#week-3")


def now() -> str:
    """The current UTC time as an ISO string (seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def digest(*parts: str) -> str:
    """SHA-256 of the parts, each followed by a NUL byte (so ("ab", "c") and ("a", "bc") differ)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def chunk_ids(url: str, texts: list[str]) -> list[str]:
    """Content-derived ids: the same page text always gives the same ids."""
    ids: list[str] = []
    seen: dict[str, int] = {}
    for text in texts:
        base = digest(url, text)[:32]
        n = seen.get(base, 0)
        seen[base] = n + 1
        ids.append(base if n == 0 else f"{base}-{n}")
    return ids


def roadmap_roots(roadmap: Roadmap, url_map: UrlMap) -> dict[str, list[Tag]]:
    roots: dict[str, list[Tag]] = {}
    for r in roadmap.resources:
        url = canonical(url_map.to_real(r.url))
        tag = Tag(week=r.week, phase=r.phase, label=r.label, root=url)
        roots.setdefault(url, [])
        if tag not in roots[url]:
            roots[url].append(tag)
    return roots


def tag_lists(tags: list[Tag]) -> tuple[list[int], list[int], list[str]]:
    """The distinct weeks, phases and resource labels of a page's tags, sorted."""
    return (sorted({t.week for t in tags if t.week is not None}),
            sorted({t.phase for t in tags if t.phase is not None}),
            sorted({t.label for t in tags if t.label}))


def page_meta(page_url: str, title: str, tags: list[Tag], depth: int, content_hash: str, fetched_at: str,
              stale: bool) -> dict:
    """The page-level part of every chunk's metadata (Chroma refuses empty lists: those keys are left out)."""
    meta = {"url": page_url, "title": title, "depth": depth, "content_hash": content_hash,
            "fetched_at": fetched_at, "stale": stale}
    weeks, phases, labels = tag_lists(tags)
    if weeks:
        meta["weeks"] = weeks
    if phases:
        meta["phases"] = phases
    if labels:
        meta["resources"] = labels
    return meta
