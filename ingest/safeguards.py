"""When a new index version may not replace the active one: a good index is never replaced by a worse one by
accident. Checked after the crawl, before anything is published; a refusal raises `PublishRefusedError`
(the command exits 3) and the active version keeps serving.

1. Every roadmap link failed (network down, no mirror, a proxy blocking us): never published, even with
   `--force` - there is nothing new to publish, only losses.
2. The new version would lose more than `MAX_FAILED_LOSS` of the active version's pages because fetches failed:
   the page itself failed, or it was not reached because its roadmap link failed (`--full` after an outage, a
   host blocking us, most links answering 5xx). An incremental run keeps a failed page's last good chunks
   (stale), so this is mostly `--full`'s case.
3. The new version would drop more than `MAX_DROP` of the active version's pages, whatever the cause (a roadmap
   that lost most of its links, a site that moved everything).
`--force` overrides 2 and 3. Pages are counted by the URL they are cited as; the roadmap's own sections do not
count.
"""
from __future__ import annotations

from errors import PublishRefusedError
from ingest.records import ROADMAP_DOC
from ingest.report import IngestReport, PageOutcome

MAX_FAILED_LOSS = 0.10   # share of the active version's pages that failed fetches may cost
MAX_DROP = 0.50          # share of the active version's pages a version may drop for any reason
NAMED = 5                # failures named in a message


def _web(url: str) -> bool:
    return not url.startswith(ROADMAP_DOC)


def _named(failures: list[PageOutcome]) -> str:
    shown = "; ".join(f"{o.url}: {o.reason}" for o in failures[:NAMED])
    return shown + (f"; and {len(failures) - NAMED} more" if len(failures) > NAMED else "")


def _refuse(report: IngestReport, message: str) -> None:
    report.refused = message
    raise PublishRefusedError(message, report)


def _serving(report: IngestReport) -> str:
    return f"index version {report.version} keeps serving" if report.version is not None else "no index was published"


def check_links(report: IngestReport) -> None:
    """Rule 1: refuse a run in which every roadmap link failed, whatever else it would change (or not)."""
    roots = [o for o in report.pages if o.depth == 0 and _web(o.url)]
    failed_roots = [o for o in roots if o.outcome == "failed"]
    if roots and len(failed_roots) == len(roots):
        _refuse(report,
                f"every roadmap link failed ({len(roots)} of {len(roots)}): {_named(failed_roots)}. Nothing was "
                f"published; {_serving(report)}. Check the network (or RA_MIRROR_BASE) and run again.")


def check_losses(active: dict[str, dict], new: dict[str, dict], report: IngestReport, crawled: dict, *,
                 force: bool) -> None:
    """Rules 2 and 3: refuse a version of the `new` record entries that loses too much of `active`'s."""
    serving = _serving(report)
    failed = {o.url: o for o in report.pages if o.outcome == "failed"}
    failed_roots = [o for o in failed.values() if o.depth == 0 and _web(o.url)]
    before = {u: e for u, e in active.items() if _web(u) and e.get("chunk_ids")}
    if not before:
        return
    kept = {e.get("cite_url", u) for u, e in new.items() if e.get("chunk_ids")}
    lost = [u for u, e in before.items() if e.get("cite_url", u) not in kept]
    failed_root_urls = {o.url for o in failed_roots}
    by_failure = [u for u in lost
                  if u in failed or (u not in crawled and failed_root_urls & set(before[u].get("roots", [])))]
    report.pages_dropped = len(lost)
    if force:
        return
    if len(by_failure) > MAX_FAILED_LOSS * len(before):
        causes = {u: failed[u] for u in by_failure if u in failed}  # the lost pages that failed, and the links
        causes.update((o.url, o) for o in failed_roots if any(o.url in before[u].get("roots", []) for u in by_failure))
        failures = sorted(causes.values(), key=lambda o: (o.depth, o.url))
        _refuse(report,
            f"the new version would lose {len(by_failure)} of the active version's {len(before)} pages because "
            f"fetches failed ({len(failures)} failures: {_named(failures)}). Nothing was published; {serving}. Run "
            f"again when the sites answer, or with --force to publish without those pages.")
    if len(lost) > MAX_DROP * len(before):
        _refuse(report,
            f"the new version would drop {len(lost)} of the active version's {len(before)} pages (more than "
            f"{MAX_DROP:.0%}). Nothing was published; {serving}. If the roadmap dropped those links on purpose, "
            f"run again with --force.")
