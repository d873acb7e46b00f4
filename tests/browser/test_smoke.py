"""Smoke tests: Chromium loads Payvand's start page and its vendored assets from a live server."""

from __future__ import annotations

import re

from playwright.sync_api import Page, Response, expect

from .helpers import LiveServer

NAME = re.compile(r"Payvand|پیوند")


def test_start_page_renders_in_chromium_with_its_title_and_heading(page: Page, live_server: LiveServer) -> None:
    vendor_responses: list[Response] = []
    page.on("response", lambda r: vendor_responses.append(r) if "/static/vendor/" in r.url else None)

    response = page.goto(live_server.at("/"))

    assert response is not None and response.ok, response and response.status
    expect(page).to_have_title(NAME)
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
    expect(page.locator("html")).to_have_attribute("lang", re.compile(r"^(en|fa)"))
    assert [(r.url, r.status) for r in vendor_responses if r.status != 200] == []


def test_vendored_bootstrap_and_vazirmatn_load_in_chromium(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.at("/"))
    css = page.request.get(live_server.at("/static/vendor/bootstrap/css/bootstrap.min.css"))
    assert css.status == 200 and css.headers["content-type"].startswith("text/css")

    # As <link> elements: add_style_tag fails unless the browser loads the stylesheet.
    page.add_style_tag(url="/static/vendor/bootstrap/css/bootstrap.min.css")
    page.add_style_tag(url="/static/vendor/vazirmatn/Vazirmatn-font-face.css")

    blue = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--bs-blue').trim()")
    assert blue == "#0d6efd"
    # The font-face CSS points at the .woff2 files relative to itself: the font must load.
    loaded = page.evaluate(
        "async () => (await document.fonts.load('700 16px Vazirmatn', 'پیوند')).map(f => f.status)")
    assert loaded == ["loaded"]
