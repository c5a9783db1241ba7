"""Extractive answers: the readable sentences of retrieved chunks, scored, picked and cited.

A chunk body is split into readable sentences (no heading line, code, table rows or fragments); each is scored by
the question's content words it holds (stemmed, weighted by how rare they are among the hits), its hit's heading
and rank; the best 2-4 (at most ~90 words) are kept in source order, each ending with its `[n]`, and the hits they
come from become `Citation`s renumbered 1..m by strength. With no readable sentence the answer points at the best
passage instead. `Citation` and `citation()` live here so that `api.answer` can import this module without a cycle.
"""
from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass

import Stemmer

from api.prompt import body_of

SNIPPET_CHARS = 240

@dataclass
class Citation:
    n: int
    url: str
    deep_link: str
    title: str
    section: str
    weeks: list[int]
    snippet: str


# ---------------------------------------------------------------- sentences and words
_FENCE = re.compile(r"^(```|~~~)")
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")
_BULLET = re.compile(r"^(?:[-*+•]|\d{1,2}[.)])\s+(?:\[[ xX]\]\s+)?")  # with a task-list checkbox
_SPLIT = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)\s+(?=`|[\"'(\[]?[A-Z0-9])")
_PLAIN = re.compile(r"^(?:[(\"'`]?[A-Za-z][A-Za-z'’-]*[.,;:!?)\"'`]*|https?://\S+)$")
_WORD = re.compile(r"[a-z0-9][a-z0-9+#]*(?:[._-][a-z0-9+#]+)*")
_STOP = frozenset(
    "a an the and or but if of to in on at by for with from into about as is are was were be been being do does "
    "did doing have has had i me my we our you your it its this that these those there here what which who whom "
    "whose when where why how can could should would will shall may might must not no so than then too very just "
    "also any some all each more most other such only own same few both up down out over under again further once "
    "use used using get learn week weeks tell explain please need want know mean".split())


def _tidy(sentence: str) -> str:
    s = " ".join(sentence.replace("\\(", "").replace("\\)", "").split()).rstrip(" :;,")
    return s if s.endswith((".", "!", "?")) else s + "."


def _is_prose(sentence: str) -> bool:
    words = sentence.split()
    if not 4 <= len(words) <= 60 or sum(sentence.count(c) for c in "{}=<>|;$") > 2:
        return False
    return sum(bool(_PLAIN.match(w)) for w in words) >= 0.6 * len(words)


def sentences(text: str) -> list[str]:
    """The readable sentences of a chunk: no heading line, code, table rows, headings or fragments."""
    found: list[str] = []
    paragraph: list[str] = []
    in_code = False
    title = text.strip().split("\n", 1)[0].split(" > ", 1)[0].strip()  # merged chunks repeat "Title > Sub" lines

    def end_paragraph() -> None:
        # A lone short line without closing punctuation is a sub-heading kept as text, not a sentence.
        if paragraph and not (len(paragraph) == 1 and len(paragraph[0].split()) <= 12 and paragraph[0][-1] not in ".!?:"):
            found.extend(_SPLIT.split(" ".join(paragraph)))
        paragraph.clear()

    for line in body_of(text).splitlines():
        s = _EMOJI.sub("", line).strip().replace("**", "")
        if _FENCE.match(s):
            in_code = not in_code
            end_paragraph()
        elif in_code:
            continue
        elif not s or s.startswith(("#", "|")) or " | " in s or s == title or s.startswith(title + " > "):
            end_paragraph()
        elif m := _BULLET.match(s):
            end_paragraph()
            found.extend(_SPLIT.split(s[m.end():]))
        else:
            paragraph.append(s)
    end_paragraph()
    return [_tidy(s) for s in found if _is_prose(s)]


_per_thread = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    """One stemmer per thread: PyStemmer objects must not be shared between threads."""
    if not hasattr(_per_thread, "stemmer"):
        _per_thread.stemmer = Stemmer.Stemmer("english")
    return _per_thread.stemmer


def terms(text: str) -> list[str]:
    """Stemmed content words of `text` (stop words and one-letter tokens left out)."""
    words = [w.strip("._-") for w in _WORD.findall(text.lower())]
    return _stemmer().stemWords([w for w in words if len(w) > 1 and w not in _STOP])


# ---------------------------------------------------------------- the extractive answer
@dataclass
class _Candidate:
    hit: int
    pos: int
    text: str
    terms: frozenset[str]
    words: int
    overlap: float  # share of the question's (idf-weighted) content words it holds
    base: float


def _candidates(question: str, hits: list) -> list[_Candidate]:
    q = set(terms(question))
    rows = [(i, j, s, frozenset(terms(s))) for i, hit in enumerate(hits) for j, s in enumerate(sentences(hit.text))]
    df: dict[str, int] = {}
    for *_, ts in rows:
        for t in ts & q:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log(1 + len(rows) / n) for t, n in df.items()}
    total = sum(idf.values()) or 1.0
    heading = [set(terms(hit.text.partition("\n")[0])) for hit in hits]
    out = []
    for i, j, s, ts in rows:
        words = len(s.split())
        overlap = sum(idf[t] for t in ts & q) / total / (1 + max(0, words - 25) / 50)
        topical = sum(idf.get(t, 0.0) for t in heading[i] & q) / total
        base = overlap + 0.3 * topical + 0.1 / (1 + i) + (0.03 if j == 0 else 0.0)
        out.append(_Candidate(i, j, s, ts, words, overlap, base))
    return out


_BARS = (0.0, 0.3, 0.55, 0.7)  # the share of the best score the 1st, 2nd, 3rd and 4th sentence must reach


def _pick(cands: list[_Candidate], max_words: int, max_sentences: int) -> list[_Candidate]:
    """Greedy choice: relevant sentences first; a neighbour of the first may join it as context."""
    relevant = any(c.overlap > 0 for c in cands)
    best = max((c.base for c in cands), default=0.0)
    picked: list[_Candidate] = []
    while len(picked) < (max_sentences if relevant else 2):
        used = sum(c.words for c in picked)

        def near(c: _Candidate) -> bool:
            return any(p.hit == c.hit and abs(p.pos - c.pos) == 1 for p in picked)

        def fits(c: _Candidate) -> bool:
            return (c not in picked and used + c.words <= max_words
                    and (c.overlap > 0 or not relevant or (len(picked) == 1 and near(c)))
                    and not any(c.text == p.text or len(c.terms & p.terms) > 0.7 * len(c.terms | p.terms)
                                for p in picked))

        options = [(c.base + (0.15 if near(c) else 0.0), c) for c in cands if fits(c)]
        if not options:
            break
        score, choice = max(options, key=lambda o: o[0])
        if score < _BARS[len(picked)] * best and not (len(picked) == 1 and near(choice)):
            break
        picked.append(choice)
    return picked


def _cite(sentence: str, n: int) -> str:
    return f"{sentence[:-1]} [{n}]{sentence[-1]}"


def citation(n: int, hit, snippet: str | None = None) -> Citation:
    """The citation numbered `n` for a hit; the snippet defaults to the first ~240 characters of its body."""
    meta = hit.meta or {}
    if snippet is None:
        body = " ".join(body_of(hit.text).split())
        snippet = body if len(body) <= SNIPPET_CHARS else body[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
    url = meta.get("url") or ""
    return Citation(n=n, url=url, deep_link=meta.get("deep_link") or url,
                    title=meta.get("title") or hit.text.partition("\n")[0].split(" > ")[0],
                    section=meta.get("section") or "", weeks=list(meta.get("weeks") or []), snippet=snippet)


def extract(question: str, hits: list, max_words: int = 90, max_sentences: int = 4) -> tuple[list[str], list[Citation]]:
    """The extractive answer as text pieces (sentences ending in `[n]`) and the citations they use."""
    picked = _pick(_candidates(question, hits), max_words, max_sentences)
    if not picked:  # nothing readable: point at the best passage instead of quoting code or tables
        hit = hits[0]
        heading = hit.text.partition("\n")[0].replace(" > ", ", ")
        return [f"The closest passage is in “{heading}” [1]."], [citation(1, hit)]
    strength: dict[int, float] = {}
    for c in picked:
        strength[c.hit] = max(strength.get(c.hit, 0.0), c.base)
    pieces, cited = [], []
    for n, i in enumerate(sorted(strength, key=lambda i: -strength[i]), start=1):
        used = sorted((c for c in picked if c.hit == i), key=lambda c: c.pos)
        pieces.extend(_cite(c.text, n) for c in used)
        cited.append(citation(n, hits[i], " ".join(c.text for c in used)))
    return pieces, cited
