"""Tests for ingest/records.py: content-derived chunk ids and the metadata every chunk carries."""
from __future__ import annotations

from ingest.crawl import Tag
from ingest.records import chunk_ids, digest, page_meta


def test_chunk_ids_derive_from_url_and_text():
    """The same URL and text always give the same id; a repeated text in one page gets a numbered id."""
    ids = chunk_ids("https://x.org/a", ["one", "two", "one"])
    assert ids == chunk_ids("https://x.org/a", ["one", "two", "one"])
    assert ids[2] == ids[0] + "-1" and len(set(ids)) == 3
    assert chunk_ids("https://x.org/b", ["one"])[0] != ids[0]
    assert digest("ab", "c") != digest("a", "bc")


def test_page_meta_leaves_out_empty_lists():
    """A page with no week keeps no `weeks` key (Chroma refuses empty lists); tags are merged and sorted."""
    meta = page_meta("u", "T", [Tag(None, None, "Summary", "r")], 1, "h", "now", False)
    assert "weeks" not in meta and "phases" not in meta and meta["resources"] == ["Summary"]
    meta = page_meta("u", "T", [Tag(9, 3, "B", "r"), Tag(4, 1, "A", "s"), Tag(9, 3, "B", "t")], 0, "h", "now", True)
    assert meta["weeks"] == [4, 9] and meta["phases"] == [1, 3] and meta["resources"] == ["A", "B"] and meta["stale"]
