"""Tests for vectorstore/lexical.py: tokenising, BM25 ranking, the week filter and the vocabulary statistics."""
from __future__ import annotations

from vectorstore.lexical import LexicalIndex
from vectorstore.text import _fallback_stem, tokenize

ROWS = [
    ("venv", "Python Tutorial > Virtual Environments\n\nCreate a virtual environment with python -m venv so two "
             "projects can use different versions of one package.", {"weeks": [1], "url": "u1"}),
    ("pag", "Boto3 > Paginators\n\nSome S3 operations return truncated results; a paginator iterates over every "
            "page of ListObjects results.", {"weeks": [1], "url": "u2"}),
    ("groupby", "Pandas > Group by\n\nThe groupby method splits a DataFrame into groups, applies a function and "
                "combines the results.", {"weeks": [2], "url": "u3"}),
    ("mme", "SageMaker > Multi-model endpoints\n\nMulti-model endpoints host many models behind one endpoint "
            "using a shared serving container.", {"weeks": [12], "url": "u4"}),
    ("cert", "AWS Certification > Machine Learning Specialty\n\nThe exam validates the ability to build, train "
             "and deploy machine learning models on AWS.", {"url": "u5"}),
    ("mme-roadmap", "Roadmap: Week 12\n\nDeploy multi-model endpoints and learn about serving many models.",
     {"weeks": [12, 13], "url": "roadmap.md#week-12"}),
]


def test_tokenize_lowercases_stems_and_drops_stopwords():
    """Tokens are lower-cased stems of the content words, so inflections of one word match each other."""
    assert tokenize("How do I deploy the Models?") == tokenize("deploying model")
    assert "the" not in tokenize("the pod") and "pod" in tokenize("the PODS")
    assert tokenize("S3 and EC2, in 2 weeks") == ["s3", "ec2", "2", "week"]


def test_fallback_stemmer_strips_common_suffixes():
    """Without PyStemmer the suffix stripper still maps plurals and -ing forms onto one stem."""
    assert _fallback_stem("deployments") == _fallback_stem("deployment")
    assert _fallback_stem("running") == "runn" and _fallback_stem("class") == "class"
    assert _fallback_stem("libraries") == "library"


def test_search_ranks_the_matching_chunk_first():
    """The chunk sharing the query's rare words ranks first and scores above zero."""
    index = LexicalIndex.build(ROWS)
    hits = index.search("how do I paginate through all S3 results with boto3?", k=3)
    assert hits[0][0] == "pag" and hits[0][1] > 0
    assert [cid for cid, _ in index.search("groupby a dataframe", k=5)][0] == "groupby"


def test_search_returns_only_chunks_that_match():
    """Chunks sharing no term with the query are left out, and an unknown query returns nothing."""
    index = LexicalIndex.build(ROWS)
    assert {cid for cid, _ in index.search("virtual environment", k=10)} == {"venv"}
    assert index.search("lasagna recipe", k=10) == []
    assert index.search("", k=10) == []


def test_week_filter_keeps_only_that_weeks_chunks():
    """With a week, only chunks whose `weeks` metadata holds it are returned; week-less pages never are."""
    index = LexicalIndex.build(ROWS)
    assert {cid for cid, _ in index.search("endpoints", k=10)} == {"mme", "mme-roadmap"}
    assert [cid for cid, _ in index.search("multi-model endpoints", k=10, week=13)] == ["mme-roadmap"]
    assert index.search("multi-model endpoints", k=10, week=2) == []
    assert index.search("machine learning specialty exam", k=10, week=1) == []
    assert index.search("machine learning specialty exam", k=10)[0][0] == "cert"
    assert index.search("paginator", k=10, week=9) == []
    assert index.weeks == [1, 2, 12, 13]


def test_search_returns_at_most_k_best_first():
    """Results are capped at k and sorted by descending score."""
    index = LexicalIndex.build(ROWS)
    hits = index.search("models endpoints python pandas boto3 exam", k=3)
    assert len(hits) == 3
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_idf_ranks_rare_terms_above_common_ones():
    """A term in one chunk has a higher idf than a term in several, and unknown terms count as rarest."""
    index = LexicalIndex.build(ROWS)
    model, paginator = tokenize("models")[0], tokenize("paginator")[0]
    assert index.idf(paginator) > index.idf(model)
    assert index.idf("zzzunknown") == index.idf(paginator)
    assert index.known(paginator) and not index.known("zzzunknown")


def test_empty_index_searches_to_nothing():
    """An index without chunks (or without a single token) is valid and finds nothing."""
    assert LexicalIndex.build([]).search("anything", k=5) == []
    assert len(LexicalIndex.build([("a", "", {}), ("b", "the of", None)])) == 2
    assert LexicalIndex.build([("a", "", {})]).search("anything", k=5) == []


TITLED = [  # a page titled for the subject, and an overview page that says the subject's words more often
    ("registry", "Model Registry > Overview\n\nIt keeps trained models with numbered versions.",
     {"url": "https://docs.example.org/registry/", "title": "Model Registry", "section": "Overview"}),
    ("intro", "Introduction to MLOps > Tools\n\nA registry of models, a registry of datasets and a feature store: "
              "each registry keeps models or data in one place.",
     {"url": "https://docs.example.org/intro/", "title": "Introduction to MLOps", "section": "Tools"}),
]


def test_title_field_weight_ranks_the_page_titled_for_the_subject_up():
    """Without the title field the page repeating 'registry' wins; weighted in, the page titled for it does."""
    index = LexicalIndex.build(TITLED)
    assert [cid for cid, _ in index.search("what does the model registry do", k=2)] == ["intro", "registry"]
    boosted = index.search("what does the model registry do", k=2, title_weight=2.0)
    assert [cid for cid, _ in boosted] == ["registry", "intro"]
    plain = dict(index.search("registry", k=2))
    assert dict(index.search("registry", k=2, title_weight=1.0))["registry"] > plain["registry"]
    assert index.search("feature store", k=2, title_weight=2.0) == index.search("feature store", k=2)  # no title word
