"""The sales and service plugins' KPI widgets on the dashboard: revenue, average order value and
pipeline by stage (sales); SLA achievement, CSAT and NPS (service). The same numbers on SQLite and
PostgreSQL (every test runs on both)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

import payvand.plugins.analytics as analytics
import payvand.plugins.sales as sales
import payvand.plugins.service as service
from payvand.plugins.analytics.services import periods
from payvand.plugins.sales.models import Deal
from payvand.plugins.sales.services import pipeline as pipelines
from payvand.plugins.service.models import Calendar, SlaPolicy, Ticket
from payvand.plugins.service.models_nps import NpsResponse
from payvand.plugins.service.services import csat
from payvand.sdk import SYSTEM, kpi_widgets, utcnow
from tests.analytics.orders import add_orders


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """Sales, service and analytics."""
    return [sales, service, analytics]


def _figures(app: Any, first: dt.date, last: dt.date, compare: tuple[dt.date, dt.date] | None = None) -> dict[str, Any]:
    with app.test_request_context():
        period = periods.make_period(first, last, "gregorian")
        comparison = periods.make_period(*compare, "gregorian") if compare else None
        return {w.key: w.compute(SYSTEM, period, comparison) for _, w in kpi_widgets(SYSTEM)}


def test_revenue_and_average_order_value_per_month(app, db_session, make_customer):
    a, b = make_customer().id, make_customer().id
    add_orders(db_session, [(a, "2026-02-03", "100"), (b, "2026-03-05", "50"), (b, "2026-03-20", "30"),
                            (a, "2026-04-01", "999")])
    add_orders(db_session, [(a, "2026-03-07", "5")], currency="EUR")
    found = _figures(app, dt.date(2026, 2, 1), dt.date(2026, 3, 31), (dt.date(2026, 1, 1), dt.date(2026, 1, 31)))
    revenue = found["sales.revenue"]
    assert (revenue.value, revenue.currency, list(revenue.labels), list(revenue.series[0].data)) == (
        180.0, "IRR", ["2026/02", "2026/03"], [100.0, 80.0])
    assert revenue.previous == 0 and "EUR" in revenue.note
    assert found["sales.average_order_value"].value == 60.0


def test_pipeline_by_stage_counts_the_open_deals(app, db_session):
    pipeline = pipelines.ensure_default_pipeline(db_session)
    stages = sorted(pipeline.stages, key=lambda s: s.position)
    db_session.add_all([Deal(title="a", pipeline_id=pipeline.id, stage_id=stages[0].id, amount=Decimal(100)),
                        Deal(title="b", pipeline_id=pipeline.id, stage_id=stages[0].id, amount=Decimal(50)),
                        Deal(title="c", pipeline_id=pipeline.id, stage_id=stages[1].id, amount=Decimal(200)),
                        Deal(title="lost", pipeline_id=pipeline.id, stage_id=stages[1].id, amount=Decimal(1000),
                             status="lost")])
    db_session.commit()
    found = _figures(app, dt.date(2026, 1, 1), dt.date(2026, 1, 31))["sales.pipeline_by_stage"]
    assert list(found.labels) == [stages[0].name, stages[1].name]
    assert list(found.series[0].data) == [150.0, 200.0] and found.value == 350.0
    assert list(found.series[1].data) == [150 * stages[0].probability / 100, 200 * stages[1].probability / 100]


def test_sla_csat_and_nps_over_the_period(app, db_session, make_customer):
    customer = make_customer()
    calendar = Calendar(name="Office", timezone="Asia/Tehran", schedule={}, holidays=[], is_default=True)
    db_session.add(calendar)
    db_session.flush()
    policy = SlaPolicy(name="Std", resolution_minutes=60, calendar_id=calendar.id)
    db_session.add(policy)
    db_session.flush()
    opened = dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC)
    due = opened + dt.timedelta(hours=1)
    db_session.add_all([
        Ticket(customer_id=customer.id, subject=f"t{n}", status="solved", sla_policy_id=policy.id, created_at=opened,
               priority="normal", resolution_due_at=due, solved_at=due + dt.timedelta(minutes=m))
        for n, m in enumerate((-10, -5, 30))])
    db_session.flush()
    now = utcnow()
    rated = [Ticket(customer_id=customer.id, subject=f"r{n}") for n in range(3)]
    db_session.add_all(rated)
    db_session.flush()
    for ticket, score in zip(rated, (5, 4, 2), strict=True):
        csat.record(db_session, ticket, score, "")
    db_session.add_all([NpsResponse(campaign="q1", customer_id=customer.id, score=10, answered_at=now),
                        NpsResponse(campaign="q2", customer_id=customer.id, score=9, answered_at=now),
                        NpsResponse(campaign="q3", customer_id=customer.id, score=3, answered_at=now),
                        NpsResponse(campaign="q4", customer_id=customer.id, score=8, answered_at=now)])
    db_session.commit()
    march = _figures(app, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    sla = march["service.sla_achievement"]
    assert sla.value == 66.7 and ["normal", 3, None, 66.7, 0] in [list(row) for row in sla.rows]
    today = now.date()
    recent = _figures(app, today - dt.timedelta(days=2), today + dt.timedelta(days=1))
    assert recent["service.csat"].value == round(11 / 3, 2)
    assert recent["service.nps"].value == 25.0  # (2 promoters − 1 detractor) / 4
