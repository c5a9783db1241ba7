"""Tests for vectorstore/answer_type.py: what kind of answer a question asks for, and whether passages state it."""
from __future__ import annotations

import pytest

from vectorstore.answer_type import KINDS, detect, evidence, has_evidence, has_fact, key_terms


@pytest.mark.parametrize("question, kind", [
    ("How much does a Glue crawler run cost per hour?", "price"),
    ("What's the price per terabyte scanned?", "price"),
    ("Is there a fee for cross-region replication?", "price"),
    ("How long can a notebook session run before it stops?", "duration"),
    ("How many hours of GPU time do I get per day?", "duration"),
    ("What's the default timeout of the client?", "duration"),
    ("How often can a monitoring job be scheduled?", "duration"),
    ("When was the feature store retired?", "date"),
    ("In what year did the project start?", "date"),
    ("When does support for the old runtime end?", "date"),
    ("Which Python version first shipped the match statement?", "version"),
    ("What is the minimum supported version of the SDK?", "version"),
    ("How many dimensions can a vector have?", "number"),
    ("What is the maximum payload size per request?", "number"),
    ("Is there a limit on the number of tags per resource?", "number"),
    ("How do I install the package offline?", "howto"),
    ("In a pipeline, how can one step wait for another?", "howto"),
    ("What's the recommended way to save a trained model?", "howto"),
    ("What is a feature store?", "definition"),
    ("What does idempotent mean?", "definition"),
    ("What's the difference between a client and a resource?", "definition"),
    ("Which service stores container images?", "name"),
    ("What learning algorithm does the service use for multiclass targets?", "name"),
    ("Can I run GPU workloads on Fargate?", "yesno"),
    ("Does deleting a versioned object remove its data?", "yesno"),
    ("Why would Parquet make queries faster?", "other"),
])
def test_detect(question, kind):
    assert detect(question) == kind


def test_detect_always_names_a_known_kind():
    for q in ("", "?", "week 3", "tell me everything", "¿Qué es MLOps?"):
        assert detect(q) in KINDS


def test_key_terms_drop_the_words_that_only_name_the_kind():
    terms = key_terms("How much does a Glue crawler run cost per hour?")
    assert "glue" in terms and "crawler" in terms
    assert "cost" not in terms and "much" not in terms
    assert key_terms("version?")  # a question of nothing but asking words keeps them rather than none


PRICING = ("AWS Glue crawlers discover the schema of your data. "
           "Crawlers are billed at $0.44 per DPU-hour, with a 10-minute minimum per crawler run.")
CRAWLER_ONLY = ("AWS Glue crawlers discover the schema of your data and write tables to the Data Catalog. "
                "A crawler can run on demand or on a schedule.")


@pytest.mark.parametrize("kind, question, present, absent", [
    ("price", "How much does a Glue crawler run cost?", PRICING, CRAWLER_ONLY),
    ("duration", "How long does a shard iterator stay valid?",
     "A shard iterator expires 5 minutes after it is returned to you.",
     "A shard iterator specifies the position in the shard from which to start reading."),
    ("date", "When was Edge Manager discontinued?",
     "Edge Manager was discontinued on April 26, 2024; see the migration guide.",
     "Edge Manager optimizes, secures, monitors and maintains models on fleets of edge devices."),
    ("version", "Which Python version added the match statement?",
     "The match statement was added in Python 3.10 along with structural pattern matching.",
     "The match statement compares a subject value against one or more case patterns."),
    ("number", "How many dimensions can a vector field have?",
     "A vector field supports up to 16,000 dimensions in a serverless collection.",
     "A vector field stores embeddings; choose dimensions that match your model."),
    ("name", "Which service stores container images?",
     "Container images are stored in Amazon ECR, a managed registry.",
     "container images are stored and pulled when tasks start."),
])
def test_evidence_both_ways(kind, question, present, absent):
    """The fact of the asked kind near the key terms counts; the same topic without the fact does not."""
    assert detect(question) == kind
    terms = key_terms(question)
    assert has_evidence(kind, terms, [absent, present])
    assert not has_evidence(kind, terms, [absent])
    assert evidence(kind, terms, [absent]) == 0.0


def test_a_fact_far_from_the_key_terms_is_not_evidence():
    """A price in another paragraph, about something else, does not answer what a crawler run costs."""
    text = (CRAWLER_ONLY
            + "\n\nStorage:\nThe first million objects stored are free; after that $1.00 per 100,000 objects.")
    assert not has_evidence("price", key_terms("How much does a Glue crawler run cost?"), [text])


def test_evidence_weights_and_kinds_without_a_fact_of_their_own():
    weights = {"crawler": 3.0, "glue": 1.0, "spark": 1.0}
    assert evidence("price", weights, [PRICING]) == pytest.approx(0.8)
    assert has_evidence("howto", ["crawler", "schedul"], [CRAWLER_ONLY])
    assert not has_evidence("howto", ["kubernetes", "helm"], [CRAWLER_ONLY])
    assert has_evidence("price", [], [PRICING]) and not has_evidence("price", [], [CRAWLER_ONLY])
    with pytest.raises(ValueError, match="unknown answer kind"):
        evidence("colour", ["x"], ["text"])


def test_has_fact_on_single_sentences():
    assert has_fact("price", "It costs $3 per month.") and not has_fact("price", "It costs little.")
    assert has_fact("version", "Requires boto3 v1.26.0 or later.") and not has_fact("version", "Use the new SDK.")
    assert has_fact("date", "Released in March 2023.") and not has_fact("date", "Released recently.")
    assert has_fact("yesno", "Anything at all.")
