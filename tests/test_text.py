"""Tests for vectorstore/text.py: the shared tokenizer and the learner-boilerplate normaliser."""
from __future__ import annotations

from vectorstore.text import strip_boilerplate, tokenize


def test_strip_boilerplate_drops_the_discourse_around_a_question():
    """Greetings, "I'm on week N and", "I want to know", "can you tell me" and thanks go; the question stays."""
    assert strip_boilerplate("I'm on week 1 and want to list all the keys in my bucket") == \
        "list all the keys in my bucket"
    assert strip_boilerplate("Hi! Quick question: how do I start a container? Thanks!") == "how do I start a container?"
    assert strip_boilerplate("I want to know: how does dvc add work?") == "how does dvc add work?"
    assert strip_boilerplate("I'm studying week 9 now, and can you tell me what a model registry is?") == \
        "what a model registry is?"
    assert strip_boilerplate("I’m working through the roadmap and I need to understand this. What is a Pod?") == \
        "What is a Pod?"


def test_strip_boilerplate_leaves_plain_questions_and_never_empties_one():
    """A question without boilerplate is unchanged (spacing aside); one that would vanish is kept whole."""
    plain = "How do I make boto3 retry throttled API calls?"
    assert strip_boilerplate(plain) == plain
    assert strip_boilerplate("What does   the `want` flag do?") == "What does the `want` flag do?"
    assert strip_boilerplate("Thanks!") == "Thanks!"
    assert strip_boilerplate("I am on week 3") == "I am on week 3"


def test_normalised_question_keeps_its_search_terms():
    """Dropping the boilerplate removes no content word BM25 would match."""
    q = "Hey there, I'm on week 9 and I need to figure out how MLflow versions registered models. Thanks in advance!"
    assert set(tokenize(strip_boilerplate(q))) == {"mlflow", "version", "regist", "model"}
