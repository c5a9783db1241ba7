"""Where the key fact of a DEV question is lost on its way into the extractive answer, counted by cause.

    RA_DATA_DIR=... python bench/extractive_losses.py [--dev FILE ...] [--show CAUSE ...]

Every answerable dev question with `must_contain` phrases is routed and answered as `POST /ask` does
(`evaluation.evaluate.Harness`). A question whose answer misses a phrase is put under the first of these causes
that holds for a missing phrase, in this order:
  plan      answered from the roadmap's own text (`api.plan`), not by the extractive picker;
  abstain   (d) the answer abstains (not grounded);
  not-hit   (a) the phrase is in none of the retrieved passages (`aside`: it is in a passage of the best page beside
            the hits, `Retrieval.aside`, that the picker did not quote; `gold-hit`: a gold page was retrieved, but
            not the passage holding the phrase; `no-gold`: no gold page in the hits);
  dropped   (c) the phrase is in a passage but in none of its readable sentences (the reader drops or cuts it);
  picker    (b) the phrase is in a candidate sentence the picker did not choose (`unembedded`: that sentence was
            not among the `max_embedded` scored by meaning; `cap`: it was outscored only by the 90-word budget;
            `outscored`: other sentences scored higher).
Each cause is split by where the missing phrase sits in its passage (`where`): `heading` (the chunk's "Page >
Section" line or a markdown heading), `code` (a fenced block), `table` (a table row), `list` (a list item), `prose`
(a paragraph), `lines` (across lines); a `picker` loss whose fact sentence is next to a picked one (in the same
passage, one before or after) is marked `next`.
Only the dev set may be given here. `--show CAUSE ...` prints the questions of those causes with the phrase and
the answer.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def main(argv: list[str] | None = None) -> int:
    from evaluation.evaluate import DEV, TEST

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dev", type=Path, nargs="+", default=list(DEV), help="the DEV question files")
    ap.add_argument("--show", nargs="+", default=[],
                    help="print the questions lost to these causes (e.g. picker, dropped)")
    args = ap.parse_args(argv)
    if any(p.resolve() == TEST.resolve() for p in args.dev):  # the earlier test sets are dev data now
        print("error: diagnose the dev set only; the test set is never tuned on", file=sys.stderr)
        return 2

    from api import conversation
    from api.answer import Answer
    from api.extractive import flat, sentences
    from evaluation.evaluate import Harness, key_facts, load_questions
    from vectorstore.retrieve import strip_week

    harness = Harness.open()
    extractor = harness.answerer.extractor
    causes: Counter[str] = Counter()
    total = found_all = 0
    for q in load_questions(*args.dev):
        if q.get("kind") == "unanswerable" or not q.get("must_contain"):
            continue
        total += 1
        resolved = conversation.resolve(harness.retriever, q["question"], [], q.get("week"), 5,
                                        plan=harness.planned)
        asked, top = resolved.answer_question(generated=False), resolved.retrieval
        reply = harness.answerer.answer(asked, top)
        ok, _ = key_facts(reply.answer, q["must_contain"])
        if ok:
            found_all += 1
            continue
        missing = [p for p in q["must_contain"] if _norm(p) not in _norm(reply.answer)]
        if isinstance(top, Answer):
            cause = "plan"
        elif not reply.grounded:
            cause = "abstain"
        else:
            cause = _cause(q, missing, top.hits, extractor, asked, strip_week(asked) or asked, flat, sentences,
                           top.aside)
            if not cause.startswith("not-hit"):
                cause += "/" + where(missing, top.hits)
        causes[cause] += 1
        if any(cause.startswith(show) for show in args.show):
            print(f"--- {cause} | {q.get('id')} | {q['question']}\n    missing: {missing}\n    answer: {reply.answer}")
    print(f"{total} answerable dev questions with key facts; all phrases quoted in {found_all} "
          f"({found_all / max(1, total):.3f}); the other {total - found_all} by first cause:")
    for cause, n in sorted(causes.items(), key=lambda t: (t[0].split(":")[0], -t[1])):
        print(f"  {cause:<24} {n:>4}  ({n / max(1, total):.3f} of all)")
    return 0


def where(missing: list[str], hits: list) -> str:
    """Where the first missing phrase found in a passage sits: heading, code, table, list, prose or lines."""
    from vectorstore.sentences import _BULLET, _FENCE

    for p in missing:
        for hit in hits:
            if _norm(p) not in _norm(hit.text.replace("**", "").replace("`", "")):
                continue
            code = False
            for n, line in enumerate(hit.text.splitlines()):
                s = line.strip()
                if _FENCE.match(s):
                    code = not code
                    continue
                if _norm(p) not in _norm(s.replace("**", "").replace("`", "")):
                    continue
                if code:
                    return "code"
                if n == 0 or s.startswith("#"):
                    return "heading"
                if s.startswith("|") or " | " in s:
                    return "table"
                return "list" if _BULLET.match(s) else "prose"
            return "lines"
    return "lines"


def _cause(q: dict, missing: list[str], hits: list, extractor, question: str, query: str, flat, sentences,
           aside: list) -> str:
    from api.extractive import pick

    texts = [_norm(flat(h.text)) for h in hits]
    in_hit = [p for p in missing if any(_norm(p) in t for t in texts)]
    if not in_hit:
        if any(_norm(p) in _norm(flat(h.text)) for p in missing for h in aside):
            return "not-hit:aside"  # in a passage of the best page beside the hits: the picker did not choose it
        gold = {u.rstrip("/") for u in q.get("gold_urls") or []}
        got = {(h.meta or {}).get("url", "").rstrip("/") for h in hits}
        return "not-hit:" + ("gold-hit" if gold & got else "no-gold")
    sents = [_norm(s.replace("`", "")) for h in hits for s in sentences(h.text)]
    readable = [p for p in in_hit if any(_norm(p) in s for s in sents)]
    if not readable:
        return "dropped"
    cands = extractor.features(question, hits, query)
    holders = [c for c in cands if any(_norm(p) in _norm(c.text.replace("`", "")) for p in readable)]
    if holders and all(c.vector is None for c in holders) and extractor.embedder is not None:
        return "picker:unembedded"
    uncapped = pick(cands, extractor.weights, 10_000, 4)
    if any(c is p for c in holders for p in uncapped):
        return "picker:cap"
    picked = pick(cands, extractor.weights, 90, 4)
    near = any(c.hit == p.hit and abs(c.pos - p.pos) == 1 for c in holders for p in picked)
    return "picker:outscored" + (":next" if near else "")


if __name__ == "__main__":
    sys.exit(main())
