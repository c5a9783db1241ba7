"""The quiz answer check's mechanisms through the API (`POST /weeks/{n}/quiz/check` on the real app over the study
fixture index): number words, a value qualified by what the source does not say, a wrong value, hedges and "I don't
know", a negated fact, an echo of the question, a right answer padded with other text; and the number and code-name
reading the check relies on (`api.answer_readings.specifics`)."""
from __future__ import annotations

import dataclasses
from functools import partial

import httpx
import numpy as np
import pytest

from api import answer_readings, grading, quantities
from tests.servers import serve


@pytest.fixture(scope="module")
def api(study_index):
    from api.app import create_app

    with serve(create_app(study_index)) as url:
        yield url


def question(api: str, week: int, kind: str, containing: str) -> dict:
    r = httpx.get(f"{api}/weeks/{week}/quiz", params={"count": 20}, timeout=60)
    assert r.status_code == 200, r.text
    return next(q for q in r.json()["questions"] if q["kind"] == kind and containing in q["answer"])


def check(api: str, week: int, q: dict, answer: str) -> dict:
    r = httpx.post(f"{api}/weeks/{week}/quiz/check", json={"id": q["id"], "answer": answer}, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["quote"] == q["answer"] and body["citation"] == q["citation"]  # whatever the verdict
    return body


def test_a_value_in_words_is_the_value_and_a_qualified_or_wrong_one_is_not(api):
    pods = question(api, 2, "limit", "110 Pods")
    said = check(api, 2, pods, "one hundred and ten")
    assert said["verdict"] == "correct" and said["reason"] is None and said["missing"] == []
    assert said["specifics"] == 1
    qualified = check(api, 2, pods, "110 per namespace")
    assert qualified["verdict"] == "partial" and "qualified" in qualified["reason"]
    wrong = check(api, 2, pods, "120")
    assert wrong["verdict"] == "incorrect" and wrong["reason"] == "a different number or name than the source's"
    assert wrong["missing"] == ["110"] and wrong["specifics"] == -1


def test_hedges_are_not_the_answer(api):
    image = question(api, 1, "definition", "container image")
    blank = check(api, 1, image, "I don't know")
    assert blank["verdict"] == "incorrect" and blank["reason"] == "no answer given"
    assert "read-only" in blank["missing"] and blank["similarity"] == 0
    hedged = check(api, 1, image, "Not sure, maybe a read-only template with the instructions to create a container?")
    assert hedged["verdict"] == "correct" and hedged["reason"] is None


def test_a_negated_fact_is_incorrect_however_close_its_words(api):
    image = question(api, 1, "definition", "container image")
    negated = check(api, 1, image, "It is not a read-only template with the instructions for creating a container")
    assert negated["verdict"] == "incorrect" and negated["reason"] == "the answer negates what the source states"
    assert negated["similarity"] > 0.7 and negated["coverage"] == 1.0  # the words alone would have passed
    pod = question(api, 2, "definition", "smallest deployable unit")
    plain = check(api, 2, pod, "The smallest unit you can deploy, create and manage in Kubernetes")
    assert plain["verdict"] == "correct" and plain["reason"] is None


def test_an_answer_that_only_repeats_the_question_is_incorrect(api):
    image = question(api, 1, "definition", "container image")
    echo = check(api, 1, image, "A container image is an image for containers")
    assert echo["verdict"] == "incorrect" and echo["reason"] == "the answer only repeats the question"
    deliverables = question(api, 4, "plan", "runbook")
    assert check(api, 4, deliverables, "the deliverables of week 4")["verdict"] == "incorrect"
    assert check(api, 4, deliverables, "An architecture document and a runbook")["verdict"] == "correct"


def test_a_right_answer_padded_with_other_text_stays_right(api):
    image = question(api, 1, "definition", "container image")
    padded = check(api, 1, image, "A read-only template with the instructions to create a container. I read about "
                                  "it last week, together with volumes, networks and the build cache of the engine.")
    assert padded["verdict"] == "correct"
    vague = check(api, 1, image, "a template")
    assert vague["verdict"] == "partial" and vague["reason"] is None and "read-only" in vague["missing"]


@pytest.mark.parametrize("text, found", [
    ("twenty-five shards", {"25"}), ("a thousand", {"1000"}), ("10,000 rows", {"10000"}),
    ("str.format()", {"format"}), ("the format() method", {"format"}), ("mlflow.pyfunc.log_model", {"logmodel"}),
    ("a `Pipeline` step", {"pipeline"}), ("RFC 2822-based", {"2822"}), ("docker push", set()),
])
def test_numbers_and_code_names_are_read_as_values(text, found):
    assert answer_readings.specifics(text) == found


def test_a_source_s_number_words_are_not_values_a_learner_s_are():
    assert answer_readings.specifics("holds out one specific group", words=False) == set()
    assert answer_readings.specifics("one", words=True) == {"1"}


def test_a_quantity_in_another_unit_is_the_asked_one_and_a_right_number_in_a_wrong_unit_is_not(api):
    days = question(api, 3, "limit", "30 days")
    said = check(api, 3, days, "720 hours")
    assert said["verdict"] == "correct" and said["specifics"] == 1 and said["reason"] is None
    assert said["missing"] == []
    assert check(api, 3, days, "thirty days")["verdict"] == "correct"
    unit = check(api, 3, days, "30 hours")  # the source's number in a unit the source contradicts: another value
    assert unit["verdict"] == "incorrect" and unit["reason"] == "a different number or name than the source's"
    assert check(api, 3, days, "720 minutes")["verdict"] == "incorrect"
    size = question(api, 3, "limit", "2 GB")
    assert check(api, 3, size, "2048 MB")["verdict"] == "correct"
    assert check(api, 3, size, "2 gb")["verdict"] == "correct"
    assert check(api, 3, size, "2 gigabytes")["verdict"] == "correct"   # a byte size in words is binary too
    assert check(api, 3, size, "2 MB")["verdict"] == "incorrect"


@pytest.mark.parametrize("text, read", [
    ("10k rows", "10000 rows"), ("2.5K requests", "2500 requests"), ("10,000", "10000"), ("a 5 kB file", "a 5 kB file"),
    ("seventy percent", "70%"), ("90 per cent of it", "90% of it"), ("a percentage", "a percentage"),
    ("per cent", "per cent"),
])
def test_thousands_written_short_and_percents_are_read_as_numbers(text, read):
    assert answer_readings.normalise(text) == read


@pytest.mark.parametrize("answer, expected, question, read", [
    ("60 minutes", "1", "a maximum of ____ hour until", "1"),
    ("about 1024 MB", "1 GB", "What is the limit?", "about 1 GB"),
    ("1 GiB", "1 GB", "What is the limit?", "1 GB"),
    ("120 s", "2 minutes", "How long?", "2 minutes"),
    ("1 minute", "1", "a maximum of ____ hour until", "1 minute"),     # another quantity: left as written
    ("60 in", "5 feet", "How tall?", "60 in"),                          # lengths are not read, nor "in" as inches
    ("3 a", "3 years", "How long?", "3 a"),                             # nor "a" as a year
])
def test_quantities_are_compared_in_time_and_information_units(answer, expected, question, read):
    assert quantities.as_asked(answer, expected, question) == read


def test_a_negation_in_a_later_clause_caps_at_partial_one_in_the_first_clause_is_incorrect(api):
    pod = question(api, 2, "definition", "smallest deployable unit")
    part = check(api, 2, pod, "The smallest deployable unit you can create in Kubernetes, but not one you can manage")
    assert part["verdict"] == "partial" and part["reason"] == "the answer negates part of what the source states"
    first = check(api, 2, pod, "It is not the smallest deployable unit you can create and manage in Kubernetes")
    assert first["verdict"] == "incorrect" and first["reason"] == "the answer negates what the source states"


def test_a_fragment_of_the_source_s_answer_is_partial_not_incorrect(api):
    pod = question(api, 2, "definition", "smallest deployable unit")
    fragment = check(api, 2, pod, "computing")
    assert fragment["verdict"] == "partial"   # since issue 15h a one-word answer may score partial by its length alone
    assert fragment["reason"] in (None, "the answer gives only part of what the source says")
    # a fragment that scores incorrect is raised to partial by the floor
    low = grading.Features(0.05, 0.05, 0.0, 0.0, contained=True, key_recall=0.05, length=0.6)
    assert grading.judge(low) == ("partial", "the answer gives only part of what the source says")
    assert grading.judge(grading.Features(0.05, 0.05, 0.0, 0.0, key_recall=0.05, length=0.6)) == ("incorrect", None)
    other = check(api, 2, pod, "a virtual machine image")  # terms the source does not say: not a fragment
    assert other["reason"] is None   # (three words: since issue 15h, short and vague may score partial by length)
    other = check(api, 2, pod, "a virtual machine image that boots its own full operating system")
    assert other["verdict"] == "incorrect" and other["reason"] is None


def test_repeating_the_blank_s_sentence_is_an_echo_unless_the_words_are_the_answer_s(api):
    command = question(api, 2, "command", "kubectl get pods")
    part = check(api, 2, command, "pods")   # the question's word, but also part of the command asked for
    assert part["verdict"] == "partial" and part["reason"] != "the answer only repeats the question"
    echo = check(api, 2, command, "the Pods of the current namespace")
    assert echo["verdict"] == "incorrect" and echo["reason"] == "the answer only repeats the question"
    # the words after a subcommand are not the command (only the program an option such as "-m" runs would be)
    tail = check(api, 2, command, "get pods")
    assert tail["verdict"] != "correct" and tail["specifics"] <= 0
    whole = check(api, 2, command, "kubectl get pods")   # the asked name, nothing else: correct whatever it scores
    assert whole["verdict"] == "correct" and whole["reason"] is None and whole["specifics"] == 1


def test_a_value_given_only_as_a_range_that_holds_it_is_partial(api):
    days = question(api, 3, "limit", "30 days")
    for vague in ("a few weeks", "less than 60 days", "about 25"):
        said = check(api, 3, days, vague)
        assert said["verdict"] == "partial" and said["reason"] == "the value is given only approximately", vague
    for wrong in ("a few hours", "more than 40 days", "less than 20"):
        assert check(api, 3, days, wrong)["verdict"] == "incorrect", wrong


def test_the_answer_to_another_question_of_the_week_is_incorrect(api):
    pod = question(api, 2, "definition", "smallest deployable unit")
    deployment = "A controller that manages a set of identical Pods and replaces them gradually"
    other = check(api, 2, pod, deployment)   # what a Deployment is: another question of week 2
    assert other["verdict"] == "incorrect"
    assert other["reason"] == "the answer fits another of the week's questions better"
    assert other["elsewhere"] >= grading.ELSEWHERE
    image = question(api, 1, "definition", "container image")
    container = check(api, 1, image, "A runnable instance of an image, isolated from other containers")
    assert container["reason"] == "the answer fits another of the week's questions better"
    own = check(api, 2, pod, "The smallest unit you can deploy, create and manage in Kubernetes")
    assert own["verdict"] == "correct" and own["elsewhere"] == 0 and own["reason"] is None


def judged(embedder, answer: str, question: str, expected: str) -> tuple[str, str | None]:
    """The check's verdict and reason for one answer, with the real MiniLM embedder (every term weighs the same)."""
    return grading.judge(grading.features(answer, question, expected, embedder.embed, lambda _: 1.0))


SPOT = "Fill in the blank: “Spot training can cut the cost of training by up to ____ over on-demand instances.”"
TABS = "Fill in the blank: “You can keep up to ____ editor tabs open at once.”"
HEAD = "Fill in the blank: “For the first N rows, pandas provides a ____ method.”"
STORE = "Fill in the blank: “By default, the engine keeps its images and volumes under ____.”"
CLONE = "Fill in the blank: “____ copies a remote repository into a new folder on your machine.”"
TIMEOUT = "Fill in the blank: “The request timeout defaults to ____ seconds.”"
REPLICAS = "Fill in the blank: “Each shard can have at most ____ replicas in a domain.”"
BUFFER = "Fill in the blank: “The default buffer size is ____.”"
SAMPLES = "Fill in the blank: “Statistics are shown only when at least ____ samples are available.”"
SHARE = "Fill in the blank: “By default, the plugin uses up to ____ of the remaining half of the memory.”"
INDEX = "Fill in the blank: “With the index, the data takes 110% of the source, the index up to ____ of the source.”"
PIP = "Fill in the blank: “____ followed by one or more package names removes them.”"


@pytest.mark.parametrize("answer, question, expected, verdict", [
    ("ninety percent", SPOT, "90%", "correct"),            # percent is %: not a word the source does not use
    ("90 per cent", SPOT, "90%", "correct"),
    ("nineteen percent", SPOT, "90%", "incorrect"),
    ("10", TABS, "ten", "correct"),                        # a source's number word that fills the blank is its value
    ("5", TABS, "ten", "incorrect"),
    ("9 or 10", TABS, "ten", "partial"),                   # the value offered beside another
    ("the head method", HEAD, "head()", "correct"),        # a name asked for, written as a plain word
    ("head or first(), one of them", HEAD, "head()", "partial"),
    ("tail()", HEAD, "head()", "incorrect"),
    ("/var/lib/docker", STORE, "/var/lib/docker", "correct"),   # a path is one name
    ("/var/lib/containerd", STORE, "/var/lib/docker", "incorrect"),
    ("somewhere under /var/lib", STORE, "/var/lib/docker", "partial"),   # a folder that holds it
    ("git clone", CLONE, "git clone", "correct"),          # a command filling a blank is one name
    ("the git clone command", CLONE, "git clone", "correct"),
    ("git pull", CLONE, "git clone", "incorrect"),         # the same tool, another subcommand
    ("svn clone", CLONE, "git clone", "incorrect"),        # the same subcommand, another tool
    ("git", CLONE, "git clone", "partial"),
    ("5 minutes", TIMEOUT, "300", "correct"),
    ("300 milliseconds", TIMEOUT, "300", "incorrect"),     # the source's number in a unit the source contradicts
    ("8", REPLICAS, "8", "correct"),
    ("8 GB", REPLICAS, "8", "incorrect"),                  # the source's 8 counts replicas, not bytes
    ("256 MB", BUFFER, "268435456", "correct"),            # a bare number can be a size in bytes
    ("256 KB", BUFFER, "268435456", "incorrect"),
    ("about 200 megabytes", BUFFER, "268435456", "partial"),
    ("a few hundred", SAMPLES, "300", "partial"),           # a vague count of the number that ends the answer
    ("a few thousand", SAMPLES, "300", "incorrect"),
    ("200 something megabytes", BUFFER, "268435456", "partial"),   # a number left unfinished: 200 to 299 holds it
    ("300 something megabytes", BUFFER, "268435456", "incorrect"),  # 300 to 399 does not
    ("4 minutes or so", TIMEOUT, "300", "partial"),         # roughly, as "about"
    ("2 minutes or so", TIMEOUT, "300", "incorrect"),
    ("half", SHARE, "50%", "correct"),                     # a fraction word is the percentage it is
    ("a quarter", SHARE, "50%", "incorrect"),
    ("a tenth of the source", INDEX, "10%", "correct"),    # the asked value and the question's words: correct
    ("python -m pip uninstall", PIP, "python -m pip uninstall", "correct"),   # a command of four words is one name
    ("pip uninstall", PIP, "python -m pip uninstall", "correct"),   # the program "-m" runs, with its words
    ("python -m pip remove", PIP, "python -m pip uninstall", "incorrect"),
    ("pip remove", PIP, "python -m pip uninstall", "incorrect"),
])
def test_values_names_and_units_are_read_as_the_source_writes_them(embedder, answer, question, expected, verdict):
    assert judged(embedder, answer, question, expected)[0] == verdict


def test_a_fraction_the_question_says_itself_is_no_value(embedder):
    # "remaining half" is the question's phrase: not read as 50%, so the answer does not give the asked value
    assert answer_readings.fractions("some of the remaining half", SHARE) == "some of the remaining half"
    assert answer_readings.fractions("half, I think", SHARE) == "50%, I think"
    assert judged(embedder, "some of the remaining half", SHARE, "50%")[0] != "correct"


def test_another_count_of_what_the_source_counts_is_incorrect(embedder):
    question = "What does the service offer?"
    expected = "four storage classes: standard, infrequent, archive and deep archive"
    wrong = judged(embedder, "two storage classes: standard and archive", question, expected)
    assert wrong == ("incorrect", "the answer counts what the source counts differently")
    right = judged(embedder, "4 storage classes: standard, infrequent, archive and deep archive", question, expected)
    assert right[0] == "correct"
    assert answer_readings.counts("three data channels: train and test") == [("3", ["data", "channel"])]
    assert answer_readings.miscounts("two channels", "three data channels")
    assert not answer_readings.miscounts("3 channels", "three data channels")
    # another thing counted: no contradiction
    assert not answer_readings.miscounts("two labels", "three data channels")


def test_a_term_without_the_source_s_un_prefix_says_the_opposite(embedder):
    question, expected = "What is the isolation forest?", "an unsupervised anomaly detection algorithm"
    said = judged(embedder, "a supervised anomaly detection algorithm", question, expected)
    assert said == ("incorrect", "the answer negates what the source states")
    assert judged(embedder, "an unsupervised algorithm that detects anomalies", question, expected)[0] != "incorrect"
    assert answer_readings.opposite("an unencrypted bucket", "an encrypted bucket")
    assert not answer_readings.opposite("a unique key", "a key")   # "un" that is no prefix of a term the other text has
    # the prefix written apart or hyphenated is the word written whole, in either text
    assert not answer_readings.opposite("slightly non standard SQL", "slightly nonstandard SQL syntax")
    assert not answer_readings.opposite("a nonnegative number", "a non-negative number")
    assert answer_readings.opposite("standard SQL", "slightly non-standard SQL syntax")


def test_a_key_term_s_word_family_or_clipping_covers_it(embedder):
    question, expected = "What is DBSCAN?", "a density-based clustering algorithm"
    clipped = grading.features("a density-based clustering algo", question, expected, embedder.embed, lambda _: 1.0)
    assert clipped.coverage == 1.0 and clipped.missing == ()
    other = grading.features("a density-based clustering method", question, expected, embedder.embed, lambda _: 1.0)
    assert other.coverage < 1.0 and other.missing == ("algorithm",)
    assert answer_readings.holds(["dataset"], "data") and answer_readings.holds(["data"], "dataset")
    assert not answer_readings.holds(["art"], "artifact")   # fewer than four letters: no clipping


def test_an_answer_that_restricts_what_the_source_states_is_incorrect_a_read_only_word_is_no_restriction(api):
    pod = question(api, 2, "definition", "smallest deployable unit")
    only = check(api, 2, pod, "The smallest deployable unit you can create in Kubernetes, it runs only one container")
    assert only["verdict"] == "incorrect" and only["reason"] == "the answer restricts what the source states"
    plain = check(api, 2, pod, "The smallest deployable unit you can create in Kubernetes, runs one or more containers")
    assert plain["verdict"] == "correct" and plain["reason"] is None
    image = question(api, 1, "definition", "container image")   # the source says "read-only": no "only" of the answer
    read_only = check(api, 1, image, "a read-only template with the instructions to create a container")
    assert read_only["verdict"] == "correct" and read_only["reason"] is None


@pytest.mark.parametrize("answer, source, restricted", [
    ("Only local disk storage", "many remote storage types, including Amazon S3", True),
    ("it matches only the classic (unnamed) shadow", "used to match all shadow names", True),
    ("images for training solely", "images for training and inference", True),
    ("only one shard", "Each stream holds only the shards you create", False),   # the source restricts too
    ("a read-only template", "a template for containers", False),                 # "read-only" restricts nothing
    ("the one and only template", "a template", True),
])
def test_restricts_reads_an_exclusive_only_the_source_does_not_make(answer, source, restricted):
    assert answer_readings.restricts(answer, source) is restricted


def test_a_wrong_number_is_incorrect_also_beside_other_words_a_partly_right_one_is_scored():
    wrong = grading.Features(0.9, 0.9, -1.0, 0.0)   # "10+ foundation models" for "100+ foundation models from ..."
    assert grading.judge(wrong) == ("incorrect", "a different number or name than the source's")
    some = grading.Features(0.9, 0.9, 0.0, 0.0)     # one of the source's numbers given, another not: the score decides
    assert some.ruled() is None and grading.judge(some)[0] == grading.verdict(some)


def test_a_paraphrase_in_other_words_is_judged_by_the_token_alignment(api):
    """Few of the source's words, the same meaning: the key terms' wordpieces align with the answer's by MiniLM's
    token vectors (key_recall, BERTScore-style) where exact key-term coverage finds almost none of them."""
    compose = question(api, 1, "role", "several containers")
    said = check(api, 1, compose, "launches apps built from multiple containers using one file")
    assert said["verdict"] == "correct" and said["reason"] is None
    assert said["coverage"] < 0.3 and said["key_recall"] > 0.6
    container = question(api, 1, "definition", "runnable instance")
    said = check(api, 1, container, "a running copy of an image, kept apart from other containers and the host")
    assert said["verdict"] == "correct" and said["coverage"] < 0.3 and said["key_recall"] > 0.6
    unrelated = check(api, 1, compose, "it stores images in a registry")
    assert unrelated["verdict"] == "incorrect" and unrelated["key_recall"] < 0.5


def test_a_negation_without_its_apostrophe_and_an_aside_in_parentheses_are_read(api):
    """Issue 15g, through the API: "isnt" negates like "isn't"; an aside in parentheses neither qualifies a value nor
    lowers the answer's best clause."""
    image = question(api, 1, "definition", "container image")
    negated = check(api, 1, image, "It isnt a read-only template with the instructions for creating a container")
    assert negated["verdict"] == "incorrect" and negated["reason"] == "the answer negates what the source states"
    stated = check(api, 1, image, "It is a read-only template with the instructions for creating a container")
    assert stated["verdict"] == "correct" and stated["reason"] is None
    pods = question(api, 2, "limit", "110 Pods")
    aside = check(api, 2, pods, "110 (that is the maximum)")
    assert aside["verdict"] == "correct" and aside["reason"] is None
    qualified = check(api, 2, pods, "110 per namespace")
    assert qualified["verdict"] == "partial" and "qualified" in qualified["reason"]


def test_another_component_s_name_is_incorrect_the_source_s_own_is_not(embedder):
    """Issue 15g: a wrong answer in the source's words with one component swapped for another names what neither
    the question nor the source does (the real MiniLM model scores the rest)."""
    question, expected = "What does it support?", "custom-trained machine learning models that are stored in Amazon S3"
    swapped = judged(embedder, "custom models stored in Amazon EFS", question, expected)
    assert swapped == ("incorrect", "the answer names another component than the source's")
    assert judged(embedder, "custom trained ML models stored in Amazon S3", question, expected) == ("correct", None)


@pytest.mark.parametrize("answer, question, expected, renamed", [
    ("custom models stored in Amazon EFS", "What does it support?", "custom models stored in Amazon S3", True),
    ("store the output of the TrainingStep", "What is it for?", "store the output of steps.ProcessingStep", True),
    ("the X-Amzn-Target-Variant header", "What does it take?", "`X-Amzn-Target-Model` as a header", True),
    ("custom models kept in an s3 bucket", "What does it support?", "custom models stored in Amazon S3", False),
    ("automation and DR", "What does it cover?", "Infrastructure automation and Disaster Recovery for ML", False),
    ("training on GPUs", "What does XGBoost support?", "single-instance GPU training", False),   # a plural
    ("an API and user interface", "What is it?", "an API and UI for logging", False),          # the acronym's words
    ("Hive DDL (the CREATE TABLE statement)", "What does it do?", "generate Hive DDL commands", False),   # an aside
    ("unstructured IoT data", "What are the tools for?", "processing structured data", False),   # no name asked
])
def test_renames_reads_a_name_neither_the_question_nor_the_source_holds(answer, question, expected, renamed):
    assert answer_readings.renames(answer, question, expected) is renamed


def test_readings_of_names_negations_and_asides(embedder):
    # the digits of a name are no number; a name with digits is a name, compared without underscores
    assert answer_readings.specifics("EC2 and FR04014 and NO_2, float32") == {"ec2", "fr04014", "no2", "float32"}
    assert answer_readings.specifics("NO2 values") == {"no2"} and "3.7" in answer_readings.specifics("Python 3.7+")
    # a name written as plain words ("a processing step" for ProcessingStep)
    assert {"processingstep", "tail"} <= answer_readings.spelled("a processing step, or the tail method")
    # a negation written without its apostrophe, and one that denies its clause's subject
    expected = "only a schema shrinkage or expansion, but not a type change"
    agrees = "schema can grow or shrink, but the column types cant change"
    assert answer_readings.flipped(agrees, expected, set(answer_readings.surfaces(agrees))) is None
    states = "it supports type changes in the schema"
    assert answer_readings.flipped(states, expected, set(answer_readings.surfaces(states))) == "main"
    assert answer_readings.negated("it doesnt scale", 1) == [(0, {"scale"})]
    # an aside in parentheses neither qualifies the value nor lowers the answer's best clause
    blank = "Fill in the blank: “The maximum value you can enter is 200 and the minimum is ____.”"
    assert judged(embedder, "1 (the max is 200)", blank, "1") == ("correct", None)
    assert judged(embedder, "1 per namespace", blank, "1")[0] == "partial"


def test_a_circular_definition_is_incorrect_a_fragment_in_the_source_s_words_is_not(api):
    """Issue 15h, through the API: an answer that says one of the question's terms twice defines the term by itself
    ("a bucket is a bucket in s3"): incorrect unless it scores correct; the same words said once are a fragment."""
    image = question(api, 1, "definition", "container image")
    circular = check(api, 1, image, "a container image is the image template")
    assert circular["verdict"] == "incorrect" and circular["reason"] == "the answer defines the term by itself"
    fragment = check(api, 1, image, "a read-only template")
    assert fragment["verdict"] in ("partial", "correct") and fragment["reason"] is None


def test_a_swapped_compound_and_an_every_against_the_source_s_only_are_incorrect(embedder):
    """Issue 15h: a wrong fact in the source's words with one word swapped: a compound of the source's with another
    first part, and "every" where the source says "only" (the real MiniLM model scores the rest)."""
    question = "What is S3 Object Ownership?"
    expected = "a bucket-level setting that controls who owns uploaded objects"
    assert judged(embedder, "an account-level setting that controls who owns uploaded objects", question, expected) \
        == ("incorrect", "the answer changes a compound the source uses")
    assert judged(embedder, "a bucket-level setting to control who owns the objects uploaded", question,
                  expected)[1] is None
    question, expected = "What does predicate pushdown do?", "lets queries fetch only the blocks they need"
    assert judged(embedder, "it makes queries read every block of the file", question, expected) \
        == ("incorrect", "the answer extends to everything what the source restricts")
    assert judged(embedder, "queries fetch only the blocks they need", question, expected)[0] == "correct"


@pytest.mark.parametrize("answer, question, expected, swapped", [
    ("an account-level setting", "What is it?", "a bucket-level setting", True),
    ("two-step deployments", "What can you create?", "one-step deployments to your device", True),
    ("a bucket-level setting", "What is it?", "a bucket-level setting", False),
    ("a browser based IDE", "What is it?", "a web-based IDE", False),   # no compound in the answer
    ("a web-based IDE", "What is it?", "an IDE in the browser", False),   # none in the source
])
def test_swaps_reads_a_compound_with_another_first_part(answer, question, expected, swapped):
    assert answer_readings.swaps(answer, question, expected) is swapped


def test_a_longer_answer_needs_more_to_be_partial_and_is_more_often_correct():
    """Issue 15h: each boundary has its own weights. The answer's length weighs against "at least partial" (more said,
    more to be wrong: a short vague answer is partial) and for "correct" (a complete answer says more)."""
    short = grading.Features(0.3, 0.0, 0.0, 0.0, key_recall=0.2, length=float(np.log1p(2) / 3))
    long = grading.Features(0.3, 0.0, 0.0, 0.0, key_recall=0.2, length=float(np.log1p(12) / 3))
    assert short.score(grading.WEIGHTS) > long.score(grading.WEIGHTS)
    assert short.score(grading.CORRECT_WEIGHTS) < long.score(grading.CORRECT_WEIGHTS)
    assert grading.verdict(short) == "partial" and grading.verdict(long) == "incorrect"
    assert answer_readings.circular("a bucket is a bucket in s3", "What is a bucket?")
    assert not answer_readings.circular("a container for objects stored in S3", "What is a bucket?")


FIT = "Fill in the blank: “An estimator is an object that implements the methods ____ and `predict(T)`.”"
NOTE = "Fill in the blank: “Exceptions have a method ____ that adds a string to the exception’s notes.”"
FREEZE = "Fill in the blank: “____ lists the installed packages in the format that `pip install -r` expects.”"


@pytest.mark.parametrize("answer, question, expected, verdict", [
    # issue 15j: a call with arguments names its function; another function is a wrong name
    ("fit(X, y)", FIT, "fit(X, y)", "correct"),
    ("transform(X)", FIT, "fit(X, y)", "incorrect"),
    ("fit(X)", FIT, "fit(X, y)", "partial"),                   # the asked function without one of its arguments
    ("add_note... or was it add_notes", NOTE, "add_note(note)", "partial"),   # the name beside another
    ("add_note", NOTE, "add_note(note)", "correct"),
    ("python -m pip ... something like freeze? or list", FREEZE, "python -m pip freeze", "partial"),   # a hedge
])
def test_calls_and_hedged_alternatives_are_read_as_names(embedder, answer, question, expected, verdict):
    assert judged(embedder, answer, question, expected)[0] == verdict


def test_a_call_s_arguments_are_no_part_of_its_name():
    assert answer_readings.specifics("fit(X, y)") == {"fit"}
    assert answer_readings.specifics("transform(X)") == {"transform"}
    assert answer_readings.specifics("str.format()") == {"format"}
    assert answer_readings.specifics("a folder (like X)") == set()   # a space before the parenthesis: an aside, no call
    assert answer_readings.fewer_arguments("fit(X)", "fit(X, y)")
    assert not answer_readings.fewer_arguments("fit(X,y)", "fit(X, y)")


def test_a_negation_of_another_name_or_of_what_the_source_says_without(embedder):
    """Issue 15j: "instead of being an IAM user" negates another component, not the source's "user"; "you still need
    Kubernetes" states what the source's "without the need to learn Kubernetes" denies."""
    question = "What is a federated identity?"
    expected = "a user from your enterprise user directory or a web identity provider"
    right = "a user who signs in with credentials from an outside identity provider instead of being an IAM user"
    assert answer_readings.flipped(right, expected, set(answer_readings.surfaces(right))) is None
    assert answer_readings.flipped("a directory user, not a user", expected, {"directori", "user"}) == "part"
    question = "What is the SDK?"
    expected = "a set of Python APIs that run any workload without the need to learn Kubernetes"
    assert judged(embedder, "python apis but you still need to know kubernetes to use them", question, expected) \
        == ("incorrect", "the answer negates what the source states")
    assert judged(embedder, "Python APIs to run workloads without having to learn Kubernetes", question,
                  expected)[0] == "correct"


def test_a_question_s_name_written_as_words_is_an_echo(embedder):
    question, expected = "What is Amazon MemoryDB?", "a durable, in-memory database service with ultra-fast performance"
    assert judged(embedder, "its Amazon's memory DB", question, expected) \
        == ("incorrect", "the answer only repeats the question")
    assert answer_readings.respelled("the memory DB", set(answer_readings.terms(question))) >= {"memori", "db"}
    assert judged(embedder, "a durable in-memory database service with ultra-fast performance", question,
                  expected)[0] == "correct"


def test_a_unit_the_source_does_not_give_is_a_wrong_fact(embedder):
    """Issue 15j: "in months" measures what the source states without a unit: it says what the source does not."""
    question, expected = "What does `agepreg` contain?", "the mother's age at the end of the pregnancy"
    assert judged(embedder, "mothers age in months at the end of the pregnancy", question, expected) \
        == ("incorrect", "the answer gives a unit the source does not state")
    assert judged(embedder, "the age of the mother when the pregnancy ended", question, expected)[0] == "correct"
    assert not quantities.remeasured("the age in hours", "a timeout of 3 hours")   # the source's own kind of unit
    assert not quantities.remeasured("max() or min()", "the maximum")   # a unit only after "in", "of", "many" ...


def test_issue_15j_readings_through_the_api(api):
    """Through the API on the fixture index: a unit the source does not give is a wrong fact, the same answer without
    it is right."""
    kserve = question(api, 3, "definition", "model serving platform")
    right = check(api, 3, kserve, "a platform for serving models that runs inference services on Kubernetes")
    assert right["verdict"] == "correct" and right["reason"] is None
    timed = check(api, 3, kserve, "a platform for serving models that runs inference services on Kubernetes in "
                                  "milliseconds")
    assert timed["verdict"] == "incorrect" and timed["reason"] == "the answer gives a unit the source does not state"


VERSIONS = "Fill in the blank: “Geospatial features of the engine versions up to ____ are supported.”"
CREDENTIALS = "Fill in the blank: “By default this value is ____.”"
LIMIT = "Fill in the blank: “The hosting service has a limit of ____ GB per repository.”"
SPLIT = "Fill in the blank: “Use the indices yielded by the ____ method of the cross-validation splitter.”"


@pytest.mark.parametrize("answer, question, expected, verdict", [
    # issue 15k: the question's own bound before its blank is its words, not a vague value
    ("up to 2.3", VERSIONS, "2.1", "incorrect"),
    ("up to 2.1", VERSIONS, "2.1", "correct"),
    ("less than 2.3", VERSIONS, "2.1", "partial"),        # a bound of the answer's own holds it
    ("less than 12", TABS, "ten", "partial"),
    ("up to 12", TABS, "ten", "incorrect"),               # the question says "up to ____": 12 is the value given
    # a path in a home folder is a path, named whole
    ("~/.aws/credentials", CREDENTIALS, "~/.aws/credentials", "correct"),
    ("~/.aws/config", CREDENTIALS, "~/.aws/credentials", "incorrect"),
    # "gigs" are gigabytes; a clipping of the question's word ("repo") says nothing the question does not
    ("two gigs per repo", LIMIT, "2", "correct"),
    ("two gigs per user", LIMIT, "2", "partial"),          # qualified by what the source does not say
    ("three gigs", LIMIT, "2", "incorrect"),
    # a guess the learner takes back is not the answer ("X?? no, Y" is Y)
    ("get_n_splits?? no, split()", SPLIT, "split()", "correct"),
    ("get_n_splits", SPLIT, "split()", "incorrect"),
])
def test_issue_15k_readings(embedder, answer, question, expected, verdict):
    assert judged(embedder, answer, question, expected)[0] == verdict


def test_a_retracted_guess_and_informal_units_are_read():
    assert answer_readings.without_hedges("get_n_splits?? no, the splitting one") == "the splitting one"
    assert answer_readings.without_hedges("is it 5? no idea") == "is it 5"   # "no idea" is a hedge, not a retraction
    assert answer_readings.specifics("~/.aws/config") == {"~/.aws/config"}
    assert quantities.unit("gigs") == quantities.unit("GB") and quantities.unit("megs") == quantities.unit("MB")
    assert quantities.unit("gigabit") != quantities.unit("gigs")


def test_issue_15k_readings_through_the_api(api):
    """Through the API on the fixture index: the question's own "up to ____" is its words (the answer's "up to 120" is
    120, a wrong value; "less than 120", the answer's own bound, holds 110), and "gigs" are gigabytes."""
    pods = question(api, 2, "limit", "110 Pods")
    assert "up to ____" in pods["question"]
    assert check(api, 2, pods, "up to 110")["verdict"] == "correct"
    wrong = check(api, 2, pods, "up to 120")
    assert wrong["verdict"] == "incorrect" and wrong["reason"] == "a different number or name than the source's"
    assert check(api, 2, pods, "less than 120")["verdict"] == "partial"
    model = question(api, 3, "limit", "2 GB")
    assert check(api, 3, model, "two gigs")["verdict"] == "correct"
    assert check(api, 3, model, "three gigs")["verdict"] == "incorrect"


SQLITE = "What is the `sqlite3` module?"
SQLITE_IS = "a wrapper for the SQLite database library, accessed using a slightly nonstandard SQL syntax"
SHADOW = "Fill in the blank: “Use `import os`: this keeps ____ from shadowing the built-in `open()` function.”"
FORMAT = "Fill in the blank (“The String format() Method”): “The fields are replaced with the objects passed into " \
         "the ____ method.”"
VALIDATION = "Fill in the blank: “`parameter_validation` Disable parameter validation (default is ____, parameters " \
             "are validated).”"


@pytest.mark.parametrize("answer, question, expected, verdict", [
    # issue 15l: "non" written apart is the source's "nonstandard", not its opposite "standard"
    ("a wrapper around the SQLite library that you query with slightly non standard SQL", SQLITE, SQLITE_IS,
     "correct"),
    ("a wrapper around the SQLite library that you query with standard SQL", SQLITE, SQLITE_IS, "incorrect"),
    # the bare name the question's sentence names itself is the question's ("the built-in open()"), not os.open()
    ("os.open()", SHADOW, "os.open()", "correct"),
    ("it keeps open() from being shadowed, so the answer is open()", SHADOW, "os.open()", "incorrect"),
    # ... but a name in the question's heading only is the source's ("The String format() Method")
    ("the format() method of strings", FORMAT, "str.format()", "correct"),
    # a single word filling a blank is a name: offered beside another it is partial at most
    ("true", VALIDATION, "true", "correct"),
    ("true or false, not sure which", VALIDATION, "true", "partial"),
])
def test_issue_15l_readings(embedder, answer, question, expected, verdict):
    assert judged(embedder, answer, question, expected)[0] == verdict


def test_issue_15l_readings_of_names_and_prefixes():
    assert answer_readings.command(VALIDATION, "true") == ("true",)
    assert answer_readings.command(VALIDATION, "None") == ("none",)
    assert answer_readings.command(VALIDATION, "ten") is None and answer_readings.command(VALIDATION, "tail()") is None
    assert answer_readings.owned("open()", "os.open()", SHADOW) == {"open"}
    assert answer_readings.owned("os.open()", "os.open()", SHADOW) == set()
    assert answer_readings.owned("format()", "str.format()", FORMAT) == set()   # the heading's name is no other one


def test_issue_15l_a_one_word_name_offered_beside_another_through_the_api(api):
    """Through the API on the fixture index: the one word that fills a blank ("PendingManualApproval") given alone
    is correct, offered beside another one partial."""
    status = question(api, 3, "default", "PendingManualApproval")
    alone = check(api, 3, status, "PendingManualApproval")
    assert alone["verdict"] == "correct" and alone["reason"] is None
    offered = check(api, 3, status, "PendingManualApproval or Approved, not sure which")
    assert offered["verdict"] == "partial" and offered["reason"] == "the source's value is offered only beside others"


def test_issue_15m_saying_something_else_is_incorrect_saying_less_is_partial_through_the_api(api):
    """Through the API (the real MiniLM and the fixture index's idf): an answer that lacks the source's key terms and
    says in their place what the source does not ("a load balancer", "a virtual machine") is incorrect, one that only
    says less of it ("a controller for Pods", "an instance of an image") partial, and a right answer in other words
    correct; `replaced` is the share of the key terms lacked when something else stands in their place, 0 when the
    answer only says less."""
    deployment = question(api, 2, "definition", "identical Pods")
    less = check(api, 2, deployment, "a controller for Pods")
    assert less["verdict"] == "partial" and less["replaced"] == 0
    other = check(api, 2, deployment, "a load balancer that routes traffic to Pods")
    assert other["verdict"] == "incorrect" and other["replaced"] > 0.5
    container = question(api, 1, "definition", "runnable instance")
    less = check(api, 1, container, "an instance of an image")
    assert less["verdict"] == "partial" and less["replaced"] == 0
    other = check(api, 1, container, "a virtual machine with its own kernel")
    assert other["verdict"] == "incorrect" and other["replaced"] > 0.5
    right = check(api, 1, container, "a running copy of an image kept apart from the host and other containers")
    assert right["verdict"] == "correct"


def test_issue_15m_replaced_counts_only_what_the_source_does_not_say(embedder):
    """`replaced` is 1 - coverage when the answer adds a term neither the question nor the expected text holds (a
    word of the source's family is held: "controllers"), and 0 when every term it adds is the source's."""
    q, e = "What is a Deployment?", "a controller that manages a set of identical Pods"
    f = partial(grading.features, question=q, expected=e, embed=embedder.embed, idf=lambda _: 1.0)
    assert f("controllers managing pods").replaced == 0.0
    swapped = f("a balancer that manages pods")
    assert swapped.replaced == pytest.approx(1.0 - swapped.coverage) and swapped.replaced > 0


def test_issue_15n_the_standardised_fit_keeps_short_vague_partial_and_short_other_things_incorrect_through_the_api(api):
    """Through the API with the constants of the standardised fit (issue 15n: each signal standardised before the
    penalty): a short answer in other words that says what the source says, vaguely, is partial ("it handles pods" for
    a controller that manages Pods), short answers that say something else are incorrect ("a lightweight VM" for a
    container, a YAML file of a Service's ports for a Deployment), and a right paraphrase stays correct."""
    deployment = question(api, 2, "definition", "identical Pods")
    assert check(api, 2, deployment, "it handles pods")["verdict"] == "partial"
    assert check(api, 2, deployment, "a YAML file listing the ports of a service")["verdict"] == "incorrect"
    container = question(api, 1, "definition", "runnable instance")
    assert check(api, 1, container, "a lightweight VM")["verdict"] == "incorrect"
    assert check(api, 1, container, "a kind of process")["verdict"] == "incorrect"
    right = check(api, 1, container, "a running copy of an image kept apart from the host and other containers")
    assert right["verdict"] == "correct"


def test_issue_15n_the_fits_another_question_rule_reads_answers_of_at_least_elsewhere_terms_terms(api):
    """Issue 15n: an answer of one or two words ("a storage service") is close to many of the week's answers, so the
    rule "fits another of the week's questions better" reads only an answer that adds at least ELSEWHERE_TERMS terms to
    the question; a shorter one is left to the score. Through the API: "a controller" for a Pod is closer to the
    Deployment's answer, and the score, not the rule, judges it incorrect; the Deployment's definition given whole is
    incorrect by the rule."""
    pod = question(api, 2, "definition", "smallest deployable unit")
    short = check(api, 2, pod, "a controller")
    assert short["elsewhere"] >= grading.ELSEWHERE and short["verdict"] == "incorrect" and short["reason"] is None
    whole = check(api, 2, pod, "A controller that manages a set of identical Pods and replaces them gradually")
    assert whole["verdict"] == "incorrect"
    assert whole["reason"] == "the answer fits another of the week's questions better"
    # a short vague answer that the score rates partial stays partial however close it is to another answer; with as
    # many terms as ELSEWHERE_TERMS the rule reads it
    vague = grading.Features(0.45, 0.0, 0.0, 0.3, key_recall=0.4, length=float(np.log1p(2) / 3), added=2)
    assert grading.ELSEWHERE_TERMS > 2 and grading.judge(vague) == ("partial", None)
    longer = dataclasses.replace(vague, added=grading.ELSEWHERE_TERMS)
    assert grading.judge(longer) == ("incorrect", "the answer fits another of the week's questions better")
