"""The plan route reads a week named by its position in the plan ("the closing week", "halfway through the plan"),
the plan named as a whole by its length ("the sixteen weeks"), which-week questions ("at what point in the plan does
X come up?": the weeks whose sections name X) and deliverables asked as what the learner hands in. Positions and
lengths come from the parsed roadmap, so a four-week plan's closing week is week 4; docs questions that mention a
week or a project are still searched."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from api import plan
from api.plan import answer
from ingest.roadmap import load_roadmap, parse_roadmap
from vectorstore.retrieve import detect_week

ROADMAP = load_roadmap(Path(__file__).resolve().parents[1] / "roadmap.md")

FOUR = parse_roadmap("""# Plan

### Week 1: Shell Basics
**Goals**: Automate routine tasks with shell scripts

**Core Tools:**
- [ ] **Bash Guide**: https://example.org/bash
- [ ] **Cron**: https://example.org/cron

### Week 2: Containers
**Goals**: Package services as images

**Images:**
- [ ] **Dockerfile reference**: https://example.org/dockerfile

### Week 3: Observability
**Goals**: Watch what runs

**Signals:**
- [ ] **Prometheus metrics**: https://example.org/prom

### Week 4: Platform
**Goals**: Tie it together

**Final Project**: Operations toolkit
**Deliverable**:
- Runbook collection
- Alerting rules
""")


@pytest.mark.parametrize("question, four, sixteen", [
    ("what's the closing week about?", 4, 16),
    ("the very final week: what's it about?", 4, 16),
    ("what happens in the concluding week?", 4, 16),
    ("goals of the opening week?", 1, 1),
    ("what do I study halfway through the plan?", 2, 8),
    ("what's the middle week about?", 2, 8),
    ("last week I tried Docker, how do I tag images?", None, None),  # "last week" without "the": not the plan's
    ("what is the final answer of the model?", None, None),
])
def test_a_week_named_by_its_position_is_that_position_of_the_roadmap(question, four, sixteen):
    assert detect_week(question, FOUR.week_numbers()) == four
    assert detect_week(question, ROADMAP.week_numbers()) == sixteen
    assert detect_week(question) is None  # no roadmap, no position


@pytest.mark.parametrize("question, week, expected", [
    ("what's the very final week of the sixteen about, theme-wise?", None,
     "Week 16 is about Enterprise ML Platform Design"),
    ("Final stretch of the plan: what's the closing week focused on?", None,
     "Week 16 is about Enterprise ML Platform Design"),
    ("For week 16, list the advanced subjects I should read up on", None,
     "Week 16's “Advanced Topics” section covers Federated learning"),
    ("wk 16 capstone outputs - what do I hand over at the end?", None,
     "its deliverables are a complete platform architecture"),
    ("wk 2 wrap-up: outputs I'm expected to hand in?", None, "its deliverables are an AWS cost analysis tool"),
    ("halfway through the plan, what's the goal?", None, "Week 8's goal"),
    ("For running models on devices, which offline/OTA style topics does my plan list?", 14,  # "my plan" asks it
     "Week 14 is about Edge ML & IoT Integration"),
])
def test_positions_lengths_and_handed_in_outputs_reach_the_plan(question, week, expected):
    a = answer(ROADMAP, question, week)
    assert a is not None and a.mode == "roadmap" and a.grounded and expected in a.answer


def test_a_four_week_plans_closing_week_and_length_are_its_own():
    a = answer(FOUR, "what's the closing week of the four about?", None)
    assert a is not None and a.week == 4 and a.answer.startswith("Week 4 is about Platform")
    d = answer(FOUR, "the closing week: what do I hand in?", None)
    assert d is not None and d.grounded and "its deliverables are a Runbook collection and Alerting rules" in d.answer


def test_which_week_names_the_weeks_whose_sections_name_the_subject():
    a = answer(ROADMAP, "which week covers federated learning?", None)
    assert a is not None and a.grounded and a.week == 16 and a.scope == "all"
    assert a.answer.startswith("The plan covers it in week 16.")
    assert "“Advanced Topics” section covers Federated learning" in a.answer
    assert [c.url for c in a.citations] == ["roadmap.md#week-16"]
    b = answer(FOUR, "at what point in the four weeks do I get to Prometheus?", None)
    assert b is not None and b.grounded and b.week == 3 and [c.url for c in b.citations] == ["roadmap.md#week-3"]


def test_which_week_by_meaning_is_offered_ungrounded_and_only_when_close(embedder):
    """"k8s-based ML platform" is closest to week 13's "Kubernetes ML platform" but hardly more than to week 16's "ML
    platform" lines (a margin under LINE_MARGIN), and the words alone point elsewhere: week 13 is offered as the
    closest, not grounded; without an embedder, or with nothing genuinely close, the question is searched."""
    q = "k8s-based ML platform as a weekend build - where does the plan put it?"
    a = answer(ROADMAP, q, None, embedder)
    assert a is not None and not a.grounded and a.week == 13 and a.citations[0].url == "roadmap.md#week-13"
    assert answer(ROADMAP, "k8s for ML - at what point in the sixteen weeks does it come up?", None) is None
    assert answer(ROADMAP, "which week of the plan teaches the capital of France?", None, embedder) is None


@pytest.mark.parametrize("question, week", [
    ("In week 6, what is AWS Bedrock?", None),
    ("how do SageMaker Projects templates work in week 9?", None),
    ("In the final week, how does SageMaker version models in the model registry?", None),
    ("What does Project Jupyter build?", 2),
    ("at what point does a SageMaker training job stop?", None),  # "at what point" of a job, not of the plan
])
def test_docs_questions_naming_a_position_or_project_are_still_searched(embedder, question, week):
    assert answer(ROADMAP, question, week, embedder) is None


@pytest.mark.parametrize("question, four, sixteen", [
    ("one week before the finale, which weekend build is set?", 3, 15),
    ("goals of the penultimate week?", 3, 15),
    ("what's the second-to-last week about?", 3, 15),
    ("a week before the end I will deploy it, how do I tag images?", None, None),  # not the plan's end
])
def test_the_week_before_the_last_is_the_roadmaps_second_to_last(question, four, sixteen):
    assert detect_week(question, FOUR.week_numbers()) == four
    assert detect_week(question, ROADMAP.week_numbers()) == sixteen


def test_the_week_before_the_finale_gets_its_weekend_project(embedder):
    a = answer(ROADMAP, "one week before the finale, which weekend build is set?", None, embedder)
    assert a is not None and a.grounded and a.week == 15
    assert "Week 15's weekend project is a hybrid ML platform" in a.answer


@pytest.mark.parametrize("question, week", [
    ("k8s for ML - at what point in the sixteen weeks does it come up?", 13),  # "k8s" is written by no week
    ("which week covers federated learning?", 16),
])
def test_a_subject_in_other_words_is_placed_by_its_closest_field_line(embedder, question, week):
    a = answer(ROADMAP, question, None, embedder)
    assert a is not None and a.grounded and a.week == week
    assert a.citations[0].url == f"roadmap.md#week-{week}"


def test_field_lines_of_a_parsed_roadmap_place_a_subject_by_meaning(embedder):
    from api.plan import LINE_MARGIN, LINE_MIN, line_match

    week, cosine, margin = line_match(FOUR, embedder, "k8s")  # no week of FOUR is about Kubernetes
    assert not (cosine >= LINE_MIN and margin >= LINE_MARGIN)
    week, cosine, margin = line_match(FOUR, embedder, "Prometheus monitoring metrics")
    assert week.number == 3 and cosine >= LINE_MIN and margin >= LINE_MARGIN
    a = answer(FOUR, "where does the plan put prometheus metrics?", None, embedder)
    assert a is not None and a.grounded and a.week == 3


@pytest.mark.parametrize("question", [
    "where does the plan put the history of French cooking?",  # no week is close: searched, not placed
    "where do I put my AWS credentials file?",  # a docs question: not about the plan
])
def test_a_subject_no_week_holds_is_not_placed(embedder, question):
    a = answer(ROADMAP, question, None, embedder)
    assert a is None or not a.grounded


@pytest.mark.parametrize("roadmap, question, week, expected", [
    (ROADMAP, "wk 7: which vector stores am I expected to look at?", 7,
     "Week 7's “RAG” section covers RAG Concepts, Vector Databases: ChromaDB, FAISS, OpenSearch"),
    (ROADMAP, "wk 5 - which architecture patterns am I supposed to pick up?", 5,
     "Week 5's “Architecture Patterns” section covers Multi-account ML setup"),
    (FOUR, "week 2: which container build files am I supposed to read?", 2, "Week 2's “Images” section covers "
     "Dockerfile reference"),  # no word shared with "Dockerfile reference"
])
def test_a_listed_thing_said_in_other_words_reaches_its_section(embedder, roadmap, question, week, expected):
    a = answer(roadmap, question, None, embedder)
    assert a is not None and a.grounded and a.week == week and a.answer.startswith(expected)
    assert a.citations[0].url == f"roadmap.md#week-{week}"
    assert answer(roadmap, question, None) is None or not answer(roadmap, question, None).grounded  # words alone


@pytest.mark.parametrize("question, week", [
    ("in week 7, which chunk size am I supposed to use for the text splitter?", 7),  # a detail no line lists
    ("readthedocs sdk site: am I meant to be on the 1.x or 2.x line of the apis?", 4),
    ("in week 5, which IAM role am I supposed to pass to SageMaker?", 5),  # a thing to do with a service, not learn
])
def test_a_detail_the_plan_does_not_list_is_still_searched(embedder, question, week):
    assert answer(ROADMAP, question, week, embedder) is None


def test_the_line_vectors_kept_are_bounded_and_stay_right(embedder, monkeypatch):
    """The plan route's remembered line vectors keep at most VECTORS_KEPT (oldest dropped), and every call still gets
    the right vector for each text, remembered or not."""
    monkeypatch.setattr(plan, "VECTORS_KEPT", len(plan._vectors) + 3)
    texts = [f"Week {n}: container orchestration topic number {n}" for n in range(6)]
    first = plan._embedded(embedder, texts)
    assert len(plan._vectors) <= plan.VECTORS_KEPT
    fresh = np.asarray(embedder.embed(texts), dtype=np.float32)
    assert np.allclose(first, fresh, atol=1e-5)
    again = plan._embedded(embedder, texts[:2] + texts[-2:])
    assert np.allclose(again, fresh[[0, 1, 4, 5]], atol=1e-5) and len(plan._vectors) <= plan.VECTORS_KEPT
