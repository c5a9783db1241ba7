"""The MCP server on the API at `/mcp`: the SDK's streamable-HTTP transport over the services the API's
lifespan opened (`serving(services)` runs inside that lifespan, so `/mcp` starts and stops with the app).

The transport is stateless with plain JSON responses: every POST is complete in itself, so any worker or
replica can answer it and no session has to be kept; a GET (a stream for server-initiated messages, of which
there are none) answers 405, as the protocol provides. `/mcp` is a route of the API like the others: the
rate limit, body limit, CORS and metrics apply to it (CORS allows and exposes the protocol's headers, so a browser
client on an allowed origin can use it). The SDK's DNS-rebinding check (a Host allow-list) is
off because the API does not apply one to `/ask` either and the tools can do no more than `/ask` can.
`MCPEndpoint` is a plain ASGI app, so an authentication guard can wrap it where it is mounted.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http import LAST_EVENT_ID_HEADER, MCP_SESSION_ID_HEADER
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.inbound import MCP_METHOD_HEADER, MCP_NAME_HEADER, MCP_PROTOCOL_VERSION_HEADER
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from api.deps import Services
from api.mcp.server import build_server
from api.schemas import error_body

MCP_PATH = "/mcp"
# The protocol's own headers, which a browser client sends (CORS must allow them) and reads (CORS must expose them).
MCP_REQUEST_HEADERS = (MCP_PROTOCOL_VERSION_HEADER, MCP_SESSION_ID_HEADER, MCP_METHOD_HEADER, MCP_NAME_HEADER,
                       LAST_EVENT_ID_HEADER)
MCP_RESPONSE_HEADERS = (MCP_SESSION_ID_HEADER,)
NOT_RUNNING = "the MCP endpoint is not running (the service is starting or stopping)"
NO_STREAM = "this MCP endpoint sends no server-initiated messages: POST JSON-RPC requests to it"


class MCPEndpoint:
    """The ASGI app served at /mcp; it answers through the session manager of the running lifespan."""

    def __init__(self) -> None:
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def serving(self, services: Services) -> AsyncIterator[None]:
        """Serve MCP over `services` for the duration of the block (a new server each time: a session
        manager runs only once)."""
        @asynccontextmanager
        async def given(_server: MCPServer[Services]) -> AsyncIterator[Services]:
            yield services

        server = build_server(given)
        server.streamable_http_app(stateless_http=True, json_response=True,
                                   transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
        manager = server.session_manager
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        manager = self._manager
        if manager is None:
            await JSONResponse(error_body(503, NOT_RUNNING), status_code=503)(scope, receive, send)
            return
        if scope["method"] == "GET":  # no server-initiated messages: no stream to hold open (the spec's 405)
            refusal = JSONResponse(error_body(405, NO_STREAM), status_code=405, headers={"Allow": "POST"})
            await refusal(scope, receive, send)
            return
        await manager.handle_request(scope, receive, send)
