"""The ingest pipeline: roadmap -> crawl -> extract -> chunk -> embed -> a new index version, doing only
the work that changed since the last published version (see `vectorstore.store` for the versioning).

Per page: a 304 or an unchanged article hash reuses its chunks; a changed page gets new chunks, and only texts
the index has never embedded are embedded (the rest are copied with their vectors); a page that fails keeps
its last good chunks, marked stale; a page no longer reached is dropped. When nothing changed at all, nothing
is written.
"""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from errors import NothingIndexedError
from ingest.chunk import chunk_article
from ingest.crawl import CrawledPage, Tag, crawl
from ingest.extract import extract, extract_text
from ingest.fetch import FetchResult
from ingest.records import chunk_ids, digest, now, page_meta, roadmap_roots, tag_lists
from ingest.report import IngestReport, LinkHealth, PageOutcome
from ingest.roadmap import Roadmap
from ingest.urls import UrlMap, canonical
from ingest.writer import EmbedWriter
from vectorstore.store import IndexStore, add_chunks, iter_chunks

ROADMAP_DOC = "roadmap.md"


@dataclass
class IngestOptions:
    depth: int = 1
    budget: int = 80
    chunk_tokens: int = 200
    overlap_tokens: int = 24
    full: bool = False
    recheck_gone_hours: float = 24.0

    @property
    def chunking(self) -> str:
        return f"heading-v1:{self.chunk_tokens}/{self.overlap_tokens}"


class Ingest:
    """One run. Build it with its parts, then `await run()`."""

    def __init__(self, roadmap: Roadmap, store: IndexStore, embedder, fetch: Callable, url_map: UrlMap,
                 options: IngestOptions, on_page: Callable[[PageOutcome], None] | None = None):
        self.roadmap, self.store, self.embedder, self.fetch = roadmap, store, embedder, fetch
        self.url_map, self.opt, self.notify = url_map, options, on_page or (lambda _o: None)
        self.report = IngestReport(run_id=uuid.uuid4().hex[:12], started_at=now())
        self.entries: dict[str, dict] = {}       # url -> record entry of this run
        self.chunks: dict[str, list[tuple[str, str, dict]]] = {}   # url -> new (id, text, chunk meta)
        self.canonical_owner: dict[str, str] = {}
        self.aliases: dict[str, str] = {}
        self.submitted: set[str] = set()         # chunk ids handed to the embed writer this run

    # ---- one page
    def _finish(self, outcome: PageOutcome) -> None:
        self.report.pages.append(outcome)
        self.notify(outcome)

    def _keep_old(self, url: str, old: dict, outcome: str, reason: str | None, depth: int, **changes) -> None:
        self.entries[url] = {**old, **changes, "checked_at": now()}
        self._finish(PageOutcome(url, outcome, reason, depth, len(old.get("chunk_ids", [])), changes.get("stale", False)))

    def _index_article(self, url: str, depth: int, article, validators: dict, cite_url: str | None = None) -> None:
        """Index a page kept under `url` (its crawl key) and cited as `cite_url` (where it really lives)."""
        cite_url = cite_url or url
        old = self.old_pages.get(url)
        content_hash = digest(article.title, *("\n".join(s.path) + "\n" + s.text for s in article.sections))
        if old and not self.opt.full and old.get("content_hash") == content_hash and old.get("chunk_ids"):
            self._keep_old(url, old, "unchanged", None, depth, stale=False, **validators)
            return
        pieces = chunk_article(article.title, article.sections, self.embedder.count_tokens,
                               max_tokens=self.opt.chunk_tokens, overlap_tokens=self.opt.overlap_tokens)
        if not pieces:
            self._finish(PageOutcome(url, "skipped", "no article text", depth))
            return
        ids = chunk_ids(cite_url, [c.text for c in pieces])
        rows = []
        for cid, c in zip(ids, pieces):
            anchored = c.anchor and not url.startswith(ROADMAP_DOC)
            meta = {"section": " > ".join(c.section_path[1:]) or article.title, "chunk_index": c.index,
                    "deep_link": f"{cite_url}#{c.anchor}" if anchored else cite_url}
            rows.append((cid, c.text, meta))
        self.chunks[url] = rows
        self.entries[url] = {"title": article.title, "content_hash": content_hash, "chunk_ids": ids, "depth": depth,
                             "fetched_at": now(), "checked_at": now(), "stale": False, "cite_url": cite_url, **validators}
        fresh = [(cid, text, meta) for cid, text, meta in rows if cid not in self.old_ids and cid not in self.submitted]
        self.submitted.update(r[0] for r in fresh)
        if fresh:
            page = page_meta(cite_url, article.title, self.tags_of(url), depth, content_hash, self.entries[url]["fetched_at"], False)
            self.writer.submit([r[0] for r in fresh], [r[1] for r in fresh], [{**page, **r[2]} for r in fresh])
        self._finish(PageOutcome(url, "indexed", None, depth, len(ids)))

    def tags_of(self, url: str) -> list[Tag]:
        """The page's tags so far (the crawl's live list: a later roadmap link reaching it adds to it)."""
        return self._tags_now.get(url, [])

    async def _on_page(self, page: CrawledPage) -> list[str] | None:
        self._tags_now[page.url] = page.tags
        r = page.result
        old = self.old_pages.get(page.url)
        if r.outcome == "not_modified" and old and not self.opt.full:
            self._keep_old(page.url, old, "unchanged", None, page.depth, stale=False)
            return old.get("links")
        if r.outcome != "ok":
            reason = r.reason or r.outcome
            if old and old.get("chunk_ids"):
                self._keep_old(page.url, old, "failed", f"{reason} (kept last good chunks)", page.depth, stale=True)
                return old.get("links")
            self._finish(PageOutcome(page.url, r.outcome if r.outcome in ("skipped", "failed") else "failed", reason, page.depth))
            return old.get("links") if old else None
        base = self.url_map.to_fetch(r.final_url)
        is_html = "html" in (r.content_type or "html")
        article = extract(r.text or "", base) if is_html else extract_text(r.text or "", base)
        links = [self.url_map.to_real(u) for u in article.links]
        if article.needs_js:
            self._finish(PageOutcome(page.url, "failed", f"needs JavaScript (an app shell with {article.text_chars} characters of text)", page.depth))
            return links
        final = canonical(r.final_url)
        canon = canonical(self.url_map.to_real(article.canonical_url)) if article.canonical_url else final
        owner = self.canonical_owner.get(canon)
        if owner is None or (page.url != canon, page.url) < (owner != canon, owner):
            if owner is not None:  # a better claimant (the canonical URL itself) takes over, whatever came first
                self.aliases[owner] = page.url
                self.entries.pop(owner, None)
                self.chunks.pop(owner, None)
            owner = self.canonical_owner[canon] = page.url
        if owner != page.url:
            self.aliases[page.url] = owner
            moved = final != page.url
            why = f"redirects to {r.final_url}, indexed as {owner}" if moved else f"duplicate of {owner} (same canonical URL)"
            self._finish(PageOutcome(page.url, "skipped", why, page.depth))
            return links
        validators = {"etag": r.etag, "last_modified": r.last_modified, "final_url": r.final_url, "links": links}
        self._index_article(page.url, page.depth, article, validators, cite_url=canon)
        return links

    async def _fetch(self, url: str):
        gone = self.gone_before.get(url)
        if gone and url not in self._roots and time.time() - gone["at"] < self.opt.recheck_gone_hours * 3600:
            when = datetime.fromtimestamp(gone["at"], timezone.utc).isoformat(timespec="seconds")
            return FetchResult(url=url, final_url=url, outcome="failed", status=gone["status"],
                               reason=f"{gone['reason']} (as of {when}; rechecked after {self.opt.recheck_gone_hours:g} h)")
        old = self.old_pages.get(url) if not self.opt.full else None
        return await self.fetch(url, etag=(old or {}).get("etag"), last_modified=(old or {}).get("last_modified"))

    # ---- the run
    async def run(self) -> IngestReport:
        t0 = time.perf_counter()
        snap = self.store.snapshot()
        if not self.opt.full:
            self.store.check_compatible(snap, self.embedder.name, self.opt.chunking)
        old_record = {} if self.opt.full else self.store.record(snap)
        self.old_pages: dict[str, dict] = old_record.get("pages", {})
        self.old_ids = {cid for e in self.old_pages.values() for cid in e.get("chunk_ids", [])}
        self.gone_before: dict[str, dict] = old_record.get("gone", {})
        self._tags_now: dict[str, list[Tag]] = {}
        self.writer = EmbedWriter(self.embedder.embed, self._new_collection)
        self._version = None
        try:
            self._index_roadmap_text()
            roots = roadmap_roots(self.roadmap, self.url_map)
            self._roots = set(roots)
            self.pages = await crawl(roots, self._fetch, self._on_page, depth=self.opt.depth, budget=self.opt.budget)
            self.report.stages["crawl"] = time.perf_counter() - t0
        finally:
            self.writer.close()
        self.report.stages["embed"] = self.writer.embed_seconds
        t1 = time.perf_counter()
        self._publish(snap, old_record, roots)
        self.report.stages["store"] = self.writer.store_seconds + time.perf_counter() - t1
        self.report.seconds = time.perf_counter() - t0
        return self.report

    def _new_collection(self):
        self._version, col = self.store.new_version()
        return col

    def _index_roadmap_text(self) -> None:
        for sec in self.roadmap.sections:
            url = f"{ROADMAP_DOC}#{sec.anchor}"
            tag = [Tag(week=sec.week, phase=sec.phase, label="Roadmap", root=url)]
            self._tags_now[url] = tag
            article = extract_text(sec.text, url)
            article.title = f"Roadmap: {sec.title}"
            for section in article.sections:  # path[0] is the article's title, here the file name until now
                section.path[0] = article.title
            self._index_article(url, 0, article, {})

    def _gone(self) -> dict[str, dict]:
        """Child pages that answered 404/410: not asked again until `recheck_gone_hours` have passed."""
        gone = {}
        for url, page in self.pages.items():
            r = page.result
            if page.depth > 0 and r is not None and r.status in (404, 410) and r.outcome == "failed":
                gone[url] = self.gone_before.get(url) or {"status": r.status, "reason": r.reason, "at": time.time()}
        return gone

    def _link_health(self, roots: dict[str, list[Tag]], old_links: dict[str, dict]) -> list[LinkHealth]:
        outcomes = {o.url: o for o in self.report.pages}
        indexed = {u for u, e in self.entries.items() if e.get("chunk_ids")}
        out = []
        for url, tags in roots.items():
            page, o = self.pages.get(url), outcomes.get(url)
            r = page.result if page else None
            owner = self.aliases.get(url)
            ok = o is not None and (o.outcome in ("indexed", "unchanged") or owner in indexed)
            weeks, _phases, labels = tag_lists(tags)
            out.append(LinkHealth(
                url=url, weeks=weeks, labels=labels,
                status=r.status if r else None, outcome=o.outcome if o else "not reached", reason=o.reason if o else None,
                final_url=r.final_url if r else None, redirects=list(r.redirects) if r else [],
                pages=sum(1 for p in self.pages.values() if url in p.roots and p.url in indexed) + (owner in indexed),
                last_success=now() if ok else (old_links.get(url) or {}).get("last_success")))
        return out

    def _publish(self, snap, old_record: dict, roots: dict[str, list[Tag]]) -> None:
        rep = self.report
        for alias, owner in self.aliases.items():
            live = self._tags_now.setdefault(owner, [])
            live.extend(t for t in self._tags_now.get(alias, []) if t not in live)
        page_of: dict[str, str] = {}
        for url, e in self.entries.items():
            pm = page_meta(e.get("cite_url", url), e["title"], self.tags_of(url), e["depth"], e["content_hash"], e["fetched_at"], e["stale"])
            e["meta_key"] = json.dumps(pm, sort_keys=True)
            page_of.update((cid, url) for cid in e["chunk_ids"])
        old_links = {link["url"]: link for link in old_record.get("links", [])}
        rep.links = self._link_health(roots, old_links)
        new_ids = set(page_of)
        rep.chunks_total, rep.embedded = len(new_ids), self.writer.embedded
        rep.chunks_removed = len(self.old_ids - new_ids)
        rep.chunks_added = len(new_ids - self.old_ids)
        changed = [u for u, e in self.entries.items()
                   if (self.old_pages.get(u) or {}).get("meta_key") != e["meta_key"]
                   or (self.old_pages.get(u) or {}).get("chunk_ids") != e["chunk_ids"]]
        if snap is not None and not self.opt.full and not changed and not rep.chunks_removed and self.writer.collection is None:
            rep.version, rep.published = snap.version, False
            return
        if not new_ids:
            raise NothingIndexedError("nothing could be indexed: every page failed (see the report); the index is unchanged")
        col = self.writer.collection or self._new_collection()
        final = {}
        for url, rows in self.chunks.items():
            pm = json.loads(self.entries[url]["meta_key"])
            final.update((cid, {**pm, **cm}) for cid, _t, cm in rows)
        stale_meta = [cid for cid, meta in self.writer.added.items() if final.get(cid, meta) != meta]
        if stale_meta:
            col.update(ids=stale_meta, metadatas=[final[c] for c in stale_meta])
        to_copy = [cid for cid in new_ids if cid not in self.writer.added]
        if to_copy:
            rows = list(iter_chunks(snap.collection, to_copy, embeddings=True))
            if len(rows) != len(to_copy):
                raise NothingIndexedError(f"the index lost {len(to_copy) - len(rows)} chunks its record names: rebuild with `python -m ingest --full`")
            metas = [final.get(cid) or {**meta, **json.loads(self.entries[page_of[cid]]["meta_key"])} for cid, _d, meta, _e in rows]
            add_chunks(col, [r[0] for r in rows], [r[1] for r in rows], metas, [r[3] for r in rows])
        # chunks whose metadata changed: written ones retagged after the fact, plus kept pages' chunks retagged
        rep.metadata_updated = len(stale_meta) + sum(len(self.entries[u]["chunk_ids"]) for u in changed if u not in self.chunks)
        record = {"pages": self.entries, "links": [vars(link) for link in rep.links], "run": rep.summary(),
                  "gone": self._gone()}
        self.store.publish(self._version, col, record, embedder=self.embedder.name, chunking=self.opt.chunking)
        rep.version, rep.published = self._version, True
