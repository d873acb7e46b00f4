"""The web chat in Chromium: a visitor on another site's page writes, staff answer, the visitor reads it — no reloads."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from payvand.core.messaging import chat

from .data import Account
from .helpers import LiveServer, save_screenshot, staff_login
from .test_accessibility import audit


@pytest.fixture
def site(tmp_path: Path, live_server: LiveServer) -> Iterator[str]:
    """A plain HTML page (another origin: `localhost`, not `127.0.0.1`) that embeds the widget with one tag."""
    script = f"{live_server.url}/chat/widget/{chat.widget_version()}/chat.js"
    (tmp_path / "index.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>'
        '<link rel="icon" href="data:,"></head>'
        f'<body><h1>A shop</h1><script src="{script}" data-payvand-chat="{live_server.url}" defer></script>'
        "</body></html>", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://localhost:{server.server_port}"
    settings = {"PAYVAND_CHAT_ENABLED": "1", "PAYVAND_CHAT_ORIGINS": origin}
    live_server.app.config.update(settings)
    live_server.app.extensions["payvand"].config.update(settings)  # what the channel reads
    try:
        yield origin
    finally:
        server.shutdown()
        server.server_close()


def test_visitor_and_staff_chat_without_reloading(page: Page, browser: Browser, live_server: LiveServer,
                                                  site: str, admin: Account) -> None:
    page.goto(f"{site}/index.html")
    page.locator("#pvc-open").click()
    expect(page.locator("#pvc-panel")).to_be_visible()
    assert page.locator(".pvc").get_attribute("dir") == "ltr"
    assert audit(page) == []
    page.locator("#pvc-name").fill("Sara Visitor")
    page.locator("#pvc-start").click()
    page.locator("#pvc-text").fill("Is the blue teapot in stock?")
    page.locator("#pvc-text").press("Enter")
    expect(page.locator("#pvc-log .pvc-visitor")).to_have_text("YouIs the blue teapot in stock?")

    staff_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    staff = staff_context.new_page()
    staff.set_default_timeout(10_000)
    try:
        staff_login(staff, live_server, admin.email, admin.password)
        staff.goto(live_server.at("/chat"))
        assert audit(staff) == []
        staff.get_by_role("link", name="Sara Visitor").click()
        expect(staff.locator("#chat-messages")).to_contain_text("Is the blue teapot in stock?")
        assert audit(staff) == []
        page.locator("#pvc-text").fill("And in green?")
        page.locator("#pvc-send").click()
        expect(staff.locator("#chat-messages")).to_contain_text("And in green?")  # htmx polling, no reload
        staff.locator("#chat-reply-text").fill("Yes, both colours ship today.")
        staff.locator("#chat-reply-send").click()
        expect(staff.locator("#chat-messages")).to_contain_text("Yes, both colours ship today.")
        expect(staff.locator("#chat-reply-text")).to_have_value("")
        staff.wait_for_timeout(3500)  # one more poll: nothing is appended twice
        expect(staff.locator("#chat-messages li")).to_have_count(3)
        expect(page.locator("#pvc-log .pvc-staff")).to_contain_text("Yes, both colours ship today.")
        save_screenshot(staff, "chat-conversation")
        save_screenshot(page, "chat-widget")
        assert page.url == f"{site}/index.html"
        assert audit(page) == []
    finally:
        staff_context.close()


def test_the_widget_is_persian_and_right_to_left_by_default(page: Page, live_server: LiveServer, site: str,
                                                              tmp_path: Path) -> None:
    html = (tmp_path / "index.html").read_text(encoding="utf-8").replace('lang="en"', 'lang="fa"')
    (tmp_path / "fa.html").write_text(html, encoding="utf-8")
    page.goto(f"{site}/fa.html")
    widget = page.locator(".pvc")
    assert widget.get_attribute("dir") == "rtl"
    page.keyboard.press("Tab")
    expect(page.locator("#pvc-open")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#pvc-name")).to_be_focused()
    assert page.locator("#pvc-log").get_attribute("aria-live") == "polite"
    page.keyboard.press("Escape")
    expect(page.locator("#pvc-panel")).to_be_hidden()
