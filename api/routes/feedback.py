"""`POST /feedback`: a learner rates an answer (up/down, optional comment); stored durably in SQLite."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import FeedbackDep
from api.routes.ask import ERRORS
from api.schemas import FeedbackCreated, FeedbackIn

router = APIRouter(tags=["feedback"])


@router.post("/feedback", status_code=201, response_model=FeedbackCreated, responses=ERRORS,
             summary="Rate an answer")
async def post_feedback(body: FeedbackIn, feedback: FeedbackDep) -> dict:
    fid = await run_in_threadpool(feedback.add, body.question, body.answer, body.citations, body.rating, body.comment)
    return {"id": fid}
