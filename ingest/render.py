"""Rendering a pruned HTML content root into heading sections.

`_Renderer` walks the chosen container and produces one `Section` per heading, keeping line structure:
paragraphs, `- ` / `1. ` lists with indentation, `a | b` table rows (layout tables read cell by cell), and
fenced code kept verbatim with its language. `heading_text` gives a heading's words without permalink marks
or section numbers; `heading_anchor` finds the fragment that lands on a heading.
"""
from __future__ import annotations

import re

from bs4 import NavigableString, Tag

from ingest.article import _HEADINGS, _ZERO_WIDTH, Section, _attr, _tags, _words

_BLOCKS = frozenset("p div section article main blockquote figure figcaption details summary hr address "
                    "center fieldset dl caption".split())
_CELL_BLOCKS = frozenset(("p", "div", "ul", "ol", "pre", "dl", "table", "h2", "h3", "h4", "blockquote"))
_PERMALINK = frozenset(("", "¶", "#", "§", "🔗", "link"))
_LANG = re.compile(r"(?:language|lang|highlight|sourceCode)-([\w+#.-]+)")
_MAX_DEPTH = 120


class _Renderer:
    """Renders the content root into sections, one per heading, keeping line structure."""

    def __init__(self) -> None:
        self.h1s: list[str] = []
        self.sections: list[Section] = []
        self.stack: list[tuple[int, str]] = []
        self.anchor: str | None = None
        self.lines: list[str] = []
        self.inline: list[str] = []
        self.indent, self.list_depth, self.depth = "", 0, 0
        self.first_prefix: str | None = None  # the marker line's prefix ("- ", "1. ") until it is emitted

    def emit(self, line: str) -> None:
        prefix = self.first_prefix if self.first_prefix is not None else self.indent
        self.first_prefix = None
        self.lines.append(prefix + line)

    def flush(self) -> None:
        text = _words("".join(self.inline))
        self.inline = []
        if text:
            self.emit(text)

    def block_break(self) -> None:
        self.flush()
        if self.list_depth == 0 and self.lines and self.lines[-1]:
            self.lines.append("")

    def close_section(self) -> None:
        self.flush()
        text = "\n".join(line.rstrip() for line in self.lines).strip("\n")
        if text.strip():  # the title is put in front of paths once known (see _with_title)
            self.sections.append(Section(path=[t for _, t in self.stack], anchor=self.anchor, text=text))
        self.lines = []

    def walk(self, el: Tag) -> None:
        if self.depth > _MAX_DEPTH:  # absurdly deep markup: already pruned, so read the rest flat
            self.inline.append(el.get_text(" "))
            return
        self.depth += 1
        try:
            self._walk(el)
        finally:
            self.depth -= 1

    def _walk(self, el: Tag) -> None:
        for child in el.children:
            if not isinstance(child, Tag):
                if type(child) is NavigableString:
                    self.inline.append(str(child))
                continue
            name = child.name
            if name in _HEADINGS:
                self.heading(child)
            elif name == "pre":
                self.code(child)
            elif name == "table":
                self.table(child)
            elif name in ("ul", "ol", "dl"):
                self.listing(child)
            elif name in ("li", "dd"):
                self.item(child, "- " if name == "li" else "  ")
            elif name == "br":
                self.flush()
            elif name == "code" or name == "kbd":
                code = _words(child.get_text())
                if code:
                    self.inline.append(f"`{code}`")
            elif name in _BLOCKS or name == "dt":
                self.block_break()
                self.walk(child)
                self.block_break()
            else:
                self.walk(child)

    def heading(self, h: Tag) -> None:
        text = heading_text(h)
        if not text:
            return
        self.block_break()
        self.close_section()
        level = _HEADINGS[h.name]
        if level == 1:
            self.h1s.append(text)
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))
        self.anchor = heading_anchor(h)

    def code(self, pre: Tag) -> None:
        self.block_break()
        classes = " ".join(c for t in (pre, pre.code, pre.parent, pre.parent and pre.parent.parent)
                           if isinstance(t, Tag) for c in (t.get("class") or ()))
        m = _LANG.search(classes)
        lang = m.group(1) if m and m.group(1) not in ("default", "none", "notranslate") else ""
        body = pre.get_text().translate(_ZERO_WIDTH).strip("\n")
        if body.strip():
            self.lines.extend([f"```{lang}", *(line.rstrip() for line in body.split("\n")), "```"])
        self.block_break()

    def table(self, table: Tag) -> None:
        self.block_break()
        rows = [[c for c in tr.children if isinstance(c, Tag) and c.name in ("td", "th")]
                for tr in _tags(table, {"tr"})]
        cells = [c for row in rows for c in row]
        if not any(c.name == "th" for c in cells) and any(
                sum(isinstance(b, Tag) and b.name in _CELL_BLOCKS for b in c.children) > 1 for c in cells):
            for cell in cells:  # a layout table (cells holding several blocks): read each cell as a block
                self.walk(cell)
                self.block_break()
            return
        if table.caption:
            self.emit(_words(table.caption.get_text(" ")))
        for row in rows:
            texts = [_words(c.get_text(" ")) for c in row]
            if any(texts):
                self.emit(" | ".join(texts))
        self.block_break()

    def listing(self, lst: Tag) -> None:
        self.block_break()
        start = _attr(lst, "start")
        n = int(start) if start.isdigit() else 1
        for child in lst.children:
            if isinstance(child, Tag) and child.name == "li":
                self.item(child, f"{n}. " if lst.name == "ol" else "- ")
                n += 1
            elif isinstance(child, Tag) and child.name == "dd":
                self.item(child, "  ")
            elif isinstance(child, Tag):
                self.flush()
                self.walk(child)
                self.flush()
        self.block_break()

    def item(self, li: Tag, marker: str) -> None:
        self.flush()
        saved = (self.indent, self.first_prefix)
        self.first_prefix, self.indent = self.indent + marker, self.indent + " " * len(marker)
        self.list_depth += 1
        self.walk(li)
        self.flush()
        self.list_depth -= 1
        self.indent, self.first_prefix = saved


def heading_text(h: Tag) -> str:
    """The heading's words, without permalink marks ("¶", "#") or Sphinx section numbers."""
    parts = []
    for node in h.descendants:
        if isinstance(node, Tag) and node.name == "br":
            parts.append(" ")
        elif type(node) is NavigableString:
            parent = node.parent
            if parent is None:
                continue
            permalink = parent.name == "a" and _words(parent.get_text()) in _PERMALINK
            if permalink and _attr(parent, "href").startswith("#"):
                continue
            if "section-number" in _attr(parent, "class").split():
                continue
            parts.append(str(node))
    return _words("".join(parts)).rstrip("¶").strip()


def heading_anchor(h: Tag) -> str | None:
    """Fragment that lands on this heading: its id, a permalink's or inner <a>'s, its section's, a preceding
    marker's."""
    if _attr(h, "id"):
        return _attr(h, "id")
    for a in _tags(h, {"a"}):
        href = _attr(a, "href")
        if _attr(a, "id") or _attr(a, "name"):
            return _attr(a, "id") or _attr(a, "name")
        if href.startswith("#") and len(href) > 1:  # a permalink, or the heading text linking to itself
            return href[1:]
    parent = h.parent
    if isinstance(parent, Tag) and parent.name in ("section", "div") and _attr(parent, "id"):
        first = next((c for c in parent.children if isinstance(c, Tag) and c.name in _HEADINGS), None)
        if first is h:
            return _attr(parent, "id")
    prev = h.find_previous_sibling()
    if prev is not None and prev.name in ("a", "span") and not prev.get_text().strip():
        return _attr(prev, "id") or _attr(prev, "name") or None
    return None
