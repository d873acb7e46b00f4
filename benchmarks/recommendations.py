"""Recommendations of the analytics plugin on 1,000,000 customers and 5,000,000 order lines (SQLite).

Builds (once, cached in benchmarks/.data/) a database migrated with the core, the sales and the
analytics plugins, filled with raw sqlite3 executemany: 2,000 products in 20 categories, every
customer with a favourite category (80 % of their lines from it, popular products more often),
two orders of 2-3 lines each on average over two years. Then, through the plugin's own code:

- the fit (`run_recommend`: the purchase facts grouped into customer-product pairs in SQL, the
  item-item model in scipy, 50 neighbours per product written), against a baseline in the same
  run: the same pairs read with raw sqlite3 and the same sparse product `Xᵀ X` in scipy, nothing
  written (the physical minimum of the same reading and arithmetic);
- the per-customer lookup (`for_customer`, 10 suggestions) for 2,000 random customers, p50/p95,
  against the raw lookup in the same run: the customer's products and their stored neighbours
  read with two raw sqlite3 queries.

Goals (issue 14): the fit under 3 minutes, a lookup p95 under 10 ms. Prints JSON.

    python benchmarks/recommendations.py                              # 1M customers, 5M lines
    python benchmarks/recommendations.py --customers 50000            # quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from _dataset import DATA_DIR, log, machine
from scipy import sparse

FIT_TARGET_SECONDS = 180.0
LOOKUP_TARGET_MS = 10.0


def build(path: Path, customers: int, products: int = 2_000, categories: int = 20, seed: int = 9) -> int:
    """Create and fill the database at `path`; returns the number of order lines."""
    import payvand.plugins.analytics as analytics
    import payvand.plugins.sales as sales
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade
    from payvand.core.plugins import InstalledPlugin

    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{tmp}")
    upgrade(engine, [InstalledPlugin(name="sales", obj=sales, meta=sales.meta, source="payvand.plugins.sales"),
                     InstalledPlugin(name="analytics", obj=analytics, meta=analytics.meta,
                                     source="payvand.plugins.analytics")])
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
    db.executemany("INSERT INTO sales_category (id, name) VALUES (?, ?)",
                   ((c, f"Category {c}") for c in range(1, categories + 1)))
    db.executemany("INSERT INTO sales_product (id, sku, name, kind, category_id, unit, tax_class, in_stock, active,"
                   " created_at) VALUES (?, ?, ?, 'product', ?, 'unit', 'standard', 1, 1, ?)",
                   ((i, f"SKU-{i}", f"Product {i}", 1 + (i - 1) % categories, now) for i in range(1, products + 1)))
    by_category = [[p for p in range(1, products + 1) if 1 + (p - 1) % categories == c] for c in range(1, categories + 1)]
    weights = [1 / (rank + 1) for rank in range(len(by_category[0]))]  # Zipf-like popularity inside a category
    start = dt.datetime(2024, 1, 1)
    order_id = line_id = 0
    orders: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    for customer in range(1, customers + 1):
        taste = by_category[rng.randrange(categories)]
        for _ in range(rng.choice((1, 2, 2, 3))):
            order_id += 1
            placed = (start + dt.timedelta(seconds=rng.randrange(2 * 365 * 86400))).strftime("%Y-%m-%d %H:%M:%S.000000")
            total = 0
            for position in range(rng.choice((2, 2, 3, 3, 3))):
                line_id += 1
                product = rng.choices(taste, weights)[0] if rng.random() < 0.8 else rng.randrange(1, products + 1)
                amount = 10_000 * (1 + product % 50)
                total += amount
                lines.append((line_id, order_id, position, product, "item", "1", str(amount), "0", "0", str(amount),
                              "0", str(amount)))
            orders.append((order_id, f"O-{order_id}", customer, "IRR", str(total), "0", "0", str(total), placed,
                           "delivered", "web", placed, None))
        if len(orders) >= 50_000:
            _flush(db, orders, lines)
            log(f"customers {customer:,}/{customers:,}, lines {line_id:,}")
    _flush(db, orders, lines)
    db.commit()
    db.close()
    tmp.rename(path)
    return line_id


def _flush(db: sqlite3.Connection, orders: list[tuple[Any, ...]], lines: list[tuple[Any, ...]]) -> None:
    db.executemany(
        "INSERT INTO sales_order (id, number, customer_id, currency, subtotal, discount_total, tax_total, total,"
        " created_at, status, channel, placed_at, owner_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", orders)
    db.executemany(
        "INSERT INTO sales_order_line (id, order_id, position, product_id, description, quantity, unit_price,"
        " discount, tax_rate, net, tax, total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", lines)
    orders.clear()
    lines.clear()


def raw_fit(path: Path) -> float:
    """The baseline fit: the same pairs read with raw sqlite3 and `Xᵀ X` in scipy; seconds."""
    t0 = time.perf_counter()
    db = sqlite3.connect(path)
    rows = db.execute("SELECT o.customer_id, l.product_id FROM sales_order_line l JOIN sales_order o ON o.id = l.order_id"
                      " WHERE o.status NOT IN ('cancelled', 'returned') AND l.product_id IS NOT NULL"
                      " GROUP BY o.customer_id, l.product_id").fetchall()
    db.close()
    pairs = np.asarray(rows, dtype=np.int64)
    _, items = np.unique(pairs[:, 1], return_inverse=True)
    _, people = np.unique(pairs[:, 0], return_inverse=True)
    matrix = sparse.csr_matrix((np.ones(len(pairs)), (people, items)))
    (matrix.T @ matrix).tocsr()
    return time.perf_counter() - t0


def main() -> None:
    """Build or reuse the database, fit through the plugin and the baseline, time lookups; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--lookups-only", action="store_true",
                        help="reuse the stored fit (when there is one): time the lookups only")
    args = parser.parse_args()
    path = DATA_DIR / f"recommend-v1-{args.customers}c.sqlite3"
    if not path.exists():
        log(f"building {path.name}")
        began = time.perf_counter()
        build(path, args.customers)
        log(f"built in {time.perf_counter() - began:.0f} s")

    import sqlalchemy as sa

    import payvand.plugins.analytics as analytics
    import payvand.plugins.sales as sales
    from payvand.core.app import create_app
    from payvand.core.db import bind_session
    from payvand.plugins.analytics.services import recommend

    app = create_app({"PAYVAND_DATABASE_URL": f"sqlite:///{path}", "PAYVAND_INSTANCE": str(DATA_DIR / "recommend-instance"),
                      "PAYVAND_PLUGINS": ["sales", "analytics"], "PAYVAND_EXTRA_PLUGINS": [sales, analytics],
                      "PAYVAND_JOBS": "off", "SECRET_KEY": "benchmark"})
    runtime = app.extensions["payvand"]
    app.app_context().push()
    with runtime.sessionmaker() as session, bind_session(session):
        lines = session.scalar(sa.text("SELECT count(*) FROM sales_order_line"))
        stored = recommend.latest_run() if args.lookups_only else None
        if stored is None:
            session.execute(sa.text("DELETE FROM analytics_run WHERE kind = 'recommend'"))
        session.commit()
    fit: dict[str, Any] = {}
    if stored is None:
        baseline_fit = raw_fit(path)
        log(f"baseline fit {baseline_fit:.1f} s")
        with runtime.sessionmaker() as session, bind_session(session):
            t0 = time.perf_counter()
            run = recommend.run_recommend()
            session.commit()
            fit_seconds = time.perf_counter() - t0
            run_id, results = run.id, dict(run.results)
        log(f"fit {fit_seconds:.1f} s: {results}")
        fit = {"seconds": round(fit_seconds, 1), "baseline_seconds": round(baseline_fit, 1),
               "ratio": round(fit_seconds / baseline_fit, 2), "target_seconds": FIT_TARGET_SECONDS,
               "meets_target": fit_seconds < FIT_TARGET_SECONDS, **results}
    else:
        run_id = stored.id
    load_before = machine()
    rng = random.Random(3)
    customers = [rng.randrange(1, args.customers + 1) for _ in range(args.lookups)]
    timings, cpu, baseline = [], [], []
    raw = sqlite3.connect(path)
    with runtime.sessionmaker() as session, bind_session(session):
        for customer in customers:
            t0, c0 = time.perf_counter(), time.thread_time()
            recommend.for_customer(customer, 10)
            timings.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
            t0 = time.perf_counter()
            owned = [p for (p,) in raw.execute(
                "SELECT DISTINCT l.product_id FROM sales_order_line l JOIN sales_order o ON o.id = l.order_id"
                " WHERE o.customer_id = ? AND o.status NOT IN ('cancelled', 'returned') AND l.product_id IS NOT NULL",
                (customer,))]
            marks = ",".join("?" * len(owned))
            raw.execute(f"SELECT product_id, neighbour_id, score FROM analytics_item_neighbour WHERE run_id = ?"
                        f" AND product_id IN ({marks})", (run_id, *owned)).fetchall()
            baseline.append(time.perf_counter() - t0)

    def ms(values: list[float], q: float) -> float:
        return round(1000 * statistics.quantiles(values, n=100)[int(q) - 1], 2)

    print(json.dumps({
        "benchmark": "recommendations", "database": "sqlite", "customers": args.customers, "lines": lines,
        "fit": fit or "reused (--lookups-only)",
        "lookup": {"p50_ms": ms(timings, 50), "p95_ms": ms(timings, 95), "cpu_p50_ms": ms(cpu, 50),
                   "cpu_p95_ms": ms(cpu, 95), "baseline_p50_ms": ms(baseline, 50),
                   "baseline_p95_ms": ms(baseline, 95), "target_p95_ms": LOOKUP_TARGET_MS,
                   "meets_target": ms(timings, 95) < LOOKUP_TARGET_MS, "lookups": len(timings)},
        "baseline": "fit: the same customer-product pairs read with raw sqlite3 and the same sparse Xᵀ X in scipy,"
                    " nothing stored; lookup: the customer's products and their stored neighbours by two raw"
                    " sqlite3 queries",
        "machine_before": load_before, "machine": machine(),
    }))


if __name__ == "__main__":
    main()
