"""RFM on a crafted set: quintile scores, named segments, transitions between two scorings, customer fields."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from payvand.core.models import Customer
from payvand.plugins.analytics.models import CustomerRfm
from payvand.plugins.analytics.services import rfm
from tests.analytics.orders import add_orders


def test_every_score_combination_has_exactly_one_documented_segment():
    seen = {rfm.segment_of(r, f, m) for r, f, m in itertools.product(range(1, 6), repeat=3)}
    assert seen == set(rfm.SEGMENTS)
    assert rfm.segment_of(5, 5, 5) == "champions"
    assert rfm.segment_of(1, 1, 1) == "lost"
    assert rfm.segment_of(1, 5, 5) == "cant_lose"
    assert rfm.segment_of(5, 1, 1) == "new"


@pytest.fixture
def ten_customers(in_app, db_session, make_customer):
    """Customer k (1..10) bought k times, k days apart ending 10 - k days before 2024-06-30,
    spending 1,000 x k each time: the higher k, the more recent, frequent and valuable."""
    ids = [make_customer(given_name=f"K{k}").id for k in range(1, 11)]
    purchases = []
    end = dt.date(2024, 6, 30)
    for k, cid in enumerate(ids, start=1):
        last = end - dt.timedelta(days=10 - k)
        purchases += [(cid, (last - dt.timedelta(days=7 * j)).isoformat(), str(1000 * k)) for j in range(k)]
    add_orders(db_session, purchases)
    return ids


def test_rfm_scores_quintiles_in_sql_and_names_segments(ten_customers, db_session):
    run = rfm.run_rfm(rfm.RfmOptions(dt.date(2024, 1, 1), dt.date(2024, 6, 30)))
    db_session.commit()
    rows = {row.customer_id: row for row in db_session.scalars(sa.select(CustomerRfm).where(CustomerRfm.run_id == run.id))}
    assert run.customers == 10
    # ntile(5) over ten customers: two per quintile, in the crafted order.
    for k, cid in enumerate(ten_customers, start=1):
        row = rows[cid]
        score = (k + 1) // 2
        assert (row.r, row.f, row.m) == (score, score, score), k
        assert row.frequency == k
        assert row.recency_days == 10 - k  # whole days from the last purchase to the end of the period
        assert row.monetary == pytest.approx(1000 * k * k)
        assert row.segment == rfm.segment_of(score, score, score)
    assert run.results["segments"]["champions"] == 2 and run.results["segments"]["lost"] == 2
    attributes = db_session.scalars(sa.select(Customer.attributes).where(Customer.id == ten_customers[-1])).one()
    assert attributes == {**attributes, "analytics.rfm_segment": "champions", "analytics.rfm_score": "555"}


def test_transitions_count_the_moves_between_two_scorings(ten_customers, db_session):
    first = rfm.run_rfm(rfm.RfmOptions(dt.date(2024, 1, 1), dt.date(2024, 6, 30)))
    # Later, only the two least active customers buy again, a lot: they become the most recent and valuable.
    add_orders(db_session, [(cid, "2024-07-15", "500000") for cid in ten_customers[:2]] +
               [(cid, "2024-07-16", "500000") for cid in ten_customers[:2]])
    second = rfm.run_rfm(rfm.RfmOptions(dt.date(2024, 1, 1), dt.date(2024, 7, 31)))
    db_session.commit()
    matrix = rfm.transitions(first.id, second.id)
    assert sum(sum(row.values()) for row in matrix.values()) == 10
    assert matrix["lost"]["lost"] == 0  # both lost customers moved
    assert sum(matrix["lost"].values()) == 2
    assert set(matrix) == set(rfm.SEGMENTS)


def test_fields_are_merged_set_based_keeping_other_attributes_and_moving_the_version(ten_customers, db_session,
                                                                                     make_customer):
    keep = ten_customers[0]
    idle = make_customer(given_name="Idle").id  # bought nothing: left alone
    db_session.execute(sa.update(Customer).where(Customer.id == keep).values(
        attributes={"sales.segment": "vip", "analytics.rfm_segment": "champions"}))
    db_session.execute(sa.update(Customer).where(Customer.id == idle).values(attributes={"sales.segment": "idle"}))
    db_session.commit()
    versions = {cid: v for cid, v in db_session.execute(sa.select(Customer.id, Customer.version))}
    rfm.run_rfm(rfm.RfmOptions(dt.date(2024, 1, 1), dt.date(2024, 6, 30)))
    db_session.commit()
    db_session.expire_all()
    rows = {c.id: c for c in db_session.scalars(sa.select(Customer))}
    assert rows[keep].attributes == {"sales.segment": "vip", "analytics.rfm_segment": "lost",
                                     "analytics.rfm_score": "111"}
    assert rows[ten_customers[4]].attributes["analytics.rfm_score"] == "333"
    assert all(rows[cid].version == versions[cid] + 1 for cid in ten_customers)
    assert rows[idle].attributes == {"sales.segment": "idle"} and rows[idle].version == versions[idle]
    # Scored again with the same result: no customer is written (versions stay: open forms still save).
    changed = ten_customers[1]
    db_session.execute(sa.update(Customer).where(Customer.id == changed).values(
        attributes={**rows[changed].attributes, "analytics.rfm_score": "999"}))
    db_session.commit()
    versions = {cid: v for cid, v in db_session.execute(sa.select(Customer.id, Customer.version))}
    rfm.run_rfm(rfm.RfmOptions(dt.date(2024, 1, 1), dt.date(2024, 6, 30)))
    db_session.commit()
    after = dict(db_session.execute(sa.select(Customer.id, Customer.version)).all())
    assert {cid for cid in ten_customers if after[cid] != versions[cid]} == {changed}
    db_session.expire_all()
    assert db_session.get(Customer, changed).attributes["analytics.rfm_score"] == "111"


def _order_at(db_session, customer_id: int, at: dt.datetime, amount: str = "1000") -> None:
    from decimal import Decimal

    from payvand.plugins.sales.models import Order, OrderLine

    order = Order(number=f"L-{customer_id}-{at.isoformat()}", customer_id=customer_id, currency="IRR",
                  total=Decimal(amount), placed_at=at)
    order.lines.append(OrderLine(description="Item", quantity=Decimal(1), total=Decimal(amount)))
    db_session.add(order)


def test_purchase_days_and_the_period_are_the_sites_local_days(in_app, db_session, make_customer):
    """Tehran is UTC+3:30: 20:00 and 21:00 UTC on 1 March are 23:30 on 1 March and 00:30 on
    2 March there — two purchase days, though one UTC day; and 00:30 Tehran on the period's
    first day (21:00 UTC the day before) is inside the period."""
    two_days, edge, before = (make_customer(given_name=name).id for name in ("Two", "Edge", "Before"))
    utc = dt.UTC
    _order_at(db_session, two_days, dt.datetime(2025, 3, 1, 20, 0, tzinfo=utc))
    _order_at(db_session, two_days, dt.datetime(2025, 3, 1, 21, 0, tzinfo=utc))
    _order_at(db_session, edge, dt.datetime(2025, 1, 31, 21, 0, tzinfo=utc))  # 1 Feb, 00:30 in Tehran
    _order_at(db_session, before, dt.datetime(2025, 1, 31, 20, 0, tzinfo=utc))  # 31 Jan, 23:30 in Tehran
    db_session.commit()
    run = rfm.run_rfm(rfm.RfmOptions(dt.date(2025, 2, 1), dt.date(2025, 3, 31)))
    db_session.commit()
    rows = {row.customer_id: row for row in db_session.scalars(sa.select(CustomerRfm).where(CustomerRfm.run_id == run.id))}
    assert set(rows) == {two_days, edge}
    assert rows[two_days].frequency == 2
    # The period ends at midnight after 31 March in Tehran (20:30 UTC): 2 March 00:30 is 29 whole days before.
    assert rows[two_days].recency_days == 29
