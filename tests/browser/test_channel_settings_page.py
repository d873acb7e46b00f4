"""The Channels page's settings forms in Chromium: every control labelled (English and Persian),
a secret typed, saved through the real form (CSRF), then shown only as "set"."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from payvand.core.models import Setting

from .data import Account
from .helpers import LiveServer, staff_login
from .test_accessibility import audit, switch_language

SECRET = "smtp-Pa55-word-4412"


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_the_settings_forms_are_labelled_and_a_secret_is_saved_write_only(
        page: Page, live_server: LiveServer, admin: Account, runtime: Any, locale: str) -> None:
    staff_login(page, live_server, admin.email, admin.password)
    switch_language(page, locale)
    page.goto(live_server.at("/admin/channels"))
    for summary in page.locator("details > summary").all():
        summary.click()  # open every settings form, so the audit sees its controls
    assert audit(page) == []

    page.locator("#ch-email-smtp_url").fill(f"smtp://mailer:{SECRET}@127.0.0.1:2525")
    page.locator("#ch-email-mail_from").fill("Shop <shop@example.com>")
    with page.expect_navigation():
        page.locator("#channel-email-settings button[type=submit]").click()
    expect(page.locator("#channel-email [data-secret-state]").first).to_have_attribute("data-secret-state", "set")
    assert SECRET not in page.content()
    with runtime.sessionmaker() as session:
        stored = dict(session.execute(sa.select(Setting.key, Setting.value).where(Setting.key.like("channel.email.%"))).all())
    assert stored["channel.email.smtp_url"] == f"smtp://mailer:{SECRET}@127.0.0.1:2525"
    assert stored["channel.email.mail_from"] == "Shop <shop@example.com>"
