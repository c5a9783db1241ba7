"""Tests for vectorstore/retrieve.py over a small real index: hand-made chunks with week metadata, embedded by the
real ONNX model into an in-memory Chroma."""
from __future__ import annotations

import os
import threading
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from errors import EmbedderMismatchError, NothingIndexedError
from tests.chunks import stored_chunk
from vectorstore.calibration import DEFAULT
from vectorstore.client import open_client
from vectorstore.embeddings import OnnxEmbedder
from vectorstore.retrieve import Retriever, detect_week, strip_week
from vectorstore.sentences import sentences
from vectorstore.store import IndexStore, add_chunks, add_sentences, sentences_name

MODEL_DIR = Path(os.environ.get("RA_EMBEDDING_MODEL_DIR") or "/work/shared/models/all-MiniLM-L6-v2/onnx")

PY = "https://docs.python.org/3/tutorial/venv.html"
PODS = "https://kubernetes.io/docs/concepts/workloads/pods/"
MME = "https://docs.aws.amazon.com/sagemaker/latest/dg/multi-model-endpoints.html"


def _chunk(cid, url, title, section, body, weeks, index=0):
    return stored_chunk(cid, url, title, body, section=section, weeks=weeks or (), index=index)


CHUNKS = [
    _chunk("venv-0", PY, "Virtual Environments and Packages", "Introduction",
           "Python applications often need a specific version of a library. Two applications may need different, "
           "conflicting versions of the same package, so one installation cannot meet every requirement.", [1], 0),
    _chunk("venv-1", PY, "Virtual Environments and Packages", "Introduction",
           "The solution is to create a virtual environment, a self-contained directory tree that holds a Python "
           "installation and its own set of additional packages, created with python -m venv.", [1], 1),
    _chunk("venv-2", PY, "Virtual Environments and Packages", "Managing Packages with pip",
           "Install, upgrade and remove packages with pip. pip freeze lists installed packages in the "
           "requirements format, and pip install -r requirements.txt installs them.", [1], 2),
    _chunk("pag", "https://boto3.amazonaws.com/v1/documentation/api/latest/guide/paginators.html", "Paginators",
           "Paginators", "Some AWS operations return incomplete results; S3 ListObjects returns at most 1000 keys. "
           "A paginator iterates over every page of results so a script can walk the whole bucket.", [1]),
    _chunk("groupby", "https://pandas.pydata.org/docs/user_guide/groupby.html", "Group by: split-apply-combine",
           "Group by", "The groupby method splits a DataFrame into groups by the values of a column, applies an "
           "aggregation such as sum or mean to each group and combines the results.", [2]),
    _chunk("mlflow", "https://mlflow.org/docs/latest/tracking/", "MLflow Tracking", "Concepts",
           "MLflow Tracking logs parameters, metrics and artifacts of each training run, so experiments can be "
           "compared in the MLflow UI. Artifacts can be stored in S3 or Azure Blob Storage.", [9]),
    _chunk("dvc", "https://dvc.org/doc/start", "Get Started with DVC", "Data versioning",
           "dvc add moves the dataset file into the DVC cache and writes a small .dvc file that Git tracks in "
           "place of the data.", [9]),
    _chunk("mme-0", MME, "Multi-model endpoints", "Overview",
           "Multi-model endpoints host hundreds of models behind a single SageMaker endpoint with a shared serving "
           "container, which lowers hosting cost for per-customer models.", [12], 0),
    _chunk("spot", "https://docs.aws.amazon.com/sagemaker/latest/dg/model-managed-spot-training.html",
           "Managed spot training", "Checkpoints", "Managed spot training uses EC2 Spot instances; save checkpoints "
           "to S3 so a training job resumes when a spot instance is interrupted.", [12]),
    _chunk("roadmap-12", "roadmap.md#week-12", "Roadmap: Week 12: Model Serving", "Week 12",
           "Deploy real-time endpoints, batch transform and multi-model endpoints. Weekend project: a serving "
           "platform with autoscaling and its costs tracked in Kubecost.", [12]),
    *[_chunk(f"pods-{i}", PODS, "Pods", section, f"A Pod is the smallest deployable unit of computing in Kubernetes: "
             f"a group of containers sharing storage and network. {extra}", [13], i)
      for i, (section, extra) in enumerate([("What is a Pod", "Pods run one or more containers."),
                                            ("Using Pods", "Pods are usually created by workload resources."),
                                            ("Pod lifecycle", "Pods are ephemeral and are replaced, not healed."),
                                            ("Static Pods", "The kubelet manages static Pods directly."),
                                            ("Pod networking", "Each Pod gets its own IP address.")])],
    _chunk("deploy", "https://kubernetes.io/docs/concepts/workloads/controllers/deployment/", "Deployments",
           "Deployments", "A Deployment manages a ReplicaSet of Pods and rolls out new container versions of the "
           "Pods gradually, with rollback to an earlier revision.", [13]),
    _chunk("svc", "https://kubernetes.io/docs/concepts/services-networking/service/", "Service", "Service",
           "A Service exposes a set of Pods as one network endpoint with a stable IP address and DNS name.", [13]),
    _chunk("cert", "https://aws.amazon.com/certification/certified-machine-learning-specialty/",
           "AWS Certified Machine Learning - Specialty", "Exam", "The Machine Learning Specialty exam validates the "
           "ability to design, build, train, tune and deploy machine learning models on AWS.", None),
]


@pytest.fixture(scope="module")
def embedder():
    return OnnxEmbedder(MODEL_DIR)


@pytest.fixture(scope="module")
def vectors(embedder) -> dict[str, list[float]]:
    """Every chunk's embedding, computed once for the module."""
    return dict(zip([c[0] for c in CHUNKS], embedder.embed([c[1] for c in CHUNKS]).tolist(), strict=True))


def publish(store: IndexStore, vectors: dict, chunks, embedder_name: str = OnnxEmbedder.name) -> int:
    """Write the chunks as a new version and move the pointer to it, as an ingest run does."""
    version, col = store.new_version()
    add_chunks(col, [c[0] for c in chunks], [c[1] for c in chunks], [c[2] for c in chunks],
               [vectors[c[0]] for c in chunks])
    store.publish(version, col, {"pages": {}}, embedder=embedder_name, chunking="test")
    return version


def new_store() -> IndexStore:
    return IndexStore(open_client(in_memory=True), f"t{uuid.uuid4().hex[:10]}")


@pytest.fixture(scope="module")
def retriever(embedder, vectors):
    store = new_store()
    publish(store, vectors, CHUNKS)
    return Retriever(store, embedder)


def test_detect_week_reads_the_weeks_people_write():
    """Week mentions in digits, words and ordinals are found; durations and out-of-range numbers are not."""
    assert detect_week("in week 9, how do I track runs?") == 9
    assert detect_week("wk 12: endpoints") == 12 and detect_week("Week-9 project") == 9
    assert detect_week("For my week-7 RAG bot") == 7 and detect_week("week nine tasks") == 9
    assert detect_week("what do I do in the 3rd week?") == 3 and detect_week("WEEK 16") == 16
    assert detect_week("I have 9 weeks left") is None and detect_week("week 17 or week 0", range(1, 17)) is None
    assert detect_week("week 0 or week 18") == 18 and detect_week("week 19 or week 3", range(1, 13)) == 3
    assert detect_week("how do pods work") is None and detect_week("weekend project") is None
    assert strip_week("In week 9, how do I track runs?") == "In , how do I track runs?"


def test_detect_week_reads_ordinal_words_and_the_last_week():
    """'the sixteenth week', 'first week' are weeks; 'the last/final week' is the last of the given weeks (and
    nothing without them); 'last week I ...' is a time, not a week of the roadmap. The mention is stripped."""
    assert detect_week("Capstone of the sixteenth week: what gets built?") == 16
    assert detect_week("what do I do in my first week?") == 1 and detect_week("the Twelfth-week lab") == 12
    assert detect_week("what is the final week about?", range(1, 17)) == 16
    assert detect_week("in the very last week, what do I build?", [3, 1, 9]) == 9
    assert detect_week("what is the final week about?") is None
    assert detect_week("last week I deployed a model", range(1, 17)) is None
    assert detect_week("the sixteenth week", range(1, 13)) is None
    assert strip_week("Capstone of the sixteenth week: what gets built?") == "Capstone of the : what gets built?"
    assert strip_week("what is in the final week?") == "what is in ?"


def test_the_last_week_scopes_a_search_to_the_indexs_last_week(retriever):
    """The retriever reads 'the final week' against the weeks its chunks belong to."""
    last = retriever.last_week()
    assert last == max(w for c in CHUNKS for w in c[2].get("weeks", []))
    assert retriever.search("what do I build in the final week?").week == last


# the hard widening switch (the soft week prior off: tests/test_week_prior.py tests the prior)
SWITCH = DEFAULT.with_(week_prior=0.0, earlier_prior=0.0)


def test_week_scope_keeps_the_weeks_chunks(retriever):
    """Under the hard switch, a question in a week is answered from that week's chunks only, when they answer it."""
    r = retriever.search("How do I walk through every key of a big S3 bucket with boto3?", week=1, calibration=SWITCH)
    assert r.scope == "week" and not r.widened and r.grounded
    assert r.hits[0].id == "pag"
    assert all(1 in h.meta["weeks"] for h in r.hits)
    assert set(r.timings) == {"embed", "retrieve"}


def test_week_is_detected_from_the_question(retriever):
    """Without a week argument, a week named in the question scopes the search."""
    r = retriever.search("wk 9: what does dvc add do with my dataset file?", calibration=SWITCH)
    assert r.week == 9 and r.scope == "week" and r.hits[0].id == "dvc"
    assert all(9 in h.meta["weeks"] for h in r.hits)


def test_widens_when_the_week_lacks_the_answer(retriever):
    """A week-1 question answered only in week 12 is widened, and `suggested` names week 12."""
    r = retriever.search("How can I host hundreds of per-customer models behind a single endpoint?", week=1)
    assert r.widened and r.scope == "all" and r.grounded
    assert r.hits[0].url == MME
    assert r.suggested["weeks"] == [12] and r.suggested["url"] == MME


def test_weekless_pages_are_searched_only_when_widening(retriever):
    """A page linked from no week is reached from a week only by widening, and directly without a week."""
    q = "What does the AWS Machine Learning Specialty certification exam validate?"
    assert retriever.search(q).hits[0].id == "cert"
    r = retriever.search(q, week=9)
    assert r.widened and r.hits[0].id == "cert" and r.suggested["weeks"] == []
    unscoped = retriever.search(q, week=9, scope_week=False)
    assert unscoped.scope == "all" and not unscoped.widened and unscoped.hits[0].id == "cert"


def test_abstains_on_an_off_topic_question(retriever):
    """A question no chunk answers is not grounded, with or without a week, while a covered one is."""
    for week in (None, 2):
        r = retriever.search("What is a good recipe for vegetarian lasagna with ricotta?", week=week)
        assert not r.grounded and r.confidence < 0.5
    assert retriever.search("How does groupby aggregate a pandas DataFrame?").grounded


def test_one_page_fills_at_most_two_places(retriever):
    """Five matching chunks of one page take two places when other pages also match."""
    r = retriever.search("What is a Kubernetes Pod?", week=13, top_k=4)
    urls = [h.url for h in r.hits]
    assert urls.count(PODS) == 2 and len(r.hits) == 4


def test_adjacent_chunks_of_a_section_are_merged(retriever):
    """Consecutive chunks of one section come back as one hit listing both ids, the heading said once."""
    r = retriever.search("Why create a virtual environment when two apps need conflicting package versions?",
                         week=1)
    merged = next(h for h in r.hits if "venv-0" in h.ids)
    assert merged.ids == ["venv-0", "venv-1"]
    assert merged.text.count("Virtual Environments and Packages > Introduction") == 1
    assert "self-contained directory tree" in merged.text and "conflicting versions" in merged.text


def test_rrf_fusion_retriever_finds_the_same_answer(embedder, retriever):
    """The retriever built with reciprocal rank fusion answers a clear question with the same page; a bad name fails."""
    rrf = Retriever(retriever.store, embedder, fusion="rrf")
    assert retriever.fusion == "weighted" and rrf.fusion == "rrf"
    assert rrf.search("What does dvc add do with a dataset file?").hits[0].id == "dvc"
    with pytest.raises(ValueError):
        Retriever(retriever.store, embedder, fusion="max")


def test_empty_store_is_not_ready_and_search_says_why(embedder, vectors):
    """Without a published version, ready() is False and search raises NothingIndexedError; publishing fixes it."""
    store = new_store()
    retriever = Retriever(store, embedder, refresh_seconds=0)
    assert not retriever.ready() and retriever.version is None
    with pytest.raises(NothingIndexedError, match="ingest"):
        retriever.search("anything")
    publish(store, vectors, CHUNKS[:3])
    assert retriever.ready() and retriever.search("python venv").hits


def test_index_of_another_embedder_is_refused(embedder, vectors):
    """An index built by another embedding model is refused with EmbedderMismatchError, not searched."""
    store = new_store()
    publish(store, vectors, CHUNKS, embedder_name="openai:text-embedding-3-small")
    with pytest.raises(EmbedderMismatchError, match="rebuild"):
        Retriever(store, embedder).search("python venv")


def test_single_list_modes_rank_by_that_list(retriever):
    """The evaluation modes rank by one list alone; an unknown mode is refused."""
    q = "What does dvc add do with a dataset file?"
    dense, bm25 = retriever.search(q, mode="dense"), retriever.search(q, mode="bm25")
    assert dense.hits[0].id == bm25.hits[0].id == "dvc"
    assert dense.hits[0].score == dense.hits[0].dense and bm25.hits[0].score == bm25.hits[0].lexical
    with pytest.raises(ValueError):
        retriever.search(q, mode="mixed")


def test_refresh_picks_up_a_new_version(embedder, vectors):
    """After a new version is published, refresh() loads it once and its new chunks are found by both searches."""
    store = new_store()
    first = publish(store, vectors, CHUNKS[:5])
    retriever = Retriever(store, embedder, refresh_seconds=0)
    assert retriever.ready() and retriever.version == first
    assert retriever.refresh() is False
    second = publish(store, vectors, CHUNKS)
    assert retriever.refresh() is True and retriever.version == second
    assert retriever.search("What does dvc add do with a dataset file?").hits[0].id == "dvc"


def test_search_survives_its_collection_being_dropped(embedder, vectors):
    """When later publishes drop the collection a retriever loaded, it keeps answering, then loads the newest."""
    store = new_store()
    publish(store, vectors, CHUNKS[:5])
    retriever = Retriever(store, embedder, refresh_seconds=3600)
    assert retriever.ready()
    publish(store, vectors, CHUNKS[:6])
    latest = publish(store, vectors, CHUNKS)  # drops the first version's collection
    assert retriever.search("How do I walk through every key of an S3 bucket with boto3?").hits[0].id == "pag"
    assert retriever.refresh(force=True) and retriever.version == latest
    assert retriever.search("What does dvc add do with a dataset file?").hits[0].id == "dvc"


def test_concurrent_searches_during_a_publish(embedder, vectors):
    """Searches from many threads keep answering while a new version is published and loaded."""
    store = new_store()
    publish(store, vectors, CHUNKS)
    retriever = Retriever(store, embedder, refresh_seconds=0)
    errors: list[Exception] = []

    def ask():
        try:
            for _ in range(5):
                assert retriever.search("What does dvc add do with a dataset file?").hits[0].id == "dvc"
        except Exception as exc:  # collected: a thread's exception would otherwise be lost
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    publish(store, vectors, CHUNKS[::-1])
    for t in threads:
        t.join()
    assert errors == []


def test_a_docs_question_mentioning_project_is_not_forced_grounded(retriever):
    """No plan-keyword rule: "project" in a week-scoped question does not make an unsupported answer grounded, and
    an off-topic question names no closest page when nothing is close."""
    cal = retriever.calibration.with_(suggest_min=0.3)
    r = retriever.search("week 12: what's the capital of France for my project?", calibration=cal)
    assert r.week == 12 and not r.grounded and r.confidence < cal.threshold
    assert r.suggested is None
    near = retriever.search("week 12: how do I size the weekend project's multi-model endpoint for GPUs?",
                            calibration=cal)
    assert near.hits and (near.grounded or near.suggested is not None)  # close: a page is named, or it answers


def _kinesis(body: str, cid: str) -> tuple:
    return _chunk(cid, "https://docs.aws.amazon.com/streams/latest/dev/key-concepts.html", "Kinesis Data Streams",
                  "Shards", body, [8])


KINESIS_NO_PRICE = _kinesis("A shard is a uniquely identified sequence of data records in a Kinesis data stream. "
                            "Each shard takes in up to 1 MB of data per second and gives out up to 2 MB per second.",
                            "kin-shard")
KINESIS_PRICE = _kinesis("Kinesis Data Streams pricing: each shard hour costs $0.015, and PUT payload units cost "
                         "$0.014 per million units.", "kin-price")


def test_evidence_check_says_which_fact_is_missing(embedder, vectors):
    """A price question over a page on the topic without a price is not grounded: `gap` is "price" and the hits
    stay; over a page stating the price it is grounded."""
    cal = Retriever(new_store(), embedder).calibration.with_(evidence_share=0.5, evidence_kinds=("price",),
                                                             threshold=0.05, suggest_min=0.0)
    question = "How much does a Kinesis shard cost per hour?"
    for extra, grounded in (([KINESIS_NO_PRICE], False), ([KINESIS_NO_PRICE, KINESIS_PRICE], True)):
        store = new_store()
        extra_vectors = dict(zip([c[0] for c in extra], embedder.embed([c[1] for c in extra]).tolist(), strict=True))
        publish(store, {**vectors, **extra_vectors}, CHUNKS + extra)
        r = Retriever(store, embedder).search(question, week=8, calibration=cal)
        assert r.kind == "price" and r.grounded is grounded
        assert r.hits and r.hits[0].url.endswith("key-concepts.html")
        if grounded:
            assert r.gap is None and r.suggested is None
        else:
            assert r.gap == "price" and r.suggested["weeks"] == [8]
            off = Retriever(store, embedder).search(question, week=8, calibration=cal.with_(evidence_share=0.0))
            assert off.grounded and off.gap is None  # the check is what turned it down
        assert (r.evidence >= 0.5) is grounded  # the share it was judged by, reported
        # a question that only mentions cost asks for no price: nothing to check, not turned down
        howto = Retriever(store, embedder).search("How do I keep Kinesis shard costs down?", week=8, calibration=cal)
        assert howto.kind == "howto" and howto.gap is None and howto.grounded


_EDGE = "https://docs.aws.amazon.com/snowball/latest/developer-guide/whatisedge.html"
_HOSTING = "https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints.html"
SNOWBALL = _chunk("snow", _EDGE, "AWS Snowball Edge", "Devices",
                  "Snowball Edge devices move data into and out of AWS at sites with little or no connectivity. You "
                  "order a device, copy your data onto it and ship it back.", [8])
HOSTING = _chunk("host", _HOSTING, "Real-time inference", "Hosting",
                 "SageMaker real-time inference hosts a model behind an HTTPS endpoint. You run inference by invoking "
                 "the endpoint with a request payload.", [8])
PAIRED = _chunk("snow-compute", _EDGE, "AWS Snowball Edge", "Compute",
                "Snowball Edge devices can run SageMaker inference on the device itself, with no connectivity to AWS.",
                [8])


def test_co_occurrence_check_refuses_a_pairing_the_pages_never_make(embedder, vectors):
    """A yes/no question pairing two things the pages describe only apart is not grounded under a co-occurrence
    share (`gap` names its kind, the hits stay), is with the check off, and is over pages that make the pairing."""
    cal = Retriever(new_store(), embedder).calibration.with_(cooccur_share=0.8, threshold=0.05, suggest_min=0.0)
    question = "Can I run SageMaker inference on a Snowball Edge device with no connectivity?"
    for extra, grounded in (([SNOWBALL, HOSTING], False), ([SNOWBALL, HOSTING, PAIRED], True)):
        store = new_store()
        extra_vectors = dict(zip([c[0] for c in extra], embedder.embed([c[1] for c in extra]).tolist(), strict=True))
        publish(store, {**vectors, **extra_vectors}, CHUNKS + extra)
        r = Retriever(store, embedder).search(question, week=8, calibration=cal)
        assert r.kind == "yesno" and r.grounded is grounded and r.hits
        assert r.evidence is not None and (r.evidence >= 0.8) is grounded  # the share it was judged by
        if not grounded:
            assert r.gap == "yesno" and r.suggested is not None
            off = Retriever(store, embedder).search(question, week=8, calibration=cal.with_(cooccur_share=0.0))
            assert off.grounded and off.gap is None  # the check is what turned it down


def test_a_name_no_page_mentions_explains_a_co_occurrence_gap(embedder, vectors):
    """"Who wrote <a book no page mentions>?" fails the origin check (no stretch names a maker), but the reason
    given is the name no linked page mentions, as without the check."""
    store = new_store()
    publish(store, vectors, CHUNKS)
    cal = Retriever(store, embedder).calibration.with_(threshold=0.0, origin_share=0.4)
    r = Retriever(store, embedder).search("Who wrote Pride and Prejudice?", calibration=cal)
    assert r.kind == "name" and r.evidence is not None and r.evidence < 0.4  # the origin check refuses it
    assert not r.grounded and r.gap == "mention" and r.unknown == ["Pride", "Prejudice"]


def test_calibration_stored_with_the_index_is_used_and_checked(embedder, vectors, caplog):
    """A calibration saved with the index replaces the default on the next refresh; one fitted for another
    chunking is still used but logged and reported as not matching."""
    store = new_store()
    publish(store, vectors, CHUNKS)  # chunking "test"
    retriever = Retriever(store, embedder, refresh_seconds=0)
    assert retriever.ready() and retriever.calibration_status()["source"] == "default"
    fitted = retriever.calibration.with_(threshold=0.42, embedder=OnnxEmbedder.name, chunking="test")
    store.save_calibration(fitted.to_json())
    retriever.refresh()
    status = retriever.calibration_status()
    assert retriever.calibration.threshold == 0.42 and status["source"] == "index" and status["matches"]
    caplog.clear()
    store.save_calibration(fitted.with_(chunking="heading-v1:200/24").to_json())
    with caplog.at_level("WARNING", logger="vectorstore.retrieve"):
        retriever.refresh()
    status = retriever.calibration_status()
    assert not status["matches"] and "chunking 'heading-v1:200/24' (the index: 'test')" in status["warning"]
    assert "python -m evaluation.calibrate" in status["warning"] and status["warning"] in caplog.text
    publish(store, vectors, CHUNKS[:5])  # a new version keeps the stored calibration
    retriever.refresh()
    assert retriever.calibration.threshold == 0.42 and not retriever.calibration_status()["matches"]


# A chunk whose asked fact is one sentence among many on other things, and a chunk that is about the topic as a
# whole: the first chunk's own vector is diluted; its best sentence is not.
DILUTED = [
    _chunk("training-0", "https://docs.example.org/training.html", "Training jobs", "Configuration",
           "A training job reads its input from S3 channels and writes the model artifact to an output path. "
           "Hyperparameters are passed to the container as a JSON file. Logs stream to CloudWatch while the job "
           "runs. Metrics are parsed from the logs with regular expressions. Managed spot training can cut the "
           "cost of a training job by up to 90 percent compared with on-demand instances. Jobs can be stopped "
           "from the console or the API.", [3]),
    _chunk("cost-0", "https://docs.example.org/cost.html", "Cost optimization", "Overview",
           "Cost optimization for machine learning compares spot and on-demand instances for training and "
           "inference, turns off idle resources and tracks spend with budgets and cost allocation tags across "
           "teams.", [3]),
]


def with_sentences(store: IndexStore, embedder, chunks, vectors: dict) -> None:
    """Publish chunks with their sentence vectors, as an ingest run stores them."""
    version, col = store.new_version()
    add_chunks(col, [c[0] for c in chunks], [c[1] for c in chunks], [c[2] for c in chunks],
               [vectors[c[0]] for c in chunks])
    rows = [(cid, pos, s) for cid, text, _m in chunks for pos, s in enumerate(sentences(text))]
    add_sentences(store.sentence_collection(col),
                  [(cid, pos, s, v) for (cid, pos, s), v in zip(rows, embedder.embed([r[2] for r in rows]),
                                                                 strict=True)])
    store.publish(version, col, {"pages": {}}, embedder=embedder.name, chunking="test")


def test_best_sentence_lifts_the_chunk_that_states_the_asked_fact(embedder):
    """The question matches one sentence of a long chunk: with the best-sentence weight the chunk holding it
    ranks first; with weight 0 the chunk about the topic in general does. The hits carry their sentences'
    stored vectors (what the extractive picker reads), equal to the sentences' embeddings."""
    store = new_store()
    chunks = CHUNKS + DILUTED
    with_sentences(store, embedder, chunks, dict(zip([c[0] for c in chunks],
                                                     embedder.embed([c[1] for c in chunks]).tolist(), strict=True)))
    retriever = Retriever(store, embedder)
    question = "How much cheaper is spot training than on-demand?"
    cal = retriever.calibration.with_(title_sim_weight=0.0, dense_weight=0.6,  # the fixture's fusion, pinned;
                                      contrast_weight=0.0, breadth_weight=0.0)  # the sentence weight alone
    without = retriever.search(question, top_k=3, scope_week=False, calibration=cal.with_(sentence_weight=0.0))
    with_ = retriever.search(question, top_k=3, scope_week=False, calibration=cal.with_(sentence_weight=1.0))
    assert without.hits[0].id == "cost-0" and "training-0" in [h.id for h in without.hits]
    assert [h.id for h in with_.hits[:2]] == ["training-0", "cost-0"]
    hit = with_.hits[0]
    assert set(hit.vectors) == set(sentences(hit.text)) and len(hit.vectors) == 6
    spot = next(s for s in hit.vectors if "spot training" in s)
    assert float(hit.vectors[spot] @ embedder.embed([spot])[0]) == pytest.approx(1.0, abs=1e-5)


def test_a_version_without_sentence_vectors_ranks_by_the_chunk_vector(embedder, vectors):
    """An index built before sentence vectors were stored still serves: the feature falls back to each chunk's
    own cosine, and hits carry no sentence vectors (the picker embeds what it needs)."""
    store = new_store()
    publish(store, vectors, CHUNKS)
    store.client.delete_collection(sentences_name(store.pointer()["active"]))  # as such a version is
    assert store.published().sentences is None
    r = Retriever(store, embedder).search("How do I walk through every key of a big S3 bucket?", week=1,
                                          calibration=DEFAULT.with_(sentence_weight=0.5))
    assert r.hits[0].id == "pag" and all(h.vectors == {} for h in r.hits)


def test_another_weeks_best_page_keeps_a_slot_in_the_weeks_list(retriever):
    """A question asked in week 12 whose answer lives in week 9: when the search stays in the week (here forced by a
    zero widen threshold and a margin nothing reaches), `merge_rank` places the whole index's best page at that
    rank, and the week's own best hit keeps the first place; with it off, the week's list alone."""
    question = "What does dvc add do with a dataset file, and what does Git track instead?"
    stay = SWITCH.with_(threshold=0.0, widen_threshold=0.0, widen_margin=1.0, evidence_share=0.0)
    alone = retriever.search(question, week=12, calibration=stay.with_(merge_rank=0))
    assert alone.scope == "week" and "dvc" not in [h.id for h in alone.hits]
    merged = retriever.search(question, week=12, calibration=stay.with_(merge_rank=2))
    assert merged.scope == "week" and [h.id for h in merged.hits][1] == "dvc"
    assert merged.hits[0].id == alone.hits[0].id and len(merged.hits) <= 5
    # a best page of the asked week itself is not repeated
    own = retriever.search("How do I save checkpoints so a spot training job resumes?", week=12,
                           calibration=stay.with_(merge_rank=2))
    assert [h.id for h in own.hits].count("spot") == 1


def test_a_question_naming_what_the_index_never_mentions_is_not_grounded(retriever):
    """The sources can say nothing about a tool no passage names, however close the rest of the question is; a
    question whose names the index knows is searched as usual."""
    cal = retriever.calibration.with_(threshold=0.15)  # a threshold the question's topic clears on the fixture
    r = retriever.search("How do I scan my Pods for vulnerabilities with Trivy before a Deployment?", week=13,
                         calibration=cal)
    assert r.confidence >= cal.threshold  # grounded by its topic ...
    assert not r.grounded and r.gap == "mention" and r.unknown == ["Trivy"] and r.hits  # ... but not by its name
    known = retriever.search("How does a Deployment roll out new versions of its Pods?", week=13, calibration=cal)
    assert known.grounded and known.unknown == [] and known.gap is None


# grounded on coverage alone: the share of the question's terms the evidence holds must reach one half
_COVERAGE_ONLY = replace(DEFAULT, weights=(0.0, 0.0, 0.0, 20.0, 0.0), bias=-10.0, threshold=0.5)


def test_the_weeks_own_roadmap_section_as_best_passage_counts_as_evidence(retriever):
    """When the week's roadmap section is the best passage, what it lists answers the question: its words count for
    confidence. With a calibration grounded on coverage alone, a question whose words only the week's section holds
    ("serving platform ... autoscale") is grounded in the week; searched over every page, where no week's own
    section is in question, the same passage does not count and it abstains."""
    question = "Which serving platform with autoscaling do I build?"
    r = retriever.search(question, week=12, calibration=_COVERAGE_ONLY)
    assert r.hits[0].id == "roadmap-12" and r.scope == "week" and r.grounded
    r = retriever.search(question, calibration=_COVERAGE_ONLY)
    assert r.hits[0].id == "roadmap-12" and not r.grounded


def test_a_how_to_about_a_name_only_the_roadmap_mentions_is_not_grounded(retriever):
    """The roadmap's own text names Kubecost, no documentation page does: a how-to (or a stated value) about it has
    no source, while a question about the plan itself may name it."""
    r = retriever.search("How do I install Kubecost to track what my endpoints cost?", week=12)
    assert not r.grounded and r.gap == "mention" and r.unknown == ["Kubecost"]
    plan = retriever.search("Which week mentions Kubecost?")
    assert plan.unknown == []
