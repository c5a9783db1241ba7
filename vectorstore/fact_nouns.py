"""The asked fact noun: the kind a question asks for when no syntactic pattern of `vectorstore.question_asks`
decides it, read by the noun in asking position (`asked_noun`, over the English lexicon `FACT_NOUNS`): "model
monitor billing: price tag per run?" asks a price, "which calendar year did it ship?" a date. `asked` is the question
as both modules read it (whitespace normalised, a stated preference dropped).
"""
from __future__ import annotations

import re

_PREFERENCE = re.compile(r"\b(?:would|'d) rather\b[^.?!;]*?\bthan\b", re.I)


def asked(question: str) -> str:
    """The question with its whitespace normalised and without a stated preference ("I'd rather write X than Y"),
    which asks nothing."""
    return _PREFERENCE.sub(" ", " ".join(question.split()))


# The patterns of `vectorstore.question_asks` read how a question asks by its syntax; a question no pattern decides
# may still name the fact it wants by a noun in asking position ("model monitor billing: price tag per scheduled
# run?", "athena default quota for simultaneous queries?", "which calendar year did aws first ship it?", "what does
# the paperback sell for?").
# Plain English fact words by kind (never a product, page or question); a two-word entry is one phrase.
FACT_NOUNS: dict[str, tuple[str, ...]] = {
    "price": ("price", "prices", "price tag", "pricing", "cost", "costs", "fee", "fees", "charge", "charges", "bill",
              "billing", "rental", "rent", "dollars", "dollar figure", "dollar amount", "dollar rate", "sell for",
              "sells for", "retail for", "retails for"),
    "number": ("limit", "limits", "quota", "quotas", "maximum", "max", "minimum", "ceiling", "cap", "throughput",
               "capacity", "count", "size", "length", "percentage", "rate", "rates"),
    "duration": ("duration", "latency", "delay", "timeout", "lifetime", "time"),
    "date": ("year", "date", "month", "calendar year"),
    "version": ("version", "versions", "release", "releases", "build"),
}
# A currency named anywhere makes the asked amount a price ("dollar rate", "throughput cost in dollars").
_CURRENCY = re.compile(r"[$€£]|\b(?:dollars?|usd|euros?|cents?)\b", re.I)
# Words that end the noun phrase holding the asked noun: prepositions, conjunctions and relative words.
ENDS_PHRASE = frozenset("of for on per in at to with by from across between during while when whenever if after "
                        "before since until that which who where whose than via under over into about assuming "
                        "and or so each every besides except beyond including like such other".split())
# Words of a clause (an auxiliary, a modal, a subject pronoun): a segment holding one before its asked noun is not a
# bare noun phrase.
_CLAUSE = frozenset("is are was were be been am do does did can could should would will shall may might must has have "
                    "had i we you he she they it me us him them i'm i've i'd we're you're it's there's isn't aren't "
                    "don't doesn't can't won't".split())
# A release asked for by its order ("first build shipping X", "latest release with Y"), not a variant ("async version").
_ORDER = re.compile(r"\b(?:first|latest|newest|oldest|earliest|minimum|current|last|initial|most recent)\b", re.I)
_WH = frozenset({"what", "which", "what's", "whats"})
_SEGMENTS = re.compile(r"\s*(?:[:;,?!]|\s[-–—]+\s|\(|\))\s*")
_WORDS = re.compile(r"[a-z0-9][\w'.+/-]*", re.I)
# A yes/no question after a topic or a place ("on eks can I carve an a100 into slices?", "pipelines: does it retry?").
_YESNO_AFTER = re.compile(
    r"^(?:(?:on|in|for|with|using|under|at|from|inside|within|via)\s+"
    r"(?:(?!(?:which|what|whose|how)\b)[\w.+#/'-]+\s+){1,4}?)?"
    r"(?:is|are|was|were|does|do|did|can|could|should|will|would|has|have|may|must)\s+\w", re.I)
# A clause that asks (a question word, or an auxiliary opening it): the asked clause, read alone.
_ASKS = frozenset({"what", "which", "what's", "whats", "who", "whom", "whose", "how", "why", "where", "when"})
# Which of two offered things is more of something ("matplotlib or seaborn - which one draws faster?"): "which one"
# (or "which of them") with a comparative of the English lexicon below.
_COMPARATIVES = ("faster slower cheaper costlier quicker bigger smaller larger higher lower easier harder simpler "
                 "newer older safer lighter heavier longer shorter stronger better worse more less fewer").split()
_WHICH_MORE = re.compile(rf"\bwhich(?: one| of (?:them|the two|these|those))?\b[^?]*\b(?:{'|'.join(_COMPARATIVES)})\b",
                         re.I)
_TWO_OFFERED = re.compile(r"\b\w[\w.+#-]*\s+or\s+\w|\bversus\b|\bvs\.?(?=\s)", re.I)
_PHRASES = {kind: sorted((tuple(n.split()) for n in nouns), key=len, reverse=True)
            for kind, nouns in FACT_NOUNS.items()}


def _fact_at_end(words: list[str]) -> str | None:
    """The kind of the fact noun (one or two words) that `words` end with, None when they end with none."""
    for kind, phrases in _PHRASES.items():
        if any(len(p) <= len(words) and tuple(words[-len(p):]) == p for p in phrases):
            return kind
    return None


def _participle(word: str) -> bool:
    return len(word) > 4 and word.endswith(("ing", "ed"))


def _head_noun(words: list[str]) -> str | None:
    """The kind of the fact noun heading a bare noun phrase: the phrase's last word before the first word that ends
    it ("default account limit on ...", "first release shipping ..."); None when a clause word comes first."""
    head: list[str] = []
    for word in words:
        if word in ENDS_PHRASE or (head and _participle(word) and _fact_at_end(head)):
            break
        if word in _CLAUSE or word in _ASKS:
            return None
        head.append(word)
    return _fact_at_end(head) if head else None


_DETERMINERS = frozenset({"the", "a", "an", "its", "their", "my", "our", "your", "this", "that", "each", "one"})


def _wh_phrase(words: list[str], strict: bool = False) -> list[str] | None:
    """The noun phrase a "what/which" governs ("which calendar year did ..." -> calendar year; "what's the dollar
    rental per month" -> dollar rental), [] when a verb follows it at once ("what does X sell for"), None without a
    what/which or when no noun phrase follows it ("what happens the first time ..."). `strict`: only a phrase an
    auxiliary closes ("what learning rate does ..."; not "which key limits which model ...", a verb read as a
    noun)."""
    start = next((i for i, w in enumerate(words) if w in _WH), None)
    if start is None:
        return None
    rest = words[start + 1:]
    if words[start] not in ("what's", "whats") and rest and rest[0] in ("is", "are", "was", "were"):
        rest = rest[1:]
    while rest and rest[0] in _DETERMINERS:
        rest = rest[1:]
    phrase: list[str] = []
    for word in rest:
        if word in ENDS_PHRASE or word in _CLAUSE or (phrase and _participle(word)):
            return None if strict and word not in _CLAUSE else phrase
        if word in _DETERMINERS:
            return None  # a determiner after the first words: a verb came first, no noun phrase
        phrase.append(word)
    return None if strict else phrase


def asked_noun(question: str, strict: bool = False) -> str | None:
    """The kind a question no syntactic pattern decides asks for by its asked fact noun (`FACT_NOUNS`), or by a
    yes/no or comparing clause after a topic. The clauses are read from the last: a clause that asks (a question word
    or an opening auxiliary) is the asked one and decides alone: a comparison of two offered things, a yes/no
    question, the fact noun its "what/which" governs, or the fact noun it ends on ("what does X sell for?"); a bare
    noun phrase ("price tag per scheduled run", "default account limit on ...") asks for its head noun's kind, else
    the clause before it is read. None when no clause asks for a fact ("the fee keeps growing, any tips?").
    `strict` (a question a pattern read as asking a name): only a what/which phrase an auxiliary closes counts."""
    q = asked(question)
    for segment in reversed([s for s in _SEGMENTS.split(q) if s.strip()]):
        words = [w.lower().rstrip(".") for w in _WORDS.findall(segment)]
        if not words:
            continue
        if _WHICH_MORE.search(segment) and _TWO_OFFERED.search(q):
            return "comparison"
        if _YESNO_AFTER.match(segment):
            return "yesno"
        if _ASKS.intersection(words):
            if "why" in words:
                return None  # a reason is asked, whatever the clause mentions
            phrase = _wh_phrase(words, strict)
            # the noun the question word governs; with a verb right after it, the fact the clause ends on
            kind = _fact_at_end(phrase) if phrase else _fact_at_end(words) if phrase == [] and not strict else None
        elif strict:
            return None
        else:
            kind = _head_noun(words)
            if kind is None:
                continue
        if kind == "version" and not _ORDER.search(segment):
            return None  # "the async version of the client" is a variant; a release is asked by its order
        if kind == "number" and _CURRENCY.search(q):
            return "price"
        return kind
    return None
