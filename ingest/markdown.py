"""Article extraction for text/plain and markdown bodies.

`extract_text(text, url)` splits a plain-text or markdown body into sections at ATX (`#`) and setext
headings, keeping fenced code verbatim and dropping HTML comments; the first level-1 heading is the title
(else the URL). Links are taken from markdown link targets and bare http(s) URLs, resolved against `url`.
"""
from __future__ import annotations

import re

from ingest.article import _ZERO_WIDTH, Article, Section, _resolve, _words
from ingest.urls import canonical

_ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_MD_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)|(?<![(<\w])(https?://[^\s<>()\[\]\"']+)")


def _md_inline(heading: str) -> str:
    """A markdown heading's words: links become their text, emphasis and code marks go."""
    heading = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    heading = re.sub(r"(\*\*|__|`)", "", heading)
    return _words(re.sub(r"(?<![\w*])[*_](\S|\S[^*_]*\S)[*_](?![\w*])", r"\1", heading))


def extract_text(text: str, url: str) -> Article:
    """Article of a text/plain or markdown body: `#`/setext headings make sections; HTML comments are dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").translate(_ZERO_WIDTH).split("\n")
    blocks: list[tuple[int, str, list[str]]] = []  # (level, heading, lines); level 0 = text before any heading
    cur: list[str] = []
    heads: list[tuple[int, str]] = []
    fence = None
    prose: list[str] = []

    def flush_prose() -> None:
        cleaned = re.sub(r"<!--.*?(-->|\Z)", "", "\n".join(prose), flags=re.S)
        cur.extend(cleaned.split("\n") if prose else [])
        prose.clear()

    for line in lines:
        stripped = line.strip()
        if fence is not None:
            cur.append(line.rstrip())
            fence = None if stripped.startswith(fence) else fence
            continue
        if stripped.startswith(("```", "~~~")):
            flush_prose()
            fence = stripped[:3]
            cur.append(line.rstrip())
            continue
        m = _ATX.match(line)
        setext = (re.fullmatch(r"=+|-+", stripped) and prose and prose[-1].strip()
                  and not re.match(r"\s*([-*+]|\d+\.)\s", prose[-1]))
        if m or setext:
            head = _md_inline(m.group(2) if m else prose.pop())
            flush_prose()
            blocks.append((heads[-1][0] if heads else 0, heads[-1][1] if heads else "", cur))
            heads.append((len(m.group(1)) if m else (1 if stripped[0] == "=" else 2), head))
            cur = []
            continue
        prose.append(line.rstrip())
    flush_prose()
    blocks.append((heads[-1][0] if heads else 0, heads[-1][1] if heads else "", cur))
    title = next((h for lvl, h in heads if lvl == 1 and h), url)
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    for level, head, body in blocks:
        if level:
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, head))
        body_text = re.sub(r"\n{3,}", "\n\n", "\n".join(body)).strip("\n")
        if body_text.strip():
            path = [h for _, h in stack]
            if not path or path[0] != title:
                path.insert(0, title)
            sections.append(Section(path=path, anchor=None, text=body_text))
    hrefs = [a or b.rstrip(".,;:!?") for a, b in _MD_LINK.findall(text)]
    return Article(title=title, canonical_url=None, sections=sections, links=_resolve(hrefs, url, {canonical(url)}),
                   text_chars=sum(len(s.text) for s in sections), needs_js=False)
