"""The analytics plugin's whole nightly refresh at scale (SQLite or PostgreSQL).

Uses the recommendations benchmark's database (as `rfm.py` does: built once and cached; 1,000,000
customers give about 5,000,000 order lines over two years), the site's zone Asia/Tehran. Starting
from no analytics run and no customer field, it runs `refresh.refresh` at the day of the last
purchase: RFM, lifetime value (90-day holdout), recommendations, the e-CRM cycle, costs, social
value, retention and the KPI snapshots, each committed on its own; each step's wall seconds come
from the refresh itself (the longest is how long SQLite's write lock can be held at once).

Baseline, in the same run: the raw floor every fact-reading step stands on, reading the
purchase facts once through the driver (`sqlite3` / psycopg: the sales plugin's facts query,
every line of an order neither cancelled nor returned, nothing computed), times the steps that read them (RFM, lifetime value,
recommendations, cycle, costs, social). No goal: issue 14 sets goals for the parts (`rfm.py`,
`clv_fit.py`, `recommendations.py`, `dashboard.py`); this measures that the whole job finishes at
scale and where its time goes. Prints JSON.

    python benchmarks/refresh.py                        # 1M customers, ~5M lines, SQLite
    python benchmarks/refresh.py --customers 100000
    python benchmarks/refresh.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/db
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import time

from _dataset import log, machine, psycopg_url
from rfm import _cpu, dataset_app

#: The refresh's steps that read the purchase facts (each at least once).
FACT_READERS = ("rfm", "clv", "recommend", "cycle", "costs", "social")

FACTS_SQL = ("SELECT o.customer_id, l.product_id, o.placed_at, l.quantity, l.total, o.currency"
             " FROM sales_order_line l JOIN sales_order o ON o.id = l.order_id"
             " WHERE o.status NOT IN ('cancelled', 'returned')")


def read_facts_raw(url: str) -> tuple[float, int]:
    """The facts read once through the raw driver: (seconds, rows)."""
    began = time.perf_counter()
    rows = 0
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.split("///", 1)[1]) as connection:
            for _ in connection.execute(FACTS_SQL):
                rows += 1
    else:
        import psycopg

        with psycopg.connect(psycopg_url(url)) as connection, connection.cursor(name="facts") as cursor:
            cursor.itersize = 10_000
            cursor.execute(FACTS_SQL)
            for _ in cursor:
                rows += 1
    return time.perf_counter() - began, rows


def main() -> None:
    """Reset the analytics state, time the raw floor and the refresh; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL to copy the dataset into and measure")
    args = parser.parse_args()
    app, url = dataset_app(args.customers, args.database_url, "refresh-instance", "Asia/Tehran")

    import sqlalchemy as sa

    from payvand.core.db import bind_session
    from payvand.plugins.analytics.services import facts, refresh

    runtime = app.extensions["payvand"]
    with runtime.sessionmaker() as session, bind_session(session):
        subquery = facts.purchase_facts()
        assert subquery is not None
        last = session.scalar(sa.select(sa.func.max(subquery.c.occurred_at)))
        today = (last if isinstance(last, dt.datetime) else dt.datetime.fromisoformat(str(last))).date()
        lines = session.scalar(sa.text("SELECT count(*) FROM sales_order_line"))
        session.execute(sa.text("DELETE FROM analytics_run"))  # every kind's rows go by the cascades
        session.execute(sa.text("UPDATE core_customer SET attributes = '{}' WHERE attributes IS NOT NULL"
                                " AND CAST(attributes AS TEXT) <> '{}'"))
        session.commit()
    log("the raw floor: the facts read once")
    floor_seconds, fact_rows = read_facts_raw(url)
    log(f"{floor_seconds:.1f} s for {fact_rows} lines; the refresh")
    with runtime.sessionmaker() as session, bind_session(session):
        began, cpu = time.perf_counter(), _cpu()
        done = refresh.refresh(today)
        wall, cpu = time.perf_counter() - began, _cpu() - cpu
    seconds = done.pop("seconds")
    print(json.dumps({
        "benchmark": "refresh", "database": "postgresql" if args.database_url else "sqlite",
        "customers": args.customers, "lines": lines, "today": today.isoformat(),
        "refresh": {"seconds": round(wall, 1), "process_cpu_seconds": round(cpu, 1), "steps_seconds": seconds,
                    "longest_step": max(seconds, key=lambda key: seconds[key]),
                    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)},
        "done": {key: value if isinstance(value, (int, dict)) else str(value) for key, value in done.items()},
        "baseline": {"read_facts_seconds": round(floor_seconds, 1), "fact_rows": fact_rows,
                     "steps_reading_facts": len(FACT_READERS),
                     "floor_seconds": round(floor_seconds * len(FACT_READERS), 1)},
        "ratio_to_floor": round(wall / (floor_seconds * len(FACT_READERS)), 1),
        "machine": machine(),
    }, default=str))


if __name__ == "__main__":
    main()
