"""The set-based SLA recompute (`hours_bulk`, `sla.recompute`) gives exactly the per-ticket moments.

Checked with hypothesis against `hours.add_business_minutes` (the per-ticket walk the service
used before, any microsecond) and the minute-by-minute walk of test_hours.py (an independent,
obviously right implementation, on whole-minute starts): across Nowruz, Fridays and Thursday
half days in Tehran, the spring and autumn DST changes in Berlin, holidays, odd schedules
(overlapping and back-to-back intervals, a day open until midnight) and zero minutes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from payvand.plugins.service.services import hours as bh
from payvand.plugins.service.services import hours_bulk
from tests.service.test_hours import naive_add

ODD_WEEK = {"1": [["09:00", "12:00"], ["11:00", "13:30"]], "2": [["00:00", "24:00"]], "3": [["22:00", "24:00"]],
            "4": [["00:00", "02:00"], ["02:00", "03:15"]], "5": [], "6": [["08:00", "16:00"]], "7": []}
CALENDARS = {
    "tehran": ("Asia/Tehran", bh.IRANIAN_WEEK, bh.IRANIAN_HOLIDAYS),
    "berlin": ("Europe/Berlin", bh.IRANIAN_WEEK, bh.IRANIAN_HOLIDAYS),
    "odd_berlin": ("Europe/Berlin", ODD_WEEK, [{"date": "2026-10-26", "calendar": "gregorian"}]),
    "odd_tehran": ("Asia/Tehran", ODD_WEEK, [{"date": "01-05", "calendar": "jalali", "yearly": True}]),
}


def _hours(name: str) -> bh.Hours:
    zone, week, holidays = CALENDARS[name]
    return bh.Hours.build(zone, week, holidays)


moments = st.datetimes(min_value=dt.datetime(2026, 3, 10), max_value=dt.datetime(2026, 11, 5))


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(CALENDARS)),
       starts=st.lists(moments, min_size=1, max_size=30),
       minutes=st.lists(st.integers(min_value=0, max_value=20_000), min_size=1, max_size=30))
def test_many_at_once_equals_the_per_ticket_walk(name, starts, minutes):
    """Any microsecond, any number of minutes (one array call for all): the walk's exact moments."""
    hours = _hours(name)
    zone = ZoneInfo(CALENDARS[name][0])
    begins = [s.replace(tzinfo=zone).astimezone(dt.UTC) for s in starts]
    wanted = [minutes[i % len(minutes)] for i in range(len(begins))]
    got = hours_bulk.from_us(hours_bulk.add_business_minutes_many(
        hours, hours_bulk.to_us(begins), np.array(wanted, dtype=np.int64)))
    assert got == [bh.add_business_minutes(hours, b, m) for b, m in zip(begins, wanted, strict=True)]


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(sorted(CALENDARS)),
       start=st.datetimes(min_value=dt.datetime(2026, 3, 15), max_value=dt.datetime(2026, 3, 31)),
       minutes=st.integers(min_value=0, max_value=1500))
def test_many_at_once_equals_the_minute_by_minute_walk(name, start, minutes):
    """Whole-minute starts across Nowruz and the spring DST change: the independent implementation's moment."""
    hours = _hours(name)
    begin = start.replace(second=0, microsecond=0, tzinfo=ZoneInfo(CALENDARS[name][0]))
    got = hours_bulk.add_business_minutes_many(hours, hours_bulk.to_us([begin]), np.array([minutes]))
    assert hours_bulk.from_us(got) == [naive_add(hours, begin, minutes)]


def test_a_calendar_without_open_hours_is_refused():
    hours = bh.Hours.build("Asia/Tehran", {})
    with pytest.raises(bh.HoursError):
        hours_bulk.add_business_minutes_many(hours, hours_bulk.to_us([dt.datetime(2026, 5, 1, tzinfo=dt.UTC)]),
                                             np.array([10]))


def test_recompute_writes_the_per_ticket_due_times(in_app):
    """`sla.recompute` over tickets of two policies (one with a pause) writes, for every unfinished
    ticket, the due times the per-ticket `set_due_times` gives, and leaves finished ones alone."""
    with in_app() as db_session:
        _recompute_and_check(db_session)


def _recompute_and_check(db_session):
    from payvand.core.models import Customer
    from payvand.plugins.service.models import Calendar, SlaPolicy, Ticket, TicketSla
    from payvand.plugins.service.services import sla

    calendar = Calendar(name="Bulk", timezone="Asia/Tehran", schedule=bh.IRANIAN_WEEK,
                        holidays=bh.IRANIAN_HOLIDAYS, is_default=True)
    db_session.add(calendar)
    db_session.flush()
    quick = SlaPolicy(name="Quick", position=0, priority="urgent", first_response_minutes=30,
                      resolution_minutes=240, calendar_id=calendar.id)
    slow = SlaPolicy(name="Slow", position=1, first_response_minutes=None, resolution_minutes=2400)
    customer = Customer(kind="person", display_name="Bulk", search_name="bulk", search_name_alt="bulk")
    db_session.add_all([quick, slow, customer])
    db_session.flush()
    start = dt.datetime(2026, 3, 17, 5, 7, 11, 123456, tzinfo=dt.UTC)
    tickets = []
    for number in range(40):
        policy = quick if number % 2 else slow
        tickets.append(Ticket(customer_id=customer.id, subject=f"t{number}", status="closed" if number % 7 == 0 else "open",
                              priority="urgent" if number % 2 else "normal", sla_policy_id=policy.id,
                              created_at=start + dt.timedelta(hours=13 * number, seconds=number),
                              paused_minutes=(number * 37) % 500, sla_breached=True))
    db_session.add_all(tickets)
    db_session.flush()
    done = sla.recompute(db_session, chunk=7)
    assert done == sum(1 for t in tickets if t.status != "closed")
    db_session.expire_all()
    for ticket in db_session.scalars(sa.select(Ticket).where(Ticket.id.in_([t.id for t in tickets]))):
        if ticket.status == "closed":
            assert ticket.sla_breached and ticket.resolution_due_at is None
            continue
        policy = db_session.get(SlaPolicy, ticket.sla_policy_id)
        expected = Ticket(created_at=ticket.created_at, paused_minutes=ticket.paused_minutes)
        sla.set_due_times(db_session, expected, policy)
        assert (ticket.first_response_due_at, ticket.resolution_due_at) == (
            expected.first_response_due_at, expected.resolution_due_at)
        assert not ticket.sla_breached and not ticket.sla_warned
    # again, nothing moved: nothing is written, a breach mark set since stays (no second escalation)
    open_ids = [t.id for t in tickets if t.status != "closed"]
    db_session.execute(sa.update(TicketSla).where(TicketSla.ticket_id == open_ids[0]).values(sla_breached=True))
    stats: dict[str, int] = {}
    assert sla.recompute(db_session, stats=stats) == len(open_ids) and stats == {"changed": 0}
    db_session.expire_all()
    assert db_session.get(Ticket, open_ids[0]).sla_breached
    # a calendar change moves the due times of the tickets under it, and only those are written
    calendar.schedule = {**bh.IRANIAN_WEEK, "6": [["09:00", "16:00"]]}
    db_session.flush()
    assert sla.recompute(db_session, calendar.id, stats=stats) == len(open_ids)  # the default calendar: all
    assert 0 < stats["changed"] < len(open_ids)
    db_session.expire_all()
    for ticket in db_session.scalars(sa.select(Ticket).where(Ticket.id.in_(open_ids))):
        expected = Ticket(created_at=ticket.created_at, paused_minutes=ticket.paused_minutes)
        sla.set_due_times(db_session, expected, db_session.get(SlaPolicy, ticket.sla_policy_id))
        assert (ticket.first_response_due_at, ticket.resolution_due_at) == (
            expected.first_response_due_at, expected.resolution_due_at)
