"""Queueing and sending: consent, addresses, suppression, idempotency, throttling, quiet hours, results."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from payvand.core.messaging import dispatch
from payvand.core.models import Interaction
from payvand.core.models.message import Message, Suppression
from payvand.sdk import CustomerInactive, MessageRefused, MessageRequest, send_message, send_messages

PHONE = "09121234567"


def messages(runtime: Any) -> list[Message]:
    with runtime.sessionmaker() as session:
        return list(session.scalars(sa.select(Message).order_by(Message.id)))


def test_a_service_message_is_queued_in_the_transaction_and_sent_after_it(
        runtime, in_app, make_customer, fake_channel, run_jobs):
    customer = make_customer(phones=[{"value": PHONE}])
    with in_app():
        queued = send_message(customer.id, "fake", body="Your ticket was answered", purpose="service")
    assert queued.status == "queued" and queued.reference.startswith(f"<payvand.{queued.id}.")
    assert fake_channel.sent == []  # not before the dispatcher runs
    run_jobs()
    [sent] = fake_channel.sent
    assert (sent.address, sent.body, sent.reference) == ("+989121234567", "Your ticket was answered", queued.reference)
    [row] = messages(runtime)
    assert (row.status, row.provider_id, row.attempts) == ("sent", f"fake-{row.id}", 1) and row.sent_at
    with runtime.sessionmaker() as session:
        interaction = session.get(Interaction, row.interaction_id)
        assert (interaction.direction, interaction.channel, interaction.kind) == ("outbound", "fake", "core.message")
        assert interaction.payload["status"] == "sent" and interaction.payload["message_id"] == row.id


def test_a_rolled_back_transaction_sends_nothing(runtime, in_app, make_customer, fake_channel, run_jobs):
    customer = make_customer(phones=[{"value": PHONE}])
    with pytest.raises(RuntimeError), in_app():
        send_message(customer.id, "fake", body="x", purpose="service")
        raise RuntimeError("the caller fails after queueing")
    run_jobs()
    assert messages(runtime) == [] and fake_channel.sent == []


def test_marketing_without_consent_is_refused_and_recorded(runtime, in_app, make_customer, fake_channel, run_jobs):
    customer = make_customer(phones=[{"value": PHONE}])
    with in_app():
        with pytest.raises(MessageRefused) as refused:
            send_message(customer.id, "fake", body="Sale!", purpose="marketing.newsletter")
    assert refused.value.code == "no_consent" and refused.value.message_id
    run_jobs()
    [row] = messages(runtime)
    assert row.status == "refused" and fake_channel.sent == []
    with runtime.sessionmaker() as session:
        assert session.get(Interaction, row.interaction_id).payload["status"] == "refused"


def test_marketing_follows_the_latest_consent_row(runtime, in_app, make_customer, fake_channel, run_jobs, no_quiet_hours):
    granted = make_customer(phones=[{"value": PHONE}], consents=[{"channel": "fake", "granted": True}])
    withdrawn = make_customer(phones=[{"value": "09121234560"}], consents=[{"channel": "fake", "granted": True}])
    from payvand.core.models import CustomerConsent
    with runtime.sessionmaker.begin() as session:
        session.add(CustomerConsent(customer_id=withdrawn.id, channel="fake", purpose="marketing", granted=False,
                                    recorded_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)))
    with in_app():
        results = send_messages([MessageRequest(c.id, "fake", "marketing", body="Sale") for c in (granted, withdrawn)])
    assert [(r.status, r.refused) for r in results] == [("queued", None), ("refused", "no_consent")]
    run_jobs()
    assert [m.address for m in fake_channel.sent] == ["+989121234567"]


def test_service_and_transactional_need_no_consent(in_app, make_customer, fake_channel):
    customer = make_customer(phones=[{"value": PHONE}], consents=[{"channel": "fake", "granted": False}])
    with in_app():
        assert send_message(customer.id, "fake", body="a", purpose="service").status == "queued"
        assert send_message(customer.id, "fake", body="b", purpose="transactional").status == "queued"


def test_no_address_suppressed_disabled_and_unknown_channels_are_refused(runtime, in_app, make_customer, fake_channel):
    nobody = make_customer()
    suppressed = make_customer(phones=[{"value": PHONE}])
    with runtime.sessionmaker.begin() as session:
        session.add(Suppression(channel="fake", address="+989121234567", reason="hard bounce"))
    with in_app():
        results = send_messages([MessageRequest(nobody.id, "fake", "service", body="x"),
                                 MessageRequest(suppressed.id, "fake", "service", body="x")])
        assert [r.refused for r in results] == ["no_address", "suppressed"]
        with pytest.raises(MessageRefused) as unknown:
            send_message(suppressed.id, "pigeon", body="x", purpose="service")
        assert unknown.value.code == "unknown_channel"
        fake_channel.on = False
        with pytest.raises(MessageRefused) as disabled:
            send_message(suppressed.id, "fake", body="x", purpose="service")
        assert disabled.value.code == "channel_disabled"


def test_an_inactive_customer_gets_nothing(runtime, in_app, make_customer, fake_channel):
    customer = make_customer(phones=[{"value": PHONE}])
    from payvand.core.models import Customer
    with runtime.sessionmaker.begin() as session:
        session.get(Customer, customer.id).erased_at = dt.datetime.now(dt.UTC)
    with in_app(), pytest.raises(CustomerInactive):
        send_message(customer.id, "fake", body="x", purpose="service")


def test_the_same_idempotency_key_gives_one_message(runtime, in_app, make_customer, fake_channel, run_jobs):
    customer = make_customer(phones=[{"value": PHONE}])
    with in_app():
        first = send_message(customer.id, "fake", body="x", purpose="service", idempotency_key="order-1-mail")
        again = send_message(customer.id, "fake", body="x", purpose="service", idempotency_key="order-1-mail")
    with in_app():
        later = send_message(customer.id, "fake", body="x", purpose="service", idempotency_key="order-1-mail")
        [a, b] = send_messages([MessageRequest(customer.id, "fake", "service", body="y", idempotency_key="k2")] * 2)
    assert first.id == again.id == later.id and a.id == b.id
    run_jobs()
    assert len(fake_channel.sent) == 2 and len(messages(runtime)) == 2


def test_templates_render_in_the_sandbox_and_html_is_sanitised(runtime, in_app, make_customer, fake_channel, run_jobs):
    customer = make_customer(given_name="Sara", phones=[{"value": PHONE}])
    with in_app():
        send_message(customer.id, "fake", subject="Hi {{ customer.given_name }}",
                     body="Dear {{ customer.given_name }}, {{ amount }} due.",
                     html="<p onclick='x()'>{{ note }}</p><script>alert(1)</script>", purpose="service",
                     context={"amount": "1,000", "note": "<b>bold</b>"})
    [row] = messages(runtime)
    assert row.subject == "Hi Sara"
    assert row.body == "Dear Sara, 1,000 due."
    assert "<script" not in row.html and "onclick" not in row.html and "&lt;b&gt;" in row.html
    with in_app(), pytest.raises(ValueError, match="unsafe"):  # the sandbox refuses Python internals
        send_message(customer.id, "fake", body="{{ ''.__class__.__mro__ }}", purpose="service", context={})


def test_results_failed_and_retry_with_backoff(runtime, in_app, make_customer, fake_channel, run_jobs):
    bad = make_customer(phones=[{"value": "09121234569"}])
    busy = make_customer(phones=[{"value": "09121234568"}])
    with in_app():
        send_messages([MessageRequest(c.id, "fake", "service", body="x") for c in (bad, busy)])
    run_jobs()
    failed, retry = messages(runtime)
    assert (failed.status, failed.error) == ("failed", "unknown number")
    assert retry.status == "queued" and retry.attempts == 1 and "busy" in retry.error
    assert retry.next_attempt_at > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=50)
    run_jobs()
    assert len(fake_channel.sent) == 2  # the retry waits for its time
    dispatch.dispatch_due(runtime, retry.next_attempt_at + dt.timedelta(seconds=1))
    assert messages(runtime)[1].attempts == 2


def test_the_channel_rate_is_honoured(runtime, in_app, make_customer, fake_channel, run_jobs):
    runtime.config["PAYVAND_CHANNEL_FAKE_RATE"] = 10
    try:
        customers = [make_customer(phones=[{"value": f"0912123450{i}"}]) for i in range(7)]
        with in_app():
            send_messages([MessageRequest(c.id, "fake", "service", body="x") for c in customers for _ in range(5)])
        started = time.monotonic()
        dispatch.dispatch_due(runtime)
        elapsed = time.monotonic() - started
    finally:
        runtime.config.pop("PAYVAND_CHANNEL_FAKE_RATE")
    assert len(fake_channel.sent) == 35
    assert all(len(batch) <= 10 for batch in fake_channel.batches)
    assert elapsed >= 2.4  # 35 messages at 10/s: the last batch starts 2.5 s after the first


def test_quiet_hours_defer_marketing_to_their_end_in_the_customers_zone(runtime, in_app, make_customer, fake_channel):
    runtime.config["PAYVAND_QUIET_HOURS"] = "21:00-08:00"
    try:
        tehran = make_customer(phones=[{"value": PHONE}], consents=[{"channel": "fake", "granted": True}])
        london = make_customer(phones=[{"value": "09121234560"}], consents=[{"channel": "fake", "granted": True}],
                               timezone="Europe/London")
        with in_app():
            send_messages([MessageRequest(c.id, "fake", "marketing", body="Sale") for c in (tehran, london)])
            send_message(tehran.id, "fake", body="Your receipt", purpose="transactional")
        # The next 22:30 in Tehran (19:00 in London, 20:00 in its summer), after the messages were queued.
        now = dt.datetime.now(ZoneInfo("Asia/Tehran"))
        night = now.replace(hour=22, minute=30, second=0, microsecond=0)
        night += dt.timedelta(days=1) if night <= now else dt.timedelta()
        dispatch.dispatch_due(runtime, night.astimezone(dt.UTC) + dt.timedelta(minutes=1))
    finally:
        runtime.config["PAYVAND_QUIET_HOURS"] = "off"
    assert sorted(m.body for m in fake_channel.sent) == ["Sale", "Your receipt"]  # London's and the receipt
    deferred = [m for m in messages(runtime) if m.status == "queued"]
    assert [m.customer_id for m in deferred] == [tehran.id]
    morning = dt.datetime.combine(night.date() + dt.timedelta(days=1), dt.time(8), tzinfo=ZoneInfo("Asia/Tehran"))
    assert deferred[0].next_attempt_at == morning
    assert deferred[0].attempts == 0


def test_quiet_until_spans_midnight():
    zone = ZoneInfo("Asia/Tehran")
    window = dispatch.quiet_hours({"PAYVAND_QUIET_HOURS": "21:00-08:00"})
    at = dt.datetime(2026, 1, 1, 3, 0, tzinfo=zone)
    assert dispatch.quiet_until(at, zone, window) == dt.datetime(2026, 1, 1, 8, 0, tzinfo=zone)
    assert dispatch.quiet_until(dt.datetime(2026, 1, 1, 12, 0, tzinfo=zone), zone, window) is None
    assert dispatch.quiet_hours({"PAYVAND_QUIET_HOURS": "off"}) is None
