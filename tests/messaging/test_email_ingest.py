"""Inbound mail recorded end to end: `payvand mail ingest` (stdin, files, maildir), threading,
bounces, auto-replies and re-reading (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from payvand.core.cli import cli
from payvand.core.messaging.email_in import parse_email
from payvand.core.messaging.email_in.ingest import ingest_batch
from payvand.core.models import Customer, CustomerEmail, Interaction, OutboxEvent
from payvand.core.models.message import Message, MessageAttachment, Suppression

CORPUS = Path(__file__).parent / "eml"
OWN = "Payvand <crm@payvand.test>"


@pytest.fixture
def payvand(runtime: Any, tmp_path: Path) -> Any:
    """Run `payvand --database-url <the test database> ...` with our own address set."""
    url = runtime.config["PAYVAND_DATABASE_URL"]
    runner = CliRunner()

    def invoke(*args: str, input: bytes | None = None) -> Any:
        return runner.invoke(cli, ["--instance", str(tmp_path / "instance"), "--database-url", url, *args],
                             input=input, env={"PAYVAND_MAIL_FROM": OWN}, catch_exceptions=False)

    return invoke


def _outbound(runtime: Any, customer_id: int, reference: str, address: str, subject: str = "Hello") -> int:
    """An outbound message we sent earlier (what replies and bounces refer to)."""
    with runtime.sessionmaker.begin() as session:
        row = Message(customer_id=customer_id, channel="email", direction="outbound", purpose="service",
                      status="sent", address=address, subject=subject, body="...", reference=reference,
                      provider_id=reference, headers={}, attempts=1)
        session.add(row)
        session.flush()
        row.thread_id = row.id
        return row.id


def _inbound(runtime: Any) -> list[Message]:
    with runtime.sessionmaker() as session:
        return list(session.scalars(sa.select(Message).where(Message.direction == "inbound").order_by(Message.id)))


def _hooked_ids(runtime: Any) -> list[int]:
    with runtime.sessionmaker() as session:
        events = session.scalars(sa.select(OutboxEvent).where(OutboxEvent.hook == "payvand_message_received"))
        return sorted(i for event in events for i in event.payload.get("ids", []))


def test_one_message_on_stdin_is_recorded_for_the_customer_and_reading_it_again_changes_nothing(
        payvand, runtime, make_customer):
    customer = make_customer(given_name="John", emails=[{"value": "john.smith@example.com"}])
    raw = (CORPUS / "01_plain_english.eml").read_bytes()
    first = payvand("mail", "ingest", input=raw)
    assert first.exit_code == 0, first.stdout
    assert first.stdout.startswith(f"recorded <CAF1234plain@mail.example.com>: customer {customer.id}")
    again = payvand("mail", "ingest", input=raw)
    assert (again.exit_code, again.stdout.strip()) == (0, "duplicate <CAF1234plain@mail.example.com>: already recorded")
    [row] = _inbound(runtime)
    assert (row.customer_id, row.subject, row.status) == (customer.id, "Question about my invoice", "received")
    with runtime.sessionmaker() as session:
        interaction = session.get(Interaction, row.interaction_id)
        assert (interaction.direction, interaction.channel) == ("inbound", "email")
        assert interaction.summary.startswith("Hello,")
    assert _hooked_ids(runtime) == [row.id]


def test_an_unknown_persian_sender_becomes_a_prospect_with_the_decoded_name(payvand, runtime):
    result = payvand("mail", "ingest", str(CORPUS / "03_windows1256_outlook.eml"))
    assert result.exit_code == 0 and "(new prospect)" in result.stdout
    [row] = _inbound(runtime)
    with runtime.sessionmaker() as session:
        customer = session.get(Customer, row.customer_id)
        assert customer.given_name == "مریم کریمی" and customer.lifecycle_stage == "prospect"
        assert session.scalar(sa.select(CustomerEmail.email).where(CustomerEmail.customer_id == customer.id)) == \
            "maryam@example.ir"
    assert row.body == "سلام\nلطفا فاکتور شرکت را برای من ارسال کنید.\nبا تشکر"


def test_a_reply_is_matched_by_its_headers_and_a_lost_header_reply_by_its_subject_tag(payvand, runtime, make_customer):
    john = make_customer(emails=[{"value": "john.smith@example.com"}])
    ali = make_customer(emails=[{"value": "ali.rezaei@example.ir"}])
    answered = _outbound(runtime, john.id, "<out-42.1@payvand.test>", "john.smith@example.com")
    tagged = _outbound(runtime, ali.id, "<payvand.x.1@payvand.test>", "ali.rezaei@example.ir")
    lost = EmailMessage()  # a reply whose threading headers were lost on the way: only the tag is left
    lost["From"] = "=?utf-8?b?2LnZhNuMINix2LbYp9uM24w=?= <ali.rezaei@example.ir>"
    lost["Subject"] = f"پاسخ: [#{tagged}] پیگیری سفارش"
    lost["Message-ID"] = "<lost-headers@example.ir>"
    lost.set_content("بله، همین را می‌خواستم.")
    persian = lost.as_bytes()
    result = payvand("mail", "ingest", str(CORPUS / "11_reply_english_with_quote.eml"))
    assert f"reply to message {answered}" in result.stdout
    parsed = parse_email(persian)
    assert parsed.message is not None and parsed.message.replies_to == ()
    [outcome] = ingest_batch(runtime.sessionmaker, [parsed])
    assert outcome.kind == "recorded" and f"reply to message {tagged}" in outcome.detail
    english, farsi = _inbound(runtime)
    assert (english.reply_to_id, english.thread_id, english.customer_id) == (answered, answered, john.id)
    assert (farsi.reply_to_id, farsi.customer_id) == (tagged, ali.id)


def test_a_hard_bounce_marks_the_message_bounced_and_suppresses_the_address(payvand, runtime, make_customer):
    customer = make_customer(emails=[{"value": "nobody@example.com"}])
    sent = _outbound(runtime, customer.id, "<out-1001.abc@payvand.test>", "nobody@example.com")
    result = payvand("mail", "ingest", str(CORPUS / "19_dsn_hard_bounce.eml"), str(CORPUS / "20_dsn_temporary_failure.eml"))
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("bounce <out-1001.abc@payvand.test>") and "bounced (permanent): 5.1.1" in lines[0]
    assert lines[1].startswith("bounce for an unknown message <out-2002.def@payvand.test>")
    with runtime.sessionmaker() as session:
        row = session.get(Message, sent)
        assert row.status == "bounced"
        assert session.scalars(sa.select(Suppression.address).where(Suppression.channel == "email")).all() == \
            ["nobody@example.com"]
    assert _inbound(runtime) == []  # a bounce is a receipt, not a customer's message


def test_auto_replies_and_bulk_mail_are_recorded_without_firing_the_hook_and_loops_are_not_recorded(payvand, runtime):
    names = ["15_auto_reply_out_of_office_persian.eml", "16_auto_reply_x_autoreply.eml",
             "17_bulk_newsletter_list.eml", "18_loop_from_our_own_address.eml"]
    result = payvand("mail", "ingest", *(str(CORPUS / name) for name in names))
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert [line.split(" <")[0] for line in lines] == ["ignored automatic"] * 4
    assert lines[3].startswith("ignored automatic <loop-0003@payvand.test> [")
    assert lines[3].endswith("]: sent from our own address (loop): not recorded")
    assert len(_inbound(runtime)) == 3 and _hooked_ids(runtime) == []
    with runtime.sessionmaker() as session:  # our own mail never makes us a customer
        assert session.scalar(sa.select(CustomerEmail.id).where(CustomerEmail.email == "crm@payvand.test")) is None


def test_a_maildir_is_ingested_with_attachments_and_rejections_give_exit_status_65(payvand, runtime, tmp_path):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for name in ("21_oversized_attachment.eml", "22_inline_image_related.eml", "26_no_sender_rejected.eml"):
        box.add((CORPUS / name).read_bytes())
    result = payvand("mail", "ingest", str(tmp_path / "Maildir"))
    assert result.exit_code == 65
    kinds = sorted(line.split(" ")[0] for line in result.stdout.strip().splitlines())
    assert kinds == ["recorded", "recorded", "rejected"]
    assert "rejected" in result.stdout and "no sender address (From) could be read" in result.stdout
    with runtime.sessionmaker() as session:
        files = {(a.filename, a.content_type, a.content_id) for a in session.scalars(sa.select(MessageAttachment))}
    # the 3 KB PDF is under the default 10 MB limit here; the inline image keeps its Content-ID
    assert files == {("contract-scan.pdf", "application/pdf", None), ("photo.png", "image/png", None),
                     ("broken.png", "image/png", "part1.broken@example.ir")}


def test_the_attachment_limit_comes_from_the_configuration(payvand, runtime, tmp_path):
    url = runtime.config["PAYVAND_DATABASE_URL"]
    result = CliRunner().invoke(
        cli, ["--instance", str(tmp_path / "instance"), "--database-url", url, "mail", "ingest",
              str(CORPUS / "21_oversized_attachment.eml")],
        env={"PAYVAND_MAIL_MAX_ATTACHMENT_BYTES": "2048"}, catch_exceptions=False)
    assert result.exit_code == 0
    assert "contract-scan.pdf dropped: 3059 bytes, larger than the 2048 bytes limit" in result.stdout
    [row] = _inbound(runtime)
    assert "contract-scan.pdf dropped" in row.headers["transport"]["X-Payvand-Dropped"]


def test_the_whole_corpus_ingests_and_a_second_run_records_nothing_new(payvand, runtime):
    first = payvand("mail", "ingest", str(CORPUS))
    assert first.exit_code == 65  # the corpus holds one message without a sender
    recorded = len(_inbound(runtime))
    assert recorded == len([line for line in first.stdout.splitlines()
                            if line.startswith(("recorded", "ignored automatic")) and "not recorded" not in line])
    second = payvand("mail", "ingest", str(CORPUS))
    assert len(_inbound(runtime)) == recorded
    assert not [line for line in second.stdout.splitlines()
                if line.startswith(("recorded", "ignored automatic")) and "not recorded" not in line]
