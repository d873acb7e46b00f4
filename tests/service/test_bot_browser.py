# ruff: noqa: F811 - the browser fixtures are imported from tests/browser by name
"""Browser test of live help: on a shop's page the widget's visitor asks, the FAQ bot answers from
an article, the visitor asks for a person, an agent gets the chat in the live console and answers.

Uses the browser fixtures of `tests/browser` (system Chromium, live server, `page`) and the
embedded job runner (the bot answers after the commit, like in production); SQLite only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import _chromium, _playwright_loop, browser, live_server, page  # noqa: F401 (fixtures)
from tests.browser.data import Account, admin  # noqa: F401 (fixture)
from tests.browser.helpers import LiveServer, save_screenshot, staff_login
from tests.browser.test_accessibility import audit
from tests.browser.test_chat import site  # noqa: F401 (fixture)

from .bot_kit import article, team

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def worker(live_server: LiveServer) -> Iterator[Any]:
    """The app's job runner in its thread (delivers the chat's messages to the bot, sends its answers)."""
    runner = live_server.app.extensions["payvand"].job_runner
    runner.idle_seconds = 0.5
    runner.start_thread()
    try:
        yield runner
    finally:
        runner.stop()


def test_the_bot_answers_then_hands_the_chat_to_an_agent(page: Page, browser: Browser, live_server: LiveServer,
                                                          site: str, admin: Account, in_app: Any,
                                                          worker: Any) -> None:
    article(in_app, "How to reset your password",
            "Open Settings, choose Security and press Reset password.\n\nMore details follow.")
    team(in_app, "English", ["en"], {admin.id: True})
    page.goto(f"{site}/index.html")
    page.locator("#pvc-open").click()
    page.locator("#pvc-name").fill("Sara Visitor")
    page.locator("#pvc-start").click()
    page.locator("#pvc-text").fill("How can I reset my password?")
    page.locator("#pvc-text").press("Enter")
    expect(page.locator("#pvc-log .pvc-staff").first).to_contain_text("Open Settings, choose Security",
                                                                       timeout=20_000)
    expect(page.locator("#pvc-log .pvc-staff").first).to_contain_text("How to reset your password")
    page.locator("#pvc-text").fill("Thanks, but I would like to talk to a person")
    page.locator("#pvc-text").press("Enter")
    expect(page.locator("#pvc-log .pvc-staff").nth(1)).to_contain_text("You are now talking with Admin Karimi",
                                                                        timeout=20_000)

    staff_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    staff = staff_context.new_page()
    staff.set_default_timeout(10_000)
    try:
        staff_login(staff, live_server, admin.email, admin.password)
        staff.goto(live_server.at("/service/live"))
        assert audit(staff) == []
        staff.locator("#live-mine").get_by_role("link", name="Sara Visitor").click()
        expect(staff.locator("#chat-messages")).to_contain_text("How can I reset my password?")  # the transcript
        expect(staff.locator("#chat-messages")).to_contain_text("Open Settings, choose Security")
        assert audit(staff) == []
        page.locator("#pvc-text").fill("Are you there?")
        page.locator("#pvc-text").press("Enter")
        expect(staff.locator("#chat-messages")).to_contain_text("Are you there?")  # polling, no reload
        staff.locator("#live-reply-text").fill("Yes, I am here. Let me help you.")
        staff.locator("#live-reply-send").click()
        expect(page.locator("#pvc-log")).to_contain_text("Yes, I am here. Let me help you.", timeout=20_000)
        save_screenshot(staff, "service-live-chat")
        staff.goto(live_server.at("/service/reports/bot"))
        expect(staff.locator("#bot-rate")).to_have_text("0.0%")  # the one chat went to a person
        assert audit(staff) == []
        save_screenshot(staff, "service-bot-report")
        save_screenshot(page, "service-bot-widget")
    finally:
        staff_context.close()
