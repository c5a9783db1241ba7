"""Article extraction: the article of a fetched page, not the site around it.

`extract(html, url)` parses with BeautifulSoup+lxml and, in one walk of the body, drops everything a reader
does not see as the article: scripts and styles, site chrome (nav, header, footer, sidebars, breadcrumbs,
cookie banners, feedback and edit widgets) and **hidden elements** (`hidden`, `aria-hidden="true"`, inline
or page-stylesheet `display:none` / `visibility:hidden` / `font-size:0` / `opacity:0` / off-screen, closed
`<dialog>`, comments) - hidden text is how pages smuggle instructions into a model, so it never reaches a
section. Links in the site's table of contents / sidebars are collected before those are dropped. The main
container (`<main>`, `<article>`, doc-theme bodies ...) with the most text is then rendered into heading
sections: paragraphs, `- ` lists, `a | b` table rows, fenced code kept verbatim. `extract_text` does the
same for text/plain and markdown bodies (`#` headings become sections). The pruning lives in `ingest.clean`,
the rendering in `ingest.render`, the markdown path in `ingest.markdown` and the data in `ingest.article`;
this module picks the content root, title and links, and re-exports the public names.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from ingest.article import Article, Section, _attr, _resolve, _tags, _words
from ingest.clean import _Pruner
from ingest.markdown import extract_text
from ingest.render import _Renderer, heading_anchor, heading_text
from ingest.urls import canonical

__all__ = ["Article", "Section", "extract", "extract_text", "heading_anchor", "heading_text"]

_TITLE_SUFFIX = re.compile(r"\s+(?:—|–|-|\||·|::)\s+[^—–|·]*$")
_ROOT_IDS = re.compile(r"^(root|app|__next|__nuxt|app-root|app-shell-root|application)$")


def _with_title(sections: list[Section], title: str) -> list[Section]:
    for s in sections:
        if not s.path or s.path[0] != title:
            s.path.insert(0, title)
    return sections


def _pick_title(texts: list[str], title_tag: str, url: str) -> str:
    """The <h1> (the one most like <title> if several), else <title> without its site suffix, else the URL."""
    if len(texts) > 1 and title_tag:
        want = set(title_tag.lower().split())
        texts.sort(key=lambda t: -len(want & set(t.lower().split())) / len(t.split()))
    if texts:
        return texts[0]
    return _TITLE_SUFFIX.sub("", title_tag).strip() or title_tag or url


def extract(html: str, url: str) -> Article:
    """Extract the article of an HTML page fetched from `url` (links resolve against it, or its <base>)."""
    soup = BeautifulSoup(html, "lxml")
    title_tag, canonical_url, base = "", None, url
    for t in soup.head.children if soup.head else ():
        if isinstance(t, Tag) and t.name == "title":
            title_tag = _words(t.get_text())
        elif isinstance(t, Tag) and t.name == "link" and "canonical" in _attr(t, "rel").split() and _attr(t, "href"):
            canonical_url = canonical_url or canonical(urljoin(url, _attr(t, "href")))
        elif isinstance(t, Tag) and t.name == "base" and _attr(t, "href"):
            base = urljoin(url, _attr(t, "href"))
    body = soup.body or soup
    pruner = _Pruner(html)
    pruner.walk(body)
    root = body
    if pruner.candidates:
        sizes = [(len(c.get_text()), c) for c in pruner.candidates]
        best_len, best = max(sizes, key=lambda s: s[0])
        inner = [(n, c) for n, c in sizes if n >= 0.9 * best_len and any(p is best for p in c.parents)]
        best_len, best = min(inner, key=lambda s: s[0]) if inner else (best_len, best)
        if best_len >= 0.25 * len(body.get_text()):
            root = best
    renderer = _Renderer()
    renderer.walk(root)
    renderer.block_break()
    renderer.close_section()
    h1s = renderer.h1s or [t for t in map(heading_text, _tags(body, {"h1"})) if t]
    title = _pick_title(h1s, title_tag, url)
    sections = _with_title(renderer.sections, title)
    text_chars = sum(len(s.text) for s in sections)
    skip = {canonical(url)} | ({canonical_url} if canonical_url else set())
    hrefs = [_attr(a, "href") for a in _tags(root, {"a"})] + pruner.nav_hrefs
    needs_js = text_chars < 200 and (
        pruner.saw_script or bool(soup.find("script")) or "javascript" in pruner.noscript
        or soup.find(id=_ROOT_IDS) is not None or soup.find(lambda t: "-" in t.name) is not None)
    return Article(title=title, canonical_url=canonical_url, sections=sections, links=_resolve(hrefs, base, skip),
                   text_chars=text_chars, needs_js=needs_js)
