"""Standard Webhooks signatures: the spec's own example, and every way a request is refused."""

from __future__ import annotations

import pytest

from payvand.plugins.sms.signing import SignatureRefused, signature, signed_headers, verify

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = b'{"test": 2432232314}'


def test_the_signature_matches_the_standard_webhooks_example() -> None:
    # The example of the spec's "Verifying webhooks" section.
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert signature(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, BODY) == expected


def test_a_signed_fresh_request_gives_its_id() -> None:
    assert verify(SECRET, signed_headers(SECRET, "msg_1", BODY), BODY) == "msg_1"


def test_one_of_several_signatures_is_enough_for_a_rotated_secret() -> None:
    headers = signed_headers(SECRET, "msg_1", BODY)
    headers["webhook-signature"] = "v1,AAAA " + headers["webhook-signature"]
    assert verify(SECRET, headers, BODY) == "msg_1"


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_an_unsigned_request_is_refused(missing: str) -> None:
    headers = signed_headers(SECRET, "msg_1", BODY)
    del headers[missing]
    with pytest.raises(SignatureRefused, match="unsigned"):
        verify(SECRET, headers, BODY)


def test_a_changed_body_or_another_secret_is_refused() -> None:
    headers = signed_headers(SECRET, "msg_1", BODY)
    with pytest.raises(SignatureRefused, match="does not match"):
        verify(SECRET, headers, BODY + b" ")
    with pytest.raises(SignatureRefused, match="does not match"):
        verify("whsec_" + "QUJD" * 8, headers, BODY)


@pytest.mark.parametrize("age", [301, -301, 3600])
def test_a_request_older_or_newer_than_five_minutes_is_refused(age: int) -> None:
    headers = signed_headers(SECRET, "msg_1", BODY, timestamp=1_700_000_000 - age)
    with pytest.raises(SignatureRefused, match="five minutes"):
        verify(SECRET, headers, BODY, now=1_700_000_000)
    assert verify(SECRET, signed_headers(SECRET, "m", BODY, timestamp=1_700_000_000 - 299), BODY, now=1_700_000_000) == "m"


def test_a_timestamp_that_is_not_seconds_is_refused() -> None:
    headers = signed_headers(SECRET, "msg_1", BODY)
    headers["webhook-timestamp"] = "2026-12-07T04:00:00Z"
    with pytest.raises(SignatureRefused, match="Unix time"):
        verify(SECRET, headers, BODY)


def test_a_plain_secret_works_as_its_bytes() -> None:
    assert verify("plain secret", signed_headers("plain secret", "x", BODY), BODY) == "x"
