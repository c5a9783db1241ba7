"""Unit tests of the pure parts of the study companion: facts found in sentences (`api.facts`), the verbatim
span check of model answers (`api.quiz.verbatim_span`), the seeded draw, and the key terms of answer checking
(`api.answer_readings`)."""
from __future__ import annotations

import pytest

from api import facts
from api.answer_readings import key_terms, terms
from api.extractive import flat, quotable_sentences
from api.quiz import Question, Source, draw, verbatim_span


def find(sentence: str, section: str = "Section") -> facts.Fact | None:
    return facts.find(sentence, section, facts.lower_words(sentence))


@pytest.mark.parametrize("sentence, kind, question, expected", [
    ("A container image is a read-only template with the instructions for creating a container.", "definition",
     "What is a container image?", "a read-only template with the instructions for creating a container"),
    ("Feature groups are used to store features for training and for inference.", "definition",
     "What are Feature groups used for?", "used to store features for training and for inference"),
    ("Docker Compose runs applications made of several containers from one file.", "role",
     "What does Docker Compose do?", "runs applications made of several containers from one file"),
    ("The SageMaker Python SDK provides built-in algorithms with pre-trained models.", "role",
     "What does the SageMaker Python SDK provide?", "built-in algorithms with pre-trained models"),
    ("LangServe helps developers deploy LangChain chains as a REST API.", "role",
     "What does LangServe help developers do?", "deploy LangChain chains as a REST API"),
    ("Within your account, you can create up to 50 data streams with on-demand capacity.", "limit",
     "Fill in the blank (“Section”): "
     "“Within your account, you can create up to ____ data streams with on-demand capacity.”",
     "50"),
    ("The knn_vector type supports a list of up to 10,000 floats per document.", "limit",
     "Fill in the blank (“Section”): “The knn_vector type supports a list of up to ____ floats per document.”",
     "10,000"),
    ("The default value is 3600 seconds for the session of a role.", "default",
     "Fill in the blank (“Section”): “The default value is ____ seconds for the session of a role.”", "3600"),
    ("The `random_state` parameter defaults to `None`, so the shuffling differs on every run.", "default",
     "Fill in the blank (“Section”): "
     "“The `random_state` parameter defaults to ____, so the shuffling differs on every run.”",
     "None"),
    ("You remove a package from the environment with pip uninstall followed by its name.", "command",
     "Fill in the blank (“Section”): “You remove a package from the environment with ____ followed by its name.”",
     "pip uninstall"),
    ("The correct session is generated when you call `model.deploy()` on the estimator.", "command",
     "Fill in the blank (“Section”): “The correct session is generated when you call ____ on the estimator.”",
     "model.deploy()"),
])
def test_facts_of_each_kind_become_questions(sentence, kind, question, expected):
    fact = find(sentence)
    assert fact is not None
    assert (fact.kind, fact.question, fact.expected, fact.quote) == (kind, question, expected, sentence)


@pytest.mark.parametrize("sentence", [
    "It is a supervised learning algorithm that supports transfer learning with pretrained models.",  # pronoun
    "This is an example of the configuration, for the full schema see the reference.",
    "However, a container is a runnable instance of an image on the host.",                   # connective
    "The following is an example of changing the retention period using the CLI:",            # lead-in
    "See the section below for the maximum of 100 buckets in each account.",                  # points elsewhere
    "We use cookies to improve your experience on our website and in our apps.",              # site chrome
    "A cookie is a small file that the site stores in your browser for later visits.",
    "Version 2.0 removed the legacy builder and the flag is no longer supported.",            # a changelog line
    "instances as the invocation rate changes and the policy keeps them close.",              # a fragment
    "What is the maximum number of instances that an endpoint can use at once?",              # a question
    "The model you just copied is an object detection model trained on COCO.",                # pronoun in subject
    "AWS IoT Core AWS IoT Core is a managed cloud service for connected devices.",             # a label repeated
    "High availability Amazon EKS provides high availability for your control plane.",       # a label run in
    "The volume stores your model, and the size of the volume is fixed at 30 GB.",            # not a name
    "Two of my favorite data sets are the General Social Survey and the NSFG.",
])
def test_sentences_that_lean_on_context_or_are_chrome_give_no_question(sentence):
    assert find(sentence) is None


def test_changelog_pages_are_recognised():
    assert facts.is_changelog("https://docs.example.org/changelog/")
    assert facts.is_changelog("Release notes")
    assert facts.is_changelog("What's new in version 3")
    assert not facts.is_changelog("Revision history limit")
    assert not facts.is_changelog("https://k8s.example.org/deployments/", "Deployments")


def test_plan_facts_quote_the_roadmap_lines():
    from ingest.roadmap import parse_roadmap

    week = parse_roadmap("# R\n\n### Week 3: Serving\n**Goals**: Serve models\n\n**Tools:**\n- [ ] **KServe**\n"
                         "- [ ] **Seldon**\n\n**Weekend Project**: a model endpoint\n**Deliverable**:\n"
                         "- a manifest\n").week(3)
    got = [(f.question, f.quote, f.subject) for f in facts.plan_facts(week)]
    assert got == [("What is the goal of week 3?", "Serve models", "Goals"),
                   ("What does week 3's “Tools” part cover?", "KServe\nSeldon", "Tools"),
                   ("What is week 3's weekend project?", "a model endpoint", "Weekend Project"),
                   ("What are the deliverables of week 3?", "a manifest", "Deliverables")]


def test_quotable_sentences_are_the_pages_words():
    chunk = ("Pods > Limits\n\n**A node** can run up to 110 Pods in the default configuration. It raises the\n"
             "limit with the `maxPods` setting.\n\n- [ ] A list item states one more fact about Pods here.")
    got = quotable_sentences(chunk)
    assert got == ["A node can run up to 110 Pods in the default configuration.",
                   "It raises the limit with the `maxPods` setting.",
                   "A list item states one more fact about Pods here."]
    assert all(s in flat(chunk) for s in got)


def test_a_model_answer_must_be_a_span_of_the_passage():
    passage = "Pods > Limits\n\nA node can run up to **110 Pods** in the default\nconfiguration of a cluster."
    text = flat(passage)
    span = verbatim_span("up to 110 Pods in the default configuration", passage)
    assert span is not None and text[span[0]:span[1]] == "up to 110 Pods in the default configuration"
    assert verbatim_span("“a node can run up to 110 Pods”", passage) is None  # case differs: not verbatim
    assert verbatim_span("up to 120 Pods in the default configuration", passage) is None
    assert verbatim_span("110 Pods", passage) is None  # too short to stand as an answer


def _q(i: int, page: str, score: float) -> Question:
    source: Source = {"url": page, "deep_link": page, "title": page, "section": ""}
    return Question(f"q{i}", "definition", f"Q{i}?", f"A{i}.", f"A{i}", source, page, f"c{i}", score)


def test_draw_is_seeded_weighted_and_spreads_pages():
    pool = [_q(i, f"p{i % 3}", 2.0 - i / 20) for i in range(12)]
    assert draw(pool, 4, "1:2:3") == draw(pool, 4, "1:2:3")
    seeded = {tuple(q.id for q in draw(pool, 4, f"1:2:{s}")) for s in range(10)}
    assert seeded != {tuple(q.id for q in draw(pool, 4, "x"))}
    for s in range(10):
        picked = draw(pool, 4, f"v:{s}")
        assert len(picked) == 4 and len({q.id for q in picked}) == 4
        assert max(sum(q.page == p for q in picked) for p in ("p0", "p1", "p2")) <= 2
    assert len(draw(pool[:3], 5, "k")) == 3  # asking for more than there are gives what there is


def test_key_terms_are_what_the_question_does_not_give_away():
    assert set(key_terms("What is a container image?", "a read-only template for creating a container")) == \
        {"read", "templat", "creat"}
    assert key_terms("Fill in: up to ____ floats", "10,000") == {"10000": "10000"}
    assert terms("10,000 floats") == ["10000", "float"]
    assert key_terms("What is a pod?", "a pod") == {"pod": "pod"}  # nothing new: every term counts
