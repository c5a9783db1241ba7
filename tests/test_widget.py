"""Browser tests of the chat widget (`api/static/widget.js`) and the demo page, in Debian's headless Chromium
driven by Playwright's sync API. The happy paths run against the real service (`create_app`) over the shared
`fixture_index`; cross-origin embedding uses a second tiny Starlette host page on another port; failures
(cut-off streams, 429, unreachable API) come from small fake APIs. Screenshots go to `test-output/widget/`.
"""
from __future__ import annotations

import asyncio
import json
import re
import threading
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.browser import assert_accessible, chromium, needs_chromium
from tests.servers import free_port, serve

ROOT = Path(__file__).resolve().parents[1]
WIDGET = ROOT / "api" / "static" / "widget.js"
SHOTS = ROOT / "test-output" / "widget"
XSS = '<img src=x onerror="window.__xss=1">'

pytestmark = needs_chromium


# ---------------------------------------------------------------- browser fixtures

@pytest.fixture(scope="module")
def browser(fixture_index):
    """One Chromium per module. Sync Playwright keeps an event loop on this thread, after which
    `asyncio.run` (which the shared `fixture_index` uses) would fail: so that index is built first."""
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def host_page(script_src: str, api: str | None = None, extra: str = "", week: str | None = None) -> str:
    """A bare host page embedding the widget with one tag (and a link before it, for Tab order)."""
    attrs = (f' data-api="{api}"' if api else "") + (f' data-week="{week}"' if week else "")
    return (f"<!doctype html><html lang='en'><head><title>host</title><style>div,button{{color:red!important}}</style>"
            f"</head><body><main><h1>Host page</h1><a href='#top' id='first'>first link</a>{extra}</main>"
            f"<script src='{script_src}'{attrs} defer></script></body></html>")


def host_app(html: str) -> Starlette:
    """A tiny site serving one host page at `/`."""
    async def index(request: Request) -> Response:
        return HTMLResponse(html)
    return Starlette(routes=[Route("/", index)])


def open_widget(pg) -> None:
    pg.get_by_role("button", name="Ask Roadmap Assistant").click()
    pg.get_by_role("textbox", name="Your question").wait_for()


def ask(pg, question: str) -> None:
    box = pg.get_by_role("textbox", name="Your question")
    box.fill(question)
    box.press("Enter")


def shot(pg, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / name))


# ---------------------------------------------------------------- a fake API for failures

def sse(event: str, data: object) -> str:
    return f"event: {event}\r\ndata: {json.dumps(data)}\r\n\r\n"


class FakeApi:
    """Serves the widget, a host page, `/weeks`, and an `/ask/stream` whose behaviour a test picks: `cut`
    (a few tokens then a clean end without `done`), `drop` (tokens then the connection is torn down),
    `429` (with Retry-After), `error` (an `error` event), `answer` (a full answer, with a hostile source; it
    waits after the tokens until `gate` is set)."""

    def __init__(self, mode: str, weeks: int = 16, week_badges: tuple[int, ...] = (3, 13)) -> None:
        self.mode, self.weeks, self.week_badges = mode, weeks, list(week_badges)
        self.gate = threading.Event()
        self.gate.set()
        self.asked: list[dict] = []
        self.feedback: list[dict] = []

    def app(self) -> Starlette:
        async def widget(request: Request) -> Response:
            return FileResponse(WIDGET, media_type="text/javascript")

        async def index(request: Request) -> Response:
            return HTMLResponse(host_page("/widget.js", week="3"))

        async def weeks(request: Request) -> Response:
            return JSONResponse({"title": f"A {self.weeks}-week Course",
                                 "weeks": [{"number": n, "title": f"Topic {n}"} for n in range(1, self.weeks + 1)]})

        async def feedback(request: Request) -> Response:
            self.feedback.append(await request.json())
            return JSONResponse({"id": "f1"}, status_code=201)

        async def stream(request: Request) -> Response:
            self.asked.append(await request.json())
            if self.mode == "429":
                return JSONResponse({"error": {"status": 429, "message": "too many"}}, status_code=429,
                                    headers={"Retry-After": "7"})

            async def events():
                yield sse("meta", {"week": 3, "scope": "week", "widened": False, "version": 1})
                for word in ("Pods ", "are ", "the "):
                    yield sse("token", {"text": word})
                if self.mode == "drop":
                    raise RuntimeError("the API went away mid-stream")
                if self.mode == "error":
                    yield sse("error", {"message": "the model failed; please try again"})
                if self.mode == "answer":
                    while not self.gate.is_set():
                        await asyncio.sleep(0.02)
                    yield sse("answer", {
                        "answer": f"Pods are the smallest unit [1]. {XSS} <script>window.__xss=2</script> [2]",
                        "citations": [
                            {"n": 1, "url": "https://k8s.example/pods", "deep_link": "https://k8s.example/pods#what",
                             "title": f"Pods {XSS}", "section": "What <b>is</b> a Pod", "weeks": self.week_badges,
                             "snippet": ""},
                            {"n": 2, "url": "javascript:alert(1)", "deep_link": "javascript:window.__xss=3",
                             "title": "Evil link", "section": "x", "weeks": [], "snippet": ""}],
                        "grounded": True, "mode": "extractive", "week": 3, "scope": "week", "widened": False,
                        "suggested": None, "note": None, "version": 1, "timings": {}, "id": "answer-1"})
                    yield sse("done", {})

            return StreamingResponse(events(), media_type="text/event-stream")

        return Starlette(routes=[Route("/", index), Route("/widget.js", widget), Route("/weeks", weeks),
                                 Route("/feedback", feedback, methods=["POST"]),
                                 Route("/ask/stream", stream, methods=["POST"])])


def last_error(pg) -> str:
    return pg.locator(".msg.err").last.inner_text(timeout=15_000)


def test_stream_cut_off_shows_error_and_reenables_send(page):
    """A stream that ends after a few tokens without `answer`/`done` shows the cut-off message, not a hang."""
    with serve(FakeApi("cut").app()) as base:
        page.goto(base + "/")
        open_widget(page)
        ask(page, "What is a pod?")
        assert "The answer was cut off. Try again." in last_error(page)
        assert page.locator(".send").is_enabled()


def test_connection_dropped_mid_stream_shows_cut_off(page):
    """An API that tears the connection down mid-stream shows the cut-off message and the send button returns."""
    with serve(FakeApi("drop").app()) as base:
        page.goto(base + "/")
        open_widget(page)
        ask(page, "What is a pod?")
        assert "The answer was cut off. Try again." in last_error(page)
        assert page.locator(".send").is_enabled()


def test_rate_limited_shows_retry_after(page):
    """A 429 answer shows "Too many questions — try again in N seconds." with N from Retry-After."""
    with serve(FakeApi("429").app()) as base:
        page.goto(base + "/")
        open_widget(page)
        ask(page, "What is a pod?")
        assert "Too many questions — try again in 7 seconds." in last_error(page)
        assert page.locator(".send").is_enabled()


def test_error_event_message_is_shown(page):
    """An `error` event's message is shown in the message list."""
    with serve(FakeApi("error").app()) as base:
        page.goto(base + "/")
        open_widget(page)
        ask(page, "What is a pod?")
        assert "the model failed; please try again" in last_error(page)


def test_unreachable_api_shows_kind_message(page):
    """With nothing listening at data-api, the widget says it can't reach the assistant."""
    dead = f"http://127.0.0.1:{free_port()}"
    with serve(host_app(host_page("/widget.js", api=dead))) as host:
        page.route(host + "/widget.js", lambda route: route.fulfill(path=str(WIDGET), content_type="text/javascript"))
        page.goto(host + "/")
        open_widget(page)
        ask(page, "What is a pod?")
        assert "Can't reach the assistant. Check your connection and try again." in last_error(page)
        assert page.locator(".send").is_enabled()


def test_tokens_show_while_streaming_then_the_answer_replaces_them(page):
    """Tokens appear as they arrive (send disabled meanwhile); the `answer` event re-renders with links and sources."""
    api = FakeApi("answer")
    api.gate.clear()
    with serve(api.app()) as base:
        page.goto(base + "/")
        open_widget(page)
        ask(page, "What is a pod?")
        bubble = page.locator(".msg.bot").last
        page.wait_for_function("() => document.querySelector('roadmap-assistant').shadowRoot"
                               ".querySelector('.msg.bot .text').textContent === 'Pods are the '")
        assert bubble.locator(".sources, .cite").count() == 0
        assert page.locator(".send").is_disabled()
        api.gate.set()
        bubble.locator(".sources").wait_for()
        assert bubble.locator(".cite").first.get_attribute("href") == "#cite-1"
        assert page.locator(".send").is_enabled()
        [sent] = api.asked
        assert {k: sent[k] for k in ("question", "week")} == {"question": "What is a pod?", "week": 3}
        assert re.fullmatch(r"[0-9a-f]{32}", sent["session"])  # the random per-browser id


def test_hostile_answer_and_sources_render_as_text(page):
    """Markup in an answer, a source title or section shows literally; non-http links are not made links."""
    with serve(FakeApi("answer").app()) as base:
        page.goto(base + "/")
        open_widget(page)
        ask(page, "What is a pod?")
        answer = page.locator(".msg.bot").last
        answer.locator(".sources").wait_for()
        assert XSS in answer.locator(".text").inner_text()
        assert "<script>window.__xss=2</script>" in answer.locator(".text").inner_text()
        assert XSS in answer.locator(".src").first.inner_text()
        assert "What <b>is</b> a Pod" in answer.locator(".src").first.inner_text()
        assert page.evaluate("window.__xss") is None
        assert answer.locator("img, script, b").count() == 0
        hrefs = answer.locator(".src a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
        assert hrefs == ["https://k8s.example/pods#what"]
        assert answer.locator(".src").nth(1).locator("a").count() == 0


def test_copy_and_feedback(page):
    """Copy puts the answer and its sources on the clipboard; a thumbs-up posts question, answer, citations, rating,
    the answer's id and the browser's session id once, then both buttons disable and say Thanks."""
    api = FakeApi("answer")
    with serve(api.app()) as base:
        page.goto(base + "/")
        open_widget(page)
        ask(page, "What is a pod?")
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.get_by_role("button", name="Copy answer").click()
        page.get_by_role("button", name="Copy answer").filter(has_text="Copied").wait_for()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("Pods are the smallest unit [1].")
        assert "[1] Pods " in copied and "https://k8s.example/pods#what" in copied
        page.get_by_role("button", name="Helpful", exact=True).click()
        page.get_by_text("Thanks").wait_for()
        assert page.get_by_role("button", name="Helpful", exact=True).is_disabled()
        assert page.get_by_role("button", name="Not helpful").is_disabled()
        assert len(api.feedback) == 1
        sent = api.feedback[0]
        assert sent["question"] == "What is a pod?" and sent["rating"] == "up"
        assert sent["answer"].startswith("Pods are the smallest unit [1].")
        assert [c["n"] for c in sent["citations"]] == [1, 2]
        assert sent["answer_id"] == "answer-1" and sent["session"] == api.asked[0]["session"]


def test_conversation_survives_reload_and_new_chat_clears_it(page):
    """The conversation is kept in sessionStorage across a reload; New chat clears it."""
    api = FakeApi("answer")
    with serve(api.app()) as base:
        page.goto(base + "/")
        open_widget(page)
        ask(page, "What is a pod?")
        page.locator(".msg.bot .sources").wait_for()
        page.reload()
        open_widget(page)
        assert page.locator(".msg.user").inner_text() == "What is a pod?"
        assert page.locator(".msg.bot .src").count() == 2
        page.get_by_role("button", name="New chat").click()
        assert page.locator(".msg").count() == 0
        page.reload()
        open_widget(page)
        assert page.locator(".msg").count() == 0


def test_attributes_and_style_isolation(page):
    """data-open/-title/-position are honoured, and styles cross the shadow boundary in neither direction."""
    html = ("<!doctype html><html><head><style>div,button{color:red!important;font-size:40px!important}</style>"
            "</head><body><h2 id='mine'>Host heading</h2><script src='/widget.js' data-open='true' "
            "data-title='Course helper' data-position='left' data-week='2' defer></script></body></html>")
    fake = FakeApi("answer").app()
    fake.router.routes[0] = Route("/", lambda request: HTMLResponse(html))
    with serve(fake) as base:
        page.goto(base + "/")
        dialog = page.get_by_role("dialog", name="Course helper")
        dialog.wait_for()
        assert page.evaluate("document.querySelector('roadmap-assistant').shadowRoot.activeElement.id") == "ra-input"
        assert page.get_by_role("combobox", name="Week to search").input_value() == "2"
        assert dialog.bounding_box()["x"] < 40
        assert page.get_by_role("button", name="Ask Course helper").bounding_box()["x"] < 40
        send = page.locator(".send")
        assert send.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"
        assert send.evaluate("e => getComputedStyle(e).fontSize") != "40px"
        assert page.locator("#mine").evaluate("e => getComputedStyle(e).fontSize") == "24px"


def test_week_selector_follows_the_served_roadmap(page):
    """The selector lists the weeks /weeks gives (20 here, not 16), and a data-week past them falls back to all
    weeks."""
    api = FakeApi("answer", weeks=20)
    fake = api.app()
    fake.router.routes[0] = Route("/", lambda request: HTMLResponse(host_page("/widget.js", week="23")))
    with serve(fake) as base:
        page.goto(base + "/")
        open_widget(page)
        select = page.get_by_role("combobox", name="Week to search")
        page.get_by_role("option", name="Week 20: Topic 20").wait_for(state="attached")
        options = select.locator("option").all_inner_texts()
        assert options[0] == "All weeks" and options[-1] == "Week 20: Topic 20" and len(options) == 21
        assert select.input_value() == ""
        select.select_option("18")
        ask(page, "What is a pod?")
        page.locator(".msg.bot .sources").wait_for()
        assert [(b["question"], b["week"]) for b in api.asked] == [("What is a pod?", 18)]


def test_a_source_from_many_weeks_shows_the_scope_week_and_collapses_the_rest(page):
    """A cited page reached from five weeks' links shows the searched week first and '+4' (its name starts with
    what it shows, as axe-core asks); pressing it shows all."""
    with serve(FakeApi("answer", week_badges=(1, 5, 3, 9, 12)).app()) as base:
        page.goto(base + "/")
        open_widget(page)
        ask(page, "What is a pod?")
        card = page.locator('.msg.bot .src[data-n="1"]')
        card.wait_for()
        assert card.locator(".badge").all_inner_texts() == ["Week 3", "+4"]
        more = card.get_by_role("button", name="+4, also in weeks 1, 5, 9, 12", exact=True)
        assert_accessible(page, "a host page with an answer whose source has collapsed weeks")
        more.click()
        assert card.locator(".badge").all_inner_texts() == ["Week 3", "Week 1", "Week 5", "Week 9", "Week 12"]


def test_widget_is_small_and_leaks_one_global(page):
    """widget.js is under 30 KB and adds only `RoadmapAssistant` to window."""
    assert WIDGET.stat().st_size < 30 * 1024
    with serve(FakeApi("answer").app()) as base:
        page.goto(base + "/")
        page.wait_for_function("window.RoadmapAssistant !== undefined")
        before = set(page.evaluate("Object.keys(window)"))
        fresh = page.context.new_page()
        fresh.goto(base + "/weeks")  # a page without the widget, for the baseline
        baseline = set(fresh.evaluate("Object.keys(window)"))
        fresh.close()
        assert before - baseline == {"RoadmapAssistant"}


# ---------------------------------------------------------------- the real service over the fixture index

REGISTRY_Q = "What is a model registry and how are its versions numbered?"
REGISTRY_LINK = "https://mlops.example.org/registry/#versions"


@pytest.fixture(scope="module")
def api(fixture_index):
    from api.app import create_app

    with serve(create_app(fixture_index)) as url:
        yield url


def asked_bodies(pg) -> list[dict]:
    """Collects the JSON bodies the page posts to /ask/stream."""
    bodies: list[dict] = []
    pg.on("request", lambda r: bodies.append(r.post_data_json) if r.url.endswith("/ask/stream") else None)
    return bodies


def wait_answers(pg, n: int):
    """Waits until the n-th finished answer (or error) is in the list; returns the last message."""
    pg.wait_for_function(f"() => document.querySelector('roadmap-assistant').shadowRoot"
                         f".querySelectorAll('.msg .actions, .msg.err').length >= {n}")
    return pg.locator(".msg.bot, .msg.err").last


def test_demo_page_lists_weeks_and_the_widget_answers_with_citations(page, api):
    """The demo page lists phases and weeks; the widget streams an answer whose [1] links to its source card,
    whose link is the cited page's deep link opening in a new tab (screenshots at desktop and phone width)."""
    page.goto(api + "/")
    page.get_by_role("heading", name="Phase 2: MLOps (week 3)").wait_for()
    assert page.locator("article.week h3").all_inner_texts() == ["Python Basics", "Containers", "Model Deployment"]
    assert "/widget.js" in page.locator("#snippet").inner_text()
    bodies = asked_bodies(page)
    page.get_by_label("I'm on week").select_option("2")
    open_widget(page)
    assert page.get_by_role("dialog", name="Roadmap Assistant").is_visible()
    assert page.get_by_role("combobox", name="Week to search").input_value() == "2"
    page.get_by_role("combobox", name="Week to search").select_option("")
    page.get_by_role("option", name="Week 3: Model Deployment").wait_for(state="attached")
    ask(page, REGISTRY_Q)
    answer = wait_answers(page, 1)
    assert "A model registry is a central store" in answer.locator(".text").inner_text()
    assert answer.locator(".scope").inner_text() == "Searched all weeks."
    assert [{k: b[k] for k in ("question", "week")} for b in bodies] == [{"question": REGISTRY_Q, "week": None}]
    card_link = answer.locator('.src[data-n="1"] a')
    assert card_link.get_attribute("href") == REGISTRY_LINK
    assert card_link.get_attribute("target") == "_blank"
    assert card_link.get_attribute("rel") == "noopener noreferrer"
    assert answer.locator('.src[data-n="1"] .badge').all_inner_texts() == ["Week 3"]
    cite = answer.locator(".cite").first
    assert cite.get_attribute("href") == "#cite-1"
    cite.click()
    assert page.evaluate("document.querySelector('roadmap-assistant').shadowRoot.activeElement.dataset.n") == "1"
    assert page.evaluate("location.hash") == ""
    page.get_by_role("textbox", name="Your question").focus()
    shot(page, "desktop.png")
    page.set_viewport_size({"width": 375, "height": 740})
    box = page.locator(".panel").bounding_box()
    assert box["width"] == 375 and box["height"] == 740
    shot(page, "phone.png")


def test_demo_page_and_widget_pass_axe(page, api):
    """axe-core finds nothing of moderate impact or worse on the demo page with the widget closed, then open, then
    with a cited answer and a not-grounded one (its flag and suggestion button) shown."""
    page.goto(api + "/")
    page.get_by_role("heading", name="Phase 2: MLOps (week 3)").wait_for()
    page.wait_for_function("window.RoadmapAssistant !== undefined")
    assert_accessible(page, "the demo page, widget closed")
    open_widget(page)
    page.get_by_role("option", name="Week 3: Model Deployment").wait_for(state="attached")
    assert_accessible(page, "the demo page, widget open")
    ask(page, REGISTRY_Q)
    wait_answers(page, 1).locator(".sources").wait_for()
    ask(page, "When was Docker Compose first released?")
    wait_answers(page, 2).locator(".flag").wait_for()
    assert_accessible(page, "the demo page, widget open with answers")


def test_week_selector_changes_the_request_and_the_scope(page, api):
    """Choosing a week sends it with the question and the answer says which scope was searched; a
    not-grounded answer is labelled, names no week when nothing is close ("the capital of France"), and when the
    topic is covered but the asked fact is not, its suggested week button switches the selector."""
    page.goto(api + "/")
    bodies = asked_bodies(page)
    open_widget(page)
    week = page.get_by_role("combobox", name="Week to search")
    page.get_by_role("option", name="Week 3: Model Deployment").wait_for(state="attached")
    week.select_option("3")
    ask(page, REGISTRY_Q)
    assert wait_answers(page, 1).locator(".scope").inner_text() == "Searched week 3."
    ask(page, "How do I start a container from an image?")
    widened = wait_answers(page, 2)
    assert widened.locator(".scope").inner_text() == "Nothing in week 3, so all weeks were searched."
    assert "covered in week 2" in widened.locator(".text").inner_text()
    week.select_option("")
    ask(page, "What is the capital of France?")
    missing = wait_answers(page, 3)
    assert missing.locator(".scope").inner_text() == "Searched all weeks."
    assert [b["week"] for b in bodies][:3] == [3, 3, None]
    assert "ungrounded" in (missing.get_attribute("class") or "")
    assert missing.locator(".flag").inner_text() == "Not in the sources"
    assert missing.locator(".src").count() == 0
    assert missing.get_by_role("button", name=re.compile(r"^Switch to week")).count() == 0  # nothing is close
    ask(page, "When was Docker Compose first released?")  # the topic is covered, the date is not
    gap = wait_answers(page, 4)
    assert "ungrounded" in (gap.get_attribute("class") or "")
    switch = gap.get_by_role("button", name=re.compile(r"^Switch to week \d+$"))
    suggested = switch.inner_text().rsplit(" ", 1)[1]
    switch.click()
    assert week.input_value() == suggested == "2"
    assert page.get_by_role("textbox", name="Your question").input_value() == "When was Docker Compose first released?"


def test_keyboard_only_flow(page, api):
    """Tab reaches the launcher, Enter opens with focus in the textarea, Shift+Enter adds a line, Enter sends,
    Esc closes and returns focus to the launcher."""
    page.goto(api + "/")
    page.wait_for_function("window.RoadmapAssistant !== undefined")
    focused = "() => { const r = document.querySelector('roadmap-assistant').shadowRoot.activeElement; " \
              "return document.activeElement.tagName === 'ROADMAP-ASSISTANT' && r ? (r.id || r.className) : null }"
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate(focused) == "launcher":
            break
    assert page.evaluate(focused) == "launcher"
    page.keyboard.press("Enter")
    assert page.evaluate(focused) == "ra-input"
    page.keyboard.type("What is a model registry?")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("How are its versions numbered?")
    assert page.get_by_role("textbox", name="Your question").input_value() == \
        "What is a model registry?\nHow are its versions numbered?"
    page.keyboard.press("Enter")
    wait_answers(page, 1).locator(".sources").wait_for()
    assert page.locator(".msg.user").inner_text() == "What is a model registry?\nHow are its versions numbered?"
    page.keyboard.press("Escape")
    assert page.get_by_role("dialog").is_hidden()
    assert page.evaluate(focused) == "launcher"
    assert page.get_by_role("button", name="Ask Roadmap Assistant").get_attribute("aria-expanded") == "false"


def test_cross_origin_embed_works_only_for_allowed_origins(browser, fixture_index):
    """A page on another origin can use the widget when that origin is in cors_origins; otherwise the
    browser refuses the request and the widget says it can't reach the assistant."""
    from api.app import create_app

    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    for allowed in ([origin], []):
        settings = fixture_index.model_copy(update={"cors_origins": allowed})
        with serve(create_app(settings)) as api_url, \
                serve(host_app(host_page(api_url + "/widget.js", api=api_url)), port=port) as host:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            pg = context.new_page()
            pg.goto(host + "/")
            open_widget(pg)
            ask(pg, REGISTRY_Q)
            last = wait_answers(pg, 1)
            if allowed:
                assert last.locator('.src[data-n="1"] a').get_attribute("href") == REGISTRY_LINK
                assert pg.get_by_role("option", name="Week 3: Model Deployment").count() == 1
            else:
                assert "Can't reach the assistant" in last.inner_text()
                assert pg.locator(".send").is_enabled()
            context.close()


# ---------------------------------------------------------------- a hostile page in a real index

HOSTILE = ('<html><head><title>Pods &lt;img src=x onerror="window.__xss=1"&gt;</title></head><body><main><article>'
           '<h1>Pods &lt;img src=x onerror="window.__xss=1"&gt;</h1>'
           '<h2 id="what">What &lt;img src=x onerror="window.__xss=1"&gt; is</h2>'
           '<p>A pod is the smallest deployable unit of computing that you can create and manage in Kubernetes. '
           'A pod holds one or more containers that share storage and network resources.</p>'
           '<p>Every pod gets its own IP address, and the containers in a pod talk to each other over localhost. '
           '&lt;script&gt;window.__xss=2&lt;/script&gt;</p></article></main></body></html>')


@pytest.fixture(scope="module")
def hostile_api(tmp_path_factory):
    """The real service over a real index of one page whose title and section hold markup."""
    from api.app import create_app
    from ingest.job import run_job
    from tests.conftest import make_settings
    from tests.sites import Site, roadmap
    from vectorstore.client import open_client
    from vectorstore.embeddings import make_embedder
    from vectorstore.store import IndexStore

    site = Site(pages={"/evil.example.org/pods/": HOSTILE})
    tmp = tmp_path_factory.mktemp("hostile")
    with serve(site.app()) as mirror:
        road = tmp / "roadmap.md"
        road.write_text(roadmap("https://evil.example.org", {1: [("Kubernetes Pods", "/pods/")]}))
        settings = make_settings(tmp / "data", road, mirror)
        store = IndexStore(open_client(settings.data_dir), settings.collection)
        result: list = []  # ingest in a worker thread: this thread's event loop belongs to Playwright
        worker = threading.Thread(
            target=lambda: result.append(asyncio.run(run_job(settings, store, make_embedder(settings)))))
        worker.start()
        worker.join(timeout=120)
        assert result and result[0].published
        with serve(create_app(settings)) as url:
            yield url


def test_markup_in_a_cited_page_shows_as_text(page, hostile_api):
    """A cited page whose title and section contain an <img onerror> tag shows it literally and runs nothing."""
    page.goto(hostile_api + "/")
    open_widget(page)
    ask(page, "What is a pod in Kubernetes?")
    answer = wait_answers(page, 1)
    card = answer.locator(".src").first
    card.wait_for()
    link = card.locator("a")
    assert link.get_attribute("href").startswith("https://evil.example.org/pods/")
    assert XSS in link.inner_text()
    assert XSS in card.inner_text().replace(link.inner_text(), "") or "What <img" in card.inner_text()
    assert answer.locator("img, script").count() == 0
    assert page.locator("article img").count() == 0
    assert page.evaluate("window.__xss") is None
