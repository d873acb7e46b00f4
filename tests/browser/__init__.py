"""Browser tests of the staff web UI: Playwright driving the system Chromium (docs/dev/browser-tests.md)."""
