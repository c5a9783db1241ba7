"""`python -m api` / `roadmap-api`: serve the app with uvicorn (the factory `api.app:create_app`, so the
settings are read from `RA_*` in the serving process). A setting that cannot be read, or a missing roadmap
file, is reported as one `error:` line (exit 2) before anything starts; `roadmap-mcp` checks the same way.

`X-Forwarded-For` / `X-Forwarded-Proto` are believed only from `RA_TRUSTED_PROXIES` (uvicorn's own default
trusts 127.0.0.1, which lets any client behind a local tunnel or a header-passing proxy choose its own IP).
"""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from settings import Settings


def parse_args(argv: list[str] | None, host: str, port: int) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="roadmap-api", description="Serve the roadmap assistant's HTTP API.")
    p.add_argument("--host", default=host, help=f"interface to bind (default {host}, RA_HOST)")
    p.add_argument("--port", type=int, default=port, help=f"port (default {port}, RA_PORT)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (each loads the model and index)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument("--no-access-log", action="store_true", help="do not log every request")
    return p.parse_args(argv)


def settings_or_exit() -> Settings:
    """The Settings, after checking they load and the roadmap parses; otherwise one `error:` line and exit 2
    (`error: RA_CHUNK_TOKENS: ...`, worded by `settings.load_settings`, as `python -m ingest` does)."""
    from errors import RoadmapAssistantError
    from ingest.roadmap import load_roadmap
    from settings import load_settings

    try:
        settings = load_settings()
        load_roadmap(settings.roadmap)
    except RoadmapAssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return settings


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    settings = settings_or_exit()
    args = parse_args(argv, settings.host, settings.port)
    proxies = list(settings.trusted_proxies)
    uvicorn.run("api.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level=args.log_level, access_log=not args.no_access_log,
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
