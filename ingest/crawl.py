"""The crawl: from the roadmap's links down a bounded number of hops, on the same host, within a page budget.

A portal page, one whose links mostly (PORTAL_SHARE) lead to other hosts, such as a product's landing page whose
documentation lives on a docs site, has its other-host links followed too (after its own host's): its substance is
what it links to.

`crawl()` walks breadth-first per roadmap link, with every fetch in flight at once up to the fetcher's limits,
and hands each fetched page to `on_page` as it arrives (so embedding can start before the crawl ends). A page
reached from several roadmap links is fetched once and carries the tags of every roadmap link that reaches
it within the depth and that link's page budget (a child inherits its roadmap link's tags, not its parent's).
Pages that come back unchanged (304) or fail keep following the links recorded for them last time, so their
children stay known.
"""
from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ingest.fetch import FetchResult
from ingest.urls import canonical, host_of

SKIP_EXTENSIONS = (".pdf", ".zip", ".gz", ".tgz", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".mp4",
                   ".mp3", ".ipynb", ".whl", ".tar", ".exe", ".dmg", ".css", ".js", ".json", ".xml", ".ico")


@dataclass
class Tag:
    """What a page inherits from the roadmap link(s) that reached it."""

    week: int | None
    phase: int | None
    label: str
    root: str


@dataclass
class CrawledPage:
    url: str                     # canonical real URL
    depth: int
    roots: set[str] = field(default_factory=set)
    tags: list[Tag] = field(default_factory=list)
    result: FetchResult | None = None
    links: list[str] = field(default_factory=list)   # children found (or remembered) on this page


PageHandler = Callable[[CrawledPage], Awaitable[list[str] | None]]


PORTAL_SHARE = 0.75  # a page whose links lead to other hosts at least this often is a portal


def _child_order(root: str, links: list[str], page: str | None = None) -> list[str]:
    """Same-host links, those under the root's folder first (a guide's own pages before the rest of the site); when
    the linking `page` is a portal (its links mostly lead off its host), its other-host links after them."""
    folder = posixpath.dirname(urlsplit(root).path.rstrip("/") + "/x")
    host = host_of(root)
    links = [u for u in dict.fromkeys(links) if not urlsplit(u).path.lower().endswith(SKIP_EXTENSIONS)]
    home = host_of(page or root)
    away = [u for u in links if host_of(u) != home]
    portal = bool(links) and len(away) >= PORTAL_SHARE * len(links)
    kept = [u for u in links if host_of(u) == host or (portal and u in away)]
    return sorted(kept, key=lambda u: (host_of(u) != host, not urlsplit(u).path.startswith(folder)))


async def crawl(roots: dict[str, list[Tag]], fetch: Callable[[str], Awaitable[FetchResult]], on_page: PageHandler,
                *, depth: int, budget: int) -> dict[str, CrawledPage]:
    """Crawl every root; `on_page` returns the page's child links (None when it has none to follow)."""
    pages: dict[str, CrawledPage] = {}
    spent: dict[str, int] = {}
    tasks: set[asyncio.Task] = set()

    def enqueue(url: str, d: int, root: str) -> None:
        page = pages.get(url)
        if page is not None:
            page.roots.add(root)
            page.tags.extend(t for t in roots[root] if t not in page.tags)
            return
        page = pages[url] = CrawledPage(url=url, depth=d, roots={root}, tags=list(roots[root]))
        tasks.add(asyncio.create_task(visit(page, root)))

    async def visit(page: CrawledPage, root: str) -> None:
        page.result = await fetch(page.url)
        links = await on_page(page) or []
        page.links = links
        if page.depth < depth:
            # The budget counts the root's links in page order, whether or not another root got there first,
            # so the same site always gives the same pages with the same tags, however the fetches interleave.
            for link in _child_order(root, [canonical(u) for u in links], page.url):
                if spent[root] >= budget:
                    break
                if link != page.url:
                    spent[root] += 1
                    enqueue(link, page.depth + 1, root)

    for url in roots:
        spent[url] = 0
        enqueue(url, 0, url)
    while tasks:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        tasks -= done
        for t in done:
            t.result()  # a bug in on_page surfaces here instead of vanishing
    return pages
