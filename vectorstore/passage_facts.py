"""Whether passages state a fact of the asked kind about the question's subject: the reading of the PASSAGES (what
a question asks is read by `vectorstore.question_asks`).

`evidence(kind, key_terms, texts, asks)` scores how well the passages state such a fact: each sentence that holds a
fact of the kind (`_FACTS`: a currency amount for `price`; a quantity with a unit, not a number inside an address,
path or version, for `number`; a number of time units for `duration`; a date or year for `date`; a release number
for `version`; a comparing phrase for `comparison`; a proper name or code token for `name`; a definitional verb for
`definition`) and meets every qualifier asked is read with its chunk's heading line (which names the subject of
every sentence under it) and its paragraph's one-word label line (an API parameter's name), and the share of the
question's key terms found there (weighted, e.g. by IDF; a term also counts when two adjacent words there write it
closed: "Auto Scaling" for "autoscaling"; British spellings meet American ones; a line of YAML or a nested list is
read with the short keys it is indented under) is its score; the best is the evidence. A value set in code,
configuration or a command line (`vectorstore.code_values.settings`) is read as its identifier's words with the
call it is passed to, its keys and the heading (`code_settings` gives the lines, for an answer to quote). `counts`
says whether a sentence gives a number for the counted noun. Kinds without a fact of their own (`yesno`, `howto`,
`other`) and names (`COOCCUR_KINDS`) score every stretch of about two sentences with its chunk's heading
(`cooccurrence`): whether the passages hold the question's key terms together, not only apart (a pairing the pages
never make); a name asked by who made or first had something (`checked_as`: "origin") counts only a stretch naming
something next to a making. `support(question, texts, idf)` does it all for a question. All patterns are general;
none names a product, a page or a question.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from functools import lru_cache

from vectorstore.code_values import CAMEL, SETTING_KINDS, settings
from vectorstore.question_asks import (
    COMPARES,
    KINDS,
    MONTH,
    NUM_WORD,
    QUALIFIERS,
    TIME_UNIT,
    american,
    asked_of,
    checked_as,
    counted,
    detect,
    fact_terms,
)
from vectorstore.text import tokenize

WINDOW = 15  # words either side of a fact that count as "near" it

_VERSION_NUMBER = r"v?\d+(?:\.(?:\d+|x))+"
# Words that set an amount as approximate or as a bound ("about a year", "less than an hour", "within a day").
_ABOUT = (r"(?:about|around|roughly|approximately|nearly|almost|over|under|within|less than|more than|fewer than|"
          r"at least|at most|up to|no more than|in|after|for|every|once)")
# Words that qualify a time unit without changing it ("five business days", "90 consecutive days").
_UNIT_ADJECTIVE = r"(?:business|working|calendar|consecutive|full|whole|straight|additional|more|further|extra)"

_FACTS: dict[str, re.Pattern[str]] = {
    "comparison": COMPARES,
    "price": re.compile(
        r"[$€£¥]\s?\d|\b\d[\d,]*(?:\.\d+)?\s?(?:usd|eur|gbp|dollars?|cents?|euros?)\b|"
        r"\b(?:free of charge|at no (?:additional |extra )?(?:cost|charge)|no (?:additional |extra )?charge|"
        r"(?:is|are|for|it's) free\b|free tier|pay[- ]as[- ]you[- ]go)", re.I),
    "duration": re.compile(rf"\b{NUM_WORD}\s?(?:-\s?)?(?:{_UNIT_ADJECTIVE}\s+)?{TIME_UNIT}\b|"
                           r"\b\d+\s?(?:ms|s|m|h|d)\b|"
                           rf"\b{_ABOUT} (?:an?|one|half an?) {TIME_UNIT}\b|"
                           r"\b(?:hourly|daily|weekly|monthly|yearly|annually)\b", re.I),
    "date": re.compile(
        rf"\b{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d\b|\b\d{{1,2}}\s+{MONTH}\.?\s+(?:19|20)\d\d\b|"
        rf"\b{MONTH}\.?\s+(?:19|20)\d\d\b|\b(?:19|20)\d\d-\d\d(?:-\d\d)?\b|\bq[1-4]\s+(?:19|20)\d\d\b|"
        rf"\b(?:in|since|from|until|by|before|after|of|early|late|mid)[- ](?:19|20)\d\d\b|"
        rf"\b(?:added|introduced|new|available|deprecated|removed|changed) (?:in|since) (?:version |release )?"
        rf"{_VERSION_NUMBER}\b", re.I),
    "version": re.compile(
        rf"\b(?:version|release|v(?:er)?\.?)\s*{_VERSION_NUMBER}\b|\b(?:version|release)\s+\d+\b|"
        rf"\bv\d+\b|\b\d+\.\d+\.\d+\b|\b\d+\.x\b|\b[A-Z][\w+#-]*\s+{_VERSION_NUMBER}\b|"
        # a version bound written with the number: "3.9 or later", "3.10+", ">=0.3.20", "up to 7.10", "1.0-1"
        r"(?i:(?<![\w.])\d+\.\d+(?:\.\d+)*(?:\+|\s+or\s+(?:later|newer|higher|above|greater|earlier|older|lower|"
        r"below))|(?:[<>=~!]=|[<>])\s*v?\d+(?:\.\d+)+|"
        # (an amount is no version: "up to 1.5 MB")
        r"(?:\b(?:up to|through|until|before|after|from|since) v?\d+\.\d+|(?<![\w.])\d+\.\d+-\d+)\b"
        rf"(?!\.\d|\s*(?:%|[kmgtpe]i?b\b|bytes?\b|x\b|times\b|percent\b|{TIME_UNIT}\b|[$€£])))"),
    "number": re.compile(
        # a quantity: digits (not part of an address, path, version or identifier) and a unit or counted noun
        r"(?<![\w.:/#=-])\d[\d,]*(?:\.\d+)?\+?(?:\s|-(?=[a-z]{2,}\b))?(?:%|percent\b|[kmgtp]i?b\b|bytes?\b|x\b|"
        # (a Kubernetes quantity: "1Gi", "512Mi")
        r"(?-i:[KMGTPE]i\b)|"
        r"(?!(?:in|on|at|to|and|or|of|the|for|is|are|was|were|with|by|from|as|if|it|be|than|that|this)\b)[a-z]{2,}\b)|"
        rf"\b(?:up to|at most|at least|maximum of|minimum of|limit of|max(?:imum)?|min(?:imum)?)\s+(?:of\s+)?"
        rf"{NUM_WORD}\b|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
        rf"fifty|hundred|thousand|million|billion)\s+[a-z]{{3,}}\b|"
        r"\b(?:half|a third|a quarter|twice|double|triple|\w+-fold|unlimited|any number of|"
        r"only one)\b|"
        # one of a thing per another ("one Data Catalog per region")
        r"\b(?:one|a single|exactly one)\s+(?:[\w-]+\s+){0,4}?per\s+[a-z]{3,}\b|"
        # an amount in words ("about a year of coding", "less than an hour", "a dozen")
        rf"\b{_ABOUT} (?:an?|one|half an?) (?:dozen|couple|hundred|thousand|million|billion|{TIME_UNIT})\b|"
        # a limit named before its value ("maximum length of 2048", "minimum passing score 750")
        r"\b(?:max(?:imum)?|min(?:imum)?|limit|cap|quota|ceiling)\s+(?:[a-z-]+\s+){0,3}?(?:of\s+|is\s+|=\s*|:\s*)?"
        r"\d|"
        # ... or a bound written after it ("1 or higher", "3 or more")
        r"(?<![\w.:/#=-])\d[\d,]*(?:\.\d+)?\s+or\s+(?:more|higher|greater|above|larger|fewer|less|lower|below|"
        r"smaller)\b|"
        # ... or a default ("defaults to 1.0", "the default value is 10")
        r"\bdefault(?:s|ed)?\s+(?:[a-z-]+\s+){0,3}?(?:of|is|to|=|:)\s*\d", re.I),
    "name": re.compile(r"`[^`\n]{2,60}`|(?<=[a-z,;:(] )[A-Z][\w.+#-]+|\b[a-z]+(?:[A-Z][a-z0-9]+)+\b|"
                       r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b|\b\w+\.\w+\(\)"),
    "definition": re.compile(r"\b(?:is|are) (?:an?|the|used|designed|responsible)\b|\brefers? to\b|\bmeans?\b|"
                             r"\bstands? for\b|\b(?:lets?|allows?|enables?|provides?) (?:you|users|developers)\b",
                             re.I),

}
_TOKEN = re.compile(r"\S+")
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z0-9\"'`(\[])|\n+")
_HEADING_WORDS = 20  # a chunk's first paragraph this short, without a full stop, is its heading line
# A sentence that opens by referring back ("This mode defaults to 3 attempts", "But if it takes more than 15 minutes")
# has its subject in the sentence before.
_REFERS_BACK = re.compile(r"\W*(?:(?:but|and|so|however|otherwise|then|also|in that case|if so)\W+)?"
                          r"(?:(?:if|when|once|after|unless|until|because)\s+)?"
                          r"(?:this|that|these|those|it|its|they|their|them|such|the same|each|both)\b", re.I)

_NUMBER_TOKEN = re.compile(r"(?<![\w.:/#=-])\d[\d,]*(?:\.\d+)?(?![\w.]*\.\d)|\b(?:one|two|three|four|five|six|"
                           r"seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|hundred|"
                           r"thousand|million|billion|unlimited|single)\b", re.I)
_NEAR = 4  # words between a number and the counted noun that still count it
_BETWEEN = re.compile(r"for|of|in|on|per|with|by|from|to|at|across")
# Words after a number that leave it a bare count ("partitions: 100 per table", "3 or more", "20 and up")
_FOLLOWS = re.compile(r"per|each|and|or|for|in|on|at|to|of|is|are|was|were|the|with|by|from|than|as|total", re.I)

# Nouns that count the members of whatever a label names ("Array Members: Maximum number of 10 items." under a
# parameter's name, "up to 5 entries").
_MEMBERS = re.compile(r"(?<![\w.:/#=-])\d[\d,]*\s+(?:items?|elements?|entries|entry|members?|values?)\b", re.I)


def counts(sentence: str, noun: str | re.Pattern[str], context: str = "") -> bool:
    """Does `sentence` give a number for the counted noun (within a few words of it) or an amount in its units? A
    number of items, elements or entries counts the noun when `context` (the heading or label the sentence sits
    under) names it."""
    if isinstance(noun, re.Pattern):
        return bool(noun.search(sentence))
    if context and _MEMBERS.search(sentence) and _names(context, noun):
        return True
    words = american(sentence).split()
    stem = noun.rstrip("s")
    near = [i for i, w in enumerate(words) if any(t.rstrip("s") == stem for t in tokenize(w))]
    if not near:
        return False
    numbers = [i for i, w in enumerate(words) if _NUMBER_TOKEN.search(w)]
    # a number before the noun counts it unless a preposition between makes it another amount's ("the limit is
    # 65535 for Fargate Pods": a limit of something else, for pods)
    # ... and a number after the noun counts it unless the number has a noun of its own ("partition keys) or 1,000
    # records per second": records, not partitions)
    return any(abs(i - j) <= _NEAR + 1 and not (j < i and any(_BETWEEN.fullmatch(w.lower()) for w in words[j + 1:i]))
               and not (j > i and _owns_noun(words, j, stem)) for i in near for j in numbers)


def _names(text: str, stem: str) -> bool:
    """Does `text` name the counted noun `stem` (also inside a camel-case identifier: "FieldPaths" names paths)?"""
    text = american(text)
    return any(t.rstrip("s") == stem.rstrip("s") for t in tokenize(f"{text} {CAMEL.sub(' ', text)}"))


def _owns_noun(words: list[str], j: int, stem: str) -> bool:
    """Is the number at `words[j]` followed by a noun other than the counted one (`stem`)?"""
    if j + 1 >= len(words) or not _NUMBER_TOKEN.fullmatch(words[j].strip("(),.;:")):
        return False
    nxt = words[j + 1].lower().strip("(),.;:")
    return bool(re.fullmatch(r"[a-z]{3,}", nxt)) and not _FOLLOWS.fullmatch(nxt) \
        and not any(t.rstrip("s") == stem for t in tokenize(nxt))


def _weights(key_terms: Iterable[str] | Mapping[str, float]) -> dict[str, float]:
    if isinstance(key_terms, Mapping):
        return {t: float(w) for t, w in key_terms.items() if w > 0}
    return dict.fromkeys(key_terms, 1.0)


def _heading(text: str) -> str:
    """The chunk's heading line ("Title > Section") when it starts with one, else ''."""
    first = _PARAGRAPH.split(text.strip(), maxsplit=1)[0]
    if "\n" in first or len(first.split()) > _HEADING_WORDS or first.rstrip().endswith((".", "!", "?", ":")):
        return ""
    return first


# A paragraph opening on a short label line (a parameter's name, a term being defined: "`knowledgeBaseId`",
# "MaxItems") names the subject of the lines under it ("Length Constraints: Minimum length of 10.").
_LABEL = re.compile(r"\s*`?[\w.-]+`?:?\s*")


_WORD = re.compile(r"[A-Za-z]+")


def _compounds(text: str) -> set[str]:
    """The stems of each two adjacent words of `text` written as one: a compound the question writes closed and the
    page open ("autoscaling" for "auto scaling", "dataset" for "data set", "checkpoint" for "check point")."""
    words = _WORD.findall(text)
    return set(tokenize(" ".join(a + b for a, b in zip(words, words[1:], strict=False))))


def _meets(qualifier: str, fact: re.Pattern[str], sentence: str) -> bool:
    """Does `sentence` meet `qualifier`? A comparison is also made by stating two values of the asked kind side by
    side ("up to 12 hours on CPU instances and 4 hours on GPU instances")."""
    if QUALIFIERS[qualifier][1].search(sentence):
        return True
    return qualifier == "compare" and fact is not COMPARES and len(fact.findall(sentence)) >= 2


def _meets_all(asks: tuple[str, ...], fact: re.Pattern[str], sentence: str) -> bool:
    """Does `sentence` meet every qualifier in `asks`? A default asked of a limit ("the default ceiling on buckets",
    "the default quota") is the limit that holds until it is raised: a stated limit meets it."""
    met = {name for name in asks if _meets(name, fact, sentence)}
    if "default" in asks and "limit" in asks and met & {"default", "limit"}:
        met |= {"default", "limit"}
    return met == set(asks)


@lru_cache(maxsize=1 << 16)
def _stems(word: str) -> frozenset[str]:
    """The stems one whitespace-delimited word of a page holds: the shared tokenizer's, its camel-case parts' and the
    compounds of its parts written closed ("auto-scaling" -> autoscaling). Words recur across questions' hits, so
    each is read once."""
    word = american(word)
    return frozenset(tokenize(word)) | frozenset(tokenize(CAMEL.sub(" ", word))) | _compounds(word)


@lru_cache(maxsize=1 << 16)
def _joined(first: str, second: str) -> frozenset[str]:
    """The compound two adjacent words make written closed ("data set" -> dataset)."""
    a, b = _WORD.findall(first), _WORD.findall(second)
    return frozenset(tokenize(a[-1] + b[0])) if a and b else frozenset()


def clear_caches() -> None:
    """Forget the page words read so far (`_stems`, `_joined`): for measuring the cold cost."""
    _stems.cache_clear()
    _joined.cache_clear()


def _stretches(text: str, terms: frozenset[str]) -> Iterable[tuple[list[str], frozenset[str]]]:
    """Every stretch of about two sentences (`2 * WINDOW + 1` words, overlapping by half) of each paragraph of
    `text`, read with the chunk's heading line (which names the subject of every sentence under it): (its words, the
    heading's first, and which of `terms` it holds, found as `evidence` finds them)."""
    heading = _heading(text)
    head = _stems(heading) & terms if heading else frozenset()
    for paragraph in _PARAGRAPH.split(text):
        words = _TOKEN.findall(paragraph)
        held = [_stems(w) & terms for w in words]
        for i, (a, b) in enumerate(zip(words, words[1:], strict=False)):  # a term written open ("data set")
            if closed := _joined(a, b) & terms:
                held[i] = held[i] | closed
        at = [(i, t) for i, found in enumerate(held) for t in found]  # where each term is, in word order
        for start in range(0, max(1, len(words) - WINDOW), WINDOW):
            end = start + 2 * WINDOW + 1
            yield [heading, *words[start:end]], head | {t for i, t in at if start <= i < end}


def _scopes(kind: str, text: str, asks: tuple[str, ...] = (), noun: str | re.Pattern[str] | None = None
            ) -> Iterable[str]:
    """The stretches of `text` that could state the asked fact: each sentence holding a fact of `kind` (and meeting
    every qualifier in `asks`), with the chunk's heading line, which names its subject."""
    return (scope for _sentence, scope, _own in _statements(kind, text, asks, noun))


def code_settings(kind: str, text: str, asks: tuple[str, ...] = (), noun: str | re.Pattern[str] | None = None
                  ) -> Iterable[tuple[str, str, str]]:
    """The code, configuration and command lines of `text` that set a value of `kind` meeting `asks` (and counting
    `noun`), each with the words `evidence` reads it with (its setting's identifier words, the call it is passed
    to, the keys it is indented under, the chunk's heading): (the line, those words, those of them the line writes
    itself or sits under: all but the heading). What an answer quotes."""
    return ((line, scope, own) for line, scope, own in _statements(kind, text, asks, noun) if own)


def _statements(kind: str, text: str, asks: tuple[str, ...] = (), noun: str | re.Pattern[str] | None = None
                ) -> Iterable[tuple[str, str, str]]:
    """(the sentence or line, the words it is read with, for a setting in code its own words: its call, its keys and
    itself, else '') for each statement of a fact of `kind` in `text` (`_scopes`)."""
    fact = _FACTS[kind]
    heading = _heading(text)
    previous = ""
    for paragraph in _PARAGRAPH.split(text):
        parts = _SENTENCE_END.split(paragraph)
        lead = parts[0] if len(parts) > 1 and _LABEL.fullmatch(parts[0]) else ""
        first = True
        for line, parents in _lines(paragraph):
            for sentence in _SENTENCE_END.split(line):
                if not sentence.strip():
                    continue
                label = "" if first else lead
                if fact.search(sentence) and _meets_all(asks, fact, f"{parents} {sentence}") \
                        and (noun is None or counts(sentence, noun, f"{heading} {label} {parents}")):
                    before = previous if _REFERS_BACK.match(sentence) else ""
                    yield sentence, " ".join([heading, label, parents, before, sentence]), ""
                if kind in SETTING_KINDS:
                    # a value set in code: read with its identifier's words and the call it is passed to, not with
                    # the other values on its line
                    for call, setting in settings(sentence, kind):
                        if _meets_all(asks, fact, f"{parents} {setting}") \
                                and (noun is None or counts(setting, noun, f"{heading} {label} {parents}")):
                            own = " ".join([parents, call, setting])
                            yield sentence, f"{heading} {label} {own}", own
                previous, first = sentence, False


_CONTINUED = re.compile(r"\\[ \t]*\n[ \t]*")  # a line continuation and the next line's indent
_KEY_WORDS = 4  # a line this short is a key or label ("limits:", "- name: train"); a longer one is prose of its own


def _lines(paragraph: str) -> Iterable[tuple[str, str]]:
    """Each line of `paragraph` with the short lines (keys, labels) it is indented under: a YAML value's keys
    ("predictor:", "resources:", "limits:" over `memory: "1Gi"`), which name what it sets and for what."""
    stack: list[tuple[int, str]] = []
    # a command continued over lines ("aws ... \\" then "  --max-capacity 8") is one line: its flags are its own
    for line in _CONTINUED.sub(" ", paragraph).split("\n"):
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        yield line, " ".join(text for _indent, text in stack if len(text.split()) <= _KEY_WORDS)
        stack.append((indent, line.strip()))


def evidence(kind: str, key_terms: Iterable[str] | Mapping[str, float], texts: Iterable[str],
             asks: tuple[str, ...] = (), noun: str | re.Pattern[str] | None = None) -> float:
    """The best share (0..1, weighted when `key_terms` maps terms to weights, such as their IDF) of the key terms
    found in a sentence stating a fact of `kind` (with its chunk's heading line) in `texts`; 0.0 when no sentence
    states such a fact. `asks` names qualifiers (`QUALIFIERS`) the sentence must meet too. With no key terms,
    1.0 if any such sentence is present."""
    if kind not in KINDS:
        raise ValueError(f"unknown answer kind {kind!r}; expected one of {', '.join(KINDS)}")
    unknown = [a for a in asks if a not in QUALIFIERS]
    if unknown:
        raise ValueError(f"unknown qualifier {unknown[0]!r}; expected one of {', '.join(QUALIFIERS)}")
    if kind not in _FACTS:
        return cooccurrence(key_terms, texts)
    weights = _weights(key_terms)
    return _best_share(weights, (_found(weights, scope) for text in texts
                                 for scope in _scopes(kind, text or "", asks, noun)))


def _best_share(weights: dict[str, float], found: Iterable[Collection[str]]) -> float:
    """The best share of `weights` (a term's weight) among the term sets `found` (one per scope); 0.0 without a
    scope, 1.0 with a scope and no weights. Stops at the first scope holding every term."""
    total = sum(weights.values())
    best = 0.0
    for terms in found:
        if not total:
            return 1.0
        best = max(best, sum(w for t, w in weights.items() if t in terms) / total)
        if best >= 1.0:
            return 1.0
    return best


def _found(weights: dict[str, float], scope: str) -> set[str]:
    """The terms `scope` holds: the shared tokenizer's stems, also inside a camel-case identifier, and (when a key
    term is still missing) the compounds it writes open (`_compounds`)."""
    scope = american(scope)
    found = set(scope_terms(scope))
    if any(t not in found for t in weights):
        found |= _compounds(scope)
    return found


def scope_terms(text: str) -> frozenset[str]:
    """The shared tokenizer's stems of `text`, also inside a camel-case identifier (snake_case, kebab-case and dotted
    names split as the tokenizer splits any word)."""
    return frozenset(tokenize(text)) | frozenset(tokenize(CAMEL.sub(" ", text)))


# The kinds whose evidence is whether the passages hold the question's key terms together (`cooccurrence`): a yes/no
# question, a how-to and a question no pattern reads have no fact of their own, and a name is in nearly every
# sentence, so a sentence naming something says little; what tells a near miss ("can I run X on Y?" where the pages
# describe X and Y but never together) is the question's rare terms apart.
COOCCUR_KINDS = ("name", "yesno", "howto", "other")
# What a stretch states next to the name of who made or first had something (a name asked by its maker:
# `question_asks.checked_as` -> "origin"): a making or first having ("developed by", "originally", "launched in").
_CREATOR_STATED = re.compile(
    r"\b(?:created|developed|built|founded|started|written|authored|made|designed|invented|launched|introduced|"
    r"released|open[- ]sourced|donated|sponsored|backed|maintained|originally|initially|first)\b|"
    r"\b(?:creators?|founders?|authors?|maintainers?)\b|\bby (?-i:[A-Z])", re.I)


def cooccurrence(key_terms: Iterable[str] | Mapping[str, float], texts: Iterable[str], creator: bool = False
                 ) -> float:
    """The best share (0..1, weighted as in `evidence`) of the key terms found together in one stretch of about two
    sentences of `texts` with its chunk's heading line (`_stretches`): low when the passages hold the question's rare
    terms only apart. `creator` (a name asked by who made or first had something, `_CREATOR_ASKED`): only a
    stretch holding a name (a proper name or code token) next to a making or first having counts. With no key
    terms, 1.0 if there is any such stretch."""
    weights = _weights(key_terms)
    return _best_share(weights, (found for text in texts for words, found in _stretches(text or "", frozenset(weights))
                                 if not creator or _made(" ".join(words))))


def _made(scope: str) -> bool:
    """Does `scope` name something (a proper name or code token) next to a making or first having?"""
    return bool(_FACTS["name"].search(scope) and _CREATOR_STATED.search(scope))


def support(question: str, texts: Iterable[str], idf: Callable[[str], float] | None = None,
            kind: str | None = None) -> tuple[str, float]:
    """(the kind `question` asks for, the evidence the passages `texts` give for it): the share of its key terms,
    weighted by `idf` (the index's inverse document frequency: the subject's rare words count most), found in a
    sentence that states a fact of that kind and meets the question's qualifiers; for the kinds `COOCCUR_KINDS`, the
    share found together in one stretch of about two sentences (`cooccurrence`). `kind`: the kind already detected."""
    kind = kind or detect(question)
    terms = fact_terms(question)
    weights = {t: idf(t) for t in terms} if idf else dict.fromkeys(terms, 1.0)
    if kind in COOCCUR_KINDS:
        return kind, cooccurrence(weights, texts, creator=checked_as(question, kind) == "origin")
    return kind, evidence(kind, weights, texts, asked_of(kind, question),
                          counted(question) if kind == "number" else None)


def has_fact(kind: str, text: str) -> bool:
    """Does `text` (a sentence, say) hold a fact of `kind`? Always true for kinds without a fact of their own."""
    fact = _FACTS.get(kind)
    return True if fact is None else bool(fact.search(text))
