"""The roadmap keeper's insights: `GET /admin/insights?since=…` (JSON) and the `/admin` page that draws them.

Both need the admin token, like every `/admin` route (404 while `RA_ADMIN_TOKEN` is unset). A script sends it
as a bearer token; a browser signs in once on the page's form (`POST /admin/login`), which sets an HttpOnly,
SameSite=Strict cookie holding an HMAC of the token (never the token itself), good for these two read-only
routes for 8 hours or until `POST /admin/logout`. The other admin routes accept only the bearer token.
"""
from __future__ import annotations

import hashlib
import hmac
import html
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import BearerDep, ServicesDep, SettingsDep
from api.insights import parse_since
from api.routes.pages import STATIC

router = APIRouter(prefix="/admin", tags=["admin"])

COOKIE = "ra_admin"
COOKIE_SECONDS = 8 * 3600
CSP = ("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


def _cookie_value(token: str) -> str:
    return hmac.new(token.encode(), b"roadmap-assistant admin page", hashlib.sha256).hexdigest()


def admin_signed_in(request: Request, settings: SettingsDep, credentials: BearerDep) -> bool:
    """True for the admin bearer token or the page's cookie; 404 while no admin token is configured."""
    token = settings.admin_token
    if not token:
        raise HTTPException(404, "Not Found")
    if credentials is not None:
        return hmac.compare_digest(credentials.credentials.encode(), token.encode())
    return hmac.compare_digest(request.cookies.get(COOKIE, "").encode(), _cookie_value(token).encode())


SignedIn = Annotated[bool, Depends(admin_signed_in)]


def _page(name: str, status: int = 200, message: str = "") -> HTMLResponse:
    text = (STATIC / name).read_text(encoding="utf-8").replace("<!--message-->", html.escape(message))
    return HTMLResponse(text, status_code=status, headers={"Cache-Control": "no-store", "Content-Security-Policy": CSP})


@router.get("/insights", summary="Insights from the question log: per week, coverage gaps, pages, failing links")
async def insights(services: ServicesDep, signed_in: SignedIn, since: Annotated[str | None, Query(
        description="30d, 12h, 2w or an ISO date; default: the whole retention")] = None) -> dict[str, Any]:
    if not signed_in:
        raise HTTPException(401, "a valid admin bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    try:
        start = parse_since(since, services.settings.question_log_days)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return await run_in_threadpool(services.insights.compute, start)


@router.get("", include_in_schema=False)
async def admin_page(signed_in: SignedIn) -> HTMLResponse:
    return _page("admin.html") if signed_in else _page("admin-login.html", 401)


@router.post("/login", include_in_schema=False)
async def login(request: Request, settings: SettingsDep) -> Response:
    if not settings.admin_token:
        raise HTTPException(404, "Not Found")
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    given = (form.get("token") or [""])[0]
    if not hmac.compare_digest(given.encode(), settings.admin_token.encode()):
        return _page("admin-login.html", 401, "That is not the admin token.")
    response = RedirectResponse("/admin", status_code=303)
    response.set_cookie(COOKIE, _cookie_value(settings.admin_token), max_age=COOKIE_SECONDS, path="/admin",
                        httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/logout", include_in_schema=False)
async def logout(settings: SettingsDep) -> Response:
    if not settings.admin_token:
        raise HTTPException(404, "Not Found")
    response = RedirectResponse("/admin", status_code=303)
    response.delete_cookie(COOKIE, path="/admin")
    return response
