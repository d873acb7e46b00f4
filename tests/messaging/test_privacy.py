"""A customer's messages in the data export, and gone with the erase."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from payvand.core.models.message import Suppression
from payvand.sdk import Attachment, DeliveryReceipt, InboundMessage, receive_messages, record_receipts, send_message

TRACE = {"email": "parvaneh.z@erase-msg.example", "subject": "Subject-Kahrobaian", "body": "Body-Zaferanieh secret",
         "reply": "Reply-Golnarestan", "file": "Attachment-Sarvenaz bytes", "name": "Sender-Roudabeh",
         "message_id": "<inbound-Tirgan-77@erase-msg.example>"}


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return []


def _customer_with_messages(runtime, in_app, make_customer, mail_sink, run_jobs) -> int:
    customer = make_customer(emails=[{"value": TRACE["email"]}])
    with in_app() as session:
        [inbound] = receive_messages(session, [InboundMessage(
            "email", TRACE["message_id"], TRACE["email"], dt.datetime.now(dt.UTC), subject=TRACE["subject"],
            body=TRACE["body"], sender_name=TRACE["name"],
            attachments=(Attachment("a.txt", TRACE["file"].encode(), "text/plain"),))])
    with in_app():
        sent = send_message(customer.id, "email", subject="Re: " + TRACE["subject"], body=TRACE["reply"],
                            purpose="service", reply_to=inbound.message_id)
    run_jobs()
    with in_app() as session:
        record_receipts(session, [DeliveryReceipt("email", sent.reference, "bounced", dt.datetime.now(dt.UTC),
                                                  f"550 {TRACE['email']} unknown", permanent=True)])
    return customer.id


def test_the_export_has_the_customers_messages(runtime, in_app, make_customer, mail_sink, run_jobs, api):
    cid = _customer_with_messages(runtime, in_app, make_customer, mail_sink, run_jobs)
    exported = api.get(f"customers/{cid}/export").get_json()["messages"]
    assert [(m["direction"], m["status"]) for m in exported] == [("inbound", "received"), ("outbound", "bounced")]
    assert exported[0]["body"] == TRACE["body"] and exported[0]["attachments"][0]["filename"] == "a.txt"
    assert exported[1]["receipts"][0]["status"] == "bounced"


def test_erase_leaves_none_of_the_messages_strings(runtime, in_app, make_customer, mail_sink, run_jobs, api,
                                                    assert_nowhere_in_database, db_session):
    cid = _customer_with_messages(runtime, in_app, make_customer, mail_sink, run_jobs)
    assert db_session.query(Suppression).count() == 1
    assert api.post(f"customers/{cid}/erase").status_code == 200
    assert_nowhere_in_database(list(TRACE.values()))
