"""The roadmap as a Model Context Protocol server, for AI clients (Claude Desktop, VS Code, Cursor, ...).

`server` builds it (tools `ask_roadmap`, `search_roadmap`, `list_weeks`, `get_week`, `week_briefing`, `quiz`;
resources `roadmap://week/{n}`) over the API's services; `mount` serves it on the API at `/mcp` (streamable HTTP);
`stdio` runs it on stdin/stdout for a client that starts it (`roadmap-mcp`, `python -m api.mcp`).
"""
