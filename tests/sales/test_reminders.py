"""Activity reminders: mailed once to the owner in their language, retried after a failure, and
shown in-app (start-page widget, badge count) when mail is off."""

from __future__ import annotations

import datetime as dt
import socket
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from payvand.plugins.sales.models import Activity
from payvand.plugins.sales.services import activities
from payvand.plugins.sales.services import pipeline as svc
from payvand.sdk import Actor, User

NOW = dt.datetime.now(dt.UTC)


_clock = [dt.datetime.now(dt.UTC)]


def _run(runtime, times=1):
    """Let the scheduler run its due jobs `times` times, each one job interval (5 minutes) later."""
    for _ in range(times):
        _clock[0] += dt.timedelta(seconds=301)
        assert "sales.activity_reminders" in runtime.job_runner.run_due_jobs(now=_clock[0])


def _plan(db_session, owner, subject, remind_in_minutes, **fields):
    made = activities.create_activity(db_session, {
        "subject": subject, "owner_id": owner.id, "due_at": NOW + dt.timedelta(hours=1),
        "remind_at": NOW + dt.timedelta(minutes=remind_in_minutes), **fields})
    db_session.commit()
    return made


def test_a_due_reminder_is_mailed_to_its_owner_once(runtime, db_session, make_user, make_customer, mail_sink):
    owner = make_user(email="rep@example.com", name="Rep")
    deal = svc.create_deal(db_session, {"title": "Routers for Pars", "customer_id": make_customer().id})
    due = _plan(db_session, owner, "Call Sara", -5, deal_id=deal.id)
    _plan(db_session, owner, "Later", 60, deal_id=deal.id)
    finished = _plan(db_session, owner, "Already done", -5, deal_id=deal.id)
    activities.complete_activity(db_session, finished)
    db_session.commit()
    _run(runtime, times=2)
    (message,) = mail_sink.to("rep@example.com")
    assert "Call Sara" in str(message["Subject"])
    body = message.get_body(("plain",)).get_content()
    assert f"/sales/deals/{deal.id}" in body and "Routers for Pars" in body
    db_session.expire_all()
    assert db_session.get(Activity, due.id).reminded_at is not None
    assert db_session.scalars(sa.select(Activity.reminded_at).where(Activity.subject == "Later")).one() is None


def test_the_reminder_is_in_the_owners_language_with_an_absolute_link(app, runtime, db_session, make_user,
                                                                      make_customer, mail_sink):
    owner = make_user(email="fa@example.com")
    db_session.get(User, owner.id).locale = "fa"
    db_session.commit()
    customer = make_customer(given_name="Sara")
    app.config["PAYVAND_BASE_URL"] = "https://crm.example.com/"
    try:
        _plan(db_session, owner, "تماس با سارا", -1, customer_id=customer.id)
        _run(runtime)
    finally:
        app.config.pop("PAYVAND_BASE_URL")
    (message,) = mail_sink.to("fa@example.com")
    assert str(message["Subject"]).startswith("یادآوری:")
    body = message.get_body(("plain",)).get_content()
    assert f"https://crm.example.com/customers/{customer.id}" in body and "موعد:" in body


def test_a_failed_send_leaves_the_reminder_for_the_next_run(app, runtime, db_session, make_user, mail_sink, caplog):
    owner = make_user(email="retry@example.com")
    made = _plan(db_session, owner, "Retry me", -1, customer_id=None, lead_id=None,
                 deal_id=svc.create_deal(db_session, {"title": "D"}).id)
    with socket.socket() as probe:  # a port with no server behind it
        probe.bind(("127.0.0.1", 0))
        dead = f"smtp://user:s3cret@127.0.0.1:{probe.getsockname()[1]}"
    working = runtime.config["PAYVAND_SMTP_URL"]
    runtime.config["PAYVAND_SMTP_URL"] = dead
    try:
        _run(runtime)
    finally:
        runtime.config["PAYVAND_SMTP_URL"] = working
    db_session.expire_all()
    assert db_session.get(Activity, made.id).reminded_at is None
    assert mail_sink.to("retry@example.com") == []
    assert "s3cret" not in caplog.text and f"activity {made.id}" in caplog.text
    _run(runtime)
    assert len(mail_sink.to("retry@example.com")) == 1
    db_session.expire_all()
    assert db_session.get(Activity, made.id).reminded_at is not None


def test_a_run_stops_after_three_failures_in_a_row_and_the_rest_wait(app, runtime, db_session, make_user, mail_sink,
                                                                    caplog):
    owner = make_user(email="many@example.com")
    deal_id = svc.create_deal(db_session, {"title": "D"}).id
    made = [_plan(db_session, owner, f"Reminder {n}", -1 - n, deal_id=deal_id) for n in range(5)]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"smtp://127.0.0.1:{probe.getsockname()[1]}"
    working = runtime.config["PAYVAND_SMTP_URL"]
    runtime.config["PAYVAND_SMTP_URL"] = dead
    try:
        with app.app_context():
            assert activities.deliver_reminders() == 0
    finally:
        runtime.config["PAYVAND_SMTP_URL"] = working
    assert caplog.text.count("not sent, will retry") == activities.MAX_FAILURES_IN_A_ROW == 3
    with app.app_context():
        assert activities.deliver_reminders() == 5
    db_session.commit()
    assert len(mail_sink.to("many@example.com")) == 5
    db_session.expire_all()
    assert all(db_session.get(Activity, a.id).reminded_at is not None for a in made)


def test_with_mail_off_reminders_stay_due_and_show_in_app(app, runtime, db_session, make_user):
    from payvand.plugins.sales.views.activities import badge_count

    owner = make_user(email="nomail@example.com", permissions=["sales.deal.view"])
    deal = svc.create_deal(db_session, {"title": "D"})
    made = _plan(db_session, owner, "Shown in app", -1, deal_id=deal.id)
    activities.create_activity(db_session, {"subject": "Overdue one", "owner_id": owner.id, "deal_id": deal.id,
                                            "due_at": NOW - dt.timedelta(days=2)})
    activities.create_activity(db_session, {"subject": "Next week", "owner_id": owner.id, "deal_id": deal.id,
                                            "due_at": NOW + dt.timedelta(days=7)})
    db_session.commit()
    _run(runtime)
    db_session.expire_all()
    assert db_session.get(Activity, made.id).reminded_at is None

    viewer = Actor.user(owner.id, "owner", permissions=frozenset({"sales.deal.view"}))
    with app.test_request_context("/"):
        widget = activities.reminders_widget(viewer)
        count = badge_count(viewer)
    assert "Overdue one" in widget.html and "Next week" not in widget.html
    tehran = ZoneInfo("Asia/Tehran")  # the test site's time zone
    assert count == 1 + ((NOW + dt.timedelta(hours=1)).astimezone(tehran).date() == NOW.astimezone(tehran).date())
    assert activities.reminders_widget(None) is None


def test_the_badge_count_counts_open_overdue_and_due_today_activities_only(db_session, make_user):
    owner = make_user()
    deal = svc.create_deal(db_session, {"title": "D"})
    for subject, days in (("Yesterday", -1), ("Tomorrow", 1), ("Next week", 7)):
        activities.create_activity(db_session, {"subject": subject, "owner_id": owner.id, "deal_id": deal.id,
                                                "due_at": NOW + dt.timedelta(days=days)})
    done = activities.create_activity(db_session, {"subject": "Done", "owner_id": owner.id, "deal_id": deal.id,
                                                   "due_at": NOW - dt.timedelta(days=2)})
    activities.complete_activity(db_session, done)
    db_session.commit()
    assert activities.reminder_count(db_session, owner.id, dt.UTC, now=NOW) == 1
    items, count = activities.due_soon(db_session, owner.id, dt.UTC, now=NOW)
    assert [a.subject for a in items] == ["Yesterday"] and count == 1
