"""The link graph (vectorstore/links.py) and the hub demotion it feeds: a real index (in-memory Chroma, the real
embedder) whose ingest record holds each page's links, as an ingest run writes it."""
from __future__ import annotations

import pytest

from tests.chunks import stored_chunk
from tests.test_retrieve import embedder, new_store  # noqa: F401  (the module's embedder fixture)
from vectorstore.links import LinkGraph, page_key
from vectorstore.retrieve import Retriever
from vectorstore.store import add_chunks

HUB = "https://docs.example.com/widgets/"
VERSIONING = "https://docs.example.com/widgets/latest/userguide/versioning.html"
CLASSES = "https://docs.example.com/widgets/latest/userguide/storage-classes.html"
LIFECYCLE = "https://docs.example.com/widgets/latest/userguide/lifecycle.html"


def _chunk(cid: str, url: str, title: str, body: str, resources: tuple[str, ...] = ()) -> tuple[str, str, dict]:
    return stored_chunk(cid, url, title, body, weeks=[3], resources=resources)


CHUNKS = [
    _chunk("hub", HUB, "What is Amazon Widgets?",
           "Amazon Widgets stores widget objects in buckets. Topics: - Widget versioning: keep every version of a "
           "widget object. - Widget storage classes: pick the cost of keeping widget objects. - Widget lifecycle: "
           "expire widget objects."),
    _chunk("versioning", VERSIONING, "Widget versioning",
           "Turn on versioning for a bucket and every upload of a widget object gets its own version ID; a "
           "delete adds a delete marker, and earlier versions can be restored."),
    _chunk("classes", CLASSES, "Widget storage classes",
           "Each storage class trades the price of keeping a widget object against how fast it can be read."),
    _chunk("lifecycle", LIFECYCLE, "Widget lifecycle",
           "Lifecycle rules move widget objects to cheaper storage classes or expire them after a number of days."),
]
SIDEBAR = [HUB, VERSIONING, CLASSES, LIFECYCLE]  # every page's sidebar links every other page
RECORD = {"pages": {url: {"cite_url": url, "title": url, "links": [u for u in SIDEBAR if u != url]}
                    for url in SIDEBAR},
          "aliases": {"https://docs.example.com/widgets": {"owner": HUB}}}
QUESTION = "How do I keep every version of a widget object in Amazon Widgets?"


def _retriever(embedder, record: dict, chunks: list = CHUNKS) -> Retriever:  # noqa: F811
    store = new_store()
    version, col = store.new_version()
    add_chunks(col, [c[0] for c in chunks], [c[1] for c in chunks], [c[2] for c in chunks],
               embedder.embed([c[1] for c in chunks]).tolist())
    store.publish(version, col, record, embedder=embedder.name, chunking="test")
    return Retriever(store, embedder)


@pytest.fixture(scope="module")
def linked(embedder):  # noqa: F811
    return _retriever(embedder, RECORD)


def test_the_graph_keeps_the_links_the_linking_page_names_and_resolves_aliases():
    """The sidebar links every page both ways; only the hub's text names the others' titles, so only its links
    count. A link to an alias counts for the page it aliases; a link to a page not indexed is dropped."""
    record = {"pages": {**RECORD["pages"],
                        VERSIONING: {"cite_url": VERSIONING, "links": ["https://docs.example.com/widgets",
                                                                       "https://elsewhere.example.org/"]}}}
    record["aliases"] = RECORD["aliases"]
    graph = LinkGraph.from_record(record)
    assert graph.out[page_key(VERSIONING)] == {page_key(HUB)}
    texts = {page_key(c[2]["url"]): c[1] for c in CHUNKS}
    titles = {page_key(c[2]["url"]): [c[2]["title"]] for c in CHUNKS}
    named = graph.mentioned(texts, titles)
    assert named.out == {page_key(HUB): {page_key(u) for u in (VERSIONING, CLASSES, LIFECYCLE)}}
    assert named.hubness([HUB, VERSIONING, CLASSES]) == {HUB: 2.0, VERSIONING: 0.0, CLASSES: 0.0}
    both = LinkGraph({"a": frozenset({"b"}), "b": frozenset({"a"})})  # links both ways cancel out
    assert both.hubness(["a", "b"]) == {"a": 0.0, "b": 0.0}
    assert not LinkGraph.from_record({}) and LinkGraph.from_record({}).hubness([HUB]) == {HUB: 0.0}


def test_the_specific_page_ranks_above_the_hub_that_links_to_it_when_the_demotion_is_on(linked):
    """The hub names the asked subtopic in a link label and ranks first without the demotion; with it, the page
    it links to does, and the hub stays in the list."""
    cal = linked.calibration.with_(title_sim_weight=0.0)
    off = linked.search(QUESTION, scope_week=False, calibration=cal.with_(hub_weight=0.0))
    on = linked.search(QUESTION, scope_week=False, calibration=cal.with_(hub_weight=0.2))
    assert off.hits[0].url == HUB and off.hits[1].url == VERSIONING
    assert on.hits[0].url == VERSIONING and HUB in [h.url for h in on.hits]


def test_an_index_whose_record_holds_no_links_still_searches(embedder):  # noqa: F811
    """An index built before links were read (or whose record has none): the graph is empty, the demotion
    changes nothing."""
    old = _retriever(embedder, {"pages": {}})
    cal = old.calibration.with_(title_sim_weight=0.0)
    on = old.search(QUESTION, scope_week=False, calibration=cal.with_(hub_weight=0.2))
    off = old.search(QUESTION, scope_week=False, calibration=cal.with_(hub_weight=0.0))
    assert [h.id for h in on.hits] == [h.id for h in off.hits] and on.hits[0].url == HUB


ROADMAP = [
    _chunk("week-3", "roadmap.md#week-3", "Roadmap: Week 3: Data Pipelines",
           "Goals: stream records into a data lake. Resources: Kinesis Developer Guide, Glue Studio Guide. "
           "Weekend project: a pipeline from Kinesis shards to Glue jobs."),
    _chunk("shards", "https://docs.example.com/kinesis/shards.html", "Shards",
           "A shard takes in up to 1 MB or 1,000 records per second for writes and serves 2 MB per second for "
           "reads; a stream's capacity is the sum of its shards.", ("Kinesis Developer Guide",)),
    _chunk("glue", "https://docs.example.com/glue/jobs.html", "Jobs",
           "A Glue job runs a script that extracts, transforms and loads data on a serverless Spark cluster.",
           ("Glue Studio Guide",)),
]


def test_a_roadmap_section_is_a_hub_of_the_pages_its_resources_reached(embedder):  # noqa: F811
    """The week's section names its resources by their roadmap labels (the labels the pages' chunks carry): it
    links to those pages, so it loses to the page that states the fact when the demotion is on."""
    retriever = _retriever(embedder, {"pages": {}}, ROADMAP)
    question = "How many records can Kinesis shards take in for my pipeline?"
    cal = retriever.calibration.with_(title_sim_weight=0.0)
    off = retriever.search(question, scope_week=False, calibration=cal.with_(hub_weight=0.0))
    on = retriever.search(question, scope_week=False, calibration=cal.with_(hub_weight=0.3))
    assert off.hits[0].id == "week-3" and on.hits[0].id == "shards" and on.hits[1].id == "week-3"
