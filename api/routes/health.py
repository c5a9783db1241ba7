"""Health and metrics: `/livez` (the process answers), `/readyz` (an index version is loaded and the store
answered the last background check: 503 otherwise; it also reports the retrieval calibration in use and
whether it was fitted for this index) and `/metrics` (Prometheus text from this app's own registry). Both
probes read in-memory state only (`api.watcher`): no I/O, no worker thread, so they answer at once however
many answers are in flight.
"""
from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from api.deps import Services, ServicesDep
from api.schemas import error_body

log = logging.getLogger("api.health")
router = APIRouter(tags=["health"])

NO_INDEX = "no index is loaded yet: build one with `python -m ingest` (or POST /admin/reindex)"


def check(services: Services) -> tuple[int, str, int | None]:
    """(status, message, version) from memory: the watcher's last store check and the loaded version."""
    version = services.retriever.version
    services.metrics.index_version.set(version or 0)
    services.metrics.calibration_mismatch.set(0 if services.retriever.calibration_status()["matches"] else 1)
    if services.watcher.problem:
        return 503, services.watcher.problem, None
    return (200, "ready", version) if version is not None else (503, NO_INDEX, None)


@router.get("/livez", summary="The process is alive")
async def livez() -> dict[str, Any]:
    return {"status": "alive"}


@router.get("/readyz", summary="The store answers and an index is loaded (503 otherwise)")
async def readyz(services: ServicesDep) -> JSONResponse:
    status, message, version = check(services)
    if status != 200:
        return JSONResponse(error_body(status, message, ready=False), status_code=status)
    return JSONResponse({"status": "ready", "version": version,
                         "calibration": services.retriever.calibration_status()})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(services: ServicesDep) -> Response:
    services.metrics.calibration_mismatch.set(0 if services.retriever.calibration_status()["matches"] else 1)
    body, content_type = services.metrics.render()
    return Response(body, media_type=content_type)
