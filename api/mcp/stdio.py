"""`roadmap-mcp` / `python -m api.mcp`: the MCP server on stdin/stdout, for a client that starts it as a
command. It reads the same `RA_*` settings as the API and opens the same services (index, embedder,
Retriever, Answerer) itself; a bad setting is one `error:` line and exit 2 before anything starts. Logs go
to stderr (stdout carries the protocol). Without an index it still starts; the tools that need one answer
with a tool error until an index is published, which it then picks up by itself.
"""
from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from api.deps import Services

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

LOG_LEVELS = ["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="roadmap-mcp", description=(
        "Serve the roadmap assistant as an MCP server on stdin/stdout. Settings come from RA_* environment "
        "variables (RA_DATA_DIR, RA_ROADMAP, RA_EMBEDDING_MODEL_DIR, ...), as for the API."))
    p.add_argument("--log-level", default="INFO", type=str.upper, choices=LOG_LEVELS,
                   help="what is logged to stderr (default INFO)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from api.app import open_services
    from api.cli import settings_or_exit
    from api.mcp.server import build_server
    from api.metrics import Metrics

    args = parse_args(argv)
    settings = settings_or_exit()

    @asynccontextmanager
    async def own_services(_server: MCPServer[Services]) -> AsyncIterator[Services]:
        async with open_services(settings, Metrics()) as services:
            yield services

    build_server(own_services, log_level=args.log_level).run("stdio")
    return 0
