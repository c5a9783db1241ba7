"""The ingest pipeline: roadmap -> crawl -> extract -> chunk -> embed -> a new index version, doing only
the work that changed since the last published version (see `vectorstore.store` for the versioning).

Per page: a 304 or an unchanged article hash reuses its chunks; a changed page gets new chunks, and only texts
the index has never embedded are embedded (the rest are copied with their vectors), each new chunk's sentences with
them (`ingest.sentence_vectors`; a kept chunk's sentence vectors are copied too, or computed once when the active
version predates them); a page that fails keeps
its last good chunks, marked stale; a page no longer reached is dropped. When nothing changed at all (pages,
their tags, the roadmap itself), nothing is written, and the embedding model is never loaded.

Several URLs can be one page: a link that redirects, an alias (`tutorial/index.html` for `tutorial/`), a query
string the site ignores, a `<link rel=canonical>`. The page is indexed once, under the URL that claims its
canonical URL best (the canonical URL itself, else the smallest), whether it came back 200 or 304, and each
other URL is recorded as its alias with its own validators, so the next run asks it conditionally too and
settles on the same owner: an unchanged site re-runs with nothing to index, whatever form its URLs take.
Before publishing, `ingest.safeguards` checks that the new version does not lose what the active one serves.
"""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from errors import NothingIndexedError
from ingest.chunk import chunk_article
from ingest.crawl import CrawledPage, Tag, crawl
from ingest.extract import extract, extract_text
from ingest.fetch import FetchResult
from ingest.records import ROADMAP_DOC, chunk_ids, digest, now, page_meta, roadmap_roots, tag_lists
from ingest.report import IngestReport, LinkHealth, PageOutcome
from ingest.roadmap import Roadmap
from ingest.safeguards import check_links, check_losses
from ingest.urls import UrlMap, canonical
from ingest.writer import EmbedWriter
from vectorstore.store import IndexStore, add_chunks, add_sentences, delete_sentences, iter_chunks, iter_sentences

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection


@dataclass
class IngestOptions:
    depth: int = 1
    budget: int = 80
    chunk_tokens: int = 200
    overlap_tokens: int = 24
    full: bool = False
    recheck_gone_hours: float = 24.0
    force: bool = False          # publish even when a safeguard would refuse (not when every link failed)

    @property
    def chunking(self) -> str:
        return f"heading-v1:{self.chunk_tokens}/{self.overlap_tokens}"


def _why(url: str, final_url: str | None, owner: str) -> str:
    """Why `url` is not indexed itself: it redirects to `owner`'s page, or it is the same page."""
    if final_url and canonical(final_url) != url:
        return f"redirects to {final_url}, indexed as {owner}"
    return f"duplicate of {owner} (same canonical URL)"


class Ingest:
    """One run. Build it with its parts, then `await run()`."""

    def __init__(self, roadmap: Roadmap, store: IndexStore, embedder, fetch: Callable, url_map: UrlMap,
                 options: IngestOptions, on_page: Callable[[PageOutcome], None] | None = None):
        self.roadmap, self.store, self.embedder, self.fetch = roadmap, store, embedder, fetch
        self.url_map, self.opt, self.notify = url_map, options, on_page or (lambda _o: None)
        self.report = IngestReport(run_id=uuid.uuid4().hex[:12], started_at=now())
        self.entries: dict[str, dict] = {}       # url -> record entry of this run (pages with chunks)
        self.chunks: dict[str, list[tuple[str, str, dict]]] = {}   # url -> new (id, text, chunk meta)
        self.canonical_owner: dict[str, str] = {}  # canonical URL -> the crawl URL its page is indexed under
        self.aliases: dict[str, str] = {}        # alias URL -> owner URL
        self.alias_entries: dict[str, dict] = {}  # alias URL -> record entry: owner, reason, validators, links
        self.outcomes: dict[str, PageOutcome] = {}
        self.submitted: set[str] = set()         # chunk ids handed to the embed writer this run

    # ---- one page
    def _finish(self, outcome: PageOutcome) -> None:
        """Report a page's outcome (replacing an earlier one for the same URL: an owner that became an alias)."""
        earlier = self.outcomes.get(outcome.url)
        if earlier is not None:
            self.report.pages.remove(earlier)
        self.outcomes[outcome.url] = outcome
        self.report.pages.append(outcome)
        if earlier is None:
            self.notify(outcome)

    def _keep_old(self, url: str, old: dict, outcome: str, reason: str | None, depth: int, **changes) -> None:
        self.entries[url] = {**old, **changes, "checked_at": now()}
        self._finish(PageOutcome(url, outcome, reason, depth, len(old.get("chunk_ids", [])),
                                 changes.get("stale", False)))

    def _alias(self, url: str, owner: str, reason: str, depth: int, validators: dict) -> None:
        """Record `url` as another URL of `owner`'s page (its tags go to the owner)."""
        self.aliases[url] = owner
        self.alias_entries[url] = {"owner": owner, "reason": reason, "depth": depth,
                                   **{k: validators.get(k) for k in ("etag", "last_modified", "final_url", "links")}}
        self._finish(PageOutcome(url, "skipped", reason, depth))

    def _claim(self, url: str, canon: str) -> bool:
        """Whether `url` is the page indexed for `canon`: the canonical URL itself wins, else the smallest URL,
        whatever order the fetches end in; a previous owner it beats becomes its alias."""
        owner = self.canonical_owner.get(canon)
        if owner == url:
            return True
        if owner is not None and (owner != canon, owner) < (url != canon, url):
            return False
        self.canonical_owner[canon] = url
        if owner is not None:
            prev = self.entries.pop(owner, None) or {}
            self.chunks.pop(owner, None)
            depth = self.outcomes[owner].depth if owner in self.outcomes else prev.get("depth", 0)
            self._alias(owner, url, _why(owner, prev.get("final_url"), url), depth, prev)
        return True

    def owner_of(self, url: str) -> str:
        """The URL a page is indexed under, following aliases (an alias of an alias ends at the page)."""
        seen = {url}
        while url in self.aliases and self.aliases[url] not in seen:
            url = self.aliases[url]
            seen.add(url)
        return url

    def _index_article(self, url: str, depth: int, article, validators: dict, cite_url: str | None = None) -> None:
        """Index a page kept under `url` (its crawl key) and cited as `cite_url` (where it really lives)."""
        cite_url = cite_url or url
        old = self.old_pages.get(url)
        content_hash = digest(article.title, *("\n".join(s.path) + "\n" + s.text for s in article.sections))
        if old and not self.opt.full and old.get("content_hash") == content_hash and old.get("chunk_ids") \
                and old.get("cite_url", url) == cite_url:
            self._keep_old(url, old, "unchanged", None, depth, stale=False, **validators)
            return
        pieces = chunk_article(article.title, article.sections, self.embedder.count_tokens,
                               max_tokens=self.opt.chunk_tokens, overlap_tokens=self.opt.overlap_tokens)
        if not pieces:
            self._finish(PageOutcome(url, "skipped", "no article text", depth))
            return
        ids = chunk_ids(cite_url, [c.text for c in pieces])
        rows = []
        for cid, c in zip(ids, pieces, strict=True):
            anchored = c.anchor and not url.startswith(ROADMAP_DOC)
            meta = {"section": " > ".join(c.section_path[1:]) or article.title, "chunk_index": c.index,
                    "deep_link": f"{cite_url}#{c.anchor}" if anchored else cite_url}
            rows.append((cid, c.text, meta))
        self.chunks[url] = rows
        self.entries[url] = {"title": article.title, "content_hash": content_hash, "chunk_ids": ids, "depth": depth,
                             "fetched_at": now(), "checked_at": now(), "stale": False, "cite_url": cite_url,
                             **validators}
        fresh = [(cid, text, meta) for cid, text, meta in rows if cid not in self.old_ids and cid not in self.submitted]
        self.submitted.update(r[0] for r in fresh)
        if fresh:
            page = page_meta(cite_url, article.title, self.tags_of(url), depth, content_hash,
                             self.entries[url]["fetched_at"], False)
            self.writer.submit([r[0] for r in fresh], [r[1] for r in fresh], [{**page, **r[2]} for r in fresh])
        self._finish(PageOutcome(url, "indexed", None, depth, len(ids)))

    def tags_of(self, url: str) -> list[Tag]:
        """The page's tags so far (the crawl's live list: a later roadmap link reaching it adds to it)."""
        return self._tags_now.get(url, [])

    async def _on_page(self, page: CrawledPage) -> list[str] | None:
        self._tags_now[page.url] = page.tags
        r = page.result
        if r is None:  # the crawl hands a page over once it is fetched
            return None
        old = self.old_pages.get(page.url)
        alias = self.old_aliases.get(page.url)
        if r.outcome == "not_modified" and not self.opt.full:
            if old:  # unchanged: still the page it was, still cited where it was
                if self._claim(page.url, old.get("cite_url", page.url)):
                    self._keep_old(page.url, old, "unchanged", None, page.depth, stale=False)
                else:
                    owner = self.canonical_owner[old.get("cite_url", page.url)]
                    self._alias(page.url, owner, _why(page.url, old.get("final_url"), owner), page.depth, old)
                return old.get("links")
            if alias:  # still the same alias
                self._alias(page.url, alias["owner"], alias["reason"], page.depth, alias)
                return alias.get("links")
        if r.outcome != "ok":
            reason = r.reason or r.outcome
            if old and old.get("chunk_ids"):
                self._keep_old(page.url, old, "failed", f"{reason} (kept last good chunks)", page.depth, stale=True)
                return old.get("links")
            if alias:  # an alias that fails keeps its place (its owner keeps its tags), like a failed page its chunks
                self.aliases[page.url], self.alias_entries[page.url] = alias["owner"], alias
            outcome = r.outcome if r.outcome in ("skipped", "failed") else "failed"
            self._finish(PageOutcome(page.url, outcome, reason, page.depth))
            return old.get("links") if old else (alias or {}).get("links")
        base = self.url_map.to_fetch(r.final_url)
        is_html = "html" in (r.content_type or "html")
        article = extract(r.text or "", base) if is_html else extract_text(r.text or "", base)
        links = [self.url_map.to_real(u) for u in article.links]
        if article.needs_js:
            reason = f"needs JavaScript (an app shell with {article.text_chars} characters of text)"
            self._finish(PageOutcome(page.url, "failed", reason, page.depth))
            return links
        final = canonical(r.final_url)
        canon = canonical(self.url_map.to_real(article.canonical_url)) if article.canonical_url else final
        validators = {"etag": r.etag, "last_modified": r.last_modified, "final_url": r.final_url, "links": links}
        if not self._claim(page.url, canon):
            owner = self.canonical_owner[canon]
            self._alias(page.url, owner, _why(page.url, r.final_url, owner), page.depth, validators)
            return links
        self._index_article(page.url, page.depth, article, validators, cite_url=canon)
        return links

    async def _fetch(self, url: str):
        gone = self.gone_before.get(url)
        if gone and url not in self._roots and time.time() - gone["at"] < self.opt.recheck_gone_hours * 3600:
            when = datetime.fromtimestamp(gone["at"], UTC).isoformat(timespec="seconds")
            return FetchResult(url=url, final_url=url, outcome="failed", status=gone["status"],
                               reason=f"{gone['reason']} (as of {when}; "
                                      f"rechecked after {self.opt.recheck_gone_hours:g} h)")
        old = (self.old_pages.get(url) or self.old_aliases.get(url)) if not self.opt.full else None
        return await self.fetch(url, etag=(old or {}).get("etag"), last_modified=(old or {}).get("last_modified"))

    async def _settle_orphans(self) -> None:
        """An alias whose owner was not indexed this run (no longer reached, or gone) is fetched again in full
        and indexed on its own."""
        for url in [a for a in self.aliases if self.owner_of(a) not in self.entries]:
            page = self.pages.get(url)
            if page is None or url not in self.aliases or self.outcomes[url].outcome == "failed":
                continue  # a failed alias was just asked: once is enough
            del self.aliases[url]
            self.alias_entries.pop(url, None)
            page.result = await self.fetch(url)
            await self._on_page(page)

    # ---- the run
    async def run(self) -> IngestReport:
        t0 = time.perf_counter()
        snap = self.store.snapshot()
        if not self.opt.full:
            self.store.check_compatible(snap, self.embedder.name, self.opt.chunking)
        self.active_record = self.store.record(snap)
        old_record = {} if self.opt.full else self.active_record
        self.old_pages: dict[str, dict] = old_record.get("pages", {})
        self.old_aliases: dict[str, dict] = old_record.get("aliases", {})
        self.old_ids = {cid for e in self.old_pages.values() for cid in e.get("chunk_ids", [])}
        self.gone_before: dict[str, dict] = old_record.get("gone", {})
        self._tags_now: dict[str, list[Tag]] = {}
        self.writer = EmbedWriter(self.embedder.embed, self._new_collection,
                                  sentences_of=self.store.sentence_collection)
        self._version: int | None = None  # set when the new version's collection is created
        try:
            try:
                self._index_roadmap_text()
                roots = roadmap_roots(self.roadmap, self.url_map)
                self._roots = set(roots)
                self.pages = await crawl(roots, self._fetch, self._on_page, depth=self.opt.depth,
                                         budget=self.opt.budget)
                await self._settle_orphans()
                self.report.stages["crawl"] = time.perf_counter() - t0
            finally:
                self.writer.close()
            t1, before = time.perf_counter(), self.writer.sentences.seconds
            self._publish(snap, old_record, roots)
            backfill = self.writer.sentences.seconds - before  # sentence vectors of a version that had none
            self.report.stages["embed"] = self.writer.embed_seconds + backfill
            self.report.stages["store"] = self.writer.store_seconds + time.perf_counter() - t1 - backfill
        except BaseException:
            if self.writer.collection is not None and not self.report.published:  # begun, never published
                self.store.discard(self.writer.collection.name)
            raise
        finally:
            self.report.seconds = time.perf_counter() - t0
        return self.report

    def _new_collection(self) -> Collection:
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
        indexed = {u for u, e in self.entries.items() if e.get("chunk_ids")}
        out = []
        for url, tags in roots.items():
            page, o = self.pages.get(url), self.outcomes.get(url)
            r = page.result if page else None
            owner = self.owner_of(url) if url in self.aliases else None
            ok = o is not None and (o.outcome in ("indexed", "unchanged")
                                    or (o.outcome == "skipped" and owner in indexed))
            weeks, _phases, labels = tag_lists(tags)
            out.append(LinkHealth(
                url=url, weeks=weeks, labels=labels,
                status=r.status if r else None, outcome=o.outcome if o else "not reached",
                reason=o.reason if o else None,
                final_url=r.final_url if r else None, redirects=list(r.redirects) if r else [],
                pages=sum(1 for p in self.pages.values() if url in p.roots and p.url in indexed) + (owner in indexed),
                last_success=now() if ok else (old_links.get(url) or {}).get("last_success")))
        return out

    def _publish(self, snap, old_record: dict, roots: dict[str, list[Tag]]) -> None:
        rep = self.report
        for alias in self.aliases:
            live = self._tags_now.setdefault(self.owner_of(alias), [])
            live.extend(t for t in self._tags_now.get(alias, []) if t not in live)
        page_of: dict[str, str] = {}
        for url, e in self.entries.items():
            tags = self.tags_of(url)
            pm = page_meta(e.get("cite_url", url), e["title"], tags, e["depth"], e["content_hash"], e["fetched_at"],
                           e["stale"])
            e["meta_key"] = json.dumps(pm, sort_keys=True)
            e["roots"] = sorted({t.root for t in tags})
            page_of.update((cid, url) for cid in e["chunk_ids"])
        old_links = {link["url"]: link for link in self.active_record.get("links", [])}
        rep.links = self._link_health(roots, old_links)
        rep.version = snap.version if snap is not None else None
        check_links(rep)
        new_ids = set(page_of)
        rep.chunks_total, rep.embedded = len(new_ids), self.writer.embedded
        rep.chunks_removed = len(self.old_ids - new_ids)
        rep.chunks_added = len(new_ids - self.old_ids)
        changed = [u for u, e in self.entries.items()
                   if (self.old_pages.get(u) or {}).get("meta_key") != e["meta_key"]
                   or (self.old_pages.get(u) or {}).get("chunk_ids") != e["chunk_ids"]]
        dropped = [u for u, e in self.old_pages.items() if e.get("chunk_ids") and u not in self.entries]
        roadmap = self.roadmap.to_dict()
        if (snap is not None and not self.opt.full and not changed and not dropped and not rep.chunks_removed
                and self.writer.collection is None and old_record.get("roadmap") == roadmap
                and snap.sentences is not None):  # a version without sentence vectors is rebuilt with them
            rep.version, rep.published = snap.version, False
            return
        check_losses(self.active_record.get("pages", {}), self.entries, rep, self.pages, force=self.opt.force)
        if not any(not u.startswith(ROADMAP_DOC) for u in self.entries):
            raise NothingIndexedError("nothing could be indexed from the roadmap's links (see the report); "
                                      "the index is unchanged")
        col = self.writer.collection or self._new_collection()
        sentence_col = self.store.sentence_collection(col)
        version = self._version
        if version is None:  # _new_collection() sets it with the collection
            raise RuntimeError("the new version has a collection but no number")
        final: dict[str, dict[str, Any]] = {}
        for url, rows in self.chunks.items():
            pm = json.loads(self.entries[url]["meta_key"])
            final.update((cid, {**pm, **cm}) for cid, _t, cm in rows)
        retag = [cid for cid, meta in self.writer.added.items() if cid in new_ids and final.get(cid, meta) != meta]
        if retag:  # written while the crawl still added tags to their page
            col.update(ids=retag, metadatas=[final[c] for c in retag])
        if extra := [cid for cid in self.writer.added if cid not in new_ids]:
            col.delete(ids=extra)  # written for a page that then turned out to be another page's alias
            delete_sentences(sentence_col, extra)
        to_copy = [cid for cid in new_ids if cid not in self.writer.added]
        updated = 0
        if to_copy:
            kept = list(iter_chunks(snap.collection, to_copy, embeddings=True)) if snap else []
            if len(kept) != len(to_copy):
                raise NothingIndexedError(f"the index lost {len(to_copy) - len(kept)} chunks its record names: "
                                          "rebuild with `python -m ingest --full`")
            metas = [final.get(cid) or {**meta, **json.loads(self.entries[page_of[cid]]["meta_key"])}
                     for cid, _d, meta, _e in kept]
            updated = sum(1 for (_c, _d, meta, _e), new in zip(kept, metas, strict=True) if meta != new)
            add_chunks(col, [r[0] for r in kept], [r[1] for r in kept], metas, [r[3] for r in kept])
            if snap is not None and snap.sentences is not None:  # their sentence vectors, copied
                add_sentences(sentence_col, list(iter_sentences(snap.sentences, to_copy)))
            else:  # the active version predates sentence vectors: computed once now
                add_sentences(sentence_col, self.writer.sentences.rows([(r[0], r[1]) for r in kept]))
        rep.metadata_updated = updated  # chunks kept from the active version whose metadata changed
        rep.sentences_total = sentence_col.count()
        rep.sentences_embedded = self.writer.sentences.embedded
        record = {"pages": self.entries, "aliases": self.alias_entries, "links": [vars(link) for link in rep.links],
                  "run": rep.summary(), "gone": self._gone(), "roadmap": roadmap}
        self.store.publish(version, col, record, embedder=self.embedder.name, chunking=self.opt.chunking)
        rep.version, rep.published = version, True
