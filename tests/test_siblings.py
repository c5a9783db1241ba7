"""Ranking the right page above its sibling pages (issue 9u): a real index (in-memory Chroma, the real embedder) of
pages of one directory that share the subject's words, and two rerank features of the fused top: which question
terms a candidate's title, section path and file name hold that the other candidate pages' do not
(`vectorstore.ranking.contrast_feature`, `Calibration.contrast_weight`), and how broad its page is
(`vectorstore.ranking.breadth_feature`, `Calibration.breadth_weight`)."""
from __future__ import annotations

import json

import pytest

from tests.chunks import stored_chunk
from tests.test_links import _retriever
from tests.test_retrieve import embedder  # noqa: F401  (the module's embedder fixture)
from vectorstore.calibration import DEFAULT, Calibration
from vectorstore.ranking import contrast_feature

DIR = "https://docs.example.com/widgets/latest/dg/"
OVERVIEW, CAPTURE, SCHEDULE = (f"{DIR}{name}.html" for name in ("monitor", "monitor-capture", "monitor-schedule"))


def _chunk(cid: str, url: str, title: str, body: str, section: str = "", index: int = 0) -> tuple[str, str, dict]:
    return stored_chunk(cid, url, title, body, section=section, weeks=[10], index=index)


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
    cal = siblings.calibration.with_(breadth_weight=0.0)
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
    del old["contrast_weight"], old["breadth_weight"]
    cal = Calibration.from_json(json.dumps(old))
    assert (cal.contrast_weight, cal.breadth_weight) == (DEFAULT.contrast_weight, DEFAULT.breadth_weight)


STREAMS = "https://docs.example.com/streams/latest/dev/"
CONCEPTS, LIMITS = f"{STREAMS}key-concepts.html", f"{STREAMS}limits.html"
BROAD = [
    _chunk(f"concepts-{i}", CONCEPTS, "Stream concepts", body, section, i)
    for i, (section, body) in enumerate([
        ("Shard", "A shard is a sequence of data records in a stream. A shard takes in data per second up to its "
                  "write capacity, and a stream's capacity is the sum of its shards."),
        ("Record", "A record is the unit of data stored in a stream: a sequence number, a partition key and a blob."),
        ("Partition key", "A partition key groups data by shard within a stream."),
        ("Sequence number", "Each record has a sequence number that is unique per partition key within its shard."),
        ("Retention period", "The retention period is how long records stay accessible after they are added."),
        ("Producer", "Producers put records into streams, for example a web server sending log data."),
    ])] + [
    _chunk("limits", LIMITS, "Quotas and limits",
           "Each shard can support up to 1 MB of data per second for writes, including partition keys, and "
           "up to 1,000 records per second."),
    *SIBLINGS[3:],
]


@pytest.fixture(scope="module")
def broad(embedder):  # noqa: F811
    return _retriever(embedder, {"pages": {}}, BROAD)


def test_the_dedicated_page_ranks_above_a_broad_pages_section_only_with_the_breadth_demotion(broad):
    """A glossary page of six sections has one on the shard, which repeats the question's words; the quotas page
    states the number. Without the demotion the glossary's section ranks first; with it, the quotas page does."""
    question = "How much data can a single shard take in per second?"
    cal = broad.calibration.with_(contrast_weight=0.0)
    off = broad.search(question, scope_week=False, calibration=cal.with_(breadth_weight=0.0))
    on = broad.search(question, scope_week=False, calibration=cal.with_(breadth_weight=0.1))
    assert off.hits[0].url == CONCEPTS
    assert on.hits[0].url == LIMITS and CONCEPTS in [h.url for h in on.hits]
    assert broad.loaded().sections[CONCEPTS] == 6 and broad.loaded().sections[LIMITS] == 1
