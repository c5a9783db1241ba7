"""Questions about a week's plan, answered from the roadmap as `ingest.roadmap` parsed it.

`answer(roadmap, question, week)` decides structurally whether the question asks about the plan of one week (the
week named in the question, else the request's week): it names one of the fields the parser reads (Goals, Weekend
Project / Final Project, Deliverable(s)) or one of that week's section names ("Hybrid Architecture"), and its other
content words are either words of asking about a plan ("learn", "cover", "topics") or words of the fields it names
("does week 6's project include a Slack bot?"); or it names no field and asks nothing else ("What should I learn in
week 12?"), which gets the week's overview. A question whose subject is the week itself, though it names no field
("What's the point of week 3 overall?", "which practice environments does week 2 point me to?"), gets the overview
too, with the sections its words point at (`about_the_week`). Anything else, for instance "how do SageMaker Projects
templates work in week 9?", is not a plan question: `answer` returns None and the question goes to retrieval as
usual. With the app's embedder, a question about a week that names no field but means one in other words ("wk 13:
by the end, what should be running?") reaches it by its MiniLM cosine to each field's label and gloss
(`FIELD_MEANINGS`, at least `MEANING_MIN`), or the week's section whose name and items are closer still (`meant`).
A week may be named by number, word or ordinal ("the sixteenth week"), as the last ("the final week"), or by its
title just before "week" ("the SageMaker deep dive week": those words name the week, not another subject).

A plan answer is composed from the parsed fields as full sentences ("Week 6's weekend project is an AI-powered
DevOps assistant; its deliverables are a Slack bot with OpenAI integration, ... [1].") citing the week's section of
the roadmap (`roadmap.md#week-6`), mode "roadmap". It is grounded when the roadmap states what was asked; a field
the week doesn't have is said so, ungrounded, and so is a thing asked for by name ("which book does the plan
recommend in week 3?") that the week's section doesn't name (`unlisted`): the answer says so first, then what the
week does list. Words are lower-cased only when the roadmap itself writes them in
lower case somewhere, so names keep their capitals.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from api.answer import Answer, listing
from api.extractive import Citation
from ingest.roadmap import (
    FIELD_NAMES,  # the field labels the parser reads: "weekend project" -> weekend
    Roadmap,
    Week,
    clean,
)
from vectorstore.calibration import DEFAULT
from vectorstore.embeddings import Embedder
from vectorstore.question_asks import unknown_names
from vectorstore.retrieve import NUMBER_WORDS, ROADMAP_URL, detect_week, search_text, strip_week, week_mention
from vectorstore.text import tokenize

# Words of asking about a plan rather than about a subject (tokenized with the shared tokenizer).
ASKING = ("learn study studying cover covered covers covering topic topics focus focused plan planned schedule do "
          "doing main key overview summary summarise summarize syllabus content contents include includes included "
          "including expect expected suppose supposed meant agenda outline objective objectives outcome outcomes about "
          "week weeks list fall falls part section sections build make work need required require requirement "
          "requirements what whats last next previous current resource resources material materials reading subject "
          "subjects theme themes")
# Words that place something in the plan's time rather than name a subject: "the final stretch", "the wrap-up",
# "where does it come up"
POSITION = "first last final closing opening start beginning stretch wrap middle halfway come"
_AT_THE_END = re.compile(r"\bat\s+the\s+(?:very\s+)?end\b", re.I)  # "what do I hand over at the end?"
# The words that name each field, or what it is to the learner: a capstone is a final project; deliverables are what
# one hands in, submits, ships or produces, the week's outputs
FIELD_WORDS = {"goals": "goal goals objective objectives aim aims", "weekend": "project projects weekend capstone",
               "deliverables": "deliver deliverable deliverables output outputs hand submit ship produce"}
# What each field means, in everyday words: its label and a gloss of the label (a week's goal is what it aims at; a
# weekend project is what one builds; a deliverable is what is handed over, finished and working, at the end). A
# question that names no field but means one ("wk 13: by the end, what should be running?") is matched to these by
# the embedder's cosine (`meant`); written from the labels' meaning, not from any question.
FIELD_MEANINGS = {"goals": ("the goals", "what the week aims to achieve"),
                  "weekend": ("the weekend project", "what to build as the week's project"),
                  "deliverables": ("the deliverables", "what should be finished and working by the end of the week")}
# The cosine a question needs to one of those to mean that field: fitted on the dev questions with a week that the
# structural route leaves (852; 37 of them ask about the week's plan) by `bench/fit_plan_meaning.py` (5-fold CV x20,
# held out: 11.3 of the 37 routed, 1.6 other questions routed per pass). The best other question scores 0.402 ("What
# does Project Jupyter build?"); the fit on all dev is the midpoint above it.
MEANING_MIN = 0.404
# A which-week question's subject is placed by meaning in the week with the field line closest to it when that cosine
# is at least LINE_MIN and beats every other week's best line by LINE_MARGIN: fitted on the dev plan questions (158
# with a subject; each one's subject against every week's lines, right when the closest week is its gold week; cost 3
# for a wrong week grounded) by `bench/fit_plan_lines.py`: leave-one-file-out over the 12 files, 94 grounded right and
# 8 wrong held out; 10 of the 12 folds chose 0.47 / 0.06 (0.42 / 0.06, 0.47 / 0.07 the others).
LINE_MIN = 0.47
LINE_MARGIN = 0.06
# The cosine the asked subject needs to a line of the week (`closest_line`) for the answer to quote that line's
# section or field rather than the field or section the whole question is closest to: fitted by
# `bench/fit_plan_subject.py` on the 34 dev questions whose plan answer it changes, leave-one-file-out over the 15
# files holding them (13 folds chose 0.23, the others 0.22 / 0.25; held out 31 right answers, 26 never quoting)
SUBJECT_MIN = 0.23
# The week is the subject of the asking when its mention follows a verb of asking's auxiliary or "of" ("what does
# week 2 point me to", "is week 15 meant to", "what's week 15 about", "the point of week 3"), not when it frames a
# docs question ("in week 9, how ...", "wk 7: ..."); a question naming the plan itself ("does the plan suggest") has
# it as its subject too.
_SUBJECT_BEFORE = re.compile(r"(?:\b(?:does|do|did|is|was|will|would|should|of)|['’]s)\s+(?:(?:the|my|our)\s+)?$",
                             re.I)
_THE_PLAN = re.compile(r"\b(?:plan|roadmap|syllabus|curriculum)\b", re.I)
# What the plan expects the learner to learn or lists: "am I expected / supposed / meant to" with a verb of learning
# ("look at", "pick up", "study": "which IAM role am I supposed to pass to SageMaker?" is a docs question), "the plan
# names / lists"
_LEARN = r"(?:look\s+at|learn|cover|study|know|read|try|pick\s+up|build|explore|master|focus\s+on|get\s+to)"
_EXPECTED = re.compile(rf"\b(?:am\s+I|are\s+we)\s+(?:expected|supposed|meant)\s+to\s+{_LEARN}\b"
                       r"|\b(?:plan|roadmap|it|week)\s+(?:names|lists|mentions|suggests|recommends)\b", re.I)
_EXPLAINING = re.compile(r"\b(?:how|why|when)\b", re.I)  # asks for an explanation the plan doesn't give
# stems of counting words ("the three deliverables", "how many goals")
_COUNT = re.compile(r"\d+|one|two|three|four|five|six|seven|eight|nine|ten|both|all|main|mani|number")
_URL = re.compile(r"https?://\S+")
_VERB = r"(?:is|are|was|were|does|do|did|should|would|will|can|could|must|has|have)"


def _thing_asked(verb: str, chars: str) -> re.Pattern[str]:
    """The words (one to four, of `chars`) between "which/what" (or "which kind of") and the verb that asks."""
    return re.compile(rf"\b(?:which|what)\s+(?:(?:kinds?|sorts?|types?)\s+of\s+)?"
                      rf"((?:(?!{verb}\b)[{chars}]+\s+){{1,4}}?){verb}\b", re.I)


# The thing a question asks the plan for, named between "which/what" and its verb ("which book does the plan
# recommend", "what monitoring tool is listed in week 8", "which kind of database should week 7 use").
_ASKED_THING = _thing_asked(_VERB, r"\w&+.-")
# the same, also before "am" ("which vector stores am I expected to look at?")
_EXPECTED_THING = _thing_asked(rf"(?:{_VERB}|am)", r"\w&+./-")
_PAREN = re.compile(r"\s*\([^)]*\)")
# A question that asks which week (of the plan as a whole) holds a subject: "which week covers X?", "at what point
# in the sixteen weeks does X come up?", "when in the roadmap do I get to X?", "where does the plan put X?"
_PLAN_WHOLE = r"(?:plan|roadmap|course|program(?:me)?|syllabus|curriculum|[\w-]+\s+weeks)"
_WHICH_WEEK = re.compile(rf"\b(?:which|what)\s+weeks?\b|\b(?:which|what)\s+(?:point|stage|part)\s+(?:in|of|during)\s+"
                         rf"(?:the|my)\s+{_PLAN_WHOLE}|\bwhen\s+(?:in|during)\s+(?:the|my)\s+{_PLAN_WHOLE}"
                         rf"|\bwhen\s+does\s+(?:the|my)\s+{_PLAN_WHOLE}\b"
                         rf"|\bwhere\s+(?:in|does|do|did|is|would)\s+(?:the|my)\s+{_PLAN_WHOLE}\b", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")


@lru_cache(maxsize=1)
def _asking() -> frozenset[str]:
    return frozenset(tokenize(ASKING + " " + POSITION))


_WISE = re.compile(r"\b(\w+)-wise\b", re.I)  # "theme-wise": about the theme


def _plan_length(roadmap: Roadmap) -> re.Pattern[str]:
    """How a question names the plan as a whole by its length: "the sixteen weeks", "of the 16", "the 16-week plan"
    (the roadmap's own number of weeks, as a number or a word)."""
    n = len(roadmap.week_numbers())
    words = [str(n)] + ([NUMBER_WORDS[n - 1]] if 0 < n <= len(NUMBER_WORDS) else [])
    return re.compile(rf"\b(?:(?:all|of)\s+)?(?:the\s+)?(?:{'|'.join(words)})(?:[\s-]+weeks?)?\b", re.I)


def plain(roadmap: Roadmap, question: str) -> str:
    """The question's words about what it asks: without its week mention, the plan named by its length ("of the
    sixteen"), "-wise" suffixes ("theme-wise") and "at the end" (a position in the week)."""
    return _AT_THE_END.sub(" ", _WISE.sub(r"\1", _plan_length(roadmap).sub(" ", strip_week(question))))


@lru_cache(maxsize=1)
def _field_terms() -> dict[str, frozenset[str]]:
    terms = {kind: set(tokenize(words)) for kind, words in FIELD_WORDS.items()}
    position = set(tokenize(POSITION))
    for label, kind in FIELD_NAMES.items():  # the parser's own labels ("final project") name their field too, but
        terms[kind].update(t for t in tokenize(label) if t not in position)  # "final" alone is the plan's end
    return {kind: frozenset(t) for kind, t in terms.items()}


def _sections(week: Week) -> dict[str, frozenset[str]]:
    """The week's named sections (not the untitled first one) with the terms of their names."""
    out = {}
    for name in week.sections:
        if name != week.title and (terms := frozenset(tokenize(_PAREN.sub("", name)))):
            out[name] = terms
    return out


def item(text: str) -> str:
    """A bullet of the roadmap as plain words: no link, URL, bold, checkbox or trailing colon."""
    text = _URL.sub("", clean(text)).strip(" :-–")
    return " ".join(text.split())


def _week_of(roadmap: Roadmap, question: str, week: int | None) -> Week | None:
    """The week the question names ("week 9", "the sixteenth week", "the final week": the roadmap's last), else the
    request's; None when it names a week the roadmap lacks."""
    named = detect_week(question, roadmap.week_numbers())
    if named is None and detect_week(question) is not None:
        return None
    if named is None and (m := _PLAN_ENDS.search(question)) and roadmap.week_numbers():
        named = roadmap.week_numbers()[0 if m[1].lower().startswith(("start", "begin", "open")) else -1]
    number = named or week
    return roadmap.week(number) if number else None


# The plan as a whole named by where it ends or starts: "what topic does the roadmap end on?" is its last week
_PLAN_ENDS = re.compile(r"\b(?:plan|roadmap|syllabus|curriculum)\s+(?:does\s+)?(end|finish|close|conclude|wrap|start"
                        r"|begin|open)(?:s|es)?\s+(?:up\s+)?(?:on|with)\b", re.I)
_BEFORE_WEEK = re.compile(r"((?:[\w&/-]+\s+){1,4})weeks?(?:'s)?\b", re.I)


def _title_words(week: Week, question: str) -> set[str]:
    """The words of the week's title the question names it by, just before "week" ("the SageMaker deep dive week"):
    words that name the week, not a subject ("In week 6, what is AWS Bedrock?" asks about Bedrock)."""
    title = set(tokenize(week.title))
    return {t for m in _BEFORE_WEEK.finditer(strip_week(question)) for t in tokenize(m[1]) if t in title}


def asked(roadmap: Roadmap, question: str, week: int | None) -> tuple[Week, set[str], list[str]] | None:
    """(the week, the fields asked, the sections asked) when the question is about a week's plan, else None."""
    found = _week_of(roadmap, question, week)
    if found is None:
        return None
    terms = set(tokenize(plain(roadmap, question)))
    fields = {kind for kind, words in _field_terms().items() if terms & words}
    # A section named with words of asking ("what does 'Hybrid Architecture' cover"), not "what is AWS Bedrock?"; the
    # words of its name that are words of asking need not be said ("the advanced subjects" names "Advanced Topics")
    titled = _title_words(found, question)  # "the LangChain and RAG week" names the week, not its "RAG" section
    sections = [name for name, words in _sections(found).items()
                if (words - _asking() or words) <= terms and terms & _asking() and not words <= titled]
    rest = terms - _asking() - set().union(*(_field_terms()[k] for k in fields))
    if fields:  # "the three deliverables", "its 2 goals": a count of the items asked for, not another subject
        rest = {t for t in rest if not _COUNT.fullmatch(t)}
    rest -= set().union(*(_sections(found)[s] for s in sections))
    rest -= titled
    if not rest:
        return found, fields, sections
    if fields and _possessed(question, fields) and not _EXPLAINING.search(question):
        return found, fields, sections  # "the tenth week - boil its objective down for me": the week's own field
    if fields or sections:  # other words must be words of what was asked ("does the project include a Slack bot")
        said = " ".join([found.goals, found.weekend_project or "", *found.deliverables,
                         *(i for s in sections for i in found.sections[s])])
        if rest <= set(tokenize(said)):
            return found, fields, sections
    return None


_ITS = re.compile(r"\b(?:its|week['’]s)\s+((?:[\w-]+\s+)?[\w-]+)", re.I)


def _possessed(question: str, fields: set[str]) -> bool:
    """Whether a field the question names is the named week's own: said after the week's mention as "its goal" or
    "the week's deliverable" ("the tenth week - boil its objective down for me"), whatever the other words ask."""
    mention = week_mention(question)
    if mention is None:
        return False
    names = set().union(*(_field_terms()[k] for k in fields))
    return any(set(tokenize(m[1])) & names for m in _ITS.finditer(question, mention.start()))


def unlisted(week: Week, question: str) -> str | None:
    """The thing the question asks the plan for ("which book does the plan recommend in week 3?") when the week's
    section (its title, goals, section names, items, project and deliverables) doesn't name it. The thing is the
    noun phrase between "which/what" and its verb, without words of asking about a plan, of its fields, counts and
    the week's title; its last word names what kind of thing it is. The week names it when it writes that word
    ("what hands-on practice does week 1 list?"). Without it, the question may still ask for a kind the week's items
    are without saying so ("what tool does the plan suggest for data quality?" -> "Data quality: Great
    Expectations"): when the question's words point at a section of the week (`pointed`), and no
    other word of the thing names something the week lists, which would make the thing a detail of that item the
    plan doesn't give ("which Outposts rack configuration does the plan recommend?" of "AWS Outposts for ML"; a word
    of the week's title, goals or section names names a topic, not an item: "which DevOps problems ...").
    None when the week names it or the question asks for no thing."""
    if (m := _ASKED_THING.search(strip_week(question))) is None:
        return None
    thing = " ".join(m[1].split())
    ignored = _asking() | set().union(*_field_terms().values()) | _title_words(week, question)
    terms = [t for t in tokenize(thing) if not _COUNT.fullmatch(t) and t not in ignored]
    if not terms:
        return None
    written = set(tokenize(_URL.sub(" ", week.text)))
    kind, qualifiers = terms[-1], set(terms[:-1])
    if kind in written:
        return None
    topics = set(tokenize(" ".join([week.title, week.goals, *(_PAREN.sub("", n) for n in week.sections)])))
    items = set(tokenize(" ".join(item(i) for i in (*(i for s in week.sections.values() for i in s),
                                                     week.weekend_project or "", *week.deliverables))))
    if pointed(week, question) and not qualifiers & (items - topics):  # a topic word ("DevOps problems") names no item
        return None
    return thing


_vectors: dict[tuple[str, str], np.ndarray] = {}  # (embedder name, text) -> unit vector: meanings and sections
VECTORS_KEPT = 20_000  # the oldest go first (the lines of roadmap versions no longer served): about 30 MB at most


def _embedded(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """The unit vectors of texts the plan route compares questions with, each embedded once per embedder (at most
    VECTORS_KEPT kept, oldest dropped first, so edited roadmaps don't grow the process)."""
    found = {t: _vectors[(embedder.name, t)] for t in dict.fromkeys(texts) if (embedder.name, t) in _vectors}
    missing = [t for t in dict.fromkeys(texts) if t not in found]
    if missing:
        for text, vector in zip(missing, np.asarray(embedder.embed(missing), dtype=np.float32), strict=True):
            found[text] = _vectors[(embedder.name, text)] = vector
        while len(_vectors) > VECTORS_KEPT:
            del _vectors[next(iter(_vectors))]
    return np.asarray([found[t] for t in texts])


def _section_text(week: Week, name: str) -> str:
    return f"{_PAREN.sub('', name)}: {', '.join(item(i) for i in week.sections[name] if item(i))}"


def meant(roadmap: Roadmap, question: str, week: int | None,
          embedder: Embedder) -> tuple[Week, set[str], list[str]] | None:
    """(the week, the field meant, []) when a question about a week (named, else the request's) means one of its
    fields in other words: its cosine to the field's meanings (`FIELD_MEANINGS`) is at least MEANING_MIN ("week 4:
    what do I put together on Saturday and Sunday?", "wk 13: by the end, what should be running?"). When one of the
    week's named sections (its name and items) is closer to the question than that field, the question asks for the
    section ("which architecture patterns does week 5 cover?"): (the week, no field, [that section]). A question
    asking how, why or when wants an explanation the plan doesn't give, and is searched."""
    found = _week_of(roadmap, question, week)
    if found is None or _EXPLAINING.search(question):
        return None
    vector = _question_vector(embedder, question)
    kind, cosine = field_meaning(embedder, vector)
    if cosine < MEANING_MIN:
        return None
    if names := list(_sections(found)):
        closest = _embedded(embedder, [_section_text(found, n) for n in names]) @ vector
        if closest.max() > cosine:
            return found, set(), [names[int(np.argmax(closest))]]
    return found, {kind}, []


def closest_line(roadmap: Roadmap, week: Week, question: str,
                 embedder: Embedder) -> tuple[str, str, float] | None:
    """("section", its name, cosine) or ("field", "goals" / "weekend" / "deliverables", cosine): the part of the
    week holding the line (a section's name or one of its items; the goals, project or a deliverable) closest in
    meaning to what the question asks about (`asked_subject`), so "which log-related practice ..." reaches "DevOps
    Applications" by its item "Log analysis with Pandas" and "saturday/sunday build ... which toolkit?" the weekend
    project "AWS automation toolkit". None when the question names no subject."""
    subject = asked_subject(roadmap, week, question)
    if not subject:
        return None
    parts: list[tuple[str, str]] = []
    lines: list[str] = []
    for name in _sections(week):
        for line in [_PAREN.sub("", name)] + [item(i) for i in week.sections[name] if item(i)]:
            parts.append(("section", name))
            lines.append(line)
    fields = [("goals", item(week.goals)), ("weekend", item(week.weekend_project or ""))]
    fields += [("deliverables", item(d)) for d in week.deliverables]
    for kind, line in fields:
        if line:
            parts.append(("field", kind))
            lines.append(line)
    if not lines:
        return None
    cosines = _embedded(embedder, lines) @ _question_vector(embedder, subject)
    best = int(np.argmax(cosines))
    return parts[best][0], parts[best][1], float(cosines[best])


def _subject_line(roadmap: Roadmap, week: Week, question: str,
                  embedder: Embedder) -> tuple[str, str, float] | None:
    """The week's part holding the line closest to the asked subject (`closest_line`) when its cosine reaches
    SUBJECT_MIN and the question names no field in words ("name of the hands-on weekend build?" asks for the
    project, whatever its subject is closest to)."""
    terms = set(tokenize(plain(roadmap, question)))
    if any(terms & words for words in _field_terms().values()):
        return None
    line = closest_line(roadmap, week, question, embedder)
    return line if line is not None and line[2] >= SUBJECT_MIN else None


def asked_subject(roadmap: Roadmap, week: Week, question: str) -> str:
    """What the question asks the week's plan about, as said: the thing between "which/what" and its verb ("which
    log-related practice does ..."), else its words but for words of asking, fields, positions, the plan's names and
    the words naming the week ("the stats week")."""
    stripped = strip_week(question)
    m = _EXPECTED_THING.search(stripped) or _ASKED_THING.search(stripped)
    terms, said = subject_of(roadmap, m[1] if m else question)
    titled = _title_words(week, question) | {t for d in _DESCRIBED.finditer(question) for t in tokenize(d[1])}
    if not terms - titled:
        return ""
    return " ".join(w for w in said.split() if set(tokenize(w)) - titled)


def field_lines(week: Week) -> list[str]:
    """The lines of the week's parsed fields, each a subject it may be asked about: its title, goals, section names,
    each section's items, weekend project and deliverables."""
    lines = [week.title, item(week.goals)] + [_PAREN.sub("", n) for n in _sections(week)]
    lines += [item(i) for items in week.sections.values() for i in items]
    lines += [item(week.weekend_project or ""), *(item(d) for d in week.deliverables)]
    return [line for line in dict.fromkeys(lines) if line]


def line_match(roadmap: Roadmap, embedder: Embedder, subject: str) -> tuple[Week, float, float]:
    """(the week one of whose field lines is closest in meaning to the subject, that cosine, its margin over the best
    line of any other week). Each line is embedded once per embedder and text (`_embedded`), so once per roadmap
    version: "k8s for ML" is close to "ML on Kubernetes" though no word is shared."""
    per_week = [(w, field_lines(w)) for w in roadmap.weeks]
    texts = [line for _w, lines in per_week for line in lines]
    cosines = _embedded(embedder, texts) @ _question_vector(embedder, subject)
    best, start = [], 0
    for _w, lines in per_week:
        best.append(float(cosines[start:start + len(lines)].max()) if lines else -1.0)
        start += len(lines)
    order = np.argsort(best)[::-1]
    margin = best[order[0]] - best[order[1]] if len(best) > 1 else best[order[0]]
    return per_week[int(order[0])][0], best[int(order[0])], margin


def listed(roadmap: Roadmap, question: str, week: int | None,
           embedder: Embedder) -> tuple[Week, set[str], list[str]] | None:
    """(the week, no field, [its section]) when the question asks what the plan expects of the learner or lists
    ("which vector stores am I expected to look at?", "which patterns does the plan suggest?") and the thing it asks
    for ("vector stores", `_EXPECTED_THING`) is, by meaning, a line of that week's section: the week (named, else the
    request's) holds the line closest to the thing of any week (`line_match`, at LINE_MIN and LINE_MARGIN), so
    "vector stores" reaches "Vector Databases: ChromaDB, FAISS, OpenSearch". A detail the plan doesn't list ("which
    chunk size am I supposed to use?") is close to no line, and the question is searched."""
    if not _EXPECTED.search(question) or _EXPLAINING.search(question):
        return None
    found = _week_of(roadmap, question, week)
    if found is None:
        return None
    thing = asked_subject(roadmap, found, question)  # "which vector stores am I ...", "the plan names vector stores"
    if not thing:
        return None
    closest, cosine, margin = line_match(roadmap, embedder, thing)
    if closest.number != found.number or cosine < LINE_MIN or margin < LINE_MARGIN:
        return None
    names = list(_sections(found))
    lines = [[_PAREN.sub("", n)] + [item(i) for i in found.sections[n] if item(i)] for n in names]
    if not names:
        return None
    vector = _question_vector(embedder, thing)
    best = [float((_embedded(embedder, texts) @ vector).max()) for texts in lines]
    return found, set(), [names[int(np.argmax(best))]]


def _question_vector(embedder: Embedder, question: str) -> np.ndarray:
    """The question's unit vector, of the text the retriever searches (`search_text`), so a caching embedder embeds
    it once for both."""
    return np.asarray(embedder.embed([search_text(question)])[0], dtype=np.float32)


def field_meaning(embedder: Embedder, question: str | np.ndarray) -> tuple[str, float]:
    """The field whose meanings (`FIELD_MEANINGS`) are closest to the question (or its vector), and that cosine."""
    vector = _question_vector(embedder, question) if isinstance(question, str) else question
    kinds = [k for k, texts in FIELD_MEANINGS.items() for _t in texts]
    cosines = _embedded(embedder, [t for texts in FIELD_MEANINGS.values() for t in texts]) @ vector
    best = int(np.argmax(cosines))
    return kinds[best], float(cosines[best])


def about_the_week(roadmap: Roadmap, question: str, week: int | None) -> tuple[Week, list[str]] | None:
    """(the week, its sections the question's words point at) when the week itself is what is asked about, its point
    or what it lists ("What's the point of week 3 overall?", "which practice environments does week 2 point me
    to?"), though the question names no field: the week (named, else the request's when the question names the
    plan) is the subject of a question that asks no how/why/when, not the frame of a docs question ("in week 9,
    how does the model registry version models?"). The sections are those whose name or items share a word with
    the question (`pointed`)."""
    found = _week_of(roadmap, question, week)
    if found is None or _EXPLAINING.search(question):
        return None
    mentions = [m for m in (week_mention(question), _THE_PLAN.search(question)) if m is not None]
    if not any(_SUBJECT_BEFORE.search(question[:m.start()]) for m in mentions) and not (
            _named_by_words(found, question) and not _unwritten_names(roadmap, question)):
        return None
    return found, pointed(found, question)


# "does the stats week ...", "what's the data-wrangling week ...": a week named by words before "week"
_DESCRIBED = re.compile(r"(?:\b(?:does|do|did|is|was|will|would|should|of)|['’]s)\s+(?:the|my|our)\s+"
                        r"((?:[\w&/-]+\s+){1,4}?)weeks?\b(?!\s*\d)", re.I)


def _unwritten_names(roadmap: Roadmap, question: str) -> list[str]:
    """The names the question gives (`question_asks.unknown_names`: a capitalised word inside a sentence, a word with
    an inner capital, an acronym) that the roadmap never writes: "which framework, Flower or FedML, does the
    enterprise platform week tell me to use?" asks about things the plan doesn't hold, so it is no question about the
    week's plan."""
    return unknown_names(question, _roadmap_tokens(roadmap.text).__contains__)


@lru_cache(maxsize=4)
def _roadmap_tokens(text: str) -> frozenset[str]:
    return frozenset(tokenize(_URL.sub(" ", text)))


def _named_by_words(week: Week, question: str) -> bool:
    """Whether the question makes the week its subject by naming it with words its section writes, after an
    auxiliary or "of" ("which statistics resources does the stats week point me to?", "what's the stats & ML
    concepts week trying to teach?"); "cost week: how ..." only frames a docs question."""
    written = set(tokenize(_URL.sub(" ", week.text)))
    return any(set(tokenize(m[1])) & written for m in _DESCRIBED.finditer(question))


def pointed(week: Week, question: str) -> list[str]:
    """The week's sections whose name or items share a word with the question, but for words all of the week's
    sections share ("data" in a data week)."""
    named_by = _sections(week)  # section name -> the words of its name
    words = {name: set(terms) | set(tokenize(" ".join(item(i) for i in week.sections[name])))
             for name, terms in named_by.items()}
    common: set[str] = set.intersection(*words.values()) if len(words) > 1 else set()
    named = set().union(*named_by.values())  # a word of asking that names a section ("Reading") counts
    asked = set(tokenize(strip_week(question))) - (_asking() - named) - common
    return [name for name, terms in words.items() if asked & terms]


def subject_of(roadmap: Roadmap, question: str) -> tuple[set[str], str]:
    """(the terms, the words as said: "k8s for ML") of what the question asks about: its words but for its week
    mention, the plan's name and length, and words of asking, positions and fields."""
    subject = _THE_PLAN.sub(" ", plain(roadmap, question))
    terms = set(tokenize(subject)) - _asking() - set().union(*_field_terms().values())
    return terms, " ".join(w for w in re.findall(r"[\w&+./-]+", subject) if set(tokenize(w)) & terms)


def which_weeks(roadmap: Roadmap, question: str, embedder: Embedder | None = None) -> tuple[list[Week], bool] | None:
    """(the weeks, whether their text names the subject) when the question asks which week of the plan holds a
    subject ("which week covers federated learning?", "at what point in the sixteen weeks does k8s for ML come
    up?") and names no week. The subject is the question's words but for words of asking, of the plan's positions,
    fields and names. Each week's section (title, goals, section names, items, project, deliverables) is scored by
    the share of the subject it names, each word weighed by how few weeks write it (log(weeks / weeks writing it));
    a word no week writes ("stuff", "k8s") can't place the subject and weighs nothing. The weeks naming at least
    half of it, one word of it written by at most half the weeks among them, name it (`True`): the best-scored ones,
    at most three in plan order, or with an embedder the one closest in meaning among them. Otherwise, with an
    embedder, the week whose title, goals and sections are closest in meaning is offered as the closest (`False`),
    if its cosine reaches the closeness a closest week needs before it is named (`Calibration.suggest_min`, fitted
    against off-topic questions). None when the question asks something else, or no week could be chosen."""
    if (m := _WHICH_WEEK.search(question)) is None or detect_week(question) is not None or week_mention(question):
        return None
    terms, said = subject_of(roadmap, question[:m.start()] + " " + question[m.end():])
    if not terms or not roadmap.weeks:
        return None
    written = [set(tokenize(_URL.sub(" ", w.text))) for w in roadmap.weeks]
    weeks_writing = {t: sum(t in words for words in written) for t in terms}
    weight = {t: np.log(len(written) / n) for t, n in weeks_writing.items() if n}
    total = sum(weight.values())
    share = [sum(v for t, v in weight.items() if t in words) / total if total else 0.0 for words in written]
    best = max(share)
    named = [w for w, words, s in zip(roadmap.weeks, written, share, strict=True)
             if s == best and s >= 0.5 and any(2 * weeks_writing[t] <= len(written) for t in weight if t in words)]
    if not named and embedder is None:
        return None
    if embedder is None:
        return named[:3], True
    week, cosine, margin = line_match(roadmap, embedder, said)
    if cosine >= LINE_MIN and margin >= LINE_MARGIN:  # a line of one week says the subject in other words
        return [week], True
    texts = [f"{w.title}: {item(w.goals)}. " + "; ".join(_section_text(w, n) for n in _sections(w))
             for w in roadmap.weeks]
    cosines = dict(zip((w.number for w in roadmap.weeks), _embedded(embedder, texts) @ _question_vector(embedder, said),
                       strict=True))
    if named:
        chosen = max(named, key=lambda w: cosines[w.number])
        if chosen.number == week.number:  # the words and the closest line agree
            return [chosen], True
    closest = max(roadmap.weeks, key=lambda w: cosines[w.number])
    if cosines[closest.number] < DEFAULT.suggest_min:  # nothing genuinely close: the question is searched
        return None
    return [closest], False


# ---------------------------------------------------------------- wording
@lru_cache(maxsize=4)
def _lower_words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(_URL.sub("", text)) if w.islower())


def _phrase(text: str, lower: frozenset[str], always: bool = False) -> str:
    """The item as a phrase inside a sentence: its first word lower-cased when the roadmap writes it (or the first
    part of a hyphenated word) in lower case somewhere, or `always` (an imperative goal)."""
    first, _, rest = text.partition(" ")
    capitalised = first[:1].isupper() and first[1:].replace("-", "").islower()
    if capitalised and (always or first.split("-")[0].lower() in lower):
        first = first.lower()
    return f"{first} {rest}".strip()


_DETERMINERS = frozenset("a an the this that your my our its their".split())


def _article(phrase: str) -> str:
    """'an automated documentation system', 'a Slack bot'; plural and -ing phrases without an article, one that has
    its own kept, and a verb phrase ("deploy a model": a determiner after its first word) as "to deploy a model"."""
    words = phrase.split()
    if words[0].lower() in _DETERMINERS:
        return phrase
    if any(w.lower() in _DETERMINERS for w in words[1:3]) and words[0].islower():
        return "to " + phrase
    last = words[-1].lower()
    if last.endswith("ing") or (last.endswith("s") and not last.endswith(("ss", "is", "us"))):
        return phrase
    first = words[0]
    # an acronym is read letter by letter: "an AWS ...", "an S3 ...", "a CloudWatch ..."
    acronym = first.isupper() and first.isalnum()
    vowel = first[0] in "AEFHILMNORSX" if acronym else first[0].lower() in "aeiou"
    return ("an " if vowel else "a ") + phrase




def _goal(week: Week, lower: frozenset[str], subject: str | None = None) -> str:
    subject = subject or f"Week {week.number}'s goal"
    goal = item(week.goals)
    if not goal.split()[0].lower().endswith(("s", "ing", "ed")):  # an imperative: "Optimize ML workloads ..."
        return f"{subject} is to {_phrase(goal, lower, always=True)}"
    return f"{subject}: {goal}"


def _project(week: Week, lower: frozenset[str], label: str, subject: str | None = None) -> str | None:
    if not week.weekend_project and not week.deliverables:
        return None
    parts = []
    if week.weekend_project:
        subject = subject or f"Week {week.number}'s"
        parts.append(f"{subject} {label} is {_article(_phrase(item(week.weekend_project), lower))}")
    if week.deliverables:
        things = listing([_article(_phrase(item(d), lower)) for d in week.deliverables])
        parts.append(f"its deliverables are {things}" if parts else f"Week {week.number}'s deliverables are {things}")
    return "; ".join(parts)


def _section(week: Week, name: str) -> str:
    items = [item(i) for i in week.sections[name] if not i.startswith(" ") and item(i)]  # names: keep their case
    title = _PAREN.sub("", name)
    if not items:
        return f"Week {week.number} has a section “{title}”"
    return f"Week {week.number}'s “{title}” section covers {listing(items)}"


def answer(roadmap: Roadmap, question: str, week: int | None, embedder: Embedder | None = None) -> Answer | None:
    """The plan answer when `question` asks about a week's plan (see the module docstring), else None; with an
    `embedder`, a question that means a field in other words is one too (`meant`)."""
    if (weeks := which_weeks(roadmap, question, embedder)) is not None:
        return _which_answer(roadmap, question, *weeks)
    found = asked(roadmap, question, week)
    overview = by_meaning = False
    if found is None:
        if (whole := about_the_week(roadmap, question, week)) is not None:
            no_field: set[str] = set()
            found, overview = (whole[0], no_field, whole[1]), True
            line = _subject_line(roadmap, whole[0], question, embedder) if embedder is not None else None
            # the list asked about first, unless the week doesn't name the asked thing ("which book ...")
            if line is not None and line[0] == "section" and unlisted(whole[0], question) is None:
                found = (whole[0], no_field, [line[1]] + [n for n in whole[1] if n != line[1]])
        elif embedder is None:
            return None
        elif (found := listed(roadmap, question, week, embedder)) is not None:
            by_meaning = True
        elif (found := meant(roadmap, question, week, embedder)) is None:
            return None
        elif (line := _subject_line(roadmap, found[0], question, embedder)) is not None:
            # the section or field holding the line the asked subject names is what was asked, whatever the
            # question as a whole means
            part = (set(), [line[1]]) if line[0] == "section" else ({line[1]}, [])
            found, by_meaning = (found[0], *part), True
    w, fields, sections = found
    if not fields and not sections and not overview:  # the week as a whole, and what its words point at
        overview, sections = True, pointed(w, question)
    lower = _lower_words("\n".join(s.text for s in roadmap.sections))
    label = "final project" if re.search(r"\bfinal project\b", w.text, re.I) else "weekend project"
    sentences: list[str] = []
    missing: list[str] = []
    if "goals" in fields:
        (sentences if w.goals else missing).append(_goal(w, lower) if w.goals else "goals")
    if fields & {"weekend", "deliverables"}:
        project = _project(w, lower, label)
        (sentences if project else missing).append(project or label)
    if not overview:
        sentences += [_section(w, s) for s in sections]
    if overview or (not fields and not sections):  # the week as a whole
        about = f"Week {w.number} is about {w.title}"
        sentences.append(f"{about}; {_goal(w, lower, 'its goal')}" if w.goals else about)
        if names := [_PAREN.sub("", n) for n in _sections(w)]:
            sentences.append(f"It covers {listing(names)}")
        if project := _project(w, lower, label, "Its"):
            sentences.append(project)
        sentences += [_section(w, s) for s in sections]  # what the question's words point at in the week
    cite = " [1]." if sentences else ""
    text = " ".join(s + (cite if i == len(sentences) - 1 else ".") for i, s in enumerate(sentences))
    if missing:
        gap = f"The roadmap doesn't list {listing(missing)} for week {w.number}."
        text = f"{text} {gap}".strip()
    # not what was asked (unless the thing was matched to a line by meaning): say so first, then what the week lists
    if not by_meaning and (thing := unlisted(w, question)) is not None:
        missing.append(thing)
        text = f"The roadmap doesn't name {_article(thing)} for week {w.number}; here is what it lists. {text}"
    named = ", ".join(_field_labels(fields, label) + [_PAREN.sub("", s) for s in sections])
    citations = [_citation(roadmap, w, 1, named or None)]
    return Answer(answer=text, citations=citations if sentences else [], grounded=not missing and bool(sentences),
                  mode="roadmap", week=w.number, scope="week", widened=False, suggested=None)


def _citation(roadmap: Roadmap, w: Week, n: int, section: str | None = None) -> Citation:
    """The citation of week w's section of the roadmap, numbered n, naming `section` (else the week's title)."""
    part = next((s for s in roadmap.sections if s.week == w.number), None)
    url = f"{ROADMAP_URL}#{w.anchor}"
    return Citation(n=n, url=url, deep_link=url, title=f"Roadmap: {part.title if part else w.title}",
                    section=section or (part.title if part else w.title), weeks=[w.number],
                    snippet=" ".join((part.text if part else w.text).split())[:240])


def _which_answer(roadmap: Roadmap, question: str, weeks: list[Week], names: bool) -> Answer:
    """Which week holds the subject: each week named with its title and the sections the question points at, each
    citing its section of the roadmap. Grounded when the weeks' text names the subject; a week chosen by meaning
    alone is offered as the closest, ungrounded."""
    sentences = []
    for n, w in enumerate(weeks, 1):
        where = [_section(w, s) for s in pointed(w, question)]
        head = f"Week {w.number} ({w.title})" + (f": {_goal(w, _lower_words(roadmap.text), 'its goal')}"
                                                 if w.goals else "")
        sentences.append(" ".join([head + "."] + [f"{x}." for x in where])[:-1] + f" [{n}].")
    lead = "The plan covers it in " + listing([f"week {w.number}" for w in weeks]) if names else \
        f"The roadmap doesn't name this in so many words; the closest week is week {weeks[0].number}"
    text = f"{lead}. " + " ".join(sentences)
    return Answer(answer=text, citations=[_citation(roadmap, w, n) for n, w in enumerate(weeks, 1)],
                  grounded=names, mode="roadmap", week=weeks[0].number, scope="all", widened=False, suggested=None)


def _field_labels(fields: set[str], label: str) -> list[str]:
    names = {"goals": "Goals", "weekend": label.title(), "deliverables": "Deliverables"}
    return [names[k] for k in ("goals", "weekend", "deliverables") if k in fields]
