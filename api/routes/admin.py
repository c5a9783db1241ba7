"""Admin endpoints, off unless `RA_ADMIN_TOKEN` is set (404 then; 401 without the right bearer token):
start a re-index (a `python -m ingest` child process, `api.reindex`) and follow it from any worker or
replica, read the link-health table of the published version, and read the learners' feedback, newest first.
"""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import AdminDep, FeedbackDep, ReindexerDep, ServicesDep
from api.schemas import ReindexIn, error_body
from errors import IngestLockedError

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[AdminDep])


@router.post("/reindex", status_code=202, summary="Start a re-index in a child process (one at a time)")
async def start_reindex(reindexer: ReindexerDep, body: Annotated[ReindexIn | None, Body()] = None) -> JSONResponse:
    try:
        run = await run_in_threadpool(reindexer.start, bool(body and body.full), bool(body and body.force))
    except IngestLockedError as exc:
        extra = {"id": exc.run_id} if exc.run_id else {}
        return JSONResponse(error_body(409, str(exc), **extra), status_code=409)
    return JSONResponse({"id": run["id"], "status": run["status"]}, status_code=202,
                        headers={"Location": f"/admin/reindex/{run['id']}"})


@router.get("/reindex/{run_id}", summary="A re-index run's status, progress and summary (from any worker)")
async def reindex_status(run_id: str, reindexer: ReindexerDep) -> dict[str, Any]:
    run = await run_in_threadpool(reindexer.get, run_id)
    if run is None:
        raise HTTPException(404, f"no re-index run with id {run_id}")
    return run


@router.get("/links", summary="Link health of the roadmap's links, from the published version")
async def links(services: ServicesDep) -> dict[str, Any]:
    def read() -> dict[str, Any]:
        snap = services.store.snapshot()
        record = services.store.record(snap)
        return {"version": snap.version if snap else None, "links": record.get("links", []),
                "run": record.get("run")}

    return await run_in_threadpool(read)


@router.get("/feedback", summary="Learners' feedback, newest first")
def list_feedback(feedback: FeedbackDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                  offset: Annotated[int, Query(ge=0)] = 0,
                  rating: Annotated[str | None, Query(pattern="^(up|down)$")] = None) -> dict[str, Any]:
    items = feedback.recent(limit, offset, rating)
    return {"count": len(items), "items": [f.to_dict() for f in items]}
