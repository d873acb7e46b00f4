"""Run retention: the newest runs and each month's newest (Gregorian and Jalali) are kept, the
others deleted with their per-customer rows; the nightly refresh and the CLI prune."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import sqlalchemy as sa
from click.testing import CliRunner

from payvand.core.cli import cli
from payvand.core.models import Setting
from payvand.plugins.analytics.models import CustomerRfm, Run
from payvand.plugins.analytics.services import refresh, retention
from tests.analytics.test_clv_cli import analytics_installed  # noqa: F401 - the fixture

UTC = dt.UTC
TEHRAN = zoneinfo.ZoneInfo("Asia/Tehran")


def _daily(first: dt.date, last: dt.date, kind: str = "rfm", start_id: int = 1) -> list[tuple[int, str, dt.datetime]]:
    """One run a day at noon UTC from `first` to `last`, ids in date order."""
    days = (last - first).days + 1
    return [(start_id + n, kind, dt.datetime.combine(first + dt.timedelta(days=n), dt.time(12), tzinfo=UTC))
            for n in range(days)]


def _day_of(runs: list[tuple[int, str, dt.datetime]], ids: set[int]) -> list[str]:
    return sorted(created.date().isoformat() for run_id, _, created in runs if run_id in ids)


def test_keeps_the_newest_runs_and_each_months_newest_in_both_calendars():
    runs = _daily(dt.date(2025, 1, 1), dt.date(2026, 3, 31))
    kept = retention.runs_to_keep(runs, dt.date(2026, 3, 31), recent=7, monthly=3, zone=UTC)
    assert _day_of(runs, kept) == [
        "2026-01-31",  # Gregorian January
        "2026-02-19",  # the last day of Bahman 1404
        "2026-02-28",  # Gregorian February
        "2026-03-20",  # the last day of Esfand 1404
        "2026-03-25", "2026-03-26", "2026-03-27", "2026-03-28", "2026-03-29", "2026-03-30",
        "2026-03-31",  # the seven newest (also the newest of March and of Farvardin 1405)
    ]


def test_each_kind_is_kept_on_its_own_and_the_newest_always_stays():
    runs = _daily(dt.date(2026, 3, 1), dt.date(2026, 3, 10), "rfm") + _daily(dt.date(2025, 6, 1), dt.date(2025, 6, 3), "clv", 100)
    kept = retention.runs_to_keep(runs, dt.date(2026, 3, 10), recent=0, monthly=0, zone=UTC)
    assert kept == {10, 102}  # nothing by either rule: only each kind's newest


def test_a_run_counts_in_the_month_of_its_local_day():
    # 22:00 UTC on 31 January is 01:30 on 1 February in Tehran: February's run there, January's in UTC.
    late = (1, "rfm", dt.datetime(2026, 1, 31, 22, tzinfo=UTC))
    early = (2, "rfm", dt.datetime(2026, 1, 20, 12, tzinfo=UTC))
    newest = (3, "rfm", dt.datetime(2026, 2, 10, 12, tzinfo=UTC))
    runs = [early, late, newest]
    in_utc = retention.runs_to_keep(runs, dt.date(2026, 2, 10), recent=1, monthly=2, zone=UTC)
    in_tehran = retention.runs_to_keep(runs, dt.date(2026, 2, 10), recent=1, monthly=2, zone=TEHRAN)
    # UTC: run 1 is January's newest. Tehran: run 1 is in February (run 3 is newer), so January's
    # newest is run 2. Run 2 is also Dey 1404's newest in both (20 January is 30 Dey).
    assert in_utc == {1, 2, 3}
    assert in_tehran == {2, 3}


def _rfm_run(db_session, created: dt.datetime, customers: list[int]) -> int:
    run = Run(kind="rfm", created_at=created, options={"start": "2025-01-01", "end": "2025-12-31"}, results={},
              report={}, customers=len(customers))
    db_session.add(run)
    db_session.flush()
    db_session.add_all(CustomerRfm(run_id=run.id, customer_id=c, recency_days=1, frequency=1, monetary=1.0,
                                   r=1, f=1, m=1, segment="lost") for c in customers)
    db_session.flush()
    return run.id


def test_prune_deletes_the_runs_not_kept_with_their_rows(in_app, db_session, make_customer):
    customers = [make_customer(given_name=f"C{n}").id for n in range(3)]
    first = dt.datetime(2026, 1, 10, 12, tzinfo=UTC)
    ids = [_rfm_run(db_session, first + dt.timedelta(days=n), customers) for n in range(12)]
    db_session.add(Setting(key=retention.SETTING_RECENT, value=3))
    db_session.add(Setting(key=retention.SETTING_MONTHLY, value=0))
    db_session.flush()
    deleted = retention.prune_runs(dt.date(2026, 1, 21))
    db_session.commit()
    assert deleted == {"rfm": 9}
    assert db_session.scalars(sa.select(Run.id).order_by(Run.id)).all() == ids[-3:]
    rows = db_session.execute(sa.select(CustomerRfm.run_id, sa.func.count()).group_by(CustomerRfm.run_id)
                              .order_by(CustomerRfm.run_id)).all()
    assert rows == [(run_id, 3) for run_id in ids[-3:]]  # the deleted runs' rows went with them


def test_the_nightly_refresh_prunes(in_app, db_session, make_customer):
    customer = make_customer(given_name="C").id
    old = [_rfm_run(db_session, dt.datetime(2024, 1, d, 12, tzinfo=UTC), [customer]) for d in range(1, 11)]
    db_session.commit()
    done = refresh.refresh(dt.date(2026, 1, 1))
    db_session.commit()
    assert done["pruned"] == {"rfm": 4}  # ten old runs + the new one: the seven newest stay, 2024 is out of 13 months
    kept = set(db_session.scalars(sa.select(Run.id).where(Run.kind == "rfm")))
    assert kept == {done["rfm"], *old[-6:]}


def test_prune_runs_from_the_cli(analytics_installed, payvand_database_url, db_session, make_customer):  # noqa: F811
    customer = make_customer(given_name="C").id
    for d in range(1, 10):
        _rfm_run(db_session, dt.datetime(2024, 1, d, 12, tzinfo=UTC), [customer])
    db_session.commit()
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "analytics", "prune-runs"])
    assert result.exit_code == 0, result.output
    assert "Deleted 2 rfm run(s)." in result.output
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Run)) == 7
