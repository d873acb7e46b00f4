"""RFM scoring of the analytics plugin against DuckDB computing the same result on the same data (SQLite).

Uses the recommendations benchmark's database (built once and cached in benchmarks/.data/: every
customer with about two orders of 2-3 lines over two years; 1,000,000 customers give about
5,000,000 order lines). Then, in the same run:

- Payvand: `rfm.run_rfm` over the last year, through the plugin's own code: the purchase facts
  grouped per customer, three `ntile(5)` windows, the segment, written into
  `analytics_customer_rfm` with one `INSERT ... SELECT` (`scoring_seconds`), and the whole run
  including the customer fields written for segments and templates (`run_seconds`);
- DuckDB (a benchmark dependency only: `pip install duckdb`): the same purchase facts, loaded
  into an in-memory DuckDB table beforehand (not timed: it is DuckDB's own storage), scored by
  the same SQL (last purchase, purchase days, amount; the three windows with the same tie-break
  on customer id; the segment from the same (R, FM) table) into a DuckDB table.

The two results are compared row by row (`same_result`). Goal (issue 14): Payvand within 2x of
DuckDB. Prints JSON.

    python benchmarks/rfm.py                          # 1M customers, ~5M lines
    python benchmarks/rfm.py --customers 100000       # quicker
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from typing import Any

from _dataset import DATA_DIR, log, machine
from recommendations import build

TARGET_RATIO = 2.0


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def duckdb_rfm(rows: list[tuple[Any, ...]], start: dt.datetime, end: dt.datetime,
               segments: list[tuple[int, int, str]]) -> tuple[float, float, dict[int, tuple[int, int, int, str]]]:
    """Load the facts into DuckDB (untimed), score them with the plugin's SQL (timed); the result."""
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE facts (customer_id BIGINT, occurred_at TIMESTAMP, amount DOUBLE)")
    _bulk(con, rows)
    con.execute("CREATE TABLE segment_of (r INTEGER, fm INTEGER, segment VARCHAR)")
    con.executemany("INSERT INTO segment_of VALUES (?, ?, ?)", segments)
    t0, c0 = time.perf_counter(), _cpu()
    con.execute("""
        CREATE TABLE rfm AS
        WITH base AS (
            SELECT customer_id, max(occurred_at) AS last, count(DISTINCT CAST(occurred_at AS DATE)) AS frequency,
                   sum(amount) AS monetary
            FROM facts WHERE occurred_at >= ? AND occurred_at < ? GROUP BY customer_id),
        scored AS (
            SELECT *, ntile(5) OVER (ORDER BY last, customer_id) AS r,
                      ntile(5) OVER (ORDER BY frequency, customer_id) AS f,
                      ntile(5) OVER (ORDER BY monetary, customer_id) AS m
            FROM base)
        SELECT s.customer_id, CAST(floor(epoch(CAST(? AS TIMESTAMP) - s.last) / 86400) AS INTEGER) AS recency_days,
               s.frequency, s.monetary, s.r, s.f, s.m, g.segment
        FROM scored s JOIN segment_of g ON g.r = s.r AND g.fm = (s.f + s.m + 1) // 2
    """, [start.replace(tzinfo=None), end.replace(tzinfo=None), end.replace(tzinfo=None)])
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    result = {int(cid): (int(r), int(f), int(m), str(seg))
              for cid, r, f, m, seg in con.execute("SELECT customer_id, r, f, m, segment FROM rfm").fetchall()}
    con.close()
    return seconds, cpu, result


def _bulk(con: Any, rows: list[tuple[Any, ...]]) -> None:
    """Many rows into DuckDB's table through a CSV file (its fastest way in without pandas/arrow)."""
    import csv
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="", delete=False) as handle:
        csv.writer(handle).writerows((cid, at.replace(tzinfo=None).isoformat(sep=" "), amount)
                                     for cid, at, amount in rows)
    try:
        con.execute("COPY facts FROM ? (HEADER false)", [handle.name])
    finally:
        os.unlink(handle.name)


def main() -> None:
    """Build or reuse the database, run RFM through the plugin and in DuckDB, compare; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    path = DATA_DIR / f"recommend-v1-{args.customers}c.sqlite3"
    if not path.exists():
        log(f"building {path.name}")
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        build(path, args.customers)

    import sqlalchemy as sa

    import payvand.plugins.analytics as analytics
    import payvand.plugins.sales as sales
    from payvand.core.app import create_app
    from payvand.core.db import bind_session
    from payvand.plugins.analytics.models import CustomerRfm
    from payvand.plugins.analytics.services import facts, rfm

    app = create_app({"PAYVAND_DATABASE_URL": f"sqlite:///{path}", "PAYVAND_INSTANCE": str(DATA_DIR / "rfm-instance"),
                      "PAYVAND_PLUGINS": ["sales", "analytics"], "PAYVAND_EXTRA_PLUGINS": [sales, analytics],
                      "PAYVAND_JOBS": "off", "SECRET_KEY": "benchmark"})
    runtime = app.extensions["payvand"]
    app.app_context().push()
    with runtime.sessionmaker() as session, bind_session(session):
        subquery = facts.purchase_facts()
        assert subquery is not None
        last = session.scalar(sa.select(sa.func.max(subquery.c.occurred_at)))
        end_day = (last if isinstance(last, dt.datetime) else dt.datetime.fromisoformat(str(last))).date()
        options = rfm.RfmOptions(end_day - dt.timedelta(days=364), end_day)
        currency = facts.main_currency(subquery) or "IRR"
        start = dt.datetime.combine(options.start, dt.time(), tzinfo=dt.UTC)
        end = dt.datetime.combine(options.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        c = subquery.c
        rows = [(cid, at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at)), float(amount))
                for cid, at, amount in session.execute(
                    sa.select(c.customer_id, c.occurred_at, c.amount).where(c.currency == currency))]
        lines = session.scalar(sa.text("SELECT count(*) FROM sales_order_line"))
        session.execute(sa.text("DELETE FROM analytics_customer_rfm"))
        session.execute(sa.text("DELETE FROM analytics_run WHERE kind = 'rfm'"))
        session.commit()
    segments = [(r, fm, rfm.segment_of(r, fm, fm)) for r in range(1, 6) for fm in range(1, 6)]
    log(f"{len(rows)} purchase lines of {currency}; DuckDB")
    duck_seconds, duck_cpu, duck = duckdb_rfm(rows, start, end, segments)
    del rows
    log(f"DuckDB {duck_seconds:.2f} s; Payvand")

    timings: dict[str, float] = {}
    original_fields = rfm._write_fields

    def timed_fields(run_id: int) -> None:
        timings["scoring_seconds"] = time.perf_counter() - timings["t0"]
        timings["scoring_cpu"] = _cpu() - timings["c0"]
        original_fields(run_id)

    rfm._write_fields = timed_fields  # the scoring ends where the customer fields begin
    with runtime.sessionmaker() as session, bind_session(session):
        timings["t0"], timings["c0"] = time.perf_counter(), _cpu()
        run = rfm.run_rfm(options)
        session.commit()
        run_seconds, run_cpu = time.perf_counter() - timings["t0"], _cpu() - timings["c0"]
        ours = {cid: (r, f, m, seg) for cid, r, f, m, seg in session.execute(
            sa.select(CustomerRfm.customer_id, CustomerRfm.r, CustomerRfm.f, CustomerRfm.m, CustomerRfm.segment)
            .where(CustomerRfm.run_id == run.id))}
    rfm._write_fields = original_fields
    scoring = timings["scoring_seconds"]
    print(json.dumps({
        "benchmark": "rfm", "database": "sqlite", "customers": args.customers, "lines": lines,
        "scored_customers": len(ours), "period": [options.start.isoformat(), options.end.isoformat()],
        "payvand": {"scoring_seconds": round(scoring, 2), "scoring_cpu_seconds": round(timings["scoring_cpu"], 2),
                    "run_seconds": round(run_seconds, 2), "run_cpu_seconds": round(run_cpu, 2)},
        "duckdb": {"seconds": round(duck_seconds, 2), "cpu_seconds": round(duck_cpu, 2)},
        "ratio": round(scoring / duck_seconds, 2), "ratio_with_fields": round(run_seconds / duck_seconds, 2),
        "target_ratio": TARGET_RATIO, "meets_target": scoring / duck_seconds <= TARGET_RATIO,
        "same_result": ours == duck,
        "baseline": "DuckDB (in memory, its own columnar table loaded beforehand, untimed, all its threads) computing"
                    " the same per-customer recency, frequency, monetary, quintiles and segment with the same SQL;"
                    " Payvand's scoring is the INSERT ... SELECT into analytics_customer_rfm, run_seconds adds the"
                    " customer fields",
        "machine": machine(),
    }))


if __name__ == "__main__":
    main()
