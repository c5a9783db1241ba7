"""Answers with citations, from retrieved hits: extracted sentences by default, generated text with a model.

Without a model (or when it fails) the answer is extractive: the chunk bodies are split into readable sentences
(no heading line, code, table rows or fragments), each scored by the question's content words it holds
(weighted by how rare they are among the hits), its hit's heading and rank; the best 2-4 (at most ~90 words)
are kept in source order, each ending with its `[n]`. With a `ChatModel` the answer is generated from the
prompt in `api.prompt` and its citations verified (unknown numbers dropped, sources renumbered 1..m). A
retrieval that is not grounded is answered "I couldn't find this" with a pointer to the closest week, and a
widened one carries the note "This is covered in week 12, not week 9.". Nothing here raises on a model error.
"""
from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import Stemmer

from api.llm import ChatModel
from api.prompt import CitationRewriter, body_of, build_messages

log = logging.getLogger(__name__)

NOT_FOUND = "I couldn't find this in the roadmap's sources."
MODEL_UNAVAILABLE = "The model was unavailable, so this answer is quoted from the sources."
MODEL_CUT = "The model's reply was cut off; this is the part that arrived."
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


@dataclass
class Answer:
    answer: str
    citations: list[Citation]
    grounded: bool
    mode: str  # "extractive" | "llm" | "none"
    week: int | None
    scope: str
    widened: bool
    suggested: dict | None
    note: str | None = None


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


# ---------------------------------------------------------------- notes
def _weeks(weeks: list[int]) -> str:
    weeks = sorted(set(weeks))
    if len(weeks) == 1:
        return f"week {weeks[0]}"
    return "weeks " + ", ".join(map(str, weeks[:-1])) + f" and {weeks[-1]}"


def widened_note(retrieval) -> str | None:
    """'This is covered in week 12, not week 9.' when the search had to leave the asked week."""
    if not retrieval.widened or retrieval.week is None:
        return None
    weeks = (retrieval.suggested or {}).get("weeks") or (retrieval.hits and retrieval.hits[0].meta.get("weeks"))
    weeks = [w for w in weeks or [] if w != retrieval.week]
    if weeks:
        return f"This is covered in {_weeks(weeks)}, not week {retrieval.week}."
    return f"Week {retrieval.week}'s material doesn't cover this; this answer draws on the rest of the roadmap."


def closest(suggested: dict | None) -> str:
    """' The closest material is in week 12: <title>.' (or '' without a suggestion)."""
    title = (suggested or {}).get("title")
    if not title:
        return ""
    weeks = suggested.get("weeks")
    return f" The closest material is in {_weeks(weeks)}: {title}." if weeks else f" The closest material is {title}."


# ---------------------------------------------------------------- the answerer
class Answerer:
    """Composes answers: generated by `llm` when there is one and it works, extracted otherwise."""

    def __init__(self, llm: ChatModel | None = None, max_words: int = 90):
        self.llm = llm
        self.max_words = max_words

    def _answer(self, retrieval, text: str, citations: list[Citation], mode: str, note: str | None) -> Answer:
        return Answer(answer=text, citations=citations, grounded=bool(citations), mode=mode, week=retrieval.week,
                      scope=retrieval.scope, widened=retrieval.widened, suggested=retrieval.suggested, note=note)

    def _not_found(self, retrieval) -> Answer:
        return self._answer(retrieval, NOT_FOUND + closest(retrieval.suggested), [], "none", None)

    def _extractive(self, question: str, retrieval, reason: str | None = None) -> tuple[list[str], Answer]:
        pieces, citations = extract(question, retrieval.hits, self.max_words)
        widened = widened_note(retrieval)
        tokens = [p + " " for p in ([widened] if widened else []) + pieces[:-1]] + pieces[-1:]
        note = " ".join(n for n in (widened, reason) if n) or None
        return tokens, self._answer(retrieval, "".join(tokens), citations, "extractive", note)

    def _generated(self, retrieval, rewriter: CitationRewriter, text: str, reason: str | None) -> tuple[str, Answer]:
        """The verified model text as an Answer, and the tail added to it (widened note or closest week)."""
        hits = retrieval.hits
        citations = [citation(n, hits[original - 1]) for n, original in enumerate(rewriter.order, start=1)]
        widened = widened_note(retrieval) if citations else None
        tail = (" " + widened) if widened else ("" if citations else closest(retrieval.suggested))
        note = " ".join(n for n in (widened, reason) if n) or None
        return tail, self._answer(retrieval, text + tail, citations, "llm", note)

    def answer(self, question: str, retrieval) -> Answer:
        """The answer to `question` from `retrieval`; never raises on a model failure."""
        if not (retrieval.grounded and retrieval.hits):
            return self._not_found(retrieval)
        if self.llm is None:
            return self._extractive(question, retrieval)[1]
        try:
            text = self.llm.complete(build_messages(question, retrieval.hits))
        except Exception as exc:  # any failure of the model: connection, status, timeout, bad reply
            log.warning("chat model failed, answering extractively: %r", exc)
            return self._extractive(question, retrieval, MODEL_UNAVAILABLE)[1]
        rewriter = CitationRewriter(len(retrieval.hits))
        if not (verified := rewriter.rewrite(text)):
            return self._extractive(question, retrieval, MODEL_UNAVAILABLE)[1]
        return self._generated(retrieval, rewriter, verified, None)[1]

    def stream(self, question: str, retrieval) -> Iterator[tuple[str, object]]:
        """Yields ("token", str) pieces, then one ("answer", Answer) whose text is the pieces joined."""
        if not (retrieval.grounded and retrieval.hits):
            answer = self._not_found(retrieval)
            yield "token", answer.answer
            yield "answer", answer
            return
        reason = None
        if self.llm is not None:
            rewriter = CitationRewriter(len(retrieval.hits))
            pieces: list[str] = []
            chunks = None
            try:
                chunks = self.llm.stream(build_messages(question, retrieval.hits))
                for chunk in chunks:
                    if out := rewriter.feed(chunk):
                        pieces.append(out)
                        yield "token", out
            except Exception as exc:  # the stream broke: keep what arrived, or fall back if nothing did
                log.warning("chat model stream failed: %r", exc)
                reason = MODEL_CUT
            finally:
                getattr(chunks, "close", lambda: None)()
            if out := rewriter.flush():
                pieces.append(out)
                yield "token", out
            if pieces:
                tail, answer = self._generated(retrieval, rewriter, "".join(pieces), reason)
                if tail:
                    yield "token", tail
                yield "answer", answer
                return
            reason = MODEL_UNAVAILABLE
        tokens, answer = self._extractive(question, retrieval, reason)
        for token in tokens:
            yield "token", token
        yield "answer", answer
