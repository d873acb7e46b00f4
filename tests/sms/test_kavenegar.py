"""The Kavenegar adapter over real HTTP against a local server speaking Kavenegar's documented format."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from payvand.plugins.sms.kavenegar import Kavenegar, delivery_status, numeric_localid
from tests.sms.servers import KavenegarDouble


@pytest.fixture
def kavenegar() -> Iterator[KavenegarDouble]:
    with KavenegarDouble(api_key="s3cr3t-key") as server:
        yield server


def _client(server: KavenegarDouble, key: str = "s3cr3t-key") -> Kavenegar:
    return Kavenegar(key, sender="10004346", base_url=server.url + "/v1")


def test_a_message_is_posted_as_documented_and_accepted_with_the_message_id(kavenegar: KavenegarDouble) -> None:
    answer = _client(kavenegar).send("+989121234567", "سلام، سفارش شما ارسال شد", "41")
    assert answer.outcome == "accepted" and answer.provider_id == "8792343"
    [sent] = kavenegar.requests
    assert sent.method == "POST" and sent.path == "/v1/s3cr3t-key/sms/send.json"
    assert sent.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert sent.form == {"receptor": "09121234567", "message": "سلام، سفارش شما ارسال شد", "sender": "10004346",
                         "localid": "41"}


def test_the_same_localid_sends_once_and_returns_the_first_id(kavenegar: KavenegarDouble) -> None:
    first = _client(kavenegar).send("+989121234567", "text", "77")
    again = _client(kavenegar).send("+989121234567", "text", "77")
    assert first.provider_id == again.provider_id and len(kavenegar.sent) == 1


def test_a_foreign_receptor_goes_in_international_form(kavenegar: KavenegarDouble) -> None:
    _client(kavenegar).send("+447911123456", "hi", "1")
    assert kavenegar.requests[0].form["receptor"] == "00447911123456"


def test_no_sender_configured_leaves_the_account_default(kavenegar: KavenegarDouble) -> None:
    Kavenegar("s3cr3t-key", base_url=kavenegar.url + "/v1").send("+989121234567", "hi", "2")
    assert "sender" not in kavenegar.requests[0].form


def test_a_wrong_key_is_retry_for_the_whole_batch_and_never_shows_the_key(kavenegar: KavenegarDouble) -> None:
    answer = _client(kavenegar, key="wrong-key").send("+989121234567", "hi", "3")
    assert answer.outcome == "retry" and answer.halt and "403" in answer.reason
    assert "wrong-key" not in answer.reason and "wrong-key" not in repr(_client(kavenegar, key="wrong-key"))


def test_an_invalid_receptor_fails_that_message(kavenegar: KavenegarDouble) -> None:
    answer = _client(kavenegar).send("+98912", "hi", "4")
    assert answer.outcome == "failed" and not answer.halt and "411" in answer.reason


def test_no_credit_is_retry_later(kavenegar: KavenegarDouble) -> None:
    kavenegar.credit = 0
    answer = _client(kavenegar).send("+989121234567", "hi", "5")
    assert answer.outcome == "retry" and answer.halt and "418" in answer.reason and answer.retry_after == 900.0


@pytest.mark.parametrize(("status", "outcome", "halt"), [
    (401, "retry", True), (402, "failed", False), (409, "retry", True), (412, "retry", True), (413, "failed", False),
    (422, "failed", False), (428, "failed", False), (431, "failed", False), (432, "failed", False),
    (451, "retry", True), (499, "failed", False),
])
def test_documented_error_statuses_mean_failed_or_retry(kavenegar: KavenegarDouble, status: int, outcome: str,
                                                        halt: bool) -> None:
    kavenegar.forced.append((status, "خطا"))
    answer = _client(kavenegar).send("+989121234567", "hi", "6")
    assert (answer.outcome, answer.halt) == (outcome, halt) and str(status) in answer.reason


def test_a_server_error_is_retry(kavenegar: KavenegarDouble) -> None:
    kavenegar.forced.append((502, "bad gateway"))
    assert _client(kavenegar).send("+989121234567", "hi", "7").outcome == "retry"


def test_a_provider_that_cannot_be_reached_is_retry() -> None:
    with KavenegarDouble() as server:
        url = server.url
    answer = Kavenegar("k", base_url=url + "/v1", timeout=2).send("+989121234567", "hi", "8")
    assert answer.outcome == "retry" and answer.halt and "could not be reached" in answer.reason


def test_status_asks_for_the_ids_and_reads_the_entries(kavenegar: KavenegarDouble) -> None:
    client = _client(kavenegar)
    sent = client.send("+989121234567", "hi", "9")
    entries = client.status([sent.provider_id or "", "123"])
    assert kavenegar.requests[-1].query == {"messageid": f"{sent.provider_id},123"}
    assert [(e["messageid"], e["status"]) for e in entries] == [(int(sent.provider_id or 0), 1), (123, 100)]


def test_delivery_statuses_map_to_receipts() -> None:
    assert delivery_status(10)[1] == "delivered"
    assert delivery_status(11)[1] == delivery_status(6)[1] == delivery_status(14)[1] == "failed"
    assert delivery_status(1)[1] is delivery_status(4)[1] is delivery_status(999)[1] is None


def test_localid_is_the_reference_when_numeric_else_the_message_id() -> None:
    assert numeric_localid("1234", 7) == "1234"
    assert numeric_localid("<abc@payvand>", 7) == "7"


def test_check_names_a_missing_key() -> None:
    assert any("PAYVAND_SMS_KAVENEGAR_API_KEY" in p for p in Kavenegar("").check())
    assert Kavenegar("k").check() == []
