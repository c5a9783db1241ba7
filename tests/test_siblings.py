"""Ranking the right page above its sibling pages (issue 9u): a real index (in-memory Chroma, the real embedder) of
pages of one directory that share the subject's words; the rerank feature of the fused top that reads which
question terms a candidate's title and section path hold and the other candidate pages' do not
and its page's file name (`vectorstore.ranking.contrast_feature`, `Calibration.contrast_weight`)."""
from __future__ import annotations

import json

import pytest

from tests.test_links import _retriever
from tests.test_retrieve import embedder  # noqa: F401  (the module's embedder fixture)
from vectorstore.calibration import DEFAULT, Calibration
from vectorstore.ranking import contrast_feature

DIR = "https://docs.example.com/widgets/latest/dg/"
OVERVIEW, CAPTURE, SCHEDULE = (f"{DIR}{name}.html" for name in ("monitor", "monitor-capture", "monitor-schedule"))


def _chunk(cid: str, url: str, title: str, body: str) -> tuple[str, str, dict]:
    meta = {"url": url, "deep_link": url, "title": title, "section": title, "chunk_index": 0, "depth": 0,
            "weeks": [10]}
    return cid, f"{title}\n\n{body}", meta


SIBLINGS = [
    _chunk("overview", OVERVIEW, "Widget Monitor",
           "Widget Monitor watches the requests your widget endpoint serves. Widget Monitor requests are captured, "
           "compared with a baseline and checked on a schedule; Widget Monitor raises an alarm on drift."),
    _chunk("capture", CAPTURE, "Widget Monitor request capture",
           "Turn on capture in the endpoint configuration and Widget Monitor writes every request your widget "
           "endpoint serves, and its response, to S3 as JSON lines, with the sampling percentage you choose."),
    _chunk("schedule", SCHEDULE, "Widget Monitor schedules",
           "A monitoring schedule runs a processing job every hour or every day against the data collected since "
           "the last run."),
    # pages of other subjects, as any index holds (the fusion normalises each list between its best and worst)
    _chunk("pods", "https://docs.example.com/k8s/pods.html", "Pods",
           "A Pod is the smallest deployable unit of computing in Kubernetes: a group of containers."),
    _chunk("groupby", "https://docs.example.com/pandas/groupby.html", "Group by",
           "The groupby method splits a DataFrame into groups by the values of a column."),
]
QUESTION = "How are Widget Monitor requests captured?"


@pytest.fixture(scope="module")
def siblings(embedder):  # noqa: F811
    return _retriever(embedder, {"pages": {}}, SIBLINGS)


def test_the_sibling_whose_title_holds_the_distinguishing_term_ranks_first_only_with_the_feature(siblings):
    """All three pages' titles say "Widget Monitor"; only the capture page's also says what is asked about. The
    overview repeats every question word in its text and ranks first without the feature; with it, the capture
    page does, and the overview stays in the list."""
    cal = siblings.calibration
    off = siblings.search(QUESTION, scope_week=False, calibration=cal.with_(contrast_weight=0.0))
    on = siblings.search(QUESTION, scope_week=False, calibration=cal.with_(contrast_weight=0.3))
    assert off.hits[0].url == OVERVIEW
    assert on.hits[0].url == CAPTURE and OVERVIEW in [h.url for h in on.hits]


def test_a_page_is_labelled_by_its_title_section_and_file_name(siblings):
    """What the feature reads of a candidate: its title, section path and its page's file name (a file named for
    the asked thing where the title is terse), as the shared tokenizer stems them."""
    state = siblings.loaded()
    assert state.label_terms("capture") == frozenset({"widget", "monitor", "request", "captur"})
    assert state.label_terms("schedule") == frozenset({"widget", "monitor", "schedul"})


def test_a_term_every_candidate_title_holds_counts_nothing():
    """The feature's values: the question's IDF covered by each candidate's title with the terms the other
    candidate pages' titles lack, as a share of the question's IDF."""
    titles = {"a": frozenset({"widget", "monitor"}), "b": frozenset({"widget", "monitor", "captur"}),
              "c": frozenset({"widget", "schedul"})}
    idf = {"widget": 1.0, "monitor": 2.0, "captur": 3.0}
    values = contrast_feature(titles.__getitem__, lambda cid: f"https://x/{cid}", idf)(["a", "b", "c"])
    assert values == pytest.approx([2.0 * (1 / 3) / 6, (2.0 * (1 / 3) + 3.0 * (2 / 3)) / 6, 0.0])
    assert contrast_feature(titles.__getitem__, str, {})(["a", "b"]) == [0.0, 0.0]


def test_a_stored_calibration_without_the_field_still_loads_with_the_feature_at_its_default():
    """A calibration stored before the field existed reads the default."""
    old = json.loads(DEFAULT.to_json())
    del old["contrast_weight"]
    assert Calibration.from_json(json.dumps(old)).contrast_weight == DEFAULT.contrast_weight
