"""Answers with citations, from retrieved hits: extracted sentences by default, generated text with a model.

Without a model (or when it fails) the answer is extractive, built by `api.extractive` (the best 1-4 readable
sentences of the hits, at most ~90 words, each ending with its `[n]`, chosen by meaning with the `embedder` the
retriever uses). With a `ChatModel` the answer is generated from the prompt in `api.prompt` and its citations
verified (unknown numbers dropped, sources renumbered 1..m); a reply that cites no valid source is not shown: the
extractive answer is, with a note. While streaming, the model's text is held back until its first valid citation.
A retrieval that is not grounded is answered "I couldn't find this", naming the closest week only when the
retrieval suggests one; one whose sources cover the topic but not the asked fact (`retrieval.gap`, the kind of
fact missing) says what they cover, cited, and what they don't state. A widened retrieval carries the note "This
is covered in week 12, not week 9." (none when its best passage is the asked week's own). A ready `Answer` (a plan
answer from `api.plan`) passes through unchanged.
Nothing here raises on a model error. `Citation`, `citation`, `extract`, `sentences` and `SNIPPET_CHARS` are
re-exported from `api.extractive`.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from api.extractive import SNIPPET_CHARS, Citation, Extractor, citation, extract, sentences
from api.llm import ChatModel
from api.prompt import CitationRewriter, build_messages
from vectorstore.embeddings import Embedder
from vectorstore.question_asks import asked_of
from vectorstore.retrieve import Retrieval, strip_week

__all__ = ["MODEL_CUT", "MODEL_UNAVAILABLE", "MODEL_UNCITED", "NOT_FOUND", "SNIPPET_CHARS", "Answer", "Answerer",
           "Citation", "citation", "closest", "extract", "gap_phrase", "sentences", "widened_note"]

log = logging.getLogger(__name__)

NOT_FOUND = "I couldn't find this in the roadmap's sources."
MODEL_UNAVAILABLE = "The model was unavailable, so this answer is quoted from the sources."
MODEL_CUT = "The model's reply was cut off; this is the part that arrived."
MODEL_UNCITED = "The model's reply cited none of the sources, so this answer is quoted from them instead."
# What the sources don't state, by the kind of answer asked for (vectorstore.question_asks, vectorstore.passage_facts).
_GAPS = {"price": "what it costs", "number": "the number asked for", "duration": "how long it is",
         "date": "when", "version": "which version", "comparison": "how they compare", "name": "the name asked for",
         "yesno": "whether it does", "howto": "how to do it", "definition": "what it is"}
_QUALIFIED = (("compare", "how they compare"), ("default", "what the default is"),
              ("origin", "which release first brought it"), ("end", "when it ends"), ("limit", "the limit"))


@dataclass
class Answer:
    answer: str
    citations: list[Citation]
    grounded: bool
    mode: str  # "extractive" | "llm" | "none"
    week: int | None
    scope: str
    widened: bool
    suggested: dict[str, Any] | None
    note: str | None = None
    log_id: str | None = None  # its row in the question log, once logged



# ---------------------------------------------------------------- notes
def _weeks(weeks: list[int]) -> str:
    weeks = sorted(set(weeks))
    if len(weeks) == 1:
        return f"week {weeks[0]}"
    return "weeks " + listing([str(w) for w in weeks])


def widened_note(retrieval: Retrieval) -> str | None:
    """'This is covered in week 12, not week 9.' when the search had to leave the asked week. None when the best
    passage is the asked week's own after all (the wider search confirmed it): the week does cover it."""
    if not retrieval.widened or retrieval.week is None:
        return None
    first = retrieval.hits[0].meta.get("weeks") if retrieval.hits else None
    if first and retrieval.week in first:
        return None
    found = (retrieval.suggested or {}).get("weeks") or first
    weeks: list[int] = [w for w in found or [] if w != retrieval.week]
    if weeks:
        return f"This is covered in {_weeks(weeks)}, not week {retrieval.week}."
    return f"Week {retrieval.week}'s material doesn't cover this; this answer draws on the rest of the roadmap."


def closest(suggested: dict[str, Any] | None) -> str:
    """' The closest material is in week 12: <title>.' (or '' without a suggestion)."""
    if not suggested or not suggested.get("title"):
        return ""
    title, weeks = suggested["title"], suggested.get("weeks")
    return f" The closest material is in {_weeks(weeks)}: {title}." if weeks else f" The closest material is {title}."


def gap_phrase(kind: str | None, asks: tuple[str, ...] = ()) -> str:
    """'what it costs' for a price, 'which version' for a version ... ('the fact asked for' otherwise); a question
    asking for a default, a comparison, a first release, an end or a limit (`vectorstore.question_asks.asked_of`)
    gets 'what the default is', 'how they compare', 'which release first brought it', 'when it ends', 'the limit'."""
    for qualifier, phrase in _QUALIFIED:
        if qualifier in asks:
            return phrase
    return _GAPS.get(kind or "", "the fact asked for")


_MARKER = re.compile(r"\s*\[\d+\]")


def words(text: str) -> int:
    """The words of answer text, its `[n]` citation markers not counted (as the picker's 90-word budget counts)."""
    return len(_MARKER.sub("", text).split())


def listing(items: Sequence[str], conjunction: str = "and") -> str:
    """'A', 'A and B', 'A, B and C' (`conjunction` before the last item)."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


# ---------------------------------------------------------------- the answerer
class Answerer:
    """Composes answers: generated by `llm` when there is one and it cites its sources, extracted otherwise."""

    def __init__(self, llm: ChatModel | None = None, max_words: int = 90, embedder: Embedder | None = None,
                 title: Callable[[], str | None] | None = None) -> None:
        self.llm = llm
        self.max_words = max_words
        self.extractor = Extractor(embedder)
        # the served roadmap's title, named in the prompt
        self.title: Callable[[], str | None] = title or (lambda: None)

    def _answer(self, retrieval: Retrieval, text: str, citations: list[Citation], mode: str, note: str | None,
                grounded: bool | None = None) -> Answer:
        return Answer(answer=text, citations=citations, grounded=bool(citations) if grounded is None else grounded,
                      mode=mode, week=retrieval.week, scope=retrieval.scope, widened=retrieval.widened,
                      suggested=retrieval.suggested, note=note)

    def _not_found(self, question: str, retrieval: Retrieval) -> tuple[list[str], Answer]:
        gap = retrieval.gap  # set by the retriever when the topic is covered but not the fact
        if gap and retrieval.hits:
            return self._gap(question, retrieval, gap)
        text = NOT_FOUND + closest(retrieval.suggested)
        return [text], self._answer(retrieval, text, [], "none", None)

    def _gap(self, question: str, retrieval: Retrieval, kind: str) -> tuple[list[str], Answer]:
        """The sources cover the topic but not the fact: what they say (cited) and what they don't, all of it within
        `max_words` (the quotes get what the frame leaves)."""
        tail = closest(retrieval.suggested)
        budget = self.max_words - words(tail)
        while True:
            pieces, citations = self._extract(question, retrieval, max_sentences=2, max_words=max(0, budget))
            topic = citations[0].section or citations[0].title
            if kind == "mention":  # the question names something the index never mentions
                head = (f"The sources describe {topic} [1] but no linked page mentions "
                        f"{listing(retrieval.unknown, 'or')}.")
            else:
                head = f"The sources describe {topic} [1] but don't say {gap_phrase(kind, asked_of(kind, question))}."
            over = words(head) + sum(map(words, pieces)) + words(tail) - self.max_words
            if over <= 0 or budget <= 0:
                break
            budget -= over
        if budget <= 0:  # the frame alone fills the budget: say what is missing, cite the passage, quote nothing
            pieces = []
        tokens = [head + (" " if pieces or tail else "")] + [p + " " for p in pieces[:-1]] + pieces[-1:] \
            + ([(" " if pieces else "") + tail] if tail else [])
        return tokens, self._answer(retrieval, "".join(tokens), citations, "extractive", None, grounded=False)

    def _extract(self, question: str, retrieval: Retrieval, max_sentences: int = 4,
                 max_words: int | None = None, aside: bool = False) -> tuple[list[str], list[Citation]]:
        # `query` is the text the retriever embedded (the question without its week): its vector is cached.
        # `aside`: the best page's other passages compete too (a grounded answer; a gap answer quotes the hits, whose
        # lack of the asked fact it states)
        return self.extractor.extract(question, retrieval.hits, self.max_words if max_words is None else max_words,
                                      max_sentences, query=strip_week(question) or question,
                                      aside=retrieval.aside if aside else None)

    def _extractive(self, question: str, retrieval: Retrieval, reason: str | None = None) -> tuple[list[str], Answer]:
        widened = widened_note(retrieval)  # the note counts against the word budget too
        pieces, citations = self._extract(question, retrieval, max_words=self.max_words - words(widened or ""),
                                          aside=True)
        tokens = [p + " " for p in ([widened] if widened else []) + pieces[:-1]] + pieces[-1:]
        note = " ".join(n for n in (widened, reason) if n) or None
        return tokens, self._answer(retrieval, "".join(tokens), citations, "extractive", note)

    def _generated(self, retrieval: Retrieval, rewriter: CitationRewriter, text: str,
                   reason: str | None) -> tuple[str, Answer]:
        """The verified model text as an Answer (it cites at least one source), and the widened note added to it."""
        hits = retrieval.hits
        citations = [citation(n, hits[original - 1]) for n, original in enumerate(rewriter.order, start=1)]
        widened = widened_note(retrieval)
        tail = (" " + widened) if widened else ""
        note = " ".join(n for n in (widened, reason) if n) or None
        return tail, self._answer(retrieval, text + tail, citations, "llm", note)

    def _unanswerable(self, question: str, retrieval: Retrieval) -> tuple[list[str], Answer] | None:
        """The answer when there is nothing grounded to generate from (not found, or a gap), else None."""
        if not (retrieval.grounded and retrieval.hits):
            return self._not_found(question, retrieval)
        return None

    def answer(self, question: str, retrieval: Retrieval | Answer) -> Answer:
        """The answer to `question` from `retrieval` (or the ready Answer passed); never raises on a model failure."""
        if isinstance(retrieval, Answer):
            return retrieval
        if (done := self._unanswerable(question, retrieval)) is not None:
            return done[1]
        if self.llm is None:
            return self._extractive(question, retrieval)[1]
        try:
            text = self.llm.complete(build_messages(question, retrieval.hits, self.title()))
        except Exception as exc:  # any failure of the model: connection, status, timeout, bad reply
            log.warning("chat model failed, answering extractively: %r", exc)
            return self._extractive(question, retrieval, MODEL_UNAVAILABLE)[1]
        rewriter = CitationRewriter(len(retrieval.hits))
        verified = rewriter.rewrite(text)
        if not verified:
            return self._extractive(question, retrieval, MODEL_UNAVAILABLE)[1]
        if not rewriter.order:  # nothing in the reply is backed by a source: don't show it
            log.info("chat model reply cited no valid source; answering extractively")
            return self._extractive(question, retrieval, MODEL_UNCITED)[1]
        return self._generated(retrieval, rewriter, verified, None)[1]

    def stream(self, question: str, retrieval: Retrieval | Answer) -> Iterator[tuple[str, object]]:
        """Yields ("token", str) pieces, then one ("answer", Answer) whose text is the pieces joined."""
        if isinstance(retrieval, Answer):
            yield "token", retrieval.answer
            yield "answer", retrieval
            return
        if (done := self._unanswerable(question, retrieval)) is not None:
            tokens, answer = done
            for token in tokens:
                yield "token", token
            yield "answer", answer
            return
        reason = None
        if self.llm is not None:
            rewriter = CitationRewriter(len(retrieval.hits))
            pieces: list[str] = []
            held: list[str] = []  # the text before the first valid citation: shown only once one arrives
            chunks = None
            try:
                chunks = self.llm.stream(build_messages(question, retrieval.hits, self.title()))
                for chunk in chunks:
                    if out := rewriter.feed(chunk):
                        pieces.append(out)
                        held.append(out)
                        if rewriter.order:
                            yield "token", "".join(held)
                            held.clear()
            except Exception as exc:  # the stream broke: keep what arrived, or fall back if nothing did
                log.warning("chat model stream failed: %r", exc)
                reason = MODEL_CUT
            finally:
                getattr(chunks, "close", lambda: None)()
            if out := rewriter.flush():
                pieces.append(out)
                held.append(out)
            if pieces and rewriter.order:
                if held:
                    yield "token", "".join(held)
                tail, answer = self._generated(retrieval, rewriter, "".join(pieces), reason)
                if tail:
                    yield "token", tail
                yield "answer", answer
                return
            reason = MODEL_UNCITED if pieces else MODEL_UNAVAILABLE
        tokens, answer = self._extractive(question, retrieval, reason)
        for token in tokens:
            yield "token", token
        yield "answer", answer
