"""The SMS channel on its own: provider by configuration, per-message results, a halted batch, check()."""

from __future__ import annotations

from typing import Any

import pytest

from payvand.plugins.sms.channel import SmsChannel
from payvand.sdk.messages import MessageChannel, OutboundMessage
from tests.sms.conftest import API_KEY, SECRET
from tests.sms.servers import GatewayDouble, KavenegarDouble


def _message(id: int, address: str = "+989121234567", body: str = "سلام", reference: str = "") -> OutboundMessage:
    return OutboundMessage(id=id, customer_id=1, channel="sms", address=address, purpose="service", subject="",
                           body=body, reference=reference or f"<payvand.{id}.x@example>")


def _channel(config: dict[str, Any]) -> SmsChannel:
    channel = SmsChannel()
    channel.configure(config)
    return channel


def _kavenegar_config(server: KavenegarDouble, **more: Any) -> dict[str, Any]:
    return {"PAYVAND_SMS_PROVIDER": "kavenegar", "PAYVAND_SMS_KAVENEGAR_API_KEY": API_KEY,
            "PAYVAND_SMS_KAVENEGAR_URL": server.url + "/v1", "PAYVAND_SMS_WEBHOOK_SECRET": SECRET, **more}


def test_it_is_a_phone_channel_named_sms() -> None:
    channel = SmsChannel()
    assert isinstance(channel, MessageChannel)
    assert (channel.name, channel.address_kind, channel.max_batch) == ("sms", "phone", 50) and channel.rate_per_second


def test_each_message_gets_its_own_result_in_order(kavenegar: KavenegarDouble) -> None:
    channel = _channel(_kavenegar_config(kavenegar))
    results = channel.send([_message(1), _message(2, address="021 8877 6655"), _message(3, body="x" * 2000),
                            _message(4, body="  "), _message(5, address="+98912")])
    assert [r.outcome for r in results] == ["accepted", "failed", "failed", "failed", "failed"]
    assert results[0].provider_id == "8792343"
    assert "not a mobile number" in results[1].reason and "14 SMS parts" in results[2].reason
    assert "empty" in results[3].reason and "not a valid number" in results[4].reason
    assert len(kavenegar.send_requests()) == 1  # refused messages never reach the provider


def test_the_message_id_is_the_localid_so_a_resend_is_not_a_second_sms(kavenegar: KavenegarDouble) -> None:
    channel = _channel(_kavenegar_config(kavenegar))
    first, again = channel.send([_message(41)]), channel.send([_message(41)])
    assert first[0].provider_id == again[0].provider_id and len(kavenegar.sent) == 1
    assert kavenegar.send_requests()[0].form["localid"] == "41"


def test_an_account_problem_halts_the_batch_without_sending_the_rest(kavenegar: KavenegarDouble) -> None:
    kavenegar.credit = 0
    results = _channel(_kavenegar_config(kavenegar)).send([_message(i) for i in range(1, 6)])
    assert [r.outcome for r in results] == ["retry"] * 5 and all("418" in r.reason for r in results)
    assert len(kavenegar.send_requests()) == 1 and results[4].retry_after == 900.0


def test_a_failed_message_does_not_halt_the_batch(kavenegar: KavenegarDouble) -> None:
    kavenegar.forced.append((422, "bad characters"))
    results = _channel(_kavenegar_config(kavenegar)).send([_message(1), _message(2)])
    assert [r.outcome for r in results] == ["failed", "accepted"]


def test_the_gateway_is_chosen_by_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_GW_TOKEN", "Token xyz")
    with GatewayDouble() as server:
        channel = _channel({"PAYVAND_SMS_PROVIDER": "gateway", "PAYVAND_SMS_GATEWAY_URL": server.url + "/send",
                            "PAYVAND_SMS_GATEWAY_BODY": '{"to": "{to}", "text": "{text}", "ref": "{reference}"}',
                            "PAYVAND_SMS_GATEWAY_AUTH_ENV": "TEST_GW_TOKEN", "PAYVAND_SMS_GATEWAY_AUTH_HEADER": "X-Token",
                            "PAYVAND_SMS_GATEWAY_ID_PATH": "data.messages[0].id", "PAYVAND_SMS_WEBHOOK_SECRET": SECRET})
        [result] = channel.send([_message(7, reference="<payvand.7.abc@x>")])
        [sent] = server.requests
    assert channel.check() == [] and result.outcome == "accepted" and result.provider_id == "gw-1"
    assert sent.headers["x-token"] == "Token xyz"
    assert sent.json() == {"to": "+989121234567", "text": "سلام", "ref": "<payvand.7.abc@x>"}


def test_an_unconfigured_channel_is_off_and_says_why() -> None:
    channel = _channel({})
    assert not channel.enabled()
    assert channel.check() == ["PAYVAND_SMS_PROVIDER is not set: choose kavenegar or gateway to send SMS."]
    assert [r.outcome for r in channel.send([_message(1)])] == ["retry"]


def test_check_gives_one_sentence_per_problem() -> None:
    assert _channel({"PAYVAND_SMS_PROVIDER": "twilio"}).check() == [
        "PAYVAND_SMS_PROVIDER is 'twilio': it must be kavenegar or gateway."]
    problems = _channel({"PAYVAND_SMS_PROVIDER": "kavenegar", "PAYVAND_SMS_MAX_PARTS": 0}).check()
    assert len(problems) == 3 and all(p.endswith(".") for p in problems)
    assert any("PAYVAND_SMS_KAVENEGAR_API_KEY" in p for p in problems)
    assert any("PAYVAND_SMS_WEBHOOK_SECRET" in p for p in problems)


def test_settings_from_the_environment_and_no_secret_in_any_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYVAND_SMS_PROVIDER", "kavenegar")
    monkeypatch.setenv("PAYVAND_SMS_KAVENEGAR_API_KEY", "env-secret-key")
    monkeypatch.setenv("PAYVAND_SMS_MAX_PARTS", "3")
    channel = _channel({})
    assert channel.enabled() and channel.settings.max_parts == 3
    for text in (repr(channel), repr(channel.settings), repr(channel.provider)):
        assert "env-secret-key" not in text
