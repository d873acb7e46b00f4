"""Order history import (`payvand sales import-orders`) on 100,000 order lines, SQLite or PostgreSQL.

Writes two CSV files of `--rows` order lines each (1–5 lines an order, a third of the lines by
SKU of 500 catalogue products and the rest free text, dates over five past years, Persian and
English names, 0.5 % bad rows) for the same `--customers` customers (by email, phone or
external id), then imports through the plugin's own `import_orders` into a freshly migrated
database:

- `first`: file A, every customer new (created through `create_customer`, audited and announced);
- `history`: file B, the same customers now known — the import of a history whose customers are
  already in Payvand;
- `rerun`: file B again, every order an update (lines replaced, the rollup corrected).

Baseline, in the same run and the same database: the `sales_order` and `sales_order_line` rows
the `history` import wrote are read back, deleted, and inserted again raw — sqlite3 executemany
on SQLite, psycopg `COPY` on PostgreSQL — in one transaction, as the import is one. `ratio` is
baseline time over `history` time (1.0 would be as fast as writing the final rows raw).
`cpu_seconds` is the process's own CPU time. Prints JSON.

    python benchmarks/order_import.py                       # 100,000 lines, SQLite
    python benchmarks/order_import.py --rows 10000          # quick
    python benchmarks/order_import.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_orders
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import resource
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from _dataset import add_database_argument, log, machine

GIVEN = ["سارا", "علی", "مریم", "رضا", "نگار", "Sara", "Reza", "Nima"]
FAMILY = ["احمدی", "کریمی", "رضایی", "Ahmadi", "Karimi", "Moradi"]
ITEMS = ["چای", "پسته", "زعفران", "Gift box", "Delivery", "خرما"]
HEADER = ["order_number", "date", "customer_id", "email", "phone", "customer", "sku", "description", "quantity",
          "amount", "currency"]
PRODUCTS = 500


def write_csv(path: Path, prefix: str, rows: int, customers: int, seed: int) -> None:
    """`rows` order lines of orders numbered `prefix`1, `prefix`2, … for `customers` customers."""
    rng = random.Random(seed)
    today = dt.date.today()
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        written = order = 0
        while written < rows:
            order += 1
            c = rng.randrange(customers)
            day = (today - dt.timedelta(days=rng.randrange(1, 5 * 365))).isoformat()
            key = c % 3  # a third of the customers by external id, a third by email, a third by phone
            who = [f"C{c}" if key == 0 else "", f"c{c}@example.com" if key == 1 else "",
                   f"0912{c:07d}" if key == 2 else "", f"{GIVEN[c % len(GIVEN)]} {FAMILY[c % len(FAMILY)]}"]
            for _ in range(min(rng.randint(1, 5), rows - written)):
                amount = rng.randrange(10, 5000) * 1000
                if rng.random() < 0.005:
                    amount_text = "n/a"  # a bad row: refuses its order
                else:
                    amount_text = str(amount)
                if rng.random() < 0.33:
                    item = [f"SKU{rng.randrange(PRODUCTS)}", ""]
                else:
                    item = ["", rng.choice(ITEMS)]
                writer.writerow([f"{prefix}{order}", day, *who, *item, rng.randint(1, 4), amount_text, "IRR"])
                written += 1


def _app(url: str, folder: Path) -> Any:
    import payvand.plugins.sales as sales
    from payvand.core.app import create_app

    return create_app({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": str(folder / "instance"),
                       "PAYVAND_PLUGINS": ["sales"], "PAYVAND_EXTRA_PLUGINS": [sales], "PAYVAND_JOBS": "off",
                       "SECRET_KEY": "benchmark"})


def prepare(url: str, folder: Path) -> None:
    """Migrate the database (PostgreSQL: its public schema emptied first) and add the catalogue."""
    import sqlalchemy as sa

    import payvand.plugins.sales as sales
    from payvand.core.migrations.runner import upgrade
    from payvand.core.plugins import InstalledPlugin
    from payvand.plugins.sales.models import Product

    engine = sa.create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    upgrade(engine, [InstalledPlugin(name="sales", obj=sales, meta=sales.meta, source="payvand.plugins.sales")])
    with engine.begin() as connection:
        connection.execute(sa.insert(Product.__table__), [{"sku": f"SKU{n}", "name": f"Product {n}", "kind": "product",
                                                          "unit": "unit", "tax_class": "standard", "in_stock": True,
                                                          "active": True, "created_at": dt.datetime.now(dt.UTC)}
                                                         for n in range(PRODUCTS)])
    engine.dispose()


def run_import(url: str, folder: Path, csv_path: Path) -> tuple[float, float, Any]:
    """Seconds (wall clock, then CPU) of `import_orders` of the file, committed, and its result."""
    from payvand.core.db import bind_session
    from payvand.plugins.sales.services.order_import import import_orders

    app = _app(url, folder)
    runtime = app.extensions["payvand"]
    with app.app_context(), runtime.sessionmaker() as session, bind_session(session):
        t0, c0 = time.perf_counter(), time.process_time()
        result = import_orders(csv_path)
        session.commit()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    runtime.engine.dispose()
    return seconds, cpu, result


ORDER_COLUMNS = ("id", "number", "customer_id", "currency", "subtotal", "discount_total", "tax_total", "total",
                 "created_at", "status", "channel", "placed_at", "external_number")
LINE_COLUMNS = ("id", "order_id", "product_id", "position", "description", "quantity", "unit_price", "discount",
                "tax_rate", "net", "tax", "total")


def baseline(url: str, prefix: str) -> tuple[float, int, int]:
    """Read back the orders numbered `prefix`… and their lines, delete them, insert them again raw in one
    transaction; the seconds of the insert, and the order and line counts."""
    orders_where = f"external_number LIKE '{prefix}%'"
    lines_where = f"order_id IN (SELECT id FROM sales_order WHERE {orders_where})"
    if url.startswith("sqlite"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        orders = db.execute(f"SELECT {', '.join(ORDER_COLUMNS)} FROM sales_order WHERE {orders_where}").fetchall()
        lines = db.execute(f"SELECT {', '.join(LINE_COLUMNS)} FROM sales_order_line WHERE {lines_where}").fetchall()
        db.execute(f"DELETE FROM sales_order_line WHERE {lines_where}")
        db.execute(f"DELETE FROM sales_order WHERE {orders_where}")
        db.commit()
        t0 = time.perf_counter()
        db.executemany(f"INSERT INTO sales_order ({', '.join(ORDER_COLUMNS)}) VALUES "
                       f"({', '.join('?' * len(ORDER_COLUMNS))})", orders)
        db.executemany(f"INSERT INTO sales_order_line ({', '.join(LINE_COLUMNS)}) VALUES "
                       f"({', '.join('?' * len(LINE_COLUMNS))})", lines)
        db.commit()
        seconds = time.perf_counter() - t0
        db.close()
        return seconds, len(orders), len(lines)
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY (SELECT {', '.join(ORDER_COLUMNS)} FROM sales_order WHERE {orders_where}) "
                             "TO STDOUT") as copy:
                orders = list(copy.rows())
            with cursor.copy(f"COPY (SELECT {', '.join(LINE_COLUMNS)} FROM sales_order_line WHERE {lines_where}) "
                             "TO STDOUT") as copy:
                lines = list(copy.rows())
            cursor.execute(f"DELETE FROM sales_order_line WHERE {lines_where}")
            cursor.execute(f"DELETE FROM sales_order WHERE {orders_where}")
        connection.commit()
        t0 = time.perf_counter()
        with connection.transaction(), connection.cursor() as cursor:
            with cursor.copy(f"COPY sales_order ({', '.join(ORDER_COLUMNS)}) FROM STDIN") as copy:
                for row in orders:
                    copy.write_row(row)
            with cursor.copy(f"COPY sales_order_line ({', '.join(LINE_COLUMNS)}) FROM STDIN") as copy:
                for row in lines:
                    copy.write_row(row)
        return time.perf_counter() - t0, len(orders), len(lines)


def _figures(seconds: float, cpu: float, rows: int, result: Any) -> dict[str, Any]:
    return {"seconds": round(seconds, 2), "lines_per_second": round(rows / seconds), "cpu_seconds": round(cpu, 2),
            **result.summary()}


def main() -> None:
    """Write the files, import them through the plugin, then the raw baseline; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000, help="order lines per file")
    parser.add_argument("--customers", type=int, default=10_000)
    add_database_argument(parser)  # its public schema is emptied
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="payvand-order-import-"))
    try:
        url = args.database_url or f"sqlite:///{folder / 'payvand.sqlite3'}"
        first_csv, history_csv = folder / "a.csv", folder / "b.csv"
        write_csv(first_csv, "A", args.rows, args.customers, seed=1)
        write_csv(history_csv, "B", args.rows, args.customers, seed=2)
        log(f"two files of {args.rows:,} lines written ({history_csv.stat().st_size / 1e6:.1f} MB each)")
        prepare(url, folder)
        load_before = machine()
        first = run_import(url, folder, first_csv)
        log(f"first (customers created): {first[0]:.2f} s, {first[2].summary()}")
        history = run_import(url, folder, history_csv)
        log(f"history (customers known): {history[0]:.2f} s, {history[2].summary()}")
        rerun = run_import(url, folder, history_csv)
        log(f"rerun (every order updated): {rerun[0]:.2f} s, {rerun[2].summary()}")
        raw_seconds, orders, lines = baseline(url, "B")
        log(f"raw insert of the {orders:,} orders and {lines:,} lines: {raw_seconds:.2f} s")
        print(json.dumps({
            "benchmark": "order_import", "database": "postgresql" if args.database_url else "sqlite",
            "rows": args.rows, "customers": args.customers,
            "first": _figures(*first[:2], args.rows, first[2]),
            "history": _figures(*history[:2], args.rows, history[2]),
            "rerun": _figures(*rerun[:2], args.rows, rerun[2]),
            "baseline_raw_insert": {"seconds": round(raw_seconds, 2), "orders": orders, "lines": lines,
                                    "how": "psycopg COPY" if args.database_url else "sqlite3 executemany"},
            "baseline": "exactly the sales_order and sales_order_line rows the history import wrote, read back, "
                        "deleted and inserted again raw into the same tables and indexes in one transaction; "
                        "no reading, validation, customer matching or rollup",
            "ratio": round(raw_seconds / history[0], 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "machine_before": load_before, "machine": machine(),
        }, indent=2))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
