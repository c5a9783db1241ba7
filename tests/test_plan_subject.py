"""A plan answer quotes the part of the week the question asks about: the section (or field) holding the line closest
in meaning to the asked subject (`api.plan.closest_line`), with its items; a week named by its own words is the
question's subject ("which log chores does the shell basics week want me to do?"), but not when the question gives
names the roadmap never writes; a field the week possesses ("boil its objective down") is that field; the plan
named by where it ends is its last week. A fixture roadmap and the real MiniLM embedder: nothing here is keyed to the
served roadmap's topics."""
from __future__ import annotations

import pytest

from api.plan import answer, closest_line
from ingest.roadmap import parse_roadmap

PLAN = parse_roadmap("""# Plan

### Week 1: Shell Basics
**Goals**: Automate routine server tasks with shell scripts

**Core Tools:**
- [ ] **Bash Guide**: https://example.org/bash
- [ ] **Cron Handbook**: https://example.org/cron

**Ops Practice:**
- [ ] **Log rotation scripts**
- [ ] **Disk usage alerts**

**Weekend Project**: Server housekeeping toolkit
**Deliverable**:
- Backup script
- Cleanup job

### Week 2: Containers
**Goals**: Package services as images

**Images:**
- [ ] **Dockerfile reference**: https://example.org/dockerfile

**Registries:**
- [ ] **Harbor**: https://example.org/harbor
- [ ] **Image scanning**

### Week 3: Observability
**Goals**: Watch what runs

**Signals:**
- [ ] **Prometheus metrics**: https://example.org/prom
- [ ] **Grafana dashboards**: https://example.org/grafana

**Final Project**: Operations platform
**Deliverable**:
- Runbook collection
- Alerting rules
""")


@pytest.mark.parametrize("question, week, quoted", [
    # the week named by its words is the subject; the asked subject is closest to an item of "Ops Practice"
    ("which log-related practice does the shell basics week want me to do?", 1, "“Ops Practice” section covers Log "
     "rotation scripts and Disk usage alerts"),
    # the week in the request's scope, the thing asked in other words: once answered from the deliverables
    ("What ops-flavoured tasks does this week suggest practising?", 1, "“Ops Practice” section covers Log rotation"),
    ("which image scanning registry does the containers week point me to?", 2, "“Registries” section covers Harbor"),
])
def test_the_section_holding_the_line_closest_to_the_asked_subject_is_quoted(embedder, question, week, quoted):
    a = answer(PLAN, question, week, embedder)
    assert a is not None and a.grounded and a.week == week and quoted in a.answer
    assert a.citations[0].url == f"roadmap.md#week-{week}"


def test_the_closest_line_may_be_a_field(embedder):
    """A weekend project's or a deliverable's own line may be the closest: the answer gives that field."""
    line = closest_line(PLAN, PLAN.week(1), "what housekeeping kit do I make for my servers?", embedder)
    assert line is not None and line[:2] == ("field", "weekend")
    line = closest_line(PLAN, PLAN.week(3), "which rules for alerts are handed over?", embedder)
    assert line is not None and line[:2] == ("field", "deliverables")
    line = closest_line(PLAN, PLAN.week(2), "which image scanning registry does it list?", embedder)
    assert line is not None and line[:2] == ("section", "Registries")
    assert closest_line(PLAN, PLAN.week(2), "what does the week cover?", embedder) is None  # no subject asked


def test_a_field_named_in_words_keeps_its_field(embedder):
    a = answer(PLAN, "shell basics week: name of the weekend build?", 1, embedder)
    assert a is not None and a.grounded and "weekend project is a server housekeeping toolkit" in a.answer


@pytest.mark.parametrize("question, week", [
    ("shell basics week: how does cron decide when to run a job?", 1),  # the week frames a docs question
    ("cost week: can a kubernetes model server scale to zero?", 2),  # named by words, but not the subject
])
def test_a_docs_question_naming_a_week_by_its_words_is_still_searched(embedder, question, week):
    assert answer(PLAN, question, week, embedder) is None


def test_names_the_roadmap_never_writes_keep_a_question_off_the_plan(embedder):
    q = "Which scheduler, Anacron or Systemd, does the shell basics week tell me to use?"
    assert answer(PLAN, q, 1, embedder) is None  # searched: the evidence check decides
    a = answer(PLAN, "Which tools does the shell basics week point me to?", 1, embedder)  # written names only
    assert a is not None and a.grounded and "Bash Guide" in a.answer


def test_a_field_the_named_week_possesses_is_that_field(embedder):
    a = answer(PLAN, "the second week - boil its objective down for me", None, embedder)
    assert a is not None and a.grounded and a.answer.startswith("Week 2's goal is to package services as images")
    # "its" of something else, no week named: searched
    assert answer(PLAN, "How can I find out whether a model is able to stream its output?", 2, embedder) is None


@pytest.mark.parametrize("question, week", [
    ("what topic does the roadmap end on?", 3),
    ("which subject does the plan start with?", 1),
])
def test_the_plan_named_by_where_it_ends_or_starts_is_its_last_or_first_week(embedder, question, week):
    a = answer(PLAN, question, None, embedder)
    assert a is not None and a.grounded and a.week == week
    assert a.citations[0].url == f"roadmap.md#week-{week}"


def test_an_end_that_is_not_the_plans_is_no_week(embedder):
    assert answer(PLAN, "what does the training job end with?", None, embedder) is None
