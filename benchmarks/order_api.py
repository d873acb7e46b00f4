"""Placing an order through `POST /api/v1/sales/orders` (target: p95 under 30 ms), on SQLite or PostgreSQL.

On SQLite it works on a copy of the sales revenue database (`sales_revenue.py`: 1,000,000 orders,
5,000,000 lines, 100,000 customers, 2,000 products) so the indexes and rollup it updates are
full-size; with `--database-url` it uses that (empty-ish) PostgreSQL database after migrating
it and seeding customers and products. Each request places a three-line order (prices from the
default price list, VAT, numbering, the daily product rollup, the `sales.order_placed`
interaction, the audit entry, the outbox event) through the Flask test client with a bearer
token, after a warm-up.

Baseline, in the same run and interleaved request by request: a raw driver transaction that
inserts the same order row and three line rows (no pricing, no checks) — the least a write of
that order can cost on the same database. Prints JSON.

    python benchmarks/order_api.py                     # SQLite, 1M-order database
    python benchmarks/order_api.py --orders 100000     # smaller SQLite database
    python benchmarks/order_api.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_orders
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from pathlib import Path
from typing import Any

from _dataset import DATA_DIR, add_database_argument, log, machine, summary_ms

TARGET_P95_MS = 30.0


def _prepare(url: str, products: int) -> None:
    """A default price list with a price for every product, and the benchmark's API user's token."""
    import sqlalchemy as sa

    from payvand.core.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        have = conn.execute(sa.text("SELECT count(*) FROM sales_price_list WHERE is_default")).scalar()
        if not have:
            list_id = conn.execute(sa.text(
                "INSERT INTO sales_price_list (name, currency, is_default) VALUES ('Benchmark', 'IRR', true)"
                " RETURNING id")).scalar()
            conn.execute(sa.text("INSERT INTO sales_price (price_list_id, product_id, unit_price) VALUES (:l, :p, :a)"),
                         [{"l": list_id, "p": p, "a": str(10_000 * (p % 97 + 1))} for p in range(1, products + 1)])
    engine.dispose()


def _seed_postgres(url: str, customers: int, products: int) -> None:
    """Migrate an empty PostgreSQL database and load customers and products."""
    import sqlalchemy as sa

    import payvand.plugins.sales as sales
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade
    from payvand.core.plugins import InstalledPlugin

    engine = make_engine(url)
    upgrade(engine, [InstalledPlugin(name="sales", obj=sales, meta=sales.meta, source="payvand.plugins.sales")])
    with engine.begin() as conn:
        if conn.execute(sa.text("SELECT count(*) FROM sales_product")).scalar():
            engine.dispose()
            return
        conn.execute(sa.text(
            "INSERT INTO core_customer (kind, display_name, search_name, search_name_alt, lifecycle_stage, attributes,"
            " created_at, updated_at, version) SELECT 'person', 'C' || g, 'c' || g, 'c' || g, 'customer', '{}', now(),"
            " now(), 1 FROM generate_series(1, :n) g"), {"n": customers})
        conn.execute(sa.text(
            "INSERT INTO sales_product (sku, name, kind, unit, tax_class, in_stock, active, created_at)"
            " SELECT 'SKU-' || g, 'Product ' || g, 'product', 'unit', 'standard', true, true, now()"
            " FROM generate_series(1, :n) g"), {"n": products})
    engine.dispose()


def main() -> None:
    """Prepare the database, then time API order placement against the raw insert; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="size of the SQLite sales database")
    add_database_argument(parser)  # --database-url, default $PAYVAND_BENCH_DATABASE_URL
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--warmup", type=int, default=50)
    args = parser.parse_args()
    customers, products = 100_000, 2_000
    if args.database_url:
        url = args.database_url
        _seed_postgres(url, customers, products)
        backend = "postgresql"
    else:
        import sales_revenue

        source = DATA_DIR / f"sales-v4-{args.orders}o.sqlite3"
        if not source.exists():
            log(f"building {source.name}")
            sales_revenue.build(source, args.orders)
        target = DATA_DIR / "order-api.sqlite3"
        shutil.copyfile(source, target)
        url = f"sqlite:///{target}"
        backend = "sqlite"
    _prepare(url, products)

    import sqlalchemy as sa
    from _dataset import ensure_api_token

    import payvand.plugins.sales as sales
    from payvand.core.app import create_app

    token = ensure_api_token(url, ["sales.document.view", "sales.document.edit"], email="bench-orders@example.com")
    app = create_app({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": str(DATA_DIR / "order-api-instance"),
                      "PAYVAND_PLUGINS": ["sales"], "PAYVAND_EXTRA_PLUGINS": [sales], "PAYVAND_JOBS": "off",
                      "SECRET_KEY": "benchmark"})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    engine = app.extensions["payvand"].engine
    rng = random.Random(11)

    def body() -> dict[str, Any]:
        return {"customer_id": rng.randrange(1, customers + 1),
                "lines": [{"product_id": p, "quantity": str(rng.randint(1, 4))}
                          for p in rng.sample(range(1, products + 1), 3)]}

    order_sql = sa.text(
        "INSERT INTO sales_order (number, customer_id, currency, subtotal, discount_total, tax_total, total, created_at,"
        " status, channel, placed_at) VALUES (:n, :c, 'IRR', 1, 0, 0, 1, CURRENT_TIMESTAMP, 'placed', 'api',"
        " CURRENT_TIMESTAMP) RETURNING id")
    line_sql = sa.text(
        "INSERT INTO sales_order_line (order_id, position, product_id, description, quantity, unit_price, discount,"
        " tax_rate, net, tax, total) VALUES (:o, :pos, :p, 'x', 1, 1, 0, 0, 1, 0, 1)")

    def raw(n: int, data: dict[str, Any]) -> None:
        with engine.begin() as conn:
            order_id = conn.execute(order_sql, {"n": f"RAW-{time.time_ns()}-{n}", "c": data["customer_id"]}).scalar()
            conn.execute(line_sql, [{"o": order_id, "pos": i, "p": line["product_id"]}
                                    for i, line in enumerate(data["lines"])])

    for n in range(args.warmup):
        response = client.post("/api/v1/sales/orders", json=body(), headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        raw(n, body())
    api_ns: list[int] = []
    raw_ns: list[int] = []
    for n in range(args.requests):
        data = body()
        t0 = time.perf_counter_ns()
        response = client.post("/api/v1/sales/orders", json=data, headers=headers)
        api_ns.append(time.perf_counter_ns() - t0)
        assert response.status_code == 201, response.get_data(as_text=True)
        t0 = time.perf_counter_ns()
        raw(n, data)
        raw_ns.append(time.perf_counter_ns() - t0)
        if n and n % 250 == 0:
            log(f"{n}/{args.requests}")
    api, baseline = summary_ms(api_ns), summary_ms(raw_ns)
    print(json.dumps({"benchmark": "order_api", "backend": backend,
                      "existing_orders": args.orders if backend == "sqlite" else None,
                      "lines_per_order": 3, "target_p95_ms": TARGET_P95_MS, "api_ms": api, "raw_insert_ms": baseline,
                      "p95_ratio": round(api["p95"] / baseline["p95"], 2), "meets_target": api["p95"] < TARGET_P95_MS,
                      "machine": machine()}, indent=2))
    engine.dispose()
    if backend == "sqlite":
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
