"""Tests for ingest.roadmap: the real roadmap.md (weeks, phases, resources, sections) and small synthetic
roadmaps for the format variations (markdown links, CRLF, missing fields, odd headings, errors)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from errors import ConfigError
from ingest.roadmap import Roadmap, load_roadmap, parse_roadmap, slug

ROADMAP = Path(__file__).parents[1] / "roadmap.md"
URL_RE = re.compile(r"https?://[^\s)\]>*]+")


@pytest.fixture(scope="module")
def text() -> str:
    return ROADMAP.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def roadmap():
    return load_roadmap(ROADMAP)


def _urls_in(text: str) -> list[str]:
    return [u.rstrip(".,;:") for u in URL_RE.findall(text)]


def test_real_roadmap_has_sixteen_weeks_in_order(roadmap):
    """The real roadmap parses into weeks numbered 1..16 with their titles."""
    assert [w.number for w in roadmap.weeks] == list(range(1, 17))
    assert roadmap.week(1).title == "Python for DevOps Engineers"
    assert roadmap.week(16).title == "Enterprise ML Platform Design"
    assert roadmap.week(17) is None
    assert roadmap.title == "DevOps to MLOps Transformation Roadmap"


def test_real_phases_match_the_ranges_in_their_headings(roadmap, text):
    """Four phases, each spanning exactly the weeks its heading announces, and each week knows its phase."""
    declared = [(int(n), int(a), int(b)) for n, a, b in re.findall(r"## \*\*Phase (\d+):.*\(Weeks (\d+)-(\d+)\)", text)]
    assert len(declared) == 4
    assert [(p.number, p.first_week, p.last_week) for p in roadmap.phases] == declared
    assert roadmap.phases[0].title == "Programming & ML Foundations"
    for n, a, b in declared:
        assert all(roadmap.week(w).phase == n for w in range(a, b + 1))


def test_week_one_lists_the_python_tutorial(roadmap):
    """Week 1's resources include the Python tutorial with its bold label and its sub-heading as section."""
    week1 = [r for r in roadmap.resources if r.week == 1]
    tut = next(r for r in week1 if r.url == "https://docs.python.org/3/tutorial/")
    assert tut.label == "Python.org Tutorial"
    assert (tut.phase, tut.section) == (1, "Core Python (2 hours/day)")
    boto = next(r for r in week1 if "boto3" in r.url)
    assert boto.section == "DevOps-Focused Practice"


def test_week_one_fields(roadmap):
    """Goals, section bullets (sub-bullets indented) and deliverables of week 1 come out as written."""
    w = roadmap.week(1)
    assert w.goals == "Master Python fundamentals with DevOps context"
    assert list(w.sections) == ["Core Python (2 hours/day)", "DevOps-Focused Practice"]
    assert w.sections["Core Python (2 hours/day)"][:2] == [
        "**Python.org Tutorial**: https://docs.python.org/3/tutorial/",
        "  Focus on modules, packages, error handling, file I/O",
    ]
    assert w.deliverables == ["EC2 management scripts", "S3 data processing utilities", "CloudWatch log analyzer"]


def test_week_six_weekend_project_is_the_files_text(roadmap, text):
    """Week 6's weekend project equals the text after '**Weekend Project**:' in the file's week 6."""
    week6 = text.split("### **Week 6:")[1].split("### **Week 7:")[0]
    expected = re.search(r"\*\*Weekend Project\*\*:\s*(.+)", week6)[1].strip()
    assert roadmap.week(6).weekend_project == expected == "AI-powered DevOps assistant"


def test_week_text_runs_from_its_heading_to_the_next(roadmap):
    """A week's text starts at its heading and stops before the next week or top-level heading."""
    w6, w16 = roadmap.week(6), roadmap.week(16)
    assert w6.text.startswith("### **Week 6: AWS Bedrock & OpenAI Integration**")
    assert "Week 7" not in w6.text and w6.text.endswith("- Code review AI assistant")
    assert w16.text.endswith("- Cost and performance analysis") and "Certification" not in w16.text


def test_resources_outside_weeks_have_no_week(roadmap, text):
    """Links after the last week carry week None, a top-level section title and no phase; all others a week."""
    tail = text.split("## 🎯 **Certification Roadmap**")[1]
    outside = [r for r in roadmap.resources if r.week is None]
    assert [r.url for r in outside] == _urls_in(tail)
    assert all(r.phase is None for r in outside)
    fast = next(r for r in outside if r.url == "https://course.fast.ai/")
    assert (fast.label, fast.section) == ("Fast.ai", "Learning Resources Summary")
    assert {r.section for r in outside} == {"Certification Roadmap", "Learning Resources Summary"}


def test_repeated_url_keeps_every_occurrence(roadmap, text):
    """A URL linked from week 6 and from the resources summary appears twice in resources_by_url, in order."""
    url = "https://platform.openai.com/docs/"
    assert _urls_in(text).count(url) == 2
    hits = roadmap.resources_by_url()[url]
    assert [(r.week, r.label) for r in hits] == [(6, "OpenAI API Documentation"), (None, "OpenAI API")]


def test_url_counts_match_an_independent_regex(roadmap, text):
    """Every link occurrence is a resource, and urls() holds each distinct URL once in first-seen order."""
    found = _urls_in(text)
    assert [r.url for r in roadmap.resources] == found
    assert roadmap.urls() == list(dict.fromkeys(found))
    assert len(roadmap.urls()) == len(set(found))


def test_sections_cover_weeks_and_other_headings(roadmap):
    """Sections hold week-1..week-16 (with the weeks' text) plus slugged top-level sections with text."""
    by_anchor = {s.anchor: s for s in roadmap.sections}
    for n in range(1, 17):
        assert by_anchor[f"week-{n}"].text == roadmap.week(n).text
        assert by_anchor[f"week-{n}"].week == n
    others = [s for s in roadmap.sections if s.week is None]
    anchors = [s.anchor for s in others]
    for a in ("roadmap-overview", "certification-roadmap", "learning-resources-summary",
              "architecture-patterns-youll-master", "phase-1-programming--ml-foundations-weeks-1-4"):
        assert a in anchors
    assert by_anchor["phase-3-mlops-implementation-weeks-9-12"].phase == 3
    assert by_anchor["certification-roadmap"].title == "Certification Roadmap"
    assert "AWS Certified Machine Learning - Specialty" in by_anchor["certification-roadmap"].text
    assert all(s.text.strip() for s in roadmap.sections)
    assert len(anchors) == len(set(anchors))


SMALL = """# My Plan

Intro paragraph, see [the guide](https://example.com/guide) first.

## Phase 1: Basics (Weeks 1-2)

### Week 1 - Setup
**Goals**: Get going

#### Reading
- [Tutorial](https://example.com/tut_(v2)) and https://example.org/bare/path.
- Docs: https://example.net/docs, then more

**Deliverable**: one script

### Week 2: Practice
**Tools:**
- **Kit**: [https://kit.example/](https://kit.example/)

```bash
# not a heading
curl https://in-code.example/skip
```

## Resources
Also useful (https://example.com/guide).
"""


def test_markdown_links_and_bare_urls_in_paragraphs():
    """[label](url) links, bare URLs in bullets and paragraphs get the right labels, URLs and places."""
    r = parse_roadmap(SMALL)
    got = [(x.label, x.url, x.week, x.phase, x.section) for x in r.resources]
    assert got == [
        ("the guide", "https://example.com/guide", None, None, "My Plan"),
        ("Tutorial", "https://example.com/tut_(v2)", 1, 1, "Reading"),
        ("example.org/bare/path", "https://example.org/bare/path", 1, 1, "Reading"),
        ("Docs", "https://example.net/docs", 1, 1, "Reading"),
        ("Kit", "https://kit.example/", 2, 1, "Tools"),
        ("example.com/guide", "https://example.com/guide", None, None, "Resources"),
    ]
    assert len(r.resources_by_url()["https://example.com/guide"]) == 2
    assert [(p.number, p.title, p.first_week, p.last_week) for p in r.phases] == [(1, "Basics", 1, 2)]


def test_missing_weekend_project_plain_headings_and_empty_sections():
    """Plain '### Week 1 - Setup' headings parse; no weekend project gives None; empty sections are skipped."""
    r = parse_roadmap(SMALL)
    w1, w2 = r.week(1), r.week(2)
    assert (w1.title, w1.goals, w1.deliverables, w1.weekend_project) == ("Setup", "Get going", ["one script"], None)
    assert w1.sections == {"Reading": ["[Tutorial](https://example.com/tut_(v2)) and https://example.org/bare/path.",
                                       "Docs: https://example.net/docs, then more"]}
    assert "# not a heading" in w2.text and w2.sections == {"Tools": ["**Kit**: [https://kit.example/](https://kit.example/)"]}
    # the phase heading holds no text of its own, so it gets no section
    assert [s.anchor for s in r.sections] == ["my-plan", "week-1", "week-2", "resources"]


def test_crlf_line_endings_parse_like_lf():
    """A CRLF copy of a roadmap yields the same weeks, resources and sections, with no stray carriage returns."""
    lf, crlf = parse_roadmap(SMALL), parse_roadmap(SMALL.replace("\n", "\r\n"))
    assert crlf.resources == lf.resources
    assert [(w.number, w.title, w.goals, w.sections, w.text) for w in crlf.weeks] == \
           [(w.number, w.title, w.goals, w.sections, w.text) for w in lf.weeks]
    assert all("\r" not in s.text for s in crlf.sections)


def test_odd_headings_do_not_crash():
    """Week ranges, weeks outside phases and final-project lines are tolerated."""
    r = parse_roadmap("## 📅 Week 9-10: Capstone\n**Final Project**: Ship it\n\n## Week 11\n- item https://x.example/\n")
    assert [(w.number, w.title, w.phase) for w in r.weeks] == [(9, "Capstone", 0), (11, "Week 11", 0)]
    assert r.week(9).weekend_project == "Ship it" and r.phases == []
    assert r.week(11).sections == {"Week 11": ["item https://x.example/"]}


def test_slug_is_github_style():
    """Anchors drop emoji, bold markers and punctuation, and turn each space into a hyphen."""
    assert slug("🏗️ **Architecture Patterns You'll Master**") == "architecture-patterns-youll-master"
    assert slug("Phase 1: A & B (Weeks 1-4)") == "phase-1-a--b-weeks-1-4"


def test_no_weeks_is_a_config_error(tmp_path):
    """A roadmap without week headings raises ConfigError naming RA_ROADMAP (and the file, when loaded)."""
    with pytest.raises(ConfigError, match="no week headings.*RA_ROADMAP") as e:
        parse_roadmap("# Plan\n\n## Overview\n- https://example.com/\n")
    assert "no links" not in str(e.value)
    f = tmp_path / "empty.md"
    f.write_text("# Nothing here\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"empty\.md: the roadmap has no week headings .* and no links .*RA_ROADMAP"):
        load_roadmap(f)


def test_weeks_without_links_are_refused(tmp_path):
    """A roadmap with a week but not one link is refused, naming the file and the missing links."""
    f = tmp_path / "nolinks.md"
    f.write_text("# Plan\n\n## Week 1: Start\n- read the docs\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"nolinks\.md: the roadmap has no links") as e:
        load_roadmap(f)
    assert "week headings" not in str(e.value)


def test_missing_file_is_a_config_error(tmp_path):
    """A roadmap path that does not exist raises ConfigError naming the path and RA_ROADMAP."""
    with pytest.raises(ConfigError, match=r"missing\.md not found.*RA_ROADMAP"):
        load_roadmap(tmp_path / "missing.md")


VARIANTS = Path(__file__).parent / "data" / "roadmaps"


def test_twelve_week_variant():
    """Plain '## Week N' headings at the phase's level, numbered and `*` bullets with and without checkboxes,
    a phase without a range and a section after the weeks."""
    r = load_roadmap(VARIANTS / "twelve_weeks.md")
    assert r.title == "Data Engineering in 12 Weeks" and r.week_numbers() == list(range(1, 13))
    assert [(p.number, p.title, p.first_week, p.last_week) for p in r.phases] == [
        (1, "Storage", 1, 4), (2, "Pipelines", 5, 8), (3, "Operations", 9, 12)]
    week1 = [(x.label, x.url) for x in r.resources if x.week == 1]
    assert week1 == [("SQL tutorial", "https://sql.example.org/tutorial/"),
                     ("Window functions", "https://sql.example.org/window/")]
    assert [(x.label, x.week) for x in r.resources if x.url.endswith(("/avro/", "/s3/", "/airflow/"))] == [
        ("formats.example.org/avro", 2), ("S3 basics", 3), ("Airflow concepts", 6)]
    capstone = next(x for x in r.resources if x.week == 12)
    assert (capstone.phase, capstone.section) == (3, "Capstone")
    assert r.week(12).weekend_project == "an end-to-end pipeline"
    outside = [(x.label, x.week, x.section) for x in r.resources if x.week is None]
    assert outside == [("course notes", None, "Data Engineering in 12 Weeks"), ("Book list", None, "Further reading")]
    assert r.sections[-1].anchor == "further-reading" and r.week_range() == "between 1 and 12"


def test_twenty_week_variant():
    """Bold, emoji and plain headings with ':', '-' and '—', a title-less week, weeks past 16 and phases
    announced with em-dashes all parse."""
    r = load_roadmap(VARIANTS / "twenty_weeks.md")
    assert r.title == "Platform Engineering Roadmap" and r.week_numbers() == list(range(1, 21))
    titles = {w.number: w.title for w in r.weeks}
    assert (titles[1], titles[2], titles[9], titles[17], titles[18], titles[19]) == (
        "Linux", "Networking", "Model training", "GPU scheduling", "Week 18", "Security review")
    assert [(p.number, p.title, p.first_week, p.last_week) for p in r.phases] == [
        (1, "Foundations", 1, 8), (2, "ML Platform", 9, 20)]
    assert r.week(17).goals == "Share GPUs between training jobs" and r.week(17).phase == 2
    gpu = next(x for x in r.resources if x.week == 17)
    assert (gpu.label, gpu.url, gpu.section) == ("GPU operator", "https://gpu.example.org/operator/", "GPU scheduling")
    assert {x.week for x in r.resources} == set(range(1, 21)) | {None}
    assert [s.anchor for s in r.sections if s.week is None] == ["platform-engineering-roadmap", "overview",
                                                                "certifications"]
    assert r.week_range() == "between 1 and 20"


def test_weeks_outside_phase_headings_join_the_declared_range():
    """Phases announced with ranges in their headings claim the weeks that sit outside any phase heading."""
    text = ("# Plan\n\n## Phase 1: Basics (Weeks 1-2)\nIntro.\n\n## Phase 2: More (Weeks 3-3)\nIntro.\n\n"
            "## Overview\n\n### Week 1\n- https://a.example/\n### Week 3: Deep\n- https://b.example/\n")
    r = parse_roadmap(text)
    assert [(w.number, w.phase) for w in r.weeks] == [(1, 1), (3, 2)]
    assert [x.phase for x in r.resources] == [1, 2]
    assert {s.anchor: s.phase for s in r.sections}["week-3"] == 2
    assert r.week_range() == "one of 1, 3"


def test_mirror_rewritten_links_read_as_the_real_ones(tmp_path):
    """A roadmap whose links point at a mirror parses, given that mirror, exactly like the original."""
    original = (VARIANTS / "twenty_weeks.md").read_text(encoding="utf-8")
    rewritten = tmp_path / "mirror.md"
    rewritten.write_text(original.replace("https://", "http://127.0.0.1:8900/"), encoding="utf-8")
    assert load_roadmap(rewritten, "http://127.0.0.1:8900") == load_roadmap(VARIANTS / "twenty_weeks.md")
    assert load_roadmap(rewritten).resources[0].url.startswith("http://127.0.0.1:8900/")


def test_to_dict_round_trips(roadmap):
    """The stored form of a parse reads back into an equal Roadmap."""
    import json

    assert Roadmap.from_dict(json.loads(json.dumps(roadmap.to_dict()))) == roadmap
