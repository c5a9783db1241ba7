"""The evaluation: the real Retriever and Answerer over an index, on the dev and test question sets side by side.

    python -m evaluation.evaluate [--dev FILE...] [--test eval/test17_questions.jsonl] [--only dev|test]
                           [--k 5] [--mode hybrid|dense|bm25|all] [--no-week] [--json out.json] [--report FILE]

Every question is searched (top k, and top 10 for MRR/nDCG) and answered extractively, in-process, over the index
the settings point at (`RA_DATA_DIR` / `RA_CHROMA_URL`). Per set it reports:
- retrieval, over the questions with gold URLs: hit@1, hit@k, MRR@10, nDCG@10 (URLs compared canonically, without
  fragment or trailing slash; `roadmap.md#week-6` keeps its anchor; each gold URL counted once);
- abstention, with the unanswerable questions as the positive class: precision and recall of "abstained" (the
  answer is not grounded), and the share of answerable questions that abstained;
- answers: the key-fact rate (the share of answerable questions whose answer text holds all, or at least one, of
  its `must_contain` phrases, case-insensitively) and citation faithfulness (the share of `[n]`-cited sentences
  whose words are found, in order, in the passage they cite, over the grounded answers; plan answers, composed
  from the roadmap's parsed fields, and ungrounded ones, which frame their quotes, are left out).
Questions go the way `POST /ask` takes them (`api.conversation.resolve` without history): a question about a week's
plan is answered by `api.plan` from the roadmap (its citations are its ranking), any other is searched.
`--report` writes those side by side as markdown; `--json` writes every question's row too. Fitting the
calibration is `python -m evaluation.calibrate` (see there).
"""
from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.urls import canonical

if TYPE_CHECKING:  # the service's parts are imported where a run opens them: scoring needs none of them
    from api.answer import Answerer
    from ingest.roadmap import Roadmap
    from settings import Settings
    from vectorstore.retrieve import Retriever

# The earlier held-out sets were reported on (test_questions.jsonl by three rounds, test2 to test16 by one each)
# and are dev data now; test17, written at the start of the next round before its changes, is its held-out set (the
# test run is skipped while the file is missing).
DEV = (Path("eval/questions.jsonl"), Path("eval/questions_nearmiss.jsonl"), Path("eval/questions_learner.jsonl"),
       Path("eval/questions_learner2.jsonl"), Path("eval/test_questions.jsonl"), Path("eval/test2_questions.jsonl"),
       Path("eval/test3_questions.jsonl"), Path("eval/test4_questions.jsonl"), Path("eval/test5_questions.jsonl"),
       Path("eval/test6_questions.jsonl"), Path("eval/test7_questions.jsonl"), Path("eval/test8_questions.jsonl"),
       Path("eval/test9_questions.jsonl"), Path("eval/test10_questions.jsonl"),
       Path("eval/test11_questions.jsonl"), Path("eval/test12_questions.jsonl"),
       Path("eval/test13_questions.jsonl"), Path("eval/test14_questions.jsonl"),
       Path("eval/test15_questions.jsonl"), Path("eval/test16_questions.jsonl"))
TEST = Path("eval/test17_questions.jsonl")
RETRIEVAL = ("hit@1", "hit@k", "mrr@10", "ndcg@10")
ABSTENTION = ("abstain_precision", "abstain_recall", "answerable_abstain")
ANSWERS = ("keyfact_all", "keyfact_any", "faithful")
METRICS = (*RETRIEVAL, *ABSTENTION, *ANSWERS, "widened_xweek", "p50_ms")
LABELS = {
    "hit@1": "hit@1", "hit@k": "hit@{k}", "mrr@10": "MRR@10", "ndcg@10": "nDCG@10",
    "abstain_precision": "abstention precision (unanswerable = positive)",
    "abstain_recall": "abstention recall: unanswerable that abstain",
    "answerable_abstain": "answerable that abstain",
    "keyfact_all": "key facts: all `must_contain` in the answer", "keyfact_any": "key facts: at least one",
    "faithful": "citation faithfulness: cited sentences found in their passage",
    "widened_xweek": "cross-week questions widened", "p50_ms": "p50 ms per question (retrieve + answer)",
}
# `[n]` markers; a code span ("sys.argv[0]") is matched whole and skipped, as the widget reads it
_CITED = re.compile(r"`[^`\n]+`|\s*((?:\[\d{1,3}\])+)")
_WORDS = re.compile(r"[a-z0-9]+")


def norm_url(url: str) -> str:
    """Compare URLs by canonical form without fragment or trailing slash; roadmap anchors stay whole."""
    url = url.strip()
    if not url.startswith(("http://", "https://")):
        return url.rstrip("/").lower()
    return canonical(url).rstrip("/")


def score_ranking(urls: list[str], gold: list[str], k: int) -> dict[str, float]:
    """Ranking metrics of one answer list (`urls` best first, at least 10 long when available)."""
    gold_set = {norm_url(g) for g in gold}
    got = [norm_url(u) for u in urls]
    first = next((i for i, u in enumerate(got[:10]) if u in gold_set), None)
    seen: set[str] = set()
    dcg = 0.0
    for i, u in enumerate(got[:10]):
        if u in gold_set and u not in seen:
            seen.add(u)
            dcg += 1.0 / math.log2(i + 2)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold_set), 10)))
    return {
        "hit@1": float(bool(got[:1]) and got[0] in gold_set),
        "hit@k": float(any(u in gold_set for u in got[:k])),
        "mrr@10": 0.0 if first is None else 1.0 / (first + 1),
        "ndcg@10": dcg / ideal if ideal else 0.0,
    }


# ---------------------------------------------------------------- answers
def key_facts(answer: str, phrases: list[str]) -> tuple[bool, bool]:
    """(all, any): whether the answer text holds every / at least one phrase, case-insensitively."""
    text = " ".join(answer.lower().split())
    found = [" ".join(p.lower().split()) in text for p in phrases]
    return all(found), any(found)


def _words(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


def without_note(answer: str, note: str | None) -> str:
    """The answer text without the sentences of its note ("This is covered in week 12, not week 9.")."""
    for sentence in re.split(r"(?<=[.!?])\s+", note or ""):
        if sentence:
            answer = answer.replace(sentence, "", 1)
    return answer


def cited_sentences(answer: str) -> list[tuple[str, list[int]]]:
    """The answer's cited sentences: each stretch of text that ends with `[n]` markers (outside code spans), with
    those numbers."""
    out, start = [], 0
    for m in _CITED.finditer(answer):
        if m.group(1) is None:  # a code span
            continue
        sentence = answer[start:m.start()].strip()
        start = m.end()
        if _words(sentence):
            out.append((sentence, [int(n) for n in re.findall(r"\d+", m.group(1))]))
    return out


_FENCE_LINE = re.compile(r"^\s*(?:```|~~~).*$", re.M)


def _found_in_order(sentence: str, passage: str) -> bool:
    """Are the sentence's words in the passage in order: its prose word for word, each `code span` word for word,
    the spans after the prose before them (a quoted code block's lines may skip a comment line between them)? The
    passage is read without its code fences' marker lines ("```python": markup, not the page's words)."""
    words = f" {_words(_FENCE_LINE.sub('', passage))} "
    at = 0
    for piece in sentence.split("`"):
        if not (piece_words := _words(piece)):
            continue
        found = words.find(f" {piece_words} ", at)
        if found < 0:
            return False
        at = found + len(piece_words) + 1
    return True


def faithfulness(answer: str, passages: dict[int, list[str]]) -> tuple[int, int]:
    """(faithful, cited): how many cited sentences have their words, in order, in a passage they cite
    (`_found_in_order`)."""
    pairs = cited_sentences(answer)
    ok = sum(any(_found_in_order(s, p) for n in ns for p in passages.get(n, [])) for s, ns in pairs)
    return ok, len(pairs)


def cited_passages(citations: list, hits: list) -> dict[int, list[str]]:
    """Citation number -> the text of the retrieved passages it points at (same URL, link and section)."""
    out: dict[int, list[str]] = {}
    for c in citations:
        for h in hits:
            meta = h.meta or {}
            if meta.get("url") == c.url and (meta.get("deep_link") or meta.get("url")) == c.deep_link \
                    and (meta.get("section") or "") == c.section:
                out.setdefault(c.n, []).append(h.text)
    return out


# ---------------------------------------------------------------- one question
def evaluate_question(route: Callable, answer: Callable | None, q: dict, k: int, scope_week: bool) -> dict:
    """Route one question (top k, and top 10 for MRR/nDCG), answer it, and score both.

    `route(question, week, top_k)` gives (what to answer, the retrieval): a `Retrieval`, or a plan answer (an
    `Answer` from `api.plan`, made from the roadmap without a search: its citations are its ranking, and its
    composed sentences are not counted for faithfulness); `answer(question, retrieval)` is `Answerer.answer` (None:
    retrieval only, abstention read from the retrieval)."""
    import time

    week = q.get("week") if scope_week else None
    kind = q.get("kind", "answerable")
    t0 = time.perf_counter()
    asked, top = route(q["question"], week, k)
    reply = answer(asked, top) if answer else None
    ms = 1000 * (time.perf_counter() - t0)
    searched = hasattr(top, "hits")
    if not searched:
        urls = wide = [c.url for c in top.citations]
        row = {"route": "plan", "grounded": reply.grounded if reply is not None else top.grounded,
               "retrieval_grounded": None, "gap": None, "confidence": None, "signals": None}
    else:
        urls = [h.meta.get("url", "") for h in top.hits]
        wide = urls if k >= 10 else [h.meta.get("url", "") for h in route(q["question"], week, 10)[1].hits]
        row = {"route": "search", "grounded": reply.grounded if reply is not None else top.grounded,
               "retrieval_grounded": top.grounded, "gap": getattr(top, "gap", None),
               "evidence": getattr(top, "evidence", None), "answer_kind": getattr(top, "kind", None),
               "confidence": round(top.confidence, 4), "signals": top.signals}
    row.update({"id": q.get("id"), "week": q.get("week"), "kind": kind, "question": q["question"],
                "widened": top.widened, "suggested": top.suggested, "urls": urls, "ms": ms})
    if q.get("gold_urls"):  # hit@1 and hit@k from the top-k answer; MRR and nDCG from the top 10
        row.update(score_ranking(urls, q["gold_urls"], k))
        ten = score_ranking(wide, q["gold_urls"], k)
        row["mrr@10"], row["ndcg@10"] = ten["mrr@10"], ten["ndcg@10"]
    if reply is not None:
        row["answer"], row["mode"] = reply.answer, reply.mode
        if kind != "unanswerable" and q.get("must_contain"):
            row["keyfact_all"], row["keyfact_any"] = key_facts(reply.answer, q["must_contain"])
        if searched and reply.grounded:  # an ungrounded answer frames its quotes ("The sources describe X [1]")
            row["faithful"], row["cited"] = faithfulness(without_note(reply.answer, reply.note),
                                                         cited_passages(reply.citations,
                                                                        [*top.hits, *getattr(top, "aside", [])]))
    return row


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(statistics.fmean(values), 3) if values else None


def summarise(rows: list[dict]) -> dict[str, float | int]:
    """The metrics of a group of scored questions (a metric without questions to measure it is left out)."""
    ranked = [r for r in rows if "hit@k" in r]
    answerable = [r for r in rows if r["kind"] != "unanswerable"]
    unanswerable = [r for r in rows if r["kind"] == "unanswerable"]
    abstained = [r for r in rows if not r["grounded"]]
    facts = [r for r in answerable if "keyfact_all" in r]
    cited = sum(r.get("cited", 0) for r in rows)
    values = {
        **{m: _mean(r[m] for r in ranked) for m in RETRIEVAL},
        "abstain_precision": _mean([r["kind"] == "unanswerable" for r in abstained]) if unanswerable else None,
        "abstain_recall": _mean(not r["grounded"] for r in unanswerable),
        "answerable_abstain": _mean(not r["grounded"] for r in answerable),
        "keyfact_all": _mean(r["keyfact_all"] for r in facts),
        "keyfact_any": _mean(r["keyfact_any"] for r in facts),
        "faithful": round(sum(r.get("faithful", 0) for r in rows) / cited, 3) if cited else None,
        "widened_xweek": _mean(r["widened"] for r in rows if r["kind"] == "cross_week"),
        "p50_ms": round(statistics.median(r["ms"] for r in rows), 1) if rows else None,
    }
    counts = {"questions": len(rows), "answerable": len(answerable), "unanswerable": len(unanswerable),
              "cited_sentences": cited}
    return {**counts, **{m: v for m, v in values.items() if v is not None}}


def report(rows: list[dict]) -> dict:
    weeks = sorted({r["week"] for r in rows}, key=lambda w: (w is None, w or 0))
    return {"overall": summarise(rows),
            "per_week": {str(w): summarise([r for r in rows if r["week"] == w]) for w in weeks}}


# ---------------------------------------------------------------- output
def _fmt(value) -> str:
    return "–" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


def table(columns: dict[str, dict], k: int) -> str:
    """A plain-text table: one row per metric, one column per run."""
    names = list(columns)
    width = max(12, *(len(n) + 2 for n in names))
    lines = [f"{'':<22}" + "".join(f"{n:>{width}}" for n in names)]
    for m in ("questions", *METRICS):
        lines.append(f"{m.replace('hit@k', f'hit@{k}'):<22}"
                     + "".join(f"{_fmt(columns[n].get(m)):>{width}}" for n in names))
    return "\n".join(lines)


def markdown(columns: dict[str, dict], k: int, header: str = "") -> str:
    """A markdown table: one row per metric, one column per labelled run (e.g. "dev", "test")."""
    names = list(columns)
    lines = [header] if header else []
    lines += ["| measure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    lines.append("| questions (answerable / unanswerable) | " + " | ".join(
        f"{c.get('questions', 0)} ({c.get('answerable', 0)} / {c.get('unanswerable', 0)})" for c in columns.values())
        + " |")
    for m in METRICS:
        lines.append(f"| {LABELS[m].format(k=k)} | " + " | ".join(_fmt(c.get(m)) for c in columns.values()) + " |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- running
@dataclass
class Harness:
    """The parts `POST /ask` uses, opened the way the app opens them: the roadmap (plan route), the retriever
    over a caching, batching embedder, and the extractive answerer choosing sentences with the same embedder."""

    retriever: Retriever
    answerer: Answerer
    roadmap: Roadmap
    settings: Settings

    @classmethod
    def open(cls, settings: Settings | None = None, fusion: str | None = None) -> Harness:
        from api.answer import Answerer
        from api.batching import BatchingEmbedder
        from ingest.roadmap import load_roadmap
        from settings import Settings
        from vectorstore.client import open_client
        from vectorstore.embeddings import make_embedder
        from vectorstore.retrieve import Retriever
        from vectorstore.store import IndexStore

        settings = settings or Settings()
        roadmap = load_roadmap(settings.roadmap)
        store = IndexStore(open_client(settings.data_dir, settings.chroma_url), settings.collection)
        options = {"fusion": fusion} if fusion else {}
        embedder = BatchingEmbedder(make_embedder(settings), cache_size=200_000)
        retriever = Retriever(store, embedder, refresh_seconds=3600, **options)
        retriever.refresh(force=True)
        return cls(retriever, Answerer(None, embedder=embedder), roadmap, settings)

    def planned(self, question: str, week: int | None):
        """The plan route's answer (None: the question is searched)."""
        from api import plan

        return plan.answer(self.roadmap, question, week, self.retriever.embedder)

    def run(self, questions: list[dict], k: int = 5, mode: str = "hybrid", scope_week: bool = True,
            answers: bool = True, calibration=None) -> list[dict]:
        """Score every question. The default run (hybrid, week scope, the index's calibration) takes exactly the
        way `POST /ask` does, `api.conversation.resolve` with no history; the others route the same way (plan
        route first) but search the one question with the mode, scope or calibration asked for."""
        from api import conversation

        def route(question: str, week: int | None, top_k: int):
            if mode == "hybrid" and scope_week and calibration is None:
                resolved = conversation.resolve(self.retriever, question, [], week, top_k, plan=self.planned)
                return resolved.answer_question(generated=False), resolved.retrieval
            planned = self.planned(question, week)
            return question, planned or self.retriever.search(question, week=week, top_k=top_k, mode=mode,
                                                              scope_week=scope_week, calibration=calibration)
        answer = self.answerer.answer if answers else None
        return [evaluate_question(route, answer, q, k, scope_week) for q in questions]


def load_questions(*paths: Path) -> list[dict]:
    """The questions of JSONL files, in order; a line without a `question` is an error naming the line."""
    out = []
    for path in paths:
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                q = json.loads(line)
                if not isinstance(q, dict) or not str(q.get("question") or "").strip():
                    raise ValueError(f"{path}:{n}: a question line needs a non-empty \"question\"")
                out.append(q)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evaluation.evaluate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--dev", type=Path, nargs="+", default=list(DEV),
                    help=f"the dev question set (JSONL files; default: {', '.join(map(str, DEV))})")
    ap.add_argument("--test", type=Path, default=TEST, help="the held-out test set (JSONL); skipped when missing")
    ap.add_argument("--only", choices=["dev", "test"], help="run one of the two sets")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--mode", choices=["hybrid", "dense", "bm25", "all"], default="hybrid",
                    help="rank by both lists fused (default), one of them, or all three with and without week scope")
    ap.add_argument("--no-week", action="store_true", help="search the whole index, ignoring weeks")
    ap.add_argument("--fusion", choices=["rrf", "weighted"], default=None, help="override the retriever's default")
    ap.add_argument("--json", type=Path, help="also write the results, with every question's row, as JSON")
    ap.add_argument("--report", type=Path, help="also write the side-by-side table as markdown")
    args = ap.parse_args(argv)

    from errors import RoadmapAssistantError

    sets = {name: paths for name, paths in (("dev", args.dev), ("test", [args.test]))
            if args.only in (None, name) and (args.only == name or all(p.is_file() for p in paths))}
    try:
        questions = {name: load_questions(*paths) for name, paths in sets.items()}
        harness = Harness.open(fusion=args.fusion)
        modes = ["bm25", "dense", "hybrid"] if args.mode == "all" else [args.mode]
        scopes = [True, False] if args.mode == "all" else [not args.no_week]
        columns: dict[str, dict] = {}
        details: dict[str, dict] = {}
        for mode in modes:
            for scoped in scopes:
                for name, qs in questions.items():
                    label = f"{name}{'' if mode == 'hybrid' else ' ' + mode}{'' if scoped else ' (no week)'}"
                    rows = harness.run(qs, args.k, mode, scoped)
                    details[label] = {**report(rows), "questions": rows}
                    columns[label] = details[label]["overall"]
    except (RoadmapAssistantError, OSError, ValueError) as exc:  # a bad question file is reported the same way
        print(f"error: {exc}", file=sys.stderr)
        return 1
    retriever = harness.retriever
    named = "; ".join(f"{n}: {' + '.join(map(str, p))} ({len(questions[n])} questions)" for n, p in sets.items())
    head = (f"{named}; k={args.k}, "
            f"index version {retriever.version}, fusion {retriever.fusion}")
    print(head)
    print(table(columns, args.k))
    if args.report:
        args.report.write_text(markdown(columns, args.k, f"{head}\n"), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"k": args.k, "version": retriever.version, "fusion": retriever.fusion,
                                         "sets": {n: list(map(str, p)) for n, p in sets.items()}, "runs": details},
                                        indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
