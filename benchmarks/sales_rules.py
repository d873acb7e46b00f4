"""A rep's quote, order and invoice lists under the sales record rules (`plugins/sales/services/rules.py`).

Builds (once, cached in benchmarks/.data/; or into the PostgreSQL database of `--database-url`)
100,000 customers, 30,000 deals, 100,000 quotes (one in two on a deal), 300,000 orders (one in three from a quote) and 200,000
invoices, owned by 50 reps: rep 1 is busy (5 % of the customers, so about 5 % of every list),
rep 2 has one customer with three orders, two quotes and two invoices; user 51 is a manager.
Orders count for their customer's owner (`owner_id`) and were placed by them four times in five.

For each of these callers it times, through the plugin's own service functions
(the list kit's `documents.ORDERS` … pages, `get_order` …), the first page (50 rows) and a deep keyset page
(`before_id` past the caller's 5,000th row, or the middle of the table) of the order, quote and
invoice lists, and one get by id. Baseline, in the same run and interleaved: the fastest of
three hand-written SQL forms fetching the same rows (whole rows, same schema and indexes):
`set` (the visible ids as a union of indexed lookups), `branches` (each rule a branch ordered by
id with its own LIMIT, merged) and `walk` (the table by id with an EXISTS per rule) — every
form's time is printed too. No ANALYZE on SQLite (as after an import); PostgreSQL is analysed
after the load (autovacuum would do it). Prints JSON.

    python benchmarks/sales_rules.py                     # SQLite
    python benchmarks/sales_rules.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_rules
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any

from _dataset import DATA_DIR, add_database_argument, log, machine, summary_ms

CUSTOMERS, DEALS, QUOTES, ORDERS = 100_000, 30_000, 100_000, 300_000
BUSY, RARE, MANAGER = 1, 2, 51
PAGE = 50
NOW = "2026-01-01 00:00:00.000000"
MONEY = ("IRR", "1000", "0", "0", "1000")

COLUMNS = {
    "core_user": "id, email, name, is_active, is_superuser, created_at",
    "core_customer": "id, kind, display_name, search_name, search_name_alt, lifecycle_stage, owner_id, attributes,"
                     " created_at, updated_at, version",
    "sales_pipeline": "id, name, is_default, position",
    "sales_stage": "id, pipeline_id, name, position, probability, outcome",
    "sales_deal": "id, title, pipeline_id, stage_id, position, amount, currency, status, created_at, customer_id,"
                  " owner_id",
    "sales_quote": "id, number, customer_id, currency, subtotal, discount_total, tax_total, total, created_at, status,"
                   " created_by_id, deal_id",
    "sales_order": "id, number, customer_id, currency, subtotal, discount_total, tax_total, total, created_at, status,"
                   " channel, placed_at, owner_id, created_by_id, quote_id",
    "sales_invoice": "id, number, customer_id, currency, subtotal, discount_total, tax_total, total, created_at,"
                     " order_id, year, sequence, status, issued_at, paid_total",
}


def rows(seed: int = 9) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """The tables' rows, in dependency order (the same for both databases)."""
    rng = random.Random(seed)
    yield "core_user", [(i, f"rep{i}@example.com", f"Rep {i}", True, False, NOW) for i in range(1, MANAGER + 1)]
    owners: list[int | None] = [None, RARE]  # customer 1 is the rare rep's only one
    for _ in range(2, CUSTOMERS + 1):
        draw = rng.random()
        owners.append(BUSY if draw < 0.05 else None if draw < 0.15 else rng.randrange(3, MANAGER))
    yield "core_customer", [(i, "person", f"C{i}", f"c{i}", f"c{i}", "customer", owners[i], "{}", NOW, NOW, 1)
                            for i in range(1, CUSTOMERS + 1)]

    def writer(customer: int) -> int | None:
        owner = owners[customer]
        return owner if owner is not None and rng.random() < 0.8 else rng.randrange(3, MANAGER)

    yield "sales_pipeline", [(1000, "Benchmark", False, 9)]
    yield "sales_stage", [(1000, 1000, "Open", 0, 50, "open")]
    deal_customer = [0] + [rng.randrange(2, CUSTOMERS + 1) for _ in range(DEALS)]
    yield "sales_deal", [(d, f"Deal {d}", 1000, 1000, d, "1000", "IRR", "open", NOW, deal_customer[d],
                          owners[deal_customer[d]] or writer(deal_customer[d])) for d in range(1, DEALS + 1)]
    rare_quotes = {QUOTES // 3, 2 * QUOTES // 3}
    quote_customer = [0] + [1 if q in rare_quotes else rng.randrange(2, CUSTOMERS + 1) for q in range(1, QUOTES + 1)]
    yield "sales_quote", [(q, f"Q-{q}", quote_customer[q], *MONEY, NOW, "sent", writer(quote_customer[q]),
                           rng.randrange(1, DEALS + 1) if q % 2 == 0 and q not in rare_quotes else None)
                          for q in range(1, QUOTES + 1)]
    rare_orders = {ORDERS // 6 + 1, ORDERS // 2 + 1, 5 * ORDERS // 6 + 1}
    orders, order_customer = [], [0]
    for o in range(1, ORDERS + 1):
        quote = o // 3 if o % 3 == 0 else None
        customer = quote_customer[quote] if quote else 1 if o in rare_orders else rng.randrange(2, CUSTOMERS + 1)
        order_customer.append(customer)
        orders.append((o, f"O-{o}", customer, *MONEY, NOW, "placed", "staff", NOW, owners[customer] or writer(customer),
                       writer(customer), quote))
    yield "sales_order", orders
    invoiced = [o for o in range(1, ORDERS + 1) if o % 3 != 2]
    yield "sales_invoice", [(i, f"INV-{i}", order_customer[o], *MONEY, NOW, o, 2026, i, "unpaid", NOW, "0")
                            for i, o in enumerate(invoiced, 1)]


def _plugins() -> list[Any]:
    from payvand.core.plugins import InstalledPlugin
    from payvand.plugins import sales

    return [InstalledPlugin(name="sales", obj=sales, meta=sales.meta, source="payvand.plugins.sales")]


def build_sqlite(path: Any) -> None:
    """Migrate a new SQLite database and load the rows with executemany."""
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade

    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{tmp}")
    upgrade(engine, _plugins())
    engine.dispose()
    db = sqlite3.connect(tmp)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    for table, batch in rows():
        columns = COLUMNS[table]
        marks = ", ".join("?" * len(columns.split(",")))
        db.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", batch)
        log(f"{table}: {len(batch):,}")
    db.commit()
    db.close()
    tmp.rename(path)


def build_postgres(url: str) -> None:
    """Migrate the PostgreSQL database and load the rows with COPY (once: skipped when orders exist)."""
    import sqlalchemy as sa

    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade

    engine = make_engine(url)
    upgrade(engine, _plugins())
    with engine.connect() as conn:
        if conn.execute(sa.text("SELECT count(*) FROM sales_order")).scalar():
            engine.dispose()
            return
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, batch in rows():
            with cursor.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
            log(f"{table}: {len(batch):,}")
        for table in ("sales_deal", "sales_quote", "sales_order", "sales_invoice"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    engine.dispose()


# --------------------------------------------------------------------------- hand-written baselines

_CUSTOMERS = "SELECT id FROM core_customer WHERE owner_id = :me"
_QUOTE_SEEN = ("q.created_by_id = :me OR EXISTS (SELECT 1 FROM sales_deal d WHERE d.id = q.deal_id AND d.owner_id = :me)"
               " OR EXISTS (SELECT 1 FROM core_customer c WHERE c.id = q.customer_id AND c.owner_id = :me)")
_QUOTE_IDS = (f"SELECT id FROM sales_quote WHERE created_by_id = :me UNION ALL SELECT id FROM sales_quote WHERE deal_id"
              f" IN (SELECT id FROM sales_deal WHERE owner_id = :me) UNION ALL SELECT id FROM sales_quote WHERE"
              f" customer_id IN ({_CUSTOMERS})")
_ORDER_IDS = (f"SELECT id FROM sales_order WHERE owner_id = :me UNION ALL SELECT id FROM sales_order WHERE created_by_id"
              f" = :me UNION ALL SELECT id FROM sales_order WHERE customer_id IN ({_CUSTOMERS}) UNION ALL SELECT id FROM"
              f" sales_order WHERE quote_id IN ({_QUOTE_IDS})")
_ORDER_SEEN = ("o.owner_id = :me OR o.created_by_id = :me OR EXISTS (SELECT 1 FROM core_customer c WHERE c.id ="
               f" o.customer_id AND c.owner_id = :me) OR EXISTS (SELECT 1 FROM sales_quote q WHERE q.id = o.quote_id"
               f" AND ({_QUOTE_SEEN}))")


def _branches(table: str, parts: list[str]) -> str:
    """Each rule a branch of ids ordered by id, limited; merged, deduplicated and limited again."""
    limited = " UNION ALL ".join(f"SELECT * FROM (SELECT t.id FROM {table} t {part} AND t.id < :before"
                                 f" ORDER BY t.id DESC LIMIT :n) AS b{i}" for i, part in enumerate(parts))
    return (f"SELECT * FROM {table} WHERE id IN (SELECT DISTINCT id FROM ({limited}) AS u ORDER BY id DESC LIMIT :n)"
            f" ORDER BY id DESC")


def _limited(table: str, parts: list[str]) -> str:
    """Each rule a branch of ids read by index (`IN` a subquery), ordered by id and limited; merged."""
    limited = " UNION ALL ".join(f"SELECT * FROM (SELECT id FROM {table} WHERE {part} AND id < :before"
                                 f" ORDER BY id DESC LIMIT :n) AS b{i}" for i, part in enumerate(parts))
    return (f"SELECT * FROM {table} WHERE id IN (SELECT DISTINCT id FROM ({limited}) AS u ORDER BY id DESC LIMIT :n)"
            f" ORDER BY id DESC")


BASELINES: dict[str, dict[str, str]] = {
    "orders": {
        "set": f"SELECT * FROM sales_order WHERE id IN ({_ORDER_IDS}) AND id < :before ORDER BY id DESC LIMIT :n",
        "walk": (f"SELECT * FROM sales_order o WHERE o.id < :before AND ({_ORDER_SEEN}) ORDER BY o.id DESC"
                 f" LIMIT :n"),
        "branches": _branches("sales_order", [
            "WHERE t.owner_id = :me", "WHERE t.created_by_id = :me",
            "JOIN core_customer c ON c.id = t.customer_id WHERE c.owner_id = :me",
            f"JOIN sales_quote q ON q.id = t.quote_id WHERE ({_QUOTE_SEEN})"]),
        "limited": _limited("sales_order", [
            "owner_id = :me", "created_by_id = :me", f"customer_id IN ({_CUSTOMERS})", f"quote_id IN ({_QUOTE_IDS})"]),
    },
    "quotes": {
        "set": f"SELECT * FROM sales_quote WHERE id IN ({_QUOTE_IDS}) AND id < :before ORDER BY id DESC LIMIT :n",
        "walk": f"SELECT * FROM sales_quote q WHERE q.id < :before AND ({_QUOTE_SEEN}) ORDER BY q.id DESC LIMIT :n",
        "branches": _branches("sales_quote", [
            "WHERE t.created_by_id = :me", "JOIN sales_deal d ON d.id = t.deal_id WHERE d.owner_id = :me",
            "JOIN core_customer c ON c.id = t.customer_id WHERE c.owner_id = :me"]),
        "limited": _limited("sales_quote", [
            "created_by_id = :me", "deal_id IN (SELECT id FROM sales_deal WHERE owner_id = :me)",
            f"customer_id IN ({_CUSTOMERS})"]),
    },
    "invoices": {
        "set": (f"SELECT * FROM sales_invoice WHERE id IN (SELECT id FROM sales_invoice WHERE customer_id IN"
                f" ({_CUSTOMERS}) UNION ALL SELECT id FROM sales_invoice WHERE order_id IN ({_ORDER_IDS}))"
                f" AND id < :before ORDER BY id DESC LIMIT :n"),
        "walk": (f"SELECT * FROM sales_invoice i WHERE i.id < :before AND (EXISTS (SELECT 1 FROM core_customer c WHERE"
                 f" c.id = i.customer_id AND c.owner_id = :me) OR EXISTS (SELECT 1 FROM sales_order o WHERE o.id ="
                 f" i.order_id AND ({_ORDER_SEEN}))) ORDER BY i.id DESC LIMIT :n"),
        "branches": _branches("sales_invoice", [
            "JOIN core_customer c ON c.id = t.customer_id WHERE c.owner_id = :me",
            f"JOIN sales_order o ON o.id = t.order_id WHERE ({_ORDER_SEEN})"]),
        "limited": _limited("sales_invoice", [f"customer_id IN ({_CUSTOMERS})", f"order_id IN ({_ORDER_IDS})"]),
    },
}
MANAGER_SQL = "SELECT * FROM {table} WHERE id < :before ORDER BY id DESC LIMIT :n"
GET_SQL = "SELECT * FROM {table} WHERE id = :id"
TABLES = {"orders": "sales_order", "quotes": "sales_quote", "invoices": "sales_invoice"}


def _time(call: Callable[[], Any], repeat: int) -> tuple[list[int], Any]:
    samples, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        result = call()
        samples.append(time.perf_counter_ns() - t0)
    return samples, result


def main() -> None:
    """Build or reuse the data, then time each list page and get against the hand-written SQL; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_database_argument(parser)  # --database-url, default $PAYVAND_BENCH_DATABASE_URL
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.database_url:
        url, backend = args.database_url, "postgresql"
        build_postgres(url)
    else:
        path = DATA_DIR / f"sales-rules-v2-{ORDERS}o.sqlite3"
        if args.rebuild:
            path.unlink(missing_ok=True)
        if not path.exists():
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            began = time.perf_counter()
            build_sqlite(path)
            log(f"built in {time.perf_counter() - began:.0f} s")
        url, backend = f"sqlite:///{path}", "sqlite"

    import sqlalchemy as sa

    from payvand.core.app import create_app
    from payvand.core.db import bind_session
    from payvand.plugins import sales
    from payvand.plugins.sales.services import documents

    app = create_app({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": str(DATA_DIR / "sales-rules-instance"),
                      "PAYVAND_PLUGINS": ["sales"], "PAYVAND_EXTRA_PLUGINS": [sales], "PAYVAND_JOBS": "off",
                      "SECRET_KEY": "benchmark"})
    runtime = app.extensions["payvand"]
    app.app_context().push()
    from payvand.core.listing.cursor import encode_cursor

    specs = {"orders": documents.ORDERS, "quotes": documents.QUOTES, "invoices": documents.INVOICES}

    def list_page(name: str, session: Any, before_id: int | None, limit: int, actor: Any) -> list[Any]:
        """A page of the list kit's document list, continuing below `before_id` (the cursor it would hand out)."""
        spec = specs[name]
        args: dict[str, Any] = {"limit": limit}
        if before_id is not None:
            args["cursor"] = encode_cursor(spec.name, spec.default_sort, [before_id])
        return spec.page(session, args, actor).items
    gets = {"orders": documents.get_order, "quotes": documents.get_quote, "invoices": documents.get_invoice}
    from payvand.plugins.sales import permissions as perm
    from payvand.sdk import Actor

    def staff(user_id: int, *granted: str) -> Actor:
        return Actor.user(user_id, f"rep{user_id}@example.com", permissions=frozenset((perm.DOCUMENT_VIEW, *granted)))

    callers = {"rare_rep": staff(RARE), "busy_rep": staff(BUSY), "manager": staff(MANAGER, perm.MANAGE)}
    results: dict[str, Any] = {}
    with runtime.engine.connect() as conn:
        def raw(sql: str, **params: Any) -> list[Any]:
            return conn.execute(sa.text(sql), params).fetchall()

        for who, scope in callers.items():
            me = scope.user_id
            for name, table in TABLES.items():
                forms = BASELINES[name] if who != "manager" else {"scan": MANAGER_SQL.format(table=table)}
                first = next(iter(forms.values()))
                visible = [r.id for r in raw(first, me=me, before=10**12, n=10**6)] if who != "manager" else []
                if who == "manager":
                    deep = 10_000
                else:
                    deep = visible[5_000] if len(visible) > 5_000 else visible[len(visible) // 2] if visible else 10**12
                pages = {"first_page": 10**12, "deep_page": deep}
                for page, before in pages.items():
                    def payvand(before: int = before, name: str = name, scope: Any = scope) -> list[int]:
                        with runtime.sessionmaker() as session, bind_session(session):
                            found = list_page(name, session, None if before >= 10**12 else before, PAGE, scope)
                            return [row.id for row in found]

                    payvand()  # warm-up
                    forms_ms: dict[str, Any] = {}
                    samples_api: list[int] = []
                    best: list[int] | None = None
                    for form, sql in forms.items():
                        def baseline(sql: str = sql, before: int = before, me: Any = me) -> list[Any]:
                            return raw(sql, me=me, before=before, n=PAGE)

                        baseline()
                        samples_sql, expected = [], None
                        for _ in range(args.repeat):  # interleaved, request by request
                            s, _ = _time(payvand, 1)
                            samples_api += s
                            s, expected = _time(baseline, 1)
                            samples_sql += s
                        got = payvand()
                        assert got == [r.id for r in expected], (who, name, page, form, got[:5], expected[:5])
                        forms_ms[form] = summary_ms(samples_sql)["p50"]
                        if best is None or forms_ms[form] <= min(forms_ms.values()):
                            best = samples_sql
                    api, base = summary_ms(samples_api), summary_ms(best or [])
                    key = f"{who}.{name}.{page}"
                    results[key] = {"payvand_ms": api["p50"], "payvand_p95_ms": api["p95"], "baseline_ms": base["p50"],
                                    "ratio": round(api["p50"] / max(base["p50"], 0.001), 1), "rows": len(got),
                                    "baseline_forms_ms": forms_ms}
                    log(f"{key}: {results[key]}")
                target = (visible[0] if visible else 1) if who != "manager" else 12_345

                def get(target: int = target, name: str = name, scope: Any = scope) -> int:
                    with runtime.sessionmaker() as session, bind_session(session):
                        return gets[name](session, target, actor=scope).id

                get()
                samples_api, samples_sql = [], []
                get_sql = GET_SQL.format(table=table)
                for _ in range(args.repeat):
                    samples_api += _time(get, 1)[0]
                    samples_sql += _time(lambda target=target, sql=get_sql: raw(sql, id=target), 1)[0]
                api, base = summary_ms(samples_api), summary_ms(samples_sql)
                key = f"{who}.{name}.get"
                results[key] = {"payvand_ms": api["p50"], "payvand_p95_ms": api["p95"], "baseline_ms": base["p50"],
                                "ratio": round(api["p50"] / max(base["p50"], 0.001), 1)}
                log(f"{key}: {results[key]}")
    print(json.dumps({"benchmark": "sales_rules", "backend": backend, "customers": CUSTOMERS, "deals": DEALS,
                      "quotes": QUOTES, "orders": ORDERS, "invoices": ORDERS * 2 // 3, "page": PAGE, "repeat": args.repeat,
                      "results": results, "machine": machine()}, indent=2))
    runtime.engine.dispose()


if __name__ == "__main__":
    main()
