"""The signed webhook routes refuse what is not signed right, always with a 4xx in the error format."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from payvand.plugins.sms.signing import signed_headers
from tests.sms.conftest import SECRET

RECEIPT = json.dumps({"messageid": 123, "status": 10}).encode()
PATHS = ["/webhooks/sms/receipts", "/webhooks/sms/inbound"]


def _post(client: Any, path: str, body: bytes, headers: dict[str, str], content_type: str = "application/json") -> Any:
    return client.post(path, data=body, content_type=content_type, headers=headers)


@pytest.mark.parametrize("path", PATHS)
def test_an_unsigned_request_is_401(client: Any, path: str) -> None:
    answer = _post(client, path, RECEIPT, {})
    assert answer.status_code == 401 and answer.json["error"]["code"] == "bad_signature"
    assert "unsigned" in answer.json["error"]["message"]


def test_a_request_signed_with_another_secret_is_401(client: Any) -> None:
    answer = _post(client, PATHS[0], RECEIPT, signed_headers("whsec_b3RoZXItc2VjcmV0", "m1", RECEIPT))
    assert answer.status_code == 401 and "does not match" in answer.json["error"]["message"]


def test_a_changed_body_is_401(client: Any) -> None:
    headers = signed_headers(SECRET, "m1", RECEIPT)
    assert _post(client, PATHS[0], RECEIPT.replace(b"10", b"11"), headers).status_code == 401


def test_an_expired_request_is_401(client: Any) -> None:
    headers = signed_headers(SECRET, "m1", RECEIPT, timestamp=int(time.time()) - 600)
    answer = _post(client, PATHS[0], RECEIPT, headers)
    assert answer.status_code == 401 and "five minutes" in answer.json["error"]["message"]


def test_a_replayed_request_is_409_and_a_new_id_goes_through(client: Any) -> None:
    headers = signed_headers(SECRET, "msg_replay", RECEIPT)
    assert _post(client, PATHS[0], RECEIPT, headers).status_code == 200
    replay = _post(client, PATHS[0], RECEIPT, headers)
    assert replay.status_code == 409 and replay.json["error"]["code"] == "replayed"
    assert _post(client, PATHS[0], RECEIPT, signed_headers(SECRET, "msg_other", RECEIPT)).status_code == 200


def test_a_request_whose_work_was_refused_can_be_sent_again(client: Any) -> None:
    bad = json.dumps({"status": 10}).encode()  # no message id: 400, and the webhook id is not taken
    headers = signed_headers(SECRET, "msg_retry", bad)
    assert _post(client, PATHS[0], bad, headers).status_code == 400
    good = RECEIPT
    assert _post(client, PATHS[0], good, signed_headers(SECRET, "msg_retry", good)).status_code == 200


@pytest.mark.parametrize(("body", "message"), [
    (b"not json", "not valid JSON"), (b"[]", "object or a list"), (b"[1, 2]", "object or a list"),
    (json.dumps({"messageid": 1}).encode(), "needs a status"),
    (json.dumps({"messageid": 1, "status": "failed", "occurred_at": "yesterday"}).encode(), "not a time"),
])
def test_a_signed_but_unreadable_body_is_400(client: Any, body: bytes, message: str) -> None:
    answer = _post(client, PATHS[0], body, signed_headers(SECRET, "m-" + message, body))
    assert answer.status_code == 400 and message in answer.json["error"]["message"]


def test_an_inbound_message_without_sender_is_400(client: Any) -> None:
    body = json.dumps({"id": "1", "text": "hi"}).encode()
    assert _post(client, PATHS[1], body, signed_headers(SECRET, "m2", body)).status_code == 400


def test_a_signed_form_body_is_read_like_json(client: Any) -> None:
    body = b"messageid=1&status=10"
    answer = _post(client, PATHS[0], body, signed_headers(SECRET, "m3", body), "application/x-www-form-urlencoded")
    assert answer.status_code == 200 and answer.json == {"accepted": 1}


def test_a_form_body_changed_after_signing_is_401(client: Any) -> None:
    headers = signed_headers(SECRET, "m3b", b"messageid=1&status=10")
    answer = _post(client, PATHS[0], b"messageid=1&status=11", headers, "application/x-www-form-urlencoded")
    assert answer.status_code == 401


def test_a_form_body_without_a_message_id_is_400(client: Any) -> None:
    body = b"status=10"
    answer = _post(client, PATHS[0], body, signed_headers(SECRET, "m3c", body), "application/x-www-form-urlencoded")
    assert answer.status_code == 400 and answer.json["error"]["code"] == "bad_payload"


def test_a_body_neither_json_nor_form_is_415(client: Any) -> None:
    body = b"messageid=1"
    answer = _post(client, PATHS[0], body, signed_headers(SECRET, "m3d", body), "text/plain")
    assert answer.status_code == 415


def test_a_body_too_large_is_413(client: Any) -> None:
    body = json.dumps({"messageid": 1, "status": 10, "pad": "x" * 300_000}).encode()
    assert _post(client, PATHS[0], body, signed_headers(SECRET, "m4", body)).status_code == 413


def test_an_unknown_message_id_is_accepted_and_changes_nothing(client: Any) -> None:
    answer = _post(client, PATHS[0], RECEIPT, signed_headers(SECRET, "m5", RECEIPT))
    assert answer.status_code == 200 and answer.json == {"accepted": 1}


@pytest.mark.parametrize("payvand_config", [{"PAYVAND_SMS_PROVIDER": "kavenegar"}])
def test_without_a_secret_the_webhooks_are_off_with_403(client: Any) -> None:
    answer = _post(client, PATHS[0], RECEIPT, signed_headers(SECRET, "m6", RECEIPT))
    assert answer.status_code == 403 and "PAYVAND_SMS_WEBHOOK_SECRET" in answer.json["error"]["message"]


def test_old_webhook_ids_are_forgotten_by_the_job(app: Any, client: Any, runtime: Any) -> None:
    import datetime as dt

    import sqlalchemy as sa

    from payvand.plugins.sms.models import WebhookDelivery
    from payvand.plugins.sms.webhooks import expired_deliveries

    assert _post(client, PATHS[0], RECEIPT, signed_headers(SECRET, "fresh", RECEIPT)).status_code == 200
    with runtime.sessionmaker.begin() as session:
        session.add(WebhookDelivery(webhook_id="old", received_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))
    with runtime.sessionmaker.begin() as session:
        session.execute(expired_deliveries())
    with runtime.sessionmaker() as session:
        assert session.scalars(sa.select(WebhookDelivery.webhook_id)).all() == ["fresh"]


def test_the_routes_are_public_post_only_and_need_no_session_csrf(app: Any, client: Any) -> None:
    rules = {rule.rule: rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/webhooks/sms") and "kavenegar" not in rule.rule}
    assert sorted(rules) == PATHS[::-1]
    for rule in rules.values():
        view = app.view_functions[rule.endpoint]
        assert view.__payvand_public__ and view.__payvand_csrf_exempt__ and "GET" not in rule.methods
        assert client.get(rule.rule).status_code == 405


def test_the_same_signed_request_sent_at_once_is_taken_once(race: Any) -> None:
    payload = {"messageid": 123, "status": 10}
    headers = signed_headers(SECRET, "msg_race", json.dumps(payload).encode())
    answers = race(6, "POST", PATHS[0], json=payload, headers=headers)
    assert sorted(a.status for a in answers) == [200] + [409] * 5
