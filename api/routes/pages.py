"""The browser side: `GET /` (the demo page), `GET /widget.js` (the embeddable widget, cacheable) and
`GET /roadmap` (the served version's roadmap rendered, where roadmap citations open); everything else in
`api/static/` is mounted at `/static` by the app.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import Services, ServicesDep
from api.roadmap_page import render
from errors import ConfigError
from settings import Settings

STATIC = Path(__file__).resolve().parents[1] / "static"
router = APIRouter(include_in_schema=False)


def _file(name: str, media_type: str, cache: str) -> FileResponse:
    path = STATIC / name
    if not path.is_file():
        raise HTTPException(404, f"{name} is not installed")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": cache})


@router.get("/")
async def index() -> FileResponse:
    return _file("index.html", "text/html; charset=utf-8", "no-cache")


@router.get("/widget.js")
async def widget() -> FileResponse:
    return _file("widget.js", "text/javascript; charset=utf-8", "public, max-age=300")


def roadmap_target(settings: Settings, request: Request) -> str:
    """Where roadmap citations open: RA_ROADMAP_URL when set, else this service's /roadmap page."""
    return settings.roadmap_url or str(request.url_for("roadmap_page"))


def _roadmap_html(services: Services) -> str:
    """The served version's roadmap as a page (the roadmap file's, for an index built before versions kept theirs)."""
    try:
        text = services.roadmap.text
    except ConfigError as exc:
        raise HTTPException(404, f"the roadmap is not available: {exc}") from None
    try:
        return render(text)
    except ConfigError as exc:
        raise HTTPException(404, f"the roadmap cannot be shown: {exc}") from None


@router.get("/roadmap", name="roadmap_page")
async def roadmap_page(services: ServicesDep) -> HTMLResponse:
    """The roadmap as a page: an anchor per week (`#week-9`) and per section, as citations name them; the
    roadmap of the index version being served, so citations and anchors switch together on a re-index."""
    page = await run_in_threadpool(_roadmap_html, services)
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})
