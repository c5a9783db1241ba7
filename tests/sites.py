"""A fixture documentation site whose pages, statuses and roadmap a test can change between ingest runs.

Pages are kept in a dict; the server answers with an ETag per content (and 304 to a matching If-None-Match),
and counts full (200) and conditional (304) answers per path, so a test can tell what a run fetched.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route


def page(title: str, *sections: tuple[str, str], links: Sequence[str] = ()) -> str:
    """A small doc page: nav with links (like a site's table of contents), an article with h2 sections."""
    nav = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    body = "".join(f'<h2 id="{h.lower().replace(" ", "-")}">{h}</h2><p>{text}</p>' for h, text in sections)
    return (f"<html><head><title>{title} - Docs</title></head><body><nav><ul>{nav}</ul></nav>"
            f"<main><article><h1>{title}</h1>{body}</article></main>"
            "<footer>Copyright Example Corp</footer></body></html>")


@dataclass
class Site:
    pages: dict[str, str] = field(default_factory=dict)      # path -> html
    status: dict[str, int] = field(default_factory=dict)     # path -> forced status
    redirects: dict[str, str] = field(default_factory=dict)  # path -> path it 301-redirects to
    full: Counter = field(default_factory=Counter)           # path -> 200 answers
    conditional: Counter = field(default_factory=Counter)    # path -> 304 answers
    hits: Counter = field(default_factory=Counter)           # path -> requests of any kind

    def reset_counts(self) -> None:
        self.full.clear()
        self.conditional.clear()
        self.hits.clear()

    def app(self) -> Starlette:
        async def serve(request: Request) -> Response:
            path = request.url.path
            self.hits[path] += 1
            if path in self.redirects:
                return Response(status_code=301, headers={"Location": self.redirects[path]})
            if path in self.status:
                return HTMLResponse("<h1>error</h1>", status_code=self.status[path])
            html = self.pages.get(path)
            if html is None:
                return HTMLResponse("<h1>Not found</h1>", status_code=404)
            etag = '"' + hashlib.sha256(html.encode()).hexdigest()[:16] + '"'
            if request.headers.get("if-none-match") == etag:
                self.conditional[path] += 1
                return Response(status_code=304, headers={"ETag": etag})
            self.full[path] += 1
            return HTMLResponse(html, headers={"ETag": etag})

        return Starlette(routes=[Route("/{path:path}", serve)])


def roadmap(base: str, weeks: dict[int, list[tuple[str, str]]], extra: Sequence[tuple[str, str]] = ()) -> str:
    """A small roadmap in the real one's format: weeks with `- [ ] **Label**: URL` resources."""
    lines = ["# Test Roadmap", "", "## **Phase 1: Foundations (Weeks 1-3)**", ""]
    for n, resources in sorted(weeks.items()):
        lines += [f"### **Week {n}: Topic {n}**", f"**Goals**: learn topic {n}", "", "**Reading:**"]
        lines += [f"- [ ] **{label}**: {base}{path}" for label, path in resources]
        lines += ["", f"**Weekend Project**: build project {n}", "**Deliverable**:", f"- thing {n}", "", "---", ""]
    if extra:
        lines += ["## **Learning Resources Summary**", ""] + [f"- **{label}**: {base}{path}" for label, path in extra]
    return "\n".join(lines) + "\n"
