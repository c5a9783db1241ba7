"""Article extraction: the article of a fetched page, not the site around it.

`extract(html, url)` parses with BeautifulSoup+lxml and, in one walk of the body, drops everything a reader
does not see as the article: scripts and styles, site chrome (nav, header, footer, sidebars, breadcrumbs,
cookie banners, feedback and edit widgets) and **hidden elements** (`hidden`, `aria-hidden="true"`, inline
or page-stylesheet `display:none` / `visibility:hidden` / `font-size:0` / `opacity:0` / off-screen, closed
`<dialog>`, comments) - hidden text is how pages smuggle instructions into a model, so it never reaches a
section. Links in the site's table of contents / sidebars are collected before those are dropped. The main
container (`<main>`, `<article>`, doc-theme bodies ...) with the most text is then rendered into heading
sections: paragraphs, `- ` lists, `a | b` table rows, fenced code kept verbatim. `extract_text` does the
same for text/plain and markdown bodies (`#` headings become sections).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urljoin

from bs4 import BeautifulSoup, NavigableString, Tag

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


_DROP = frozenset("script style noscript template svg iframe form button input select textarea object embed "
                  "canvas link meta dialog audio video map head title".split())
_CHROME = frozenset("nav header footer aside".split())
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_BLOCKS = frozenset("p div section article main blockquote figure figcaption details summary hr address "
                    "center fieldset dl caption".split())
_CELL_BLOCKS = frozenset(("p", "div", "ul", "ol", "pre", "dl", "table", "h2", "h3", "h4", "blockquote"))
_DROP_ROLES = frozenset("banner contentinfo search alert alertdialog dialog".split())
_NAV_ROLES = frozenset("navigation doc-toc complementary".split())
_HIDE_CSS = re.compile(
    r"(?<![-\w])(display\s*:\s*none|visibility\s*:\s*(hidden|collapse)|opacity\s*:\s*(0*\.)?0+\s*(!important)?\s*(;|$)"
    r"|font-size\s*:\s*(0*\.)?0+(px|em|rem|pt|%)?\s*(!important)?\s*(;|$)|(left|top|text-indent)\s*:\s*-\d{3,}"
    r"|clip\s*:\s*rect\(\s*0|color\s*:\s*transparent)")
_HIDDEN_CLASSES = frozenset("hidden d-none sr-only visually-hidden visuallyhidden screen-reader-text is-hidden hide "
                            "invisible u-hidden".split())
_SHOWN_AT = re.compile(r"^(\w+:(block|flex|inline|inline-block|grid|table|contents)|d-\w+-(block|flex|inline|grid))$")
_JUNK = re.compile(r"cookie|consent|gdpr|breadcrumb|(^|[-_])skip($|[-_])|skip-?(link|nav|to)|feedback|edit-?(this-?)?page"
                   r"|edit-on-github|page-utilities|helpful|theme-toggle|share-?buttons|social-?share|announcement"
                   r"|back-?to-?top|copy-?button|(^|[-_])linenos?($|[-_])")
_NAVLIKE = re.compile(r"sidebar|(^|[-_])(toc|menu|pagination|prev-?next|related)($|[-_])")
_CANDIDATE = re.compile(r"^(body|document|md-content|theme-doc-markdown|rst-content|markdown-body|main-content"
                        r"|main-col-body|content|page-content|post-content|entry-content|documentation)$")
_PERMALINK = frozenset(("", "¶", "#", "§", "🔗", "link"))
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_LANG = re.compile(r"(?:language|lang|highlight|sourceCode)-([\w+#.-]+)")
_TITLE_SUFFIX = re.compile(r"\s+(?:—|–|-|\||·|::)\s+[^—–|·]*$")
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
_STYLE = re.compile(r"<style[^>]*>(.*?)</style\s*>", re.S | re.I)
_MAX_DEPTH = 120
_ROOT_IDS = re.compile(r"^(root|app|__next|__nuxt|app-root|app-shell-root|application)$")


def _words(s: str) -> str:
    return " ".join(s.translate(_ZERO_WIDTH).split())


def _tags(el: Tag, names: frozenset[str] | set[str]):
    """Descendant tags named `names`, in document order (cheaper than find_all's filter machinery)."""
    return (d for d in el.descendants if isinstance(d, Tag) and d.name in names)


def _css_hidden(html: str) -> tuple[set[str], set[str]]:
    """Classes and ids that the page's own <style> blocks hide (top-level rules with simple selectors)."""
    classes: set[str] = set()
    ids: set[str] = set()
    for style in _STYLE.findall(html):
        css = re.sub(r"/\*.*?\*/", "", style, flags=re.S)
        css = re.sub(r"@[\w-]+[^{;]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css)  # @media etc.: not always in force
        for sel, decl in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
            if _HIDE_CSS.search(decl.lower()):
                for s in sel.split(","):
                    m = re.fullmatch(r"\s*[\w-]*([.#])([\w-]+)\s*", s)
                    if m:
                        (classes if m.group(1) == "." else ids).add(m.group(2))
    return classes, ids


class _Pruner:
    """One walk over the body: drops hidden elements and site chrome, remembers nav links and candidates."""

    def __init__(self, html: str):
        self.hidden_classes, self.hidden_ids = _css_hidden(html)
        self.nav_hrefs: list[str] = []
        self.candidates: list[Tag] = []
        self.saw_script = False
        self.noscript = ""

    def hidden(self, tag: Tag, attrs: dict) -> bool:
        if "hidden" in attrs or str(attrs.get("aria-hidden", "")).strip().lower() == "true":
            return True
        style = attrs.get("style")
        if style and _HIDE_CSS.search(style.lower()):
            return True
        classes = attrs.get("class") or ()
        if any(c in _HIDDEN_CLASSES or c in self.hidden_classes for c in classes):
            return not any(_SHOWN_AT.match(c) for c in classes)
        return attrs.get("id") in self.hidden_ids

    def drop(self, tag: Tag, in_article: bool) -> bool:
        """Decide one element: True when it (and all it holds) is not part of any article."""
        name, attrs = tag.name, tag.attrs
        if name in _DROP:
            if name == "script":
                self.saw_script = True
            elif name == "noscript":
                self.noscript += tag.get_text(" ").lower()
            return True
        if attrs and self.hidden(tag, attrs):
            return True
        role = str(attrs.get("role", "")).lower()
        marks = (" ".join(attrs.get("class") or ()) + " " + str(attrs.get("id", ""))).lower().split()
        junk = role in _DROP_ROLES or any(_JUNK.search(m) for m in marks)
        if junk and name in ("section", "article", "main") or name in _HEADINGS:
            junk = False  # a content section about cookies is not a cookie banner
        if name in ("header", "footer") and in_article and not junk:
            return False  # an article's own header (title, byline) is content
        if name in _CHROME and "admonition" in marks:
            return False  # Sphinx renders notes as <aside class="admonition">
        if junk or name in _CHROME or role in _NAV_ROLES or any(_NAVLIKE.search(m) for m in marks):
            if not junk and name not in ("header", "footer"):  # the site's TOC / sidebar: keep its links
                self.nav_hrefs.extend(a.get("href", "") for a in _tags(tag, {"a"}))
            return True
        return name == "a" and str(attrs.get("href", "")).startswith("#") \
            and tag.get_text().strip().lower().startswith("skip to")

    def walk(self, root: Tag) -> None:
        """Prune `root`'s subtree in document order (iteratively: pages can nest thousands deep)."""
        stack: list[tuple[object, bool, bool]] = [(c, False, False) for c in reversed(root.contents)]
        while stack:
            node, in_article, in_candidate = stack.pop()
            if not isinstance(node, Tag):
                if type(node) is not NavigableString:
                    node.extract()  # comments, CDATA, processing instructions: never visible
                continue
            if self.drop(node, in_article):
                node.decompose()
                continue
            name, role, classes = node.name, node.get("role"), node.get("class") or ()
            is_cand = name in ("main", "article") or role == "main" or any(_CANDIDATE.match(c) for c in classes) \
                or _CANDIDATE.match(str(node.get("id", ""))) is not None \
                or (not in_candidate and name in ("div", "section") and "section" in classes)
            if is_cand:
                self.candidates.append(node)
            in_article = in_article or name in ("article", "main") or role == "main"
            stack.extend((c, in_article, in_candidate or is_cand) for c in reversed(node.contents))


class _Renderer:
    """Renders the content root into sections, one per heading, keeping line structure."""

    def __init__(self) -> None:
        self.h1s: list[str] = []
        self.sections: list[Section] = []
        self.stack: list[tuple[int, str]] = []
        self.anchor: str | None = None
        self.lines: list[str] = []
        self.inline: list[str] = []
        self.indent, self.first_prefix, self.list_depth, self.depth = "", None, 0, 0

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
        rows = [[c for c in tr.children if isinstance(c, Tag) and c.name in ("td", "th")] for tr in _tags(table, {"tr"})]
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
        n = int(lst.get("start", 1)) if str(lst.get("start", "1")).isdigit() else 1
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
            if parent.name == "a" and _words(parent.get_text()) in _PERMALINK and parent.get("href", "").startswith("#"):
                continue
            if "section-number" in (parent.get("class") or ()):
                continue
            parts.append(str(node))
    return _words("".join(parts)).rstrip("¶").strip()


def heading_anchor(h: Tag) -> str | None:
    """Fragment that lands on this heading: its id, a permalink's or inner <a>'s, its section's, a preceding marker's."""
    if h.get("id"):
        return h["id"]
    for a in _tags(h, {"a"}):
        href = a.get("href", "")
        if a.get("id") or a.get("name"):
            return a.get("id") or a.get("name")
        if href.startswith("#") and len(href) > 1:  # a permalink, or the heading text linking to itself
            return href[1:]
    parent = h.parent
    if isinstance(parent, Tag) and parent.name in ("section", "div") and parent.get("id"):
        first = next((c for c in parent.children if isinstance(c, Tag) and c.name in _HEADINGS), None)
        if first is h:
            return parent["id"]
    prev = h.find_previous_sibling()
    if prev is not None and prev.name in ("a", "span") and not prev.get_text().strip():
        return prev.get("id") or prev.get("name")
    return None


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
        elif isinstance(t, Tag) and t.name == "link" and "canonical" in (t.get("rel") or ()) and t.get("href"):
            canonical_url = canonical_url or canonical(urljoin(url, t["href"]))
        elif isinstance(t, Tag) and t.name == "base" and t.get("href"):
            base = urljoin(url, t["href"])
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
    hrefs = [a.get("href", "") for a in _tags(root, {"a"})] + pruner.nav_hrefs
    needs_js = text_chars < 200 and (
        pruner.saw_script or bool(soup.find("script")) or "javascript" in pruner.noscript
        or soup.find(id=_ROOT_IDS) is not None or soup.find(lambda t: "-" in t.name) is not None)
    return Article(title=title, canonical_url=canonical_url, sections=sections, links=_resolve(hrefs, base, skip),
                   text_chars=text_chars, needs_js=needs_js)


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
