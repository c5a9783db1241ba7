"""`POST /feedback`: a learner rates an answer (up/down, optional comment); stored durably in SQLite, and
the rating is added to the question log (linked by `answer_id`, else by question and session)."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import FeedbackDep, ServicesDep
from api.routes.ask import ERRORS
from api.schemas import FeedbackCreated, FeedbackIn

router = APIRouter(tags=["feedback"])


@router.post("/feedback", status_code=201, response_model=FeedbackCreated, responses=ERRORS,
             summary="Rate an answer")
async def post_feedback(body: FeedbackIn, feedback: FeedbackDep, services: ServicesDep) -> dict[str, str]:
    fid = await run_in_threadpool(feedback.add, body.question, body.answer, body.citations, body.rating, body.comment)
    if services.questions is not None:
        services.questions.rate(body.answer_id, body.question, body.session, body.rating)
    return {"id": fid}
