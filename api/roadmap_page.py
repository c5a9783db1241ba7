"""The roadmap rendered as one HTML page, with a stable anchor for every week and section, so that a citation
of the roadmap's own text (`roadmap.md#week-9`) can open where it points.

The markdown is rendered by markdown-it-py (CommonMark, tables, bare URLs made links, raw HTML shown as text).
Every heading gets an `id`: the sections the ingest job cites keep exactly the anchors `ingest.roadmap` gives
them (`week-9` for a week, a GitHub-style slug such as `roadmap-overview` for a top-level section), and any
other heading gets its slug, made unique. `citation_link` maps a roadmap citation to the page (or to the
course's own copy of it, `RA_ROADMAP_URL`).
"""
from __future__ import annotations

import functools
import html
from dataclasses import replace
from typing import TYPE_CHECKING

from markdown_it import MarkdownIt

from ingest.roadmap import clean, parse_roadmap, slug
from vectorstore.retrieve import ROADMAP_URL

if TYPE_CHECKING:
    from api.extractive import Citation

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{margin:0;font:16px/1.55 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2937;
background:#f9fafb}}
.wrap{{display:flex;gap:24px;max-width:1100px;margin:0 auto;padding:24px 16px}}
nav{{flex:none;width:220px;position:sticky;top:16px;align-self:flex-start;max-height:calc(100vh - 32px);overflow:auto;
font-size:14px}}
nav ol{{list-style:none;margin:0;padding:0}} nav li{{margin:2px 0}}
nav a{{color:#1d4ed8;text-decoration:none}} nav a:hover{{text-decoration:underline}}
main{{flex:1;min-width:0;background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:8px 28px 28px}}
h1,h2,h3,h4{{scroll-margin-top:12px;line-height:1.3}} a{{color:#1d4ed8;overflow-wrap:anywhere}}
:target{{background:#fef3c7;outline:4px solid #fef3c7;border-radius:4px}}
code{{background:#f3f4f6;padding:0 3px;border-radius:4px}} table{{border-collapse:collapse}}
td,th{{border:1px solid #d1d5db;padding:4px 8px}}
@media (max-width:760px){{.wrap{{display:block}} nav{{position:static;width:auto;max-height:none;margin-bottom:16px}}}}
</style></head>
<body><div class="wrap"><nav aria-label="Weeks"><strong>Weeks</strong><ol>{nav}</ol></nav>
<main>{stray}{body}</main></div></body></html>
"""


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": True}).enable(["linkify", "table", "strikethrough"])


@functools.lru_cache(maxsize=4)
def render(text: str) -> str:
    """The page for roadmap markdown `text` (cached by text: the file is re-read, the rendering is not)."""
    roadmap = parse_roadmap(text)
    md = _markdown()
    tokens = md.parse(text)
    pending = [(s.title, s.anchor) for s in roadmap.sections]  # document order, as the ingest job cites them
    used = {anchor for _t, anchor in pending}
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        title = clean(tokens[i + 1].content)
        match = next((k for k, (t, _a) in enumerate(pending) if t == title), None)
        if match is not None:
            anchor = pending.pop(match)[1]
        else:
            base, k = slug(title) or "section", 0
            anchor = base
            while anchor in used:
                k += 1
                anchor = f"{base}-{k}"
            used.add(anchor)
        token.attrSet("id", anchor)
    # a cited section without a heading of its own (the text before the first heading): anchor the page's top
    stray = "".join(f'<span id="{html.escape(a)}"></span>' for _t, a in pending)
    nav = "".join(f'<li><a href="#{w.anchor}">Week {w.number}: {html.escape(w.title)}</a></li>' for w in roadmap.weeks)
    body = md.renderer.render(tokens, md.options, {})
    return PAGE.format(title=html.escape(roadmap.title), nav=nav, stray=stray, body=body)


def is_roadmap_url(url: str) -> bool:
    return url == ROADMAP_URL or url.startswith(ROADMAP_URL + "#")


def citation_link(url: str, target: str) -> str:
    """Where a roadmap citation (`roadmap.md#week-9`) opens: the same anchor on `target`."""
    anchor = url.partition("#")[2]
    return target.partition("#")[0] + (f"#{anchor}" if anchor else "")


def link_citations(citations: list[Citation], target: str) -> list[Citation]:
    """The citations, those of the roadmap's own text with a `deep_link` that opens on `target`."""
    return [replace(c, deep_link=citation_link(c.url, target)) if is_roadmap_url(c.url) else c for c in citations]
