"""Extractive answers: the readable sentences of retrieved chunks, scored, picked without repeats, and cited.

Sentences: `vectorstore.sentences` (the reader ingest also uses, re-exported here).

Choice. Each sentence of the top hits gets features: its cosine similarity to the question (MiniLM: the sentence
vectors ingest stored with the index, carried by the hits, so only the question is embedded; a sentence the index
holds no vector for is embedded by the retriever's embedder, at most `max_embedded` per question, the most promising
by the cheap features), the idf-weighted share of the question's key terms it holds
(`vectorstore.text.tokenize`), whether it states a fact of the kind asked (`vectorstore.question_asks` reads the
kind, `vectorstore.passage_facts` the fact: the price, number, date or version asked for), whether it has the form
of the answer asked for (`has_form`: a quoted command for a how-to, a name for a "which ...?"), how much of the
question its passage's heading covers, and its hit's rank.
Their weighted sum (`WEIGHTS`, fitted on the dev questions with k-fold cross-validation by
`bench/fit_extractive.py`) ranks the sentences; maximal marginal relevance picks up to four, skipping any too similar
to one already picked, within `max_words` (90). A picked sentence brings the sentences that complete it when they fit
(`vectorstore.sentences.continuations`: the list items a lead-in such as "There are two types of actions:"
introduces, the "For example, ..." after a general statement), and each of the first `after` picks brings the
sentence after it in its passage (the detail a best-matching sentence leads into: "Amazon S3 can remove old log
objects without any code of yours." -> "Expiration rules set an age ..."); a sentence introducing a short code block
("..., use:", "run the following command.") quotes the block with it (`vectorstore.sentences.code_after`),
whose words count for its key terms, fact, form and length. A number, duration or version question also gets the
code lines of the hits that set a value of its kind (`settings_quoted`, read as the evidence check reads them:
`passage_facts.code_settings`), quoted as code ("`num_round=50`"). Beside the hits, the sentences of the best page's
other passages (`Retrieval.aside`: the chunks of the top hit's page no hit holds, scored by their stored sentence
vectors, never embedded here) compete at the `aside` discount; a picked one cites its own passage. Picked sentences
keep their page order, each ending with its `[n]`, and the passages they come from become `Citation`s renumbered
1..m by strength. With no readable
sentence the answer points at the best passage. `Citation` and `citation()` live here so that `api.answer` imports
this module.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from vectorstore.embeddings import Embedder
from vectorstore.passage_facts import code_settings, has_fact, scope_terms
from vectorstore.question_asks import asked_of, counted, detect, key_terms
from vectorstore.ranking import Hit
from vectorstore.sentences import _sentences, body_of, code_after, continuations  # the reader, shared with ingest
from vectorstore.sentences import flat as flat  # re-exported: the answerer, quiz and facts read sentences here
from vectorstore.sentences import plain as plain
from vectorstore.sentences import quotable_sentences as quotable_sentences
from vectorstore.sentences import quote_code as quote_code
from vectorstore.sentences import sentences as sentences
from vectorstore.sentences import split_sentences as split_sentences
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


@lru_cache(maxsize=65536)
def _terms(sentence: str) -> frozenset[str]:
    return frozenset(tokenize(sentence))


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
    follow: float = 0.0       # how many of the sentences completing a picked one (its list items, its example) join it
    after: float = 0.0        # how many of the picks (the first ones) bring the sentence after them in their passage
    aside: float = 9.0        # the discount on a sentence of a passage beside the hits (the best page's other chunks)


# Fitted on the dev set (`evaluation.evaluate.DEV`: the 1,068 answerable questions with key facts of its 1,574 that
# the retriever answers grounded) by `python bench/fit_extractive.py --narrow --caps 1000` (every sentence scored by
# meaning, as with the sentence vectors ingest stores): cross-validated key-fact score 0.675 (5-fold, 5 shuffles;
# mean of "all" and "any" `must_contain` phrases quoted; all 0.647), 0.660 (all 0.630) with `after` 0 (before a pick
# brought the sentence after it), bench/extractive.md. LEXICAL_WEIGHTS, used without an embedder, fitted the same
# way with `--lexical` (before main's retrieval of 1cac14b): CV 0.638 (0.625 with `after` 0). Refit on the 1,394 of
# the 2,093 dev questions of 7fc3862 (issue 9k2, `--narrow --caps 1000 --by-file`, heading and redundancy searched):
# heading 0.3 and redundancy 0.3, CV 0.671 -> 0.673 (all 0.644 -> 0.647), leave-one-file-out "all" 0.646 both.
# `aside` (issue 9kp: the best page's other chunks read beside the hits) searched in {0, 0.1, 0.2, 0.3, 0.4, 0.6, 9
# (off)} with the other weights fixed, 1,692 grounded answerable dev questions: every fold chose 0 (their rank term
# 0.3 / (1 + its number after the hits) is their only discount): CV 0.671 -> 0.676 (all 0.646 -> 0.651, any 0.697 ->
# 0.702), leave-one-file-out all 0.646 -> 0.651 (bench/extractive.md). LEXICAL_WEIGHTS keep it off (not fitted).
WEIGHTS = Weights(similarity=1.0, coverage=1.0, fact=0.5, form=0.2, heading=0.3, rank=0.3, redundancy=0.3, bar=0.2,
                  bar_other=0.3, min_similarity=0.3, follow=3.0, after=4.0, aside=0.0)
LEXICAL_WEIGHTS = Weights(similarity=0.0, coverage=1.0, fact=0.5, form=0.2, heading=0.0, rank=0.3, redundancy=0.1,
                          bar=0.2, bar_other=0.3, min_similarity=1.01, follow=3.0, after=2.0)
# Sentences without a stored vector embedded per question (the most promising by the cheap features; the rest keep
# similarity 0). Cross-validated on dev with WEIGHTS' grid, on an index without stored sentence vectors
# (bench/extractive.md): 0.592 with 6, 0.626 with 16, 0.612 with 24 or all.
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
    follow: tuple[int, ...] = ()  # positions in its hit of the sentences completing it (`continuations`)
    code: str = ""                # the short code block it introduces, quoted with it (`code_after`)
    aside: bool = False           # from a passage beside the hits (`Retrieval.aside`), not from a hit

    @property
    def shown(self) -> str:
        """The sentence as the answer quotes it: with the code block it introduces ("..., use: `%doctest_mode`.")."""
        return f"{self.text[:-1]}: {self.code}{self.text[-1]}" if self.code else self.text

    def score(self, w: Weights) -> float:
        return (w.similarity * self.similarity + w.coverage * self.coverage + w.fact * self.fact + w.form * self.form
                + w.heading * self.heading + w.rank / (1 + self.hit) - w.aside * self.aside)


def candidates(question: str, hits: list[Hit], aside: list[Hit] | None = None) -> list[Candidate]:
    """Every readable sentence of the hits with its cheap features (no embedding yet); the sentences of the
    passages `aside` (numbered after the hits) too, marked `aside`, with the key terms' weights of the hits."""
    kind = detect(question)
    q = set(key_terms(question))
    every = [*hits, *(aside or [])]
    # (hit, position, sentence, the code block it introduces, the two read together, their terms)
    rows = [(i, j, s, code, full, _terms(full))
            for i, hit in enumerate(every)
            for j, (s, code) in enumerate(zip(_sentences(hit.text), code_after(hit.text), strict=True))
            for full in [f"{s} {code}" if code else s]]
    own = [row for row in rows if row[0] < len(hits)]
    df: dict[str, int] = {}
    for *_, ts in own:
        for t in ts & q:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log(1 + (len(own) + 1) / (df.get(t, 0) + 0.5)) for t in q}
    total = sum(idf.values()) or 1.0
    heading = [frozenset(tokenize(hit.text.partition("\n")[0])) for hit in every]
    specific = kind in ("price", "number", "duration", "date", "version")
    follows = [continuations(hit.text) for hit in every]
    out = []
    for i, j, s, code, full, ts in rows:
        words = len(full.split())
        cover = sum(idf[t] for t in ts & q) / total / (1 + max(0, words - 30) / 60)
        topical = sum(idf[t] for t in heading[i] & q) / total
        fact = specific and has_fact(kind, full)
        out.append(Candidate(i, j, s, words, cover, topical, fact, cover + 0.3 * topical + 0.1 / (1 + i), ts,
                             has_form(kind, full), follow=follows[i][j], code=code, aside=i >= len(hits)))
    quoted = [" ".join(code for hit, _j, _s, code, _full, _ts in own if hit == i) for i in range(len(hits))]
    return out + settings_quoted(question, kind, hits, idf, heading, quoted) \
        + commands_quoted(kind, hits, idf, heading, quoted)


# A quoted setting's position in its hit: after every sentence, and never right after another (`pick` brings the
# position after a pick).
_SETTING_POS = 10_000


def settings_quoted(question: str, kind: str, hits: list[Hit], idf: dict[str, float],
                    heading: list[frozenset[str]], quoted: list[str]) -> list[Candidate]:
    """The code, configuration and command lines of the hits that set a value of the asked kind
    (`passage_facts.code_settings`, the reading the evidence check uses), as candidates quoted as code: their key
    terms are their setting's identifier words, the call they are passed to, the keys they sit under and the heading
    (`model.fit(x_train, y_train, epochs=5)` for "how many epochs ...?"). A line none of whose own words (itself,
    its call, the keys it sits under) is a key term of the question is not quoted, whatever its heading holds, nor
    one a sentence of its hit already quotes with the code it introduces (`quoted`, per hit)."""
    if kind not in ("number", "duration", "version"):
        return []
    q, total = frozenset(idf), sum(idf.values()) or 1.0
    asks, noun = asked_of(kind, question), counted(question) if kind == "number" else None
    out = []
    for i, hit in enumerate(hits):
        best: dict[str, float] = {}
        for line, scope, own in code_settings(kind, hit.text, asks, noun):
            line = line.strip().rstrip(",;\\ ")
            if not scope_terms(own) & q or line in quoted[i]:
                continue
            best[line] = max(best.get(line, 0.0), sum(idf[t] for t in scope_terms(scope) & q) / total)
        out += [_code_line(i, _SETTING_POS + 2 * n, line, share, heading[i], idf, fact=True)
                for n, (line, share) in enumerate(best.items())]
    return out


def _code_line(i: int, position: int, line: str, share: float, heading: frozenset[str], idf: dict[str, float],
               fact: bool, form: bool = False) -> Candidate:
    """A code line of hit `i` as a candidate quoted as code, scored like a sentence: the share of the question's
    key terms it holds (`share`), less for a line over 30 words, and its heading's share."""
    text = f"`{line}`."
    words = len(text.split())
    cover = share / (1 + max(0, words - 30) / 60)
    topical = sum(idf[t] for t in heading & frozenset(idf)) / (sum(idf.values()) or 1.0)
    return Candidate(i, position, text, words, cover, topical, fact, cover + 0.3 * topical + 0.1 / (1 + i),
                     scope_terms(line), form=form)


# A shell block's fence ("```bash", a bare "```"; a console block mixes in output) and a command line in it: a
# lower-case program name and its arguments, no call's brackets and no key ("name: value").
_SHELL_FENCE = re.compile(r"^\s*```(?:bash|sh|shell|zsh)?\s*$")
_FENCE = re.compile(r"^\s*```")
_COMMAND_LINE = re.compile(r"^\s*(?:\$\s+)?[a-z][\w.-]*(?<!:)\s+[^()\s][^()]*$")
MIN_COMMAND_TERMS = 2  # key terms of the question a command line must hold itself to be quoted


def commands_quoted(kind: str, hits: list[Hit], idf: dict[str, float], heading: list[frozenset[str]],
                    quoted: list[str]) -> list[Candidate]:
    """For a question asking how to do something or what a thing is called, the command lines of the hits' shell
    blocks whose own words hold at least `MIN_COMMAND_TERMS` of its key terms, numbers apart (a version or a port
    there is an argument, not the topic: "wk 1" does not meet `boto3>=1.15.0`) ("argo submit -n argo --watch
    .../hello-world.yaml" for "what command submits the hello world example?"), as candidates quoted as code, with
    the form of a how-to's answer. A line a sentence of its hit already quotes with its code block is not added."""
    if kind not in ("howto", "name", "other"):
        return []
    q, total = frozenset(idf), sum(idf.values()) or 1.0
    out = []
    for i, hit in enumerate(hits):
        block = shell = False
        n = 0
        for line in hit.text.split("\n"):
            if _FENCE.match(line):
                block, shell = not block, not block and bool(_SHELL_FENCE.match(line))
                continue
            line = line.strip().removeprefix("$ ").rstrip(" \\")
            if not shell or not _COMMAND_LINE.match(line) or line in quoted[i]:
                continue
            held = {t for t in scope_terms(line) & q if not t.isdigit()}  # a number there is an argument
            if len(held) < MIN_COMMAND_TERMS:
                continue
            out.append(_code_line(i, _SETTING_POS + 1000 + 2 * n, line, sum(idf[t] for t in held) / total,
                                  heading[i], idf, fact=False, form=kind == "howto"))
            n += 1
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
    (`bar_other` when it would add another passage). A picked sentence brings up to `follow` of the sentences that
    complete it (the list items it introduces, the example after it), and each of the first `after` picks the
    sentence after it in its passage, as many as the word budget leaves room for; they do not count towards
    `max_sentences`."""
    relevant = [c for c in cands if c.coverage > 0 or c.similarity >= weights.min_similarity]
    scored = sorted(((c.score(weights), n, c) for n, c in enumerate(relevant or cands)), key=lambda t: (-t[0], t[1]))
    best = scored[0][0] if scored else 0.0
    at = {(c.hit, c.pos): c for c in cands}
    picked: list[Candidate] = []
    used = chosen = 0
    while chosen < max_sentences:
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
        chosen += 1
        # its completions, then (for the first `after` picks) the sentence after it, which often holds the asked
        # detail of what the pick introduces ("... two types of rules." -> "Transition actions ...")
        brings = [*choice.follow[: int(weights.follow)], *([choice.pos + 1] if chosen <= weights.after else [])]
        for pos in brings:
            extra = at.get((choice.hit, pos))
            if extra is not None and not any(extra is p for p in picked) and used + extra.words <= max_words:
                picked.append(extra)
                used += extra.words
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

    def features(self, question: str, hits: list[Hit], query: str | None = None,
                 aside: list[Hit] | None = None) -> list[Candidate]:
        """The candidates with their similarity to the question (`query`: the text the retriever embedded, so its
        vector is already cached): every candidate whose vector the index stores (`Hit.vectors`), and of the
        hits' others the `max_embedded` most promising, embedded now (a sentence `aside` is never embedded here)."""
        cands = candidates(question, hits, aside)
        if self.embedder is None or not cands:
            return cands
        every = [*hits, *(aside or [])]
        stored = [(c, every[c.hit].vectors.get(c.text)) for c in cands]
        shortlist = sorted((c for c, v in stored if v is None and not c.aside),
                           key=lambda c: -c.lexical)[: self.max_embedded]
        texts = [query or question] + [c.text for c in shortlist]
        q, *vectors = np.asarray(self.embedder.embed(texts), dtype=np.float32)
        known = [(c, np.asarray(v, dtype=np.float32)) for c, v in stored if v is not None]
        for c, v in [*known, *zip(shortlist, vectors, strict=True)]:
            c.vector, c.similarity = v, max(0.0, float(v @ q))
        return cands

    def extract(self, question: str, hits: list[Hit], max_words: int = 90, max_sentences: int = 4,
                query: str | None = None, aside: list[Hit] | None = None) -> tuple[list[str], list[Citation]]:
        """The extractive answer as text pieces (sentences ending in `[n]`) and the citations they use; a sentence
        of a passage `aside` (the best page's other chunks) competes at the `aside` discount and, when picked, cites
        that passage."""
        picked = pick(self.features(question, hits, query, aside), self.weights, max_words, max_sentences)
        return compose([*hits, *(aside or [])], picked, self.weights)


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
        pieces.extend(_cite(c.shown, n) for c in used)
        cited.append(citation(n, hits[i], " ".join(c.shown for c in used)))
    return pieces, cited


def extract(question: str, hits: list[Hit], max_words: int = 90,
            max_sentences: int = 4) -> tuple[list[str], list[Citation]]:
    """The extractive answer by the cheap features only (no embedder)."""
    return Extractor().extract(question, hits, max_words, max_sentences)
