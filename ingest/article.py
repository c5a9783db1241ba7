"""Article data and the small helpers every extractor shares.

`Section` (one heading's text with its heading path and anchor) and `Article` (title, canonical URL, sections,
outgoing links, size, whether the page needs JavaScript) are what `ingest.extract.extract` and
`ingest.markdown.extract_text` return. Alongside them live the helpers both paths use: whitespace and
zero-width normalisation (`_words`), an attribute as text (`_attr`), a cheap descendant-tag filter (`_tags`),
the heading levels, and
`_resolve`, which turns raw hrefs into absolute, canonical, deduplicated http(s) links.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urljoin

from bs4 import Tag

from ingest.urls import canonical


@dataclass
class Section:
    path: list[str]  # heading path; path[0] is always the article title
    anchor: str | None  # fragment id that lands on the section's heading
    text: str


@dataclass
class Article:
    title: str
    canonical_url: str | None
    sections: list[Section]
    links: list[str]  # absolute, fragment-free, deduplicated: article body first, then TOC / sidebars
    text_chars: int
    needs_js: bool


_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def _words(s: str) -> str:
    return " ".join(s.translate(_ZERO_WIDTH).split())


def _attr(tag: Tag, name: str) -> str:
    """An attribute's text: "" when absent, a multi-valued one (class, rel) joined by spaces."""
    value = tag.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)


def _tags(el: Tag, names: frozenset[str] | set[str]) -> Iterator[Tag]:
    """Descendant tags named `names`, in document order (cheaper than find_all's filter machinery)."""
    return (d for d in el.descendants if isinstance(d, Tag) and d.name in names)


def _resolve(hrefs: list[str], base: str, skip: set[str]) -> list[str]:
    out: list[str] = []
    seen, raw_seen = set(skip), set()
    for href in hrefs:
        href = href.strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")) or href in raw_seen:
            continue
        raw_seen.add(href)
        try:
            absolute = quote(canonical(urljoin(base, href)), safe=_URL_SAFE)
        except ValueError:  # malformed (bad port, broken IPv6 literal): not a link we can follow
            continue
        if absolute.startswith(("http://", "https://")) and absolute not in seen:
            seen.add(absolute)
            out.append(absolute)
    return out
