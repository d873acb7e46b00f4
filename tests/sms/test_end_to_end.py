"""End to end through the app: send_message → dispatcher → Kavenegar (a local double) → a signed receipt → delivered.

The plugin is loaded through its entry point (`sms`); the channel reads its settings from the
app's configuration; the webhook routes are the plugin's, on the app.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.models import Interaction
from payvand.core.models.message import Message, Suppression
from payvand.plugins.sms.signing import signed_headers
from payvand.sdk.messages import send_message
from tests.sms.conftest import API_KEY, SECRET
from tests.sms.servers import GatewayDouble, KavenegarDouble

PHONE = "۰۹۱۲ ۱۲۳ ۴۵۶۷"


def _post_signed(client: Any, path: str, payload: Any, webhook_id: str) -> Any:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return client.post(path, data=body, content_type="application/json", headers=signed_headers(SECRET, webhook_id, body))


def _message(runtime: Any, message_id: int) -> Message:
    with runtime.sessionmaker() as session:
        row = session.get(Message, message_id)
        session.expunge_all()
        return row


def test_a_service_sms_is_sent_and_a_signed_receipt_marks_it_delivered(
        app: Any, client: Any, runtime: Any, in_app: Any, make_customer: Any, run_jobs: Any,
        kavenegar: KavenegarDouble) -> None:
    customer = make_customer(phones=[{"value": PHONE}])
    with in_app():
        queued = send_message(customer.id, "sms", body="سفارش شما ارسال شد. کد رهگیری: ۱۲۳۴", purpose="service")
    assert kavenegar.requests == []  # nothing leaves before the dispatcher runs
    run_jobs()

    [sent] = kavenegar.requests
    assert sent.method == "POST" and sent.path == f"/v1/{API_KEY}/sms/send.json"
    assert sent.form == {"receptor": "09121234567", "message": "سفارش شما ارسال شد. کد رهگیری: ۱۲۳۴",
                         "sender": "10004346", "localid": str(queued.id)}
    row = _message(runtime, queued.id)
    assert (row.status, row.provider_id, row.address) == ("sent", "8792343", "+989121234567")

    answer = _post_signed(client, "/webhooks/sms/receipts", {"messageid": 8792343, "status": 10}, "msg_receipt_1")
    assert answer.status_code == 200 and answer.json == {"accepted": 1}
    row = _message(runtime, queued.id)
    assert row.status == "delivered"
    with runtime.sessionmaker() as session:
        interaction = session.get(Interaction, row.interaction_id)
        assert (interaction.channel, interaction.direction, interaction.payload["status"]) == ("sms", "outbound", "delivered")


def test_a_permanent_failure_receipt_suppresses_the_number(
        client: Any, runtime: Any, in_app: Any, make_customer: Any, run_jobs: Any, kavenegar: KavenegarDouble) -> None:
    customer = make_customer(phones=[{"value": "09121234560"}])
    with in_app():
        queued = send_message(customer.id, "sms", body="hello", purpose="transactional")
    run_jobs()
    answer = _post_signed(client, "/webhooks/sms/receipts",
                          {"id": _message(runtime, queued.id).provider_id, "status": "failed", "reason": "invalid_number"},
                          "msg_receipt_2")
    assert answer.status_code == 200
    assert _message(runtime, queued.id).status == "failed"
    with runtime.sessionmaker() as session:
        assert session.scalars(sa.select(Suppression.address).where(Suppression.channel == "sms")).all() == ["+989121234560"]


def test_a_receipt_still_on_its_way_changes_nothing(
        client: Any, runtime: Any, in_app: Any, make_customer: Any, run_jobs: Any, kavenegar: KavenegarDouble) -> None:
    customer = make_customer(phones=[{"value": PHONE}])
    with in_app():
        queued = send_message(customer.id, "sms", body="hello", purpose="service")
    run_jobs()
    answer = _post_signed(client, "/webhooks/sms/receipts", {"messageid": 8792343, "status": 4}, "msg_receipt_3")
    assert answer.json == {"accepted": 0} and _message(runtime, queued.id).status == "sent"


def test_a_customers_reply_with_kavenegars_fields_is_received_on_their_timeline(
        client: Any, runtime: Any, make_customer: Any, kavenegar: KavenegarDouble) -> None:
    customer = make_customer(phones=[{"value": PHONE}])
    answer = _post_signed(client, "/webhooks/sms/inbound",
                          {"messageid": "99001", "from": "09121234567", "to": "10004346", "message": "ممنون، رسید"},
                          "msg_inbound_1")
    assert answer.status_code == 200 and answer.json == {"accepted": 1}
    again = _post_signed(client, "/webhooks/sms/inbound",
                         {"messageid": "99001", "from": "09121234567", "to": "10004346", "message": "ممنون، رسید"},
                         "msg_inbound_2")
    assert again.status_code == 200  # a provider's resend under a new webhook id: the core keeps one
    with runtime.sessionmaker() as session:
        rows = session.scalars(sa.select(Message).where(Message.direction == "inbound")).all()
        assert [(m.customer_id, m.channel, m.address, m.body) for m in rows] == [
            (customer.id, "sms", "+989121234567", "ممنون، رسید")]
        interaction = session.get(Interaction, rows[0].interaction_id)
        assert (interaction.direction, interaction.channel) == ("inbound", "sms")


def test_no_credit_keeps_the_messages_queued_and_they_go_once_each_when_it_is_back(
        runtime: Any, in_app: Any, make_customer: Any, run_jobs: Any, kavenegar: KavenegarDouble) -> None:
    import datetime as dt

    from payvand.core.messaging import dispatch
    from payvand.sdk.messages import MessageRequest, send_messages

    customers = [make_customer(phones=[{"value": f"0912123456{i}"}]) for i in range(3)]
    kavenegar.credit = 0
    with in_app():
        queued = send_messages([MessageRequest(c.id, "sms", "service", body="سلام") for c in customers])
    run_jobs()
    rows = [_message(runtime, q.id) for q in queued]
    assert [r.status for r in rows] == ["queued"] * 3 and all("418" in (r.error or "") for r in rows)
    assert len(kavenegar.send_requests()) == 1  # the batch stopped at the account's problem
    kavenegar.credit = 10
    later = max(r.next_attempt_at for r in rows if r.next_attempt_at) + dt.timedelta(seconds=1)
    dispatch.dispatch_due(runtime, later)
    assert [_message(runtime, q.id).status for q in queued] == ["sent"] * 3
    assert sorted(r.form["receptor"] for r in kavenegar.send_requests()[1:]) == [f"0912123456{i}" for i in range(3)]
    assert len(kavenegar.sent) == 3


@pytest.mark.parametrize("payvand_config", [{
    "PAYVAND_SMS_PROVIDER": "gateway", "PAYVAND_SMS_GATEWAY_URL": "{gateway}/send/{to_local}",
    "PAYVAND_SMS_GATEWAY_BODY": "text={text}&ref={reference}", "PAYVAND_SMS_GATEWAY_BODY_FORMAT": "form",
    "PAYVAND_SMS_GATEWAY_ID_PATH": "data.messages[0].id", "PAYVAND_SMS_WEBHOOK_SECRET": SECRET}], indirect=True)
def test_the_generic_gateway_end_to_end(client: Any, runtime: Any, in_app: Any, make_customer: Any, run_jobs: Any,
                                        gateway: GatewayDouble) -> None:
    customer = make_customer(phones=[{"value": "+98 912 123 4567"}])
    with in_app():
        queued = send_message(customer.id, "sms", body="Your code: 4411", purpose="transactional")
    run_jobs()
    [sent] = gateway.requests
    assert sent.path == "/send/09121234567" and sent.form == {"text": "Your code: 4411", "ref": queued.reference}
    assert _message(runtime, queued.id).provider_id == "gw-1"
    answer = _post_signed(client, "/webhooks/sms/receipts", {"id": "gw-1", "status": "delivered"}, "msg_gw_1")
    assert answer.json == {"accepted": 1} and _message(runtime, queued.id).status == "delivered"
