"""The KPI dashboard page on 1,000,000 customers and 5,000,000 order lines (SQLite or PostgreSQL), against raw SQL.

Reuses the recommendations benchmark's database (`recommend-v1-<n>c.sqlite3` in benchmarks/.data,
built once by `recommendations.build`: two years of orders, 2024-2025), brought to the newest
migrations, with a stored lifetime-value run over every customer (synthetic figures written by
one INSERT … SELECT when the database has none: the page reads the run, it does not fit it). A
user with `analytics.view`, `sales.reports.view` and `sales.deal.view` logs in through the form;
whole page requests (routing, session, permission checks, every widget, Jinja, the chart JSON) go
through Flask's test client. Periods: a month, a quarter and a year of the data, each compared
with the previous one. Per period:

- *cold*: the first view with no stored KPI snapshot: the page shows the shared widgets as
  "being computed" and queues one background job per widget (it computes only the per-user
  pipeline); then the job runner's pass that computes and stores them (`background`), against
  the baseline of the same aggregates as hand-written SQL through raw sqlite3 (active customers,
  customers acquired per day, retention, revenue and orders per local day, the CLV histogram;
  for the period and its comparison), nothing rendered — the same physical work;
- *warm*: `--requests` views reading the snapshots the cold view stored (the widgets marked
  `shared`; the pipeline is computed per view), interleaved request by request with the
  baseline of reading the same snapshot rows with one raw sqlite3 query.

With `--database-url postgresql+psycopg://...` the SQLite build is copied into that database
once (as `rfm.py` does, reused after) and measured there, the baselines through psycopg.

Goal (issue 14): the page p95 under 300 ms. Prints JSON.

    python benchmarks/dashboard.py                        # 1M customers, ~5M lines
    python benchmarks/dashboard.py --customers 50000      # quick
    python benchmarks/dashboard.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/db
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from _dataset import DATA_DIR, log, machine, summary_ms

TARGET_P95_MS = 300.0
EMAIL = "bench-dashboard@example.com"
PASSWORD = "benchmark password 1"
ZONE = ZoneInfo("Asia/Tehran")
#: (name, first day, last day, comparison first day, comparison last day): whole local days.
PERIODS = (
    ("month", dt.date(2025, 12, 1), dt.date(2025, 12, 31), dt.date(2025, 11, 1), dt.date(2025, 11, 30)),
    ("quarter", dt.date(2025, 10, 1), dt.date(2025, 12, 31), dt.date(2025, 7, 1), dt.date(2025, 9, 30)),
    ("year", dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
)


def stamp(day: dt.date) -> str:
    """The UTC moment local `day` starts, as the database stores datetimes."""
    return dt.datetime.combine(day, dt.time(), ZONE).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def prepare(path: Path, url: str) -> dict[str, Any]:
    """Newest migrations, a CLV run over every customer (once), the benchmark user; what was done."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    import payvand.plugins.analytics as analytics
    import payvand.plugins.sales as sales
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade
    from payvand.core.models import User
    from payvand.core.plugins import InstalledPlugin
    from payvand.core.services.users import create_user

    engine = make_engine(url)
    upgrade(engine, [InstalledPlugin(name="sales", obj=sales, meta=sales.meta, source="payvand.plugins.sales"),
                     InstalledPlugin(name="analytics", obj=analytics, meta=analytics.meta,
                                     source="payvand.plugins.analytics")])
    done: dict[str, Any] = {}
    with Session(engine) as session, session.begin():
        if session.scalar(sa.text("SELECT count(*) FROM analytics_run WHERE kind = 'clv'")) == 0:
            t0 = time.perf_counter()
            session.execute(sa.text(
                "INSERT INTO analytics_run (kind, created_at, options, results, report, customers) VALUES"
                " ('clv', '2026-01-01 00:00:00.000000', '{\"currency\": \"IRR\"}', '{}', '{}', 0)"))
            run_id = session.scalar(sa.text("SELECT max(id) FROM analytics_run WHERE kind = 'clv'"))
            session.execute(sa.text(
                "INSERT INTO analytics_customer_clv (run_id, customer_id, frequency, recency, age, monetary, p_alive,"
                " expected_purchases, expected_spend, clv) SELECT :run, id, id % 4, 10.0, 100.0, 50000.0,"
                " (id % 100) / 100.0, (id % 7) / 3.0, 50000.0, ((id * 7919) % 1000) * ((id * 104729) % 1000) * 1.0"
                " FROM core_customer"), {"run": run_id})
            if engine.dialect.name == "postgresql":
                session.execute(sa.text("ANALYZE analytics_customer_clv"))
            done["clv_rows_written_seconds"] = round(time.perf_counter() - t0, 1)
        if session.scalars(sa.select(User.id).where(User.email == EMAIL)).first() is None:
            create_user(session, EMAIL, password=PASSWORD, name="Benchmark manager", profile="fast",
                        permissions=["analytics.view", "sales.reports.view", "sales.deal.view"])
    engine.dispose()
    return done


def login(client: Any) -> None:
    """Log in through the form, CSRF token included."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit(f"login failed: {response.status_code}")


FACTS = ("SELECT o.customer_id AS customer_id, o.placed_at AS at, l.total AS amount FROM sales_order_line l"
         " JOIN sales_order o ON o.id = l.order_id WHERE o.status NOT IN ('cancelled', 'returned')")


class Raw:
    """A raw DB-API connection (sqlite3 or psycopg) with `?` parameters and the dialect's SQL bits."""

    def __init__(self, url: str) -> None:
        self.postgresql = url.startswith("postgresql")
        if self.postgresql:
            import psycopg
            from _dataset import psycopg_url

            self.connection: Any = psycopg.connect(psycopg_url(url))
        else:
            self.connection = sqlite3.connect(url.removeprefix("sqlite:///"))

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """Run `sql` (`?` placeholders) and return the cursor."""
        if self.postgresql:
            return self.connection.execute(sql.replace("?", "%s"), params)
        return self.connection.execute(sql, params)

    def commit(self) -> None:
        """Commit (and end the read snapshot)."""
        self.connection.commit()

    def local_day(self, column: str) -> str:
        """SQL: the Tehran day of a UTC timestamp column."""
        if self.postgresql:
            return f"({column} AT TIME ZONE 'Asia/Tehran')::date"
        return f"date({column}, '+210 minutes')"

    def stamp(self, day: dt.date) -> str:
        """`stamp(day)`, with the zone PostgreSQL needs to read it as UTC."""
        return stamp(day) + ("+00" if self.postgresql else "")


def raw_dashboard(db: Raw, first: dt.date, last: dt.date, c_first: dt.date, c_last: dt.date,
                  clv_run: int) -> None:
    """The same aggregates as the page, hand-written: for the period and the comparison."""
    for a, b in ((first, last), (c_first, c_last)):
        start, end = db.stamp(a), db.stamp(b + dt.timedelta(days=1))
        before = db.stamp(a - dt.timedelta(days=(b - a).days + 1))
        db.execute(f"SELECT count(DISTINCT customer_id) FROM ({FACTS}) f0 WHERE at >= ? AND at < ?", (start, end)).fetchall()
        db.execute(f"SELECT {db.local_day('f.first')}, count(*) FROM (SELECT customer_id, min(at) AS first FROM ({FACTS}) f0"
                   f" WHERE at >= ? AND at < ? GROUP BY customer_id) f WHERE NOT EXISTS (SELECT 1 FROM sales_order o"
                   f" WHERE o.customer_id = f.customer_id AND o.placed_at < ? AND o.status NOT IN"
                   f" ('cancelled', 'returned')) GROUP BY 1", (start, end, start)).fetchall()
        db.execute(f"SELECT sum(b), sum(b * a) FROM (SELECT max(CASE WHEN at < ? THEN 1 ELSE 0 END) AS b,"
                   f" max(CASE WHEN at >= ? THEN 1 ELSE 0 END) AS a FROM ({FACTS}) f1 WHERE at >= ? AND at < ?"
                   f" GROUP BY customer_id) p", (start, start, before, end)).fetchall()
        db.execute(f"SELECT {db.local_day('placed_at')}, currency, count(*), sum(total) FROM sales_order"
                   " WHERE status IN ('placed', 'paid', 'shipped', 'delivered') AND placed_at >= ? AND placed_at < ?"
                   " GROUP BY 1, 2", (start, end)).fetchall()
    db.commit()
    mean = db.execute("SELECT avg(clv) FROM analytics_customer_clv WHERE run_id = ?", (clv_run,)).fetchone()[0]
    edges = [mean * k for k in (0.25, 0.5, 1.0, 2.0, 4.0)]
    db.execute("SELECT CASE WHEN clv < ? THEN 0 WHEN clv < ? THEN 1 WHEN clv < ? THEN 2 WHEN clv < ? THEN 3"
               " WHEN clv < ? THEN 4 ELSE 5 END AS b, count(*) FROM analytics_customer_clv WHERE run_id = ?"
               " GROUP BY b", (*edges, clv_run)).fetchall()


def main() -> None:
    """Prepare the database, log in, time the page and the baseline per period; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per period")
    parser.add_argument("--database-url", default=None, help="PostgreSQL to copy the dataset into and measure")
    args = parser.parse_args()
    path = DATA_DIR / f"recommend-v1-{args.customers}c.sqlite3"
    if not path.exists():
        from recommendations import build

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        log(f"building {path.name}")
        began = time.perf_counter()
        build(path, args.customers)
        log(f"built in {time.perf_counter() - began:.0f} s")
    url = f"sqlite:///{path}"
    if args.database_url:
        from rfm import prepare as copy_into

        url = copy_into(path, args.customers, args.database_url)
    prepared = prepare(path, url)

    import payvand.plugins.analytics as analytics
    import payvand.plugins.sales as sales
    from payvand.core.app import create_app

    app = create_app({"PAYVAND_DATABASE_URL": url,
                      "PAYVAND_INSTANCE": str(DATA_DIR / "dashboard-instance"),
                      "PAYVAND_PLUGINS": ["sales", "analytics"], "PAYVAND_EXTRA_PLUGINS": [sales, analytics],
                      "PAYVAND_JOBS": "off", "SECRET_KEY": "benchmark", "PAYVAND_TIMEZONE": "Asia/Tehran",
                      "PAYVAND_DEFAULT_LOCALE": "en"})
    client = app.test_client()
    runner = app.extensions["payvand"].job_runner
    login(client)
    raw = Raw(url)
    clv_run = raw.execute("SELECT max(id) FROM analytics_run WHERE kind = 'clv'").fetchone()[0]
    lines = raw.execute("SELECT count(*) FROM sales_order_line").fetchone()[0]
    results: dict[str, Any] = {}
    cpu0 = os.times()
    wall0 = time.perf_counter()
    client.get("/analytics/dashboard?period=custom&start=2020-01-01&end=2020-01-02")  # first-request loads
    with app.app_context():
        runner.deliver_due()  # and its background jobs
    for name, first, last, c_first, c_last in PERIODS:
        url = f"/analytics/dashboard?period=custom&start={first}&end={last}&comparison=previous"
        raw.execute("DELETE FROM analytics_kpi_snapshot")
        raw.commit()
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        response = client.get(url)
        cold_ns, cold_cpu = time.perf_counter_ns() - t0, time.thread_time_ns() - c0
        text = response.get_data(as_text=True)
        if response.status_code != 200 or "-unavailable" in text or "-pending" not in text:
            raise SystemExit(f"{url} answered {response.status_code}, a widget failed or none was queued")
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        with app.app_context():
            handled = runner.deliver_due()  # the background jobs the view queued (no scheduled job)
        job_ns, job_cpu = time.perf_counter_ns() - t0, time.thread_time_ns() - c0
        if "-pending" in client.get(url).get_data(as_text=True):
            raise SystemExit(f"{url}: still pending after the background jobs")
        t0 = time.perf_counter_ns()
        raw_dashboard(raw, first, last, c_first, c_last, clv_run)
        cold_base_ns = time.perf_counter_ns() - t0
        keys = [k for (k,) in raw.execute("SELECT cache_key FROM analytics_kpi_snapshot")]
        raw.commit()
        marks = ",".join("?" * len(keys))
        page_ns, page_cpu, base_ns = [], [], []
        for _ in range(args.requests):
            t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
            response = client.get(url)
            page_ns.append(time.perf_counter_ns() - t0)
            page_cpu.append(time.thread_time_ns() - c0)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            t0 = time.perf_counter_ns()
            raw.execute(f"SELECT cache_key, data FROM analytics_kpi_snapshot WHERE cache_key IN ({marks})"
                        " AND expires_at > ?", (*keys, raw.stamp(dt.date(2000, 1, 1)))).fetchall()
            raw.commit()
            base_ns.append(time.perf_counter_ns() - t0)
        page, base = summary_ms(page_ns), summary_ms(base_ns)
        results[name] = {
            "url": url,
            "cold": {"page_ms": round(cold_ns / 1e6, 1), "page_cpu_ms": round(cold_cpu / 1e6, 1),
                     "background_ms": round(job_ns / 1e6, 1), "background_cpu_ms": round(job_cpu / 1e6, 1),
                     "background_events": handled,
                     "baseline_ms": round(cold_base_ns / 1e6, 1), "ratio": round(job_ns / cold_base_ns, 2)},
            "warm": {"page_ms": page, "page_cpu_ms": summary_ms(page_cpu), "baseline_ms": base,
                     "snapshots": len(keys), "meets_target": page["p95"] < TARGET_P95_MS},
        }
        log(f"{name}: cold page {cold_ns / 1e6:.0f} ms, background {job_ns / 1e6:.0f} ms (raw {cold_base_ns / 1e6:.0f} ms),"
            f" warm p95 {page['p95']:.0f} ms")
    cpu1 = os.times()
    print(json.dumps({
        "benchmark": "dashboard", "database": "postgresql" if raw.postgresql else "sqlite",
        "customers": args.customers, "lines": lines,
        "target_p95_ms": TARGET_P95_MS, "periods": results, "prepared": prepared,
        "wall_seconds": round(time.perf_counter() - wall0, 1),
        "cpu_seconds": round((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system), 1),
        "baseline": "cold: the page only queues the shared widgets; the background pass (ratio) against"
                    " the same aggregates (active, acquired per day, retention, revenue per local day, CLV"
                    " histogram; period and comparison) as hand-written SQL through raw sqlite3 or psycopg, nothing"
                    " rendered; warm: the same snapshot rows read with one raw query",
        "machine": machine(),
    }, indent=2))


if __name__ == "__main__":
    main()
