"""Facts worth a self-check question, found in documentation sentences, and the question each one answers.

`find(sentence, section, lower)` reads one quotable sentence (`api.extractive.quotable_sentences`: prose, in the
page's own spelling) and returns a `Fact` when it defines something or states a fact a learner can be asked for:

    definition  "A container image is a read-only template ..."     -> "What is a container image?"
    limit       "... can run for up to 15 minutes."                  -> fill in the blank: "... up to ____ minutes."
    default     "The default port is 8080." / "(default: `json`)"    -> fill in the blank
    role        "Docker Compose runs applications made of ..."       -> "What does Docker Compose do?"
    command     "You start a container with docker run."             -> fill in the blank: "... with ____."

The answer is always the whole sentence, quoted; `expected` is the part of it that answers the question (the
definition's predicate, the blanked value or command). Sentences that lean on what is around them are skipped:
ones opening with a pronoun or connective ("It", "This", "However"), pointing elsewhere ("see below", "the
following", "click"), written to the reader as a site ("we", "our", cookies, sign-in, subscribe), or that are
questions or lead-ins ending in ":". `plan_facts(week)` asks about a week's own plan (goal, sections, weekend
project, deliverables) quoting the roadmap, for weeks whose only indexed text is the roadmap. `score` ranks facts
by kind and by how specific their subject or blank is (idf). The patterns are general English; none names a
product, a page or a question.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from api.extractive import quote_code
from ingest.roadmap import Week, clean
from vectorstore.passage_facts import has_fact
from vectorstore.text import STOPWORDS, tokenize

BLANK = "____"
KIND_WEIGHT = {"definition": 1.0, "limit": 0.95, "default": 0.9, "role": 0.85, "command": 0.8, "plan": 0.7}
MIN_WORDS, MAX_WORDS = 6, 45

# ---------------------------------------------------------------- sentences that stand on their own
_OPENING = re.compile(
    r"^(?:it|its|it's|this|that|these|those|they|their|them|there|here|such|which|what|who|where|when|why|how|he|"
    r"she|we|our|my|if|and|but|or|so|also|then|however|otherwise|instead|therefore|thus|hence|similarly|"
    r"every|any|no|none|few|several|various|although|though|while|whereas|since|because|unless|until|even|"
    r"likewise|additionally|alternatively|furthermore|moreover|finally|next|now|once|note|both|all|some|many|"
    r"most|another|other|same|first|second|third|lastly|later|above|below|following|after|before|unlike|like|for "
    r"(?:example|instance)|in (?:this|that|these|those|the following|the previous|addition|contrast|practice|short|"
    r"other words|general)|as (?:a result|shown|mentioned|described|noted|above|below|well))\b", re.I)
_ELSEWHERE = re.compile(
    r"\b(?:click|see|refer to|following|below|above|here|previous|this (?:page|guide|tutorial|section|post|article|"
    r"chapter|example|lesson|course|book|video|topic|document|blog|notebook|walkthrough|workshop)|next (?:section|"
    r"chapter|page|step|lesson)|we|we're|we've|our|cookies?|privacy|subscribe|newsletter|sign (?:in|up)|log ?in|"
    r"copyright|rights reserved|terms of (?:use|service)|screenshot|figure|diagram|my|mine|https?)\b"
    r"|\bI(?:'m|'ve)?\b(?!\.)",
    re.I)
_LINKS = frozenset("a an the of for on in to with and or by from at as via".split())
_CHANGES = re.compile(
    r"\b(?:no longer|is now|are now|(?:has|have) been (?:removed|deprecated|renamed|added)|deprecated|new in version|"
    r"changed in version|added in version|as of version|breaking change|backward[- ]incompatible)\b", re.I)
_CHANGELOG = re.compile(r"change ?log|release notes?|release history|version history|what'?s new|migration guide|"
                        r"migrating|upgrade guide|upgrading|breaking changes|deprecations?|\bnews\b|announcements?|"
                        r"\bblog\b|/releases?\b", re.I)
_AUXILIARY = frozenset("is are was were be been being can could will would should must may might do does did has "
                       "have had not if when which that who whom whose where while because than you your we our it "
                       "its they their i same following above previous next other this these those such also each "
                       "every".split())
GENERIC = frozenset(tokenize("example examples output input result results usage answer reason difference problem "
                              "idea goal default value name step steps process way thing approach solution purpose "
                              "main key important part point option options rest case cases type types kind kinds "
                              "number list set data information section following"))

# ---------------------------------------------------------------- the kinds of fact
_WORD = r"[`\"'\w][\w`.+#/'’\"()-]*"
_SUBJECT = rf"(?P<subject>(?:(?i:a|an|the)\s+)?{_WORD}(?:\s+{_WORD}){{0,5}}?)"
_DEFINITION = re.compile(rf"^{_SUBJECT}\s+(?P<be>is|are)\s+(?P<rest>(?:an?|the|one|used|designed|responsible)\b.+)$")
_ROLE_VERBS = ("lets allows enables provides manages stores runs handles creates defines describes contains holds "
               "offers supports simplifies automates tracks orchestrates deploys schedules monitors serves exposes "
               "converts keeps decides controls builds collects detects computes generates evaluates validates "
               "captures sends receives connects transforms loads launches executes specifies determines represents "
               "identifies configures maintains helps produces returns encrypts isolates replicates distributes "
               "aggregates invokes triggers registers").split()
# Verbs whose object is what is asked: "What does X provide?" (the others ask "What does X do?").
_OBJECT_VERBS = frozenset("provides stores contains holds offers supports exposes collects captures generates produces "
                          "returns receives sends specifies represents defines describes tracks monitors".split())
_ROLE = re.compile(rf"^{_SUBJECT}\s+(?:(?P<adverb>[a-z]+ly|also|only|still|usually|often|always|then)\s+)?"
                   rf"(?P<verb>{'|'.join(_ROLE_VERBS)})\s+(?P<rest>.+)$")
_NUMBER = (r"(?:\d+(?:,\d{3})*(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
           r"thirty|forty|fifty|sixty|hundred|thousand)")
_LIMIT = re.compile(
    rf"\b(?:up to|at most|at least|a maximum of|the maximum(?: \w+)? is|maximum of|a minimum of|minimum of|"
    rf"the minimum(?: \w+)? is|(?:a |the )?limit(?:ed)? (?:of|to|is)|no more than|no fewer than|more than|"
    rf"fewer than|less than|(?:cannot|can't|must not|mustn't|may not) (?:exceed|be (?:longer|larger|more) than))"
    rf"\s+(?P<value>{_NUMBER}(?:\s?%)?)(?=[\s,.;)]|$)", re.I)
_VALUE = r"(?:`[^`]{1,60}`|\"[^\"]{1,40}\"|'[^']{1,40}'|[\w$/:%.-]*\w)"
_DEFAULT = re.compile(
    rf"\bdefaults? to\s+(?P<a>{_VALUE})|\bdefault(?: value)?(?: \w+){{0,2}} (?:is|are)\s+(?:set to\s+)?(?P<b>{_VALUE})|"
    rf"\(default(?:s)?(?::| is| =)?\s*(?P<c>{_VALUE})\)", re.I)
_CODE = re.compile(r"`([^`]*)`")
# A predicate that says little about its subject ("is one of the causes", "is the same for both"), or that points
# at something the sentence doesn't name ("encrypts these by default").
_VAGUE = re.compile(r"(?:the same|one of|an example|examples|a good|a great|the best|a new|an easy)\b", re.I)
_POINTER = re.compile(r"\b(?:this|these|those|such|former|latter)\b", re.I)


@dataclass(frozen=True)
class Fact:
    kind: str       # definition | limit | default | role | command | plan
    question: str
    quote: str      # the source's words, verbatim (in `api.extractive.plain` spelling)
    expected: str   # the part of the quote that answers the question
    subject: str    # what is asked about (the defined term, the blanked value, the plan field)


def stands_alone(sentence: str) -> bool:
    """Does the sentence make sense without the text around it, and is it documentation, not site chrome?"""
    words = sentence.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS or sentence.rstrip().endswith(("?", ":")):
        return False
    first = sentence.lstrip("\"'“(")[:1]
    if not (first.isupper() or first.isdigit() or first == "`") or sentence.count("`") % 2:
        return False  # a fragment: the tail of a sentence cut at a chunk boundary, or a lower-case label
    return not (_OPENING.match(sentence) or _ELSEWHERE.search(sentence) or _CHANGES.search(sentence))


def is_changelog(*names: str) -> bool:
    """Is a page (its URL, title or section) a changelog, release notes, a migration guide or news?"""
    return any(_CHANGELOG.search(n or "") for n in names)


def _good_subject(subject: str) -> bool:
    """A name or noun phrase: no verb or pronoun in it, no determiner after its start ("X counts the number of"
    is a subject running into its verb), no word twice in a row, not only generic words."""
    words = subject.split()
    lowered = [w.lower() for w in words]
    if (any(w in _AUXILIARY or w in _ROLE_VERBS for w in lowered) or any(w in ("a", "an", "the") for w in lowered[1:])
            or _repeats(lowered) or words[-1].endswith("ly")):
        return False
    if _OPENING.match(subject) or _ELSEWHERE.search(subject):
        return False
    if any(a.isalpha() and a.islower() and a not in _LINKS and b[:1].isupper() for a, b in itertools.pairwise(words)):
        return False  # "High availability Amazon EKS": a label run into the sentence after it
    terms = set(tokenize(subject))
    return bool(terms) and not terms <= GENERIC


def _repeats(words: list[str]) -> bool:
    """A run of one to three words said twice in a row ("AWS IoT Core AWS IoT Core": a link and its label)."""
    return any(words[i:i + n] == words[i + n:i + 2 * n] for n in (1, 2, 3) for i in range(len(words) - 2 * n + 1))


def _lower_first(subject: str, lower: frozenset[str]) -> str:
    """The subject inside a question: a leading article lower-cased; so is its first word when it is capitalised
    only for starting the sentence (the next word is lower case, and the passage writes the word in lower case)."""
    words = subject.split()
    i = 0
    if words[0].lower() in ("a", "an", "the"):
        words[0], i = words[0].lower(), 1
    if i < len(words):
        w, following = words[i], words[i + 1] if i + 1 < len(words) else ""
        if w[:1].isupper() and w[1:].islower() and w.lower() in lower and not following[:1].isupper():
            words[i] = w.lower()
    return " ".join(words)


def _base(verb: str) -> str:
    """The plain form of a third-person verb: provides -> provide, specifies -> specify, pushes -> push."""
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if verb.endswith(("sses", "shes", "ches", "xes", "zes")):
        return verb[:-2]
    return verb[:-1]


def _blank(sentence: str, start: int, end: int, section: str) -> str:
    section = clean(section)
    where = f" (“{section}”)" if section else ""
    return f"Fill in the blank{where}: “{sentence[:start]}{BLANK}{sentence[end:]}”"


def _definition(sentence: str, lower: frozenset[str]) -> Fact | None:
    m = _DEFINITION.match(sentence)
    if (not m or not _good_subject(m["subject"]) or len(m["rest"].split()) < 4 or _VAGUE.match(m["rest"])
            or _POINTER.search(m["rest"])):
        return None
    subject, be, rest = _lower_first(m["subject"], lower), m["be"], m["rest"].rstrip(" .")
    if rest.startswith("used "):
        question = f"What {be} {subject} used for?"
    elif rest.startswith("responsible for "):
        question = f"What {be} {subject} responsible for?"
    elif rest.startswith("designed to "):
        question = f"What {be} {subject} designed to do?"
    elif rest.startswith("designed for "):
        question = f"What {be} {subject} designed for?"
    else:
        question = f"What {be} {subject}?"
    return Fact("definition", question, sentence, rest, m["subject"])


def _named(subject: str, lower: frozenset[str]) -> bool:
    """Does the subject name something (a product, a component, code), rather than point back at the text before
    ("the volume", "the app")? A word in code, with capitals inside, or capitalised where the page writes it so."""
    words = [w for w in subject.split() if w.lower() not in ("a", "an", "the")]
    return any("`" in w or any(c.isupper() for c in w[1:]) or any(c.isdigit() for c in w)
               or (w[:1].isupper() and (i > 0 or w.lower() not in lower)) for i, w in enumerate(words))


def _role(sentence: str, lower: frozenset[str]) -> Fact | None:
    m = _ROLE.match(sentence)
    if (not m or not _good_subject(m["subject"]) or not _named(m["subject"], lower) or len(m["rest"].split()) < 3
            or _POINTER.search(m["rest"])):
        return None
    subject, verb, rest = _lower_first(m["subject"], lower), m["verb"], m["rest"].rstrip(" .")
    who = re.match(r"(you|users|developers|customers|teams)\s+(to\s+)?", rest)
    if who and verb in ("lets", "allows", "enables", "helps"):
        question = f"What does {subject} {_base(verb)} {who[1]} {'to ' if who[2] else ''}do?"
        expected = rest[who.end():]
    elif verb in _OBJECT_VERBS:
        question, expected = f"What does {subject} {_base(verb)}?", rest
    else:
        question, expected = f"What does {subject} do?", f"{verb} {rest}"
    return Fact("role", question, sentence, expected, m["subject"])


def _limit(sentence: str, section: str) -> Fact | None:
    m = _LIMIT.search(sentence)
    if not m or not has_fact("number", sentence[m.start():]):
        return None
    s, e = m.span("value")
    return Fact("limit", _blank(sentence, s, e, section), sentence, m["value"], m["value"])


def _default(sentence: str, section: str) -> Fact | None:
    m = _DEFAULT.search(sentence)
    if not m:
        return None
    group = next(g for g in "abc" if m[g] is not None)
    s, e = m.span(group)
    value = m[group].strip("`\"'")
    if not tokenize(value):
        return None
    return Fact("default", _blank(sentence, s, e, section), sentence, value, value)


def _command(sentence: str, section: str) -> Fact | None:
    """A shell command or a call in the sentence (written as code, or recognised by `quote_code`), blanked."""
    for m in _CODE.finditer(quote_code(sentence)):
        code = m[1]
        if "http" in code or not (quote_code(code).startswith("`") or re.search(r"\w\(.*\)$", code)):
            continue  # a URL, or a bare name or value: not a command
        words = code.split()
        while len(words) > 2 and (words[-1] in STOPWORDS or words[-1].endswith(("ed", "ing", "ly"))):
            # "kubectl apply once", "pip uninstall followed": prose the command pattern took along
            words.pop()
        code = " ".join(words)
        at = sentence.find(f"`{code}`")
        start, end = (at, at + len(code) + 2) if at >= 0 else (sentence.find(code), sentence.find(code) + len(code))
        if start < 0 or len(sentence[:start].split()) + len(sentence[end:].split()) < 5:
            continue
        return Fact("command", _blank(sentence, start, end, section), sentence, code, code)
    return None


def find(sentence: str, section: str = "", lower: frozenset[str] = frozenset()) -> Fact | None:
    """The fact `sentence` states, as a question (None when it states none worth asking, or leans on context).
    `section` names where it comes from (shown with fill-in-the-blank questions); `lower` holds the words its
    passage writes in lower case (see `lower_words`)."""
    if not stands_alone(sentence):
        return None
    return (_definition(sentence, lower) or _limit(sentence, section) or _default(sentence, section)
            or _role(sentence, lower) or _command(sentence, section))


_LOWER = re.compile(r"(?<![\w./-])[a-z][a-z-]*\b(?![./:(-]\w)")
_NOT_PROSE = re.compile(r"`[^`]*`|https?://\S+|\S+\.\w+/\S*")


def lower_words(text: str) -> frozenset[str]:
    """The words a text writes in lower case in its prose (not in code, URLs or paths)."""
    return frozenset(_LOWER.findall(_NOT_PROSE.sub(" ", text)))


def score(fact: Fact, idf: Callable[[str], float], max_idf: float, heading: frozenset[str] = frozenset()) -> float:
    """How good a question the fact makes: its kind, how specific what it asks about is (the rarest term of its
    subject, by idf), whether its section is about that subject, and a penalty for long sentences."""
    terms = set(tokenize(fact.subject)) - GENERIC
    specific = max((idf(t) for t in terms), default=0.0) / (max_idf or 1.0)
    topical = 1.0 if terms & heading else 0.0
    words = len(fact.quote.split())
    return KIND_WEIGHT[fact.kind] + 0.5 * specific + 0.2 * topical - 0.01 * max(0, words - 30)


# ---------------------------------------------------------------- a week's own plan
def _lines(items: list[str]) -> str:
    return "\n".join(clean(i) for i in items if i.strip() and not i.startswith(" ") and clean(i))


def plan_facts(week: Week, label: str = "weekend project") -> list[Fact]:
    """Questions on the week's plan as the roadmap states it (goal, each section's topics, project, deliverables);
    each quote is the roadmap's own lines."""
    n = week.number
    out: list[Fact] = []
    if week.goals.strip():
        out.append(Fact("plan", f"What is the goal of week {n}?", clean(week.goals), clean(week.goals), "Goals"))
    for name, items in week.sections.items():
        lines = _lines(items)
        if name != week.title and lines and not re.search(r"https?://", lines):
            title = re.sub(r"\s*\([^)]*\)", "", name)
            out.append(Fact("plan", f"What does week {n}'s “{title}” part cover?", lines, lines, name))
    if week.weekend_project:
        project = clean(week.weekend_project)
        out.append(Fact("plan", f"What is week {n}'s {label}?", project, project, label.title()))
    if lines := _lines(week.deliverables):
        out.append(Fact("plan", f"What are the deliverables of week {n}?", lines, lines, "Deliverables"))
    return out

