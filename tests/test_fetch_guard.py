"""The crawler's defences, against a real site on 127.0.0.1 reached through made-up host names: a resolver the
test controls maps each name to an address, so "a roadmap host", "an internal host" and "a name that rebinds"
are all played locally. No test connects anywhere but the loopback range: refused addresses are never
dialled."""
from __future__ import annotations

import asyncio
import ipaddress
import tracemalloc
import zlib
from collections import Counter

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from ingest.fetch import Fetcher, FetchResult
from ingest.transport import is_public_address
from tests.servers import serve

DEFAULTS = {"user_agent": "ra-test/1.0", "timeout": 5.0, "retries": 0, "max_bytes": 1_000_000,
            "backoff_base": 0.01, "backoff_cap": 0.05}
BOMB_BYTES = 200_000_000  # what the bomb inflates to


class MapResolver:
    """Host name -> addresses, as the test says; a list of lists answers call by call (the last one repeats)."""

    def __init__(self, names: dict[str, list[str] | list[list[str]]]):
        self.names = names
        self.calls: list[str] = []

    async def __call__(self, host: str) -> list[str]:
        self.calls.append(host)
        answer = self.names[host]
        rounds = [a for a in answer if isinstance(a, list)]
        if rounds:
            return rounds[min(self.calls.count(host), len(rounds)) - 1]
        return [a for a in answer if isinstance(a, str)]


def gzip_bytes(data: bytes | None = None, zeros: int = 0) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [z.compress(data)] if data else []
    block = bytes(1 << 20)
    for _ in range(zeros // len(block)):
        out.append(z.compress(block))
    return b"".join(out) + z.flush()


class Site:
    def __init__(self):
        self.hits: Counter = Counter()
        self.hosts: list[str] = []
        self.accept_encoding: list[str] = []
        self.bomb = gzip_bytes(b"<html><body><p>", zeros=BOMB_BYTES)
        self.port = 0  # the server's, once it listens

    def app(self, port_holder: dict) -> Starlette:
        def page(text: str, **headers) -> Response:
            return Response(text, headers={"Content-Type": "text/html; charset=utf-8", **headers})

        async def any_path(request: Request) -> Response:
            path = request.url.path
            self.hits[path] += 1
            self.hosts.append(request.headers.get("host", ""))
            self.accept_encoding.append(request.headers.get("accept-encoding", ""))
            port = port_holder["port"]
            if path == "/robots.txt":
                name = request.headers["host"].split(":")[0]
                if name.startswith("down"):
                    return PlainTextResponse("maintenance", status_code=503)
                if name.startswith("none"):
                    return PlainTextResponse("no robots here", status_code=404)
                if name.startswith("hop"):
                    return RedirectResponse(f"http://127.0.0.1:{port}/robots.txt", status_code=301)
                return PlainTextResponse("User-agent: *\nDisallow: /private/\n")
            redirects = {"/to-loopback": f"http://127.0.0.1:{port}/secret",
                         "/to-cgnat": "http://100.64.0.1/secret",
                         "/to-mapped": f"http://[::ffff:127.0.0.1]:{port}/secret",
                         "/to-internal-name": f"http://internal.test:{port}/secret"}
            if path in redirects:
                return RedirectResponse(redirects[path], status_code=302)
            if path == "/secret":
                return page("<p>internal secret</p>")
            if path == "/bomb":
                return Response(self.bomb, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})
            if path == "/gzipped":
                return Response(gzip_bytes("<p>déjà compressed</p>".encode()),
                                headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"})
            if path == "/raw-deflate":
                z = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
                body = z.compress(b"<p>raw deflate</p>") + z.flush()
                return Response(body, headers={"Content-Type": "text/html", "Content-Encoding": "deflate"})
            if path == "/brotli":
                return Response(b"\x8b\x03\x80hello\x03",
                                headers={"Content-Type": "text/html", "Content-Encoding": "br"})
            if path == "/retry-tomorrow":
                return PlainTextResponse("busy", status_code=429, headers={"Retry-After": "86400"})
            if path == "/retry-soon":
                if self.hits[path] == 1:
                    return PlainTextResponse("busy", status_code=503, headers={"Retry-After": "1"})
                return page("<p>after the wait</p>")
            return page(f"<p>page {path}</p>")

        return Starlette(routes=[Route("/{path:path}", any_path)])


@pytest.fixture(scope="module")
def site():
    holder: dict = {}
    s = Site()
    with serve(s.app(holder)) as url:
        holder["port"] = int(url.rsplit(":", 1)[1])
        s.port = holder["port"]
        yield s


def names(site: Site, **extra) -> MapResolver:
    """Every made-up name of these tests resolves to the loopback site unless `extra` says otherwise."""
    base = {n: ["127.0.0.1"] for n in ("docs.test", "internal.test", "down.test", "none.test", "hop.test")}
    return MapResolver({**base, **extra})


def fetch(url: str, **kw) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(**{**DEFAULTS, **kw}) as f:
            return await f.fetch(url)
    return asyncio.run(go())


def roadmap_fetch(site: Site, path: str, host: str = "docs.test", **kw) -> FetchResult:
    """Fetch a page of a host written in the roadmap (trusted, though it resolves to loopback)."""
    url = f"http://{host}:{site.port}{path}"
    return fetch(url, trusted=[url], resolver=kw.pop("resolver", names(site)), **kw)


@pytest.mark.parametrize("address, public", [
    ("93.184.216.34", True), ("2606:4700::6810:84e5", True), ("8.8.8.8", True),
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("100.64.0.1", False), ("100.127.255.254", False), ("169.254.169.254", False), ("0.0.0.0", False),
    ("224.0.0.1", False), ("192.0.2.10", False), ("255.255.255.255", False),
    ("::1", False), ("::", False), ("fc00::1", False), ("fd12:3456::1", False), ("fe80::1", False), ("ff02::1", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("::ffff:93.184.216.34", True),
    ("2002:a00:1::1", False), ("2002:5db8:d822::1", True),            # 6to4 of 10.0.0.1 / of 93.184.216.34
    ("64:ff9b::a00:1", False), ("64:ff9b::5db8:d822", True), ("64:ff9b:1::1", False),  # NAT64
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),                   # Teredo
])
def test_only_public_addresses_pass(address, public):
    """Loopback, private, CGNAT, link-local, unique-local, multicast and documentation addresses are refused,
    also when an IPv4 address hides inside an IPv6 one."""
    assert is_public_address(ipaddress.ip_address(address)) is public


def test_the_first_hop_is_checked_too(site):
    """A link to a name that resolves to a private address is refused before anything is sent to it."""
    before = sum(site.hits.values())
    r = fetch(f"http://internal.test:{site.port}/page.html", resolver=names(site))
    assert (r.outcome, r.reason) == ("failed", "refused to connect to internal.test (127.0.0.1): not a public address")
    assert sum(site.hits.values()) == before


@pytest.mark.parametrize("path, refused", [
    ("/to-loopback", "127.0.0.1"), ("/to-cgnat", "100.64.0.1"), ("/to-mapped", "::ffff:127.0.0.1"),
    ("/to-internal-name", "internal.test (127.0.0.1)"),
])
def test_a_redirect_to_a_private_address_is_refused(site, path, refused):
    """A roadmap host redirecting to loopback, CGNAT, IPv4-mapped loopback or an internal name: refused, and the
    target never receives a request."""
    before = site.hits["/secret"]
    r = roadmap_fetch(site, path)
    assert r.outcome == "failed" and r.reason == f"refused to connect to {refused}: not a public address"
    assert r.redirects[-1].endswith("/secret") and site.hits["/secret"] == before


def test_a_rebinding_name_gets_the_address_that_was_checked(site):
    """A name answering an allowed address first and the secret's address next is resolved once, and the
    connection goes to the address checked. (127.0.0.2 stands in for the public internet: nothing listens on
    it, so the fetch fails; a check-then-connect crawler would have resolved again and read the secret.)"""
    resolver = MapResolver({"rebind.test": [["127.0.0.2"], ["127.0.0.1"]]})
    before = site.hits["/secret"]
    r = fetch(f"http://rebind.test:{site.port}/secret", resolver=resolver, obey_robots=False,
              allow_address=lambda a: str(a) == "127.0.0.2")
    assert r.outcome == "failed" and r.reason.startswith("connection failed")
    assert resolver.calls == ["rebind.test"] and site.hits["/secret"] == before


def test_the_host_name_is_kept_on_the_request(site):
    """Connecting to the checked address changes nothing the server sees: the Host header names the host."""
    r = roadmap_fetch(site, "/plain.html")
    assert r.outcome == "ok" and site.hosts[-1] == f"docs.test:{site.port}"


def test_robots_txt_answering_5xx_disallows_the_site(site):
    """RFC 9309: a robots.txt that answers 503 means the site may not be crawled; the page is not requested."""
    before = site.hits["/page-a.html"]
    r = roadmap_fetch(site, "/page-a.html", host="down.test")
    assert r.outcome == "failed" and r.attempts == 0 and site.hits["/page-a.html"] == before
    assert r.reason.startswith("robots.txt unreachable (HTTP 503 Service Unavailable)") and "RFC 9309" in r.reason


def test_robots_txt_answering_404_allows_the_site(site):
    """RFC 9309: a robots.txt that is missing (4xx) allows everything."""
    assert roadmap_fetch(site, "/page-b.html", host="none.test").outcome == "ok"


def test_robots_txt_redirects_go_through_the_same_guard(site):
    """A robots.txt that redirects to a private address is refused like any other hop, failing its pages."""
    r = roadmap_fetch(site, "/page-c.html", host="hop.test")
    assert (r.outcome, r.reason) == ("failed", "refused to connect to 127.0.0.1: not a public address")


def test_a_retry_after_beyond_the_limit_fails_at_once_saying_so(site):
    """A 429 asking for a day's wait is not waited for: the page fails after one request with that reason."""
    r = roadmap_fetch(site, "/retry-tomorrow", retries=3, max_retry_after=5)
    assert (r.outcome, r.attempts, r.status) == ("failed", 1, 429)
    assert r.reason == ("HTTP 429 Too Many Requests: asked to retry after 86400 s, longer than the 5 s allowed "
                        "(RA_MAX_RETRY_AFTER)")


def test_a_retry_after_within_the_limit_is_waited_for(site):
    """A 503 with Retry-After: 1 is waited out in full (not cut to the backoff cap), then the page is fetched."""
    r = roadmap_fetch(site, "/retry-soon", retries=1, max_retry_after=5)
    assert (r.outcome, r.attempts) == ("ok", 2) and r.elapsed >= 1.0


def test_a_gzip_bomb_is_stopped_at_the_cap_without_inflating_it(site):
    """A 200 KB gzip body that inflates to 200 MB is skipped at the 1 MB cap, and the fetch never holds much
    more than the cap in memory (httpx's own decoder inflates each 64 KB read whole: ~64 MB at once)."""
    assert len(site.bomb) < 400_000
    tracemalloc.start()
    try:
        r = roadmap_fetch(site, "/bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (r.outcome, r.reason) == ("skipped", "body larger than 1000000 bytes")
    assert peak < 12_000_000, peak


@pytest.mark.parametrize("path, text", [("/gzipped", "déjà compressed"), ("/raw-deflate", "raw deflate")])
def test_compressed_pages_are_decoded(site, path, text):
    """gzip and deflate (even raw deflate without its zlib header) are decoded; only those two are asked for."""
    r = roadmap_fetch(site, path)
    assert r.outcome == "ok" and text in r.text
    assert site.accept_encoding[-1] == "gzip, deflate"


def test_an_encoding_not_asked_for_is_skipped(site):
    """A body in an encoding the crawler did not offer (br) is skipped, not guessed at."""
    r = roadmap_fetch(site, "/brotli")
    assert (r.outcome, r.reason) == ("skipped", "unsupported content encoding br")
