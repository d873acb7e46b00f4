"""Screenshots of the main pages for the user guide, in English and Persian, on a small dataset.

`PAYVAND_SCREENSHOTS=1 python -m pytest tests/browser/test_screenshots.py -p no:xdist` writes
`docs/screenshots/<page>-<en|fa>.png`; without the variable the test still opens every page
and checks that it renders (status, language, direction, heading, no JavaScript error).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from .data import DATABASE_DECIDES, TOY_PLUGIN, Account
from .helpers import LiveServer, save_screenshot, staff_login


@pytest.fixture
def payvand_config(toy_plugin: str) -> dict[str, Any]:
    """An installed plugin (so that the plugins page shows one); the database decides."""
    return dict(DATABASE_DECIDES)


def check_page(page: Page, locale: str, errors: list[str]) -> None:
    """The page is in `locale` with its direction, has one visible h1 and raised no JS error."""
    html = page.locator("html")
    expect(html).to_have_attribute("lang", locale)
    expect(html).to_have_attribute("dir", "rtl" if locale == "fa" else "ltr")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_be_visible()
    assert errors == [], f"{page.url}: {errors}"


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_main_pages_render_in_both_languages_for_the_screenshots(
        page: Page, live_server: LiveServer, admin: Account, locale: str, csv_with_a_bad_row: Path,
        load_sample_data: Callable[[], dict[str, int]]) -> None:
    ids = load_sample_data()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(live_server.at("/login"))
    if locale != "en":
        with page.expect_navigation():
            page.locator(f"button[name=locale][value={locale}]").click()
    check_page(page, locale, errors)
    save_screenshot(page, f"login-{locale}")

    staff_login(page, live_server, admin.email, admin.password)
    if page.locator("html").get_attribute("lang") != locale:
        with page.expect_navigation():
            page.locator(f"button[name=locale][value={locale}]").click()
    check_page(page, locale, errors)
    expect(page.locator("main")).to_contain_text("Asked about the new price list")  # recent interactions
    save_screenshot(page, f"start-{locale}")

    shots = [
        ("/customers", "customers", "#customer-list tbody tr"),
        (f"/customers/{ids['customer']}", "customer-360", "#timeline-items article.timeline-item"),
        (f"/duplicates/compare?target={ids['customer']}&source={ids['duplicate']}", "duplicates-compare",
         "#merge-preview"),
        ("/admin/plugins", "plugins", f"#plugin-{TOY_PLUGIN}"),
        ("/admin/users", "users", "main table tbody tr"),
        ("/admin/settings", "settings", "main form"),
    ]
    for path, name, content in shots:
        response = page.goto(live_server.at(path))
        assert response is not None and response.status == 200, (path, response and response.status)
        expect(page.locator(content).first).to_be_visible()
        check_page(page, locale, errors)
        save_screenshot(page, f"{name}-{locale}")
        if name == "customers":
            assert page.locator("#customer-list tbody tr").count() >= 25

    page.goto(live_server.at("/import"))
    page.locator("#f-file").set_input_files(csv_with_a_bad_row)
    with page.expect_navigation():
        page.locator("#import-upload-submit").click()
    assert urlsplit(page.url).path.startswith("/import/")
    expect(page.locator('#import-preview tr[data-error="1"]')).to_have_count(1)
    check_page(page, locale, errors)
    save_screenshot(page, f"import-mapping-{locale}")
