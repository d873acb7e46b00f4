"""Open and click tracking of email: a real send to the SMTP sink, the pixel and the link fetched
anonymously, the message's status and the timeline, forged tokens, the setting that turns it off."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.messaging.tracking import read_tracking_token, tracking_token
from payvand.core.models.message import Message, MessageReceipt
from payvand.sdk import send_message

SECRET = "test-secret-key"
HTML = ('<p>سلام، <a href="https://shop.example/sale?a=1&amp;b=2">حراج</a> و '
        '<a href="mailto:help@shop.example">help</a></p>')


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return []


@pytest.fixture
def tracked(runtime: Any, app: Any) -> Iterator[None]:
    """No quiet hours, a public base URL (the routes are served under it)."""
    runtime.config["PAYVAND_QUIET_HOURS"] = "off"
    runtime.config["PAYVAND_BASE_URL"] = "http://localhost"
    yield
    for key in ("PAYVAND_QUIET_HOURS", "PAYVAND_BASE_URL", "PAYVAND_MAIL_TRACKING"):
        runtime.config.pop(key, None)
        app.config.pop(key, None)


def _send(in_app: Any, customer_id: int, purpose: str = "marketing.newsletter") -> str:
    with in_app():
        return send_message(customer_id, "email", subject="Sale", body="", html=HTML, purpose=purpose).reference


def _message(runtime: Any) -> tuple[str, list[str]]:
    with runtime.sessionmaker() as session:
        row = session.scalars(sa.select(Message).order_by(Message.id.desc()).limit(1)).one()
        receipts = list(session.scalars(sa.select(MessageReceipt.status).where(MessageReceipt.message_id == row.id)
                                        .order_by(MessageReceipt.id)))
        return row.status, receipts


def _links(html: str) -> tuple[list[str], list[str]]:
    hrefs = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html)]
    pixels = [s.replace("&amp;", "&") for s in re.findall(r'<img src="([^"]+)"', html)]
    return hrefs, pixels


def test_a_marketing_mail_is_opened_then_clicked_and_the_timeline_shows_it(
        runtime, in_app, make_customer, mail_sink, run_jobs, tracked, client, web):
    customer = make_customer(emails=[{"value": "sara@example.com"}], consents=[{"channel": "email", "granted": True}])
    reference = _send(in_app, customer.id)
    run_jobs()
    [mail] = mail_sink.messages
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    hrefs, [pixel] = _links(html)
    click, mailto = hrefs
    assert click.startswith("http://localhost/mail/click/") and mailto == "mailto:help@shop.example"
    assert pixel.startswith("http://localhost/mail/open/")
    assert read_tracking_token(SECRET, click.rsplit("/", 1)[1]) == (reference, "https://shop.example/sale?a=1&b=2")
    assert "shop.example/sale" not in html and "/mail/" not in text  # the text part keeps what was written
    assert _message(runtime) == ("sent", [])

    opened = client.get(pixel.removeprefix("http://localhost"))
    assert opened.status_code == 200 and opened.headers["Content-Type"] == "image/gif"
    assert opened.data.startswith(b"GIF89a") and "no-store" in opened.headers["Cache-Control"]
    client.get(pixel.removeprefix("http://localhost"))  # a client reloading images adds nothing
    assert _message(runtime) == ("opened", ["opened"])

    followed = client.get(click.removeprefix("http://localhost"))
    assert followed.status_code == 302 and followed.headers["Location"] == "https://shop.example/sale?a=1&b=2"
    assert _message(runtime) == ("clicked", ["opened", "clicked"])
    client.get(pixel.removeprefix("http://localhost"))  # an open after the click never moves it back
    assert _message(runtime)[0] == "clicked"
    page = web.get(f"/customers/{customer.id}")
    assert 'data-status="clicked"' in page.text


def test_a_click_without_an_open_records_both(runtime, in_app, make_customer, mail_sink, run_jobs, tracked, client):
    customer = make_customer(emails=[{"value": "sara@example.com"}], consents=[{"channel": "email", "granted": True}])
    _send(in_app, customer.id)
    run_jobs()
    [click, _] = _links(mail_sink.messages[0].get_body(("html",)).get_content())[0]
    assert client.head(click.removeprefix("http://localhost")).status_code == 302  # a link checker's probe
    assert _message(runtime) == ("sent", [])
    assert client.get(click.removeprefix("http://localhost")).status_code == 302
    assert _message(runtime) == ("clicked", ["opened", "clicked"])


def test_forged_or_swapped_tokens_are_404_and_never_redirect(runtime, in_app, make_customer, mail_sink, run_jobs,
                                                            tracked, client):
    customer = make_customer(emails=[{"value": "sara@example.com"}], consents=[{"channel": "email", "granted": True}])
    reference = _send(in_app, customer.id)
    run_jobs()
    forged = tracking_token("another-secret", reference, "https://evil.example/")
    altered = tracking_token(SECRET, reference, "https://shop.example/")[:-2] + "xx"
    script = tracking_token(SECRET, reference, "javascript:alert(1)")
    open_token = tracking_token(SECRET, reference)
    for path in (f"/mail/click/{forged}", f"/mail/click/{altered}", f"/mail/click/{script}", "/mail/click/x",
                 f"/mail/click/{open_token}", f"/mail/open/{tracking_token(SECRET, reference, 'https://a.example/')}",
                 "/mail/open/nothing"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "Location" not in answer.headers
    assert _message(runtime) == ("sent", [])
    # a valid token of a message that does not exist answers the same as one that does
    ghost = client.get(f"/mail/click/{tracking_token(SECRET, '<nobody@x>', 'https://shop.example/')}")
    assert ghost.status_code == 302 and ghost.headers["Location"] == "https://shop.example/"
    assert client.post(f"/mail/open/{open_token}").status_code in (400, 405)  # CSRF answers first


def test_service_mail_is_not_tracked_unless_the_setting_says_all(runtime, app, in_app, make_customer, mail_sink,
                                                                 run_jobs, tracked):
    customer = make_customer(emails=[{"value": "sara@example.com"}])
    _send(in_app, customer.id, purpose="service")
    run_jobs()
    runtime.config["PAYVAND_MAIL_TRACKING"] = "all"  # read when the mail is built
    _send(in_app, customer.id, purpose="service")
    run_jobs()
    plain, tracked_mail = (m.get_body(("html",)).get_content() for m in mail_sink.messages)
    assert "/mail/" not in plain and "https://shop.example/sale" in plain
    assert "/mail/click/" in tracked_mail and "/mail/open/" in tracked_mail


def test_tracking_off_sends_the_links_as_written(runtime, in_app, make_customer, mail_sink, run_jobs, tracked):
    runtime.config["PAYVAND_MAIL_TRACKING"] = "off"
    customer = make_customer(emails=[{"value": "sara@example.com"}], consents=[{"channel": "email", "granted": True}])
    _send(in_app, customer.id)
    run_jobs()
    html = mail_sink.messages[0].get_body(("html",)).get_content()
    assert "/mail/" not in html and "<img" not in html and "https://shop.example/sale" in html


def test_the_routes_are_rate_limited_per_client(runtime, app, in_app, make_customer, mail_sink, run_jobs, tracked,
                                               client):
    app.config["PAYVAND_MAIL_TRACKING_RATE"] = "3 per minute"
    try:
        customer = make_customer(emails=[{"value": "sara@example.com"}],
                                 consents=[{"channel": "email", "granted": True}])
        reference = _send(in_app, customer.id)
        run_jobs()
        path = f"/mail/open/{tracking_token(SECRET, reference)}"
        codes = [client.get(path).status_code for _ in range(5)]
    finally:
        app.config.pop("PAYVAND_MAIL_TRACKING_RATE", None)
    assert codes == [200, 200, 200, 429, 429]
