"""Inbound mail parsing: every message of the corpus (tests/messaging/eml) gives exactly its expected result."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from messaging.eml_expect import as_json
from payvand.core.messaging.email_in import ParseOptions, parse_email
from payvand.core.messaging.email_in.html_text import html_to_text, sanitize_html
from payvand.core.messaging.email_in.parse import decode_text
from payvand.core.messaging.email_in.quotes import new_text

CORPUS = Path(__file__).parent / "eml"
CASES = sorted(CORPUS.glob("*.eml"))


def _options(spec: dict[str, object]) -> ParseOptions:
    own = spec.get("own_addresses") or []
    assert isinstance(own, list)
    limit = spec.get("max_attachment_bytes", 10 * 1024 * 1024)
    assert isinstance(limit, int)
    return ParseOptions(own_addresses=frozenset(own), max_attachment_bytes=limit)


def test_the_corpus_has_at_least_twenty_messages_each_with_its_expected_result() -> None:
    assert len(CASES) >= 20
    assert all(case.with_suffix(".json").exists() for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_each_corpus_message_parses_to_its_expected_result(case: Path) -> None:
    expected = json.loads(case.with_suffix(".json").read_text(encoding="utf-8"))
    parsed = parse_email(case.read_bytes(), _options(expected.pop("options")))
    got = as_json(parsed)
    if "message" in expected and expected["message"]["received_at"] is None:  # no readable Date: time of reading
        read_at = dt.datetime.fromisoformat(got["message"].pop("received_at"))
        assert abs(dt.datetime.now(dt.UTC) - read_at) < dt.timedelta(minutes=5)
        expected["message"].pop("received_at")
    assert got == expected


def test_stored_html_of_the_corpus_never_holds_executable_markup() -> None:
    for case in CASES:
        message = parse_email(case.read_bytes()).message
        html = (message.html or "").lower() if message else ""
        for bad in ("<script", "onclick", "onload", "onerror", "onmouseover", "javascript:", "<style", "<iframe",
                    "style="):
            assert bad not in html, (case.name, bad)


def test_windows_1256_text_is_folded_to_persian_letters() -> None:
    text = decode_text("كيك ي".encode("cp1256"), "windows-1256")
    assert text == "کیک ی"


def test_a_part_declared_utf8_whose_bytes_are_latin1_is_read_without_losing_the_message() -> None:
    assert decode_text("café".encode("latin-1"), "utf-8") == "café"


def test_an_unknown_charset_falls_back_to_utf8() -> None:
    assert decode_text("سلام".encode(), "x-klingon") == "سلام"


def test_html_blockquotes_become_quotes_the_summary_trims() -> None:
    text = html_to_text("<p>Yes, please.</p><div>On Mon, Dec 7, 2026 Support wrote:</div>"
                        "<blockquote><p>Shall we?</p></blockquote>")
    assert "> Shall we?" in text
    assert new_text(text) == "Yes, please."


def test_sanitised_html_keeps_text_direction_and_inline_image_references() -> None:
    assert sanitize_html('<p dir="rtl" style="x" onclick="y"><img src="cid:a@b"></p>') == \
        '<p dir="rtl"><img src="cid:a@b"></p>'


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"\x00\xff\xfe garbage", b"From: \r\n\r\n",
                                 b"Content-Type: multipart/mixed; boundary=\"\r\n\r\n--\r\n"])
def test_garbage_never_raises_and_is_rejected_with_a_reason(raw: bytes) -> None:
    parsed = parse_email(raw)
    assert parsed.kind == "rejected"
    assert parsed.reason


def test_a_quote_only_message_keeps_its_words_in_the_summary() -> None:
    assert new_text("> just the quote\n> nothing else") == "just the quote\nnothing else"


def test_persian_outlook_header_block_ends_the_new_text() -> None:
    text = "باشه، فردا می‌آیم.\n\nاز: پشتیبانی پیوند\nارسال شده: پنجشنبه\nبه: حمید\nموضوع: قرار\n\nفردا خوب است؟"
    assert new_text(text) == "باشه، فردا می‌آیم."


def test_damaged_copies_of_every_corpus_message_never_raise() -> None:
    import random

    rng = random.Random(12)
    for case in CASES:
        raw = case.read_bytes()
        for _ in range(15):
            damaged = bytearray(raw)
            action = rng.randrange(3)
            if action == 0:  # cut short anywhere
                damaged = damaged[: rng.randrange(len(damaged) + 1)]
            elif action == 1:  # bytes overwritten with noise
                for _ in range(rng.randrange(1, 40)):
                    damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            else:  # a block dropped from the middle (a lost boundary, a half header)
                start = rng.randrange(len(damaged))
                del damaged[start:start + rng.randrange(1, 200)]
            parsed = parse_email(bytes(damaged))
            assert parsed.kind in ("message", "receipt", "ignored", "rejected")
            assert (parsed.message is not None) == (parsed.kind == "message")
            assert parsed.kind != "rejected" or parsed.reason
