"""RFM scoring of the analytics plugin against DuckDB computing the same result on the same data (SQLite or PostgreSQL).

Uses the recommendations benchmark's database (built once and cached in benchmarks/.data/: every
customer with about two orders of 2-3 lines over two years; 1,000,000 customers give about
5,000,000 order lines). Then, in the same run:

- Payvand: `rfm.run_rfm` over the last year, through the plugin's own code: the purchase facts
  grouped per customer, three `ntile(5)` windows, the segment, written into
  `analytics_customer_rfm` with one `INSERT ... SELECT` (`scoring_seconds`), and the whole run
  including the customer fields written for segments and templates (`run_seconds`);
- DuckDB (a benchmark dependency only: `pip install duckdb`): the same purchase facts, loaded
  into an in-memory DuckDB table beforehand (not timed: it is DuckDB's own storage), scored by
  the same SQL (last purchase, purchase days — local days in the site's zone, Asia/Tehran, by
  its UTC offset over the period — amount; the three windows with the same tie-break
  on customer id; the segment from the same (R, FM) table) into a DuckDB table.

The two results are compared row by row (`same_result`). Goal (issue 14): Payvand within 2x of
DuckDB. In the same run, to show where the time goes (`floor`):

- the database's bare scan of the order lines (`count(*)`, `sum(total)`) and the purchase
  facts grouped per customer alone (the plugin's GROUP BY, counted: no windows, no insert);
- storing the scored rows alone (the plugin's rows copied as another run into the same table,
  keys and indexes, rolled back): what keeping the result costs, whatever computes it — when
  it alone is over 2x DuckDB's whole job, no way of computing reaches the goal;
- the customer fields written again when no score moved (a second night with the same result:
  only changed customers are written, so none);
- the customer fields written the previous way (read every scored customer's attributes, merge
  in Python, executemany per 1,000; rolled back) against the set-based UPDATE the plugin uses;
- a per-customer-day rollup, *not maintained by Payvand* (measured as the lever it would be):
  its rebuild (`INSERT ... SELECT ... GROUP BY customer, currency, day` plus its unique index),
  the same scoring read from it (`insert_scores`, compared with the plugin's rows), and what
  keeping it would cost per order (one upsert per order statement, 2,000 orders, rolled back).

With `--database-url postgresql+psycopg://...` the SQLite build is copied into that database
once (its `public` schema replaced; labelled by a comment, reused after) and measured there.
Prints JSON.

    python benchmarks/rfm.py                          # 1M customers, ~5M lines
    python benchmarks/rfm.py --customers 100000       # quicker
    python benchmarks/rfm.py --customers 100000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/db
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
               segments: list[tuple[int, int, str]],
               offset_minutes: int) -> tuple[float, float, dict[int, tuple[int, int, int, str]]]:
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
            SELECT customer_id, max(occurred_at) AS last,
                   count(DISTINCT CAST(occurred_at + to_minutes(CAST(? AS BIGINT)) AS DATE)) AS frequency,
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
    """, [offset_minutes, start.replace(tzinfo=None), end.replace(tzinfo=None), end.replace(tzinfo=None)])
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


PLUGINS_LABEL = "payvand-bench rfm recommend-v1-{}c"


def _plugins() -> list[Any]:
    import payvand.plugins.analytics as analytics
    import payvand.plugins.sales as sales
    from payvand.core.plugins import InstalledPlugin

    return [InstalledPlugin(name="sales", obj=sales, meta=sales.meta, source="payvand.plugins.sales"),
            InstalledPlugin(name="analytics", obj=analytics, meta=analytics.meta, source="payvand.plugins.analytics")]


def prepare(path: Any, customers: int, url: str | None) -> str:
    """The SQLite build at the newest migrations; with `url`, its copy in PostgreSQL. The URL to measure."""
    from _dataset import copy_sqlite_into_postgres, psycopg_url, reset_postgres_schema

    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, _plugins())
    engine.dispose()
    if url is None:
        return f"sqlite:///{path}"
    import psycopg

    label = PLUGINS_LABEL.format(customers)
    with psycopg.connect(psycopg_url(url), autocommit=True) as connection:
        row = connection.execute("SELECT obj_description(to_regclass('public.core_customer'), 'pg_class')").fetchone()
    engine = make_engine(url)
    if not row or row[0] != label:
        log("copying into PostgreSQL")
        reset_postgres_schema(url)
        upgrade(engine, _plugins())
        copy_sqlite_into_postgres(path, url)
        with psycopg.connect(psycopg_url(url), autocommit=True) as connection:
            connection.execute("ANALYZE")
            connection.execute(f"COMMENT ON TABLE core_customer IS '{label}'")
    else:
        upgrade(engine, _plugins())
    engine.dispose()
    return url


def dataset_app(customers: int, database_url: str | None, instance: str, zone: str) -> tuple[Any, str]:
    """The recommendations build for `customers` (built once, cached), at the newest migrations,
    copied into PostgreSQL with a URL; a Flask app with sales and analytics on it, its context
    pushed, jobs off, the site's zone `zone`. Returns (app, URL measured)."""
    path = DATA_DIR / f"recommend-v1-{customers}c.sqlite3"
    if not path.exists():
        log(f"building {path.name}")
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        build(path, customers)
    url = prepare(path, customers, database_url)

    import payvand.plugins.analytics as analytics
    import payvand.plugins.sales as sales
    from payvand.core.app import create_app

    app = create_app({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": str(DATA_DIR / instance),
                      "PAYVAND_PLUGINS": ["sales", "analytics"], "PAYVAND_EXTRA_PLUGINS": [sales, analytics],
                      "PAYVAND_JOBS": "off", "SECRET_KEY": "benchmark", "PAYVAND_TIMEZONE": zone})
    app.app_context().push()
    return app, url


def _timed(work: Any) -> tuple[Any, float, float]:
    t0, c0 = time.perf_counter(), _cpu()
    result = work()
    return result, time.perf_counter() - t0, _cpu() - c0


def floor(session: Any, subquery: Any, currency: str, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """The bare line scan and the plugin's GROUP BY alone, timed (the rest of the scoring is on top)."""
    import sqlalchemy as sa

    from payvand.plugins.analytics.services import rfm

    _, scan, scan_cpu = _timed(lambda: session.execute(
        sa.text("SELECT count(*), sum(total) FROM sales_order_line")).all())
    base = rfm.purchase_base(subquery, currency, start, end)
    groups, group, group_cpu = _timed(lambda: session.scalar(sa.select(sa.func.count()).select_from(base)))
    return {"scan_lines_seconds": round(scan, 2), "scan_lines_cpu_seconds": round(scan_cpu, 2),
            "group_by_customer_seconds": round(group, 2), "group_by_customer_cpu_seconds": round(group_cpu, 2),
            "customers": groups}


def old_fields(session: Any, run_id: int) -> tuple[float, float]:
    """The previous customer-field write (read, merge in Python, executemany per 1,000), timed; rolled back."""
    import sqlalchemy as sa

    from payvand.plugins.analytics.models import CustomerRfm
    from payvand.plugins.analytics.services import rfm
    from payvand.plugins.analytics.services.lifetime import update_attributes

    def work() -> None:
        rows = session.execute(sa.select(CustomerRfm.customer_id, CustomerRfm.segment, CustomerRfm.r, CustomerRfm.f,
                                         CustomerRfm.m).where(CustomerRfm.run_id == run_id))
        update_attributes({cid: {rfm.FIELD_SEGMENT: seg, rfm.FIELD_SCORE: f"{r}{f}{m}"} for cid, seg, r, f, m in rows})

    _, seconds, cpu = _timed(work)
    session.rollback()
    return seconds, cpu


def store_only(session: Any, run_id: int) -> tuple[float, float]:
    """Storing the scored rows alone, timed: the plugin's rows copied as a new run, in customer
    order, into the same table with its keys and indexes (rolled back). Nothing is computed: it
    is what keeping the result costs the database, whatever computes it."""
    import sqlalchemy as sa

    from payvand.plugins.analytics.models import CustomerRfm, Run

    run = Run(kind="rfm", options={"bench": "store"})
    session.add(run)
    session.flush()
    table = CustomerRfm.__table__
    names = ["recency_days", "frequency", "monetary", "r", "f", "m", "segment"]
    copy = sa.insert(table).from_select(
        ["run_id", "customer_id", *names],
        sa.select(sa.literal(run.id, sa.BigInteger), table.c.customer_id, *(table.c[n] for n in names))
        .where(table.c.run_id == run_id).order_by(table.c.customer_id))
    _, seconds, cpu = _timed(lambda: session.execute(copy))
    session.rollback()
    return seconds, cpu


def rollup(session: Any, subquery: Any, currency: str, start: dt.datetime, end: dt.datetime,
           plugin_run: int) -> dict[str, Any]:
    """A per-customer-day rollup as the lever it would be: rebuild, scoring from it, upkeep per order."""
    import sqlalchemy as sa

    from payvand.plugins.analytics.models import CustomerRfm, Run
    from payvand.plugins.analytics.services import rfm

    metadata = sa.MetaData()
    table = sa.Table("bench_rfm_customer_day", metadata, sa.Column("customer_id", sa.BigInteger, nullable=False),
                     sa.Column("currency", sa.String(3), nullable=False), sa.Column("day", sa.Integer, nullable=False),
                     sa.Column("last", sa.DateTime(timezone=True), nullable=False),
                     sa.Column("amount", sa.Numeric(20, 4), nullable=False),
                     sa.UniqueConstraint("customer_id", "currency", "day"))
    bind = session.get_bind()
    metadata.drop_all(bind)
    session.commit()
    from payvand.plugins.analytics.services.local_days import day_number

    c = subquery.c
    day = day_number(c.occurred_at, dt.datetime(2000, 1, 1, tzinfo=dt.UTC), end)  # local days, as the plugin's

    def rebuild() -> None:
        metadata.create_all(session.connection())
        session.execute(table.insert().from_select(
            ["customer_id", "currency", "day", "last", "amount"],
            sa.select(c.customer_id, c.currency, day, sa.func.max(c.occurred_at), sa.func.sum(c.amount))
            .group_by(c.customer_id, c.currency, day)))
        session.commit()

    _, rebuild_seconds, rebuild_cpu = _timed(rebuild)
    rows = session.scalar(sa.select(sa.func.count()).select_from(table))
    if bind.dialect.name == "postgresql":
        session.execute(sa.text("ANALYZE bench_rfm_customer_day"))
        session.commit()
    run = Run(kind="rfm", options={"bench": "rollup"})
    session.add(run)
    session.flush()
    r = table.c
    base = (sa.select(r.customer_id, sa.func.max(r.last).label("last"), sa.func.count().label("frequency"),
                      sa.cast(sa.func.sum(r.amount), sa.Float).label("monetary"))
            .where(r.currency == currency, r.last >= start, r.last < end).group_by(r.customer_id)).subquery("base")
    _, score_seconds, score_cpu = _timed(lambda: rfm.insert_scores(run.id, base, end))

    def scored_rows(run_id: int) -> set[tuple[Any, ...]]:
        return {tuple(row) for row in session.execute(
            sa.select(CustomerRfm.customer_id, CustomerRfm.recency_days, CustomerRfm.r, CustomerRfm.f, CustomerRfm.m,
                      CustomerRfm.segment).where(CustomerRfm.run_id == run_id))}

    same = scored_rows(run.id) == scored_rows(plugin_run)
    session.rollback()
    upkeep = _upkeep(session, table, currency)
    metadata.drop_all(bind)
    session.commit()
    return {"rows": rows, "rebuild_seconds": round(rebuild_seconds, 2), "rebuild_cpu_seconds": round(rebuild_cpu, 2),
            "scoring_seconds": round(score_seconds, 2), "scoring_cpu_seconds": round(score_cpu, 2),
            "same_result": same,
            "upkeep_per_order_ms": upkeep}


def _upkeep(session: Any, table: Any, currency: str, orders: int = 2_000) -> float:
    """Mean ms of the one upsert an order would add to its transaction (rolled back)."""
    import random

    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    greatest = sa.func.greatest if dialect == "postgresql" else sa.func.max
    statement = insert.on_conflict_do_update(
        index_elements=["customer_id", "currency", "day"],
        set_={"amount": table.c.amount + insert.excluded.amount, "last": greatest(table.c.last, insert.excluded.last)})
    rng = random.Random(3)
    top = int(session.scalar(sa.select(sa.func.max(table.c.customer_id))) or 1)
    at = dt.datetime(2025, 12, 30, 12, tzinfo=dt.UTC)
    t0 = time.perf_counter()
    for _ in range(orders):
        session.execute(statement, {"customer_id": rng.randint(1, top), "currency": currency, "day": at.date().toordinal(),
                                    "last": at, "amount": 100})
    seconds = time.perf_counter() - t0
    session.rollback()
    return round(1000 * seconds / orders, 3)


def main() -> None:
    """Build or reuse the database, run RFM through the plugin and in DuckDB, compare; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL to copy the dataset into and measure")
    parser.add_argument("--no-rollup", action="store_true", help="skip the rollup measurement")
    args = parser.parse_args()
    app, _ = dataset_app(args.customers, args.database_url, "rfm-instance", "Asia/Tehran")

    import sqlalchemy as sa

    from payvand.core.db import bind_session
    from payvand.plugins.analytics.models import CustomerRfm
    from payvand.plugins.analytics.services import facts, rfm
    from payvand.sdk import local_zone, offset_spans

    runtime = app.extensions["payvand"]
    dialect = "postgresql" if args.database_url else "sqlite"
    with runtime.sessionmaker() as session, bind_session(session):
        subquery = facts.purchase_facts()
        assert subquery is not None
        last = session.scalar(sa.select(sa.func.max(subquery.c.occurred_at)))
        end_day = (last if isinstance(last, dt.datetime) else dt.datetime.fromisoformat(str(last))).date()
        options = rfm.RfmOptions(end_day - dt.timedelta(days=364), end_day)
        currency = facts.main_currency(subquery) or "IRR"
        start, end = rfm.period_bounds(options)  # local midnights (the site's zone)
        spans = offset_spans(local_zone(), start, end)
        if len(spans) != 1:
            raise SystemExit("the site's zone changes its offset in the period: DuckDB's day would differ")
        offset_minutes = spans[0][1]
        c = subquery.c
        rows = [(cid, at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at)), float(amount))
                for cid, at, amount in session.execute(
                    sa.select(c.customer_id, c.occurred_at, c.amount).where(c.currency == currency))]
        lines = session.scalar(sa.text("SELECT count(*) FROM sales_order_line"))
        session.execute(sa.text("DELETE FROM analytics_customer_rfm"))
        session.execute(sa.text("DELETE FROM analytics_run WHERE kind = 'rfm'"))
        # A previous round's fields would make this round's write skip every unchanged customer:
        # start from none, so `fields_seconds` is the first scoring's full write.
        session.execute(sa.text("UPDATE core_customer SET attributes = '{}' WHERE attributes IS NOT NULL"
                                " AND CAST(attributes AS TEXT) <> '{}'"))
        session.commit()
    segments = [(r, fm, rfm.segment_of(r, fm, fm)) for r in range(1, 6) for fm in range(1, 6)]
    log(f"{dialect}: {len(rows)} purchase lines of {currency}; DuckDB")
    duck_seconds, duck_cpu, duck = duckdb_rfm(rows, start, end, segments, offset_minutes)
    del rows
    log(f"DuckDB {duck_seconds:.2f} s; the database's floor")
    with runtime.sessionmaker() as session, bind_session(session):
        bare = floor(session, facts.purchase_facts(), currency, start, end)
        session.rollback()
    log(f"floor {bare}; Payvand")

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
        run_id = run.id
        ours = {cid: (r, f, m, seg) for cid, r, f, m, seg in session.execute(
            sa.select(CustomerRfm.customer_id, CustomerRfm.r, CustomerRfm.f, CustomerRfm.m, CustomerRfm.segment)
            .where(CustomerRfm.run_id == run_id))}
    rfm._write_fields = original_fields
    scoring = timings["scoring_seconds"]
    fields_seconds, fields_cpu = run_seconds - scoring, run_cpu - timings["scoring_cpu"]
    log(f"Payvand scoring {scoring:.2f} s, run {run_seconds:.2f} s; the previous field write")
    with runtime.sessionmaker() as session, bind_session(session):
        previous_seconds, previous_cpu = old_fields(session, run_id)
    with runtime.sessionmaker() as session, bind_session(session):
        _, unchanged_seconds, unchanged_cpu = _timed(lambda: original_fields(run_id))  # the next night, nothing moved
        session.rollback()
    with runtime.sessionmaker() as session, bind_session(session):
        store_seconds, store_cpu = store_only(session, run_id)
    log(f"storing the rows alone {store_seconds:.2f} s")
    lever = None
    if not args.no_rollup:
        log("the per-customer-day rollup")
        with runtime.sessionmaker() as session, bind_session(session):
            lever = rollup(session, facts.purchase_facts(), currency, start, end, run_id)
    print(json.dumps({
        "benchmark": "rfm", "database": dialect, "customers": args.customers, "lines": lines,
        "scored_customers": len(ours), "period": [options.start.isoformat(), options.end.isoformat()],
        "payvand": {"scoring_seconds": round(scoring, 2), "scoring_cpu_seconds": round(timings["scoring_cpu"], 2),
                    "fields_seconds": round(fields_seconds, 2), "fields_cpu_seconds": round(fields_cpu, 2),
                    "run_seconds": round(run_seconds, 2), "run_cpu_seconds": round(run_cpu, 2)},
        "previous_fields": {"seconds": round(previous_seconds, 2), "cpu_seconds": round(previous_cpu, 2)},
        "fields_unchanged": {"seconds": round(unchanged_seconds, 2), "cpu_seconds": round(unchanged_cpu, 2)},
        "duckdb": {"seconds": round(duck_seconds, 2), "cpu_seconds": round(duck_cpu, 2)},
        "floor": {**bare, "store_rows_seconds": round(store_seconds, 2), "store_rows_cpu_seconds": round(store_cpu, 2),
                  "store_rows_ratio": round(store_seconds / duck_seconds, 2)},
        "ratio": round(scoring / duck_seconds, 2), "ratio_with_fields": round(run_seconds / duck_seconds, 2),
        "ratio_cpu": round(timings["scoring_cpu"] / duck_cpu, 2) if duck_cpu else None,
        "scan_ratio": round(bare["scan_lines_seconds"] / duck_seconds, 2),
        "target_ratio": TARGET_RATIO, "meets_target": scoring / duck_seconds <= TARGET_RATIO,
        "same_result": ours == duck,
        "rollup": lever,
        "baseline": "DuckDB (in memory, its own columnar table loaded beforehand, untimed, all its threads) computing"
                    " the same per-customer recency, frequency, monetary, quintiles and segment with the same SQL;"
                    " Payvand's scoring is the INSERT ... SELECT into analytics_customer_rfm, run_seconds adds the"
                    " customer fields (one set-based UPDATE); previous_fields is the old executemany write;"
                    " floor is the database's bare line scan and GROUP BY, and storing the scored rows alone;"
                    " CPU of PostgreSQL's server is not in the cpu figures (client only)",
        "machine": machine(),
    }))


if __name__ == "__main__":
    main()
