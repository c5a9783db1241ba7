"""The widget in a conversation, in Chromium against the real service over the fixture index: a follow-up is
sent with the last turns as `history` and streamed, the searched query is shown when it differs from what the
learner typed, "New chat" forgets the turns, and a citation of the roadmap's own text opens the roadmap page
at its week."""
from __future__ import annotations

from tests.browser import assert_accessible, needs_chromium
from tests.test_widget import api, ask, asked_bodies, browser, open_widget, page, wait_answers  # noqa: F401

pytestmark = needs_chromium

ENDPOINTS = "https://aws.example.org/sagemaker/endpoints.html"


def test_a_follow_up_is_sent_with_history_and_new_chat_forgets_it(page, api):  # noqa: F811
    page.goto(api + "/")
    bodies = asked_bodies(page)
    open_widget(page)
    page.get_by_role("combobox", name="Week to search").select_option("")
    ask(page, "What is a SageMaker endpoint?")
    first = wait_answers(page, 1)
    first_text = first.locator(".text").inner_text()
    assert first.locator(".query").count() == 0
    ask(page, "How do I start one?")
    second = wait_answers(page, 2)
    assert bodies[0] == {"question": "What is a SageMaker endpoint?", "week": None, "session": bodies[0]["session"]}
    assert bodies[1]["session"] == bodies[0]["session"]  # the browser's one random id
    assert bodies[1]["question"] == "How do I start one?"
    assert bodies[1]["history"] == [{"role": "user", "content": "What is a SageMaker endpoint?"},
                                    {"role": "assistant", "content": first_text}]
    assert second.locator(".query").inner_text() == "Searched for: How do I start one? (SageMaker endpoint)"
    assert second.locator('.src[data-n="1"] a').get_attribute("href").startswith(ENDPOINTS)
    page.get_by_role("button", name="New chat").click()
    ask(page, "How do I start one?")
    fresh = wait_answers(page, 1)
    assert "history" not in bodies[2] and fresh.locator(".query").count() == 0
    assert len(bodies) == 3  # every question, follow-ups included, went to the streaming endpoint


def test_a_roadmap_citation_opens_the_roadmap_at_its_week(page, api):  # noqa: F811
    page.goto(api + "/")
    open_widget(page)
    page.get_by_role("combobox", name="Week to search").select_option("")
    ask(page, "What is the weekend project of week 2?")
    answer = wait_answers(page, 1)
    link = answer.locator('.src[data-n="1"] a')
    assert link.get_attribute("href") == f"{api}/roadmap#week-2"
    with page.context.expect_page() as opened:
        link.click()
    roadmap = opened.value
    roadmap.wait_for_load_state()
    assert roadmap.url == f"{api}/roadmap#week-2"
    assert roadmap.evaluate("document.querySelector(':target').id") == "week-2"
    assert roadmap.locator("#week-2").inner_text() == "Week 2: Containers"
    assert roadmap.locator("#week-2").is_visible()
    assert_accessible(roadmap, "the /roadmap page")
