"""SMS part splitting: GSM-7 at 160/153 septets (extension characters count twice), else UCS-2 at 70/67."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from payvand.plugins.sms.parts import GSM7_BASIC, GSM7_EXTENDED, split_sms, text_units

ZWNJ = "\u200c"
gsm_text = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENDED), max_size=700)
PERSIAN = list("آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیءئ ۰۱۲۳۴۵۶۷۸۹،؟")
persian_text = st.text(alphabet=PERSIAN + [ZWNJ, "😀", "👍", "\U0001F3FD", "\u200d"], max_size=400)
any_text = st.one_of(gsm_text, persian_text, st.text(max_size=400))


def test_160_gsm_characters_are_one_part_and_161_are_two_of_153_at_most() -> None:
    assert split_sms("a" * 160).count == 1
    two = split_sms("a" * 161)
    assert two.encoding == "gsm7" and two.count == 2 and [len(p) for p in two.parts] == [153, 8]


def test_extension_characters_count_double() -> None:
    assert split_sms("€" * 80).count == 1
    assert split_sms("€" * 81).count == 2
    assert split_sms("a" * 159 + "{").count == 2


def test_an_extension_character_is_never_cut_from_its_escape() -> None:
    parts = split_sms("a" * 152 + "[" + "b" * 10).parts
    assert parts[0] == "a" * 152 and parts[1].startswith("[")


def test_persian_text_is_ucs2_at_70_then_67() -> None:
    assert split_sms("س" * 70).encoding == "ucs2"
    assert split_sms("س" * 70).count == 1
    three = split_sms("س" * 140)
    assert three.count == 3 and [len(p) for p in three.parts] == [67, 67, 6]


def test_one_non_gsm_character_makes_the_whole_text_ucs2() -> None:
    result = split_sms("Hello " * 20 + "سلام")
    assert result.encoding == "ucs2" and result.count == 2


def test_an_emoji_is_two_units_and_never_split_in_half() -> None:
    assert split_sms("😀" * 35).count == 1
    parts = split_sms("a" * 66 + "😀" + "b" * 10).parts  # 66 units, then a pair that would straddle 67
    assert parts[0] == "a" * 66 and parts[1] == "😀" + "b" * 10


def test_persian_zwnj_is_kept_in_place() -> None:
    text = ("می" + ZWNJ + "خواهم ") * 30
    assert "".join(split_sms(text).parts) == text
    assert ZWNJ in split_sms(text).parts[0]


def test_empty_text_costs_nothing() -> None:
    assert split_sms("").count == 0


@given(any_text)
def test_parts_join_back_to_the_text(text: str) -> None:
    assert "".join(split_sms(text).parts) == text


@given(any_text)
def test_no_part_is_too_long(text: str) -> None:
    result = split_sms(text)
    assert all(0 < text_units(part, result.encoding) <= result.per_part for part in result.parts)
    if result.count > 1:
        assert result.per_part in (153, 67)


@given(persian_text)
def test_no_surrogate_pair_is_split_when_sent_as_utf16(text: str) -> None:
    for part in split_sms(text).parts:
        encoded = part.encode("utf-16-le")
        assert encoded.decode("utf-16-le") == part  # a lone surrogate would not round-trip
        assert len(encoded) // 2 <= (70 if split_sms(text).count == 1 else 67)


@given(any_text)
def test_the_fewest_parts_are_used(text: str) -> None:
    result = split_sms(text)
    if result.count > 1:
        per_part = result.per_part
        assert result.units > (160 if result.encoding == "gsm7" else 70)
        assert result.count <= -(-result.units // (per_part - 1))
