"""The crawl's link policy: same-host children within the depth and budget, and a portal page's other-host links."""
from __future__ import annotations

import asyncio

from ingest.crawl import Tag, _child_order, crawl
from ingest.fetch import FetchResult

LANDING = "https://lab.example.org/"
DOCS = [f"https://docs.example.com/lab/{name}.html" for name in ("overview", "onboard", "troubleshooting")]
GUIDE = "https://docs.example.com/guide/index.html"


def run(site: dict[str, list[str]], roots: list[str], depth: int = 1, budget: int = 80) -> set[str]:
    """Crawl an in-memory site (url -> its links) and return the pages reached."""
    async def fetch(url: str) -> FetchResult:
        return FetchResult(url=url, final_url=url, outcome="ok" if url in site else "failed", status=200,
                           text="<html></html>")

    async def on_page(page) -> list[str] | None:
        return site.get(page.url)

    tags = {r: [Tag(week=1, phase=1, label="x", root=r)] for r in roots}
    return set(asyncio.run(crawl(tags, fetch, on_page, depth=depth, budget=budget)))


def test_a_portal_page_has_its_other_host_links_followed():
    """A landing page whose links mostly lead to another host (its documentation) gets those pages at depth 1;
    a guide that links mostly to its own host keeps to it (its few links elsewhere are not crawled)."""
    site = {LANDING: [LANDING + "login", *DOCS], GUIDE: [f"https://docs.example.com/guide/{i}.html" for i in range(4)]
            + ["https://elsewhere.example.net/blog.html"]}
    reached = run(site, [LANDING, GUIDE])
    assert set(DOCS) <= reached and LANDING + "login" in reached
    assert "https://elsewhere.example.net/blog.html" not in reached


def test_own_host_links_come_first_and_the_budget_still_holds():
    links = [DOCS[0], LANDING + "a", DOCS[1], LANDING + "b", DOCS[2], "https://x.example.net/1", "https://x.example.net/2",
             "https://x.example.net/3"]
    order = _child_order(LANDING, links, LANDING)
    assert order[:2] == [LANDING + "a", LANDING + "b"] and set(order[2:]) == set(links) - {LANDING + "a", LANDING + "b"}
    own = [GUIDE + "x", GUIDE + "y"]
    assert _child_order(GUIDE, [*own, "https://x.example.net/1"], GUIDE) == own
    assert len(run({LANDING: links}, [LANDING], budget=3)) == 4  # the root and three children
