"""Tests for what kind of answer a question asks for (vectorstore/question_asks.py), whether passages state it
(vectorstore/passage_facts.py) and the values code and configuration set (vectorstore/code_values.py)."""
from __future__ import annotations

import pytest

from vectorstore.code_values import settings
from vectorstore.passage_facts import cooccurrence, counts, evidence, has_fact, support
from vectorstore.question_asks import (
    KINDS,
    checked_as,
    counted,
    detect,
    fact_terms,
    key_terms,
    qualifiers,
    unknown_names,
)


def has_evidence(kind: str, terms, texts, asks: tuple[str, ...] = ()) -> bool:
    """The passages state a fact of `kind` (meeting `asks`) with at least half of the key terms in its sentence."""
    return evidence(kind, terms, texts, asks) >= 0.5



@pytest.mark.parametrize("question, kind", [
    ("How much does a Glue crawler run cost per hour?", "price"),
    ("What's the price per terabyte scanned?", "price"),
    ("Is there a fee for cross-region replication?", "price"),
    ("How long can a notebook session run before it stops?", "duration"),
    ("How many hours of GPU time do I get per day?", "duration"),
    ("What's the default timeout of the client?", "duration"),
    ("How often can a monitoring job be scheduled?", "duration"),
    ("When was the feature store retired?", "date"),
    ("In what year did the project start?", "date"),
    ("When does support for the old runtime end?", "date"),
    ("Which Python version first shipped the match statement?", "version"),
    ("What is the minimum supported version of the SDK?", "version"),
    ("How many dimensions can a vector have?", "number"),
    ("What is the maximum payload size per request?", "number"),
    ("Is there a limit on the number of tags per resource?", "number"),
    ("How do I install the package offline?", "howto"),
    ("In a pipeline, how can one step wait for another?", "howto"),
    ("What's the recommended way to save a trained model?", "howto"),
    ("What is a feature store?", "definition"),
    ("What does idempotent mean?", "definition"),
    ("What's the difference between a client and a resource?", "definition"),
    ("Which service stores container images?", "name"),
    ("What learning algorithm does the service use for multiclass targets?", "name"),
    ("Can I run GPU workloads on Fargate?", "yesno"),
    ("Does deleting a versioned object remove its data?", "yesno"),
    ("Why would Parquet make queries faster?", "other"),
    # asking for an amount vs only mentioning money
    ("What does the managed service charge per GB scanned?", "price"),
    ("How much would an hour of a small notebook instance cost me?", "price"),
    ("What's the hourly price of a GPU instance?", "price"),
    ("How do I keep costs down when training large models?", "howto"),
    ("Which features help reduce inference costs?", "name"),
    ("Can I route device data without paying messaging charges?", "yesno"),
    ("What starts costing money once my team opens the studio?", "other"),
    ("How much cheaper is batch inference than on-demand?", "number"),
    # superlatives ask for a number, support ending asks for a date
    ("What's the largest request payload an endpoint accepts?", "number"),
    ("How can I roll per-minute readings up into a monthly maximum with pandas?", "howto"),
    ("How do I split a big input file into requests, and what's the size cap per request?", "number"),
    ("Per hour, what would I pay to train on a GPU instance?", "price"),
    ("What limit is there on simultaneously running workflows?", "number"),
    ("What's the most models I can load onto one endpoint?", "number"),
    # a comparison asked without an amount
    ("Is the query engine faster or slower than the warehouse for the same query?", "comparison"),
    ("Which is cheaper for a low-traffic model: a serverless endpoint or a function?", "comparison"),
    ("How do I make my queries faster than before?", "howto"),
    ("When does version 1 of the SDK stop being supported?", "date"),
    # a date asked by what it marks, an age; a share asked by name; whether a bound takes an amount; a dollar
    # figure; a delay's size (and what stays as it was)
    ("Quick one: what was the project's first release year?", "date"),
    ("What's the end-of-sale date for the old device?", "date"),
    ("How old is the workflow engine?", "date"),
    ("What date format does the parser expect?", "name"),
    ("What error-rate percentage triggers a rollback?", "number"),
    ("What share of requests hit the cache?", "number"),
    ("We have 40 teams - does the account allow that many workspaces?", "number"),
    ("Rough dollar figure for a month of streaming ingest?", "price"),
    ("Typical latency when the function starts cold?", "duration"),
    # a rate is a price only with a money word before it; a learning, error or sampling rate, or a rate limit, is not
    ("What's the hourly rate of a GPU notebook?", "price"),
    ("What rate per hour does a GPU notebook cost?", "price"),
    ("What is the error rate threshold for a rollback?", "number"),
    ("What is the sampling rate of the profiler?", "number"),
    ("What is the rate limit of the API?", "number"),
])
def test_detect(question, kind):
    assert detect(question) == kind


def test_detect_always_names_a_known_kind():
    for q in ("", "?", "week 3", "tell me everything", "¿Qué es MLOps?"):
        assert detect(q) in KINDS


def test_key_terms_drop_the_words_that_only_name_the_kind():
    terms = key_terms("How much does a Glue crawler run cost per hour?")
    assert "glue" in terms and "crawler" in terms
    assert "cost" not in terms and "much" not in terms
    assert key_terms("version?")  # a question of nothing but asking words keeps them rather than none


PRICING = ("AWS Glue crawlers discover the schema of your data. "
           "Crawlers are billed at $0.44 per DPU-hour, with a 10-minute minimum per crawler run.")
CRAWLER_ONLY = ("AWS Glue crawlers discover the schema of your data and write tables to the Data Catalog. "
                "A crawler can run on demand or on a schedule.")


@pytest.mark.parametrize("kind, question, present, absent", [
    ("price", "How much does a Glue crawler run cost?", PRICING, CRAWLER_ONLY),
    ("duration", "How long does a shard iterator stay valid?",
     "A shard iterator expires 5 minutes after it is returned to you.",
     "A shard iterator specifies the position in the shard from which to start reading."),
    ("date", "When was Edge Manager discontinued?",
     "Edge Manager was discontinued on April 26, 2024; see the migration guide.",
     "Edge Manager optimizes, secures, monitors and maintains models on fleets of edge devices."),
    ("version", "Which Python version added the match statement?",
     "The match statement was added in Python 3.10 along with structural pattern matching.",
     "The match statement compares a subject value against one or more case patterns."),
    ("number", "How many dimensions can a vector field have?",
     "A vector field supports up to 16,000 dimensions in a serverless collection.",
     "A vector field stores embeddings; choose dimensions that match your model."),
    ("name", "Which service stores container images?",
     "Container images are stored in Amazon ECR, a managed registry.",
     "container images are stored and pulled when tasks start."),
])
def test_evidence_both_ways(kind, question, present, absent):
    """The fact of the asked kind near the key terms counts; the same topic without the fact does not."""
    assert detect(question) == kind
    terms = key_terms(question)
    assert has_evidence(kind, terms, [absent, present])
    assert not has_evidence(kind, terms, [absent])
    assert evidence(kind, terms, [absent]) == 0.0


def test_a_fact_far_from_the_key_terms_is_not_evidence():
    """A price in another paragraph, about something else, does not answer what a crawler run costs."""
    text = (CRAWLER_ONLY + "\n\nStorage:\nThe first million objects stored are free; "
            "after that $1.00 per 100,000 objects.")
    assert not has_evidence("price", key_terms("How much does a Glue crawler run cost?"), [text])


def test_evidence_weights_and_kinds_without_a_fact_of_their_own():
    weights = {"crawler": 3.0, "glue": 1.0, "spark": 1.0}
    assert evidence("price", weights, [PRICING]) == pytest.approx(0.6)  # "Glue" is in another sentence
    assert has_evidence("howto", ["crawler", "schedul"], [CRAWLER_ONLY])
    assert not has_evidence("howto", ["kubernetes", "helm"], [CRAWLER_ONLY])
    assert has_evidence("price", [], [PRICING]) and not has_evidence("price", [], [CRAWLER_ONLY])
    with pytest.raises(ValueError, match="unknown answer kind"):
        evidence("colour", ["x"], ["text"])


def test_has_fact_on_single_sentences():
    assert has_fact("price", "It costs $3 per month.") and not has_fact("price", "It costs little.")
    assert has_fact("version", "Requires boto3 v1.26.0 or later.") and not has_fact("version", "Use the new SDK.")
    assert has_fact("date", "Released in March 2023.") and not has_fact("date", "Released recently.")
    assert has_fact("yesno", "Anything at all.")


def test_the_fact_must_be_in_a_sentence_with_the_subject_or_under_its_heading():
    """A price in the same passage but in a sentence about something else is not the asked fact; the chunk's
    heading line names the subject of every sentence under it."""
    mixed = ("Glue crawlers discover the schema of your data and write tables to the catalog. "
             "Storage of the first million objects is free; after that it is $1.00 per 100,000 objects.")
    question = "How much does a Glue crawler cost?"
    assert not has_evidence("price", key_terms(question), [mixed])
    headed = "AWS Glue pricing > Crawlers\n\nYou pay $0.44 per DPU-hour, billed per second."
    assert has_evidence("price", key_terms(question), [headed])


@pytest.mark.parametrize("question, asks", [
    ("What's the default timeout of the client?", ("default",)),
    ("What cooldown does auto scaling use if I don't set one?", ("default",)),
    ("How much faster is training on GPUs than on CPUs?", ("compare",)),
    ("How long does a shard iterator stay valid?", ()),
    ("What's the maximum number of nodes a node group can have?", ("limit",)),
    ("Which release first shipped the venv module?", ("origin",)),
    ("When does version 1 of the SDK stop being supported?", ("end",)),
    # the words alone, not asking for a limit, an origin or an end
    ("What's the minimum compute I'm billed for once I create my first collection?", ("limit",)),
    ("What's the passing score and price of the exam at the end of the course?", ()),
])
def test_qualifiers(question, asks):
    assert qualifiers(question) == asks


def test_a_default_question_needs_a_sentence_that_states_the_default():
    question = "What's the default timeout of the client?"
    kind, asks = detect(question), qualifiers(question)
    stated = "By default the client's requests time out after 10 minutes."
    other = "You can set the timeout to 20 seconds with the timeout option of the client."
    assert has_evidence(kind, key_terms(question), [other, stated], asks=asks)
    assert not has_evidence(kind, key_terms(question), [other], asks=asks)
    assert has_evidence(kind, key_terms(question), [other])  # without the qualifier any timeout would do
    with pytest.raises(ValueError, match="unknown qualifier"):
        evidence(kind, ["timeout"], [stated], asks=("colour",))


def test_a_comparison_question_needs_a_sentence_that_compares():
    question = "How much faster is XGBoost training on GPU instances than on CPU instances?"
    asks = qualifiers(question)
    assert detect(question) == "number" and asks == ("compare",)
    compares = "XGBoost on GPU instances trains up to 10x faster than on CPU instances."
    assert has_evidence("number", key_terms(question), [compares], asks=asks)
    assert not has_evidence("number", key_terms(question), ["XGBoost supports GPU instances with 4 GPUs each."],
                            asks=asks)


def test_support_weights_the_subject_by_idf():
    """The rare subject words count most: a sentence with the price and the common words but not the subject
    is weak evidence; `support` detects the kind and skips kinds without a fact of their own."""
    question = "How much does a Glue crawler run cost?"
    idf = {"glue": 5.0, "crawler": 5.0, "run": 0.5}.get
    text = ["Each run costs $0.44 per hour."]
    kind, share = support(question, text, lambda t: idf(t) or 1.0)
    assert kind == "price" and share == pytest.approx(0.5 / 10.5)
    assert support(question, text)[1] == pytest.approx(1 / 3)
    # a how-to has no fact of its own: its evidence is its key terms found together (none of them here)
    assert support("How do I start a crawler?", text) == ("howto", 0.0)


@pytest.mark.parametrize("question, stated, unstated", [
    ("Which MLflow release introduced the model registry?",
     "The model registry was introduced in MLflow 1.2 as a central model store.",
     "When a new model is added to the model registry, it is added as version 1."),
    ("What's the maximum number of nodes a managed node group can have?",
     "A managed node group can have at most 450 nodes.",
     "If draining a node of a managed node group takes more than 15 minutes, the node is terminated."),
    ("When will the legacy SDK version 1 be deprecated?",
     "Version 1 of the legacy SDK is deprecated as of June 2025.",
     "Version 1 of the legacy SDK was released in March 2019."),
])
def test_qualified_facts_both_ways(question, stated, unstated):
    """An origin, a limit or an end asked for needs a sentence that states one, not any fact of the kind."""
    kind, asks = detect(question), qualifiers(question)
    assert asks
    assert has_evidence(kind, key_terms(question), [unstated, stated], asks=asks)
    assert not has_evidence(kind, key_terms(question), [unstated], asks=asks)


def test_numbers_inside_addresses_and_versions_are_not_quantities():
    assert not has_fact("number", "Open http://127.0.0.1:5000 in your browser.")
    assert not has_fact("number", "Requires Python 3.10 in a virtual environment.")
    assert has_fact("number", "The server needs 4 GiB of memory.") and has_fact("number", "Trains 10x faster.")
    assert has_fact("number", "Batch costs about half the on-demand price.")


def test_a_comparison_needs_a_sentence_that_compares_the_two():
    question = "Is the query engine faster than the warehouse for the same query?"
    assert detect(question) == "comparison"
    compares = "For the same query, the query engine is up to 3x faster than the warehouse."
    describes = "The query engine runs SQL on files in the warehouse's buckets without loading them."
    assert support(question, [describes, compares])[1] == pytest.approx(1.0)
    assert support(question, [describes])[1] == 0.0


@pytest.mark.parametrize("question, noun", [
    ("How many named shadows can a single thing have?", "shadow"),
    ("What's the maximum number of GPUs a training job can use?", "gpus"),
    ("How many documents can a knowledge base hold?", "document"),
    ("What's the most models I can load onto one endpoint?", "model"),
    ("How many times does the client retry a failed request?", None),  # any count answers
    ("What's the minimum compute I'm billed for?", None),              # a mass noun, not a count
    ("What's the price per GB?", None),
])
def test_counted_names_what_a_number_question_counts(question, noun):
    assert counted(question) == noun


def test_a_count_question_needs_a_number_of_the_counted_thing():
    """"How many GPUs" is not answered by a number of training jobs in a sentence about the same subject, nor "how
    much RAM" by a count of experiments; it is by a number next to the counted noun or an amount in bytes."""
    gpus = "What's the maximum number of GPUs a SageMaker training job can use?"
    other = "A SageMaker tuning job creates up to 100 training jobs, running at most 10 at a time."
    stated = "A SageMaker training job can use at most 8 GPUs per instance."
    assert support(gpus, [other])[1] == 0.0
    assert support(gpus, [other, stated])[1] == pytest.approx(1.0)
    ram = "How much RAM does an MLflow tracking server need?"
    assert support(ram, ["An MLflow tracking server keeps up to 100 experiments."])[1] == 0.0
    assert support(ram, ["An MLflow tracking server needs about 2 GB of RAM."])[1] == pytest.approx(1.0)
    assert counts("It holds 4 GiB of graphs.", counted(ram)) and not counts("It holds many graphs.", counted(ram))


@pytest.mark.parametrize("question", [
    "Before scaling, how should I figure out how many requests per second one instance can take?",
    "How do I estimate how much storage my log domain needs?",
    "How can I find out how long cold starts take on my endpoint?",
])
def test_a_method_of_finding_a_quantity_is_a_how_to(question):
    """Asking how to find a number is answered by a method, so no number needs to be stated (no evidence gate)."""
    assert detect(question) == "howto"
    # (a how-to's evidence is its key terms together, `cooccurrence`: a method with none of them has none)
    assert support(question, ["Run a load test and watch the latency."]) == ("howto", 0.0)


def test_unknown_names_are_the_names_no_passage_mentions():
    known = {"sagemak", "kserv", "pod", "gpu"}.__contains__
    question = "Can I trigger KServe from Prefect or CircleCI, on a GPU with a T4, in SageMaker?"
    assert unknown_names(question, known) == ["Prefect", "CircleCI", "T4"]
    assert unknown_names("Prefect is what?", known) == []  # a sentence's first word is no name by its capital
    assert unknown_names("How do I list my Pods?", known) == []


@pytest.mark.parametrize("question, kind", [
    ("Which environment variable points boto3 at a file other than the default one?", "name"),
    ("Which pandas call shows the number of rows and how many values are missing?", "name"),
    ("The tutorial: which dataset was the model trained on?", "name"),
    ("Is Athena faster than Redshift Spectrum?", "comparison"),
])
def test_the_opening_wh_phrase_names_the_kind(question, kind):
    assert detect(question) == kind


def test_a_stated_bound_and_a_superlative_asked():
    """"Up to which version": "1.8.0 or earlier" states the bound; "the largest object" asks a limit whose subject is
    the object, not the word "largest"; "what value goes in the field" may be a name, so no number is required."""
    question = "Up to which MXNet version can Neo compile models?"
    assert detect(question) == "version" and "limit" in qualifiers(question)
    row = "Neo frameworks > Cloud\n\nMXNet | 1.8.0 | Supports 1.8.0 or earlier | Image Classification"
    assert support(question, [row])[1] == pytest.approx(0.5)  # MXNet and Neo of MXNet, Neo, compile, models
    assert support(question, ["Neo frameworks > Cloud\n\nMXNet | 1.8.0 | Image Classification"])[1] == 0.0
    assert "largest" not in key_terms("What's the largest object I can store in S3?")
    assert detect("What value goes in the container's mode field?") != "number"


# ---------------------------------------------------------------- issue 9: answerable questions refused by a false gap
@pytest.mark.parametrize("question, kind", [
    # asking how to set or show an amount is a how-to, not a request for the amount
    ("How do I make a pipeline reuse a step's output, and how do I set how long that stays valid?", "howto"),
    ("Can I set how often checkpoints get written through the SDK, or is that up to my code?", "howto"),
    ("How do I count how many rows belong to each category in one column?", "howto"),
    ("How long does a cached step stay valid?", "duration"),           # the amount itself is still asked
    ("How many rows does the sample table have?", "number"),
    # "is there a <thing> that ..." asks for the thing; "is there a limit/fee" still asks for the amount
    ("Is there a runtime call that tells me how many tokens a request will use?", "name"),
    ("Is there a one-call summary of a table that shows how much memory it takes?", "name"),
    ("Is there a limit on the number of tags per resource?", "number"),
    ("Is there a fee for cross-region replication?", "price"),
    # a bound on an amount or a stated preference is no comparison asked; comparing two things still is
    ("I need download links that stay usable for more than a week. What do the docs tell me to change?", "other"),
    ("I'd rather write my pipelines in Python than YAML. What do the docs point me to?", "other"),
    ("Does the serving layer answer faster than a managed real-time endpoint?", "comparison"),
    # "the most <things>" counts them; "the most <adjective> ..." does not
    ("What's the most chunks the retrieve call can return in one response?", "number"),
    ("What's the most popular tool for tracking experiments?", "other"),
])
def test_detect_what_is_really_asked(question, kind):
    assert detect(question) == kind


@pytest.mark.parametrize("kind, stated, unstated", [
    # amounts written in words
    ("number", "You need about a year of coding experience, preferably in Python.",
     "You need some coding experience, preferably in Python."),
    ("duration", "In less than a year the tool was close to deployment.",
     "In the end the tool was close to deployment."),
    # a limit named before its value
    ("number", "Maximum length of 2048.", "Maximum length depends on the model."),
    ("number", "Scoring | scaled score from 100 to 1,000; minimum passing score 750",
     "Scoring | reported as a scaled score; pass or fail"),
    # version bounds written with the number (and not a decimal amount)
    ("version", "Requires Python 3.9 or later.", "Requires a recent Python."),
    ("version", "The openai package supports Python 3.10+ and PyPy.", "The openai package supports current Pythons."),
    ("version", "Install langchain-core>=0.3.20 first.", "Install langchain-core first."),
    ("version", "It supports legacy Elasticsearch OSS (up to 7.10, the final open source version).",
     "A single shard can ingest up to 1.5 MB of data per second."),
    ("version", "The framework image is tagged 1.0-1 for this release.", "The framework image is tagged latest."),
])
def test_facts_written_in_general_forms(kind, stated, unstated):
    assert has_fact(kind, stated)
    assert not has_fact(kind, unstated)


def test_vague_amounts_state_no_number():
    """"Multiple" or "one or more" answers no "how many"; a number of the counted thing does."""
    question = "How many named shadows can a thing have?"
    assert support(question, ["A thing can have multiple named shadows, and one or more devices."])[1] == 0.0
    assert support(question, ["A thing can have up to 10 named shadows."])[1] == pytest.approx(1.0)


def test_a_number_for_something_else_does_not_count_the_noun():
    """"The limit is 65535 for Fargate pods" is a limit of open files, for pods; "up to 100 buckets" counts buckets."""
    pods = counted("How many pods can a single profile schedule at most?")
    assert pods == "pod"
    assert not counts("The default soft limit is 1024 and the hard limit is 65535 for Fargate Pods.", pods)
    assert counts("A profile can schedule up to 100 pods.", pods)
    assert counts("Pods per profile: 100.", pods)


def test_a_limit_stated_as_not_greater_than_meets_the_limit_qualifier():
    question = "What's the size cap per request of a batch transform?"
    assert detect(question) == "number" and qualifiers(question) == ("limit",)
    capped = "Batch transform > Requests\n\nThe payload per request must not be greater than 100 MB."
    merely = "Batch transform > Requests\n\nA typical payload per request carries 6 MB of records."
    assert support(question, [capped])[1] == pytest.approx(1.0)
    assert support(question, [merely])[1] == 0.0


def test_the_words_that_only_ask_are_not_key_terms():
    """A ceiling, cap or quota, how quickly or how often, "don't" or "anything" name no subject."""
    terms = key_terms("What is the shared concurrency ceiling across every serverless endpoint?")
    assert "ceil" not in terms and "concurr" in terms and "serverless" in terms
    assert not {"quick", "often", "don", "anyth"} & set(
        key_terms("How quickly and how often do streams keep records if I don't change anything?"))


def test_a_sentence_that_refers_back_is_read_with_the_one_before():
    """"This mode defaults ..." states the fact about the subject of the sentence before; a sentence that names its
    own subject is read alone, so another subject's sentence before it lends it nothing."""
    question = "In the standard retry mode, how many attempts does each call get?"
    refers = ("The standard retry mode adds throttling protection to the retries. "
              "This mode allows a maximum of 3 attempts per call.")
    own = ("The standard retry mode adds throttling protection to the retries. "
           "Legacy clients allow a maximum of 5 attempts per call.")
    assert support(question, [refers])[1] == pytest.approx(1.0)
    assert support(question, [own])[1] < 0.5


@pytest.mark.parametrize("question, kind", [
    # the asked fact named as a noun phrase, with no wh-word to decide it
    ("Year the pandas project first shipped a stable release?", "date"),
    ("notebook service: date it went generally available?", "date"),
    ("minimum number of brokers in a streaming cluster?", "number"),
    ("Default number of retries for a failed step?", "number"),
    ("Number of shards a stream starts with?", "number"),
    ("default number of days logs are retained?", "duration"),
    ("What do GPU notebook instances run me per hour?", "price"),
    ("What does encryption add to my bill for each bucket?", "price"),
    ("Replication charge - how much per gigabyte?", "price"),
    ("What recovery point objective does the managed database offer?", "duration"),
    ("which python sdk client release added async support for jobs?", "version"),
    ("Is there an upper bound on tags per resource?", "number"),
    ("Is there a cap on concurrent queries?", "number"),
    # a default value asked by what it is
    ("If I leave the batch size out of the call, what value does it use?", "number"),
    ("what temperature gets applied when the request omits it?", "number"),
    # ... and not: the same words in other questions
    ("How do I stop after a fixed total number of results?", "howto"),
    ("Is there downtime when I add a model to the endpoint?", "yesno"),
    ("Which tokenizer does the library use by default?", "name"),
    ("What is the difference between the two versions of the API?", "definition"),
    ("Year-over-year growth charts in matplotlib: how do I draw them?", "howto"),
    ("How much per-request logging should I keep?", "number"),
])
def test_detect_the_asked_noun_phrase(question, kind):
    assert detect(question) == kind


@pytest.mark.parametrize("question, asks", [
    # a default asked by leaving the setting out
    ("what region gets used when my client leaves it out?", ("default",)),
    ("with no timeout set, how long does the call wait?", ("default",)),
    ("Is there an upper bound on rows per table?", ("limit",)),
    # the default as what a value is compared with, and "is there a longer one than ...", ask no default or
    # comparison of the fact
    ("cache TTL options: is there a longer one than the default?", ()),
    ("Is the new cache TTL longer than the default?", ("compare",)),
])
def test_qualifiers_of_a_noun_phrase_question(question, asks):
    assert qualifiers(question) == asks


@pytest.mark.parametrize("kind, stated, unstated", [
    # a count with a plus, a count per something, a default named before its value
    ("number", "The service offers 100+ models from several providers.", "The service offers models from providers."),
    ("number", "Each account has one catalog per region.", "Each account has a catalog in its region."),
    ("number", "The temperature defaults to 1.0.", "The temperature has a default."),
])
def test_facts_written_as_counts_and_defaults(kind, stated, unstated):
    assert has_fact(kind, stated)
    assert not has_fact(kind, unstated)


@pytest.mark.parametrize("question, stated, unstated", [
    ("Roughly how many models can I choose from in the catalog service?",
     "The catalog service supports 100+ models from leading providers.",
     "The catalog service supports models from leading providers."),
    ("How many data catalogs does one account get?",
     "Each account has one data catalog per region.",
     "An account keeps its tables in a data catalog."),
    ("serving mode: minimum cert manager version?",
     "The minimally required cert manager version is 1.15.0.",
     "Cert manager 1.16.0 was used in our examples."),
    ("What does the key service add to the bill for each training job?",
     "The key service charges $1 per key per month for each training job.",
     "The key service encrypts the volumes of each training job."),
    ("default number of days a channel keeps raw data?",
     "By default a channel keeps raw data for 30 days.",
     "A channel keeps raw data until you delete it."),
    ("cache TTL options: is there a longer one than the default?",
     "The cache now supports a 1-hour TTL option.",
     "The cache TTL option can be set per request."),
])
def test_noun_phrase_questions_need_their_fact_both_ways(question, stated, unstated):
    """The kind read from the asked noun phrase is checked like a wh-question's: its fact answers, the topic alone
    does not."""
    kind, share = support(question, [stated])
    assert kind in ("number", "version", "price", "duration")
    assert share is not None and share >= 0.5
    assert support(question, [unstated])[1] == 0.0


@pytest.mark.parametrize("question, kind", [
    # a reason asked, whatever its clause compares
    ("why do glue jobs start up faster than I'd expect for spark?", "other"),
    # "how long" of a piece of text asks its length
    ("How long is a knowledge base ID supposed to be when I pass it to the call?", "number"),
    ("how long a model ID or ARN string will the API accept?", "number"),
    ("How long does a shard iterator stay valid?", "duration"),
    # a named thing asked after a clause
    ("With a paginator, which setting caps the overall number of items I get?", "name"),
    # telegraphic and indirect price, version, duration and number questions
    ("Cost of serverless inference for each GB-second?", "price"),
    ("What does the compiler service charge to compile one model?", "price"),
    ("Does the service bill me for token-count calls, and if so how much per call?", "price"),
    ("What's the newest version of the edge runtime?", "version"),
    ("How do I install the newest version of the edge runtime?", "howto"),
    ("Fargate pods: typical boot time in seconds?", "duration"),
    ("Max notebook instances per account: is there a number?", "number"),
])
def test_detect_the_forms_behind_false_gaps_and_missed_checks(question, kind):
    assert detect(question) == kind


@pytest.mark.parametrize("question, stated, unstated", [
    # an end ("before it stops") asked of a duration is the duration itself, no retirement date
    ("How long can I keep a GPU session running in the free lab before it stops my work?",
     "Free lab > Compute\n\nA GPU session in the free lab keeps running for up to 4 hours.",
     "Free lab > Compute\n\nA GPU session in the free lab keeps running until you stop it."),
    # two values side by side make the comparison asked
    ("How much GPU time do I get per session in the lab, compared with the CPU option?",
     "Lab > Compute\n\nA session runs for up to 12 hours on CPU and 4 hours on GPU.",
     "Lab > Compute\n\nA GPU session runs for up to 4 hours."),
    # a hyphenated count
    ("How many digits does the lab's verification code have?",
     "Enter the 6-digit verification code the lab sends to your phone.",
     "Enter the verification code the lab sends to your phone."),
    # an API parameter's fact line read with its name
    ("How long is a knowledge base ID supposed to be?",
     "Retrieve\n\n`knowledgeBaseId`\n  The unique identifier.\n  Length Constraints: Minimum length of 10.",
     "Retrieve\n\n`dataSourceId`\n  The unique identifier.\n  Length Constraints: Minimum length of 10."),
    # a share asked needs a share
    ("By what percentage does profiling slow a training job down?",
     "Profiling slows a training job down by about 5%.",
     "Profiling a training job takes 5 minutes to set up."),
])
def test_the_asked_fact_found_and_its_absence_a_gap(question, stated, unstated):
    kind, share = support(question, [stated])
    assert kind in ("number", "duration") and share is not None and share >= 0.5
    assert support(question, [unstated])[1] < 0.34


def test_a_number_with_a_noun_of_its_own_counts_that_noun():
    """"(including partition keys) or 1,000 records" counts records; "partitions per table: 100" counts partitions."""
    partitions = counted("What's the maximum number of partitions a single table can have?")
    assert partitions == "partit"
    assert not counts("A shard ingests up to 1 MB per second (including partition keys) or 1,000 records per second.",
                      partitions)
    assert counts("A table can have partitions up to 100 per table.", partitions)
    assert counts("Each table holds 100 partitions.", partitions)


@pytest.mark.parametrize("question, kind", [
    # a count asked as a command is a way of getting it shown, not the number
    ("Tally how many rows each label has in my dataframe?", "howto"),
    ("Show how many objects sit in each prefix of the bucket", "howto"),
    ("How many rows can a dataframe hold?", "number"),
    # two things side by side with nothing to compare them by ask what each is, like "the difference between"
    ("What is a feature group versus a feature store?", "definition"),
    ("kubernetes in short, what runs on the control plane vs what runs on a node?", "definition"),
    # ... while a comparative, a "which one wins" or a "than" still asks for a comparison
    ("Spot vs on-demand training: which one is cheaper?", "comparison"),
    ("Spot vs on-demand training, which one wins for long jobs?", "comparison"),
    ("Is spot training faster than on-demand?", "comparison"),
    # a bound named by a noun of its own, or the most of a plural, after a label
    ("Limits question: ceiling on rules per topic?", "number"),
    ("Stream quota: cap on consumers per shard?", "number"),
    ("Pipeline quota: most steps allowed in one run?", "number"),
    ("Pipelines: most popular way to trigger a run?", "name"),
])
def test_detect_the_forms_a_new_writer_used(question, kind):
    if kind == "name":  # "the most popular" is no count: whatever else it is, it is not a number
        assert detect(question) != "number"
    else:
        assert detect(question) == kind


def test_a_compound_written_closed_in_the_question_and_open_on_the_page():
    """"autoscaling" in the question, "auto scaling" on the page: the page still states the subject's value."""
    question = "Endpoint autoscaling: smallest instance count I can set?"
    fact = "You can set a minimum of 1 instance and a maximum of 4 instances."
    stated, unstated = f"Endpoint auto scaling > Prerequisites\n\n{fact}", f"Endpoint load testing > Setup\n\n{fact}"
    kind, share = support(question, [stated])
    assert kind == "number" and share is not None and share >= 0.5
    low = support(question, [unstated])[1]
    assert low is not None and low < share
    assert evidence("number", ["autosc"], ["Auto scaling keeps 2 instances."]) == 1.0
    assert evidence("number", ["autosc"], ["Load testing keeps 2 instances."]) == 0.0


@pytest.mark.parametrize("question, kind", [
    # a name written with a capital is no comparative, though it ends in -er ("Cluster Autoscaler", "Docker"): two
    # names side by side with a question of their own ask that question, not which one is more
    ("Karpenter vs Cluster Autoscaler — does EKS support both for scaling nodes?", "definition"),
    ("Docker vs Podman: what does each one run?", "definition"),
    ("Spot vs on-demand training: which one is cheaper?", "comparison"),   # a lower-case comparative still compares
    # a yes/no question offering two things and a comparative asks which one is more
    ("is athena or spectrum quicker for big parquet scans?", "comparison"),
    ("Are pandas or polars better for large CSV files?", "comparison"),
    ("Is athena or spectrum available in my region?", "yesno"),          # no comparative: yes or no
    # the price of a unit asked bare
    ("kinesis on-demand mode: how much per GB ingested?", "price"),
    ("How much per hour does an instance cost?", "price"),
    ("How much memory does an instance have?", "number"),                # an amount of something, no price
    # a telegraphic question opening on the time it asks for
    ("Typical GPU-hours to fit a linear learner on 10 GB?", "duration"),
    ("Minutes needed for a cold start of a serverless endpoint?", "duration"),
    ("Hours of video I can upload for free?", "duration"),
    ("Days since the last deploy: where are they shown?", "other"),        # the unit names no asked time
])
def test_detect_the_forms_the_sixth_writer_used(question, kind):
    assert detect(question) == kind


@pytest.mark.parametrize("question, stated, unstated", [
    ("is athena or spectrum quicker for big parquet scans?",
     "Athena scans Parquet files faster than Spectrum does for wide tables.",
     "Athena scans Parquet files stored in S3. Spectrum scans Parquet files too."),
    ("kinesis on-demand mode: how much per GB ingested?",
     "Kinesis on-demand mode charges $0.08 per GB of data ingested.",
     "Kinesis on-demand mode scales with the data ingested, per GB."),
    ("Typical GPU-hours to fit a linear learner on 10 GB?",
     "Fitting the linear learner on 10 GB takes about 2 hours on one GPU.",
     "The linear learner fits on GPU instances for 10 GB datasets."),
])
def test_the_sixth_writers_forms_need_their_fact_both_ways(question, stated, unstated):
    kind, share = support(question, [stated])
    assert share is not None and share >= 0.5, (kind, share)
    low = support(question, [unstated])[1]
    assert low is not None and low < 0.34, (kind, low)


# The asked fact noun (issue 9y3): a question no syntactic pattern decides still names the fact it wants by a noun in
# asking position; a noun that is only mentioned leaves it what it was.
@pytest.mark.parametrize("question, kind", [
    # the head of a bare noun phrase, the last clause first
    ("Glue crawler billing: price tag per run?", "price"),
    ("load balancer: hourly fee?", "price"),
    ("crawler runs: cost if I schedule one every hour?", "price"),
    ("storage tier - dollar rate per gigabyte each month?", "price"),      # a rate in a currency is a price
    ("Lambda default concurrency ceiling per region?", "number"),
    ("Kinesis shard throughput, records each second?", "number"),          # the clause before a bare unit
    ("first boto3 build shipping the paginator helper?", "version"),      # a noun then a participle ends the phrase
    # the noun a what/which governs, or the fact a what-clause ends on
    ("streaming notes, which calendar year did the service first launch?", "date"),
    ("studio notebooks - what startup time are they designed for?", "duration"),
    ("what will a small cluster run per day in dollars?", "price"),
    ("what does the hardcover sell for?", "price"),                         # not "what is X?"
    ("what's the dollar rental per month for one key?", "price"),
    # a yes/no or a which-one-is-more clause after a topic or a place
    ("on fargate can I attach a GPU?", "yesno"),
    ("in week 3 is pandas required?", "yesno"),
    ("polars or pandas - which one reads a big csv quicker?", "comparison"),
    # mentioned, not asked
    ("Glue crawler price tag keeps rising, any tips?", "other"),
    ("my jobs hit a quota yesterday, can I raise it?", "yesno"),
    ("to reduce the fee, which setting should I change?", "name"),
    ("is cost-based routing supported?", "yesno"),
    ("billing page: why did my charge go up?", "other"),                  # a reason is asked
    ("what topics besides cost does week 12 cover?", "other"),            # the what-phrase governs "topics"
    ("what happens the first time I call it?", "other"),                  # a verb, not a noun, after "what"
    ("weekend build for the stats stretch - which dataset?", "other"),    # the asked clause decides alone
    ("What's the async version of the client in the sdk?", "definition"),  # a variant: no release order asked
    ("What is throughput?", "definition"),                                 # one word defined
    ("which one should I learn first, polars or pandas?", "name"),        # no comparative
    # a "what <thing> does ...?" read as a name asks an amount when an auxiliary closes a fact noun phrase
    ("What momentum value does the optimiser start with?", "name"),
    ("What learning rate does the optimiser start with?", "number"),
    ("which condition key limits which model a caller may invoke?", "name"),  # "limits" a verb here
    ("which project template gives me build, train and deploy in one?", "name"),
])
def test_detect_the_asked_fact_noun(question, kind):
    assert detect(question) == kind


@pytest.mark.parametrize("question, stated, unstated", [
    ("privatelink endpoint for the api: hourly fee?",
     "Interface endpoints for PrivateLink cost $0.01 per hour per AZ.",
     "PrivateLink endpoints let you reach the API privately without an internet gateway."),
    ("athena default quota for concurrent dml queries per account?",
     "By default, Athena has a quota of 25 concurrent DML queries per account.",
     "Athena runs DML queries concurrently for each account."),
    ("streaming notes, which calendar year did the service first launch?",
     "The streaming service was first launched in 2013.",
     "The streaming service launched new features for shards."),
])
def test_the_asked_fact_noun_needs_its_fact_both_ways(question, stated, unstated):
    kind, share = support(question, [stated])
    assert share is not None and share >= 0.5, (kind, share)
    low = support(question, [unstated])[1]
    assert low is not None and low < 0.34, (kind, low)


# ---------------------------------------------------------------- issue 9y4: facts that ARE stated
@pytest.mark.parametrize("question, noun", [
    # the counted phrase ends at a preposition or conjunction, not at the next verb
    ("how many samples before model monitor will report a standard deviation?", "sampl"),
    ("How many records until the batch is flushed?", "record"),
    # a British spelling counts what the American one does
    ("how many organisations are listed as adopters?", "organiz"),
])
def test_counted_phrase_ends_where_the_noun_phrase_does(question, noun):
    assert counted(question) == noun


def test_british_and_american_spellings_meet():
    """"organisations" in the question, "organizations" on the page: the same count; another count is not it."""
    question = "how many organisations are listed as argo workflows adopters?"
    assert support(question, ["Argo Workflows > Who uses Argo Workflows?\n\n"
                              "About 200+ organizations are officially using Argo Workflows"])[1] == pytest.approx(0.6)
    assert support(question, ["Argo Workflows > Who uses Argo Workflows?\n\n"
                              "The project has 12 maintainers from 5 companies."])[1] == 0.0


def test_a_default_limit_is_the_stated_limit():
    """A default ceiling or quota is the limit that holds until raised: "up to 100 buckets" states it, a sentence
    about buckets without a bound does not; asked together, a default and a maximum are each met alone."""
    question = "S3: default ceiling on the bucket count for my account?"
    assert qualifiers(question) == ("default", "limit")
    stated = "You can store any number of objects in a bucket and can have up to 100 buckets in your account."
    assert support(question, [stated])[1] == pytest.approx(0.5)  # bucket, account of s3, bucket, count, account
    assert support(question, ["Your account has 3 buckets with 100 objects in each bucket."])[1] == 0.0
    both = "kinesis stream retention: default and the max I can stretch it to?"
    assert support(both, ["A stream's retention period is set to a default of 24 hours after creation."])[1] == 0.5
    assert support(both, ["Kinesis stream retention grew 24 hours last year."])[1] == 0.0


YAML = """KServe > First InferenceService

```yaml
apiVersion: "serving.kserve.io/v1beta1"
kind: "InferenceService"
metadata:
  name: "sklearn-iris"
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      resources:
        requests:
          cpu: "100m"
          memory: "512Mi"
        limits:
          cpu: "1"
          memory: "1Gi"
```"""


def test_a_yaml_value_is_read_with_the_keys_it_is_indented_under():
    """`memory: "1Gi"` under `limits:` states the memory limit the example sets for its predictor; the request
    (512Mi, under `requests:`) is a related number, not a limit, and a limit of something else is not it either."""
    question = "what memory limit does the sklearn-iris inferenceservice example set for its predictor?"
    assert detect(question) == "number"
    assert support(question, [YAML])[1] == pytest.approx(3 / 7)  # memory, predictor; InferenceService (heading)
    requests_only = YAML.replace("        limits:\n          cpu: \"1\"\n          memory: \"1Gi\"\n", "")
    assert support(question, [requests_only])[1] == 0.0


@pytest.mark.parametrize("kind, stated, unstated", [
    # a time unit with a word qualifying it
    ("duration", "Your request will be reviewed within five business days.", "We review requests from five business "
     "partners."),
    ("duration", "Objects not accessed for 90 consecutive days are archived.", "Objects are archived after a while."),
    # a bare number bounded after it
    ("number", "Minimum instance count is required to be 1 or higher.", "The minimum instance count is required."),
])
def test_facts_written_with_words_between_number_and_unit(kind, stated, unstated):
    assert has_fact(kind, stated) and not has_fact(kind, unstated)


@pytest.mark.parametrize("question, stated, unstated", [
    # a bound written "within" a time
    ("multi-model endpoint: what's the time limit for an invoke call?",
     "SageMaker returns a response for a call to invoke_endpoint on a multi-model endpoint within 60 seconds.",
     "A multi-model endpoint invoke call took 60 seconds in our test."),
    # the values a setting allows, listed
    ("ServerlessConfig memory: what are the allowed values from smallest to biggest?",
     "For ServerlessConfig you can choose any of the following values for your memory size: 1024 MB, 2048 MB, "
     "or 6144 MB.",
     "For ServerlessConfig we set the memory size to 2048 MB in this example."),
])
def test_a_limit_stated_as_a_bound_or_a_list_of_allowed_values(question, stated, unstated):
    assert qualifiers(question) == ("limit",)
    assert support(question, [stated])[1] > 0.5
    assert support(question, [unstated])[1] == 0.0


def test_a_number_of_items_counts_what_its_label_names():
    """API references give a list parameter's bound as "Maximum number of 10 items." under the parameter's name:
    the items are what the name names, and only under a name that names the counted thing."""
    question = "converse call: how many json pointer paths may I list to pull extra response fields?"
    assert counted(question) == "path"
    assert counts("Maximum number of 10 items.", "path", "additionalModelResponseFieldPaths")
    assert not counts("Maximum number of 10 items.", "path", "additionalModelRequestFields")
    assert not counts("Maximum number of 10 items.", "path")
    page = ("Converse > Request Syntax\n\n`additionalModelResponseFieldPaths`\nAdditional model parameters field paths "
            "to return in the response as JSON pointers.\nType: Array of String\nArray Members: Minimum number of 0 "
            "items. Maximum number of 10 items.")
    assert support(question, [page])[1] == pytest.approx(0.4)
    assert support(question, [page.replace("ResponseFieldPaths", "RequestFields").replace("field paths", "fields")
                              ])[1] == 0.0


def test_how_much_a_thing_cuts_an_amount_asks_a_number():
    """"How much can X cut the bill?" asks a share or a difference, not a price; "how much does X cost?" a price."""
    assert detect("how much can the voice service integration cut the device bill of materials?") == "number"
    assert detect("How much does the voice service integration cost?") == "price"


def test_the_dimension_a_how_question_asks_is_no_key_term():
    """"fast" in "how fast" names what is asked (a time), not the subject; the subject's words stay."""
    terms = fact_terms("how fast can karpenter bring up new nodes when load jumps?")
    assert "fast" not in terms and {"karpent", "node"} <= set(terms)
    assert support("how fast can karpenter bring up new nodes when load jumps?",
                   ["Karpenter launches right-sized compute resources in response to changing application load in "
                    "under a minute, bringing up new nodes."])[1] > 0.6

# ---------------------------------------------------------------- the kinds without a fact: key terms together
SNOWBALL = ("AWS Snowball Edge > Devices\n\nSnowball Edge devices move data into and out of AWS at sites with little "
            "or no connectivity. You order a device, copy your data onto it and ship it back.")
INFERENCE = ("SageMaker > Real-time inference\n\nSageMaker real-time inference hosts a model behind an HTTPS "
             "endpoint. You run inference by invoking the endpoint with a request payload.")
PAIRED = ("AWS Snowball Edge > Compute\n\nSnowball Edge devices can run SageMaker inference on the device itself, "
          "with no connectivity to AWS.")
DEBUGGER = ("Debugger > Built-in rules\n\nThe vanishing gradient rule detects when the gradients of a training job "
            "become too small to update its weights.")
ARGO = ("Argo Workflows > Overview\n\nArgo Workflows is an open source container-native workflow engine for "
        "orchestrating parallel jobs on Kubernetes.")
ARGO_HISTORY = "Argo Workflows > History\n\nArgo Workflows was originally created at Applatix, which Intuit acquired."


def test_a_pairing_the_passages_never_make_holds_its_key_terms_apart():
    """A yes/no question pairing two things the passages describe only apart (SageMaker inference; a Snowball Edge
    device) finds its key terms together in no stretch; a passage making the pairing holds them all."""
    question = "Can I run SageMaker inference on an AWS Snowball Edge device at a site with no connectivity?"
    kind, apart = support(question, [SNOWBALL, INFERENCE])
    assert kind == "yesno" and apart < 0.7
    assert support(question, [SNOWBALL, INFERENCE, PAIRED])[1] > 0.85
    # the chunk's heading line is read with every stretch under it: "Debugger" is only in the heading
    far = "Training > Rules\n\n" + DEBUGGER.split("\n\n")[1]
    assert cooccurrence(["debugg", "gradient"], [DEBUGGER]) == 1.0
    assert cooccurrence(["debugg", "gradient"], [far]) == 0.5


def test_a_paraphrased_answerable_yes_no_holds_its_distinctive_terms_together():
    """The learner's own words ("warn me") are not on the page, but the question's distinctive terms (Debugger,
    vanishing gradients) are together in one stretch: weighted by IDF, most of the question is there."""
    question = "Can Debugger warn me when the gradients vanish?"
    idf = {"debugg": 5.0, "gradient": 4.0, "vanish": 6.0, "warn": 2.0}
    kind, share = support(question, [DEBUGGER, INFERENCE], lambda t: idf.get(t, 1.0))
    assert kind == "yesno" and share == pytest.approx(15 / 17)
    assert support(question, [INFERENCE], lambda t: idf.get(t, 1.0))[1] == 0.0


@pytest.mark.parametrize("question, group", [
    ("Which company originally built Argo Workflows?", "origin"),
    ("Who started the DVC project, and which company is behind it?", "origin"),
    ("who's the corporate backer that first created the argo project?", "origin"),
    ("which aws region got bedrock first when it launched?", "origin"),
    ("Who wrote the book Guide to NumPy?", "origin"),
    # a name asked of anything else, or an order ("which template gets executed first")
    ("Which engine does Argo Workflows run on?", "name"),
    ("In an Argo Workflow spec, what decides which template gets executed first?", "name"),
    ("Which toy dataset ships with scikit-learn?", "name"),
    ("Can I run Argo Workflows on EKS?", "yesno"),
])
def test_checked_as_groups_a_name_asked_by_its_maker_or_first_holder(question, group):
    assert checked_as(question, detect(question)) == group


def test_a_name_asked_by_its_maker_needs_a_stretch_that_names_who_made_it():
    """"Which company originally built X?" over a page describing X and never who made it has no evidence at all;
    a page saying where X was originally created has."""
    question = "Which company originally built Argo Workflows?"
    assert support(question, [ARGO]) == ("name", 0.0)
    kind, share = support(question, [ARGO, ARGO_HISTORY])
    assert kind == "name" and share == pytest.approx(3 / 5)  # argo, workflows, originally (not company, built)
    # the same page for a name asked of something else: the key terms together are the evidence
    assert support("Which engine does Argo Workflows use?", [ARGO])[1] == pytest.approx(1.0)


@pytest.mark.parametrize("line, kind, read", [
    # a keyword argument, a hyperparameter dict's key, a YAML key with a unit, a flag, a CamelCase key
    ("model.fit(x_train, y_train, epochs=5)", "number", [("model.fit(x_train, y_train, ", "epochs 5")]),
    ('    "num_round": "50",', "number", [("    ", "num round 50")]),
    ("      duration: 20s", "duration", [("", "duration 20s")]),
    ("aws application-autoscaling register-scalable-target --min-capacity 1 --max-capacity 8", "number",
     [("aws application-autoscaling register-scalable-target ", "min capacity 1"),
      ("aws application-autoscaling register-scalable-target ", "max capacity 8")]),
    # a time named by the identifier (a unit suffix of its words, a timeout) makes the number a duration too
    ("    max_runtime_in_seconds=1800,", "duration", [("    ", "max runtime in seconds 1800")]),
    ("MaxRuntimeInSeconds: 1800", "duration", [("", "Max Runtime In Seconds 1800")]),
    ("client = Client(timeout=60)", "duration", [("client = Client(", "timeout 60")]),
    # ... not a count of something else, nor millicores
    ("model.fit(x_train, y_train, epochs=5)", "duration", []),
    ("cpu: 500m", "duration", []),
    # a release number is a version, not a number
    ('python_requires=">=3.8"', "version", [("", "python requires >=3.8")]),
    ('python_requires=">=3.8"', "number", []),
    ("kubernetes_version: 1.29", "version", [("", "kubernetes version 1.29")]),
    ("learning_rate=0.01", "version", []),
    # prose after a label is no setting, and a value that goes on is no setting either
    ("Note: 3 replicas are made for each shard.", "number", []),
    ("x = 5 * y", "number", []),
])
def test_values_set_in_code_configuration_and_command_lines(line, kind, read):
    assert list(settings(line, kind)) == read


QUICKSTART = ("TensorFlow 2 quickstart for beginners > Train and evaluate your model\n\n"
              "The Model.fit method adjusts your model parameters and minimizes the loss:\n\n"
              "model.fit(x_train, y_train, {args})\n")


def test_a_count_set_as_a_keyword_argument_is_stated_and_another_argument_is_not():
    """`epochs=5` states how many epochs the example trains for; `batch_size=32` on the same call is a number in
    code about another identifier."""
    question = "the tensorflow beginners quickstart - how many epochs does it train for?"
    assert detect(question) == "number" and counted(question) == "epoch"
    assert support(question, [QUICKSTART.format(args="epochs=5")])[1] > 0.5
    assert support(question, [QUICKSTART.format(args="batch_size=32")])[1] == 0.0


BASELINE = ("Create a baseline\n\nThe baseline job computes metrics from your validation data.\n\n"
            "baseline_job = model_quality_monitor.suggest_baseline(\n"
            "    job_name=baseline_job_name,\n"
            "{setting}\n"
            ")\n")


def test_a_time_set_under_a_snake_case_name_meets_the_questions_words():
    """`max_runtime_in_seconds=1800` is read as "max runtime in seconds 1800": the question's "max runtime" meets
    it and its unit makes it a duration; `instance_count=1` in the same call states nothing about a runtime."""
    question = "model quality baseline example: what max runtime do they set for the job?"
    stated = BASELINE.format(setting="    max_runtime_in_seconds=1800,")
    unstated = BASELINE.format(setting="    instance_count=1,")
    assert support(question, [stated])[1] > 0.5
    assert support(question, [unstated])[1] < 0.34
    assert evidence("duration", key_terms("runtime"), [stated]) == 1.0
    assert evidence("duration", key_terms("runtime"), [unstated]) == 0.0


CLI = ("Register a model > Register a model (AWS CLI)\n\n"
       "aws application-autoscaling register-scalable-target \\\n"
       "  --service-namespace sagemaker \\\n"
       "  --resource-id endpoint/my-endpoint/variant/my-variant \\\n"
       "  --scalable-dimension sagemaker:variant:DesiredInstanceCount \\\n"
       "{flags}")


def test_a_flag_of_a_command_continued_over_lines_is_read_with_the_command():
    """`--max-capacity 8` on the last line of a command continued with backslashes is read with the command it is
    passed to (`register-scalable-target`, `DesiredInstanceCount`): the limit on instances it registers; without
    the flags no number is stated."""
    question = ("aws cli example that registers a variant as a scalable target: what upper bound on instances does it "
                "pass?")
    assert detect(question) == "number" and "limit" in qualifiers(question)
    assert support(question, [CLI.format(flags="  --min-capacity 1 \\\n  --max-capacity 8\n")])[1] > 0.5
    assert support(question, [CLI.format(flags="  --region us-east-1\n")])[1] == 0.0
