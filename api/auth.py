"""Bearer credentials, checked in one place: the admin token for `/admin/*` and the API keys
(`RA_API_KEYS`) for the answering endpoints, as FastAPI dependencies and as an ASGI guard for mounted apps.

With no API keys configured the answering endpoints are open (the default, for a local or extractive-only
service). With keys, `/ask`, `/ask/stream` and `/v1/*` need `Authorization: Bearer <one of the keys>`, except
for the widget: a browser request whose `Origin` is one of `RA_CORS_ORIGINS` or the service's own origin (the
demo page) is served without a key on `/ask` and `/ask/stream`, because a key inside a public page would be
public. That path is bounded by CORS (other sites' pages cannot call it) and by the rate limit, not by the
keys: a non-browser client can send any `Origin`. Keys are compared in constant time.
"""
from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.limits import send_error

if TYPE_CHECKING:
    from settings import Settings

KEY_NEEDED = "a valid API key is required: send it as `Authorization: Bearer <key>`"


def bearer(authorization: str | None) -> str | None:
    """The credential of an `Authorization: Bearer <credential>` header (None for any other scheme)."""
    scheme, _, credential = (authorization or "").strip().partition(" ")
    return credential.strip() or None if scheme.lower() == "bearer" else None


def matches(given: str | None, keys: Sequence[str]) -> bool:
    """True if `given` equals one of `keys` (each compared in constant time)."""
    if not given:
        return False
    found = False
    for key in keys:
        found |= hmac.compare_digest(given.encode(), key.encode())
    return found


def widget_origin(headers: Headers, allowed_origins: Sequence[str]) -> bool:
    """True for a browser request from an allowed origin or from the service's own pages (Origin == Host)."""
    origin = headers.get("origin")
    if not origin or origin == "null":
        return False
    if origin.rstrip("/") in {o.rstrip("/") for o in allowed_origins}:
        return True
    return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()


class KeyPolicy:
    """Who may call the answering endpoints: anyone without keys configured; else a key, or the widget."""

    def __init__(self, keys: Sequence[str], allowed_origins: Sequence[str] = ()):
        self.keys, self.allowed_origins = tuple(keys), tuple(allowed_origins)

    def admits(self, headers: Headers, widget_allowed: bool = False) -> bool:
        if not self.keys:
            return True
        if matches(bearer(headers.get("authorization")), self.keys):
            return True
        return widget_allowed and widget_origin(headers, self.allowed_origins)

    @classmethod
    def of(cls, settings: Settings) -> KeyPolicy:
        return cls(settings.api_keys, settings.cors_origins)


def _refuse() -> HTTPException:
    return HTTPException(401, KEY_NEEDED, headers={"WWW-Authenticate": "Bearer"})


async def require_api_key(request: Request) -> None:
    """Dependency for API clients' endpoints (`/v1/*`): a key when keys are configured."""
    if not KeyPolicy.of(request.state.services.settings).admits(request.headers):
        raise _refuse()


async def require_api_key_or_widget(request: Request) -> None:
    """Dependency for `/ask` and `/ask/stream`: a key, or the widget's browser origin."""
    if not KeyPolicy.of(request.state.services.settings).admits(request.headers, widget_allowed=True):
        raise _refuse()


def require_admin_token(token: str | None, authorization: str | None) -> None:
    """404 while no admin token is configured (the endpoints do not exist), 401 without the right one."""
    if not token:
        raise HTTPException(404, "Not Found")
    if not matches(bearer(authorization), [token]):
        raise HTTPException(401, "a valid admin bearer token is required", headers={"WWW-Authenticate": "Bearer"})


class ApiKeyGuard:
    """ASGI wrapper applying the API-key policy to a mounted app (`app.mount("/mcp", ApiKeyGuard(sub, policy))`);
    answers 401 in the service's JSON error shape."""

    def __init__(self, app: ASGIApp, policy: KeyPolicy, widget_allowed: bool = False) -> None:
        self.app, self.policy, self.widget_allowed = app, policy, widget_allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["method"] != "OPTIONS"
                and not self.policy.admits(Headers(scope=scope), self.widget_allowed)):
            await send_error(send, 401, KEY_NEEDED, {"WWW-Authenticate": "Bearer"})
            return
        await self.app(scope, receive, send)
