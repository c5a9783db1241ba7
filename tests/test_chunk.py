"""Tests for ingest.chunk, with the real all-MiniLM-L6-v2 tokenizer counting wordpieces."""
from __future__ import annotations

import os
import re
from itertools import pairwise
from pathlib import Path

import pytest

from ingest.chunk import SPECIAL_TOKENS, chunk_article, heading_line, wordpiece_counter
from ingest.extract import Section

MODEL_DIR = Path(os.environ.get("RA_EMBEDDING_MODEL_DIR", "/work/shared/models/all-MiniLM-L6-v2/onnx"))
LIMIT = 256 - SPECIAL_TOKENS  # 254 wordpieces + [CLS] + [SEP]

WORDS = ("pipeline model registry endpoint latency drift feature store batch transform container image "
         "tracking experiment artifact metric parameter notebook cluster node autoscaling quota").split()


@pytest.fixture(scope="module")
def count():
    tokenizer = MODEL_DIR / "tokenizer.json"
    if not tokenizer.exists():
        pytest.skip(f"embedding model tokenizer not found at {tokenizer} (set RA_EMBEDDING_MODEL_DIR)")
    return wordpiece_counter(tokenizer)


def prose(n_sentences: int, seed: int = 0, per_paragraph: int = 6) -> str:
    """Deterministic varied sentences, grouped into paragraphs."""
    sentences = []
    for i in range(n_sentences):
        words = [WORDS[(seed + i * 7 + j * 3) % len(WORDS)] for j in range(8 + (i % 9))]
        sentences.append(f"Sentence {i} says the " + " ".join(words) + ".")
    paragraphs = [" ".join(sentences[i:i + per_paragraph]) for i in range(0, n_sentences, per_paragraph)]
    return "\n\n".join(paragraphs)


def bodies(chunks):
    return [c.text.split("\n\n", 1)[1] for c in chunks]


def test_wordpiece_counter_ignores_the_files_truncation(count):
    """The counter counts past the 128 truncation set in the model's tokenizer.json, without special tokens."""
    assert count("hello world") == 2
    assert count("word " * 300) == 300


def test_long_section_respects_limits(count):
    """A long section is split into chunks of at most max_tokens, each counted exactly in `tokens`."""
    sections = [Section(["Guide", "Setup"], "setup", prose(120))]
    chunks = chunk_article("Guide", sections, count)
    assert len(chunks) > 5
    for c in chunks:
        assert c.tokens == count(c.text) <= 200
    with_small_max = chunk_article("Guide", sections, count, max_tokens=64, overlap_tokens=8)
    assert max(c.tokens for c in with_small_max) <= 64 and len(with_small_max) > len(chunks)


def test_hard_limit_excludes_special_tokens(count):
    """max_tokens is capped so that count_tokens(text) <= hard_limit - 2 (room for [CLS] and [SEP])."""
    chunks = chunk_article("Guide", [Section(["Guide"], None, prose(200))], count, max_tokens=1000, hard_limit=256)
    assert max(c.tokens for c in chunks) <= LIMIT
    assert max(c.tokens for c in chunks) > 200  # the cap is the hard limit, not the default budget


def test_heading_line_starts_every_chunk(count):
    """Every chunk starts with 'Title > Section > Sub' and a blank line, without repeating the title."""
    sections = [Section(["Guide"], "guide", "Intro text."),
                Section(["Guide", "Install", "On Linux"], "linux", prose(40))]
    chunks = chunk_article("Guide", sections, count, max_tokens=120)
    assert heading_line("Guide", ["Guide", "Install", "On Linux"]) == "Guide > Install > On Linux"
    assert chunks[0].text.startswith("Guide\n\nIntro text.")
    for c in chunks[1:]:
        assert c.text.startswith("Guide > Install > On Linux\n\n")


def test_anchors_paths_order_and_index(count):
    """Chunks follow the sections' order, keep their anchors and paths, and are indexed 0..n-1."""
    sections = [Section(["T", f"Part {i}"], f"part-{i}", prose(25, seed=i)) for i in range(4)]
    chunks = chunk_article("T", sections, count)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    seen = [c.anchor for c in chunks]
    assert sorted(set(seen), key=seen.index) == ["part-0", "part-1", "part-2", "part-3"]
    assert seen == sorted(seen)  # each anchor's chunks are contiguous and in order
    for c in chunks:
        assert c.section_path == ["T", f"Part {c.anchor[-1]}"]


def test_consecutive_pieces_of_a_section_overlap(count):
    """Each piece of a split section starts with the last words of the piece before it."""
    chunks = chunk_article("Guide", [Section(["Guide", "Long"], "long", prose(80))], count)
    assert len(chunks) >= 3
    for before, after in pairwise(bodies(chunks)):
        lead = " ".join(after.split()[:4])
        assert lead in before, (lead, before[-200:])
        overlap = count(after[:after.find(lead) + len(lead)])
        assert overlap <= 24


def test_no_overlap_when_disabled(count):
    """With overlap_tokens=0 the pieces of a section concatenate back to its words exactly."""
    text = prose(60)
    chunks = chunk_article("Guide", [Section(["Guide"], None, text)], count, overlap_tokens=0)
    assert " ".join(" ".join(bodies(chunks)).split()) == " ".join(text.split())


def test_code_block_kept_whole_when_it_fits(count):
    """A code block that fits one chunk is never split, even with blank lines inside it."""
    code = "```python\ndef f(x):\n    y = x + 1\n\n\n    return y * 2\n```"
    text = prose(14) + "\n\n" + code + "\n\n" + prose(14, seed=3)
    chunks = chunk_article("Guide", [Section(["Guide", "Code"], "code", text)], count)
    assert sum(code in c.text for c in chunks) == 1


def test_giant_code_block_split_at_lines_and_refenced(count):
    """A code block far over the limit is split at line ends; every part is fenced and every line survives."""
    lines = [f"    result_{i} = compute(alpha={i}, beta='value {i}')" for i in range(400)]
    code = "```python\n" + "\n".join(lines) + "\n```"
    chunks = chunk_article("Ref", [Section(["Ref", "Code"], "code", code)], count)
    assert len(chunks) > 5
    for c in chunks:
        assert c.tokens <= 200
        body = c.text.split("\n\n", 1)[1]
        assert body.startswith("```python\n") and body.endswith("\n```")
    joined = "\n".join(c.text for c in chunks)
    assert all(line in joined.split("\n") for line in lines)


@pytest.mark.parametrize("word", ["a" * 60_000, "x." * 30_000], ids=["one-unk-word", "punctuation-run"])
def test_60k_char_single_word_is_split_not_truncated(count, word):
    """A 60k-character run without spaces is cut by characters within the limits, losing nothing."""
    chunks = chunk_article("Blob", [Section(["Blob"], None, word)], count, overlap_tokens=0)
    assert len(chunks) > 1
    assert all(c.tokens == count(c.text) <= 200 for c in chunks)
    assert all(len(c.text) <= 2_100 for c in chunks)  # also bounded in characters: at most 10 per token
    assert "".join(bodies(chunks)) == word


def test_empty_sections_produce_no_chunks(count):
    """Empty or whitespace-only sections give no chunk; a page of only those gives none."""
    assert chunk_article("T", [Section(["T"], None, ""), Section(["T", "A"], "a", " \n\t\n")], count) == []
    chunks = chunk_article("T", [Section(["T", "A"], "a", "  "), Section(["T", "B"], "b", "Real text.")], count)
    assert [c.anchor for c in chunks] == ["b"]


def test_small_sibling_sections_are_merged(count):
    """Tiny consecutive siblings share one chunk: path is their parent, anchor the first, each keeps its heading."""
    sections = [Section(["API", "Errors", name], name.lower(), f"The {name} error means {name.lower()} failed.")
                for name in ("Timeout", "Throttled", "Denied")]
    sections.append(Section(["API", "Quotas"], "quotas", prose(30)))
    chunks = chunk_article("API", sections, count)
    first = chunks[0]
    assert first.section_path == ["API", "Errors"] and first.anchor == "timeout"
    for name in ("Timeout", "Throttled", "Denied"):
        assert f"API > Errors > {name}\n\nThe {name} error" in first.text
    assert all("Quotas" not in c.text for c in chunks[:1])  # not a sibling: kept apart


def test_long_heading_is_shortened_not_the_body(count):
    """An absurdly long heading path is shortened so the body still gets most of the budget."""
    path = ["T"] + [f"level {i} heading with many words in it" for i in range(30)]
    chunks = chunk_article("T", [Section(path, None, prose(10))], count)
    assert all(count(c.text.split("\n\n", 1)[0]) <= 50 for c in chunks)
    assert " ".join(" ".join(bodies(chunks)).split()).startswith("Sentence 0 says")


def test_non_additive_counter_still_within_limit():
    """Even with a counter whose counts do not add up across joins, every chunk is within the hard limit."""
    def lumpy(text: str) -> int:
        return len(text.split()) + 40 * text.count("\n\n")

    sections = [Section(["T", f"S{i}"], f"s{i}", f"Short section number {i}.") for i in range(6)]
    sections.append(Section(["T", "Long"], "long", prose(50)))
    chunks = chunk_article("T", sections, lumpy, max_tokens=120, hard_limit=130)
    assert chunks and all(lumpy(c.text) == c.tokens <= 128 for c in chunks)
    assert all(f"Short section number {i}." in "\n".join(c.text for c in chunks) for i in range(6))


def test_deterministic(count):
    """The same input always gives the same chunks."""
    sections = [Section(["T", "A"], "a", prose(50)), Section(["T", "B"], "b", "Tiny."),
                Section(["T", "C"], "c", "```\n" + "line\n" * 300 + "```")]
    assert chunk_article("T", sections, count) == chunk_article("T", sections, count)


def test_too_small_budget_is_refused(count):
    """A max_tokens too small to hold a heading and some text is a ValueError, not silent nonsense."""
    with pytest.raises(ValueError):
        chunk_article("T", [Section(["T"], None, "text")], count, max_tokens=8)


def test_extracted_page_round_trip(count):
    """Chunking an extracted fixture page keeps every section's words and its anchors."""
    from ingest.extract import extract

    html = (Path(__file__).parent / "data" / "pages" / "sphinx.html").read_text(encoding="utf-8")
    article = extract(html, "https://docs.gadget.example/2/tutorial/widgets.html")
    chunks = chunk_article(article.title, article.sections, count)
    joined = "\n".join(c.text for c in chunks)
    for s in article.sections:
        assert all(w in joined for w in re.findall(r"\S+", s.text))
    assert {c.anchor for c in chunks} <= {s.anchor for s in article.sections}


def test_caller_title_replaces_the_paths_first_element(count):
    """The title passed in heads every chunk and path, even when the article was retitled after extraction."""
    sections = [Section(["notes.md#intro", "Overview"], "intro", "Some words here.")]
    chunks = chunk_article("Roadmap: Intro", sections, count)
    assert chunks[0].text.startswith("Roadmap: Intro > Overview\n\n")
    assert chunks[0].section_path == ["Roadmap: Intro", "Overview"]
