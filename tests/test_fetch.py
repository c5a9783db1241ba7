"""Tests for ingest.fetch: a fixture Starlette site on 127.0.0.1 plays every page a crawl meets."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from ingest.fetch import Fetcher, FetchResult, parse_retry_after
from ingest.urls import UrlMap
from tests.servers import free_port, serve

UA = "ra-test/1.0"
LAST_MODIFIED = "Wed, 01 May 2024 10:00:00 GMT"
DEFAULTS = {"user_agent": UA, "concurrency": 8, "per_host_concurrency": 4, "timeout": 5.0, "retries": 3,
            "max_redirects": 5, "max_bytes": 10_000, "backoff_base": 0.01, "backoff_cap": 0.05}


class State:
    hits: Counter = Counter()
    inflight = 0
    max_inflight = 0


def html(body: bytes | str, content_type: str = "text/html; charset=utf-8", **headers: str) -> Response:
    return Response(body, media_type=None, headers={"Content-Type": content_type, **headers})


async def counted(request: Request) -> Response:
    """/flaky429, /always429, /flaky500: fail as named (first time, or always), then serve a page."""
    name = request.url.path.strip("/")
    State.hits[name] += 1
    if name == "always429" or (name == "flaky429" and State.hits[name] == 1):
        return PlainTextResponse("slow down", status_code=429, headers={"Retry-After": "1"})
    if name == "flaky500" and State.hits[name] == 1:
        return PlainTextResponse("oops", status_code=500)
    return html("<p>finally</p>")


async def robots(request: Request) -> Response:
    State.hits["robots"] += 1
    return PlainTextResponse("User-agent: *\nDisallow: /private/\n")


async def slow(request: Request) -> Response:
    await asyncio.sleep(1.0)
    return html("<p>late</p>")


async def inflight(request: Request) -> Response:
    State.inflight += 1
    State.max_inflight = max(State.max_inflight, State.inflight)
    await asyncio.sleep(0.1)
    State.inflight -= 1
    return html("<p>done</p>")


async def redirect(request: Request) -> Response:
    n = int(request.path_params["n"])
    return RedirectResponse(f"/redirect/{n - 1}", status_code=302) if n else html("<p>landed</p>")


async def etag_page(request: Request) -> Response:
    if request.headers.get("if-none-match") == '"v1"' or request.headers.get("if-modified-since") == LAST_MODIFIED:
        return Response(status_code=304, headers={"ETag": '"v1"'})
    return html("<p>versioned</p>", ETag='"v1"', **{"Last-Modified": LAST_MODIFIED})


async def big_stream(request: Request) -> Response:
    async def chunks():
        for _ in range(20):
            yield b"x" * 1000
    return StreamingResponse(chunks(), media_type="text/plain")


async def mirror_old(request: Request) -> Response:
    return RedirectResponse(f"{request.base_url}docs.example.org/page.html", status_code=301)


def const(response: Response):
    async def endpoint(request: Request) -> Response:
        return response
    return endpoint


ROUTES = {
    "/page.html": html("<html><head><title>Hi</title></head><body><p>Hello wörld</p></body></html>"),
    "/notes.txt": PlainTextResponse("plain notes"),
    "/readme.md": html("# Title\n\ntext", "text/markdown; charset=utf-8"),
    "/doc.pdf": html(b"%PDF-1.4 binary", "application/pdf"),
    "/latin1.html": html("<p>café naïve</p>".encode("latin-1"), "text/html; charset=ISO-8859-1"),
    "/meta-1252.html": html('<html><head><meta charset="windows-1252"></head><body>€5 café “q”</body></html>'
                            .encode("cp1252"), "text/html"),
    "/http-equiv.html": html('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
                             "<p>déjà vu</p>".encode("latin-1"), "text/html"),
    "/bad-utf8.html": html(b"<p>ok \xff here</p>", "text/html"),
    "/missing.html": PlainTextResponse("gone", status_code=404),
    "/forbidden.html": PlainTextResponse("no", status_code=403),
    "/to-private": RedirectResponse("http://10.0.0.1/secret", status_code=302),
    "/big.html": html(b"x" * 20_000),
    "/private/page.html": html("<p>secret</p>"),
    "/docs.example.org/page.html": html("<p>mirrored page</p>"),
}


@pytest.fixture(scope="module")
def base():
    routes = [Route(path, const(resp)) for path, resp in ROUTES.items()] + [
        Route("/robots.txt", robots), Route("/slow", slow), Route("/inflight", inflight),
        Route("/redirect/{n}", redirect), Route("/etag", etag_page), Route("/big-stream", big_stream),
        Route("/docs.example.org/old.html", mirror_old),
        *[Route(f"/{name}", counted) for name in ("flaky429", "always429", "flaky500")]]
    with serve(Starlette(routes=routes)) as url:
        yield url


def fetch(url: str, etag: str | None = None, last_modified: str | None = None, **kw) -> FetchResult:
    """Fetch `url` as a roadmap link (its host trusted, as the roadmap's own hosts are)."""
    async def go() -> FetchResult:
        async with Fetcher(**{**DEFAULTS, "trusted": [url], **kw}) as f:
            return await f.fetch(url, etag=etag, last_modified=last_modified)
    return asyncio.run(go())


def test_ok_html(base):
    """An HTML page comes back ok with its decoded text, status, content type and one attempt."""
    r = fetch(f"{base}/page.html")
    assert (r.outcome, r.status, r.content_type, r.reason) == ("ok", 200, "text/html", None)
    assert "Hello wörld" in r.text and r.final_url == r.url and r.redirects == [] and r.attempts == 1


def test_plain_text_and_markdown(base):
    """text/plain and text/markdown are fetched as text."""
    assert fetch(f"{base}/notes.txt").text == "plain notes"
    r = fetch(f"{base}/readme.md")
    assert (r.outcome, r.content_type, r.text) == ("ok", "text/markdown", "# Title\n\ntext")


def test_pdf_skipped(base):
    """A PDF is skipped, naming its content type, with no text."""
    r = fetch(f"{base}/doc.pdf")
    assert (r.outcome, r.reason, r.text) == ("skipped", "unsupported content type application/pdf", None)


@pytest.mark.parametrize("path, expected", [
    ("/latin1.html", "café naïve"),            # charset in the Content-Type header
    ("/meta-1252.html", "€5 café “q”"),        # <meta charset>
    ("/http-equiv.html", "déjà vu"),           # <meta http-equiv="Content-Type">
    ("/bad-utf8.html", "ok \ufffd here"),      # no declaration: UTF-8 with replacement
])
def test_charsets(base, path, expected):
    """Pages are decoded in their declared charset (header, then meta), else UTF-8 with replacement."""
    r = fetch(f"{base}{path}")
    assert r.outcome == "ok" and expected in r.text


@pytest.mark.parametrize("path, reason", [("/missing.html", "HTTP 404 Not Found"),
                                          ("/forbidden.html", "HTTP 403 Forbidden")])
def test_client_errors_fail_without_retry(base, path, reason):
    """4xx answers fail at once with the status and its standard phrase."""
    r = fetch(f"{base}{path}")
    assert (r.outcome, r.status, r.reason, r.attempts) == ("failed", int(reason.split()[1]), reason, 1)


def test_429_then_ok(base):
    """A 429 with Retry-After is retried (the wait capped) and the second attempt succeeds."""
    before = State.hits["flaky429"]
    r = fetch(f"{base}/flaky429")
    assert (r.outcome, r.attempts, State.hits["flaky429"] - before) == ("ok", 2, 2)


def test_always_429_fails_after_retries(base):
    """A page that always answers 429 fails after the configured retries, saying so."""
    r = fetch(f"{base}/always429", retries=2)
    assert (r.outcome, r.status, r.attempts) == ("failed", 429, 3)
    assert r.reason == "HTTP 429 Too Many Requests after 2 retries"


def test_500_then_ok(base):
    """A 500 is retried and the next attempt's page is returned."""
    r = fetch(f"{base}/flaky500")
    assert (r.outcome, r.status, r.attempts) == ("ok", 200, 2)


def test_timeout(base):
    """A page slower than the timeout fails as timed out after the retries."""
    r = fetch(f"{base}/slow", timeout=0.2, retries=1)
    assert (r.outcome, r.reason, r.attempts) == ("failed", "timed out after 1 retry", 2)


def test_connection_refused():
    """A port nobody listens on fails with a connection error reason, not an exception."""
    r = fetch(f"http://127.0.0.1:{free_port()}/x", retries=1, obey_robots=False)
    assert r.outcome == "failed" and r.reason.startswith("connection failed (ConnectError")
    assert r.reason.endswith("after 1 retry")


def test_redirect_chain(base):
    """Relative redirects are followed; every hop is recorded and final_url is the last one."""
    r = fetch(f"{base}/redirect/3")
    assert (r.outcome, r.text) == ("ok", "<p>landed</p>")
    assert r.redirects == [f"{base}/redirect/{n}" for n in (2, 1, 0)] and r.final_url == f"{base}/redirect/0"


def test_too_many_redirects(base):
    """More redirects than max_redirects fail the page."""
    r = fetch(f"{base}/redirect/7")
    assert (r.outcome, r.reason, len(r.redirects)) == ("failed", "too many redirects (>5)", 5)


def test_redirect_from_a_roadmap_host_to_a_private_address_refused(base):
    """A roadmap host may be private, but its redirect to another private address is refused unconnected."""
    r = fetch(f"{base}/to-private")
    assert (r.outcome, r.attempts) == ("failed", 1)
    assert r.reason == "refused to connect to 10.0.0.1: not a public address"


@pytest.mark.parametrize("path", ["/big.html", "/big-stream"])
def test_oversized_body_skipped(base, path):
    """Bodies over max_bytes are skipped, whether Content-Length says so or the stream runs long."""
    r = fetch(f"{base}{path}")
    assert (r.outcome, r.reason, r.text) == ("skipped", "body larger than 10000 bytes", None)


def test_robots_disallowed(base):
    """A path robots.txt disallows is skipped without being fetched."""
    r = fetch(f"{base}/private/page.html")
    assert (r.outcome, r.reason, r.attempts) == ("skipped", "disallowed by robots.txt", 0)


def test_robots_fetched_once_per_host(base):
    """Concurrent fetches on one host share a single robots.txt download."""
    async def go():
        async with Fetcher(**DEFAULTS, trusted=[base]) as f:
            return await asyncio.gather(*(f.fetch(f"{base}/page.html") for _ in range(5)))
    before = State.hits["robots"]
    results = asyncio.run(go())
    assert all(r.outcome == "ok" for r in results) and State.hits["robots"] - before == 1


def test_conditional_requests(base):
    """ETag and Last-Modified are returned, and sending them back yields not_modified."""
    first = fetch(f"{base}/etag")
    assert (first.outcome, first.etag, first.last_modified) == ("ok", '"v1"', LAST_MODIFIED)
    again = fetch(f"{base}/etag", etag='"v1"')
    assert (again.outcome, again.status, again.text) == ("not_modified", 304, None)
    assert fetch(f"{base}/etag", last_modified=LAST_MODIFIED).outcome == "not_modified"


def test_per_host_concurrency_respected(base):
    """No more than per_host_concurrency requests to one host are in flight at once."""
    async def go():
        async with Fetcher(**{**DEFAULTS, "concurrency": 16, "per_host_concurrency": 2}, trusted=[base]) as f:
            return await asyncio.gather(*(f.fetch(f"{base}/inflight?i={i}") for i in range(8)))
    State.max_inflight = 0
    assert all(r.outcome == "ok" for r in asyncio.run(go()))
    assert State.max_inflight == 2


def test_mirror_mapping(base):
    """With a mirror, real URLs are fetched from MIRROR/HOST/PATH and redirects map back to real URLs."""
    r = fetch("https://docs.example.org/old.html", url_map=UrlMap(base))
    assert (r.outcome, r.text) == ("ok", "<p>mirrored page</p>")
    assert r.url == "https://docs.example.org/old.html"
    assert r.redirects == ["https://docs.example.org/page.html"] and r.final_url == r.redirects[-1]


def test_unexpected_error_becomes_failed(base):
    """An unforeseen exception inside the fetch ends in a failed result naming it."""
    async def broken_resolver(host: str) -> list[str]:
        return [str(1 / 0)]
    r = fetch(f"{base.replace('127.0.0.1', 'docs.test')}/page.html", resolver=broken_resolver, trusted=[])
    assert (r.outcome, r.reason) == ("failed", "ZeroDivisionError: division by zero")


def test_parse_retry_after():
    """Retry-After is read as seconds or an HTTP date; nonsense gives None."""
    now = 1_714_557_600.0  # Wed, 01 May 2024 10:00:00 GMT
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Wed, 01 May 2024 10:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None
