"""Kavenegar's own callbacks (unsigned by Kavenegar): authenticated by the secret token in the path,
read from the form (or query) fields Kavenegar sends, and the SMS webhooks' form bodies end to end."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.models.message import Message
from payvand.plugins.sms.signing import signed_headers
from payvand.plugins.sms.webhooks import token_matches
from payvand.sdk.messages import send_message
from tests.sms.conftest import API_KEY, SECRET
from tests.sms.servers import KavenegarDouble

TOKEN = "kv-callback-3f1b9c7e2a"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def payvand_config(kavenegar: KavenegarDouble) -> dict[str, Any]:
    """Kavenegar at the local double, with a callback token."""
    return {"PAYVAND_SMS_PROVIDER": "kavenegar", "PAYVAND_SMS_KAVENEGAR_API_KEY": API_KEY,
            "PAYVAND_SMS_KAVENEGAR_URL": kavenegar.url + "/v1", "PAYVAND_SMS_SENDER": "10004346",
            "PAYVAND_SMS_WEBHOOK_SECRET": SECRET, "PAYVAND_SMS_KAVENEGAR_CALLBACK_TOKEN": TOKEN,
            "PAYVAND_QUIET_HOURS": "off"}


def _message(runtime: Any, message_id: int) -> Message:
    with runtime.sessionmaker() as session:
        row = session.get(Message, message_id)
        session.expunge_all()
        return row


def _sent_sms(in_app: Any, make_customer: Any, run_jobs: Any, phone: str = "09121234567") -> int:
    customer = make_customer(phones=[{"value": phone}])
    with in_app():
        queued = send_message(customer.id, "sms", body="سفارش شما ارسال شد", purpose="service")
    run_jobs()
    return queued.id


@pytest.mark.parametrize(("status", "expected"), [(10, "delivered"), (11, "failed"), (6, "failed"), (14, "failed"),
                                                  (13, "failed"), (4, "sent"), (5, "sent"), (1, "sent"), (100, "sent")])
def test_a_kavenegar_delivery_callback_with_the_token_moves_the_message(
        client: Any, runtime: Any, in_app: Any, make_customer: Any, run_jobs: Any, kavenegar: KavenegarDouble,
        status: int, expected: str) -> None:
    message_id = _sent_sms(in_app, make_customer, run_jobs)
    provider_id = _message(runtime, message_id).provider_id
    answer = client.post(f"/webhooks/sms/kavenegar/{TOKEN}/receipt", data=f"messageid={provider_id}&status={status}",
                         content_type=FORM)
    assert answer.status_code == 200
    assert answer.json == {"accepted": 0 if expected == "sent" else 1}
    row = _message(runtime, message_id)
    assert row.status == expected
    if expected == "failed":
        assert f"Kavenegar status {status}" in (row.error or "")


def test_a_kavenegar_callback_by_get_query_is_read_too(
        client: Any, runtime: Any, in_app: Any, make_customer: Any, run_jobs: Any, kavenegar: KavenegarDouble) -> None:
    message_id = _sent_sms(in_app, make_customer, run_jobs)
    provider_id = _message(runtime, message_id).provider_id
    answer = client.get(f"/webhooks/sms/kavenegar/{TOKEN}/receipt?messageid={provider_id}&status=10")
    assert answer.status_code == 200 and _message(runtime, message_id).status == "delivered"


@pytest.mark.parametrize("token", ["wrong-token", TOKEN[:-1], TOKEN + "x", "x"])
def test_a_kavenegar_callback_with_a_wrong_token_is_404_and_changes_nothing(
        client: Any, runtime: Any, in_app: Any, make_customer: Any, run_jobs: Any, kavenegar: KavenegarDouble,
        token: str) -> None:
    message_id = _sent_sms(in_app, make_customer, run_jobs)
    provider_id = _message(runtime, message_id).provider_id
    for path in ("receipt", "inbound"):
        answer = client.post(f"/webhooks/sms/kavenegar/{token}/{path}",
                             data=f"messageid={provider_id}&status=10&from=09121234567&message=hi", content_type=FORM)
        assert answer.status_code == 404
    assert _message(runtime, message_id).status == "sent"


@pytest.mark.parametrize("payvand_config", [{"PAYVAND_SMS_PROVIDER": "kavenegar"}])
def test_without_a_callback_token_the_kavenegar_routes_are_404(client: Any) -> None:
    assert client.post("/webhooks/sms/kavenegar/x/receipt", data="messageid=1&status=10", content_type=FORM).status_code == 404
    assert client.post("/webhooks/sms/kavenegar/x/inbound", data="messageid=1&from=0912", content_type=FORM).status_code == 404


def test_the_token_is_compared_in_constant_time_and_never_matches_when_unset() -> None:
    assert token_matches("abc", "abc") and not token_matches("abc", "abd") and not token_matches("", "")
    assert not token_matches("abc", "ab")


def test_a_kavenegar_inbound_sms_is_recorded_once_for_the_customer(
        client: Any, runtime: Any, make_customer: Any) -> None:
    customer = make_customer(phones=[{"value": "09121234999"}])
    form = {"messageid": "448811", "from": "09121234999", "to": "10004346", "message": "سلام، سفارشم کی می‌رسد؟"}
    for _ in range(2):  # Kavenegar may call again: recorded once
        answer = client.post(f"/webhooks/sms/kavenegar/{TOKEN}/inbound", data=form)
        assert answer.status_code == 200
    with runtime.sessionmaker() as session:
        rows = session.scalars(sa.select(Message).where(Message.channel == "sms", Message.direction == "inbound")).all()
        assert [(r.customer_id, r.reference, r.body, r.address) for r in rows] == [
            (customer.id, "448811", "سلام، سفارشم کی می‌رسد؟", "+989121234999")]


def test_a_kavenegar_inbound_sms_without_a_sender_is_400(client: Any) -> None:
    answer = client.post(f"/webhooks/sms/kavenegar/{TOKEN}/inbound", data={"messageid": "1", "message": "x"})
    assert answer.status_code == 400 and answer.json["error"]["code"] == "bad_payload"


def test_a_signed_form_receipt_marks_a_message_delivered(
        client: Any, runtime: Any, in_app: Any, make_customer: Any, run_jobs: Any, kavenegar: KavenegarDouble) -> None:
    message_id = _sent_sms(in_app, make_customer, run_jobs)
    body = f"messageid={_message(runtime, message_id).provider_id}&status=10".encode()
    answer = client.post("/webhooks/sms/receipts", data=body, content_type=FORM,
                         headers=signed_headers(SECRET, "form_receipt_1", body))
    assert answer.status_code == 200 and _message(runtime, message_id).status == "delivered"


def test_a_signed_form_reply_and_a_json_reply_are_both_recorded(client: Any, runtime: Any, make_customer: Any) -> None:
    customer = make_customer(phones=[{"value": "09121230000"}])
    form = b"messageid=in-1&from=09121230000&to=10004346&message=%D8%B3%D9%84%D8%A7%D9%85"
    assert client.post("/webhooks/sms/inbound", data=form, content_type=FORM,
                       headers=signed_headers(SECRET, "form_in_1", form)).status_code == 200
    body = json.dumps({"id": "in-2", "from": "09121230000", "text": "hello"}).encode()
    assert client.post("/webhooks/sms/inbound", data=body, content_type="application/json",
                       headers=signed_headers(SECRET, "json_in_1", body)).status_code == 200
    with runtime.sessionmaker() as session:
        rows = session.execute(sa.select(Message.reference, Message.body, Message.customer_id).where(
            Message.direction == "inbound").order_by(Message.id)).all()
    assert [tuple(r) for r in rows] == [("in-1", "سلام", customer.id), ("in-2", "hello", customer.id)]


def test_a_form_body_with_a_nul_character_is_still_refused(client: Any) -> None:
    body = b"messageid=1&status=10&x=%00"
    answer = client.post("/webhooks/sms/receipts", data=body, content_type=FORM,
                         headers=signed_headers(SECRET, "nul_1", body))
    assert answer.status_code == 400


def test_a_kavenegar_callback_too_large_is_413_and_a_json_list_is_400(client: Any) -> None:
    big = client.post(f"/webhooks/sms/kavenegar/{TOKEN}/receipt", data={"messageid": "1", "status": "10", "pad": "x" * 300_000})
    assert big.status_code == 413
    listed = client.post(f"/webhooks/sms/kavenegar/{TOKEN}/receipt", json=[{"messageid": 1, "status": 10}] * 2)
    assert listed.status_code == 400 and listed.json["error"]["code"] == "bad_payload"
    single = client.post(f"/webhooks/sms/kavenegar/{TOKEN}/receipt", json={"messageid": 1, "status": 10})
    assert single.status_code == 200
