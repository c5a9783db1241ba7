"""Tests for vectorstore/ranking.py: fusion, diversifying and merging, the abstention signals and confidence."""
from __future__ import annotations

import pytest

from vectorstore.calibration import DEFAULT
from vectorstore.ranking import (
    Hit,
    Signals,
    confidence,
    coverage,
    diversify,
    fuse_rrf,
    fuse_weighted,
    join_chunks,
    page_support,
    rerank,
    signals,
    title_rerank,
)


def test_diversify_caps_pages_and_fills_when_nothing_else_matches():
    """The per-page cap defers a third chunk of a page, and deferred chunks fill a list no other page fills."""
    def hit(cid, url, index, section="s"):
        return Hit(cid, f"T > {section}\n\n{cid}", {"url": url, "section": section, "chunk_index": index}, 1.0,
                   None, None, [cid])
    ranked = [hit("a0", "A", 0, "x"), hit("a4", "A", 4, "y"), hit("a8", "A", 8, "z"), hit("b0", "B", 0)]
    assert [h.id for h in diversify(ranked, 3)] == ["a0", "a4", "b0"]
    assert [h.id for h in diversify(ranked[:3], 3)] == ["a0", "a4", "a8"]
    merged = diversify([hit("a1", "A", 1), hit("a0", "A", 0), hit("a2", "A", 2), hit("a3", "A", 3)], 2)
    assert [h.ids for h in merged] == [["a0", "a1", "a2"], ["a3"]]


def test_join_chunks_drops_repeated_heading_and_overlap():
    """Joining keeps one heading line and removes the words the next chunk repeats from the previous one."""
    joined = join_chunks(["P > S\n\nalpha beta gamma delta epsilon zeta", "P > S\n\ndelta epsilon zeta eta theta"])
    assert joined == "P > S\n\nalpha beta gamma delta epsilon zeta eta theta"
    assert join_chunks(["P > S\n\none", "P > S\n\ntwo"]) == "P > S\n\none\ntwo"


def test_fusion_rewards_agreement_of_both_lists():
    """Both fusions put the id found by both searches above ids found by one."""
    dense, lexical = [("a", 0.8), ("b", 0.7), ("c", 0.2)], [("b", 9.0), ("d", 8.0), ("a", 1.0)]
    rrf = fuse_rrf(dense, lexical)
    assert max(rrf, key=rrf.get) in {"a", "b"} and rrf["b"] > rrf["d"] and rrf["a"] > rrf["c"]
    weighted = fuse_weighted(dense, lexical, alpha=0.5)
    assert max(weighted, key=weighted.get) == "b" and weighted["c"] == 0.0
    assert fuse_rrf([], []) == {} and fuse_weighted([], []) == {}


def test_coverage_weights_terms_by_idf_and_takes_the_best_hit():
    """Coverage is the idf share of query terms in the single best-covering hit, 0 without terms or hits."""
    idf = {"grafana": 6.0, "dashboard": 3.0, "latenc": 1.0}
    assert coverage(idf, [{"dashboard", "latenc"}, {"grafana"}]) == pytest.approx(0.6)
    assert coverage(idf, [{"grafana", "dashboard", "latenc", "other"}]) == 1.0
    assert coverage(idf, []) == 0.0 and coverage({}, [{"x"}]) == 0.0


def test_signals_read_both_lists():
    """Best cosine, its gap to the baseline, BM25 over the idf sum, and agreement of the two top-5 URL sets."""
    idf = {"a": 2.0, "b": 2.0}
    url = {"d1": "u1", "d2": "u2", "l1": "u3", "l2": "u1"}.get
    s = signals(idf, [{"a"}], [("d1", 0.7), ("d2", 0.5)], [("l1", 3.0), ("l2", 1.0)], 0.4, url)
    assert s.vector() == pytest.approx([0.7, 0.3, 0.75, 0.5, 1.0])
    lonely = signals(idf, [], [("d2", 0.5)], [("l1", 9.0)], 0.5, url)
    assert lonely.agree == 0.0 and lonely.lexical == 1.0 and lonely.coverage == 0.0
    assert signals(idf, [], [], [], 0.3, url).vector() == [0.0, 0.0, 0.0, 0.0, 0.0]


def test_confidence_never_falls_with_a_stronger_signal():
    """The shipped model (non-negative weights) gives at least as much confidence for a stronger value of each
    signal, and more for each signal it weighs; a calibration's own weights are the ones used."""
    base = Signals(0.5, 0.1, 0.2, 0.4, 0.0)
    low = confidence(base)
    assert 0.0 < low < 1.0
    for field, weight in zip(("dense", "dense_gap", "lexical", "coverage", "agree"), DEFAULT.weights, strict=True):
        stronger = Signals(**{**vars(base), field: getattr(base, field) + 0.3})
        assert confidence(stronger) > low if weight > 0 else confidence(stronger) == low
    weak, strong = confidence(Signals(0.2, -0.1, 0.05, 0.1, 0.0)), confidence(Signals(0.8, 0.35, 0.6, 1.0, 1.0))
    assert weak < 0.05 < DEFAULT.threshold < 0.8 < strong
    flat = DEFAULT.with_(weights=(0.0,) * 5, bias=0.0)
    assert confidence(base, flat) == 0.5


def test_page_support_lets_agreeing_passages_lift_their_page():
    """Two good passages of one page outrank one slightly better passage of another; weight 0 changes nothing."""
    fused = {"a1": 0.80, "a2": 0.70, "b1": 0.85, "c1": 0.10}
    url = {"a1": "A", "a2": "A", "b1": "B", "c1": "C"}.get
    assert page_support(fused, url, 0.0) == fused
    lifted = page_support(fused, url, 0.2)
    assert max(lifted, key=lifted.get) == "a1" and lifted["a1"] == pytest.approx(0.80 + 0.2 * 0.70)
    assert lifted["a2"] == pytest.approx(0.70 + 0.2 * 0.80)  # each passage counts the page's best other one
    assert lifted["b1"] == 0.85 and lifted["c1"] == 0.10  # a lone passage gains nothing


def test_title_rerank_lifts_the_page_titled_for_the_question_within_the_top():
    """A passage of a page whose title matches the question overtakes a slightly better passage of a generic
    page; only the top `top_n` are reordered, each title is looked up once, and weight 0 changes nothing."""
    fused = {"intro": 0.90, "overview": 0.85, "other": 0.50, "tail": 0.40}
    title = {"intro": "Getting started", "overview": "Model Monitor overview", "other": "Pricing",
             "tail": "Model Monitor overview"}.get
    cosines = {"Getting started": 0.20, "Model Monitor overview": 0.80, "Pricing": 0.10}
    asked: list[list[str]] = []

    def similarity(titles: list[str]) -> list[float]:
        asked.append(titles)
        return [cosines[t] for t in titles]

    assert title_rerank(fused, title, similarity, 0.0) == fused and not asked
    out = title_rerank(fused, title, similarity, 0.2, top_n=3)
    assert max(out, key=out.get) == "overview" and out["overview"] == pytest.approx(0.85 + 0.2 * 0.80)
    assert out["tail"] == 0.40  # below the top 3: unchanged
    assert asked == [["Getting started", "Model Monitor overview", "Pricing"]]



def test_rerank_reads_every_feature_on_the_same_top_and_skips_weight_zero():
    """Two features (the title cosine and the best-sentence cosine) are read on one fused top, before either lifts
    anything; a feature with weight 0 is never computed; negative values add nothing."""
    fused = {"a": 0.90, "b": 0.80, "c": 0.70, "d": 0.10}
    seen: list[tuple[str, list[str]]] = []

    def feature(name: str, values: dict[str, float]):
        def f(top: list[str]) -> list[float]:
            seen.append((name, top))
            return [values[c] for c in top]
        return f

    sentence = feature("sentence", {"a": -0.3, "b": 0.2, "c": 0.9})
    title = feature("title", {"a": 0.0, "b": 0.9, "c": 0.0})
    never = feature("never", {})
    out = rerank(fused, [(sentence, 0.5), (title, 0.1), (never, 0.0)], top_n=3)
    assert seen == [("sentence", ["a", "b", "c"]), ("title", ["a", "b", "c"])]
    assert out["a"] == 0.90 and out["d"] == 0.10  # a negative value and a candidate below the top: unchanged
    assert out["b"] == pytest.approx(0.80 + 0.5 * 0.2 + 0.1 * 0.9)
    assert out["c"] == pytest.approx(0.70 + 0.5 * 0.9) and max(out, key=out.get) == "c"
    assert rerank(fused, [(never, 0.0)]) is fused
