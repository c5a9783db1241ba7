"""Questions about a week's plan: routed by the fields the roadmap parser read, answered from them as sentences
citing the week's roadmap section; docs questions that merely mention "project" are left to retrieval. The route
is tested end to end on the fixture app (/ask, /ask/stream, /v1) too."""
from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.plan import answer
from ingest.roadmap import load_roadmap, parse_roadmap
from tests.servers import serve

ROADMAP = load_roadmap(Path(__file__).resolve().parents[1] / "roadmap.md")

SMALL = parse_roadmap("""# Plan

### Week 1: Shell Basics
**Goals**: Automate routine tasks with shell scripts

**Core Tools:**
- [ ] **Bash Guide**: https://example.org/bash
- [ ] **Cron**: https://example.org/cron

**Weekend Project**: backup rotation script
**Deliverable**:
- Nightly backup job
- Restore checklist

### Week 2: Wrap-up
**Goals**: Reviewing the course

**Final Project**: Operations toolkit

### Week 3: Extra
**Weekend Project**: a log parser
""")


def test_the_weekend_project_is_a_sentence_with_its_deliverables():
    """The issue's example: the project and its deliverables in one sentence, citing week 6's roadmap section."""
    a = answer(ROADMAP, "what's the weekend project of week 6?", None)
    assert a.answer == ("Week 6's weekend project is an AI-powered DevOps assistant; its deliverables are a Slack bot "
                        "with OpenAI integration, an automated documentation system and a code review AI "
                        "assistant [1].")
    assert a.grounded and a.mode == "roadmap" and a.week == 6 and a.scope == "week" and not a.widened
    [c] = a.citations
    assert c.url == c.deep_link == "roadmap.md#week-6" and c.weeks == [6] and c.section == "Weekend Project"
    assert c.title == "Roadmap: Week 6: AWS Bedrock & OpenAI Integration"


def test_what_to_learn_in_a_week_gets_its_overview_not_a_refusal():
    a = answer(ROADMAP, "What should I learn in week 12?", None)
    assert a.grounded and a.answer.startswith("Week 12 is about Cost Optimization & Performance; its goal is to "
                                              "optimize ML workloads for cost and performance.")
    assert "It covers Cost Optimization, Performance Optimization and DevOps Cost Management." in a.answer
    assert a.answer.endswith("[1].") and a.citations[0].url == "roadmap.md#week-12"


@pytest.mark.parametrize("question, week, expected", [
    ("What are the goals of week 12?", None,
     "Week 12's goal is to optimize ML workloads for cost and performance [1]."),
    ("goal?", 1, "Week 1's goal is to automate routine tasks with shell scripts [1]."),
    ("What do I have to deliver in week 1?", None,
     "Week 1's weekend project is a backup rotation script; its deliverables are a Nightly backup job and a Restore "
     "checklist [1]."),
    ("What's the final project in week 2?", None, "Week 2's final project is an Operations toolkit [1]."),
    ("weekend project, week 3?", None, "Week 3's weekend project is a log parser [1]."),
    ("Which topics does Core Tools cover in week 1?", None,
     "Week 1's “Core Tools” section covers Bash Guide and Cron [1]."),
    ("Does the week 1 project include a restore checklist?", None,
     "Week 1's weekend project is a backup rotation script; its deliverables are a Nightly backup job and a Restore "
     "checklist [1]."),
])
def test_fields_and_sections_are_answered_from_what_was_parsed(question, week, expected):
    roadmap = ROADMAP if "12" in question else SMALL
    a = answer(roadmap, question, week)
    assert a is not None and a.answer == expected and a.grounded


def test_a_field_the_week_does_not_have_is_said_so_ungrounded():
    a = answer(SMALL, "What are the deliverables of week 2's final project?", None)
    assert a.answer == "Week 2's final project is an Operations toolkit [1]."  # the project, with no deliverables
    a = answer(parse_roadmap("### Week 1: X\n**Goals**: Learn X\n"), "What is the weekend project in week 1?", None)
    assert a.answer == "The roadmap doesn't list weekend project for week 1." and not a.grounded and not a.citations


@pytest.mark.parametrize("question, week", [
    ("How do SageMaker Projects templates set up an MLOps team's CI/CD in week 9?", None),  # mentions "project"
    ("What do SageMaker Projects templates set up for an MLOps team?", 9),
    ("In week 6, what is AWS Bedrock?", None),             # a section's name as the subject, not its contents
    ("week 4: my SageMaker Domain shows status Failed. What should I do?", None),
    ("What is the weekend project?", None),                # no week anywhere
    ("What is the weekend project of week 17?", None),     # no such week
    ("What is the capital of France?", 2),
])
def test_docs_questions_are_not_routed_to_the_plan(question, week):
    assert answer(ROADMAP, question, week) is None


@pytest.mark.parametrize("question, week, sections", [
    ("What's the point of week 3 overall?", None, []),
    ("In one line, what is week 15 meant to teach me?", None, []),
    ("What's week 15 about, in a sentence?", None, []),    # "what's" is "what is": the week is the subject
    ("What’s week 3 all about?", None, []),
    ("which practice environments does week 2 point me to?", None, ["Practice Environment"]),
    ("What tool does the plan suggest for data quality?", 8, ["ML-Specific Patterns"]),
])
def test_a_question_about_the_week_itself_gets_its_overview_and_the_sections_it_points_at(question, week, sections):
    """No field named, but the week (or the plan) is what is asked about: its title, goal, sections and project,
    then the sections whose names or items share the question's words, citing the week's roadmap section."""
    a = answer(ROADMAP, question, week)
    n = a.week
    w = ROADMAP.week(n)
    assert a.answer.startswith(f"Week {n} is about {w.title}; its goal is to ") and a.grounded and a.mode == "roadmap"
    assert f"Week {n}'s weekend project" not in a.answer and "Its weekend project is " in a.answer
    shown = [name for name in w.sections if f"Week {n}'s “{name}” section covers" in a.answer]
    assert shown == sections and a.answer.endswith("[1].")
    assert [c.url for c in a.citations] == [f"roadmap.md#week-{n}"]


@pytest.mark.parametrize("question, week, thing", [
    ("Which book does the plan recommend in week 3?", None, "a book"),
    ("In week 15, which Outposts rack configuration does the plan recommend for ML training?", None,
     "an Outposts rack configuration"),
])
def test_a_thing_the_week_does_not_name_is_said_so_ungrounded_with_what_it_lists(question, week, thing):
    """The asked thing is not in the week's section: not grounded, said first, then what the week does list
    (its overview and the sections the question's words point at), citing the week's section."""
    a = answer(ROADMAP, question, week)
    n = a.week
    assert not a.grounded and a.mode == "roadmap"
    assert a.answer.startswith(f"The roadmap doesn't name {thing} for week {n}; here is what it lists. Week {n} is "
                               f"about {ROADMAP.week(n).title};")
    assert [c.url for c in a.citations] == [f"roadmap.md#week-{n}"] and a.answer.endswith("[1].")


def test_the_outposts_section_is_what_week_15_lists_instead():
    a = answer(ROADMAP, "In week 15, which Outposts rack configuration does the plan recommend for ML training?", None)
    assert "Week 15's “Hybrid Architecture” section covers On-premises + AWS ML, AWS Outposts for ML" in a.answer


@pytest.mark.parametrize("question, week", [
    ("Which cron guide does the plan recommend in week 1?", None),    # "Cron", "Bash Guide": named by the week
    ("What tool does the plan suggest for data quality?", 8),         # "Data quality: Great Expectations", a tool
    ("which practice environments does week 2 point me to?", None),  # a section's name
    ("Which deliverables does week 1 have?", None),                   # a field
])
def test_a_thing_the_week_names_is_grounded(question, week):
    roadmap = SMALL if "week 1" in question else ROADMAP
    a = answer(roadmap, question, week)
    assert a.grounded and "doesn't name" not in a.answer


def test_a_kind_of_thing_no_section_points_at_is_not_grounded():
    """Only the kind's word ("database") missing, and nothing else of the question in a section: not named."""
    a = answer(SMALL, "Which database does the plan recommend in week 1?", None)
    assert not a.grounded and a.answer.startswith("The roadmap doesn't name a database for week 1; here is what it "
                                                  "lists. Week 1 is about Shell Basics;")


def test_the_practice_environments_week_2_points_to_are_listed():
    a = answer(ROADMAP, "which practice environments does week 2 point me to?", None)
    assert ("Week 2's “Practice Environment” section covers Jupyter Notebooks, Google Colab and AWS SageMaker Studio "
            "Lab [1].") in a.answer


@pytest.mark.parametrize("question, week", [
    ("in week 9, how does the model registry version models?", None),   # the week frames a docs question
    ("How does week 9's model registry version models?", None),         # asks for an explanation
    ("Which formats does the registry in week 9 accept?", None),        # the week is the frame, not the subject
    ("Week 16 mentions federated learning. Do the TensorFlow tutorials linked from the roadmap have anything "
     "hands-on for it?", None),                                         # the roadmap named, but not asked about
    ("What does the plan suggest?", None),                              # no week at all
    ("What does week 17 cover overall?", None),                         # no such week
])
def test_docs_questions_that_mention_the_week_or_plan_are_not_overviews(question, week):
    assert answer(ROADMAP, question, week) is None


def test_the_week_named_in_the_question_wins_over_the_requests():
    a = answer(ROADMAP, "What are the goals of week 3?", 9)
    assert a.week == 3 and a.answer.startswith("Week 3's goal is to understand")


# ------------------------------------------------------------------ through the API
@pytest.fixture(scope="module")
def api(fixture_index):
    with serve(create_app(fixture_index)) as url:
        yield url


def test_ask_answers_plan_questions_from_the_roadmap(api):
    body = httpx.post(f"{api}/ask", json={"question": "What's the weekend project?", "week": 2}, timeout=30).json()
    assert body["mode"] == "roadmap" and body["grounded"] and body["week"] == 2
    assert body["answer"] == ("Week 2's weekend project is to containerise the log parser; its deliverables are a "
                              "Dockerfile [1].")
    assert [c["url"] for c in body["citations"]] == ["roadmap.md#week-2"]


def test_a_docs_question_mentioning_project_goes_to_the_index(api):
    body = httpx.post(f"{api}/ask", json={"question": "In week 3, how does the model registry number the versions "
                                                      "of a project's models?"}, timeout=30).json()
    assert body["mode"] == "extractive" and body["week"] == 3
    assert all(not c["url"].startswith("roadmap.md") for c in body["citations"][:1])


def test_ask_answers_a_question_about_the_week_itself_from_the_roadmap(api):
    body = httpx.post(f"{api}/ask", json={"question": "Which reading does week 3 point me to?"}, timeout=30).json()
    assert body["mode"] == "roadmap" and body["grounded"] and body["week"] == 3
    assert body["answer"] == ("Week 3 is about Model Deployment; its goal is to register models and serve them behind "
                              "an endpoint. It covers Reading. Its weekend project is to deploy a model; its "
                              "deliverables are a live endpoint. Week 3's “Reading” section covers Model Registry and "
                              "SageMaker Endpoints [1].")
    assert [c["url"] for c in body["citations"]] == ["roadmap.md#week-3"]


def test_ask_says_when_the_plan_does_not_name_the_asked_thing(api):
    """Through /ask: "which book" of a week whose section names none is answered from the roadmap, not grounded,
    with what the week lists; the reading it does name stays grounded (above)."""
    body = httpx.post(f"{api}/ask", json={"question": "Which book does the plan recommend in week 3?"},
                      timeout=30).json()
    assert body["mode"] == "roadmap" and not body["grounded"] and body["week"] == 3
    assert body["answer"].startswith("The roadmap doesn't name a book for week 3; here is what it lists. Week 3 is "
                                     "about Model Deployment;")
    assert "Week 3's “Reading” section" not in body["answer"] and body["answer"].endswith("[1].")
    assert [c["url"] for c in body["citations"]] == ["roadmap.md#week-3"]


@pytest.mark.parametrize("question", ["in week 3, what does the model registry keep for each version?",
                                      "How does week 3's model registry number the versions of a model?"])
def test_a_docs_question_in_a_week_is_searched_not_answered_from_the_plan(api, question):
    body = httpx.post(f"{api}/ask", json={"question": question}, timeout=30).json()
    assert body["mode"] == "extractive" and body["week"] == 3
    assert body["citations"] and not body["citations"][0]["url"].startswith("roadmap.md")


def test_stream_and_openai_routes_answer_plan_questions_too(api):
    with httpx.stream("POST", f"{api}/ask/stream", json={"question": "What are the goals of week 1?"}, timeout=30) as r:
        text = "".join(r.iter_text())
    events = [(b.split("\n")[0][len("event: "):], json.loads(b.split("\n")[1][len("data: "):]))
              for b in text.strip().split("\n\n")]
    assert [e for e, _ in events] == ["meta", "token", "answer", "done"]
    final = events[2][1]
    assert final["mode"] == "roadmap" and final["answer"] == events[1][1]["text"]
    assert final["answer"] == "Week 1's goal is to write small Python programs and organise them in modules [1]."
    body = httpx.post(f"{api}/v1/chat/completions", timeout=30, json={
        "model": "roadmap-assistant",
        "messages": [{"role": "user", "content": "What are the goals of week 1?"}]}).json()
    assert body["choices"][0]["message"]["content"].startswith(final["answer"])
    assert body["citations"][0]["url"] == "roadmap.md#week-1"


@pytest.mark.parametrize("question", ["wk 4: what are the three deliverables for the ML-powered DevOps tool?",
                                      "how many deliverables does week 4 have?"])
def test_a_count_of_the_asked_items_is_not_another_subject(question):
    """"The three deliverables", "how many deliverables": counting words next to a field the roadmap parses ask
    for that field, so the question is answered from the plan, not searched."""
    a = answer(ROADMAP, question, None)
    assert a is not None and a.grounded and a.week == 4 and "deliverables are" in a.answer


def test_a_count_does_not_make_a_docs_question_a_plan_question():
    assert answer(ROADMAP, "how many models can the week 12 project host on one endpoint?", None) is None


# ------------------------------------------------------------------ weeks named in other words, fields meant in others
@pytest.mark.parametrize("question, week, expected", [
    ("Capstone of the sixteenth week: what gets built?", 16, "Its final project is an enterprise ML platform"),
    ("What is the goal of the final week?", 16, "Week 16's goal is to design and implement enterprise ML platforms"),
    ("What are the goals of the first week?", 1, "Week 1's goal is to master Python fundamentals"),
])
def test_ordinal_and_last_week_mentions_reach_the_plan(question, week, expected):
    """'the sixteenth week', 'the final week' (the roadmap's last), 'the first week' name a week of the plan."""
    a = answer(ROADMAP, question, None)
    assert a is not None and a.week == week and expected in a.answer and a.grounded
    assert [c.url for c in a.citations] == [f"roadmap.md#week-{week}"]


def test_the_final_week_is_the_roadmaps_last_even_without_the_field():
    """SMALL's last week (3) has no goals: said so, ungrounded, not another week's goals."""
    a = answer(SMALL, "what are the goals of the final week?", None)
    assert a.week == 3 and not a.grounded and "doesn't list goals for week 3" in a.answer


def test_a_week_named_by_its_title_is_no_other_subject():
    """'the SageMaker deep dive week' names week 5 by its title: the section it asks for is answered. A question
    about the title's subject ('what is AWS Bedrock?' in week 6) still goes to the docs."""
    a = answer(ROADMAP, "Which architecture patterns does the SageMaker deep dive week cover?", 5)
    assert a.answer.startswith("Week 5's “Architecture Patterns” section covers Multi-account ML setup, VPC "
                               "configuration for ML")
    assert answer(ROADMAP, "In week 6, what is AWS Bedrock?", None) is None


@pytest.mark.parametrize("question, week, expected", [
    ("wk 13: by the end, what should be running?", None, "a Kubeflow pipeline deployment"),
    ("week 4: what do I put together on Saturday and Sunday?", None, "Week 4's weekend project is a ML-powered DevOps"),
    ("week 3: what should I aim to achieve?", None, "Week 3's goal is to understand mathematical foundations"),
    ("What should be finished by the end of the week?", 2, "its deliverables are an AWS cost analysis tool"),
])
def test_a_field_meant_in_other_words_is_answered_with_the_embedder(embedder, question, week, expected):
    """No field named, but one meant: the question's MiniLM cosine to the field's meanings routes it; without an
    embedder the structural route alone leaves it to the search."""
    a = answer(ROADMAP, question, week, embedder)
    assert a is not None and expected in a.answer and a.grounded and a.mode == "roadmap"
    assert answer(ROADMAP, question, week) is None


def test_a_section_closer_than_the_field_meant_is_answered_instead(embedder):
    a = answer(ROADMAP, "By the end of the week, which DevOps predictions should my models make?", 4, embedder)
    assert a.answer.startswith("Week 4's “DevOps Applications” section covers Infrastructure optimization models")


@pytest.mark.parametrize("question, week", [
    ("In week 6, what is AWS Bedrock?", None),
    ("how do SageMaker Projects templates work in week 9?", None),
    ("in week 9, how does the model registry version models?", None),
    ("What is the capital of France?", 2),
    ("What does Project Jupyter build?", 2),                               # the closest docs question on dev
    ("In week 4, how do I build a model by the end of the weekend?", None),  # asks how: an explanation
    ("What should be finished by the end of the week?", None),             # no week
])
def test_docs_questions_are_not_routed_by_meaning(embedder, question, week):
    assert answer(ROADMAP, question, week, embedder) is None


def test_ask_routes_a_field_meant_in_other_words_to_the_plan(api):
    """/ask gives the plan route the app's embedder."""
    body = httpx.post(f"{api}/ask", json={"question": "wk 2: by the end, what should be running?"},
                      timeout=30).json()
    assert body["mode"] == "roadmap" and body["grounded"] and body["week"] == 2
    assert body["answer"] == ("Week 2's weekend project is to containerise the log parser; its deliverables are a "
                              "Dockerfile [1].")
