"""Receiving: one record per message, customer matching and prospects, reply matching, the hook, receipts."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import sqlalchemy as sa

from messaging.channels import RECEIVED
from payvand.core.models import Customer, Interaction
from payvand.core.models.message import Message, MessageAttachment, MessageReceipt, Suppression
from payvand.sdk import (
    Attachment,
    DeliveryReceipt,
    InboundMessage,
    receive_messages,
    record_receipts,
    send_message,
    thread_tag,
)

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


def inbound(external_id: str, sender: str = "Sara@Example.com", **kwargs: Any) -> InboundMessage:
    kwargs.setdefault("subject", "Question")
    kwargs.setdefault("body", "Hello")
    return InboundMessage(channel=kwargs.pop("channel", "email"), external_id=external_id, sender=sender,
                          received_at=NOW, **kwargs)


@pytest.fixture(autouse=True)
def _clear_received():
    RECEIVED.clear()


def rows(runtime: Any, direction: str = "inbound") -> list[Message]:
    with runtime.sessionmaker() as session:
        return list(session.scalars(sa.select(Message).where(Message.direction == direction).order_by(Message.id)))


def test_a_known_sender_is_matched_and_the_message_recorded_once(runtime, in_app, make_customer, run_jobs):
    customer = make_customer(emails=[{"value": "sara@example.com"}])
    message = inbound("<m1@mail.example>", attachments=(Attachment("a.txt", b"hi", "text/plain"),))
    with in_app() as session:
        [received] = receive_messages(session, [message])
    assert received.customer_id == customer.id and not received.new_customer
    with in_app() as session:
        assert receive_messages(session, [message, message]) == []  # a re-read changes nothing
    [row] = rows(runtime)
    assert (row.status, row.address, row.thread_id) == ("received", "sara@example.com", row.id)
    with runtime.sessionmaker() as session:
        interaction = session.get(Interaction, row.interaction_id)
        assert (interaction.direction, interaction.channel, interaction.summary) == ("inbound", "email", "Question")
        assert interaction.payload["message_id"] == row.id
        assert session.scalar(sa.select(sa.func.count()).select_from(MessageAttachment)) == 1
    run_jobs()
    run_jobs()
    assert RECEIVED == [[(row.id, None, False)]]  # the hook, once


def test_an_unknown_sender_becomes_a_prospect_with_its_source(runtime, in_app):
    with in_app() as session:
        first, second = receive_messages(session, [inbound("<a@x>", "new@example.com", sender_name="Nima"),
                                                   inbound("<b@x>", "NEW@example.com")])
    assert first.new_customer and not second.new_customer and first.customer_id == second.customer_id
    with runtime.sessionmaker() as session:
        customer = session.get(Customer, first.customer_id)
        assert (customer.given_name, customer.lifecycle_stage) == ("Nima", "prospect")
        assert customer.attributes["source"] == "email inbound"


def test_a_phone_sender_is_matched_in_its_normal_form(runtime, in_app, make_customer):
    customer = make_customer(phones=[{"value": "09121234567"}])
    with in_app() as session:
        [received] = receive_messages(session, [inbound("sms-1", "+98 912 123 4567", channel="fake")])
    assert received.customer_id == customer.id


def test_automatic_messages_are_recorded_but_not_delivered_to_the_hook(runtime, in_app, make_customer, run_jobs):
    make_customer(emails=[{"value": "sara@example.com"}])
    with in_app() as session:
        receive_messages(session, [inbound("<auto@x>", automatic=True)])
    run_jobs()
    assert len(rows(runtime)) == 1 and RECEIVED == []


def test_a_reply_is_matched_by_its_references_and_keeps_the_source(runtime, in_app, make_customer, mail_sink, run_jobs):
    customer = make_customer(emails=[{"value": "sara@example.com"}])
    with in_app():
        ours = send_message(customer.id, "email", subject="Your ticket", body="We are on it", purpose="service",
                            source=("service.ticket", 42))
    run_jobs()
    with in_app() as session:
        [reply] = receive_messages(session, [inbound("<r1@x>", "someone-else@example.com", subject="Re: Your ticket",
                                                     replies_to=("<older@x>", ours.reference))])
    assert reply.reply_to_message_id == ours.id and (reply.source_type, reply.source_id) == ("service.ticket", "42")
    assert reply.customer_id == customer.id and not reply.new_customer  # the answered message's customer
    [row] = rows(runtime)
    assert row.thread_id == ours.id
    run_jobs()
    assert RECEIVED == [[(row.id, ours.id, False)]]


def test_a_reply_without_headers_is_matched_by_the_thread_tag_of_the_same_customer(runtime, in_app, make_customer,
                                                                                  mail_sink):
    customer = make_customer(emails=[{"value": "sara@example.com"}])
    stranger = make_customer(emails=[{"value": "eve@example.com"}])
    with in_app() as session:
        [first] = receive_messages(session, [inbound("<q1@x>")])
    with in_app():
        answer = send_message(customer.id, "email", subject="Re: Question", body="Answer", purpose="service",
                              reply_to=first.message_id)
    [out] = rows(runtime, "outbound")
    tag = thread_tag(first.message_id)
    assert out.subject == f"Re: Question {tag}" and out.thread_id == first.message_id
    assert out.headers["In-Reply-To"] == "<q1@x>" and out.address == "sara@example.com"
    with in_app() as session:
        tagged, forged = receive_messages(session, [
            inbound("<q2@x>", subject=f"Re: Re: Question {tag}"),
            inbound("<q3@x>", "eve@example.com", subject=f"Re: Question {tag}")])
    assert tagged.reply_to_message_id == answer.id and tagged.customer_id == customer.id
    assert forged.reply_to_message_id is None and forged.customer_id == stranger.id  # a tag is no key to others' threads


def test_two_concurrent_reads_of_one_message_record_it_once(runtime, app, make_customer, payvand_database):
    make_customer(emails=[{"value": "sara@example.com"}])
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            with app.app_context(), runtime.sessionmaker.begin() as session:
                barrier.wait(timeout=10)
                results.append(len(receive_messages(session, [inbound("<same@x>")])))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if payvand_database == "sqlite":  # SQLite serialises writers: the second may be refused as busy
        assert len(rows(runtime)) == 1
        return
    assert errors == [] and sorted(results) == [0, 1] and len(rows(runtime)) == 1


def test_two_concurrent_mails_from_one_unknown_sender_make_one_prospect(runtime, app, payvand_database):
    """Both transactions receive before either commits (each waits up to 1.5 s for the other):
    without the per-address lock both would find no customer and make a prospect each."""
    received_both = threading.Barrier(2)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def read(external_id: str) -> None:
        try:
            with app.app_context(), runtime.sessionmaker.begin() as session:
                [got] = receive_messages(session, [inbound(external_id, sender="New.Person@Example.com")])
                results.append((got.customer_id, got.new_customer))
                try:
                    received_both.wait(timeout=1.5)  # hold the transaction open while the other receives
                except threading.BrokenBarrierError:
                    pass  # the other waits for our lock: commit and let it go
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(f"<first-{n}@x>",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [], errors
    with runtime.sessionmaker() as session:
        prospects = list(session.scalars(sa.select(Customer.id)))
    assert len(prospects) == 1, prospects
    assert sorted(new for _, new in results) == [False, True]
    assert {customer_id for customer_id, _ in results} == set(prospects)
    assert len(rows(runtime)) == 2


def test_receipts_move_the_status_forward_only_and_a_hard_bounce_suppresses(runtime, in_app, make_customer, fake_channel,
                                                                            run_jobs):
    customer = make_customer(phones=[{"value": "09121234567"}])
    with in_app():
        queued = send_message(customer.id, "fake", body="x", purpose="service")
    run_jobs()
    later = NOW + dt.timedelta(minutes=5)
    with in_app() as session:
        assert record_receipts(session, [
            DeliveryReceipt("fake", f"fake-{queued.id}", "clicked", later),
            DeliveryReceipt("fake", queued.reference, "delivered", NOW),  # late, by our reference
            DeliveryReceipt("fake", "nobody", "delivered", NOW),
        ]) == 2
    [row] = rows(runtime, "outbound")
    assert row.status == "clicked"
    with in_app() as session:
        record_receipts(session, [DeliveryReceipt("fake", f"fake-{queued.id}", "bounced", later, "550 no such user",
                                                  permanent=True),
                                  DeliveryReceipt("fake", f"fake-{queued.id}", "opened", later)])
    with runtime.sessionmaker() as session:
        row = session.get(Message, queued.id)
        assert row.status == "bounced"  # final: the later `opened` did not move it
        assert session.get(Interaction, row.interaction_id).payload["status"] == "bounced"
        assert session.scalar(sa.select(sa.func.count()).select_from(MessageReceipt)) == 4
        assert session.scalars(sa.select(Suppression.address)).all() == ["+989121234567"]
