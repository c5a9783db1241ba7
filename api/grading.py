"""Checking a learner's answer to a quiz question: correct, partial or incorrect, by meaning and by key terms.

Everything is measured against what the question asks for (`Question.expected`: a definition's predicate, the
blanked value or command, the roadmap's lines, a model question's quoted span). The answer is read first
(`api.answer_readings`, which holds every reading named below: `holds`, `specifics`, `restricts` ...: hedges dropped,
number words as digits), and a quantity equal to the asked one in another unit of time or information is read as the
asked one (`api.quantities`, pint: "60 minutes" for the "1" of "____ hour", "2048 MB" for "2 GB"). This module holds
the judging: the fitted constants, the signals (`Features`, `features`, the token `alignment`) and the verdict
(`judge`, `verdict`). The signals:

- **similarity**: the cosine of the expected text's MiniLM embedding (the embedder the retriever holds) with the
  answer's, or with the answer's best clause when it has several (a right answer padded with other text keeps its
  right clause);
- **key_recall** (weighted since issue 15f, in place of coverage): BERTScore-style token alignment (Zhang et al.
  2020, `alignment`) from the same model run: MiniLM's contextual wordpiece vectors (`TokenVectors`), each key term's
  wordpieces taking their best cosine with the answer's (or its best-aligned clause's), weighted by their word's idf.
  A right answer in other words aligns where it shares few terms. The alignment's `recall` (all of the expected
  text), `precision` (the answer's wordpieces' best cosine in the expected text) and `f1` are computed beside it and
  weigh 0 (they did not help on dev); without wordpiece vectors (an embeddings API) the recalls are the coverage and
  precision and F1 the similarity;
- **coverage** (weighs 0 since issue 15f; reported, and behind `missing`): the idf-weighted share of the key terms
  the answer holds (the term, or one of its word family or a clipping: `holds`). Key terms are the expected text's
  terms (the shared tokenizer's stems) that the question does not already give;
- **specifics**: +1 when the answer gives every number and code name the expected text adds to the question
  (`str.format()` is read as `format`, also when written as a plain word; a path is named whole; "percent" is "%"),
  -1 when it gives some and none of those, or some of those and others in place of the rest, 0 otherwise. The digits
  of a name are no number ("EC2", "NO_2"), a word of letters and digits is a name ("float32"), names are compared
  without underscores and may be written as words ("a processing step" for ProcessingStep: `spelled`).

- **replaced** (issue 15m): the share of the key terms the answer lacks (1 - coverage) when it says something in
  their place that the source does not (a term neither the question nor the expected text holds, nor a word of its
  family or a clipping), and 0 when every term it adds is the source's: it tells an answer that says something else
  ("a load balancer that routes traffic to Pods" for a Deployment; incorrect) from one that only says less ("a
  controller for Pods"; partial). It weighs against "at least partial" and for "correct" (among answers at least
  partial, a right answer in the learner's own words replaces the source's terms too).

Beside them the answer's **length** (log(1 + the number of terms it adds to the question) / 3). Each boundary has its
own weights (issue 15h): `sum(WEIGHTS[s] * signal) >= PARTIAL` is at least partial, and of those
`sum(CORRECT_WEIGHTS[s] * signal) >= CORRECT` correct; length weighs against the first (more said, more to be wrong:
a short vague answer is partial) and for the second (a complete answer says more). Rules
come first (`Features.ruled`, `Features.ceiling`, `Features.floor`; `judge` says which decided): an empty answer
(nothing left once hedges are dropped), an **echo** (every term of the answer is in the question, and not all of
them are the expected text's: it adds nothing) and a **negated fact** (the answer's first clause negates what the
expected text states, or the answer states what it negates, or uses a term whose opposite by "un"/"non" the source
uses) are incorrect, and so is an answer that **restricts** what the source states ("only local disk storage",
"matches only the classic shadow": an "only", "solely", "exclusively" or "merely" the question and the expected text
do not use; `restricts`: it denies the rest of what the source says), one that extends to everything what the
source restricts (`widens`: "every", "all" or "any" against the source's "only"), one that changes a compound the
source uses (`swaps`: "an account-level setting" for "a bucket-level setting"), a circular definition unless it
scores correct (`circular`: a fragment that says a question's term twice, "a bucket is a bucket in s3"), a range of
the asked value's kind that does not hold it (`quantities.outside`: "a few hours" for 30 days), one that **names
another component** than
the source's (`renames`: "custom models stored in Amazon EFS" for "... in Amazon S3": outside its asides, a name, an
acronym or a word with a capital inside or digits, that neither the question nor the expected text holds, where the
expected text names one the answer lacks; an acronym of the other's words and a plural are the same name) and one
that **fits another
question of the week better** (`Features.elsewhere`: its best clause is closer to what another question of the
week's pool expects than to this expected text, by at least ELSEWHERE in cosine; `features(rivals=...)`); a
negation in a later clause ("images for training, not for inference") caps the verdict at partial; a wrong
number or name is incorrect, whether it is all the question asks for or given beside other words ("10+ foundation
models" for 100+), and so is one of the source's values given with another in place of the rest ("99.99% and
99.999999999%" for 99.9% and 99.999999999%); a value the question asks for that the answer does not give caps the
verdict at partial, as does or a number it qualifies with words the source does not use ("110 per
namespace"). The source's number in a unit the source contradicts is a wrong value ("30 hours" for 30 days, "4 GB"
where the source's 4 counts OCUs: `quantities.contradicted`), and so is a path or a command of a blank other than the
source's ("/tmp/checkpoints", "dvc push" for `dvc get`: `in_slot`); an answer that gives another number of what the
source counts ("two channels" for "three data channels": `miscounts`) is incorrect. A **fragment** (every
term the answer adds to the question is the expected text's: "a workflow", "some models"), a value given only
as a range that holds it ("a few thousand seconds" for 3600, `quantities.vague`; a folder that holds the asked path)
and the asked value offered beside others ("five or six times") are at least partial, the last also at most. An
answer that gives **exactly** the value or name a question asks for (all of them), qualified by nothing the source
does not say, is correct whatever it scores (`Features.exact`: "a tenth of the source data" for 10%, "ten thousand"
for 10,000; a bare value's sentence cosine is low). For a percentage, a fraction word is the percentage it is ("half"
is 50%, "a tenth" 10%: `fractions`), unless the question says it with the word before it ("the remaining half"); a
command of up to four words filling a blank is one name, and the program an option of it runs, with its words, is
read as that command ("pip uninstall" for "python -m pip uninstall", "pip remove" another command; not the words
after a subcommand: "get pods" is not "kubectl get pods").

Issue 15j: a call with arguments names its function ("fit(X, y)" asks for `fit`: "transform(X)" is another name, and
"fit(X)", without one of the source's arguments, is not it whole: partial); a source's name offered beside another
of the same kind ("add_note... or was it add_notes") is an alternative (partial at most), also when the question asks
for more than the name; "something like" is a hedge; the question's name written as words is the question's ("memory
DB" for MemoryDB: an echo, `respelled`); a negation of another component's name ("instead of being an IAM user")
denies nothing the source states, and an answer's negation covers its next two terms ("without needing an internet
gateway"); the source's "without X" (and "no X") is denied by an answer that states X ("you still need to know
Kubernetes"); and a unit written without a number for a quantity the source gives no unit of ("the mother's age in
months") is a wrong fact (`quantities.remeasured`).

Issue 15k: a path in a home folder is a path ("~/.aws/config" for ~/.aws/credentials is another name); a bound the
question itself writes before its blank ("versions up to ____") is the question's words, not a vague value ("up to
2.3" there gives 2.3, a wrong value; "less than 2.3", the answer's own bound, holds 2.1); "gigs" and "megs" are
gigabytes and megabytes; a clipping of the question's word says nothing the source does not ("per repo" for "per
repository" qualifies no value); and a guess the learner takes back is dropped ("get_n_splits?? no, the splitting
one" is "the splitting one").

Issue 15l: a prefix "non" or "un" written apart or with a hyphen is the word written whole ("non standard SQL" is the
source's "nonstandard SQL", not its opposite "standard"); one word filling a blank that is neither a number nor a code
name is a name like a command ("true", "None", "PendingManualApproval": offered beside another, "true or false", it is
partial at most); and the last part of the source's dotted name that the question's sentence (not its heading)
names on its own is the question's object ("open()" where the source's is `os.open()` and the question says "the
built-in `open()`": another name; `owned`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from api import quantities
from api.answer_readings import (
    BARE_NUMBER,
    CODE,
    NUMBER,
    OR,
    PARENS,
    PATH,
    THOUSANDS,
    circular,
    clauses,
    command,
    fewer_arguments,
    flipped,
    fractions,
    holds,
    in_slot,
    key_terms,
    miscounts,
    normalise,
    numbers,
    owned,
    renames,
    respelled,
    restricts,
    specifics,
    spelled,
    surfaces,
    swaps,
    terms,
    widens,
    within,
    without_hedges,
)
from vectorstore.embeddings import TokenVectors, l2_normalise

# Fitted on eval/quiz_answers.jsonl, dev data (the splits dev and test to test12: 1,257 answers to 411 questions), by
# `python bench/fit_quiz_check.py --fit --by-split --signals similarity,specifics,key_recall,length,replaced` (see
# README, Study companion): one logistic model per boundary (issue 15h; before, one set of weights for both), C = 3
# (issue 15k; 1 before), each signal standardised before the fit so that the penalty weighs every signal alike (issue
# 15n; the weights are on the signals' own scale). Dev agreement 0.882 in-sample, leave-one-question-out CV 0.879,
# leave-one-split-out (fit on twelve splits, score the thirteenth) 0.880, its test5 0.843, test6 0.880, test7 0.872,
# test8 0.885, test9 0.877, test10 0.881, test11 0.798, test12 0.794 (issue 15m's fit, unstandardised and the rule
# reading every answer, on the same 1,257: 0.874, CV 0.875; see
# bench/quiz_check.md, issue 15n). A longer answer
# is less often at least partial (WEIGHTS' length < 0: more said, more to be wrong) and more often correct
# (CORRECT_WEIGHTS' length > 0): a short vague answer is partial, not incorrect; `replaced` (issue 15m) weighs the same
# way: saying something else in place of the source's terms is incorrect unless it scores correct. ELSEWHERE is the
# margin of the rule "the answer fits another of the week's questions better" (fitted with them); ELSEWHERE_TERMS the
# least number of terms an answer adds to the question for that rule to read it (issue 15n, fitted after ELSEWHERE: an
# answer of one or two words, "a storage service", is close to many of the week's answers and is left to the score).
WEIGHTS = {"similarity": 5.186, "coverage": 0.0, "specifics": 0.352, "recall": 0.0, "precision": 0.0, "f1": 0.0,
           "key_recall": 1.786, "length": -4.738, "replaced": -1.833}
CORRECT_WEIGHTS = {"similarity": 6.224, "coverage": 0.0, "specifics": 1.156, "recall": 0.0, "precision": 0.0,
                   "f1": 0.0, "key_recall": 5.944, "length": 6.201, "replaced": 1.996}
CORRECT = 12.293
PARTIAL = -1.22
ELSEWHERE = 0.18
ELSEWHERE_TERMS = 3
SIGNALS = tuple(WEIGHTS)
VERDICTS = ("correct", "partial", "incorrect")

Embed = Callable[[Sequence[str]], np.ndarray]
# the texts' embeddings and their wordpiece vectors from one model run (none when the embedder has none)
TokenEmbed = Callable[[Sequence[str]], tuple[np.ndarray, list[TokenVectors]]]


@dataclass(frozen=True)
class Features:
    similarity: float
    coverage: float
    specifics: float
    elsewhere: float        # how much closer the answer is to another question's answer of the week than to this one's
    echo: bool = False      # the answer only repeats the question's terms
    empty: bool = False     # nothing is left once hedges are dropped
    negation: bool = False  # the answer negates what the expected text states, or states what it negates
    negated_part: bool = False  # a later clause of the answer negates part of what the expected text states
    miscounted: bool = False  # the answer gives another number of what the expected text counts ("two channels")
    restricted: bool = False  # the answer says "only" where the source does not: it denies the rest of what it states
    renamed: bool = False   # the answer names another component where the source names its own ("EFS" for "S3")
    widened: bool = False   # the answer says "every" or "all" where the source says "only"
    swapped: bool = False   # the answer gives a compound of the source's with another first part ("account-level")
    circular: bool = False  # a fragment that defines the question's subject by itself ("a bucket is a bucket in s3")
    contained: bool = False  # every term the answer adds to the question is the expected text's (a fragment of it)
    approximate: bool = False  # the answer gives the asked value only as a range that holds it ("a few thousand")
    alternatives: bool = False  # the answer offers the asked value as one of alternatives ("5 or 6", "tail or last()")
    value_only: bool = False  # the expected text adds nothing to the question but a number or a name
    qualified: bool = False   # beside the value, the answer says what the question does not (another unit, scope)
    missing: tuple[str, ...] = ()   # key terms the answer lacks, as the source writes them
    recall: float = 0.0     # token alignment (BERTScore): the expected text's wordpieces' best cosine in the answer
    precision: float = 0.0  # the answer's wordpieces' best cosine in the expected text
    f1: float = 0.0
    key_recall: float = 0.0  # the recall of the key terms' wordpieces only
    length: float = 0.0     # how much the answer says: log(1 + the terms it adds to the question) / 3
    # the share of the key terms the answer lacks (1 - coverage) when it says, in their place, something the source
    # does not (a term neither the question nor the expected text holds); 0 when it only says less (issue 15m)
    replaced: float = 0.0
    remeasured: bool = False  # the answer measures in a unit a quantity the source gives no unit of ("in months")
    added: int = 0  # the number of terms the answer adds to the question (`length` is log(1 + added) / 3)

    def score(self, weights: dict[str, float] | None = None) -> float:
        w = WEIGHTS if weights is None else weights
        return float(sum(w[s] * getattr(self, s) for s in SIGNALS))

    def ruled(self) -> str | None:
        """The verdict the rules give whatever the score: an empty answer, an echo of the question and a negated
        fact are incorrect; a wrong number or name is incorrect when it is all the question asks, else partial at
        most."""
        if self.empty or self.echo or self.negation or self.miscounted or self.restricted or self.renamed \
                or self.widened or self.swapped or self.remeasured or self.specifics < 0:
            return "incorrect"
        return None

    def reason(self) -> str | None:
        """Why a rule decided or capped the verdict, in a learner's words (None when the score alone decided)."""
        if self.empty:
            return "no answer given"
        if self.echo:
            return "the answer only repeats the question"
        if self.negation:
            return "the answer negates what the source states"
        if self.negated_part:
            return "the answer negates part of what the source states"
        if self.miscounted:
            return "the answer counts what the source counts differently"
        if self.restricted:
            return "the answer restricts what the source states"
        if self.renamed:
            return "the answer names another component than the source's"
        if self.widened:
            return "the answer extends to everything what the source restricts"
        if self.swapped:
            return "the answer changes a compound the source uses"
        if self.remeasured:
            return "the answer gives a unit the source does not state"
        if self.specifics < 0:
            return "a different number or name than the source's"
        if self.approximate:
            return "the value is given only approximately"
        if self.alternatives:
            return "the source's value is offered only beside others"
        if self.value_only and self.specifics <= 0:
            return "the source's number or name is not given"
        if self.value_only and self.qualified:
            return "the value is qualified by what the source does not say"
        return None

    def ceiling(self) -> str:
        """The best verdict the answer can get: partial when it gives a wrong number or name beside a right rest, or
        when the question asks for a value or a name that it does not give."""
        return "partial" if self.specifics < 0 or self.negated_part or self.alternatives or \
            (self.value_only and (self.specifics <= 0 or self.qualified)) else "correct"

    def exact(self) -> bool:
        """Whether the answer gives exactly the value or name the question asks for (every one of them), qualified by
        nothing the source does not say, not as a range nor beside alternatives: it is correct whatever it scores ("a
        tenth of the source data" for 10%, "ten thousand" for 10,000: the sentence cosine of a bare value is low)."""
        return self.value_only and self.specifics > 0 and not self.qualified and not self.approximate and \
            self.ceiling() == "correct"

    def floor(self) -> str:
        """The least verdict an answer the rules don't rule out gets: partial for a fragment of the source's answer
        (every term it adds to the question is the expected text's: "a workflow", "some models") and for a value
        given only as a range that holds it ("a few thousand seconds" for 3600)."""
        return "partial" if (self.contained and not self.circular) or self.approximate or self.alternatives \
            else "incorrect"


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(np.clip(l2_normalise(a) @ l2_normalise(b).T, 0.0, 1.0))


def _weights(t: TokenVectors, idf: Callable[[str], float], keys: set[str] | None = None) -> np.ndarray:
    """Each wordpiece's weight: its word's idf (the mean of its terms'), shared among the word's wordpieces; 0 for a
    word with no term (a stopword, punctuation) or, with `keys`, none of the key terms; uniform when all are 0."""
    per_word = []
    for word in t.words:
        ts = [x for x in terms(word) if keys is None or x in keys]
        per_word.append(sum(idf(x) for x in ts) / len(ts) if ts else 0.0)
    pieces = np.bincount(np.asarray(t.word_ids, dtype=np.int64), minlength=len(t.words))
    w = np.asarray([per_word[i] / pieces[i] for i in t.word_ids], dtype=np.float32)
    return w if w.sum() > 0 else np.ones(len(w), dtype=np.float32)


def alignment(reference: TokenVectors, candidate: TokenVectors, idf: Callable[[str], float],
              keys: set[str] | None = None) -> tuple[float, float, float, float]:
    """BERTScore (Zhang et al. 2020) from the wordpiece vectors: recall (each reference wordpiece's best cosine with
    a candidate wordpiece, idf-weighted), precision (the other way), their F1, and the recall of the key terms'
    wordpieces only (`keys`: the reference's stems a right answer must supply)."""
    if not len(reference.vectors) or not len(candidate.vectors):
        return 0.0, 0.0, 0.0, 0.0
    cos = np.clip(reference.vectors @ candidate.vectors.T, 0.0, 1.0)
    best_r, best_p = cos.max(axis=1), cos.max(axis=0)
    w_r, w_p = _weights(reference, idf), _weights(candidate, idf)
    recall = float(best_r @ w_r / w_r.sum())
    precision = float(best_p @ w_p / w_p.sum())
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    w_k = _weights(reference, idf, keys) if keys else w_r
    return recall, precision, f1, float(best_r @ w_k / w_k.sum())


def features(answer: str, question: str, expected: str, embed: Embed, idf: Callable[[str], float],
             rivals: np.ndarray | None = None, tokens: TokenEmbed | None = None) -> Features:
    """The signals and rules of an answer. `rivals`: the unit-length embeddings of what the week's other questions
    expect (their answers), for `elsewhere`. `tokens`: the embedder's run that also gives wordpiece vectors, for the
    token alignment (without it, or when the embedder gives none, the alignment signals are the similarity)."""
    keys = key_terms(question, expected)
    # a quantity in another unit is read as the one asked for ("60 minutes" is the "1" of "____ hour")
    said = without_hedges(answer)
    normal_expected = normalise(expected)
    if normal_expected.strip().endswith("%") and BARE_NUMBER.fullmatch(normal_expected):
        said = fractions(said, question)
    read = quantities.as_asked(normalise(said), normal_expected, normalise(question))
    said = read if read != normalise(said) else said
    given = surfaces(said)
    missing = tuple(w for t, w in keys.items() if not holds(given, t))
    # a source's number words are values only when they are all it says ("ten" filling a blank; not "one of")
    source = normalise(expected) if BARE_NUMBER.fullmatch(normalise(expected)) else expected
    # a command of a few words filling a blank is one name ("dvc get"): the same tool with another subcommand, or the
    # same subcommand of another tool, is another name
    words = command(question, expected)
    written = {" ".join(words)} if words else specifics(source, words=False)
    value_only = bool(words) or bool(written) and \
        not terms(CODE.sub(" ", NUMBER.sub(" ", PATH.sub(" ", THOUSANDS.sub("", source)))))
    in_question = specifics(question, words=False)
    wanted, gave = written if value_only else written - in_question, specifics(said)
    gave |= in_slot(said, words) if words else set()
    # the source's number in a unit the source contradicts is another value ("3600 milliseconds" for 3600 seconds)
    for q in quantities.contradicted(normalise(said), normalise(expected), normalise(question)):
        gave = gave - {q.number} | {q.text}
    # numbers are weighed against numbers and names against names ("a slicing one" names no wrong number for slice())
    gave = {g for g in gave if g[0].isdigit() in {w[0].isdigit() for w in wanted}}
    # a name asked for, written as a plain word ("the tail method" for tail())
    gave |= {w for w in wanted if not w[0].isdigit() and w in spelled(said)}
    # the source's dotted name whose last part the question's sentence names on its own ("os.open()" where it says
    # "the built-in `open()`"): that bare name is the question's, another one than the source's
    theirs = owned(said, source, question)
    gave = {g if g not in theirs else f"{g} (the question's)" for g in gave}
    # a value given only as a range that holds it is not a wrong value ("less than 10" for 8)
    ranged = quantities.vague(normalise(said), normalise(expected), normalise(question)) \
        if value_only and not wanted <= gave else None
    # and nor is a folder that holds the asked path ("somewhere under /opt/ml" for /opt/ml/checkpoints)
    folders = {g for g in gave if within(g, wanted)} if value_only and not wanted <= gave else set()
    ranged = (ranged or set()) | folders if folders else ranged
    gave = gave - ranged if ranged is not None else gave
    if not given:
        return Features(0.0, 0.0, 0.0, 0.0, empty=True, value_only=value_only, missing=missing)
    asked = set(terms(question))
    specific = 0.0 if not wanted or not gave else 1.0 if wanted <= gave else -1.0 if not wanted & gave else 0.0
    # some of the source's values given and another in place of the rest ("99.99% and 99.999999999%" for 99.9% and
    # 99.999999999%) is a wrong value too
    specific = -1.0 if specific == 0.0 and wanted & gave and gave - wanted - in_question else specific
    # a range of the asked value's kind that does not hold it ("a few hours" for 30 days) is a wrong value too
    specific = -1.0 if value_only and specific == 0.0 and ranged is None and \
        quantities.outside(normalise(said), normalise(expected), normalise(question)) else specific
    held = surfaces(expected)
    # what the answer adds that neither the question nor the expected text holds (a word of its family or a clipping
    # is held: `holds`)
    foreign = any(not holds(held, t) for t in given if t not in asked)
    part_of = set(given) <= set(held)   # every term of the answer is the expected text's
    # the question's names written as words are the question's too ("memory DB" for MemoryDB)
    echo = set(given) <= asked | respelled(said, asked) and not part_of and bool(set(keys) - set(given)) and \
        specific <= 0
    new = {t: w for t, w in given.items() if t not in asked}
    # one model run: the expected text, the answer and its clauses (with wordpiece vectors: that run is not cached)
    parts = clauses(said)
    parts = parts if len(parts) > 1 else []
    if normalise(said) != said:   # its numbers as digits too ("one hundred and ten" is also read as "110")
        parts.append(normalise(said))
    texts = [expected, said, *parts]
    vectors, pieces = tokens(texts) if tokens is not None else (embed(texts), [])
    vectors = np.asarray(vectors, dtype=np.float32)
    own = _cosines(vectors[:1], vectors[1:])[0]
    similarity = float(own.max())
    best = l2_normalise(vectors[1 + int(own.argmax()):2 + int(own.argmax())])[0]
    rival = float(np.clip(rivals @ best, 0.0, 1.0).max()) if rivals is not None and len(rivals) else 0.0
    k_idf = {t: idf(t) for t in keys}
    coverage = sum(v for t, v in k_idf.items() if holds(given, t)) / (sum(k_idf.values()) or 1.0)
    # token alignment with the answer or its clause that aligns best (by F1); without wordpiece vectors (an embeddings
    # API) the recalls are the exact coverage and precision and F1 the sentence similarity
    aligned = max((alignment(pieces[0], p, idf, set(keys)) for p in pieces[1:]), key=lambda a: a[2]) \
        if pieces else (coverage, similarity, similarity, coverage)
    # words beside a number that the source does not say qualify it ("110 per namespace"); a name is not qualified so
    # (a clipping of the question's word is the question's: "per repo" for "per repository")
    qualified = value_only and any(w[0].isdigit() for w in wanted) and \
        bool({t for t in surfaces(PARENS.sub(" ", said))
              if t in new and not specifics(given[t]) and t not in held and not holds(asked, t)})
    # and a call of the asked function without some of the source's arguments ("fit(X)" for fit(X, y)) is not it whole
    qualified = qualified or value_only and fewer_arguments(said, expected)
    flip = flipped(said, expected, set(given))
    contained = part_of or (bool(new) and all(t in held for t in new))
    # the asked value offered as one of alternatives ("five or six times", "unwrap, or maybe parse")
    # (or a name of the source's beside another of the same kind: "add_note... or was it add_notes")
    alternatives = specific > 0 and bool(OR.search(said)) and (value_only or bool(gave - wanted - in_question))
    return Features(similarity, coverage, specific, max(0.0, rival - similarity), echo, False, flip == "main",
                    flip == "part", not value_only and miscounts(said, expected),
                    not value_only and restricts(said, f"{question} {expected}"),
                    not value_only and renames(said, question, expected),
                    not value_only and widens(said, f"{question} {expected}"),
                    not value_only and swaps(said, question, expected),
                    contained and circular(said, question), contained, ranged is not None,
                    alternatives, value_only, qualified, missing, *aligned, length=float(np.log1p(len(new)) / 3),
                    remeasured=not value_only and not numbers(said) and
                    quantities.remeasured(said, f"{question} {expected}"),
                    replaced=1.0 - coverage if foreign else 0.0, added=len(new))


def judge(f: Features, weights: dict[str, float] | None = None, correct: float | None = None,
          partial: float | None = None, elsewhere: float | None = None,
          correct_weights: dict[str, float] | None = None,
          elsewhere_terms: int | None = None) -> tuple[str, str | None]:
    """The verdict and why a rule decided, capped or raised it (None when the score alone decided). Each boundary
    has its own weights: `weights` score "at least partial" against PARTIAL, `correct_weights` score "correct"
    against CORRECT (a correct answer is also at least partial). The rule "fits another question better" reads only an
    answer that adds at least `elsewhere_terms` terms to the question (ELSEWHERE_TERMS)."""
    ruled = f.ruled()
    if ruled is not None:
        return ruled, f.reason()
    if f.elsewhere >= (ELSEWHERE if elsewhere is None else elsewhere) and f.floor() == "incorrect" and \
            f.added >= (ELSEWHERE_TERMS if elsewhere_terms is None else elsewhere_terms):
        return "incorrect", "the answer fits another of the week's questions better"
    s = f.score(weights)
    correct = CORRECT if correct is None else correct
    partial = PARTIAL if partial is None else partial
    full = f.score(CORRECT_WEIGHTS if correct_weights is None else correct_weights)
    by_score = "incorrect" if s < partial else "correct" if full >= correct else "partial"
    capped = by_score if f.ceiling() == "correct" or by_score != "correct" else "partial"
    if capped != "correct" and f.exact():   # the asked value, and nothing the source does not say
        return "correct", None
    # a circular definition says nothing unless it is the whole answer (two names offered are no definition)
    if f.circular and capped != "correct" and not f.alternatives:
        return "incorrect", "the answer defines the term by itself"
    if capped == "incorrect" and f.floor() == "partial":
        return "partial", f.reason() if f.approximate or f.alternatives else \
            "the answer gives only part of what the source says"
    return capped, f.reason()


def verdict(f: Features, weights: dict[str, float] | None = None, correct: float | None = None,
            partial: float | None = None, elsewhere: float | None = None,
            correct_weights: dict[str, float] | None = None, elsewhere_terms: int | None = None) -> str:
    return judge(f, weights, correct, partial, elsewhere, correct_weights, elsewhere_terms)[0]
