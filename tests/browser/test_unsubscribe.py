"""Unsubscribing from marketing mail in Chromium: the link's page, its button, the consent withdrawn."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from payvand.core.messaging.email_channel import unsubscribe_token
from payvand.core.models import CustomerConsent

from .helpers import LiveServer


def test_the_unsubscribe_button_withdraws_marketing_consent(page: Page, live_server: LiveServer, make_customer: Any,
                                                            runtime: Any) -> None:
    customer = make_customer(emails=[{"value": "sara@example.com"}], preferred_language="fa",
                             consents=[{"channel": "email", "granted": True}])
    token = unsubscribe_token("test-secret-key", customer.id, "email", "marketing.newsletter")
    page.goto(live_server.at(f"/unsubscribe/{token}"))
    assert page.locator("html").get_attribute("lang") == "fa"
    page.locator("#unsubscribe-button").click()
    expect(page.locator("#unsubscribed")).to_be_visible()
    with runtime.sessionmaker() as session:
        latest = session.scalars(sa.select(CustomerConsent).where(CustomerConsent.customer_id == customer.id)
                                 .order_by(CustomerConsent.id.desc())).first()
        assert (latest.granted, latest.source, latest.channel) == (False, "unsubscribe", "email")
