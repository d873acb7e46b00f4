"""E.164 for SMS: Iranian local forms, Persian and Arabic digits, refusal with a reason."""

from __future__ import annotations

import pytest

from payvand.plugins.sms.numbers import NumberRefused, national_or_international, to_e164


@pytest.mark.parametrize("raw", ["09121234567", "۰۹۱۲۱۲۳۴۵۶۷", "٠٩١٢١٢٣٤٥٦٧", "+989121234567", "00989121234567",
                                 "989121234567", "0912 123 4567", "(0912) 123-4567", "+98 912 123 4567",
                                 "\u200e+98 912 123 4567\u200f", "9121234567"])
def test_iranian_mobile_forms_become_e164(raw: str) -> None:
    assert to_e164(raw) == "+989121234567"


def test_a_foreign_number_keeps_its_country() -> None:
    assert to_e164("+44 7911 123456") == "+447911123456"
    assert to_e164("0044 7911 123456") == "+447911123456"


def test_another_default_region_reads_local_numbers_there() -> None:
    assert to_e164("07911 123456", region="GB") == "+447911123456"


@pytest.mark.parametrize(("raw", "reason"), [
    ("", "empty"),
    ("   ", "empty"),
    ("0912abc4567", "characters other than digits"),
    ("0912", "not a valid number"),
    ("091212345678901", "not a valid number"),
    ("02188776655", "not a mobile number"),
    ("+0912", "cannot be read"),
])
def test_a_number_sms_cannot_reach_is_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(NumberRefused) as refused:
        to_e164(raw)
    assert reason in refused.value.reason


def test_receptors_for_iranian_providers() -> None:
    assert national_or_international("+989121234567") == "09121234567"
    assert national_or_international("+447911123456") == "00447911123456"
