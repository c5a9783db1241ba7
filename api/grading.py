"""Checking a learner's answer to a quiz question: correct, partial or incorrect, by meaning and by key terms.

Two measures, both against what the question asks for (`Question.expected`: a definition's predicate, the
blanked value or command, the roadmap's lines, a model question's quoted span):

- **similarity**: the cosine of the answer's and the expected text's MiniLM embeddings (the embedder the
  retriever holds; its cache remembers both);
- **coverage**: the idf-weighted share of the key terms the answer holds. Key terms are the expected text's terms
  (the shared tokenizer's stems) that the question does not already give; numbers lose thousands separators
  first ("10,000" = "10000").

`score = SIMILARITY_WEIGHT * similarity + (1 - SIMILARITY_WEIGHT) * coverage`; `score >= CORRECT` is correct,
`>= PARTIAL` partial, otherwise incorrect. The three constants are fitted on the dev half of
`eval/quiz_answers.jsonl` only (`python bench/fit_quiz_check.py`), and the test half is reported, never tuned on.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vectorstore.text import tokenize

# Fitted on eval/quiz_answers.jsonl, split "dev", by `python bench/fit_quiz_check.py` (see README, Study companion).
# 48 dev answers: dev agreement 0.938, leave-one-question-out 0.896.
SIMILARITY_WEIGHT = 0.8
CORRECT = 0.738
PARTIAL = 0.386
VERDICTS = ("correct", "partial", "incorrect")

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_WORD = re.compile(r"[A-Za-z0-9][\w.+#-]*")


def terms(text: str) -> list[str]:
    return tokenize(_THOUSANDS.sub("", text))


def key_terms(question: str, expected: str) -> dict[str, str]:
    """Stem -> the word as the expected text writes it, for the terms a right answer must supply."""
    asked = set(terms(question))
    surface: dict[str, str] = {}
    for word in _WORD.findall(_THOUSANDS.sub("", expected)):
        for t in terms(word):
            surface.setdefault(t, word.strip(".-"))
    keys = {t: w for t, w in surface.items() if t not in asked}
    return keys or surface


@dataclass(frozen=True)
class Features:
    similarity: float
    coverage: float
    missing: list[str]   # key terms the answer lacks, as the source writes them

    def score(self, weight: float = SIMILARITY_WEIGHT) -> float:
        return weight * self.similarity + (1 - weight) * self.coverage


def features(answer: str, question: str, expected: str, embed: Callable, idf: Callable[[str], float]) -> Features:
    keys = key_terms(question, expected)
    given = set(terms(answer))
    weights = {t: idf(t) for t in keys}
    total = sum(weights.values()) or 1.0
    coverage = sum(w for t, w in weights.items() if t in given) / total
    a, e = np.asarray(embed([answer, expected]), dtype=np.float32)
    similarity = max(0.0, float(a @ e / max(float(np.linalg.norm(a) * np.linalg.norm(e)), 1e-12)))
    missing = [w for t, w in keys.items() if t not in given]
    return Features(similarity, coverage, missing)


def verdict(f: Features, weight: float = SIMILARITY_WEIGHT, correct: float = CORRECT, partial: float = PARTIAL) -> str:
    s = f.score(weight)
    return "correct" if s >= correct else "partial" if s >= partial else "incorrect"
