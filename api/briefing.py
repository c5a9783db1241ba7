"""A week's briefing: what the roadmap asks of the learner, what to read, what it builds on, and an overview.

- **Plan**: goals, topics (the week's sections and their items), weekend (or final) project and deliverables, as
  `ingest.roadmap` parsed them.
- **Resources**, in roadmap order: link health from the ingest record (outcome, HTTP status, reason, last success,
  redirect target), how much is indexed (the pages that belong to the link, see `api.material`: pages, chunks,
  words), a reading time at `READING_WPM` words a minute, and 2-3 key sections: the headings that the week's quiz
  questions and the week's most central passages (the quarter of its passages nearest the week's own roadmap text
  in the embedding space) point at most, ties broken by closeness to that text.
- **Builds on**: `api.buildson`.
- **Overview**: a short extractive summary with citations, by the answerer's sentence picker
  (`api.extractive.Extractor`) asked the week's title and goal over its most central passages, one per page. A
  week with only roadmap text is summarised from its plan (`api.plan`).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from api import plan
from api.extractive import Extractor, compose, pick, quotable_sentences
from api.facts import stands_alone
from api.material import Material, Page
from api.plan import item
from api.quiz import Question
from ingest.roadmap import Week, clean
from vectorstore.ranking import Hit

READING_WPM = 200        # words a minute for technical documentation (silent reading of prose runs ~240)
KEY_SECTIONS = 3
CENTRAL_SHARE = 0.25     # the share of a week's passages nearest its roadmap text that count as central
OVERVIEW_PASSAGES = 4
OVERVIEW_WORDS = 80


def _items(lines: list[str]) -> list[str]:
    """Top-level bullets as plain words (no link, URL or bold)."""
    return [item(i) for i in lines if not i.startswith(" ") and item(i)]


def plan_of(week: Week) -> dict[str, Any]:
    return {"goals": [clean(g) for g in week.goals.splitlines() if clean(g)],
            "topics": [{"name": name, "items": _items(lines)} for name, lines in week.sections.items()
                       if name != week.title or _items(lines)],
            "weekend_project": clean(week.weekend_project) if week.weekend_project else None,
            "deliverables": _items(week.deliverables)}


def minutes(words: int) -> int:
    return math.ceil(words / READING_WPM) if words else 0


def centre(material: Material, week: int) -> np.ndarray | None:
    """The week's own roadmap text in the embedding space (else the mean of its pages)."""
    pages = material.week_pages(week)
    plan_page = next((p for p in pages if p.roadmap), None)
    if plan_page is not None:
        return plan_page.vector
    if not pages:
        return None
    v: np.ndarray = np.mean([p.vector for p in pages], axis=0)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def central_rows(material: Material, pages: list[Page], centre_vector: np.ndarray | None) -> dict[int, float]:
    """Row -> cosine to the week's centre, for the central share of the pages' passages."""
    rows = [r for p in pages if not p.roadmap for r in p.rows]
    if not rows or centre_vector is None:
        return {}
    sims = material.state.vectors[rows] @ centre_vector
    keep = max(1, math.ceil(CENTRAL_SHARE * len(rows)))
    order = np.argsort(-sims, kind="stable")[:keep]
    return {rows[i]: float(sims[i]) for i in order}


@dataclass
class _Votes:
    """What points at one heading of a page."""

    count: int    # the week's questions on its passages plus its central passages
    best: float   # the best cosine of its passages to the week's centre (-1: none is central)
    row: int      # its first passage


def key_sections(material: Material, pages: list[Page], central: dict[int, float],
                 questions: list[Question]) -> list[dict[str, Any]]:
    """The headings of these pages the week's questions and central passages point at most."""
    votes: dict[tuple[str, str], _Votes] = {}  # (url, section) -> what points at it
    asked = {q.chunk for q in questions}
    for page in pages:
        for row in page.rows:
            meta = material.meta(row)
            key = (page.url, meta.get("section") or page.title)
            entry = votes.setdefault(key, _Votes(0, -1.0, row))
            entry.count += (row in central) + (material.cid(row) in asked)
            entry.best = max(entry.best, central.get(row, -1.0))
    ranked = sorted(((v, k) for k, v in votes.items() if v.count > 0), key=lambda x: (-x[0].count, -x[0].best, x[1]))
    out = []
    for v, (url, section) in ranked[:KEY_SECTIONS]:
        meta = material.meta(v.row)
        out.append({"section": section, "title": material.pages[url].title, "url": url,
                    "deep_link": meta.get("deep_link") or url, "pointers": v.count})
    return out


def resources(material: Material, week: Week, questions: list[Question]) -> list[dict[str, Any]]:
    pages_of_week = material.week_pages(week.number)
    central = central_rows(material, pages_of_week, centre(material, week.number))
    out = []
    for r in (r for r in material.roadmap.resources if r.week == week.number):
        pages = material.resource_pages(r)
        link = material.link(r)
        words = sum(material.words(p) for p in pages)
        final = link.get("final_url")
        out.append({
            "label": r.label, "url": r.url, "section": r.section,
            "health": {"status": link.get("outcome") or ("indexed" if pages else "not indexed"),
                       "http_status": link.get("status"), "reason": link.get("reason"),
                       "last_success": link.get("last_success"),
                       "redirected_to": final if final and final != link.get("url") else None},
            "indexed": {"pages": len(pages), "chunks": sum(len(p.rows) for p in pages), "words": words},
            "reading_minutes": minutes(words),
            "key_sections": key_sections(material, pages, central, questions)})
    return out


def overview(material: Material, week: Week, extractor: Extractor) -> dict[str, Any]:
    """A few sentences of the week's most central passages (one per page), cited; the plan for roadmap-only weeks."""
    pages = [p for p in material.week_pages(week.number) if not p.roadmap]
    if not pages:
        answer = plan.answer(material.roadmap, f"What is week {week.number} about?", week.number)
        if answer is None:
            return {"text": "", "citations": []}
        return {"text": answer.answer, "citations": [asdict(c) for c in answer.citations]}
    central = central_rows(material, pages, centre(material, week.number))
    hits, used = [], set()
    for row, cos in sorted(central.items(), key=lambda kv: -kv[1]):
        meta = material.meta(row)
        if meta.get("url") in used:
            continue
        used.add(meta.get("url"))
        hits.append(Hit(material.cid(row), material.text(row), meta, cos, cos, None, [material.cid(row)]))
        if len(hits) == OVERVIEW_PASSAGES:
            break
    goal = " ".join(clean(g) for g in week.goals.splitlines() if clean(g))
    question = f"{week.title}: {goal}" if goal else week.title
    candidates = [c for c in extractor.features(question, hits, query=question)
                  if is_statement(quotable_sentences(hits[c.hit].text)[c.pos])]
    picked = pick(candidates, extractor.weights, OVERVIEW_WORDS, 3)
    if not picked:
        return {"text": "", "citations": []}
    pieces, citations = compose(hits, picked, extractor.weights)
    return {"text": " ".join(pieces), "citations": [asdict(c) for c in citations]}


def is_statement(sentence: str) -> bool:
    """A sentence an overview can open with: it stands on its own (`facts.stands_alone`), ends with a full stop
    on the page, and is not a heading in title case."""
    words = [w for w in sentence.split() if len(w) > 3 and w[0].isalpha()]
    headline = words and sum(w[0].isupper() for w in words) > 0.6 * len(words)
    return sentence.endswith((".", "!")) and stands_alone(sentence) and not headline


def briefing(material: Material, week: Week, questions: list[Question], builds_on: list[dict[str, Any]],
             extractor: Extractor) -> dict[str, Any]:
    res = resources(material, week, questions)
    pages = [p for p in material.week_pages(week.number) if not p.roadmap]
    words = sum(material.words(p) for p in pages)
    return {"week": week.number, "title": week.title, "phase": week.phase or None, "version": material.version,
            **plan_of(week),
            "resources": res,
            "indexed": {"pages": len(pages), "chunks": sum(len(p.rows) for p in pages), "words": words},
            "reading_minutes": minutes(words),
            "builds_on": builds_on,
            "overview": overview(material, week, extractor),
            "quiz_questions": len(questions)}
