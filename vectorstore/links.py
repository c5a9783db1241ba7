"""The link graph of an index version: which indexed page links to which in its text, read from what the index
holds, so an index needs no re-ingest for it: the version's ingest record (every page's outgoing links, kept for
the crawl's conditional re-fetches) and its chunks (their text, titles and roadmap labels). An index whose record
holds no links and whose chunks carry no roadmap labels has an empty graph: every feature read from it is 0.

Retrieval reads it for one thing: a hub (a landing page, a tutorial index, a list of algorithms, a week of the
roadmap listing its resources) names every subtopic in one line, a link label, so BM25 and the title similarity
like it as much as the page it links to. Among the fused top candidates, a page that links to more of the other
candidate pages than link back to it is such a hub for this question (`hubness`); the retriever lowers it by a
fitted weight (`Calibration.hub_weight`). The record's links include each site's sidebar, which links every page to
its siblings both ways, so a link counts only when the linking page's own text names the linked page (`mentioned`):
its title in a table of contents, a "Topics" list, a "see X" line; for the roadmap's sections, the label the
roadmap gives a resource (`vectorstore.retrieve` builds both).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urlsplit, urlunsplit


def page_key(url: str) -> str:
    """A URL as the graph compares it: no fragment, lower-case scheme and host, no trailing slash. A URL without
    a scheme (the roadmap's own sections, `roadmap.md#week-3`) keeps its fragment: each section is its own page."""
    p = urlsplit(url.strip())
    if not p.scheme:
        return url.strip()
    url, _ = urldefrag(url.strip())
    p = urlsplit(url)
    return urlunsplit((p.scheme.lower(), (p.netloc or "").lower(), p.path.rstrip("/"), p.query, ""))


@dataclass(frozen=True)
class LinkGraph:
    """page key -> the keys of the indexed pages it links to (itself left out)."""

    out: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> LinkGraph:
        """The graph of an ingest record: its pages (each cited by `cite_url`) and their `links`; a link to an
        alias (a redirect, a duplicate) counts for the page it aliases; links to pages not indexed are dropped."""
        pages: Mapping[str, Any] = record.get("pages") or {}
        aliases: Mapping[str, Any] = record.get("aliases") or {}
        cited = {url: page_key(str(entry.get("cite_url") or url)) for url, entry in pages.items()}
        target = {page_key(u): c for u, c in cited.items()} | {c: c for c in cited.values()}
        for alias, entry in aliases.items():
            owner = page_key(str(entry.get("owner") or ""))
            if owner in target:
                target.setdefault(page_key(alias), target[owner])
        out: dict[str, frozenset[str]] = {}
        for url, entry in pages.items():
            me = cited[url]
            linked = {target[k] for k in map(page_key, entry.get("links") or []) if k in target} - {me}
            if linked:
                out[me] = out.get(me, frozenset()) | frozenset(linked)
        return cls(out)

    def with_links(self, more: Mapping[str, Iterable[str]]) -> LinkGraph:
        """This graph with more links (page key -> the keys it links to; a page's link to itself left out)."""
        out = dict(self.out)
        for page, linked in more.items():
            extra = frozenset(linked) - {page}
            if extra:
                out[page] = out.get(page, frozenset()) | extra
        return LinkGraph(out)

    def mentioned(self, texts: Mapping[str, str], names: Mapping[str, Iterable[str]]) -> LinkGraph:
        """The links whose linking page's text (`texts`: page key -> its text) names the linked page (`names`:
        page key -> what it is called: its title, the roadmap's labels for it), as whole words, case and spacing
        aside."""
        words = {k: [w for w in map(_words, n) if len(w) >= 4] for k, n in names.items()}
        said = {k: f" {_words(t)} " for k, t in texts.items()}
        out = {}
        for page, linked in self.out.items():
            text = said.get(page, "")
            kept = frozenset(q for q in linked if any(f" {w} " in text for w in words.get(q, ())))
            if kept:
                out[page] = kept
        return LinkGraph(out)

    def __bool__(self) -> bool:
        return bool(self.out)

    def hubness(self, urls: Iterable[str]) -> dict[str, float]:
        """For each of these candidate pages: how many of the others it links to, less how many of them link to
        it (0 when that is not positive): the hub among them scores high, the pages it lists and their siblings 0."""
        keys = {url: page_key(url) for url in urls}
        pages = set(keys.values())
        out = {k: self.out.get(k, frozenset()) & pages for k in pages}
        inbound = {k: sum(k in linked for linked in out.values()) for k in pages}
        return {url: float(max(0, len(out[k]) - inbound[k])) for url, k in keys.items()}


def _words(text: str) -> str:
    """Lower-case words and numbers joined by single spaces (punctuation dropped)."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def hub_feature(url_of: Callable[[str], str], graph: LinkGraph) -> Callable[[list[str]], list[float]]:
    """A rerank feature (`vectorstore.ranking.rerank`): each candidate's page hubness among the candidates' pages."""
    def feature(top: list[str]) -> list[float]:
        hub = graph.hubness(url_of(cid) for cid in top)
        return [hub[url_of(cid)] for cid in top]
    return feature
