"""Revenue reports of the sales plugin on 1,000,000 orders with 5,000,000 lines (SQLite).

Builds (once, cached in benchmarks/.data/) a database migrated with the core and the sales
plugin, fills `sales_order` and `sales_order_line` with raw sqlite3 executemany (IRR and USD,
two years, 2,000 products, 50 owners, five statuses), then times `revenue_by_month` (Gregorian
and Jalali months of local days in Asia/Tehran), `revenue_by_product` (from the daily rollup)
and `revenue_by_owner` over a year of whole local days through the plugin's own code, against a
baseline in the same run: a raw sqlite3 GROUP BY that sums the same column as floats (fast,
inexact). Prints JSON.

    python benchmarks/sales_revenue.py                        # 1M orders, 5M lines
    python benchmarks/sales_revenue.py --orders 100000        # quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

from _dataset import DATA_DIR, add_database_argument, log, machine

TARGET_SECONDS = 2.0
STATUSES = ["placed", "paid", "shipped", "delivered", "delivered", "delivered", "cancelled"]


def build(path: Path, orders: int, customers: int = 100_000, products: int = 2_000, seed: int = 5) -> None:
    """Create and fill the database at `path`."""
    import payvand.plugins.sales as sales
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade
    from payvand.core.plugins import InstalledPlugin

    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{tmp}")
    upgrade(engine, [InstalledPlugin(name="sales", obj=sales, meta=sales.meta, source="payvand.plugins.sales")])
    engine.dispose()
    rng = random.Random(seed)
    db = sqlite3.connect(tmp)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    now = "2026-01-01 00:00:00.000000"
    db.executemany(
        "INSERT INTO core_customer (id, kind, display_name, search_name, search_name_alt, lifecycle_stage, owner_id,"
        " attributes, created_at, updated_at, version) VALUES (?, 'person', ?, ?, ?, 'customer', NULL, '{}', ?, ?, 1)",
        ((i, f"C{i}", f"c{i}", f"c{i}", now, now) for i in range(1, customers + 1)))
    db.executemany("INSERT INTO core_user (id, email, name, is_active, is_superuser, created_at)"
                   " VALUES (?, ?, ?, 1, 0, ?)", ((i, f"rep{i}@example.com", f"Rep {i}", now) for i in range(1, 51)))
    db.executemany("INSERT INTO sales_product (id, sku, name, kind, unit, tax_class, in_stock, active, created_at)"
                   " VALUES (?, ?, ?, 'product', 'unit', 'standard', 1, 1, ?)",
                   ((i, f"SKU-{i}", f"Product {i}", now) for i in range(1, products + 1)))
    start = dt.datetime(2025, 1, 1)
    line_id = 0
    batch_orders: list[tuple[Any, ...]] = []
    batch_lines: list[tuple[Any, ...]] = []
    for order_id in range(1, orders + 1):
        currency = "USD" if order_id % 10 == 0 else "IRR"
        placed = start + dt.timedelta(seconds=rng.randrange(2 * 365 * 86400))
        total = 0
        for position in range(5):
            line_id += 1
            quantity = rng.randint(1, 5)
            cents = rng.randrange(100, 50_000) if currency == "USD" else rng.randrange(10_000, 50_000_000)
            line_total = quantity * cents
            total += line_total
            amount = f"{line_total / 100:.2f}" if currency == "USD" else str(line_total)
            batch_lines.append((line_id, order_id, position, rng.randrange(1, products + 1), "item", str(quantity),
                                amount, "0", "0", amount, "0", amount))
        total_text = f"{total / 100:.2f}" if currency == "USD" else str(total)
        stamp = placed.strftime("%Y-%m-%d %H:%M:%S.000000")
        batch_orders.append((order_id, f"O-{order_id}", rng.randrange(1, customers + 1), currency, total_text, "0",
                             "0", total_text, stamp, rng.choice(STATUSES), "web", stamp,
                             rng.choice([None, *range(1, 51)])))
        if len(batch_orders) >= 20_000:
            _flush(db, batch_orders, batch_lines)
            log(f"orders {order_id:,}/{orders:,}")
    _flush(db, batch_orders, batch_lines)
    db.commit()
    db.close()
    tmp.rename(path)


def _flush(db: sqlite3.Connection, orders: list[tuple[Any, ...]], lines: list[tuple[Any, ...]]) -> None:
    db.executemany(
        "INSERT INTO sales_order (id, number, customer_id, currency, subtotal, discount_total, tax_total, total,"
        " created_at, status, channel, placed_at, owner_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", orders)
    db.executemany(
        "INSERT INTO sales_order_line (id, order_id, position, product_id, description, quantity, unit_price,"
        " discount, tax_rate, net, tax, total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", lines)
    orders.clear()
    lines.clear()


BASELINES = {
    "revenue_by_month": "SELECT strftime('%Y-%m', placed_at, '+210 minutes'), currency, count(*), sum(total) FROM sales_order"
                        " WHERE status IN ('placed','paid','shipped','delivered') AND placed_at >= ? AND placed_at < ?"
                        " GROUP BY 1, 2",
    "revenue_by_product": "SELECT l.product_id, o.currency, sum(l.quantity), sum(l.total) AS r FROM sales_order_line l"
                          " JOIN sales_order o ON o.id = l.order_id WHERE o.status IN ('placed','paid','shipped',"
                          "'delivered') AND o.placed_at >= ? AND o.placed_at < ? AND l.product_id IS NOT NULL"
                          " GROUP BY 1, 2 ORDER BY r DESC LIMIT 20",
    "revenue_by_owner": "SELECT owner_id, currency, count(id), sum(total) FROM sales_order"
                        " WHERE status IN ('placed','paid','shipped','delivered')"
                        " AND placed_at >= ? AND placed_at < ? GROUP BY 1, 2",
}


#: PostgreSQL's form of the month baseline (the others are the same SQL).
POSTGRES_BASELINES = {
    "revenue_by_month": "SELECT to_char(placed_at AT TIME ZONE 'UTC' + interval '210 minutes', 'YYYY-MM'), currency,"
                        " count(*), sum(total) FROM sales_order WHERE status IN ('placed','paid','shipped','delivered')"
                        " AND placed_at >= ? AND placed_at < ? GROUP BY 1, 2",
}


def main() -> None:
    """Build or reuse the database, then time each report against its raw baseline; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    add_database_argument(parser)
    args = parser.parse_args()
    path = DATA_DIR / f"sales-v4-{args.orders}o.sqlite3"
    if not path.exists():
        log(f"building {path.name}")
        began = time.perf_counter()
        build(path, args.orders)
        log(f"built in {time.perf_counter() - began:.0f} s")

    import payvand.plugins.sales as sales
    from payvand.core.app import create_app
    from payvand.core.db import bind_session
    from payvand.plugins.sales.services import reports

    url = f"sqlite:///{path}"
    if args.database_url:  # the same rows copied into PostgreSQL (the database's tables are replaced)
        from pipeline_reports import copy_to_postgres

        url = args.database_url
        copy_to_postgres(path, url)
    app = create_app({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": str(DATA_DIR / "sales-instance"),
                      "PAYVAND_PLUGINS": ["sales"], "PAYVAND_EXTRA_PLUGINS": [sales], "PAYVAND_JOBS": "off",
                      "SECRET_KEY": "benchmark"})
    runtime = app.extensions["payvand"]
    import sqlalchemy as sa

    from payvand.plugins.sales.models import ProductDay
    from payvand.plugins.sales.services import rollup

    app.app_context().push()  # the reports read the site's time zone (Asia/Tehran) from the running app
    rebuild_seconds = None
    with runtime.sessionmaker() as session, bind_session(session):
        # the daily rollup, as `payvand sales rebuild-rollups` makes it
        if session.scalars(sa.select(ProductDay).limit(1)).first() is None:
            t0 = time.perf_counter()
            rollup.rebuild()
            session.commit()
            rebuild_seconds = round(time.perf_counter() - t0, 1)
            log(f"rollup rebuilt in {rebuild_seconds} s")
    with runtime.sessionmaker() as session, bind_session(session):
        period = reports.local_period(dt.date(2025, 7, 1), dt.date(2026, 6, 30))
    raw: Any = sqlite3.connect(path)
    bounds: tuple[Any, ...] = tuple(moment.replace(tzinfo=None).isoformat(" ", "microseconds")
                                    for moment in (period.start, period.end))
    if args.database_url:
        from read_paths import PostgresRaw

        raw, bounds = PostgresRaw(args.database_url), (period.start, period.end)
    results: dict[str, Any] = {}
    runs = {"revenue_by_month": lambda: reports.revenue_by_month(period, "gregorian"),
            "revenue_by_month_jalali": lambda: reports.revenue_by_month(period, "jalali"),
            "revenue_by_product": lambda: reports.revenue_by_product(period),
            "revenue_by_owner": lambda: reports.revenue_by_owner(period)}
    for name, report in runs.items():
        base_name = name.removesuffix("_jalali")
        sql = (POSTGRES_BASELINES.get(base_name) if args.database_url else None) or BASELINES[base_name]
        timings, baseline = [], []
        for _ in range(args.repeat):
            with runtime.sessionmaker() as session, bind_session(session):
                t0 = time.perf_counter()
                rows = report()
                timings.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            raw.execute(sql, bounds).fetchall()
            baseline.append(time.perf_counter() - t0)
        results[name] = {"seconds": round(min(timings), 3), "baseline_seconds": round(min(baseline), 3),
                         "ratio": round(min(timings) / min(baseline), 2), "rows": len(rows),
                         "meets_target": min(timings) < TARGET_SECONDS}
        log(f"{name}: {results[name]}")
    print(json.dumps({"benchmark": "sales_revenue", "database": "postgresql" if args.database_url else "sqlite",
                      "baseline": "a raw GROUP BY of the same rows (sqlite3, psycopg on PostgreSQL)",
                      "orders": args.orders, "lines": args.orders * 5,
                      "rollup_rebuild_seconds": rebuild_seconds,
                      "period": "one year of two", "target_seconds": TARGET_SECONDS, "reports": results,
                      "machine": machine()}, indent=2))
    runtime.engine.dispose()


if __name__ == "__main__":
    main()
