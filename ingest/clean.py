"""Dropping what a reader does not see as the article: boilerplate and hidden elements.

`_Pruner` walks a page body once and removes scripts and styles, site chrome (nav, header, footer, sidebars,
breadcrumbs, cookie banners, feedback and edit widgets) and **hidden elements** (`hidden`, `aria-hidden="true"`,
inline or page-stylesheet `display:none` / `visibility:hidden` / `font-size:0` / `opacity:0` / off-screen,
closed `<dialog>`, comments) - hidden text is how pages smuggle instructions into a model, so it never reaches
a section. `_css_hidden` finds the classes and ids the page's own `<style>` blocks hide. While pruning, the
walk keeps the links of the site's table of contents / sidebars and the candidate main containers.
"""
from __future__ import annotations

import re

from bs4 import NavigableString, PageElement, Tag

from ingest.article import _HEADINGS, _attr, _tags

_DROP = frozenset("script style noscript template svg iframe form button input select textarea object embed "
                  "canvas link meta dialog audio video map head title".split())
_CHROME = frozenset("nav header footer aside".split())
_DROP_ROLES = frozenset("banner contentinfo search alert alertdialog dialog".split())
_NAV_ROLES = frozenset("navigation doc-toc complementary".split())
_HIDE_CSS = re.compile(
    r"(?<![-\w])(display\s*:\s*none|visibility\s*:\s*(hidden|collapse)|opacity\s*:\s*(0*\.)?0+\s*(!important)?\s*(;|$)"
    r"|font-size\s*:\s*(0*\.)?0+(px|em|rem|pt|%)?\s*(!important)?\s*(;|$)|(left|top|text-indent)\s*:\s*-\d{3,}"
    r"|clip\s*:\s*rect\(\s*0|color\s*:\s*transparent)")
_HIDDEN_CLASSES = frozenset("hidden d-none sr-only visually-hidden visuallyhidden screen-reader-text is-hidden hide "
                            "invisible u-hidden".split())
_SHOWN_AT = re.compile(r"^(\w+:(block|flex|inline|inline-block|grid|table|contents)|d-\w+-(block|flex|inline|grid))$")
_JUNK = re.compile(r"cookie|consent|gdpr|breadcrumb|(^|[-_])skip($|[-_])|skip-?(link|nav|to)|feedback"
                   r"|edit-?(this-?)?page|edit-on-github|page-utilities|helpful|theme-toggle|share-?buttons|social-?share|announcement"
                   r"|back-?to-?top|copy-?button|(^|[-_])linenos?($|[-_])")
_NAVLIKE = re.compile(r"sidebar|(^|[-_])(toc|menu|pagination|prev-?next|related)($|[-_])")
_CANDIDATE = re.compile(r"^(body|document|md-content|theme-doc-markdown|rst-content|markdown-body|main-content"
                        r"|main-col-body|content|page-content|post-content|entry-content|documentation)$")
_STYLE = re.compile(r"<style[^>]*>(.*?)</style\s*>", re.S | re.I)


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
                self.nav_hrefs.extend(_attr(a, "href") for a in _tags(tag, {"a"}))
            return True
        return name == "a" and str(attrs.get("href", "")).startswith("#") \
            and tag.get_text().strip().lower().startswith("skip to")

    def walk(self, root: Tag) -> None:
        """Prune `root`'s subtree in document order (iteratively: pages can nest thousands deep)."""
        stack: list[tuple[PageElement, bool, bool]] = [(c, False, False) for c in reversed(root.contents)]
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
