"""The `/admin` insights page and the widget's session id, in Debian's headless Chromium against the real
service: questions asked in the widget are logged with one random id per browser and their rating; the page
asks for the admin token, then draws the per-week chart from `/admin/insights`, lists the gap clusters with
their questions as text, and signs out. Screenshots go to `test-output/admin/`."""
from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from tests.browser import assert_accessible, chromium, needs_chromium
from tests.logs import TOKEN, ask, insights, own_index, rows
from tests.servers import serve
from tests.test_widget import ask as ask_in_widget
from tests.test_widget import open_widget

SHOTS = Path(__file__).resolve().parents[1] / "test-output" / "admin"
XSS = '<img src=x onerror="window.__xss=1"> how do I embed html in a question?'
PARAPHRASES = ["How do I set up alerts in Grafana?", "configuring grafana alert rules and notifications"]

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def service(fixture_index, tmp_path_factory):
    """The real app on a private copy of the fixture index. Started before Playwright's loop exists."""
    settings = own_index(fixture_index, tmp_path_factory.mktemp("admin") / "data")
    with serve(create_app(settings)) as url:
        yield url, settings


@pytest.fixture(scope="module")
def browser(service):
    with chromium() as b:
        yield b


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


def answered(pg, n: int) -> None:
    """Wait until the widget shows n finished answers (each has its action buttons)."""
    pg.wait_for_function("n => document.querySelector('roadmap-assistant').shadowRoot"
                         ".querySelectorAll('.msg.bot .actions').length >= n", arg=n, timeout=60_000)


def test_widget_questions_are_logged_with_one_session_per_browser(service, context, browser):
    """Two questions, a thumbs-down, a reload and a third question in one browser: three `stream` rows with the
    same 32-hex session id, the rating on the first; another browser gets another id."""
    url, settings = service
    pg = context.new_page()
    pg.goto(url + "/")
    open_widget(pg)
    ask_in_widget(pg, "What is a model registry?")
    answered(pg, 1)
    pg.get_by_role("button", name="Not helpful").first.click()
    pg.get_by_text("Thanks").wait_for()
    ask_in_widget(pg, "How do I bake sourdough bread at home?")
    answered(pg, 2)
    pg.reload()
    open_widget(pg)
    ask_in_widget(pg, "What is a container image?")
    answered(pg, 3)
    other = browser.new_context()
    try:
        op = other.new_page()
        op.goto(url + "/")
        open_widget(op)
        ask_in_widget(op, "What does the finally clause do?")
        answered(op, 1)
    finally:
        other.close()
    insights(url)  # flushes the log
    log = [e for e in rows(settings) if e.channel == "stream"]
    mine = log[:3]
    assert [e.question for e in mine] == ["What is a model registry?", "How do I bake sourdough bread at home?",
                                          "What is a container image?"]
    assert len({e.session for e in mine}) == 1 and re.fullmatch(r"[0-9a-f]{32}", mine[0].session)
    assert [e.rating for e in mine] == ["down", None, None]
    assert log[3].question == "What does the finally clause do?" and log[3].session != mine[0].session


def test_admin_page_signs_in_draws_the_chart_and_lists_the_clusters(service, context):
    """/admin asks for the token (a wrong one is refused), then draws one bar pair per week from the JSON,
    lists every gap cluster with its questions as plain text, and signing out returns to the form; axe-core finds
    nothing of moderate impact or worse on the form or the page."""
    url, _settings = service
    for q in PARAPHRASES + [XSS]:
        ask(url, q)
    ask(url, "How do I import a module in Python?", week=1)
    data = insights(url)
    pg = context.new_page()
    first = pg.goto(url + "/admin")
    assert first.status == 401
    assert_accessible(pg, "the /admin sign-in form")
    pg.fill("#token", "wrong")
    pg.click("button[type=submit]")
    pg.get_by_text("That is not the admin token.").wait_for()
    pg.fill("#token", TOKEN)
    pg.click("button[type=submit]")
    pg.wait_for_selector("body[data-state=ready]", timeout=60_000)

    weeks = pg.locator("#week-chart g.week")
    assert weeks.count() == len(data["weeks"])
    bars = pg.locator("#week-chart rect.bar-q").evaluate_all(
        "els => els.map(e => [Number(e.dataset.value), e.getBoundingClientRect().height])")
    assert [v for v, _h in bars] == [w["questions"] for w in data["weeks"]]
    tallest = max(bars)
    assert tallest[1] > 0 and all(h <= tallest[1] + 0.5 for _v, h in bars)
    abstained = pg.locator("#week-chart rect.bar-a").evaluate_all("els => els.map(e => Number(e.dataset.value))")
    assert abstained == [w["abstained"] for w in data["weeks"]]

    gaps = pg.locator(".gap")
    assert gaps.count() == len(data["gaps"]) >= 2
    grafana = gaps.filter(has_text=PARAPHRASES[0])
    assert grafana.count() == 1 and PARAPHRASES[1] in grafana.inner_text()
    assert XSS in pg.locator("#gaps").inner_text()
    assert pg.evaluate("window.__xss") is None and pg.locator("#gaps img").count() == 0
    assert pg.locator("#cited tbody tr").count() == len(data["cited_pages"])
    assert pg.locator("#never tbody tr").count() == len(data["never_cited"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / "admin.png"), full_page=True)
    assert_accessible(pg, "the /admin insights page")

    pg.get_by_role("button", name="Sign out").click()
    pg.locator("#token").wait_for()
    assert httpx.get(url + "/admin").status_code == 401
