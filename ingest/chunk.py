"""Chunking: an article's sections cut into embeddable pieces that follow its heading structure.

Every chunk's text is a heading line ("Title > Section > Sub"), a blank line, then body text. A section's
text is cut into blocks (paragraphs; fenced code blocks, kept whole when they fit) and the blocks are packed
into pieces of at most `max_tokens`. A block too big for one piece is split with LangChain's
RecursiveCharacterTextSplitter, preferring lines, then sentences, then words; a run with no break at all is
cut by characters, and a code block is cut at lines and each part fenced again. Consecutive pieces of one
section overlap: each starts with the last few words (at most `overlap_tokens`) of the one before.

Small neighbouring sections under the same parent (siblings, or a section and its subsections) are merged
while the result stays under `max_tokens`; each part keeps its own heading line. A merged chunk's
`section_path` is the paths' common prefix (their parent), and its `anchor` is the first part's (where the
merged text starts on the page).

Limits: `count_tokens` counts wordpieces WITHOUT special tokens. `hard_limit` is the model's maximum sequence
length INCLUDING its 2 special tokens ([CLS], [SEP]), so every chunk has
`count_tokens(chunk.text) <= hard_limit - SPECIAL_TOKENS` (254 for all-MiniLM-L6-v2): it is checked on the
final text, and nothing is truncated to get there. Chunks also hold at most `CHARS_PER_TOKEN` characters per
token of budget, so long runs the tokenizer counts as one [UNK] are split too.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.extract import Section

SPECIAL_TOKENS = 2
CHARS_PER_TOKEN = 10
_PROSE_SEPARATORS = ["\n", ". ", "? ", "! ", "; ", ", ", " "]
_CODE_SEPARATORS = ["\n\n", "\n", " "]
_FENCE = re.compile(r"^\s*(```|~~~)")
_MIN_OVERLAP = 4


@dataclass
class Chunk:
    text: str  # heading line, blank line, body: what is embedded and shown
    section_path: list[str]
    anchor: str | None
    index: int  # position in the page, 0-based
    tokens: int  # count_tokens(text), without special tokens


@dataclass
class _Piece:
    head: str
    body: str
    path: list[str]
    anchor: str | None
    section: int
    cost: int

    @property
    def text(self) -> str:
        return f"{self.head}\n\n{self.body}"


class _Cost:
    """Token count (memoized) with a floor of one token per CHARS_PER_TOKEN characters."""

    def __init__(self, count_tokens: Callable[[str], int]):
        self.count = count_tokens
        self.memo: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        n = self.memo.get(text)
        if n is None:
            n = self.memo[text] = self.count(text)
        return max(n, -(-len(text) // CHARS_PER_TOKEN))


def wordpiece_counter(tokenizer_json: str | Path) -> Callable[[str], int]:
    """count_tokens for a HuggingFace tokenizer.json: its own copy, with truncation and padding off
    (all-MiniLM-L6-v2's file ships with both set to 128, which would make every count 128)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_json))
    tok.no_truncation()
    tok.no_padding()
    return lambda text: len(tok.encode(text, add_special_tokens=False).ids)


def heading_line(title: str, path: list[str]) -> str:
    """'Title > Section > Sub' for a section path (whose first element is the article title)."""
    return " > ".join(" ".join(p.split()) for p in [title, *path[1:]])


def _hard_split(text: str, size: int, cost: _Cost) -> list[str]:
    """Cut by characters: the longest prefix that fits, again and again (for runs with no separator)."""
    out = []
    while text:
        lo, hi = 1, min(len(text), size * CHARS_PER_TOKEN)
        while lo < hi:  # largest n with cost(text[:n]) <= size
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if cost(text[:mid]) <= size else (lo, mid - 1)
        out.append(text[:lo])
        text = text[lo:]
    return out


def _split(text: str, size: int, cost: _Cost, code: bool) -> list[str]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter  # 0.2 s to import: only when a page changed

    splitter = RecursiveCharacterTextSplitter(
        separators=_CODE_SEPARATORS if code else _PROSE_SEPARATORS, keep_separator="end", chunk_size=size,
        chunk_overlap=0, length_function=cost, strip_whitespace=not code)
    out: list[str] = []
    for part in splitter.split_text(text):
        out.extend(_hard_split(part, size, cost) if cost(part) > size else [part])
    return [p.strip("\n") if code else p.strip() for p in out if p.strip()]


def _blocks(text: str) -> list[tuple[str, bool]]:
    """Paragraphs (split at blank lines) and fenced code blocks, as (text, is_code)."""
    out: list[tuple[str, bool]] = []
    para: list[str] = []
    code: list[str] | None = None
    for line in text.split("\n"):
        if code is not None:
            code.append(line)
            if _FENCE.match(line):
                out.append(("\n".join(code), True))
                code = None
        elif _FENCE.match(line) or not line.strip():
            if para:
                out.append(("\n".join(para), False))
                para = []
            code = [line] if line.strip() else None
        else:
            para.append(line)
    if para:
        out.append(("\n".join(para), False))
    if code:
        out.append(("\n".join(code), True))  # an unclosed fence: still code
    return out


def _split_code(block: str, size: int, cost: _Cost) -> list[str]:
    lines = block.split("\n")
    opening = lines[0].strip()
    closed = len(lines) > 1 and _FENCE.match(lines[-1]) is not None
    closing = lines[-1].strip() if closed else opening[:3]
    inner = "\n".join(lines[1:-1] if closed else lines[1:])
    room = max(size - cost(f"{opening}\n{closing}"), 8)
    return [f"{opening}\n{part}\n{closing}" for part in _split(inner, room, cost, code=True)]


def _tail(text: str, limit: int, cost: _Cost) -> str:
    """The last words of `text` costing at most `limit`, starting at a sentence start when one is near."""
    starts = [m.start() for m in re.finditer(r"(?<!\S)\S", text)][-limit:]
    lo, hi = 0, len(starts)
    while lo < hi:  # first word start whose suffix fits
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if cost(text[starts[mid]:]) <= limit else (mid + 1, hi)
    if lo == len(starts):
        return ""
    tail = text[starts[lo]:]
    m = re.search(r"[.!?:](?=\s)|\n", tail)
    if m and len(tail) - m.end() >= 0.4 * len(tail):
        tail = tail[m.end():].strip()
    return tail


def _pack(text: str, budget: int, overlap: int, cost: _Cost) -> list[tuple[str, int]]:
    """One section's body pieces (text, cost), each costing at most `budget`."""
    units: list[tuple[str, bool, int, bool]] = []  # (text, is_code, cost, continues the unit before)
    for block, is_code in _blocks(text):
        c = cost(block)
        if c <= budget:
            units.append((block, is_code, c, False))
        else:
            parts = _split_code(block, budget, cost) if is_code \
                else _split(block, max(budget - overlap, budget // 2), cost, code=False)
            units.extend((p, is_code, cost(p), i > 0 and not is_code) for i, p in enumerate(parts))
    pieces: list[tuple[str, int]] = []
    cur: list[str] = []
    cur_cost = 0
    last: tuple[str, bool] | None = None
    for unit, is_code, c, cont in units:
        if cur and cur_cost + c <= budget:
            cur.append(unit)
            cur_cost += c
        else:
            if cur:
                pieces.append(("\n\n".join(cur), cur_cost))
            cur, cur_cost = [unit], c
            room = min(overlap, budget - c)
            if last and not last[1] and room >= _MIN_OVERLAP:  # overlap from prose (also gives code its lead-in)
                tail = _tail(last[0], room, cost)
                if tail:
                    cur, cur_cost = [tail + (" " if cont else "\n\n") + unit], c + cost(tail)
        last = (unit, is_code)
    if cur:
        pieces.append(("\n\n".join(cur), cur_cost))
    return pieces


def _related(first: list[str], path: list[str]) -> bool:
    """A sibling of `first`, or one of its subsections."""
    return path[:-1] == first[:-1] or path[:len(first)] == first


def _common(parts: list[_Piece]) -> list[str]:
    """The longest path prefix shared by all parts."""
    path = parts[0].path
    for p in parts[1:]:
        k = next((j for j, (a, b) in enumerate(zip(path, p.path, strict=False)) if a != b), min(len(path), len(p.path)))
        path = path[:k]
    return path


def _fit(head: str, body: str, count: Callable[[str], int], limit: int) -> list[tuple[str, int]]:
    """Last guard on the real count: halve the body at whitespace until every text fits (nothing dropped)."""
    text = f"{head}\n\n{body}"
    n = count(text)
    if n <= limit or len(body) <= 1:
        return [(text, n)]
    cut = body.rfind(" ", 0, len(body) // 2 + 1)
    cut = cut if cut > 0 else len(body) // 2
    return _fit(head, body[:cut].strip() or body[:cut], count, limit) + \
        _fit(head, body[cut:].strip() or body[cut:], count, limit)


def chunk_article(title: str, sections: list[Section], count_tokens: Callable[[str], int],
                  max_tokens: int = 200, overlap_tokens: int = 24, hard_limit: int = 256) -> list[Chunk]:
    """Chunks of one page in document order; see the module docstring for the rules and limits."""
    limit = hard_limit - SPECIAL_TOKENS
    max_tokens = min(max_tokens, limit)
    if max_tokens < 16:
        raise ValueError(f"max_tokens must be at least 16 (got {max_tokens})")
    overlap_tokens = max(0, min(overlap_tokens, max_tokens // 4))
    cost = _Cost(count_tokens)
    pieces: list[_Piece] = []
    for i, section in enumerate(sections):
        if not section.text.strip():
            continue
        path = [title, *section.path[1:]]  # path[0] is the article title: use the caller's (it may retitle)
        head = heading_line(title, path)
        if cost(head) > max_tokens // 4:  # a label, not content: shorten it rather than starve the body
            head = _hard_split(head, max_tokens // 4 - 1, cost)[0].rstrip() + "…"
        head_cost = cost(head)
        for body, body_cost in _pack(section.text.strip("\n"), max_tokens - head_cost, overlap_tokens, cost):
            pieces.append(_Piece(head, body, path, section.anchor, i, head_cost + body_cost))
    groups: list[list[_Piece]] = []
    group_cost = 0
    for p in pieces:
        g = groups[-1] if groups else None
        if g and p.section != g[-1].section and _related(g[0].path, p.path) \
                and group_cost < max_tokens // 2 and group_cost + p.cost <= max_tokens:
            g.append(p)
            group_cost += p.cost
        else:
            groups.append([p])
            group_cost = p.cost
    chunks: list[Chunk] = []
    for g in groups:
        text = "\n\n".join(p.text for p in g)
        n = count_tokens(text)
        fitted = [(g, text, n)] if n <= limit else \
            [([p], t, m) for p in g for t, m in _fit(p.head, p.body, count_tokens, limit)]  # non-additive tokenizer
        for parts, t, m in fitted:
            chunks.append(Chunk(text=t, section_path=_common(parts) or [title], anchor=parts[0].anchor,
                                index=len(chunks), tokens=m))
    return chunks
