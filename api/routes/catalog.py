"""`GET /weeks` and `GET /sources`: the roadmap's phases, weeks and resources, with how much of each is
indexed, read from the served version's ingest record (pages -> title, chunk ids, page metadata) and the
roadmap stored with that version. The catalog is built once per index version and kept until the Retriever
serves a newer one. A page reached from several weeks lists the asked week first, and its `badge` collapses
the others ("Week 3 +4"), as the widget's source cards do.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.deps import Services, ServicesDep
from api.schemas import ErrorOut
from api.served import require_week
from ingest.roadmap import Roadmap
from ingest.urls import UrlMap, canonical

router = APIRouter(tags=["catalog"])


@dataclass
class IndexedPage:
    url: str
    title: str
    chunks: int
    weeks: list[int]
    resources: list[str]
    depth: int
    stale: bool


@dataclass
class Catalog:
    version: int | None
    weeks: dict[str, Any]   # the /weeks body
    pages: list[IndexedPage]
    roadmap: Roadmap


def indexed_pages(record: dict[str, Any]) -> list[IndexedPage]:
    """Every page of an ingest record that has chunks, with its weeks and resource labels."""
    out = []
    for url, entry in (record.get("pages") or {}).items():
        ids = entry.get("chunk_ids") or []
        if not ids:
            continue
        try:
            meta = json.loads(entry.get("meta_key") or "{}")
        except ValueError:
            meta = {}
        out.append(IndexedPage(url, entry.get("title") or meta.get("title") or url, len(ids),
                               list(meta.get("weeks") or []), list(meta.get("resources") or []),
                               int(entry.get("depth", meta.get("depth", 0)) or 0), bool(entry.get("stale"))))
    return sorted(out, key=lambda p: (p.weeks[0] if p.weeks else math.inf, p.depth, p.url))  # no week: last


def build_weeks(roadmap: Roadmap, record: dict[str, Any], version: int | None,
                mirror_base: str | None = None) -> dict[str, Any]:
    """The /weeks body: phases, and each week with its goals, resources and indexed chunk counts."""
    pages = indexed_pages(record)
    links = {link.get("url"): link for link in record.get("links") or []}
    url_map = UrlMap(mirror_base)
    weeks = []
    for w in roadmap.weeks:
        in_week = [p for p in pages if w.number in p.weeks]
        resources = []
        for r in (r for r in roadmap.resources if r.week == w.number):
            url = canonical(url_map.to_real(r.url))
            under = [p for p in in_week if r.label in p.resources or p.url == url]
            link = links.get(url) or {}
            resources.append({"label": r.label, "url": r.url, "section": r.section,
                              "pages": len(under), "chunks": sum(p.chunks for p in under),
                              "status": link.get("outcome") or ("indexed" if under else "not indexed")})
        weeks.append({"number": w.number, "title": w.title, "phase": w.phase or None,
                      "goals": [g for g in w.goals.splitlines() if g.strip()],
                      "pages": len(in_week), "chunks": sum(p.chunks for p in in_week), "resources": resources})
    return {"title": roadmap.title, "version": version, "indexed": bool(pages),
            "phases": [{"number": p.number, "title": p.title, "first_week": p.first_week, "last_week": p.last_week}
                       for p in roadmap.phases],
            "weeks": weeks}


def load_catalog(services: Services) -> Catalog:
    """The catalog of the version the Retriever serves (rebuilt when that version or its roadmap changes)."""
    version, record, roadmap = services.served.current()
    cached = services.catalog_cache.get("current")
    if cached is not None and cached[0] == (version, id(roadmap)):
        return cached[1]
    catalog = Catalog(version, build_weeks(roadmap, record, version, services.settings.mirror_base),
                      indexed_pages(record), roadmap)
    services.catalog_cache["current"] = ((version, id(roadmap)), catalog)
    return catalog


def scope_first(weeks: list[int], week: int | None) -> tuple[list[int], str]:
    """A page's weeks with the asked one first, and the badge that collapses the rest: ("Week 3 +4")."""
    ordered = ([week] if week in weeks else []) + [w for w in weeks if w != week]
    if not ordered:
        return [], ""
    return ordered, f"Week {ordered[0]}" + (f" +{len(ordered) - 1}" if len(ordered) > 1 else "")


@router.get("/weeks", summary="The roadmap's phases, weeks and resources, with what is indexed")
async def weeks(services: ServicesDep) -> dict[str, Any]:
    return (await run_in_threadpool(load_catalog, services)).weeks


@router.get("/sources", summary="The indexed pages, optionally only those of one week",
            responses={422: {"model": ErrorOut}})
async def sources(services: ServicesDep, week: Annotated[int | None, Query(ge=1)] = None) -> dict[str, Any]:
    catalog = await run_in_threadpool(load_catalog, services)
    require_week(catalog.roadmap, week)
    pages = [p for p in catalog.pages if week is None or week in p.weeks]
    out = []
    for p in pages:
        weeks, badge = scope_first(p.weeks, week)
        out.append({"url": p.url, "title": p.title, "chunks": p.chunks, "weeks": weeks, "badge": badge,
                    "depth": p.depth, "stale": p.stale})
    return {"week": week, "version": catalog.version, "count": len(pages), "sources": out}
