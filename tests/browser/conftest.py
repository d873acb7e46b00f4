"""Fixtures of the browser tests: Playwright's sync API driving the system Chromium.

- `browser` (session): one Chromium per pytest(-xdist) worker, started from
  `/usr/bin/chromium` (Debian's package; `PAYVAND_CHROMIUM` names another executable).
  Playwright's own browser download is not used. When the executable is missing the tests
  are skipped, or fail when `CI=true`.
- `live_server`: the test's `app` served on 127.0.0.1 at a free port by a threaded werkzeug
  server in a background thread; `.url` (no trailing slash), `.at(path)` and `.app`.
- `page`: a new browser context (1280x900, en-US, Asia/Tehran) and its page, 10 s default
  timeout. When the test fails, a full-page screenshot is saved in the test's `tmp_path` and
  its path is printed, with the page's JavaScript errors.

Helpers (`staff_login`, `save_screenshot`) are in `helpers.py`. Every test in this folder is
marked `sqlite_only` by `pytest_collection_modifyitems` below: the browser checks pages,
the server-side tests check both databases. See docs/dev/browser-tests.md.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

from .data import admin, csv_with_a_bad_row, load_sample_data, signed_in, toy_plugin  # noqa: F401 (shared fixtures)
from .helpers import LiveServer

HERE = Path(__file__).resolve().parent
CHROMIUM_ENV = "PAYVAND_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 900}
DEFAULT_TIMEOUT_MS = 10_000
_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test of this folder `sqlite_only` (the hook sees the whole session's items)."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.sqlite_only)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep the report of the test's call phase, so that `page` knows whether it failed."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


class _Chromium:
    """Playwright and one Chromium, with Playwright's asyncio loop hidden between tests.

    The sync API leaves its event loop marked as the thread's running loop after every call;
    other tests in the same worker would then fail in `asyncio.run()`. `resume()` and
    `park()` set and clear that mark around each browser test.
    """

    def __init__(self, executable: str) -> None:
        self.playwright: Playwright = sync_playwright().start()
        try:
            self.browser: Browser = self.playwright.chromium.launch(
                executable_path=executable, args=CHROMIUM_ARGS)
        except BaseException:
            self.playwright.stop()
            raise
        self.loop = asyncio._get_running_loop()
        self.park()

    def resume(self) -> None:
        """Mark Playwright's loop as running again before the sync API is used."""
        asyncio._set_running_loop(self.loop)

    def park(self) -> None:
        """Clear the running-loop mark, for the tests that do not use the browser."""
        asyncio._set_running_loop(None)

    def close(self) -> None:
        """Close Chromium and stop Playwright's driver."""
        self.resume()
        try:
            self.browser.close()
        finally:
            self.playwright.stop()


def _chromium_executable() -> str:
    executable = os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM
    if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
        reason = (f"no Chromium at {executable}: install Debian's package (apt-get install chromium)"
                  f" or set {CHROMIUM_ENV}")
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return executable


@pytest.fixture(scope="session")
def _chromium() -> Iterator[_Chromium]:
    """Playwright and Chromium, started once per worker and closed at the end of the session."""
    chromium = _Chromium(_chromium_executable())
    yield chromium
    chromium.close()


@pytest.fixture(autouse=True)
def _playwright_loop(_chromium: _Chromium) -> Iterator[None]:
    """Let this test use the sync API; hide Playwright's loop again afterwards."""
    _chromium.resume()
    yield
    _chromium.park()


@pytest.fixture(scope="session")
def browser(_chromium: _Chromium) -> Browser:
    """The worker's Chromium (headless, launched from the system executable)."""
    return _chromium.browser


@pytest.fixture
def live_server(app: Any) -> Iterator[LiveServer]:
    """The test's `app` served on 127.0.0.1 at a free port by a threaded werkzeug server."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="payvand-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Page]:
    """A page in a fresh context; on failure a screenshot lands in `tmp_path` (path printed)."""
    if "live_server" in request.fixturenames:
        # Start the server first whatever the argument order, so that it stops (and the app's
        # engine is disposed) only after this context has closed its connections.
        request.getfixturevalue("live_server")
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="Asia/Tehran")
    new_page = context.new_page()
    new_page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    errors: list[str] = []
    new_page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    new_page.on("console", lambda msg: errors.append(f"console error: {msg.text}")
                if msg.type == "error" else None)
    try:
        yield new_page
        report = request.node.stash.get(_CALL_REPORT, None)
        if report is not None and report.failed:
            _report_failure(new_page, tmp_path / "failure.png", errors)
    finally:
        context.close()


def _report_failure(page: Page, path: Path, errors: list[str]) -> None:
    print(f"browser at {page.url}")
    try:
        page.screenshot(path=path, full_page=True)
        print(f"screenshot of the failure: {path}")
    except PlaywrightError as exc:
        print(f"no screenshot of the failure: {exc}")
    for line in errors:
        print(line)
