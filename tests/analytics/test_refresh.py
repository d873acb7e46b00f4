"""The nightly refresh and the demo hook: an RFM run and a CLV run over the instance's purchases."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from payvand.core.models import Customer
from payvand.plugins.analytics.models import Run
from payvand.plugins.analytics.services import refresh
from tests.analytics.orders import add_orders
from tests.analytics.test_clv_cli import simulated_purchases


def test_refresh_without_purchases_stores_nothing_and_says_why(in_app, db_session):
    done = refresh.refresh(dt.date(2024, 12, 31))
    assert done["clv"] == "there are no purchases yet"
    assert isinstance(done["rfm"], int)  # an empty scoring: no customer bought
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Run).where(Run.kind == "clv")) == 0


def test_refresh_and_demo_store_one_run_of_each_kind(in_app, db_session, make_customer):
    ids = [make_customer(given_name=f"C{n}").id for n in range(40)]
    add_orders(db_session, simulated_purchases(ids))
    made = refresh.demo(seed=1)
    referrals = made.pop("referrals")
    assert made == {"rfm runs": 1, "clv runs": 1, "cycle runs": 1, "costs runs": 1, "social runs": 1,
                    "marketing costs": 60}
    db_session.commit()
    kinds = db_session.scalars(sa.select(Run.kind).order_by(Run.id)).all()
    assert kinds == ["rfm", "clv", "cycle", "costs", "social"]
    referred = db_session.scalar(sa.select(sa.func.count()).select_from(Customer).where(Customer.referred_by_id.is_not(None)))
    assert referred == referrals > 0
    costs_run = db_session.scalars(sa.select(Run).where(Run.kind == "costs")).one()
    assert len(costs_run.results["periods"]) == 12  # the last twelve months (these purchases are older)
    clv_run = db_session.scalars(sa.select(Run).where(Run.kind == "clv")).one()
    assert clv_run.options["period"] == "week" and clv_run.options["holdout_end"]
    assert refresh.demo(seed=1) is None  # runs exist: the demo leaves them
    assert [job.name for job in refresh.jobs()] == ["analytics.refresh"]


def test_each_analysis_commits_on_its_own_so_a_later_failure_keeps_the_earlier_runs(
        in_app, db_session, make_customer, monkeypatch, runtime):
    import pytest

    ids = [make_customer(given_name=f"C{n}").id for n in range(40)]
    add_orders(db_session, simulated_purchases(ids))
    db_session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("social scoring broke")

    monkeypatch.setattr(refresh.social, "run_social", broken)
    with pytest.raises(RuntimeError, match="social scoring broke"):
        refresh.refresh(dt.date(2024, 12, 31))
    db_session.rollback()
    with runtime.sessionmaker() as other:  # what another connection sees: committed runs only
        kinds = other.scalars(sa.select(Run.kind).order_by(Run.id)).all()
    assert kinds == ["rfm", "clv", "cycle", "costs"]  # the recommendations keep their own table


def test_the_refresh_reports_each_steps_seconds(in_app, db_session):
    done = refresh.refresh(dt.date(2024, 12, 31))
    assert set(done["seconds"]) == {"rfm", "clv", "recommend", "cycle", "costs", "social", "pruned", "kpi_snapshots"}
    assert all(value >= 0 for value in done["seconds"].values())
