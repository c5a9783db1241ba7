"""The study companion's routes (`api.study`): `GET /weeks/{n}/briefing`, `GET /weeks/{n}/quiz` and
`POST /weeks/{n}/quiz/check`. The work runs in the threadpool (a week is built on first use; a check embeds the
answer). A week the roadmap doesn't have, or a question id the week doesn't know, is a 404 that says which.
"""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from starlette.concurrency import run_in_threadpool

from api.deps import ApiKeyOrWidgetDep, ServicesDep
from api.schemas import ErrorOut, QuizCheckIn
from api.study import MAX_COUNT
from ingest.roadmap import Roadmap

router = APIRouter(tags=["study"], dependencies=[ApiKeyOrWidgetDep])  # its quizzes may call the model
ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorOut} for status in (404, 422, 503)}


def no_week(roadmap: Roadmap, week: int) -> HTTPException:
    numbers = [w.number for w in roadmap.weeks]
    return HTTPException(404, f"week {week} is not in the roadmap (it has weeks {min(numbers)}-{max(numbers)})")


@router.get("/weeks/{week}/briefing", responses=ERRORS,
            summary="A week's plan, resources, what it builds on, and an overview with citations")
async def briefing(week: int, services: ServicesDep) -> dict[str, Any]:
    roadmap = services.roadmap
    body = await run_in_threadpool(services.study.briefing, roadmap, week)
    if body is None:
        raise no_week(roadmap, week)
    return body


@router.get("/weeks/{week}/quiz", responses=ERRORS, summary="Self-check questions on a week, answers quoted")
async def quiz(week: int, services: ServicesDep,
               count: Annotated[int, Query(ge=1, le=MAX_COUNT, description="How many questions.")] = 5,
               seed: Annotated[int, Query(ge=0, le=2**31 - 1, description="Another seed, other questions.")] = 0
               ) -> dict[str, Any]:
    roadmap = services.roadmap
    body = await run_in_threadpool(services.study.quiz, roadmap, week, count, seed)
    if body is None:
        raise no_week(roadmap, week)
    return body


@router.post("/weeks/{week}/quiz/check", responses=ERRORS,
             summary="Check an answer: correct, partial or incorrect, with the quote and its source")
async def check(week: int, body: QuizCheckIn, services: ServicesDep) -> dict[str, object]:
    roadmap = services.roadmap
    if roadmap.week(week) is None:
        raise no_week(roadmap, week)
    result = await run_in_threadpool(services.study.check, roadmap, week, body.id, body.answer)
    if result is None:
        raise HTTPException(404, f"question {body.id!r} is not one of week {week}'s (the index may have changed: "
                                 "ask for a new quiz)")
    return result
