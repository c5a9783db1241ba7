"""The one tokenizer of the project: lower-case words, English stopwords dropped, Snowball stems (PyStemmer, or
a small suffix stripper when it is missing). BM25, the abstention signals and the extractive sentence picker all
use `tokenize`, so a query term and a passage term match the same way everywhere.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers him his how i if in into is it its itself just me more most my no nor not now of off on once
    only or other our ours out over own same she should so some such than that the their theirs them then there
    these they this those through to too under until up very was we were what when where which while who whom why
    will with would you your yours yourself want wants need needs use using used get getting go going know learn
    learning tell explain show give please way ways thing things something anyone one someone
    myself ourselves yourselves himself herself themselves anything anybody everything nothing
    don doesn didn isn aren wasn weren hasn haven hadn won wouldn shouldn couldn mustn needn ve ll re""".split()
)  # the last two lines: NLTK's English list's reflexive pronouns and contraction fragments ("doesn't" -> "doesn")


def _fallback_stem(word: str) -> str:
    """A tiny English suffix stripper for when PyStemmer is not installed."""
    for suffix, keep in (("ational", 5), ("ization", 5), ("ingly", 4), ("ments", 4), ("ment", 4), ("ness", 4),
                         ("ings", 4), ("ing", 4), ("ies", 3), ("ied", 3), ("edly", 4), ("ed", 4), ("es", 4),
                         ("ly", 4), ("s", 3)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep and not word.endswith("ss"):
            return word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
    return word


def _make_stemmer() -> Callable[[str], str]:
    try:
        import Stemmer  # PyStemmer
    except ImportError:
        return _fallback_stem
    stem: Callable[[str], str] = Stemmer.Stemmer("english").stemWord  # PyStemmer has no types
    return stem


_local = threading.local()  # a PyStemmer object is not thread-safe: one per thread


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    stem = getattr(_local, "stem", None)
    if stem is None:
        stem = _local.stem = _make_stemmer()
    return stem(word)


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stopwords, stemmed ("Deploying models" -> ["deploy", "model"])."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


# Learner boilerplate: the discourse around a question, not its content. Each pattern is a generic conversational
# formula (greeting, "I'm on week N and", "I want to know", "can you explain", "quick question:", "thanks"), applied
# at the start or end of the question only, never to a particular topic or wording of a question set.
_LEAD = re.compile(
    r"^(?:"
    r"(?:hi|hello|hey)(?:\s+(?:there|all|everyone|team))?\s*[,!.:-]?\s+"
    r"|(?:ok(?:ay)?|so|well|hmm+|um+)\s*[,!.:-]\s*"
    r"|(?:quick|simple|short|dumb|silly|newbie|beginner|basic)\s+question\s*[:,.!-]?\s*(?:here\s*[:,.!-]?\s*)?"
    r"|(?:i'?m|i\s+am|we'?re|we\s+are)\s+(?:currently\s+|now\s+|just\s+|still\s+)?"
    r"(?:on|in|at|doing|working\s+(?:on|through)|going\s+through|studying|learning|reading)\b[^,;:?]*?"
    r"(?:,\s*|\s+and\s+|\s+so\s+|\s*[;:.-]\s+)(?:(?:now\s+)?i\s+)?"
    r"|(?:(?:and\s+)?(?:i|we)\s+)?(?:really\s+|just\s+)?(?:want|wanted|need|needed|would\s+like|'d\s+like|am\s+trying|"
    r"'m\s+trying|have\s+to|hope|was\s+hoping)\s+to\s+(?:(?:know|understand|learn|figure\s+out|find\s+out|see|"
    r"check|ask)\b(?:\s+(?:this|that|something|the\s+following|one\s+thing))?\s*[:.,-]?\s*)?"
    r"|(?:and|but)\s+"
    r"|(?:can|could|would|will)\s+(?:you|someone|anyone)\s+(?:please\s+)?(?:tell|show|explain(?:\s+to)?|help)\s+"
    r"(?:me|us)\s+(?:(?:with|understand|know)\s+)?"
    r"|(?:please\s+)?(?:tell|show|explain(?:\s+to)?)\s+(?:me|us)\s+"
    r"|(?:do\s+you\s+know|any\s+idea|i\s+was\s+wondering|i\s+wonder|i'?m\s+wondering)\s*,?\s*"
    r")", re.IGNORECASE)
_TAIL = re.compile(r"(?:[\s,.!-]+(?:thanks|thank\s+you|thx|cheers|any\s+help\s+(?:is\s+)?appreciated)[\s!.]*"
                   r"(?:in\s+advance[\s!.]*)?)$", re.IGNORECASE)


def strip_boilerplate(question: str) -> str:
    """The question without learner boilerplate around it ("I'm on week 1 and want to list every S3 key" ->
    "list every S3 key"); the question itself when nothing would be left."""
    text = " ".join(question.replace("’", "'").split())
    while True:
        shorter = _TAIL.sub("", _LEAD.sub("", text, count=1)).strip()
        if shorter == text:
            break
        text = shorter
    return text if len(text.split()) >= 2 else question.strip()
