"""The readings of a learner's answer against its source (the quiz question and the text it expects), which the answer
check (`api.grading`) weighs and rules by.

The answer is read first: hedges ("I don't know", "not sure", "maybe", "?") and a guess the learner takes back ("X??
no, Y" is Y) are dropped (`without_hedges`); number words become digits ("twenty-five" = "25", "a thousand" = "1000";
"10,000" and "10k" = "10000": `normalise`), and for a percentage a fraction word is the percentage it is
(`fractions`). Then what it says: its terms (the shared tokenizer's stems: `terms`, `surfaces`, the `key_terms` a
right answer must supply and whether the answer `holds` one), its numbers and code names (`specifics`, `numbers`, a
call's `arguments`, a blank's `command` and the answer's runs `in_slot`, names written as words: `spelled`,
`respelled`; product `names`, `initials`, `owned`, `within`), its `clauses`, what its negations govern (`negated`,
`opposite`, `flipped`), and how it departs from the source (`renames`, `restricts`, `widens`, `swaps`, `circular`,
`counts`, `miscounts`).

A negation may lack its apostrophe ("cant") and also covers its clause's subject ("the column types cant change");
an aside in parentheses is a clause of its own and qualifies no value.

The patterns named without a leading underscore (`NUMBER`, `BARE_NUMBER`, `THOUSANDS`, `CODE`, `PATH`, `PARENS`, `OR`)
are read by `api.grading.features` too.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from vectorstore.text import tokenize

THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_KILO = re.compile(r"\b(\d+(?:\.\d+)?)[kK]\b")   # "10k" is 10000
_PERCENT = re.compile(r"(?<=\d)\s*(?:per\s?cent|pct)\b", re.IGNORECASE)   # "70 percent" is "70%"
_WORD = re.compile(r"[A-Za-z0-9][\w.+#-]*")
NUMBER = re.compile(r"(?<!\w)\d+(?:\.\d+)?")   # not the digits of a name: "EC2", "NO_2"
_RAW_NAME = re.compile(r"[a-z_][a-z0-9_]*")
OR = re.compile(r"\b(?:or|either)\b", re.IGNORECASE)
BARE_NUMBER = re.compile(r"\s*\d+(?:\.\d+)?%?\s*")
_RAW = re.compile(r"[a-z0-9]+(?:'t)?")
_NEGATIONS = frozenset({"not", "never", "none", "nothing", "neither", "nor", "cannot", "can't",
                        "don't", "doesn't", "isn't", "aren't", "won't", "didn't", "wasn't", "weren't", "shouldn't",
                        "couldn't", "n't",
                        # the same written without the apostrophe ("the column types cant change")
                        "cant", "dont", "doesnt", "isnt", "arent", "didnt", "wasnt", "werent", "shouldnt",
                        "couldnt", "wouldnt", "hasnt", "havent"})
_PAIRED = (("instead", ["of"]), ("rather", ["than"]))   # "instead of X", "rather than X" negate X
# "only X" excludes the rest ("read-only" does not)
_EXCLUSIVE = re.compile(r"(?<![\w-])(?:only|solely|exclusively|merely)(?![\w-])", re.IGNORECASE)
_WEAK_NEGATIONS = frozenset({"no", "without", "lacks", "lack", "lacking", "free"})
_HEDGES = re.compile(
    r"\b(?:i\s+)?(?:do\s*n[o']?t|don'?t|dunno|have\s+no|got\s+no)\s+(?:really\s+)?(?:know|remember|recall|idea|clue)\b"
    r"|\b(?:i'?m\s+|i\s+am\s+)?(?:not\s+(?:sure|certain)|unsure|no\s+idea|no\s+clue|idk|dunno|can'?t\s+remember)\b"
    r"|\b(?:i\s+)?(?:think|guess|believe|forgot|forget)\b|\b(?:maybe|perhaps|probably)\b|\bsomething\s+like\b|\?+",
    re.IGNORECASE)
_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
          "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
          "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_NUMBER_NAMES = "|".join(sorted([*_UNITS, *_SCALES], key=len, reverse=True))
_NUMBER_WORD = rf"(?:{_NUMBER_NAMES})\b"
_NUMBER_WORDS = re.compile(  # "a thousand", "twenty-five", "one hundred and ten": "and" only after a scale
    rf"\b(?:an?\s+(?=(?:hundred|thousand|million|billion)\b))?{_NUMBER_WORD}"
    rf"(?:(?:[\s-]+|(?:(?<=hundred)|(?<=thousand)|(?<=million)|(?<=billion))\s+and\s+){_NUMBER_WORD})*",
    re.IGNORECASE)


def _words_to_number(match: re.Match[str]) -> str:
    total, current = 0, 0
    for word in re.findall(r"[a-z]+", match[0].lower()):
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] > 100:
                total, current = total + current, 0
    return str(total + current)


def _kilo(match: re.Match[str]) -> str:
    return _number(str(float(match[1]) * 1000))


def _number(n: str) -> str:
    """One spelling per number: "1.50" -> "1.5", "10000.0" -> "10000"."""
    return n.rstrip("0").rstrip(".") if "." in n else n


def normalise(text: str) -> str:
    """Digits for number words, no thousands separators, "k" read as thousands, "percent" as "%": "twenty-five" ->
    "25", "10,000" -> "10000", "10k" -> "10000", "seventy percent" -> "70%"."""
    return _PERCENT.sub("%", _NUMBER_WORDS.sub(_words_to_number, _KILO.sub(_kilo, THOUSANDS.sub("", text))))


_FRACTIONS = {"half": "50", "quarter": "25", "fifth": "20", "tenth": "10", "hundredth": "1"}
_FRACTION = re.compile(r"\b(?:(?:a|one)\s+)?(half|quarter|fifth|tenth|hundredth)\b", re.IGNORECASE)


def fractions(answer: str, question: str) -> str:
    """The answer with a fraction word read as the percentage it is ("half" -> "50%", "a tenth" -> "10%"), for a
    question that asks for a percentage; a fraction the question says itself, with the word before it ("some of the
    remaining half"), is the question's words and stays."""
    def percent(m: re.Match[str]) -> str:
        before = re.findall(r"[\w-]+", answer[:m.start()].lower())[-1:]
        quoted = " ".join([*before, m[1].lower()])
        own = not before or not re.search(rf"\b{re.escape(quoted)}\b", question.lower())
        return f"{_FRACTIONS[m[1].lower()]}%" if own else m[0]
    return _FRACTION.sub(percent, answer)


def terms(text: str) -> list[str]:
    return tokenize(normalise(text))


def numbers(text: str) -> set[str]:
    return {_number(n) for n in NUMBER.findall(normalise(text))}


# a code name: `quoted`, a call ("str.format()", "fit(X, y)": its arguments are no part of the name), a dotted name, a
# name with an underscore
CODE = re.compile(r"`([^`\s]+)`|\b([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\((?:\)|(?=[^()\s][^()]{0,40}\)))|"
                   r"\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[A-Za-z]\w*_\w+)\b")


_GLUED = re.compile(r"(?<![\w.-])[A-Za-z]+_?\d+[A-Za-z]*(?![\w-])")   # a name with digits: "float32", "EC2", "NO_2"
# "/opt/ml/checkpoints", "~/.aws/config" (a home folder's: issue 15k; not a URL's, not "and/or")
PATH = re.compile(r"(?<![\w/.:~-])~?(?:/[\w.-]+)+/?")


def specifics(text: str, words: bool = True) -> set[str]:
    """The numbers and code names a text gives: "25", "format" for `str.format()`, "logmodel" for
    mlflow.pyfunc.log_model (a name is its last dotted part, lower-cased, without underscores), a word of letters and
    digits ("float32", "EC2", "NO_2" = "NO2": its digits are no number), "/opt/ml/checkpoints" (a path is named
    whole). Numbers written in words count only with `words` (a learner's "twenty-five" is 25; a source's "one of" is
    not a value)."""
    paths = {p.rstrip("/").lower() for p in PATH.findall(text)}
    text = PATH.sub(" ", text)
    names = {next(g for g in m.groups() if g).rstrip("()").rsplit(".", 1)[-1].lower() for m in CODE.finditer(text)}
    names = {n.replace("_", "") for n in names | {w.lower() for w in _GLUED.findall(text)}}
    found = numbers(text) if words else numbers(_NUMBER_WORDS.sub(" ", text))
    return found | paths | {n for n in names if n and not n[0].isdigit()}


_CALL = re.compile(r"\b([A-Za-z_][\w.]*)\(([^()]{0,40})\)")


def arguments(text: str) -> dict[str, set[str]]:
    """Each call's name (lower-cased, its last dotted part, without underscores) -> its arguments' words, lower-cased
    ("fit(X, y)": {"fit": {"x", "y"}})."""
    return {m[1].rsplit(".", 1)[-1].lower().replace("_", ""): set(re.findall(r"\w+", m[2].lower()))
            for m in _CALL.finditer(text)}


def fewer_arguments(answer: str, expected: str) -> bool:
    """Whether the answer calls a function of the source's with only some of the source's arguments ("fit(X)" for
    fit(X, y))."""
    theirs = arguments(expected)
    return any(name in theirs and args < theirs[name] for name, args in arguments(answer).items())


_HEADING = re.compile(r"\((?=[^)]*\s)[^)]*\)")   # an aside of words in parentheses (a question's heading), not "()"
_DOTTED = re.compile(r"\b([A-Za-z_]\w*)\.([A-Za-z_]\w*)\b")


def owned(answer: str, source: str, question: str) -> set[str]:
    """The last parts of the source's dotted names ("open" of "os.open()") that the question's sentence (outside
    its asides: a heading) also names on its own as code ("the built-in `open()`") and that the answer writes without
    the source's prefix: there they name the question's object, not the source's."""
    sentence = _HEADING.sub(" ", question)
    own = specifics(sentence, words=False)
    return {last.lower().replace("_", "") for prefix, last in _DOTTED.findall(source)
            if last.lower().replace("_", "") in own and f"{prefix}.{last}".lower() not in sentence.lower()
            and not re.search(rf"\b{re.escape(prefix)}\s*\.\s*{re.escape(last)}\b", answer, re.IGNORECASE)}


def within(path: str, paths: set[str]) -> bool:
    """Whether a path is a folder holding one of the paths ("/opt/ml" holds "/opt/ml/checkpoints")."""
    return path.startswith("/") and any(p.startswith(path + "/") for p in paths)


_COMMAND = re.compile(r"[A-Za-z][\w.-]*(?:\s+[A-Za-z-][\w.-]*){1,3}")
_ONE_WORD = re.compile(r"[A-Za-z][\w-]*")


def command(question: str, expected: str) -> tuple[str, ...] | None:
    """The words of a command or name of two to four words that fills the question's blank ("dvc get", "kubectl
    exec"), or of one word that is neither a number nor a code name ("true", "None": issue 15l), else None."""
    filled = expected.strip().strip("`").strip()
    one = bool(_ONE_WORD.fullmatch(filled)) and not numbers(filled) and not specifics(filled, words=False)
    return tuple(filled.lower().split()) if "____" in question and (one or _COMMAND.fullmatch(filled)) else None


def in_slot(answer: str, words: tuple[str, ...]) -> set[str]:
    """The runs of the answer's words, as many as the command's, that are the command or the same command with other
    words in some of its places ("dvc push" and "docker exec" beside "dvc get" and "kubectl exec"): at least one word
    in its place, and each other word one that carries meaning (not "the", "to")."""
    raw = [w.strip(".,;:!?()'\"`") for w in answer.lower().split()]
    out = set()
    for i in range(len(raw) - len(words) + 1):
        run = tuple(raw[i:i + len(words)])
        same = [a == b for a, b in zip(run, words, strict=True)]
        if all(same) or (any(same) and all(tokenize(a) for a, s in zip(run, same, strict=True) if not s)):
            out.add(" ".join(run))
    # the program an option of the command runs, with its words, is read as the command itself ("pip uninstall" is
    # "python -m pip uninstall", "pip remove" another command); the words after a subcommand are not ("get pods" is
    # not "kubectl get pods")
    for i in range(1, len(words) - 1):
        if words[i - 1].startswith("-"):
            out |= {" ".join(words) if run == " ".join(words[i:]) else run for run in in_slot(answer, words[i:])}
    return out


def spelled(text: str) -> set[str]:
    """The names the text may write as plain words: each word, and each run of two or three words joined ("the tail
    method" names tail(); "a processing step" names ProcessingStep and processing_step), without underscores."""
    words = [w.replace("_", "") for w in _RAW_NAME.findall(text.lower())]   # names are compared without "_"
    return {*words, *("".join(words[i:i + n]) for n in (2, 3) for i in range(len(words) - n + 1))}


_NAME_WORD = re.compile(r"[A-Za-z][\w-]*[A-Za-z0-9]")
PARENS = re.compile(r"\([^)]*\)")   # an aside ("1 (the max is 200)")
_ASIDE = re.compile(r"\([^)]*\)|\b(?:like|e\.g\.|such as|i\.e\.)\s[^,;:]*", re.IGNORECASE)


def names(text: str) -> set[str]:
    """The words written as a product's or component's name, lower-cased: an acronym or a capital inside the word
    ("EFS", "TrainingStep", "X-Amzn-SageMaker-Target-Model"), or a capital with digits ("S3", "EC2"); a dotted name
    gives its parts ("sagemaker.workflow.steps.ProcessingStep": "ProcessingStep")."""
    return {w.lower() for w in _NAME_WORD.findall(text)
            if tokenize(w) and (any(c.isupper() for c in w[1:]) or (w[0].isupper() and any(c.isdigit() for c in w)))}


def respelled(text: str, asked: set[str]) -> set[str]:
    """The terms of the text's runs of two or three words that, joined, are one of `asked` ("memory DB" is the
    question's "MemoryDB")."""
    words = _RAW_NAME.findall(text.lower())
    return {t for n in (2, 3) for i in range(len(words) - n + 1)
            if any(x in asked for x in terms("".join(words[i:i + n]))) for w in words[i:i + n] for t in terms(w)}


def initials(text: str) -> set[str]:
    """The acronyms of the text's runs of two to four words ("machine learning": "ml", "disaster recovery": "dr")."""
    words = [w for w in re.findall(r"[a-z]+", text.lower()) if w not in {"and", "of", "the", "a", "an", "for"}]
    return {"".join(w[0] for w in words[i:i + n]) for n in (2, 3, 4) for i in range(len(words) - n + 1)}


def renames(answer: str, question: str, expected: str) -> bool:
    """Whether the answer names another component than the source's: outside its asides ("(like X)", "e.g. X"), it
    writes a name neither the question nor the expected text holds ("custom models stored in Amazon EFS" for "...
    stored in Amazon S3", "the TrainingStep" for "ProcessingStep"), where the expected text names one the answer
    lacks. An acronym of the other's words ("DR" for "disaster recovery", "user interface" for "UI") and a plural
    ("GPUs") are the same name."""
    source = f"{question} {expected}"
    known = {w.lower() for w in _NAME_WORD.findall(source)} | set(terms(source)) | initials(source)
    foreign = {n for n in names(_ASIDE.sub(" ", answer))
               if n not in known and n.removesuffix("s") not in known and not set(terms(n)) <= known}
    said = {w.lower() for w in _NAME_WORD.findall(answer)} | spelled(answer) | initials(answer)
    return bool(foreign) and bool(names(expected) - said)


def surfaces(text: str) -> dict[str, str]:
    """Stem -> the word the text writes it with (its first)."""
    out: dict[str, str] = {}
    for word in _WORD.findall(normalise(text)):
        for t in terms(word):
            out.setdefault(t, word.strip(".-"))
    return out


def key_terms(question: str, expected: str) -> dict[str, str]:
    """Stem -> the word as the expected text writes it, for the terms a right answer must supply."""
    asked = set(terms(question))
    surface = surfaces(expected)
    keys = {t: w for t, w in surface.items() if t not in asked}
    return keys or surface


# a guess the learner takes back ("get_n_splits?? no, the splitting one"): up to its question mark and the "no"
_RETRACTED = re.compile(r"^.*\?+\s*no\s*,", re.IGNORECASE | re.DOTALL)


def without_hedges(answer: str) -> str:
    """The answer without hedges ("not sure", "maybe", "?") and without a guess it takes back ("X? no, Y" is Y)."""
    kept = _RETRACTED.sub(" ", answer)
    return " ".join(_HEDGES.sub(" ", kept if kept.strip() else answer).split())


def negated(text: str, reach: int, weak: bool = False, before: int = 0) -> list[tuple[int, set[str]]]:
    """What each negation in the text governs, with the position of its clause among those that hold a term: the
    next `reach` terms after a "not", "never", "n't" ... within its clause (with `weak`, also after "no", "without",
    "lacks": they confirm a negation but never flip one), and with `before` the last terms before it in its clause
    too, its subject ("the column types can't change" denies a type change)."""
    out: list[tuple[int, set[str]]] = []
    words_of = _NEGATIONS | _WEAK_NEGATIONS if weak else _NEGATIONS
    position = 0
    for clause in re.split(r"[;:,.!?()]", normalise(text).lower()):
        words = _RAW.findall(clause.replace("\u2019", "'"))
        for i, w in enumerate(words):
            if w in words_of or w.endswith("n't") or (w, words[i + 1:i + 2]) in _PAIRED:
                scope = set([t for v in words[i + 1:] for t in tokenize(v)][:reach])
                scope |= set([t for v in words[:i] for t in tokenize(v)][-before:]) if before else set()
                if scope:
                    out.append((position, scope))
        position += bool(tokenize(clause))
    return out


_OPPOSITE = ("un", "non")   # "unsupervised" says the opposite of "supervised"
# the prefix written apart or with a hyphen ("non standard", "non-standard") is the word written whole ("nonstandard")
_APART = re.compile(r"\b(un|non)[\s-]+(?=[a-z])", re.IGNORECASE)


def opposite(said: str, source: str) -> bool:
    """Whether the answer uses a term whose opposite, by the prefix "un" or "non", the source uses and it does not:
    "supervised" where the source says "unsupervised", "encrypted" where it says "unencrypted", and back. A prefix
    written apart is the word written whole in both ("non standard SQL" is the source's "nonstandard SQL")."""
    def flips(a: set[str], b: set[str]) -> bool:
        return any(p + t in b and p + t not in a and t not in b for t in a for p in _OPPOSITE)
    ours, theirs = set(terms(_APART.sub(r"\1", said))), set(terms(_APART.sub(r"\1", source)))
    return flips(ours, theirs) or flips(theirs, ours)


def flipped(answer: str, expected: str, given: set[str]) -> str | None:
    """Whether the answer negates what the expected text states (the next two terms after its negation), or states
    what the expected text negates (the term right after its negation) without a negation of its own: "main" when
    that is what the answer asserts first (its first clause, or a statement against the source's negation),
    "part" when a later clause does it ("images for training, not for inference"), else None."""
    a_neg = set().union(*(s for _, s in negated(answer, 2, weak=True, before=2)))
    e_neg = set().union(*(s for _, s in negated(expected, 2, weak=True)))
    stated = set(terms(expected)) - e_neg
    # the answer states what the source denies, also with "no" or "without" ("you still need Kubernetes" against
    # "without the need to learn Kubernetes")
    if any(s & given and not s & a_neg for _, s in negated(expected, 1, weak=True)) or opposite(answer, expected):
        return "main"
    # a negation of another component's name ("instead of being an IAM user" where the source says "user") does not
    # deny the source's term
    other = {t for n in names(answer) for t in terms(n)} - set(terms(expected))
    where = [at for at, s in negated(answer, 2) if s & stated and not s & other and not s & e_neg]
    return None if not where else "main" if min(where) == 0 else "part"


_UNIVERSAL = re.compile(r"(?<![\w-])(?:every|all|any)(?![\w-])", re.IGNORECASE)


def widens(answer: str, source: str) -> bool:
    """Whether the answer extends to everything what the source restricts ("it makes athena read every block" where
    the source fetches "only the blocks it needs"): an "every", "all" or "any" against the source's "only", which the
    answer does not keep."""
    return bool(_EXCLUSIVE.search(source)) and not _UNIVERSAL.search(source) and \
        bool(_UNIVERSAL.search(answer)) and not _EXCLUSIVE.search(answer)


_COMPOUND = re.compile(r"\b([a-z0-9]+)-([a-z0-9]+)\b")


def swaps(answer: str, question: str, expected: str) -> bool:
    """Whether the answer gives one of the source's compounds with another first part ("an account-level setting"
    for "a bucket-level setting", "two-step deployments" for "one-step deployments"): the same head after the hyphen,
    another word before it, and the answer's compound is not the question's or the source's."""
    source = normalise(f"{question} {expected}").lower()
    theirs = _COMPOUND.findall(normalise(expected).lower())
    return any(f"{first}-{head}" not in source and any(h == head and f != first for f, h in theirs)
               for first, head in _COMPOUND.findall(normalise(answer).lower()))


def circular(answer: str, question: str) -> bool:
    """Whether the answer defines the question's subject by itself: it says one of the question's terms twice ("a
    bucket is a bucket in s3", "a bucket policy is a policy for the bucket")."""
    said, asked = terms(answer), set(terms(question))
    return any(said.count(t) >= 2 for t in asked)


_COUNT_WORDS = re.compile(r"\d+(?:\.\d+)?|[A-Za-z][\w-]*|[^\w\s]")


def restricts(answer: str, source: str) -> bool:
    """Whether the answer restricts what it says ("only local disk storage", "it matches only the classic shadow")
    where the source makes no such restriction: "only X" denies everything but X, which the source does not."""
    return bool(_EXCLUSIVE.search(answer)) and not _EXCLUSIVE.search(source)


def counts(text: str) -> list[tuple[str, list[str]]]:
    """Each number of the text with the terms of the (up to three) words it counts, before any punctuation or other
    number: "three data channels: train ..." -> [("3", ["data", "channel"])] (numbers are digits, see `normalise`)."""
    words = _COUNT_WORDS.findall(normalise(text))
    out = []
    for i, w in enumerate(words):
        if w[0].isdigit():
            after = []
            for v in words[i + 1:i + 4]:
                if not v[0].isalpha():
                    break
                after += tokenize(v)
            if after:
                out.append((_number(w), after))
    return out


def miscounts(answer: str, expected: str) -> bool:
    """Whether the answer gives another number of what the source counts ("two channels" where the source says
    "three data channels", "two types of ML models" for "three types of ML models"): the first term the answer counts
    is among those the source counts, with another number."""
    source = counts(expected)
    return any(n != m and said[0] in things for n, said in counts(answer) for m, things in source)


def holds(said: Iterable[str], term: str) -> bool:
    """Whether the answer's terms hold a key term: the term itself, or one of its word family or a clipping of it (one
    stem starts with the other, at least four letters long: "algo" of "algorithm", "data" of "datasets")."""
    return any(t == term or (min(len(t), len(term)) >= 4 and (t.startswith(term) or term.startswith(t)))
               for t in said)


def clauses(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"[;:!?()]|\.(?:\s|$)|,\s+(?:and|but|so|which|because)\b|\s+-\s+", text)]
    return [p for p in parts if tokenize(p)]
