"""Messages in the staff UI (timeline badge, the message page, attachments, Channels) and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from payvand.core import permissions as perm
from payvand.sdk import Attachment, InboundMessage, receive_messages

HTML = '<p>Hello <b>there</b></p><img src="https://tracker.example/p.gif">'
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return []


def _inbound(in_app: Any, customer_id: int) -> int:
    with in_app() as session:
        [received] = receive_messages(session, [InboundMessage(
            "email", "<m@x>", "sara@example.com", dt.datetime.now(dt.UTC), subject="Invoice question",
            body="Hello there", html=HTML,
            attachments=(Attachment("page.html", b"<script>alert(1)</script>", "text/html"),))])
    assert received.customer_id == customer_id
    return received.message_id


def test_the_timeline_shows_the_status_and_opens_the_message_in_a_sandboxed_frame(web, in_app, make_customer):
    customer = make_customer(emails=[{"value": "sara@example.com"}])
    message_id = _inbound(in_app, customer.id)
    page = web.get(f"/customers/{customer.id}")
    assert 'data-status="received"' in page.text
    link = f"/customers/{customer.id}/messages/{message_id}"
    assert link in page.text
    shown = web.get(link)
    assert shown.status_code == 200 and 'sandbox=""' in shown.text and "srcdoc=" in shown.text
    assert "<script" not in shown.text.split("srcdoc=", 1)[1].split(">", 1)[0]
    [attachment_link] = [part.split('"')[0] for part in shown.text.split('href="')[1:] if "/attachments/" in part]
    served = web.get(attachment_link)
    assert served.status_code == 200 and served.headers["Content-Type"] == "application/octet-stream"
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]


def test_the_message_page_needs_the_permission_and_the_customer(web_as, in_app, make_customer):
    customer = make_customer(emails=[{"value": "sara@example.com"}])
    other = make_customer()
    message_id = _inbound(in_app, customer.id)
    assert web_as([perm.CUSTOMER_VIEW]).get(f"/customers/{customer.id}/messages/{message_id}").status_code == 403
    reader = web_as([perm.CUSTOMER_VIEW, perm.MESSAGES_READ])
    assert reader.get(f"/customers/{customer.id}/messages/{message_id}").status_code == 200
    assert reader.get(f"/customers/{other.id}/messages/{message_id}").status_code == 404


def test_the_channels_page_shows_each_channel_and_sends_a_test(web, web_as, mail_sink):
    page = web.get("/admin/channels")
    assert page.status_code == 200 and 'id="channel-email"' in page.text and 'data-state="enabled"' in page.text
    assert "127.0.0.1" not in page.text  # settings are not shown
    done = web.post("/admin/channels/email/test", {"address": "ops@example.com"})
    assert done.status_code == 302
    [mail] = mail_sink.messages
    assert mail["To"] == "ops@example.com"
    assert web_as([perm.CUSTOMER_VIEW]).get("/admin/channels").status_code == 403


def test_the_api_sends_lists_and_refuses_with_a_code(api, make_customer, mail_sink, run_jobs):
    customer = make_customer(emails=[{"value": "sara@example.com"}])
    body = {"customer_id": customer.id, "channel": "email", "purpose": "service", "subject": "Hi", "body": "Hello",
            "source_type": "sales.order", "source_id": "17"}
    first = api.post("messages", json=body, headers={"Idempotency-Key": "msg-1"})
    again = api.post("messages", json=body, headers={"Idempotency-Key": "msg-1"})
    assert first.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    refused = api.post("messages", json={**body, "purpose": "marketing"})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "no_consent"
    run_jobs()
    assert len(mail_sink.messages) == 1
    listed = api.get(f"customers/{customer.id}/messages").get_json()
    assert [(m["status"], m["purpose"]) for m in listed["items"]] == [("refused", "marketing"), ("sent", "service")]
    assert listed["items"][1]["source_type"] == "sales.order"
    assert api.get(f"customers/{customer.id}/messages?status=sent").get_json()["items"][0]["id"] == first.get_json()["id"]


def test_parallel_sends_with_one_key_queue_and_send_one_message(api, race, make_customer, mail_sink, run_jobs):
    from payvand.sdk.testing import assert_idempotent

    customer = make_customer(emails=[{"value": "race@example.com"}])
    body = {"customer_id": customer.id, "channel": "email", "purpose": "service", "subject": "Once", "body": "Only once"}
    assert_idempotent(api, "messages", body, race=race)
    results = race(8, "POST", "messages", client=api, json={**body, "subject": "Raced"},
                   headers={"Idempotency-Key": "raced-send"})
    sent = [r for r in results if r.status == 201]
    assert sent and all(r.status == 409 for r in results if r.status != 201), results
    assert {r.body for r in sent} == {sent[0].body}
    run_jobs()
    assert [m["Subject"] for m in mail_sink.messages].count("Raced") == 1
