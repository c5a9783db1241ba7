""""Builds on": the earlier weeks whose material a week's pages are closest to, each with what they share.

Closeness of two weeks is measured on the page embeddings the index already holds (`Material`: the mean of a
page's chunk vectors): the mean of the three highest cosines between a page of one week and a different page of
the other. An earlier week is listed when it is the closest earlier week, closer than the median of all pairs of
weeks of the roadmap, or links the same page; and only when something it shares can be named:

- a page both weeks link ("both link “Train a Model with Amazon SageMaker”");
- the phrases both weeks' text uses most that are names of things, not just words: the runs of capitalised words
  and code its prose uses ("SageMaker Model Monitor", `kubectl`), the terms its quiz facts define, and the topics
  the roadmap lists for the week. A phrase counts in a week when at least two of its passages hold it (its terms,
  in order; one passage for a week with one or two); a name every week uses is left out, and the rest are ranked
  by how few weeks use them (log of weeks / weeks using it), their length and how often both weeks do.

The reason names the shared pages and phrases, and the closest pair of pages. At most `MAX_WEEKS` are listed,
closest first.
"""
from __future__ import annotations

import math
import re
from functools import cached_property
from typing import Any

import numpy as np

from api.answer import listing
from api.facts import GENERIC, lower_words
from api.material import Material, Page
from ingest.roadmap import clean
from vectorstore.text import STOPWORDS, tokenize

MAX_WEEKS = 3
MAX_PHRASES = 3
TOP_PAIRS = 3
_NAME = r"(?:[A-Z][\w+#.-]*[\w+#]|[A-Z]|`[^`\s]{2,40}`)"
_RUN = re.compile(rf"{_NAME}(?:\s+(?:{_NAME}|\d[\w.]*)){{0,4}}")
_GENERIC_PHRASE = GENERIC | frozenset(tokenize(
    "overview introduction benefits getting started prerequisites next steps step sample notebook tutorial guide "
    "documentation docs reference learn see also notes contents using use how why summary conclusion resources "
    "related topics features setup install installation quickstart quick week roadmap project deliverable goals "
    "amazon aws ml ai api http https json yes user users guide example code third party web services service "
    "based"))


def _specific(phrase: str) -> bool:
    return any(not t.isdigit() for t in set(tokenize(phrase)) - _GENERIC_PHRASE)


def _tidy(phrase: str) -> str:
    """The phrase without backticks and without leading words of the sentence around it ("For GPU" -> "GPU")."""
    words = phrase.replace("`", "").split()
    while words and words[0].lower() in STOPWORDS:
        words = words[1:]
    return " ".join(words).strip(" .,;:\"'")


def names_in(sentence: str) -> set[str]:
    """The names a sentence uses: runs of capitalised words or code, not counting its first word (capitalised
    for starting the sentence) unless the run goes on."""
    out = set()
    for m in _RUN.finditer(sentence):
        if m.start() == 0 and " " not in m[0]:
            continue
        run = _tidy(m[0])
        if len(run) > 2 and _specific(run):
            out.add(run)
    return out


def phrases_of(text: str) -> set[str]:
    """Names in a topic or a defined term: the whole of a short one, and its runs of capitalised words."""
    text = clean(text)
    out = {_tidy(m[0]) for m in _RUN.finditer(text)}
    if 1 <= len(text.split()) <= 4:
        out.add(_tidy(text))
    return {p for p in out if len(p) > 2 and _specific(p)}


class Closeness:
    """Week-to-week closeness and shared phrases for one `Material` (built once per index version)."""

    def __init__(self, material: Material, vocab: dict[int, set[str]]):
        self.material = material
        self.weeks = [w.number for w in material.roadmap.weeks]
        self.pages = {w: material.week_pages(w) for w in self.weeks}
        # the passages a week's phrases are counted in: its documentation's, or its roadmap text's when it has none
        self.rows = {w: {r for p in self.pages[w] if not p.roadmap for r in p.rows}
                     or {r for p in self.pages[w] for r in p.rows} for w in self.weeks}
        self.names: dict[tuple[str, ...], str] = {}  # a phrase's stems -> how it is written
        self.vocab: dict[int, set[tuple[str, ...]]] = {}  # week -> the phrases naming things in it
        common = self.lowercase
        for week, phrases in vocab.items():
            keys = set()
            for phrase in sorted(phrases):
                key = tuple(tokenize(phrase))
                if key and (len(key) > 1 or phrase.lower() not in common or phrase[1:] != phrase[1:].lower()):
                    self.names.setdefault(key, phrase)
                    keys.add(key)
            self.vocab[week] = keys

    @cached_property
    def lowercase(self) -> frozenset[str]:
        """Every word the weeks' passages write in lower case (a single capitalised word that is one of them is a
        common word in a heading, "Cluster", not a name, "Kubernetes")."""
        out: set[str] = set()
        for row in set().union(*self.rows.values()):
            out |= lower_words(self.material.text(row))
        return frozenset(out)

    @cached_property
    def occurrences(self) -> dict[tuple[str, ...], set[int]]:
        """Phrase -> the rows of the passages holding it (its stems in a row), for every week's phrases."""
        lengths: dict[str, set[int]] = {}
        for key in self.names:
            lengths.setdefault(key[0], set()).add(len(key))
        out: dict[tuple[str, ...], set[int]] = {}
        for row in set().union(*self.rows.values()):
            tokens = tokenize(self.material.text(row))
            for i, t in enumerate(tokens):
                for n in lengths.get(t, ()):
                    key = tuple(tokens[i:i + n])
                    if key in self.names:
                        out.setdefault(key, set()).add(row)
        return out

    @cached_property
    def weeks_using(self) -> dict[tuple[str, ...], int]:
        return {key: sum(1 for w in self.weeks if self._count(key, w) >= self._needed(w)) for key in self.occurrences}

    def close(self, a: int, b: int) -> tuple[float, tuple[Page, Page] | None]:
        """The mean of the TOP_PAIRS highest page-to-page cosines (different pages), and the closest pair. The
        roadmap's own text of a week stands in for its pages only when one of the two weeks has no others."""
        pa, pb = self.pages.get(a) or [], self.pages.get(b) or []
        docs_a, docs_b = [p for p in pa if not p.roadmap], [p for p in pb if not p.roadmap]
        if docs_a and docs_b:
            pa, pb = docs_a, docs_b
        if not pa or not pb:
            return 0.0, None
        sims = np.stack([p.vector for p in pa]) @ np.stack([p.vector for p in pb]).T
        for i, p in enumerate(pa):
            for j, q in enumerate(pb):
                if p.url == q.url:
                    sims[i, j] = -1.0
        flat = np.sort(sims.ravel())[::-1][:TOP_PAIRS]
        bi, bj = (int(k) for k in np.unravel_index(int(np.argmax(sims)), sims.shape))
        return float(flat.mean()), ((pa[bi], pb[bj]) if sims[bi, bj] > -1.0 else None)

    @cached_property
    def baseline(self) -> float:
        """The median closeness over all pairs of weeks."""
        values = [self.close(a, b)[0] for i, a in enumerate(self.weeks) for b in self.weeks[i + 1:]]
        return float(np.median(values)) if values else 1.0

    def _count(self, key: tuple[str, ...], week: int) -> int:
        """How many of the week's passages hold the phrase (its terms, in order)."""
        return len(self.occurrences.get(key, set()) & self.rows[week])

    def _needed(self, week: int) -> int:
        return 1 if len(self.rows[week]) <= 2 else 2

    def shared(self, a: int, b: int) -> list[str]:
        """The phrases naming things both weeks use, best first (see the module docstring)."""
        scored = []
        for key in self.vocab.get(a, set()) | self.vocab.get(b, set()):
            ca, cb = self._count(key, a), self._count(key, b)
            if ca < self._needed(a) or cb < self._needed(b):
                continue
            idf = math.log(len(self.weeks) / max(1, self.weeks_using.get(key, 1)))
            if idf > 0:  # a name every week uses says nothing about these two
                scored.append((idf * math.sqrt(len(set(key))) * math.log(1 + min(ca, cb)), key))
        out: list[tuple[str, ...]] = []
        for _value, key in sorted(scored, key=lambda s: (-s[0], s[1])):
            if all(not (set(key) <= set(o) or set(o) <= set(key)) for o in out):
                out.append(key)
            if len(out) == MAX_PHRASES:
                break
        return [self.names[k] for k in out]

    def builds_on(self, week: int) -> list[dict[str, Any]]:
        earlier = [w for w in self.weeks if w < week]
        closeness = {e: self.close(week, e) for e in earlier}
        nearest = max(earlier, key=lambda e: closeness[e][0], default=None)
        found = []
        for e in earlier:
            value, pair = closeness[e]
            both = sorted({p.url for p in self.pages[week] if not p.roadmap} & {p.url for p in self.pages[e]})
            if value <= self.baseline and not both and e != nearest:
                continue
            phrases = self.shared(week, e)
            if not phrases and not both:
                continue
            found.append((value, e, phrases, both, pair))
        found.sort(key=lambda f: (-f[0], f[1]))
        return [self._entry(week, *f) for f in found[:MAX_WEEKS]]

    def _entry(self, week: int, value: float, e: int, phrases: list[str], both: list[str],
               pair: tuple[Page, Page] | None) -> dict[str, Any]:
        w = self.material.roadmap.week(e)
        parts = []
        if both:
            titles = [self.material.pages[u].title for u in both[:2]]
            parts.append("both link " + listing([f"“{t}”" for t in titles]) + (" and more" if len(both) > 2 else ""))
        if phrases:
            parts.append("both cover " + listing(phrases))
        if pair is not None:
            parts.append(f"closest pages: “{pair[0].title}” and “{pair[1].title}”")
        reason = "; ".join(parts)
        return {"week": e, "title": w.title if w else "", "closeness": round(value, 3), "shared": phrases,
                "shared_pages": [{"url": u, "title": self.material.pages[u].title} for u in both],
                "closest": ({"this_week": {"url": pair[0].url, "title": pair[0].title},
                             "that_week": {"url": pair[1].url, "title": pair[1].title}} if pair else None),
                "reason": reason[:1].upper() + reason[1:]}


