"""The SMS channel's settings saved on the Channels page: a real send through the local Kavenegar
double and the generic gateway with them, the webhook secret and the callback token taken from
them, secrets never shown or audited, per-field errors, and the environment winning."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.models import AuditLog, Setting
from payvand.core.models.message import Message
from payvand.plugins.sms.signing import signed_headers
from payvand.sdk.messages import send_message
from tests.sms.conftest import API_KEY, SECRET
from tests.sms.servers import GatewayDouble, KavenegarDouble

TOKEN = "kv-token-from-the-page-81c4"


@pytest.fixture
def payvand_config() -> dict[str, Any]:
    """Nothing about SMS in the environment: the page sets it all."""
    return {"PAYVAND_QUIET_HOURS": "off"}


def _kavenegar_form(kavenegar: KavenegarDouble, **extra: str) -> dict[str, str]:
    return {"switched_on": "1", "provider": "kavenegar", "kavenegar_api_key": API_KEY,
            "kavenegar_url": kavenegar.url + "/v1", "sender": "10004346", "max_parts": "6",
            "webhook_secret": SECRET, "kavenegar_callback_token": TOKEN, **extra}


def _send(in_app: Any, make_customer: Any, run_jobs: Any, phone: str = "09121234567") -> int:
    customer = make_customer(phones=[{"value": phone}])
    with in_app():
        queued = send_message(customer.id, "sms", body="کد شما ۱۲۳۴ است", purpose="transactional")
    run_jobs()
    return queued.id


def _message(runtime: Any, message_id: int) -> Message:
    with runtime.sessionmaker() as session:
        row = session.get(Message, message_id)
        session.expunge_all()
        return row


def test_kavenegar_settings_saved_on_the_page_are_used_by_a_real_send(
        web: Any, client: Any, runtime: Any, in_app: Any, make_customer: Any, run_jobs: Any,
        kavenegar: KavenegarDouble) -> None:
    assert web.post("/admin/channels/sms/settings", _kavenegar_form(kavenegar)).status_code == 302
    message_id = _send(in_app, make_customer, run_jobs)
    [sent] = kavenegar.requests
    assert sent.path == f"/v1/{API_KEY}/sms/send.json" and sent.form["sender"] == "10004346"
    row = _message(runtime, message_id)
    assert row.status == "sent"

    # the webhook secret and the callback token come from the page too
    body = json.dumps({"messageid": int(row.provider_id), "status": 4}).encode()
    assert client.post("/webhooks/sms/receipts", data=body, content_type="application/json",
                       headers=signed_headers(SECRET, "page_1", body)).status_code == 200
    answer = client.post(f"/webhooks/sms/kavenegar/{TOKEN}/receipt", data={"messageid": row.provider_id, "status": "10"})
    assert answer.status_code == 200 and _message(runtime, message_id).status == "delivered"


def test_the_generic_gateway_set_on_the_page_sends_with_its_auth_value(
        web: Any, runtime: Any, in_app: Any, make_customer: Any, run_jobs: Any, gateway: GatewayDouble) -> None:
    form = {"switched_on": "1", "provider": "gateway", "gateway_url": gateway.url + "/send",
            "gateway_method": "POST", "gateway_body": '{"to": "{to}", "text": "{text}", "ref": "{reference}"}',
            "gateway_body_format": "json", "gateway_auth_header": "Authorization",
            "gateway_auth_value": "Bearer gw-secret-5521", "gateway_id_path": "data.messages[0].id", "gateway_success": "200-299"}
    answer = web.post("/admin/channels/sms/settings", form)
    assert answer.status_code == 302, answer.text
    message_id = _send(in_app, make_customer, run_jobs)
    [sent] = gateway.requests
    assert sent.headers.get("authorization") == "Bearer gw-secret-5521"
    assert json.loads(sent.body)["to"] == "+989121234567"
    assert _message(runtime, message_id).status == "sent"
    assert "gw-secret-5521" not in web.get("/admin/channels").text


def test_the_api_key_is_never_shown_nor_audited(web: Any, runtime: Any, kavenegar: KavenegarDouble) -> None:
    web.post("/admin/channels/sms/settings", _kavenegar_form(kavenegar))
    page = web.get("/admin/channels")
    for secret in (API_KEY, SECRET, TOKEN):
        assert secret not in page.text
    invalid = web.post("/admin/channels/sms/settings", _kavenegar_form(kavenegar, max_parts="many",
                                                                      kavenegar_api_key="another-key-9931"))
    assert invalid.status_code == 422 and "another-key-9931" not in invalid.text and API_KEY not in invalid.text
    with runtime.sessionmaker() as session:
        rows = session.execute(sa.select(AuditLog.before, AuditLog.after).where(AuditLog.object_type == "channel")).all()
    assert len(rows) == 1
    text = json.dumps([list(r) for r in rows])
    for secret in (API_KEY, SECRET, TOKEN):
        assert secret not in text
    assert rows[0].after["kavenegar_api_key"] == "changed" and rows[0].after["provider"] == "kavenegar"


def test_wrong_values_are_refused_field_by_field(web: Any, kavenegar: KavenegarDouble) -> None:
    answer = web.post("/admin/channels/sms/settings", _kavenegar_form(
        kavenegar, provider="pigeon", max_parts="۳x", kavenegar_url="not a url", gateway_method="PATCH"))
    assert answer.status_code == 422
    for name in ("provider", "max_parts", "kavenegar_url", "gateway_method"):
        assert f'id="ch-sms-{name}-error"' in answer.text, name
    assert 'id="ch-sms-sender-error"' not in answer.text


def test_persian_digits_are_read_in_a_number_setting(web: Any, runtime: Any, kavenegar: KavenegarDouble) -> None:
    assert web.post("/admin/channels/sms/settings", _kavenegar_form(kavenegar, max_parts="۳")).status_code == 302
    assert runtime.message_channels(fresh=True)["sms"].settings.max_parts == 3


@pytest.mark.parametrize("payvand_config", [{"PAYVAND_SMS_PROVIDER": "gateway", "PAYVAND_QUIET_HOURS": "off"}])
def test_a_provider_from_the_environment_is_read_only_and_wins(web: Any, runtime: Any, kavenegar: KavenegarDouble) -> None:
    page = web.get("/admin/channels")
    block = page.text.split('data-setting="provider"', 1)[1].split('data-setting="', 1)[0]
    assert 'data-source="environment"' in page.text.split('data-setting="provider"', 1)[1][:40]
    assert "gateway" in block and 'name="provider"' not in block
    assert web.post("/admin/channels/sms/settings", _kavenegar_form(kavenegar)).status_code == 302
    assert runtime.message_channels(fresh=True)["sms"].settings.provider == "gateway"


def test_defaults_left_as_they_were_are_not_stored_or_audited(web: Any, runtime: Any, kavenegar: KavenegarDouble) -> None:
    form = _kavenegar_form(kavenegar, max_parts="6", gateway_method="POST", gateway_body_format="json",
                           gateway_auth_header="Authorization", gateway_success="200-299")
    assert web.post("/admin/channels/sms/settings", form).status_code == 302
    with runtime.sessionmaker() as session:
        keys = set(session.scalars(sa.select(Setting.key).where(Setting.key.like("channel.sms.%"))))
        [after] = session.scalars(sa.select(AuditLog.after).where(AuditLog.object_type == "channel")).all()
    assert keys == {f"channel.sms.{name}" for name in ("provider", "kavenegar_api_key", "kavenegar_url", "sender",
                                                       "webhook_secret", "kavenegar_callback_token")}
    assert set(after) == {key.removeprefix("channel.sms.") for key in keys}
