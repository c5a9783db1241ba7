"""Chunks as the ingest stores them (id, text starting with the heading line, metadata), for tests that fill a store
by hand instead of crawling a fixture site."""
from __future__ import annotations

from collections.abc import Sequence


def stored_chunk(cid: str, url: str, title: str, body: str, *, section: str = "", weeks: Sequence[int] = (),
                 index: int = 0, resources: Sequence[str] = ()) -> tuple[str, str, dict]:
    """One stored chunk: its text opens with "title > section" (the title alone when the section is the title),
    its metadata carries the url, deep link, title, section, chunk index, depth 0 and, when given, weeks and the
    resources that link to it."""
    section = section or title
    heading = title if section == title else f"{title} > {section}"
    meta: dict = {"url": url, "deep_link": url, "title": title, "section": section, "chunk_index": index, "depth": 0}
    if weeks:
        meta["weeks"] = list(weeks)
    if resources:
        meta["resources"] = list(resources)
    return cid, f"{heading}\n\n{body}", meta
