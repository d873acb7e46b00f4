"""Outgoing mail through a real local SMTP server."""

from __future__ import annotations

import pytest

from payvand.core.mail import MailError, parse_config
from payvand.sdk import Attachment, mail_enabled, send_mail


def test_mail_is_off_without_a_url_and_says_so(app) -> None:
    with app.app_context():
        assert not mail_enabled()
        with pytest.raises(MailError, match="not configured"):
            send_mail("a@example.com", "Hi", "Text")


def test_a_message_with_html_and_an_attachment_arrives(app, mail_sink) -> None:
    with app.app_context():
        assert mail_enabled()
        message_id = send_mail("مشتری <customer@example.com>", "پیش‌فاکتور Q-1", "متن ساده",
                               html="<p dir='rtl'>سلام</p>",
                               attachments=[Attachment("quote.pdf", b"%PDF-1.4 test", "application/pdf")])
    [received] = mail_sink.to("customer@example.com")
    assert received["Subject"] == "پیش‌فاکتور Q-1"
    assert received["Message-ID"] == message_id
    assert received.get_body(("plain",)).get_content().strip() == "متن ساده"
    assert "سلام" in received.get_body(("html",)).get_content()
    [attached] = list(received.iter_attachments())
    assert attached.get_filename() == "quote.pdf"
    assert attached.get_content() == b"%PDF-1.4 test"


def test_an_unreachable_server_raises_mail_error(app, runtime) -> None:
    runtime.config["PAYVAND_SMTP_URL"] = "smtp://127.0.0.1:9"  # discard port: nothing listens
    try:
        with app.app_context(), pytest.raises(MailError, match="failed"):
            send_mail("a@example.com", "Hi", "Text")
    finally:
        runtime.config.pop("PAYVAND_SMTP_URL")


def test_the_url_forms_and_the_password_stays_out_of_descriptions() -> None:
    config = parse_config(
        {"PAYVAND_SMTP_URL": "smtp+starttls://crm%40x.ir:s3cret@mail.x.ir", "PAYVAND_MAIL_FROM": "CRM <crm@x.ir>"}
    )
    assert (config.host, config.port, config.security, config.username, config.password) == (
        "mail.x.ir", 587, "starttls", "crm@x.ir", "s3cret")
    assert "s3cret" not in config.describe()
    assert parse_config({"PAYVAND_SMTP_URL": "smtps://h"}).port == 465
    assert parse_config({}) is None
    with pytest.raises(MailError):
        parse_config({"PAYVAND_SMTP_URL": "http://h"})
