"""One-click unsubscribe (RFC 8058): a real POST from curl against the served app, the confirmation page."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.messaging.email_channel import unsubscribe_token
from payvand.core.models import CustomerConsent

SECRET = "test-secret-key"


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return []


def consents(runtime: Any, customer_id: int) -> list[tuple[bool, str | None]]:
    with runtime.sessionmaker() as session:
        return [(c.granted, c.source) for c in session.scalars(
            sa.select(CustomerConsent).where(CustomerConsent.customer_id == customer_id).order_by(CustomerConsent.id))]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_a_one_click_post_from_curl_withdraws_the_consent_once(runtime, make_customer, race):
    customer = make_customer(emails=[{"value": "sara@example.com"}], consents=[{"channel": "email", "granted": True}])
    url = f"{race.base_url}/unsubscribe/{unsubscribe_token(SECRET, customer.id, 'email', 'marketing')}"
    for _ in range(2):  # what a mail client sends (RFC 8058 section 3.2), twice: the second changes nothing
        done = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                               "-H", "Content-Type: application/x-www-form-urlencoded",
                               "--data", "List-Unsubscribe=One-Click", url],
                              capture_output=True, text=True, timeout=30)
        assert done.stdout == "200", done.stderr
    assert consents(runtime, customer.id) == [(True, "test"), (False, "unsubscribe")]
    forged = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                             "--data", "List-Unsubscribe=One-Click", url + "x"], capture_output=True, text=True, timeout=30)
    assert forged.stdout == "404"


def test_the_confirmation_page_speaks_the_customers_language(client, make_customer, runtime):
    persian = make_customer(emails=[{"value": "a@example.com"}], preferred_language="fa",
                            consents=[{"channel": "email", "granted": True}])
    english = make_customer(emails=[{"value": "b@example.com"}], preferred_language="en",
                            consents=[{"channel": "email", "granted": True}])
    page = client.get(f"/unsubscribe/{unsubscribe_token(SECRET, persian.id, 'email', 'marketing')}")
    assert page.status_code == 200 and page.headers["Content-Language"] == "fa"
    assert 'id="unsubscribe-button"' in page.text and consents(runtime, persian.id) == [(True, "test")]
    page = client.get(f"/unsubscribe/{unsubscribe_token(SECRET, english.id, 'email', 'marketing')}")
    assert page.headers["Content-Language"] == "en" and "Do you want to stop receiving" in page.text
    done = client.post(f"/unsubscribe/{unsubscribe_token(SECRET, english.id, 'email', 'marketing')}",
                       data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and 'id="unsubscribed"' in done.text
    assert consents(runtime, english.id)[-1] == (False, "unsubscribe")
