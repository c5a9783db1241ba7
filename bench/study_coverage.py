"""What the study companion gives each week of the index the settings point at, and whether its quotes are real.

    python bench/study_coverage.py [--seeds 5] [--count 5]

Per week: the pages and passages that belong to it, the questions its pool holds (from documentation passages or
from the roadmap's plan), the questions a quiz of `--count` gets, and "Builds on" with its reasons. Then, over
`--seeds` quizzes of every week, the share of answers found word for word in a passage of that week on the cited
page, read back from the store (markdown emphasis, list markers and whitespace aside), by a check that shares no
code with the quiz; and how many questions share a passage.
"""
from __future__ import annotations

import argparse
import re
from collections import Counter
from typing import Any

from api.app import build_services
from api.metrics import Metrics
from api.study import Study
from ingest.roadmap import Roadmap
from settings import Settings
from vectorstore.store import iter_chunks


def norm(text: str) -> str:
    text = re.sub(r"(?m)^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?", "", text.replace("**", ""))
    return " ".join(text.split())


def quiz_questions(study: Study, roadmap: Roadmap, week: int, count: int, seed: int) -> list[dict[str, Any]]:
    """The questions of one quiz (none for a week the roadmap does not have)."""
    quiz = study.quiz(roadmap, week, count, seed)
    return quiz["questions"] if quiz else []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--count", type=int, default=5)
    args = ap.parse_args()
    settings = Settings()
    services = build_services(settings, Metrics())
    roadmap = services.roadmap
    study = Study(services.retriever, services.store, None, settings.mirror_base, background=False)
    chunks = [(cid, norm(doc), meta) for cid, doc, meta, _e in iter_chunks(services.store.published().collection)]
    v = study.version(roadmap)
    print(f"index version {v.material.version}: {len(chunks)} passages\n")
    print(f"{'week':>4}  {'pages':>5}  {'passages':>8}  {'pool':>4}  {'plan':>4}  {'quiz':>4}  builds on")
    with_builds_on = briefed = with_quiz = 0
    total = found = shared = 0
    for week in roadmap.weeks:
        n = week.number
        b = study.briefing(roadmap, n)
        pool = v.pool(week)
        plan = sum(q.kind == "plan" for q in pool)
        quiz = quiz_questions(study, roadmap, n, args.count, 0)
        briefed += b is not None
        with_quiz += len(quiz) >= args.count
        builds_on = b["builds_on"] if b else []
        with_builds_on += bool(builds_on)
        pages = [p for p in v.material.week_pages(n) if not p.roadmap]
        weeks_on = ", ".join(f"{e['week']} ({e['reason']})" for e in builds_on) or "-"
        print(f"{n:>4}  {len(pages):>5}  {sum(len(p.rows) for p in pages):>8}  {len(pool):>4}  {plan:>4}  "
              f"{len(quiz):>4}  {weeks_on}")
        for seed in range(args.seeds):
            holders = []
            for q in quiz_questions(study, roadmap, n, args.count, seed):
                total += 1
                hit = next((cid for cid, text, meta in chunks if meta.get("url") == q["citation"]["url"]
                            and n in (meta.get("weeks") or []) and norm(q["answer"]) in text), None)
                found += hit is not None
                if q["kind"] != "plan":
                    holders.append(hit)
            shared += sum(c - 1 for h, c in Counter(holders).items() if h and c > 1)
    weeks = len(roadmap.weeks)
    print(f"\nweeks with a briefing: {briefed}/{weeks}; with >= {args.count} quiz questions: {with_quiz}/{weeks}; "
          f"with 'Builds on': {with_builds_on}/{weeks}")
    print(f"quiz answers found verbatim in a cited passage of their week: {found}/{total} = {found / total:.1%} "
          f"({args.seeds} seeds x {weeks} weeks x {args.count}); questions sharing a passage: {shared}")


if __name__ == "__main__":
    main()
