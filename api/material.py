"""A week's material in one index version: its pages, each page's vector and length, and who links what.

`Material(state, roadmap, record, mirror_base)` reads the version the Retriever holds (`Retriever.loaded()`, a
`vectorstore.loaded.LoadedVersion`: every chunk's text, metadata and unit vector) with the roadmap and the
version's ingest record (link health).

Whose page is it? Every page carries the weeks of all roadmap links that reach it, so a documentation site's hub
page linked in week 4 tags the pages linked directly in weeks 9-14 with week 4 too. Here a page belongs to a
resource (a roadmap link) when it is that link's own page (its URL or redirect target), or a page reached from it
that no roadmap link names itself (a page a link names belongs to that link); a week's pages are its resources'
pages plus the roadmap's own section for the week (`roadmap.md#week-N`). The briefing, the quiz and "Builds on"
all read a week through `week_pages`.

A page's vector is the mean of its chunk vectors (unit length), the page embedding the index already holds; its
word count counts the text two neighbouring chunks share (the chunker's overlap) once.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from api.prompt import body_of
from ingest.roadmap import Resource, Roadmap
from ingest.urls import UrlMap, canonical
from vectorstore.loaded import LoadedVersion
from vectorstore.ranking import join_chunks
from vectorstore.retrieve import ROADMAP_URL


@dataclass
class Page:
    url: str
    title: str
    rows: list[int]         # its chunks' rows in the loaded version (`state.lexical.ids` order), in page order
    weeks: list[int]        # every week whose links reach it
    resources: list[str]    # the labels of the roadmap links that reach it
    depth: int
    vector: np.ndarray      # the mean of its chunk vectors, unit length

    @property
    def roadmap(self) -> bool:
        return self.url.startswith(ROADMAP_URL)


class Material:
    """One index version read with the roadmap: pages, their owners, and the chunks behind them."""

    def __init__(self, state: LoadedVersion, roadmap: Roadmap, record: dict[str, Any], mirror_base: str | None = None):
        self.state, self.roadmap, self.version = state, roadmap, state.version
        self.url_map = UrlMap(mirror_base)
        self.links: dict[str, dict[str, Any]] = {link.get("url"): link for link in record.get("links") or []}
        rows: dict[str, list[int]] = {}
        for cid, (_text, meta) in state.chunks.items():
            rows.setdefault(meta.get("url") or "", []).append(state.lexical.row[cid])
        self.pages: dict[str, Page] = {}
        for url, found in rows.items():
            found.sort(key=lambda r: self.meta(r).get("chunk_index", 0))
            meta = self.meta(found[0])
            vector = state.vectors[found].mean(axis=0)
            vector /= max(float(np.linalg.norm(vector)), 1e-12)
            self.pages[url] = Page(url, meta.get("title") or url, found, list(meta.get("weeks") or []),
                                   list(meta.get("resources") or []), int(meta.get("depth") or 0), vector)
        self._weeks: dict[int, list[Page]] = {}
        self._resources: dict[Resource, list[Page]] = {}
        self.direct: dict[str, set[int]] = {}  # page URL -> the weeks whose roadmap links name it
        for r in roadmap.resources:
            if r.week is not None:
                for url in self.link_urls(r):
                    self.direct.setdefault(url, set()).add(r.week)

    # ---- chunks
    def cid(self, row: int) -> str:
        return self.state.lexical.ids[row]

    def text(self, row: int) -> str:
        return self.state.chunks[self.cid(row)][0]

    def meta(self, row: int) -> dict[str, Any]:
        """The chunk's metadata as Chroma stores it (url, title, section, deep_link, weeks, chunk_index, ...)."""
        return self.state.chunks[self.cid(row)][1]

    def row(self, cid: str) -> int | None:
        return self.state.lexical.row.get(cid)

    # ---- who owns what
    def link_urls(self, resource: Resource) -> list[str]:
        """The page URLs a roadmap link stands for: its own (canonical, real) URL and where it redirected."""
        url = canonical(self.url_map.to_real(resource.url))
        final = (self.links.get(url) or {}).get("final_url")
        return [url] + ([canonical(final)] if final and canonical(final) != url else [])

    def link(self, resource: Resource) -> dict[str, Any]:
        """The ingest record's entry for the link (status, outcome, reason, last success), or {}."""
        return self.links.get(canonical(self.url_map.to_real(resource.url))) or {}

    def resource_pages(self, resource: Resource) -> list[Page]:
        """The link's own page, then the pages reached from it that no roadmap link names itself."""
        found = self._resources.get(resource)
        if found is None:
            own = [self.pages[u] for u in self.link_urls(resource) if u in self.pages]
            reached = [p for p in self.pages.values()
                       if resource.week in p.weeks and resource.label in p.resources and p.url not in self.direct
                       and not p.roadmap]
            found = self._resources[resource] = own + sorted(reached, key=lambda p: (p.depth, p.url))
        return found

    def week_pages(self, week: int) -> list[Page]:
        """The week's pages: those of its resources (in roadmap order), then its section of the roadmap."""
        found = self._weeks.get(week)
        if found is None:
            out: dict[str, Page] = {}
            for r in self.roadmap.resources:
                if r.week == week:
                    out.update((p.url, p) for p in self.resource_pages(r))
            plan = self.pages.get(f"{ROADMAP_URL}#week-{week}")
            if plan is not None:
                out[plan.url] = plan
            found = self._weeks[week] = list(out.values())
        return found

    # ---- lengths
    def words(self, page: Page) -> int:
        """The words of a page's text, each stretch two neighbouring chunks of a section share counted once."""
        total = 0
        run: list[str] = []
        for row in page.rows + [-1]:
            text = self.text(row) if row >= 0 else ""
            if run and (row < 0 or text.partition("\n")[0] != run[-1].partition("\n")[0]):
                total += len(body_of(join_chunks(run)).split())
                run = []
            if row >= 0:
                run.append(text)
        return total

    @cached_property
    def postings(self) -> dict[str, set[int]]:
        """Term (the shared tokenizer's stem) -> the rows of the chunks holding it."""
        out: dict[str, set[int]] = {}
        for row in range(len(self.state.lexical.ids)):
            for term in self.state.lexical.terms(row):
                out.setdefault(term, set()).add(row)
        return out
