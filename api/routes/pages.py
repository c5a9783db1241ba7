"""The browser side: `GET /` (the demo page), `GET /widget.js` (the embeddable widget, cacheable);
everything else in `api/static/` is mounted at `/static` by the app.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

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
