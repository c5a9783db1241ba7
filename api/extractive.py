"""Extractive answers: the readable sentences of retrieved chunks, scored, picked without repeats, and cited.

Sentences. A chunk body is cut into paragraphs (no heading line, code block, table row, image, breadcrumb or bare
"Note"/"Important"/"Tip" label; a table row is read as "Cell: cell, cell", a run of short unordered list items as
one sentence, numbered items one by one) and each paragraph into sentences by `syntok`, which keeps abbreviations
("U.S.", "e.g."), version numbers ("v1.2.3", "Python 3.11") and URLs whole. Fragments and code-like lines are
dropped (numbers, amounts and versions count as words, not code); commands and calls left unquoted in prose are
quoted as code (`pip install x`, `df.groupby()`).

Choice. Each sentence of the top hits gets features: its cosine similarity to the question (MiniLM, the embedder
the retriever already holds, whose cache remembers each sentence's vector; at most `max_embedded` sentences per
question, the most promising by the cheap features), the idf-weighted share of the question's key terms it holds
(`vectorstore.text.tokenize`), whether it states a fact of the kind asked (`vectorstore.answer_type`: the price,
number, date or version asked for), whether it has the form of the answer asked for (`has_form`: a quoted command
for a how-to, a name for a "which ...?"), how much of the question its passage's heading covers, and its hit's rank.
Their weighted sum (`WEIGHTS`, fitted on the dev questions with k-fold cross-validation by
`bench/fit_extractive.py`) ranks the sentences; maximal marginal relevance picks up to four, skipping any too similar
to one already picked, within `max_words` (90). Picked sentences keep their page order, each ending with its `[n]`,
and the hits they come from become `Citation`s renumbered 1..m by strength. With no readable sentence the answer
points at the best passage. `Citation` and `citation()` live here so that `api.answer` imports this module.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from syntok import segmenter

from api.prompt import body_of
from vectorstore.answer_type import detect, has_fact, key_terms
from vectorstore.embeddings import Embedder
from vectorstore.ranking import Hit
from vectorstore.text import tokenize

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


# ---------------------------------------------------------------- sentences
_FENCE = re.compile(r"^(```|~~~)")
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")
_BULLET = re.compile(r"^(?:[-*+•]|\d{1,2}[.)])\s+(?:\[[ xX]\]\s+)?")  # with a task-list checkbox
_LABEL = r"(?:note|notes|important|tip|tips|warning|caution|attention|info|see also|example|examples)"
_BARE_LABEL = re.compile(rf"^{_LABEL}\s*:?$", re.I)
_TRAILING_LABEL = re.compile(rf"(?<=[.!?])\s+{_LABEL}$", re.I)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|^(?:image|figure|fig\.|diagram|screenshot)\s*\d*\s*[:.-]", re.I)
_CRUMB = re.compile(r"^[^.!?]{1,80}?(?:\s(?:>|/|›|»|→)\s[^.!?]{1,80}?){2,}$")
_PLAIN = re.compile(r"^(?:[(\"'`]?[A-Za-z][A-Za-z'’-]*[.,;:!?)\"'`]*|https?://\S+)$")
# a number, amount, size or version as prose writes it ("750", "1,000;", "$0.99,", "70B", "24h", "1.2-1", "30%")
_NUMERIC = re.compile(r"^[(\"'`]?[$€£]?v?\d[\d.,:/%–-]*[A-Za-z]{0,4}[.,;:!?)\"'`]*$")
_CODE_SPAN = re.compile(r"(`[^`]*`)")
_CLI = [
    "pip", "pip3", "python", "python3", "aws", "kubectl", "docker", "git", "conda", "npm", "helm", "terraform",
    "eksctl", "dvc", "mlflow", "curl", "uvicorn", "jupyter", "sam", "cdk", "az", "gcloud", "kfp"
]
_SUBCOMMAND = [
    "install", "uninstall", "run", "apply", "add", "push", "pull", "commit", "init", "create", "build", "get",
    "describe", "delete", "configure", "serve", "ui", "repro", "clone", "start", "stop", "deploy", "exec",
    "logs", "login", "list", "ls", "cp", "sync", "remote", "checkout", "status", "compile", "upload", "invoke",
    "update"
]
_COMMAND = re.compile(
    rf"\b(?:(?:{'|'.join(_CLI)})\s+(?:{'|'.join(_SUBCOMMAND)}|-{{1,2}}[a-z][\w-]*)|aws\s+[a-z][\w-]*\s+[a-z][\w-]*)\b"
    r"(?:\s+(?:-{1,2}[\w-]+(?:=\S+)?|[\w@./:=+-]*[@./:=_\d-][\w@./:=+-]*(?<![.:]))){0,6}"
    r"(?:\s+(?!(?:to|and|or|the|a|an|in|on|for|with|from|is|are|then|first|again|command|which|that|it)\b)"
    r"[a-z][\w-]*(?=[\s.,;:)]|$))?")
_CALL = re.compile(r"(?<![\w`])[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*\([^()\s]{0,40}\)"
                   r"(?:\.[A-Za-z_]\w*(?:\([^()]{0,40}\))?)*")
_AFTER_NUMBER = re.compile(r"(?<=\d)\.\s+(?=[`\"'(]?[A-Z][a-z])")  # "... v3.6.2. Run it": syntok keeps these together


def _tidy(sentence: str) -> str:
    s = " ".join(sentence.replace("\\(", "").replace("\\)", "").split()).rstrip(" :;,")
    return s if s.endswith((".", "!", "?")) else s + "."


def quote_code(sentence: str) -> str:
    """Quote shell commands and calls written as plain prose as code: `pip install boto3`, `df.mean()`."""
    parts = _CODE_SPAN.split(sentence)
    for i in range(0, len(parts), 2):  # the even parts are outside `...`
        text = _COMMAND.sub(lambda m: f"`{m[0]}`", parts[i])
        parts[i] = "".join(_CALL.sub(lambda m: f"`{m[0]}`", p) if j % 2 == 0 else p
                           for j, p in enumerate(_CODE_SPAN.split(text)))
    return "".join(parts)


_URL = re.compile(r"https?://\S+")


def _is_prose(sentence: str, row: bool = False) -> bool:
    """At least four words besides URLs (a "Label: https://..." list item is a link, not a sentence; a table `row`
    holding a number needs three: "Cost: 300 USD"), not code. Words and numbers as prose writes them ("$0.99",
    "70B", "1.2-1") make at least 60% of it."""
    words = _CODE_SPAN.sub("code", sentence).split()
    if len(_URL.sub("", sentence).split()) < (3 if row and any(c.isdigit() for c in sentence) else 4) \
            or len(words) > 60 \
            or sum(sentence.count(c) for c in "{}=<>|;") + max(0, sentence.count("$") - 4 * row) > 2:
        return False
    return sum(bool(_PLAIN.match(w) or _NUMERIC.match(w)) for w in words) >= 0.6 * len(words)


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph of prose, with the paragraph's own spelling (syntok finds the boundaries)."""
    out = []
    for para in segmenter.analyze(paragraph):
        for sentence in para:
            if sentence:
                start = sentence[0].offset
                end = sentence[-1].offset + len(sentence[-1].value)
                out.extend(_AFTER_NUMBER.sub(".\n", paragraph[start:end]).split("\n"))
    return [s.strip() for s in out if s.strip()]


_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")
SHORT_ITEM = 8  # words: a list item at most this long names a thing; a run of them is read as one sentence


def table_row(line: str) -> str:
    """A table row read as a sentence: its first cell, a colon, the other cells ("Cost | 300 USD" -> "Cost: 300
    USD", "Batch | Per token | None" -> "Batch: Per token, None"); the page's words in the page's order, so a quote
    of it is found in its passage."""
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    cells = [c for c in cells if c]
    return f"{cells[0]}: {', '.join(cells[1:])}" if len(cells) > 1 else ""


def list_sentence(items: list[str], lead: str = "") -> str:
    """A run of short list items as one sentence: "Lead: a, b, c" (the lead is the line introducing the list)."""
    return f"{lead.rstrip(':').strip()}: {', '.join(items)}" if lead else ", ".join(items)


def _paragraphs(text: str) -> list[tuple[str, bool]]:
    """The prose paragraphs (and list items) of a chunk body, without headings, code, images, labels. A table row
    becomes one paragraph ("Cell: cell; cell"), its header row none; a run of short list items becomes one, led by
    the line (a heading, or a short line ending in ":") that introduces it. Each comes with whether it is a table
    row (data, read with a looser prose test)."""
    found: list[tuple[str, bool]] = []
    paragraph: list[str] = []
    items: list[str] = []   # the current run of short list items
    in_code = False
    first = text.strip().split("\n", 1)[0]
    title = first.split(" > ", 1)[0].strip()  # merged chunks repeat "Title > Sub" lines
    lead = first.split(" > ")[-1].strip() if body_of(text) != text.strip() else ""  # what a list may follow
    table = False  # inside a table (the next row is not its header)
    indent = 0     # the indentation of the current run of list items (a nested list starts another run)

    def end_items() -> None:
        if len(items) > 1:
            found.append((list_sentence(items, lead), False))
        elif items:
            found.append((items[0], False))
        items.clear()

    def end_paragraph() -> None:
        nonlocal lead
        # A lone short line without closing punctuation is a sub-heading kept as text, not a sentence.
        lone = len(paragraph) == 1 and len(paragraph[0].split()) <= 12
        if paragraph and not (lone and paragraph[0][-1] not in ".!?:"):
            found.append((_TRAILING_LABEL.sub("", " ".join(paragraph)), False))
            lead = paragraph[0] if lone and paragraph[0].endswith(":") else ""
        elif paragraph:
            lead = paragraph[0]
        paragraph.clear()

    for line in body_of(text).splitlines():
        s = _EMOJI.sub("", line).strip().replace("**", "")
        row = not in_code and (s.startswith("|") or " | " in s or bool(_TABLE_RULE.match(s)))
        if not row:
            table = False
        if (m := _BULLET.match(s)) and not in_code:
            end_paragraph()
            item = s[m.end():].strip()
            depth = len(line) - len(line.lstrip())
            if items and depth != indent:
                parent = items[-1]
                end_items()
                # a nested run is led by the short item just above it (the page's words stay in order)
                lead = parent if depth > indent else ""
            indent = depth
            # short unordered items form a run; numbered items are steps, each read on its own
            if len(item.split()) <= SHORT_ITEM and not item.rstrip(".").count(".") and not s[0].isdigit():
                items.append(item.rstrip("."))
                continue
            end_items()
            found.append((item, False))
            lead = ""
            continue
        if s:
            end_items()
        if _FENCE.match(s):
            in_code = not in_code
            end_paragraph()
            lead = ""
        elif in_code:
            continue
        elif row:
            end_paragraph()
            if table and not _TABLE_RULE.match(s) and (sentence := table_row(s)):
                found.append((sentence, True))
            table = True
            lead = ""
        elif s == title or s.startswith(title + " > "):
            end_paragraph()
            lead = s.split(" > ")[-1].strip()
        elif not s or s.startswith("#") or _BARE_LABEL.match(s) or _CRUMB.match(s):
            end_paragraph()
            if s:
                lead = ""
        elif s := _IMAGE.sub(" ", s).strip():
            paragraph.append(s)
    end_paragraph()
    end_items()
    return found


@lru_cache(maxsize=8192)
def _sentence_pairs(text: str) -> tuple[tuple[str, str], ...]:
    """(as the page writes it, as an answer shows it) for each readable sentence of a chunk. A paragraph opening
    with a short label sentence ("Pick a tool. Choose one platform ...") keeps the label with what follows it."""
    out = []
    for paragraph, row in _paragraphs(text):
        found = split_sentences(paragraph)
        if len(found) > 1 and len(found[0].split()) < 4 and found[0].endswith("."):
            found[:2] = [f"{found[0][:-1]}: {found[1]}"]
        for s in found:
            s = _TRAILING_LABEL.sub("", s)
            shown = quote_code(_tidy(s))
            if _is_prose(shown, row) and not _IMAGE.search(shown):
                out.append((" ".join(s.split()), shown))
    return tuple(out)


@lru_cache(maxsize=65536)
def _terms(sentence: str) -> frozenset[str]:
    return frozenset(tokenize(sentence))


def _sentences(text: str) -> tuple[str, ...]:
    return tuple(shown for _raw, shown in _sentence_pairs(text))


def sentences(text: str) -> list[str]:
    """The readable sentences of a chunk, commands quoted as code (remembered per chunk text)."""
    return list(_sentences(text))


def quotable_sentences(text: str) -> list[str]:
    """The same readable sentences as `sentences`, in the page's own spelling (nothing quoted as code, no full
    stop added, whitespace collapsed): what a quiz quotes word for word (`api.facts`)."""
    return [raw for raw, _shown in _sentence_pairs(text)]


def plain(text: str) -> str:
    """A chunk's text as the sentence reader sees it: each line without emoji, bold markers or list marker (and
    task-list checkbox), spaces collapsed. A quotable sentence is a substring of its chunk's `plain` text with
    line breaks read as spaces (`flat`)."""
    lines = (_BULLET.sub("", _EMOJI.sub("", line).strip().replace("**", "")) for line in text.splitlines())
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())


def flat(text: str) -> str:
    """`plain` text on one line: what a verbatim quote is looked up in."""
    return " ".join(plain(text).split())


# ---------------------------------------------------------------- features and weights
@dataclass(frozen=True)
class Weights:
    """How the features of a sentence add up to its score, and how the picker uses it."""

    similarity: float = 1.0   # cosine similarity of sentence and question
    coverage: float = 1.0     # idf-weighted share of the question's key terms in the sentence
    fact: float = 0.3         # the sentence states a fact of the kind asked (a price, a version ...)
    form: float = 0.0         # it has the form of the answer asked for (a name, a definition, a command ...)
    heading: float = 0.3      # share of the key terms in its passage's heading
    rank: float = 0.1         # 1 / (1 + the rank of its hit)
    redundancy: float = 0.5   # MMR: the penalty for similarity to a sentence already picked
    bar: float = 0.6          # a sentence after the first needs this share of the best score
    bar_other: float = 0.6    # ... and this share when it comes from a passage not quoted yet
    min_similarity: float = 0.45  # a sentence holding none of the key terms needs this similarity to be quoted


# Fitted on the dev set (`evaluation.evaluate.DEV`: the 242 answerable questions with key facts the retriever answers
# grounded) by `python bench/fit_extractive.py --narrow --caps 16`: cross-validated key-fact score 0.626 (5-fold,
# 5 shuffles; mean of "all" and "any" `must_contain` phrases quoted), 0.578 with the weights, reader and
# MAX_EMBEDDED before (bench/extractive.md); 0.613 on the 241 of main's retrieval at 0a2a2f8. The same score
# without the similarity feature (`--lexical`, LEXICAL_WEIGHTS, used without an embedder) is 0.612 (0.587 before).
WEIGHTS = Weights(similarity=0.5, coverage=2.0, fact=0.5, form=0.5, heading=0.0, rank=0.3, redundancy=0.3, bar=0.2,
                  bar_other=0.5, min_similarity=0.3)
LEXICAL_WEIGHTS = Weights(similarity=0.0, coverage=2.0, fact=0.5, form=0.5, heading=0.0, rank=0.3, redundancy=0.1,
                          bar=0.2, bar_other=0.7, min_similarity=1.01)
# Sentences scored by meaning per question (the most promising by the cheap features; the rest keep similarity 0).
# Cross-validated on dev with WEIGHTS' grid (bench/extractive.md): 0.596 with 6, 0.626 with 16, 0.611 with 24 or all.
MAX_EMBEDDED = 16


@dataclass
class Candidate:
    hit: int
    pos: int
    text: str
    words: int
    coverage: float
    heading: float
    fact: bool
    lexical: float            # the cheap pre-score: coverage, heading and rank
    terms: frozenset[str] = frozenset()
    form: bool = False
    similarity: float = 0.0
    vector: np.ndarray | None = None

    def score(self, w: Weights) -> float:
        return (w.similarity * self.similarity + w.coverage * self.coverage + w.fact * self.fact
                + w.form * self.form + w.heading * self.heading + w.rank / (1 + self.hit))


def candidates(question: str, hits: list[Hit]) -> list[Candidate]:
    """Every readable sentence of the hits with its cheap features (no embedding yet)."""
    kind = detect(question)
    q = set(key_terms(question))
    rows = [(i, j, s, _terms(s)) for i, hit in enumerate(hits) for j, s in enumerate(_sentences(hit.text))]
    df: dict[str, int] = {}
    for *_, ts in rows:
        for t in ts & q:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log(1 + (len(rows) + 1) / (df.get(t, 0) + 0.5)) for t in q}
    total = sum(idf.values()) or 1.0
    heading = [frozenset(tokenize(hit.text.partition("\n")[0])) for hit in hits]
    specific = kind in ("price", "number", "duration", "date", "version")
    out = []
    for i, j, s, ts in rows:
        words = len(s.split())
        cover = sum(idf[t] for t in ts & q) / total / (1 + max(0, words - 30) / 60)
        topical = sum(idf[t] for t in heading[i] & q) / total
        fact = specific and has_fact(kind, s)
        out.append(Candidate(i, j, s, words, cover, topical, fact, cover + 0.3 * topical + 0.1 / (1 + i), ts,
                             has_form(kind, s)))
    return out


def has_form(kind: str, sentence: str) -> bool:
    """Does the sentence have the form of the answer a question of `kind` asks for, short of a specific fact: a
    command or call quoted as code for a how-to, a name (a code token, a CamelCase or capitalised name after a
    lower-case word) for a "which ...?", a definitional verb for a definition, a comparing phrase for a comparison?"""
    if kind == "howto":
        return "`" in sentence
    return kind in ("name", "definition", "comparison") and has_fact(kind, sentence)


# ---------------------------------------------------------------- picking
def pick(cands: list[Candidate], weights: Weights, max_words: int, max_sentences: int) -> list[Candidate]:
    """Maximal marginal relevance: the best sentence first, then the next best less its similarity to those picked
    (sentences nearly repeating one already picked are skipped), while each reaches `bar` of the best score
    (`bar_other` when it would add another passage)."""
    relevant = [c for c in cands if c.coverage > 0 or c.similarity >= weights.min_similarity]
    scored = sorted(((c.score(weights), n, c) for n, c in enumerate(relevant or cands)), key=lambda t: (-t[0], t[1]))
    best = scored[0][0] if scored else 0.0
    picked: list[Candidate] = []
    used = 0
    while len(picked) < max_sentences:
        value, choice = float("-inf"), None
        for score, _n, c in scored:
            if score <= value:  # the redundancy penalty only lowers a score: nothing further down can win
                break
            if any(c is p for p in picked) or used + c.words > max_words:
                continue
            overlap = max((_redundancy(c, p) for p in picked), default=0.0)
            worth = score - weights.redundancy * overlap * best
            # after the first: `bar` of the best score, `bar_other` for a passage not quoted yet
            need = (weights.bar if any(p.hit == c.hit for p in picked) else weights.bar_other) * best if picked else 0
            if overlap <= 0.85 and worth >= need and worth > value:
                value, choice = worth, c
        if choice is None:
            break
        picked.append(choice)
        used += choice.words
    return picked


def _redundancy(a: Candidate, b: Candidate) -> float:
    if a.text == b.text:
        return 1.0
    if a.vector is not None and b.vector is not None:
        return float(max(0.0, a.vector @ b.vector))
    return len(a.terms & b.terms) / max(1, len(a.terms | b.terms))


def _cite(sentence: str, n: int) -> str:
    return f"{sentence[:-1]} [{n}]{sentence[-1]}"


def citation(n: int, hit: Hit, snippet: str | None = None) -> Citation:
    """The citation numbered `n` for a hit; the snippet defaults to the first ~240 characters of its body."""
    meta = hit.meta or {}
    if snippet is None:
        body = " ".join(body_of(hit.text).split())
        snippet = body if len(body) <= SNIPPET_CHARS else body[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
    url = meta.get("url") or ""
    return Citation(n=n, url=url, deep_link=meta.get("deep_link") or url,
                    title=meta.get("title") or hit.text.partition("\n")[0].split(" > ")[0],
                    section=meta.get("section") or "", weeks=list(meta.get("weeks") or []), snippet=snippet)


class Extractor:
    """Builds extractive answers; with an embedder, sentences are also chosen by meaning."""

    def __init__(self, embedder: Embedder | None = None, weights: Weights | None = None,
                 max_embedded: int = MAX_EMBEDDED):
        self.embedder, self.max_embedded = embedder, max_embedded
        self.weights = weights or (WEIGHTS if embedder is not None else LEXICAL_WEIGHTS)

    def features(self, question: str, hits: list[Hit], query: str | None = None) -> list[Candidate]:
        """The candidates with their similarity to the question (`query`: the text the retriever embedded, so its
        vector is already cached) for the `max_embedded` most promising of them."""
        cands = candidates(question, hits)
        if self.embedder is None or not cands:
            return cands
        shortlist = sorted(cands, key=lambda c: -c.lexical)[: self.max_embedded]
        texts = [query or question] + [c.text for c in shortlist]
        q, *vectors = np.asarray(self.embedder.embed(texts), dtype=np.float32)
        for c, v in zip(shortlist, vectors, strict=True):
            c.vector, c.similarity = v, max(0.0, float(v @ q))
        return cands

    def extract(self, question: str, hits: list[Hit], max_words: int = 90, max_sentences: int = 4,
                query: str | None = None) -> tuple[list[str], list[Citation]]:
        """The extractive answer as text pieces (sentences ending in `[n]`) and the citations they use."""
        return compose(hits, pick(self.features(question, hits, query), self.weights, max_words, max_sentences),
                       self.weights)


def compose(hits: list[Hit], picked: list[Candidate], weights: Weights = WEIGHTS) -> tuple[list[str], list[Citation]]:
    """The picked sentences in page order with their `[n]`, hits renumbered by their best sentence's score."""
    if not picked:  # nothing readable: point at the best passage instead of quoting code or tables
        hit = hits[0]
        heading = hit.text.partition("\n")[0].replace(" > ", ", ")
        return [f"The closest passage is in “{heading}” [1]."], [citation(1, hit)]
    strength: dict[int, float] = {}
    for c in picked:
        strength[c.hit] = max(strength.get(c.hit, float("-inf")), c.score(weights))
    pieces: list[str] = []
    cited: list[Citation] = []
    for n, i in enumerate(sorted(strength, key=lambda i: -strength[i]), start=1):
        used = sorted((c for c in picked if c.hit == i), key=lambda c: c.pos)
        pieces.extend(_cite(c.text, n) for c in used)
        cited.append(citation(n, hits[i], " ".join(c.text for c in used)))
    return pieces, cited


def extract(question: str, hits: list[Hit], max_words: int = 90,
            max_sentences: int = 4) -> tuple[list[str], list[Citation]]:
    """The extractive answer by the cheap features only (no embedder)."""
    return Extractor().extract(question, hits, max_words, max_sentences)
