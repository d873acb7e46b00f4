"""Helpers for the browser tests: the live server's handle, logging in, saving screenshots."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page, Response

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
SCREENSHOTS_ENV = "PAYVAND_SCREENSHOTS"
SUBMIT = "button:not([type=button]):not([type=reset]), input[type=submit]"


@dataclass(frozen=True)
class LiveServer:
    """A Payvand app served over HTTP for the browser: `url` has no trailing slash."""

    url: str
    app: Any

    def at(self, path: str) -> str:
        """The absolute URL of `path` (which starts with `/`) on this server."""
        return self.url + path


def staff_login(page: Page, live_server: LiveServer, email: str, password: str, *,
                expect_success: bool = True) -> Response | None:
    """Log in through the `/login` form as a user would; return the response of the page reached.

    Fills `email` and `password` in the form that holds `input[name=email]`, clicks its submit
    button and waits for the navigation. With `expect_success` (the default) it raises
    `AssertionError` when the browser is still on `/login` afterwards (wrong password, CSRF
    refusal, rate limit); pass `expect_success=False` to check a refused login yourself.
    """
    page.goto(live_server.at("/login"))
    form = page.locator("form").filter(has=page.locator("input[name=email]"))
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation() as navigation:
        form.locator(SUBMIT).first.click()
    response = navigation.value
    if expect_success and urlsplit(page.url).path == "/login":
        status = response.status if response is not None else "no response"
        text = page.locator("body").inner_text()[:500]
        raise AssertionError(f"login as {email} stayed on /login ({status}): {text}")
    return response


def save_screenshot(page: Page, name: str) -> Path | None:
    """Save a full-page screenshot as `docs/screenshots/<name>.png` for the user guide.

    Writes only when the environment has `PAYVAND_SCREENSHOTS=1`, so ordinary and CI runs
    never change the checkout; otherwise it does nothing and returns None. Regenerate them
    with `PAYVAND_SCREENSHOTS=1 python -m pytest tests/browser`. `name` is lower-case letters,
    digits, `-`, `_` and `.` (e.g. `customers-list-fa`). Waits for web fonts (Vazirmatn) first
    and freezes animations and the caret so that reruns give the same pictures.
    """
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
        raise ValueError(f"screenshot name {name!r}: use lower-case letters, digits, '-', '_', '.'")
    if os.environ.get(SCREENSHOTS_ENV) != "1":
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
    return path


def horizontal_overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0 when it needs no sideways scrolling).

    Compares `document.documentElement.scrollWidth` with the window's layout width, which is
    what a user sees as a horizontal scroll bar, in either direction (an element far to the
    left of a right-to-left page widens it as much as one far to the right of a left-to-right one).
    """
    return int(page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"))
