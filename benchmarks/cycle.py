"""The e-CRM cycle of the analytics plugin (`cycle.run_cycle`) against its previous statement form (SQLite or PostgreSQL).

Uses the recommendations benchmark's database (built once and cached in benchmarks/.data/: every
customer with about two orders of 2-3 lines over 2024-2025; 100,000 customers give about 520,000
order lines). `run_cycle` at `--end` (default 2025-12-20: 24 check days, the month ends of the last
12 Gregorian and Jalali months), the site's zone UTC, runs twice in the same process, each rolled
back:

- `before`: with the previous statement form of the working set (`previous_fill` below, kept here
  only): the check days joined to every customer-day (`days.day <= check.d`) and to every
  customer-day-product of the two years before each check, both grouped with `count(DISTINCT)`,
  in one `INSERT … SELECT` into `analytics_tmp_cycle`;
- `after`: the plugin's `_fill`: each customer's changes (purchase days, their spend moving from
  the last year to the year before, each product's 365-day windows) summed by running window sums
  over the customer's days sorted once into a state table, then one `INSERT … SELECT` per check
  day of the state rows that hold at it.

Each reports the whole run (wall, CPU) and the working set alone (`fill`; `statement`: the
statements that replace the one profiled `INSERT … SELECT`, timed by SQLAlchemy cursor events).
Compared: every row of `analytics_tmp_cycle` (`same_working_set`, by a digest of the rows sorted
by check day and customer), the run's results (`same_results`: counts, flows, funnel) and the
stored stages (`same_stored_stages`). CPU is the client's (`os.times`); on PostgreSQL the
backend's CPU is added from `/proc` when the server runs on this machine (parallel workers not
included).

With `--database-url postgresql+psycopg://...` the SQLite build is copied into that database once
(`rfm.prepare`: its `public` schema replaced, labelled by a comment, reused after) and measured
there. Prints JSON.

    python benchmarks/cycle.py --customers 100000
    python benchmarks/cycle.py --customers 100000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/db
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from _dataset import log, machine
from rfm import dataset_app


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def _backend_cpu(session: Any) -> float | None:
    """Seconds of CPU of the session's PostgreSQL backend (from /proc), or None (SQLite, remote server)."""
    import sqlalchemy as sa

    if session.get_bind().dialect.name != "postgresql":
        return None
    pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def previous_fill(subquery: Any, currency: str, checks: list[int], until: dt.datetime) -> None:
    """The working set as the plugin computed it before (the profiled statement form), into the same
    temporary tables: the check days joined to every customer-day and customer-day-product."""
    import sqlalchemy as sa

    from payvand.plugins.analytics.services import cycle
    from payvand.sdk import session

    _AT, _BOUGHT, YEAR_DAYS = cycle._AT, cycle._BOUGHT, cycle.YEAR_DAYS  # noqa: N806
    if not cycle.fill_customers_and_purchases(subquery, currency, until):  # the same start as the plugin's
        return
    db = session()
    days = (sa.select(_BOUGHT.c.cid, _BOUGHT.c.day, sa.func.sum(_BOUGHT.c.amount).label("amount"))
            .group_by(_BOUGHT.c.cid, _BOUGHT.c.day).subquery("days"))
    items = (sa.select(_BOUGHT.c.cid, _BOUGHT.c.day, _BOUGHT.c.product).where(_BOUGHT.c.product.is_not(None))
             .subquery("items"))
    check = sa.union_all(*(sa.select(sa.literal_column(str(int(d)), sa.Integer).label("d")) for d in checks)) \
        .subquery("checks")
    last_year = sa.and_(days.c.day > check.c.d - YEAR_DAYS)
    year_before = sa.and_(days.c.day > check.c.d - 2 * YEAR_DAYS, days.c.day <= check.c.d - YEAR_DAYS)
    spend = (sa.select(check.c.d, days.c.cid, sa.func.count().label("n"), sa.func.min(days.c.day).label("first"),
                       sa.func.max(days.c.day).label("last"),
                       sa.func.sum(sa.case((last_year, days.c.amount), else_=0.0)).label("spend_last"),
                       sa.func.sum(sa.case((year_before, days.c.amount), else_=0.0)).label("spend_before"))
             .select_from(check.join(days, days.c.day <= check.c.d))
             .group_by(check.c.d, days.c.cid).subquery("spend"))
    item_last = sa.case((items.c.day > check.c.d - YEAR_DAYS, items.c.product))
    item_before = sa.case((items.c.day <= check.c.d - YEAR_DAYS, items.c.product))
    products = (sa.select(check.c.d, items.c.cid, sa.func.count(sa.distinct(item_last)).label("p_last"),
                          sa.func.count(sa.distinct(item_before)).label("p_before"))
                .select_from(check.join(items, sa.and_(items.c.day <= check.c.d,
                                                       items.c.day > check.c.d - 2 * YEAR_DAYS)))
                .group_by(check.c.d, items.c.cid).subquery("products"))
    end = max(checks)
    owned = (sa.select(items.c.cid, sa.func.count(sa.distinct(items.c.product)).label("p_all"))
             .where(items.c.day <= end).group_by(items.c.cid).subquery("owned"))
    p_last, p_before = sa.func.coalesce(products.c.p_last, 0), sa.func.coalesce(products.c.p_before, 0)
    stage = sa.case(
        (spend.c.n == 1, "acquisition"),
        (sa.and_(spend.c.d - spend.c.first >= YEAR_DAYS,
                 sa.or_(spend.c.spend_last > spend.c.spend_before, p_last > p_before)), "expansion"),
        else_="retention")
    db.execute(sa.insert(_AT).from_select(
        ["d", "cid", "stage", "n", "last_day", "spend_last", "spend_before", "products"],
        sa.select(spend.c.d, spend.c.cid, stage, spend.c.n, spend.c.last, spend.c.spend_last, spend.c.spend_before,
                  sa.case((spend.c.d == end, sa.func.coalesce(owned.c.p_all, 0)), else_=None))
        .select_from(spend.outerjoin(products, sa.and_(products.c.d == spend.c.d, products.c.cid == spend.c.cid))
                     .outerjoin(owned, sa.and_(spend.c.d == end, owned.c.cid == spend.c.cid)))))


#: The statements that compute the working set from the grouped facts (the previous form: one).
_WORKING_SET = ("INSERT INTO analytics_tmp_cycle ", "INSERT INTO analytics_tmp_cycle_days",
                "INSERT INTO analytics_tmp_cycle_items", "INSERT INTO analytics_tmp_cycle_state")


def measure(runtime: Any, end: dt.date, fill: Any) -> dict[str, Any]:
    """`run_cycle(end)` with `fill` as the working set's computation, rolled back: times, digests."""
    import sqlalchemy as sa

    from payvand.core.db import bind_session
    from payvand.plugins.analytics.models import CustomerStage
    from payvand.plugins.analytics.services import cycle

    figures: dict[str, Any] = {"statement_seconds": 0.0}
    started: list[float] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started.append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        took = time.perf_counter() - started.pop()
        if statement.lstrip().startswith(_WORKING_SET):
            figures["statement_seconds"] += took

    def timed_fill(*args: Any) -> None:
        t0, c0 = time.perf_counter(), _cpu()
        b0 = _backend_cpu(cycle.session())
        fill(*args)
        figures["fill_seconds"], figures["fill_cpu_seconds"] = time.perf_counter() - t0, _cpu() - c0
        b1 = _backend_cpu(cycle.session())
        figures["fill_backend_cpu_seconds"] = None if b0 is None or b1 is None else b1 - b0
        s0, sc0 = time.perf_counter(), _cpu()
        at = cycle._AT.c
        digest, rows = hashlib.sha256(), 0
        for row in cycle.session().execute(sa.select(at.d, at.cid, at.stage, at.n, at.last_day, at.spend_last,
                                                     at.spend_before, at.products).order_by(at.d, at.cid)):
            digest.update(repr(tuple(row)).encode())
            rows += 1
        figures["working_set_rows"], figures["working_set_digest"] = rows, digest.hexdigest()
        figures["excluded"] = (time.perf_counter() - s0, _cpu() - sc0)

    engine = runtime.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    original = cycle._fill
    cycle._fill = timed_fill
    try:
        with runtime.sessionmaker() as session, bind_session(session):
            b0 = _backend_cpu(session)
            t0, c0 = time.perf_counter(), _cpu()
            run = cycle.run_cycle(end)
            session.flush()
            wall, cpu = time.perf_counter() - t0, _cpu() - c0
            b1 = _backend_cpu(session)
            results = json.dumps(run.results, sort_keys=True)
            stored = sorted(tuple(row) for row in session.execute(
                sa.select(CustomerStage.customer_id, CustomerStage.stage, CustomerStage.purchase_days,
                          CustomerStage.products, CustomerStage.spend_last_year, CustomerStage.spend_year_before)
                .where(CustomerStage.run_id == run.id)))
            session.rollback()
    finally:
        cycle._fill = original
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
    excluded_wall, excluded_cpu = figures.pop("excluded")
    return {
        "run_seconds": round(wall - excluded_wall, 2), "run_cpu_seconds": round(cpu - excluded_cpu, 2),
        "run_backend_cpu_seconds": None if b0 is None or b1 is None else round(b1 - b0, 2),
        "fill_seconds": round(figures["fill_seconds"], 2), "fill_cpu_seconds": round(figures["fill_cpu_seconds"], 2),
        "fill_backend_cpu_seconds": (None if figures["fill_backend_cpu_seconds"] is None
                                     else round(figures["fill_backend_cpu_seconds"], 2)),
        "statement_seconds": round(figures["statement_seconds"], 2),
        "working_set_rows": figures["working_set_rows"], "working_set_digest": figures["working_set_digest"],
        "results": results, "stored": stored, "stages": run.results["stages"],
    }


def main() -> None:
    """Build or reuse the database, run the cycle with the previous and the current working set; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--end", default="2025-12-20", help="the cycle's end (a local day)")
    parser.add_argument("--database-url", default=os.environ.get("PAYVAND_BENCH_DATABASE_URL"),
                        help="PostgreSQL to copy the dataset into and measure")
    parser.add_argument("--only", choices=("before", "after"), default=None, help="measure one form only")
    args = parser.parse_args()
    app, _ = dataset_app(args.customers, args.database_url, "cycle-instance", "UTC")

    import sqlalchemy as sa

    from payvand.core.db import bind_session
    from payvand.plugins.analytics.services import cycle

    runtime = app.extensions["payvand"]
    dialect = "postgresql" if args.database_url else "sqlite"
    end = dt.date.fromisoformat(args.end)
    with runtime.sessionmaker() as session, bind_session(session):
        lines = session.scalar(sa.text("SELECT count(*) FROM sales_order_line"))  # also warms the cache
        session.scalar(sa.text("SELECT count(*) FROM sales_order"))
    measured: dict[str, dict[str, Any]] = {}
    for name, fill in (("before", previous_fill), ("after", cycle._fill)):
        if args.only in (None, name):
            log(f"{dialect}: {name}")
            measured[name] = measure(runtime, end, fill)
            log(f"{name}: run {measured[name]['run_seconds']} s, fill {measured[name]['fill_seconds']} s")
    both = len(measured) == 2

    def same(key: str) -> bool | None:
        return measured["before"][key] == measured["after"][key] if both else None

    comparison = {"same_working_set": same("working_set_digest"), "same_results": same("results"),
                  "same_stored_stages": same("stored")}
    for figures in measured.values():
        figures.pop("results")
        figures["stored_stages"] = len(figures.pop("stored"))
    print(json.dumps({
        "benchmark": "cycle", "database": dialect, "customers": args.customers, "lines": lines,
        "end": end.isoformat(), "zone": "UTC", **measured, **comparison,
        "speedup_run": round(measured["before"]["run_seconds"] / measured["after"]["run_seconds"], 2) if both else None,
        "speedup_fill": round(measured["before"]["fill_seconds"] / measured["after"]["fill_seconds"], 2) if both else None,
        "load_average": list(os.getloadavg()),
        "baseline": "the same run_cycle with the previous statement form of the working set (check days joined to"
                    " every customer-day and customer-day-product, grouped with count(DISTINCT); kept in this"
                    " script only), same process, measured first; CPU is the client's, the backend's apart on"
                    " PostgreSQL (from /proc)",
        "machine": machine(),
    }))


if __name__ == "__main__":
    main()
