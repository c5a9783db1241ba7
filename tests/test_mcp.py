"""The MCP server as an AI client reaches it, through the SDK's own `ClientSession`, over both transports: stdio
(`python -m api.mcp` started as a subprocess, as Claude Desktop or VS Code start it) and streamable HTTP (the
API served by uvicorn, `/mcp`). Against the fixture index: the tools are listed, each tool is called, a week
resource is read, bad input gets a tool error with a clear message (and the server keeps answering), and the
answers are the ones `/ask` gives. Each transport runs one session of calls; the tests check its results.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import tomllib
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from mcp.client import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from api.app import create_app
from tests.conftest import make_settings
from tests.logs import insights, own_index, rows
from tests.servers import serve

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "What is a model registry and how are its versions numbered?"
TOOLS = {"ask_roadmap", "search_roadmap", "list_weeks", "get_week", "week_briefing", "quiz"}


def env_for(settings) -> dict[str, str]:
    """The environment a client's config would give `python -m api.mcp`: the index, roadmap and model."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RA_")}
    env.update(RA_DATA_DIR=str(settings.data_dir), RA_ROADMAP=str(settings.roadmap),
               RA_EMBEDDING_MODEL_DIR=str(settings.embedding_model_dir), PYTHONPATH=str(ROOT))
    return env


@asynccontextmanager
async def stdio_session(settings):
    with tempfile.TemporaryFile("w+") as errlog:
        params = StdioServerParameters(command=sys.executable, args=["-m", "api.mcp", "--log-level", "warning"],
                                       env=env_for(settings), cwd=str(ROOT))
        try:
            async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                yield session
        except BaseException:
            errlog.seek(0)
            print("server stderr:\n" + errlog.read(), file=sys.stderr)
            raise


@asynccontextmanager
async def http_session(url: str):
    async with streamable_http_client(f"{url}/mcp") as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def text_of(result) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)


async def run_calls(session) -> dict:
    """Every call the tests look at, made in one session, in this order (errors in between included)."""
    out = {"tools": (await session.list_tools()).tools,
           "templates": (await session.list_resource_templates()).resource_templates}
    calls = {
        "ask": ("ask_roadmap", {"question": QUESTION}),
        "bad_week": ("get_week", {"n": 9}),
        "ask_week": ("ask_roadmap", {"question": "How do I register a model?", "week": 3}),
        "ask_plan": ("ask_roadmap", {"question": "What is the weekend project?", "week": 2}),
        "ask_bad_week": ("ask_roadmap", {"question": "How do I register a model?", "week": 7}),
        "ask_text_week": ("ask_roadmap", {"question": "How do I register a model in week 7?", "week": 3}),
        "search_text_week": ("search_roadmap", {"query": "week 12 model registry"}),
        "ask_long": ("ask_roadmap", {"question": "why " * 501}),
        "ask_history": ("ask_roadmap", {"question": "and how are its versions numbered?",
                                        "history": [{"role": "user", "content": "What is a model registry?"},
                                                    {"role": "assistant", "content": "A catalog of models [1]."}]}),
        "ask_long_history": ("ask_roadmap", {"question": "and then?",
                                             "history": [{"role": "user", "content": "hi"}] * 9}),
        "search": ("search_roadmap", {"query": "model registry versions", "week": 3, "k": 2}),
        "search_bad_k": ("search_roadmap", {"query": "model registry", "k": 11}),
        "search_plan": ("search_roadmap", {"query": "What is the weekend project?", "week": 2}),
        "weeks": ("list_weeks", {}),
        "week": ("get_week", {"n": 2}),
        "briefing": ("week_briefing", {"week": 3}),
        "briefing_bad_week": ("week_briefing", {"week": 9}),
        "quiz": ("quiz", {"week": 3, "count": 3, "seed": 7}),
        "quiz_default": ("quiz", {"week": 3}),
        "quiz_bad_week": ("quiz", {"week": 0}),
        "quiz_bad_count": ("quiz", {"week": 3, "count": 21}),
    }
    for key, (name, args) in calls.items():
        out[key] = await session.call_tool(name, args)
    out["resource"] = await session.read_resource("roadmap://week/1")
    for key, uri in (("resource_bad_week", "roadmap://week/9"), ("resource_not_a_week", "roadmap://week/abc")):
        try:
            await session.read_resource(uri)
        except MCPError as exc:
            out[key] = exc
    out["after_errors"] = await session.call_tool("get_week", {"n": 1})  # the server still answers
    return out


@pytest.fixture(scope="module")
def api_url(fixture_index):
    with serve(create_app(fixture_index)) as url:
        yield url


@pytest.fixture(scope="module", params=["stdio", "http"])
def calls(request, fixture_index, api_url) -> dict:
    """The results of `run_calls`, over the transport named by the parameter."""
    async def go():
        opened = stdio_session(fixture_index) if request.param == "stdio" else http_session(api_url)
        async with opened as session:
            return await run_calls(session)
    return anyio.run(go)


def test_lists_the_six_read_only_tools_and_the_week_resource(calls):
    tools = {t.name: t for t in calls["tools"]}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and tool.annotations.read_only_hint is True
    ask = tools["ask_roadmap"].input_schema
    assert ask["required"] == ["question"] and set(ask["properties"]) == {"question", "week", "history"}
    assert ask["properties"]["question"]["maxLength"] == 2000
    assert set(tools["search_roadmap"].input_schema["properties"]) == {"query", "week", "k"}
    assert tools["get_week"].input_schema["required"] == ["n"]
    assert tools["week_briefing"].input_schema["required"] == ["week"]
    q = tools["quiz"].input_schema
    assert q["required"] == ["week"] and set(q["properties"]) == {"week", "count", "seed"}
    assert q["properties"]["count"]["default"] == 5 and q["properties"]["count"]["maximum"] == 20
    assert "questions" in tools["quiz"].output_schema["properties"]
    assert [t.uri_template for t in calls["templates"]] == ["roadmap://week/{n}"]


def test_ask_roadmap_gives_the_answer_of_ask(calls, api_url):
    """The tool's structured result is the /ask body for the same question (timings aside)."""
    result = calls["ask"]
    assert not result.is_error
    got = result.structured_content
    want = httpx.post(f"{api_url}/ask", json={"question": QUESTION}, timeout=30).json()
    for key in ("answer", "citations", "grounded", "mode", "week", "scope", "suggested", "version", "query"):
        assert got[key] == want[key], key
    assert got["grounded"] is True and "https://mlops.example.org/registry/" in {c["url"] for c in got["citations"]}
    assert {"title", "url", "section", "weeks"} <= set(got["citations"][0])
    assert got["answer"] in text_of(result)  # clients that read only the text get the answer too


def test_ask_roadmap_searches_the_week_asked(calls):
    got = calls["ask_week"].structured_content
    assert got["week"] == 3 and got["scope"] == "week" and got["citations"]
    assert all(3 in c["weeks"] for c in got["citations"])


def test_roadmap_citations_open_the_roadmap(calls, api_url, fixture_roadmap, request):
    """A citation of the roadmap's own text links to the API's /roadmap page over HTTP, to the file over stdio."""
    got = calls["ask_plan"].structured_content
    [cited] = [c for c in got["citations"] if c["url"] == "roadmap.md#week-2"]
    transport = request.node.callspec.params["calls"]
    want = f"{api_url}/roadmap#week-2" if transport == "http" else fixture_roadmap.resolve().as_uri() + "#week-2"
    assert cited["deep_link"] == want and "log parser" in got["answer"]


def test_ask_roadmap_reads_a_follow_up_in_its_history(calls):
    """"and how are its versions numbered?" after a question about the model registry searches the registry."""
    got = calls["ask_history"].structured_content
    assert got["query"] != "and how are its versions numbered?" and "registry" in got["query"].lower()
    assert got["grounded"] and "https://mlops.example.org/registry/" in {c["url"] for c in got["citations"]}


def test_search_roadmap_returns_passages_with_their_sources(calls):
    result = calls["search"]
    assert not result.is_error
    got = result.structured_content
    assert got["week"] == 3 and got["scope"] == "week" and isinstance(got["version"], int)
    assert 1 <= len(got["passages"]) <= 2
    assert [p["n"] for p in got["passages"]] == list(range(1, len(got["passages"]) + 1))
    first = got["passages"][0]
    assert first["url"] == "https://mlops.example.org/registry/" and 3 in first["weeks"]
    assert len(first["text"]) > 100 and first["title"] and first["deep_link"].startswith(first["url"])


def test_search_roadmap_searches_a_question_the_plan_answers(calls):
    """A question about a week's plan, which ask_roadmap answers from the roadmap, is still searched: passages."""
    result = calls["search_plan"]
    assert not result.is_error, text_of(result)
    got = result.structured_content
    assert got["week"] == 2 and got["query"] and isinstance(got["version"], int)
    assert got["passages"] and all(p["text"] and p["url"] for p in got["passages"])


def test_list_weeks_lists_the_roadmaps_weeks_and_what_is_indexed(calls):
    got = calls["weeks"].structured_content
    assert [(w["number"], w["title"]) for w in got["weeks"]] == [
        (1, "Python Basics"), (2, "Containers"), (3, "Model Deployment")]
    assert got["indexed"] is True and all(w["chunks"] > 0 for w in got["weeks"])
    assert [p["number"] for p in got["phases"]] == [1, 2]
    assert got["weeks"][1]["goals"] == ["Package an application as a Docker image"]


def test_get_week_gives_goals_resources_project_and_deliverables(calls):
    got = calls["week"].structured_content
    assert got["number"] == 2 and got["title"] == "Containers" and got["phase"] == 1
    assert got["goals"] == ["Package an application as a Docker image"]
    assert got["weekend_project"] == "containerise the log parser"
    assert got["deliverables"] == ["a Dockerfile"]
    [resource] = got["resources"]
    assert resource["label"] == "Docker Get Started" and resource["chunks"] > 0
    assert resource["url"] == "https://docs.example.org/docker/get-started/"
    assert got["markdown"] == "roadmap://week/2"


def test_week_resource_is_the_weeks_markdown(calls, fixture_roadmap):
    [content] = calls["resource"].contents
    assert content.mime_type == "text/markdown" and content.uri == "roadmap://week/1"
    assert content.text.startswith("### **Week 1: Python Basics**")
    assert "https://docs.example.org/python/tutorial/" in content.text
    assert content.text in fixture_roadmap.read_text()


def test_week_briefing_is_the_briefing_of_the_api(calls, api_url):
    """The tool's structured result is the GET /weeks/3/briefing body: plan, resources, builds on, overview."""
    result = calls["briefing"]
    assert not result.is_error, text_of(result)
    got = result.structured_content
    assert got == httpx.get(f"{api_url}/weeks/3/briefing", timeout=60).json()
    assert got["week"] == 3 and got["title"] == "Model Deployment" and isinstance(got["version"], int)
    assert {"goals", "topics", "resources", "builds_on", "overview", "reading_minutes", "indexed"} <= set(got)
    assert got["indexed"]["chunks"] > 0
    assert "https://mlops.example.org/registry/" in {r["url"] for r in got["resources"]}


def test_quiz_is_the_quiz_of_the_api_with_quoted_cited_answers(calls, api_url):
    """The same questions as GET /weeks/3/quiz for the same count and seed (seed defaults to the API's 0); each
    answer is a quote with its citation."""
    for key, params in (("quiz", {"count": 3, "seed": 7}), ("quiz_default", {})):
        result = calls[key]
        assert not result.is_error, text_of(result)
        got = result.structured_content
        assert got == httpx.get(f"{api_url}/weeks/3/quiz", params=params, timeout=60).json(), key
    got = calls["quiz"].structured_content
    assert got["week"] == 3 and got["seed"] == 7 and 1 <= got["count"] <= 3 and got["count"] == len(got["questions"])
    for q in got["questions"]:
        assert q["id"] and q["question"].endswith("?") and q["answer"].strip()
        assert set(q["citation"]) == {"url", "deep_link", "title", "section"} and q["citation"]["url"]
        assert q["citation"]["deep_link"].startswith(q["citation"]["url"])
    assert calls["quiz_default"].structured_content["seed"] == 0


def test_study_tools_refuse_a_bad_week_or_count_with_a_tool_error(calls):
    assert calls["briefing_bad_week"].is_error
    assert "week 9 is not in the roadmap, which has weeks 1-3" in text_of(calls["briefing_bad_week"])
    assert calls["quiz_bad_week"].is_error
    assert "week 0 is not in the roadmap, which has weeks 1-3" in text_of(calls["quiz_bad_week"])
    assert calls["quiz_bad_count"].is_error and "count" in text_of(calls["quiz_bad_count"])
    assert "less than or equal to 20" in text_of(calls["quiz_bad_count"])


def test_a_week_the_roadmap_lacks_is_a_tool_error_that_names_its_weeks(calls):
    for key in ("bad_week", "ask_bad_week"):
        result = calls[key]
        assert result.is_error, key
        assert "not in the roadmap, which has weeks 1-3" in text_of(result), text_of(result)
    assert calls["resource_bad_week"].message == "week 9 is not in the roadmap, which has weeks 1-3"
    for key, field, week in (("ask_text_week", "question", 7), ("search_text_week", "query", 12)):
        assert calls[key].is_error, key  # named in the text: refused as the API refuses it, not searched widely
        assert f"invalid request: the {field} names week {week}, but the roadmap has weeks 1-3" in text_of(calls[key])
    assert calls["resource_not_a_week"].message == "week 'abc' is not a week number; the roadmap has weeks 1-3"
    assert not calls["after_errors"].is_error and calls["after_errors"].structured_content["number"] == 1


def test_too_long_input_is_a_tool_error_that_says_the_limit(calls):
    assert calls["ask_long"].is_error
    assert "invalid request: question: String should have at most 2000 characters" in text_of(calls["ask_long"])
    assert calls["ask_long_history"].is_error
    assert "invalid request: history: List should have at most 8 items" in text_of(calls["ask_long_history"])
    assert calls["search_bad_k"].is_error
    assert "invalid request: k: Input should be less than or equal to 10" in text_of(calls["search_bad_k"])


@pytest.fixture(scope="module")
def empty_settings(tmp_path_factory, fixture_roadmap, fixture_site):
    return make_settings(tmp_path_factory.mktemp("empty") / "data", fixture_roadmap, fixture_site.url)


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_without_an_index_ask_and_study_are_tool_errors_and_the_plan_still_answers(empty_settings, transport):
    async def go(url: str | None):
        async with (stdio_session(empty_settings) if url is None else http_session(url)) as session:
            return (await session.call_tool("ask_roadmap", {"question": QUESTION}),
                    await session.call_tool("search_roadmap", {"query": "registry"}),
                    await session.call_tool("week_briefing", {"week": 1}),
                    await session.call_tool("quiz", {"week": 1}),
                    await session.call_tool("list_weeks", {}))

    if transport == "http":
        with serve(create_app(empty_settings)) as url:
            *failed, weeks = anyio.run(go, url)
    else:
        *failed, weeks = anyio.run(go, None)
    for result in failed:
        assert result.is_error and "nothing is indexed yet" in text_of(result)
    assert not weeks.is_error
    assert weeks.structured_content["indexed"] is False and len(weeks.structured_content["weeks"]) == 3


def test_mcp_path_is_an_api_route_with_its_limits_and_metrics(fixture_index):
    """/mcp answers JSON-RPC POSTs, refuses GET (no server-initiated stream) with 405, is counted in /metrics
    under its own route, and over the rate limit a client gets the API's 429."""
    app = create_app(make_settings(fixture_index.data_dir, fixture_index.roadmap, fixture_index.mirror_base,
                                   rate_limit_per_minute=3))
    headers = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    with serve(app) as url:
        first = httpx.post(f"{url}/mcp", json=ping, headers=headers, timeout=30)
        get = httpx.get(f"{url}/mcp", timeout=30)
        metrics = httpx.get(f"{url}/metrics", timeout=30).text
        statuses = [httpx.post(f"{url}/mcp", json=ping, headers=headers, timeout=30).status_code for _ in range(2)]
    assert first.status_code == 200 and first.json() == {"jsonrpc": "2.0", "id": 1, "result": {}}
    assert get.status_code == 405 and get.headers["allow"] == "POST" and get.json()["error"]["status"] == 405
    assert 'route="/mcp",status="200"' in metrics
    assert statuses == [200, 429]


def test_mcp_answers_are_in_the_question_log(fixture_index, tmp_path):
    """An ask_roadmap answer is logged like any route's, under the channel "mcp", with the answer's id."""
    settings = own_index(fixture_index, tmp_path / "data")

    async def go(url: str):
        async with http_session(url) as session:
            return await session.call_tool("ask_roadmap", {"question": QUESTION})

    with serve(create_app(settings)) as url:
        result = anyio.run(go, url)
        insights(url)  # flushes the log's writer
    [entry] = rows(settings)
    assert entry.channel == "mcp" and entry.question == QUESTION and entry.grounded
    assert entry.id == result.structured_content["id"]


def test_a_bad_setting_is_one_error_line_and_exit_2(fixture_index, tmp_path):
    env = env_for(fixture_index) | {"RA_ROADMAP": str(tmp_path / "missing.md")}
    proc = subprocess.run([sys.executable, "-m", "api.mcp"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: roadmap file") and proc.stderr.count("\n") == 1


def test_the_console_script_is_the_stdio_entry_point():
    from api.mcp.stdio import main

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["roadmap-mcp"].partition(":")
    assert getattr(__import__(module, fromlist=[name]), name) is main
