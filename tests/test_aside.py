"""The extractive answer reads the rest of the best page: the chunks of the top hit's page that the hits lack
(`Retrieval.aside`, with their stored sentence vectors) compete at the fitted `aside` discount, and a sentence picked
from one is cited as its own source. Real ONNX embedder, real in-memory Chroma, real retriever."""
from __future__ import annotations

import os
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from api.answer import Answerer
from api.extractive import WEIGHTS, Extractor
from evaluation.evaluate import cited_passages, faithfulness
from tests.chunks import stored_chunk
from vectorstore.client import open_client
from vectorstore.embeddings import OnnxEmbedder
from vectorstore.retrieve import Retriever
from vectorstore.sentences import sentences
from vectorstore.store import IndexStore, add_chunks, add_sentences

MODEL_DIR = Path(os.environ.get("RA_EMBEDDING_MODEL_DIR") or "/work/shared/models/all-MiniLM-L6-v2/onnx")
SFN = "https://docs.aws.amazon.com/step-functions/latest/dg/limits-overview.html"
GLUE = "https://docs.aws.amazon.com/glue/latest/dg/crawler-running.html"

_SFN_SECTIONS = [  # (section, body): the page's chunks in order; the 7th (index 6) holds the execution length
    ("Overview", "Step Functions places quotas on Standard workflow executions and on Express workflow "
                 "executions. A Standard workflow execution runs each state of its state machine exactly once."),
    ("Accounts", "Quotas on Standard workflow executions apply per account and per Region. You can run up to "
                 "1,000,000 open Standard workflow executions at a time."),
    ("State machines", "A state machine definition can hold up to 1 MB of Amazon States Language."),
    ("Tags", "You can add up to 50 tags to a state machine, each with a key and a value."),
    ("Activities", "An activity worker polls for tasks with GetActivityTask and reports its result back."),
    ("API throttling", "Step Functions throttles API actions with a token bucket per account."),
    ("Execution history", "The console lists the events of each run in a table you can filter by type. Events "
                          "older than 90 days are deleted from the console. You can export the table as JSON. "
                          "Each row shows the event's timestamp, its type and the state that wrote it. "
                          "A Standard workflow execution can run for up to one year before Step Functions stops it."),
    ("Payloads", "The input or output of a state is limited to 256 KB of UTF-8 text."),
]
CHUNKS = [
    *[stored_chunk(f"sfn-{i}", SFN, "Step Functions quotas", body, section=section, weeks=[6], index=i)
      for i, (section, body) in enumerate(_SFN_SECTIONS)],
    stored_chunk("glue-0", GLUE, "Running crawlers", "An AWS Glue crawler run scans a data store and writes "
                 "tables to the Data Catalog. You can schedule crawler runs or start them on demand.",
                 section="Crawler runs", weeks=[6], index=0),
    stored_chunk("glue-1", GLUE, "Running crawlers", "A crawler run that scans a large data store can run for up "
                 "to one day before AWS Glue stops it.", section="Crawler timeouts", weeks=[6], index=1),
]


@pytest.fixture(scope="module")
def embedder():
    return OnnxEmbedder(MODEL_DIR)


@pytest.fixture(scope="module")
def retriever(embedder):
    return published(embedder)


def published(embedder) -> Retriever:
    """The chunks published with their sentence vectors, as an ingest run stores them."""
    store = IndexStore(open_client(in_memory=True), f"t{uuid.uuid4().hex[:10]}")
    version, col = store.new_version()
    add_chunks(col, [c[0] for c in CHUNKS], [c[1] for c in CHUNKS], [c[2] for c in CHUNKS],
               embedder.embed([c[1] for c in CHUNKS]).tolist())
    rows = [(cid, pos, s) for cid, text, _m in CHUNKS for pos, s in enumerate(sentences(text))]
    add_sentences(store.sentence_collection(col),
                  [(cid, pos, s, v) for (cid, pos, s), v in zip(rows, embedder.embed([r[2] for r in rows]),
                                                                 strict=True)])
    store.publish(version, col, {"pages": {}}, embedder=embedder.name, chunking="test")
    return Retriever(store, embedder)


QUESTION = "How long can a Standard workflow execution run before it is stopped?"


def search(retriever: Retriever, question: str = QUESTION):
    # the ranking the test sets up does not hang on the fitted title, sentence, contrast and breadth weights; the
    # question counts as grounded (threshold 0, no evidence check: it reads the hits, which lack the duration)
    cal = retriever.calibration.with_(title_sim_weight=0.0, sentence_weight=0.0, contrast_weight=0.0,
                                      breadth_weight=0.0, threshold=0.0, evidence_share=0.0)
    return retriever.search(question, top_k=2, scope_week=False, calibration=cal)


def test_the_best_pages_other_chunks_ride_beside_the_hits_with_their_sentence_vectors(retriever):
    r = search(retriever)
    held = {cid for h in r.hits for cid in h.ids}
    assert r.hits[0].url == SFN and "sfn-6" not in held  # the fact's chunk ranks beyond top_k
    aside = [h.id for h in r.aside]
    assert "sfn-6" in aside and not held & set(aside)
    assert {h.url for h in r.aside} == {SFN}  # the other page's chunks are never read beside the hits
    fact = next(h for h in r.aside if h.id == "sfn-6")
    assert set(fact.vectors) == set(sentences(fact.text))  # stored vectors: nothing embedded at question time


def test_a_fact_in_the_best_pages_seventh_chunk_is_quoted_and_cited(retriever, embedder):
    r = search(retriever)
    answer = Answerer(embedder=embedder).answer(QUESTION, r)
    assert answer.grounded
    assert "A Standard workflow execution can run for up to one year before Step Functions stops it" in answer.answer
    cited = [c for c in answer.citations if "one year" in c.snippet]
    assert len(cited) == 1 and cited[0].url == SFN and cited[0].section == "Execution history"
    assert f"[{cited[0].n}]" in answer.answer.split("one year", 1)[1][:60]
    # every quoted sentence is found word for word in the passage it cites
    ok, n = faithfulness(answer.answer, cited_passages(answer.citations, [*r.hits, *r.aside]))
    assert n >= 1 and ok == n

    off = Answerer(embedder=embedder)  # the discount at "off": the hits alone are read, as before
    off.extractor = Extractor(embedder, weights=replace(WEIGHTS, aside=9.0))
    assert "one year" not in off.answer(QUESTION, r).answer


def test_a_chunk_of_another_page_beyond_top_k_is_not_read(retriever, embedder):
    """The Glue page's "can run for up to one day before AWS Glue stops it" reads like an answer too, but it is
    beyond the two hits and not on the best page: it is not read, quoted or cited."""
    r = search(retriever)
    held = {cid for h in r.hits for cid in h.ids}
    assert "glue-1" not in held and "glue-1" not in {h.id for h in r.aside}
    answer = Answerer(embedder=embedder).answer(QUESTION, r)
    assert "one day" not in answer.answer and GLUE not in {c.url for c in answer.citations}
