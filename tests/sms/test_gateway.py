"""The generic HTTP gateway over real HTTP against a local server."""

from __future__ import annotations

import json

import pytest

from payvand.plugins.sms.gateway import Gateway, json_path, parse_statuses
from tests.sms.servers import GatewayDouble, Recorded


def test_a_json_body_template_is_filled_safely_and_the_id_read_from_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SMS_GATEWAY_TOKEN", "Bearer abc")
    with GatewayDouble() as server:
        gateway = Gateway(server.url + "/api/send", body='{"to": "{to}", "text": "{text}", "ref": "{reference}", "n": 1}',
                          sender="3000", auth_env="TEST_SMS_GATEWAY_TOKEN", id_path="data.messages[0].id", success="201")
        answer = gateway.send("+989121234567", 'say "hi" {text} \\ سلام', "ref-1")
        [sent] = server.requests
    assert answer.outcome == "accepted" and answer.provider_id == "gw-1"
    assert sent.method == "POST" and sent.path == "/api/send" and sent.headers["authorization"] == "Bearer abc"
    assert sent.json() == {"to": "+989121234567", "text": 'say "hi" {text} \\ سلام', "ref": "ref-1", "n": 1}


def test_a_form_body_and_url_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    with GatewayDouble(lambda r: (200, {}, b"OK")) as server:
        gateway = Gateway(server.url + "/send/{to_local}?from={sender}", body="msg={text}&id={reference}",
                          body_format="form", sender="3000 1")
        answer = gateway.send("+989121234567", "سلام & خداحافظ", "r2")
        [sent] = server.requests
    assert answer.outcome == "accepted" and answer.provider_id is None
    assert sent.path == "/send/09121234567" and sent.query == {"from": "3000 1"}
    assert sent.form == {"msg": "سلام & خداحافظ", "id": "r2"}


def test_a_get_gateway_puts_everything_in_the_url() -> None:
    with GatewayDouble(lambda r: (200, {}, b"{}")) as server:
        Gateway(server.url + "/sms?to={to}&text={text}", method="GET").send("+989121234567", "a b&c=d", "r")
        [sent] = server.requests
    assert sent.method == "GET" and sent.query == {"to": "+989121234567", "text": "a b&c=d"}


@pytest.mark.parametrize(("status", "outcome"), [(400, "failed"), (404, "failed"), (401, "failed"), (429, "retry"),
                                                 (408, "retry"), (500, "retry"), (503, "retry")])
def test_statuses_other_than_success_are_failed_or_retry(status: int, outcome: str) -> None:
    def reply(request: Recorded) -> tuple[int, dict[str, str], bytes]:
        return status, {"Retry-After": "30"}, json.dumps({"error": "nope"}).encode()

    with GatewayDouble(reply) as server:
        answer = Gateway(server.url + "/send", body='{"to": "{to}", "text": "{text}"}').send("+989121234567", "x", "r")
    assert answer.outcome == outcome and str(status) in answer.reason
    if outcome == "retry":
        assert answer.retry_after == 30.0


def test_an_unreachable_gateway_is_retry() -> None:
    with GatewayDouble() as server:
        url = server.url
    answer = Gateway(url + "/send", body='{"to": "{to}", "text": "{text}"}', timeout=2).send("+989121234567", "x", "r")
    assert answer.outcome == "retry" and answer.halt


def test_check_lists_each_problem_in_a_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_TOKEN_VAR", raising=False)
    problems = Gateway("ftp://x", method="DELETE", body="{not json", auth_env="NO_SUCH_TOKEN_VAR", success="2xx").check()
    text = " ".join(problems)
    for part in ("http(s) URL", "DELETE", "not valid JSON", "{text}", "{to}", "NO_SUCH_TOKEN_VAR", "PAYVAND_SMS_GATEWAY_SUCCESS"):
        assert part in text
    assert Gateway("https://gw.local/send", body='{"to": "{to}", "text": "{text}"}').check() == []


def test_json_paths_and_status_lists() -> None:
    data = {"data": {"messages": [{"id": 5}]}}
    assert json_path(data, "data.messages[0].id") == 5 and json_path(data, "$.data.messages[1].id") is None
    assert parse_statuses("200, 202-204") == {200, 202, 203, 204}
