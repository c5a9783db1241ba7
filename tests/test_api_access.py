"""Access and abuse limits on served apps: API keys on the answering endpoints (the widget keyless from its
allowed origins), the rate limiter's client keys and bounded table, X-Forwarded-For only from trusted
proxies, strict request bodies, a readable message for broken JSON, a read deadline for request bodies,
ONNX threads sized to the CPUs the process may use, and /docs working without internet."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route

from api.app import create_app
from api.auth import ApiKeyGuard, KeyPolicy
from api.limits import TokenBucket, client_key
from tests.browser import chromium, needs_chromium
from tests.servers import free_port, serve
from vectorstore.cpus import cgroup_quota, usable_cpus
from vectorstore.embeddings import make_embedder

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = "https://learn.example.org"
KEYS = ["key-one", "key-two"]
QUESTION = {"question": "What is a model registry?"}
CHAT = {"model": "roadmap-assistant", "messages": [{"role": "user", "content": "What is a model registry?"}]}


@pytest.fixture(scope="module")
def keyed(fixture_index):
    settings = fixture_index.model_copy(update={"api_keys": KEYS, "cors_origins": [ALLOWED]})
    with serve(create_app(settings)) as url:
        yield url


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("method, path, body", [
    ("post", "/ask", QUESTION), ("post", "/ask/stream", QUESTION), ("get", "/v1/models", None),
    ("post", "/v1/chat/completions", CHAT), ("get", "/weeks/1/briefing", None),
])
def test_answering_endpoints_need_a_key(keyed, method, path, body):
    """Without a key, or with a wrong one or another scheme, the answering endpoints are a JSON 401 asking for
    a Bearer key; with any configured key they answer."""
    for headers in ({}, bearer("key-three"), {"Authorization": "Basic key-one"}):
        r = httpx.request(method, f"{keyed}{path}", json=body, headers=headers, timeout=30)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", (path, headers)
        assert r.json()["error"]["status"] == 401 and "API key" in r.json()["error"]["message"]
    r = httpx.request(method, f"{keyed}{path}", json=body, headers=bearer("key-two"), timeout=30)
    assert r.status_code == 200, r.text


def test_the_widget_needs_no_key_from_an_allowed_origin(keyed):
    """The widget's calls (an allowed Origin, or the service's own demo page) are served without a key; other
    origins are not, and the OpenAI-compatible endpoints always need one."""
    own = keyed  # the demo page at / is served from here
    for origin in (ALLOWED, own):
        r = httpx.post(f"{keyed}/ask/stream", json=QUESTION, headers={"Origin": origin}, timeout=30)
        assert r.status_code == 200 and "event: answer" in r.text, origin
    assert httpx.post(f"{keyed}/ask/stream", json=QUESTION, headers={"Origin": "https://evil.example.com"},
                      timeout=30).status_code == 401
    assert httpx.post(f"{keyed}/v1/chat/completions", json=CHAT, headers={"Origin": ALLOWED},
                      timeout=30).status_code == 401


def test_the_rest_stays_open_with_keys(keyed):
    """Catalog, feedback, health, the widget's files and the docs need no key."""
    for path in ("/weeks", "/sources", "/livez", "/readyz", "/widget.js", "/", "/docs", "/openapi.json"):
        assert httpx.get(f"{keyed}{path}", timeout=30).status_code == 200, path
    r = httpx.post(f"{keyed}/feedback", json={"question": "q", "rating": "up"}, timeout=30)
    assert r.status_code == 201


def test_the_key_guard_wraps_any_mounted_app():
    """`ApiKeyGuard` applies the same policy to an ASGI app mounted beside the routes."""
    inner = Starlette(routes=[Route("/", lambda request: PlainTextResponse("inside"))])
    with serve(ApiKeyGuard(inner, KeyPolicy(KEYS))) as url:
        r = httpx.get(url)
        assert r.status_code == 401 and r.json()["error"]["status"] == 401
        assert httpx.get(url, headers=bearer("key-one")).text == "inside"


def test_rate_limit_keys_group_ipv6_by_64():
    """An IPv6 client is limited per /64 (one subscriber's whole range); IPv4, also IPv4-mapped, per address."""
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:198.51.100.7") == "198.51.100.7" == client_key("198.51.100.7")
    assert client_key("198.51.100.8") != client_key("198.51.100.7")


def test_the_rate_limiter_table_is_bounded_and_forgets_the_least_recent():
    """Past `max_keys` clients the one seen longest ago is forgotten (and starts again with a full bucket);
    a client seen recently keeps its state."""
    bucket = TokenBucket(1, clock=lambda: 0.0, max_keys=1000)
    assert bucket.take("busy") == 0.0 and bucket.take("busy") > 0
    for i in range(5000):
        bucket.take(f"client-{i}")
        if i % 100 == 0:
            assert bucket.take("busy") > 0  # still limited: seen recently, so never the one forgotten
    assert len(bucket) == 1000 and "client-0" not in bucket and "client-4999" in bucket
    assert bucket.take("client-0") == 0.0  # forgotten: a fresh bucket


def start_api(settings, **env) -> tuple[str, subprocess.Popen]:
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RA_")}
    environ.update(RA_DATA_DIR=str(settings.data_dir), RA_ROADMAP=str(settings.roadmap), PYTHONPATH=str(ROOT),
                   RA_EMBEDDING_MODEL_DIR=str(settings.embedding_model_dir), **env)
    proc = subprocess.Popen([sys.executable, "-m", "api", "--port", str(port), "--no-access-log"], cwd=ROOT,
                            env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, proc.stderr and proc.stderr.read().decode()
        try:
            if httpx.get(f"{url}/livez").status_code == 200:
                return url, proc
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the service did not start"
        time.sleep(0.2)


def statuses(url: str, forwarded_for: list[str]) -> list[int]:
    return [httpx.get(f"{url}/weeks", headers={"X-Forwarded-For": ip}).status_code for ip in forwarded_for]


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(fixture_index):
    """`python -m api` on loopback: a client cannot pick a new rate-limit bucket with X-Forwarded-For, even
    from 127.0.0.1 (uvicorn's own default trusts it); the limit counts the connection's address."""
    url, proc = start_api(fixture_index, RA_RATE_LIMIT_PER_MINUTE="2")
    try:
        assert statuses(url, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) == [200, 200, 429]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_trusted_proxy_reports_the_client_and_ipv6_counts_by_64(fixture_index):
    """With RA_TRUSTED_PROXIES naming the proxy, its X-Forwarded-For is the client: two clients of one /64
    share a bucket, another /64 has its own."""
    url, proc = start_api(fixture_index, RA_RATE_LIMIT_PER_MINUTE="2", RA_TRUSTED_PROXIES='["127.0.0.0/8"]')
    try:
        assert statuses(url, ["2001:db8::1", "2001:db8::2", "2001:db8::3"]) == [200, 200, 429]
        assert statuses(url, ["2001:db8:0:1::1", "198.51.100.9"]) == [200, 200]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def api(fixture_index):
    with serve(create_app(fixture_index.model_copy(update={"body_timeout": 1.0}))) as url:
        yield url


@pytest.mark.parametrize("path, body, field", [
    ("/ask", {"question": "What is Docker?", "week": True}, "week"),
    ("/ask", {"question": "What is Docker?", "top_k": "3"}, "top_k"),
    ("/ask", {"question": "What is Docker?", "week": 2.0}, "week"),
    ("/ask/stream", {"question": "What is Docker?", "week": False}, "week"),
    ("/v1/chat/completions", {**CHAT, "stream": "true"}, "stream"),
    ("/feedback", {"question": "q", "rating": "up", "comment": 5}, "comment"),
])
def test_request_bodies_are_strict(api, path, body, field):
    """A JSON value of the wrong type is refused with a 422 naming the field, never converted."""
    r = httpx.post(f"{api}{path}", json=body, timeout=30)
    assert r.status_code == 422, r.text
    assert re.search(rf"\b{field}: ", r.json()["error"]["message"]), r.json()


def test_broken_json_gets_a_message_a_person_can_act_on(api):
    """A body that is not JSON is named as such, with what is wrong and where, and an example of what to send."""
    r = httpx.post(f"{api}/ask", content=b'{"question": "What is Docker?",}',
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    message = r.json()["error"]["message"]
    assert message.startswith("the request body is not valid JSON (") and "at character 31" in message
    assert '{"question": ' in message and "body.31" not in message


def test_a_body_sent_too_slowly_is_refused_with_408(api):
    """A client that sends its headers and part of its body, then stalls, gets a 408 once the read deadline
    passes, and the connection is closed."""
    host, port = api.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                     b'{"question": ')
        started = time.monotonic()
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 408 "), reply[:200]
    assert b"did not arrive within 1 s" in reply and time.monotonic() - started < 8


def test_onnx_threads_follow_the_cpus_the_process_may_use(fixture_index):
    """Unset, RA_ONNX_THREADS is the CPUs this process may run on: pinned to one CPU, the embedder uses 1
    thread (not the host's count); set, it is used as given."""
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        assert usable_cpus() == 1
        assert make_embedder(fixture_index.model_copy(update={"onnx_threads": None})).threads == 1
    finally:
        os.sched_setaffinity(0, allowed)
    assert make_embedder(fixture_index.model_copy(update={"onnx_threads": 3})).threads == 3


@pytest.mark.parametrize("layout, expected", [
    ({"proc": "0::/app\n", "app/cpu.max": "150000 100000\n", "cpu.max": "max 100000\n"}, 1.5),     # v2
    ({"proc": "0::/\n", "cpu.max": "max 100000\n"}, None),                                        # v2, no quota
    ({"proc": "4:cpu,cpuacct:/docker/x\n", "cpu,cpuacct/docker/x/cpu.cfs_quota_us": "200000",
      "cpu,cpuacct/docker/x/cpu.cfs_period_us": "100000"}, 2.0),                                   # v1
    ({"proc": "4:cpu,cpuacct:/\n", "cpu,cpuacct/cpu.cfs_quota_us": "-1",
      "cpu,cpuacct/cpu.cfs_period_us": "100000"}, None),                                          # v1, no quota
])
def test_cgroup_cpu_quotas_are_read(tmp_path, layout, expected):
    """A container's CPU quota is read from cgroup v2 (cpu.max) or v1 (cfs quota / period), the tightest on the
    process's cgroup path; a 1.5-CPU quota allows 2 threads."""
    for name, text in layout.items():
        path = tmp_path / ("self-cgroup" if name == "proc" else f"fs/{name}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert cgroup_quota(tmp_path / "fs", tmp_path / "self-cgroup") == expected
    cpus = usable_cpus(tmp_path / "fs", tmp_path / "self-cgroup")
    assert cpus == min(len(os.sched_getaffinity(0)), 2) if expected else cpus == len(os.sched_getaffinity(0))


def test_docs_assets_are_served_by_the_app(api):
    """/docs and /redoc load only the app's own files: no CDN, and every script and style they name is served."""
    for page in ("/docs", "/redoc"):
        html = httpx.get(f"{api}{page}").text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets and all(a.startswith("/") for a in assets), assets
        for asset in assets:
            assert httpx.get(f"{api}{asset}").status_code == 200, asset
        assert "cdn" not in html.lower() and "fonts.googleapis" not in html


@needs_chromium
def test_docs_render_in_a_browser_without_internet(api):
    """In Chromium with every request outside the service blocked, Swagger UI renders the API's operations."""
    outside: list[str] = []
    with chromium() as browser:
        page = browser.new_page()

        def only_local(route):
            if route.request.url.startswith(api):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        page.goto(f"{api}/docs")
        page.wait_for_selector(".opblock-summary-path[data-path=\"/ask/stream\"]", timeout=30_000)
        assert page.locator(".swagger-ui .info .title").inner_text().startswith("roadmap-assistant")
    assert outside == []


def test_the_mcp_endpoint_needs_a_key_even_from_the_widgets_origin(keyed):
    """/mcp (the MCP server over HTTP) is for API clients: a key is needed whatever the Origin, and with one it
    answers the protocol."""
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    accept = {"Accept": "application/json, text/event-stream"}
    r = httpx.post(f"{keyed}/mcp", json=call, headers={**accept, "Origin": ALLOWED}, timeout=30)
    assert r.status_code == 401 and r.json()["error"]["status"] == 401
    r = httpx.post(f"{keyed}/mcp", json=call, headers={**accept, **bearer("key-one")}, timeout=30)
    assert r.status_code == 200 and "ask_roadmap" in r.text, r.text


MCP_HEADERS = "authorization, content-type, mcp-protocol-version, mcp-session-id, mcp-method, mcp-name, last-event-id"


def test_cors_lets_a_browser_mcp_client_send_and_read_the_protocols_headers(keyed):
    """A preflight for /mcp from an allowed origin, asking for the protocol's headers (Mcp-Protocol-Version,
    Mcp-Session-Id, Mcp-Method, Mcp-Name, Last-Event-ID) beside Authorization, is granted; the answer exposes
    Mcp-Session-Id to the page. Another origin's preflight is still refused."""
    preflight = {"Origin": ALLOWED, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": MCP_HEADERS}
    r = httpx.options(f"{keyed}/mcp", headers=preflight, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == ALLOWED
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert {h.strip() for h in MCP_HEADERS.split(",")} <= allowed
    refused = httpx.options(f"{keyed}/mcp", headers={**preflight, "Origin": "https://evil.example.com"}, timeout=30)
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    r = httpx.post(f"{keyed}/mcp", json=call, timeout=30, headers={
        "Origin": ALLOWED, "Accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18",
        **bearer("key-one")})
    assert r.status_code == 200 and "ask_roadmap" in r.text, r.text
    assert "mcp-session-id" in r.headers["access-control-expose-headers"].lower()


PAGE = HTMLResponse("<!doctype html><html lang=en><title>course</title><p>A course page</p></html>")
BROWSER_MCP = """async ([url, key]) => {
    const post = async (body, extra) => {
        const r = await fetch(url, {method: "POST", body: JSON.stringify(body), headers: {
            "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
            "Authorization": `Bearer ${key}`, ...extra}});
        return {status: r.status, body: await r.json()};
    };
    const init = await post({jsonrpc: "2.0", id: 1, method: "initialize", params: {
        protocolVersion: "2025-06-18", capabilities: {}, clientInfo: {name: "page", version: "1"}}});
    const version = init.body.result.protocolVersion;
    const listed = await post({jsonrpc: "2.0", id: 2, method: "tools/list", params: {}},
                              {"Mcp-Protocol-Version": version, "Mcp-Method": "tools/list"});
    return {version, status: listed.status, tools: listed.body.result.tools.map(t => t.name)};
}"""


@needs_chromium
def test_a_browser_on_an_allowed_origin_uses_the_mcp_endpoint(fixture_index):
    """In Chromium, a page on an allowed origin (another local server) initializes the MCP server at /mcp and
    lists its tools with the protocol's headers: the browser's own CORS preflight lets the calls through."""
    page_port = free_port()
    origin = f"http://127.0.0.1:{page_port}"
    settings = fixture_index.model_copy(update={"api_keys": KEYS, "cors_origins": [origin]})
    site = Starlette(routes=[Route("/", lambda request: PAGE)])
    with serve(site, page_port), serve(create_app(settings)) as api, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{origin}/")
        found = page.evaluate(BROWSER_MCP, [f"{api}/mcp", KEYS[0]])
    assert found["status"] == 200 and found["version"]
    assert {"ask_roadmap", "search_roadmap", "list_weeks"} <= set(found["tools"])
