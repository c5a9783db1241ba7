"""The widget's study companion in Debian's headless Chromium (Playwright's sync API), against the real service over
the study fixture index: "Quiz me" asks one question at a time, checks the learner's answer and shows the quoted
source one click away; "Brief me on week N" shows the briefing; the weeks marked done live in localStorage only.
Screenshots go to `test-output/widget/`.
"""
from __future__ import annotations

import re

import httpx
import pytest

from tests.browser import assert_accessible, chromium, needs_chromium
from tests.servers import serve
from tests.test_widget import open_widget, shot

pytestmark = needs_chromium

SEED = 500000000  # Math.floor(0.5 * 1e9): the seed the widget draws when Math.random() returns 0.5


@pytest.fixture(scope="module")
def browser(study_index):
    """One Chromium for the module, launched after the index is built (see tests/test_widget.py)."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def api(study_index):
    from api.app import create_app

    with serve(create_app(study_index)) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.add_init_script("Math.random = () => 0.5")
    yield pg
    context.close()


def choose_week(pg, n: int) -> None:
    pg.get_by_role("combobox", name="Week to search").select_option(str(n))


def blank_value(question: dict) -> str:
    """What a fill-in-the-blank question hides: its quoted sentence with the blank, laid over the answer."""
    quoted = re.search(r"“([^“]*)”$", question["question"])
    assert quoted, question["question"]
    sentence = quoted[1]
    before, after = sentence.split("____")
    return question["answer"][len(before):len(question["answer"]) - len(after)]


def right_answer(question: dict) -> str:
    return blank_value(question) if "____" in question["question"] else question["answer"]


def test_quiz_flow_one_question_at_a_time_checked_with_the_source_one_click_away(page, api):
    expected = httpx.get(f"{api}/weeks/2/quiz", params={"count": 5, "seed": SEED}, timeout=30).json()["questions"]
    page.goto(api + "/")
    open_widget(page)
    assert page.get_by_role("button", name="Quiz me").is_disabled()  # "All weeks" is selected
    choose_week(page, 2)
    assert page.get_by_role("button", name="Brief me on week 2").is_enabled()
    page.get_by_role("button", name="Quiz me on week 2").click()

    page.get_by_text("Question 1 of 5").wait_for()
    card = page.locator(".msg.quiz").last
    assert card.locator(".qtext").inner_text() == expected[0]["question"].replace("`", "")
    answer = page.get_by_role("textbox", name="Your answer")
    answer.fill("no idea, sorry")
    page.get_by_role("button", name="Check").click()
    card.locator(".verdict").wait_for()
    assert card.locator(".verdict").inner_text() == "Not quite"
    assert card.locator(".quote").inner_text() == expected[0]["answer"]
    source = card.locator(".muted a").last
    assert source.get_attribute("href") == expected[0]["citation"]["deep_link"]
    assert source.get_attribute("target") == "_blank"
    shot(page, "quiz-checked.png")
    assert_accessible(page, "the widget's quiz, an answer checked")

    page.get_by_role("button", name="Next question").click()
    page.get_by_text("Question 2 of 5").wait_for()
    assert page.get_by_text("Question 1 of 5").count() == 0  # one question at a time
    answer = page.get_by_role("textbox", name="Your answer")
    answer.fill(right_answer(expected[1]))
    answer.press("Enter")
    card.locator(".verdict").wait_for()
    assert card.locator(".verdict").inner_text() == "Correct"
    for n in (3, 4, 5):
        page.get_by_role("button", name="Next question").click()
        page.get_by_text(f"Question {n} of 5").wait_for()
        page.get_by_role("button", name="Show answer").click()
        assert card.locator(".quote").inner_text() == expected[n - 1]["answer"]
    page.get_by_role("button", name="See my score").click()
    assert card.locator("h3").inner_text() == "Week 2 quiz: 1 of 5 right"

    page.get_by_role("button", name="Mark week 2 done").click()
    assert f"roadmap-assistant:done:{api}" in page.evaluate("Object.keys(localStorage)")
    assert page.evaluate(f"localStorage.getItem('roadmap-assistant:done:{api}')") == "[2]"
    assert page.get_by_role("option", name="✓ Week 2: Kubernetes").count() == 1
    page.reload()  # kept in the browser: still marked after a reload
    open_widget(page)
    page.get_by_role("option", name="✓ Week 2: Kubernetes").wait_for(state="attached")
    assert page.get_by_role("option", name="Week 1: Containers").count() == 1


def test_briefing_card_and_builds_on_switches_the_week(page, api):
    page.goto(api + "/")
    open_widget(page)
    brief = page.get_by_role("button", name="Brief me")
    assert brief.is_disabled()  # "All weeks": nothing to brief on
    choose_week(page, 3)
    page.get_by_role("button", name="Brief me on week 3").click()
    card = page.locator(".msg.brief").last
    card.locator("h3").wait_for()
    assert card.locator("h3").inner_text() == "Week 3: Model Serving"
    links = card.locator("li a").evaluate_all(
        "els => els.map(a => [a.textContent.replace(' (opens in a new tab)', ''), a.getAttribute('href')])")
    assert ["KServe", "https://serving.example.org/kserve/"] in links
    assert any(href.startswith("https://serving.example.org/kserve/#") for _text, href in links)  # key sections
    assert card.locator(".cite").count() >= 1 and card.locator(".src").count() >= 1
    shot(page, "briefing.png")
    assert_accessible(page, "the widget's briefing")
    card.get_by_role("button", name="Week 2: Kubernetes").click()
    assert page.get_by_role("combobox", name="Week to search").input_value() == "2"
    assert page.get_by_role("button", name="Brief me on week 2").is_enabled()
    mark = card.get_by_role("button", name="Mark week 3 done")
    mark.click()
    assert card.get_by_role("button", name="✓ Week 3 done (undo)").get_attribute("aria-pressed") == "true"


def test_the_study_module_adds_no_global(page, api):
    page.goto(api + "/weeks")
    baseline = set(page.evaluate("Object.keys(window)"))
    page.goto(api + "/")
    open_widget(page)
    choose_week(page, 1)
    page.get_by_role("button", name="Brief me on week 1").click()
    page.locator(".msg.brief h3").wait_for()
    assert set(page.evaluate("Object.keys(window)")) - baseline == {"RoadmapAssistant"}
    assert page.evaluate("'_attach' in window.RoadmapAssistant") is False
