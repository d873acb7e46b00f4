"""Logging in to the staff UI in Chromium, through the `staff_login` helper."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from .helpers import LiveServer, save_screenshot, staff_login

PASSWORD = "correct horse battery staple"


def test_anonymous_visitor_is_sent_to_login_and_lands_on_the_start_page_after_it(
        page: Page, live_server: LiveServer, make_user: Any) -> None:
    make_user(email="rep@example.com", password=PASSWORD, superuser=True)
    page.goto(live_server.at("/"))
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))
    save_screenshot(page, "login")

    staff_login(page, live_server, "rep@example.com", PASSWORD)

    assert urlsplit(page.url).path == "/"
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) in {("fa", "rtl"), ("en", "ltr")}
    cookies = page.context.cookies()
    assert cookies, "no session cookie after login"
    assert [c["name"] for c in cookies if not c["httpOnly"] or c["sameSite"] not in ("Lax", "Strict")] == []


def test_wrong_password_keeps_the_browser_on_the_login_form_with_an_error(
        page: Page, live_server: LiveServer, make_user: Any) -> None:
    make_user(email="rep@example.com", password=PASSWORD)

    with pytest.raises(AssertionError, match="stayed on /login"):
        staff_login(page, live_server, "rep@example.com", "not the password")
    response = staff_login(page, live_server, "rep@example.com", "not the password", expect_success=False)

    assert response is not None and response.status == 200
    assert urlsplit(page.url).path == "/login"
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("input[name=password]")).to_have_value("")
    page.goto(live_server.at("/"))
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))
