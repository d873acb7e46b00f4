"""Read-path latency of the REST API on a large database, against raw sqlite3 in the same run.

Targets (kernel issue): on 1,000,000 customers and 10,000,000 interactions, in-process
(Flask test client, bearer token, random ids, after a warm-up, at least 1,000 requests each),

* `GET /api/v1/customers/{id}` and the first page of `GET /api/v1/customers/{id}/interactions`:
  p95 under 10 ms;
* `GET /api/v1/customers?q=<email>` and `?q=<phone>` (as +98..., 09..., Persian digits): p95
  under 20 ms.

Name-prefix search, page 2 of the customer list and page 2 of a long timeline are reported
without a target. Each endpoint's baseline is the raw `sqlite3` queries that fetch the same
rows, timed interleaved with it, so `ratio_p50` shows what the framework adds (auth, ORM,
marshmallow, Flask) on this machine at this moment.

Usage: `python benchmarks/read_paths.py [--customers N --interactions M] [--requests 1000]`.
Prints one JSON document on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _dataset import (
    add_database_argument,
    add_size_arguments,
    ensure_api_token,
    ensure_dataset,
    ensure_postgres_dataset,
    log,
    machine,
    summary_ms,
)

PAGE = 50
CUSTOMER_CHILDREN = (
    ("core_customer_email", "id"),
    ("core_customer_phone", "id"),
    ("core_customer_address", "id"),
    ("core_customer_tag", "tag"),
    ("core_customer_consent", "id"),
)


@dataclass
class Endpoint:
    """One read path: the API requests to make and the raw queries that fetch the same rows."""

    name: str
    paths: list[str]
    baseline: Callable[[int], Any]
    target_p95_ms: float | None = None
    check: Callable[[int, dict[str, Any]], bool] | None = None
    notes: str = ""


class PostgresRaw:
    """A psycopg connection that takes the baseline's sqlite3-style SQL (`?` and `?N` parameters)."""

    def __init__(self, url: str) -> None:
        import psycopg
        from _dataset import psycopg_url

        self.connection = psycopg.connect(psycopg_url(url), autocommit=True)
        self.connection.execute("SET TIME ZONE 'UTC'")

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def commit(self) -> None:
        """Nothing to do: every statement commits (autocommit), as sqlite3's commit() after it."""

    def execute(self, sql: str, params: Any = ()) -> Any:
        """Run `sql` with sqlite3's placeholders translated to psycopg's."""
        import re

        params = tuple(params)
        if not params:  # no placeholders to translate; a literal % stays as it is
            return self.connection.execute(sql)
        if re.search(r"\?\d", sql):
            named = {f"p{n + 1}": value for n, value in enumerate(params)}
            return self.connection.execute(re.sub(r"\?(\d+)", r"%(p\1)s", sql), named)
        return self.connection.execute(sql.replace("?", "%s"), params)


class Raw:
    """The baseline: hand-written SQL on its own connection (sqlite3, or psycopg on PostgreSQL)."""

    def __init__(self, path: Path, postgres_url: str | None = None) -> None:
        self.db: Any = (PostgresRaw(postgres_url) if postgres_url
                        else sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False))

    def customers_with_children(self, ids: list[int]) -> list[tuple[Any, ...]]:
        """Customer rows and their five kinds of child rows, one query per table."""
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(f"SELECT * FROM core_customer WHERE id IN ({marks})", ids).fetchall()
        for table, order in CUSTOMER_CHILDREN:
            self.db.execute(
                f"SELECT * FROM {table} WHERE customer_id IN ({marks}) ORDER BY customer_id, {order}",
                ids,
            ).fetchall()
        return rows

    def customer(self, customer_id: int) -> Any:
        """`GET /customers/{id}`: the row and its children."""
        return self.customers_with_children([customer_id])

    def timeline(self, customer_id: int, before: tuple[str, int] | None = None) -> Any:
        """A page of the timeline, newest first, after checking the customer exists."""
        self.db.execute("SELECT * FROM core_customer WHERE id = ?", (customer_id,)).fetchone()
        if before is None:
            return self.db.execute(
                "SELECT * FROM core_interaction WHERE customer_id = ? ORDER BY occurred_at DESC, id DESC LIMIT ?",
                (customer_id, PAGE + 1),
            ).fetchall()
        return self.db.execute(
            "SELECT * FROM core_interaction WHERE customer_id = ? AND (occurred_at < ? OR (occurred_at = ? AND id < ?))"
            " ORDER BY occurred_at DESC, id DESC LIMIT ?",
            (customer_id, before[0], before[0], before[1], PAGE + 1),
        ).fetchall()

    def by_contact(self, table: str, column: str, value: str) -> Any:
        """Customers owning an email or phone (prefix match, as the API does), with children."""
        ids = [
            r[0]
            for r in self.db.execute(
                f"SELECT customer_id FROM {table} WHERE {column} >= ? AND {column} < ? ORDER BY customer_id DESC LIMIT ?",
                (value, value + "\uffff", PAGE + 1),
            )
        ]
        return self.customers_with_children(ids) if ids else []

    def by_name(self, key: str) -> Any:
        """Customers whose folded name (either order) starts with `key`, newest first, with children."""
        ids = [
            r[0]
            for r in self.db.execute(
                "SELECT id FROM core_customer WHERE id IN"
                " (SELECT id FROM core_customer WHERE search_name >= ?1 AND search_name < ?2"
                " UNION SELECT id FROM core_customer WHERE search_name_alt >= ?1 AND search_name_alt < ?2)"
                " AND merged_into_id IS NULL ORDER BY id DESC LIMIT ?3",
                (key, key + "\uffff", PAGE + 1),
            )
        ]
        return self.customers_with_children(ids) if ids else []

    def filtered(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """A filtered first page: `sql` selects the page's ids (newest first, the best raw form of
        that filter, `?` parameters then the limit), then the rows with their children."""
        ids = [r[0] for r in self.db.execute(sql, (*params, PAGE + 1))]
        return self.customers_with_children(ids) if ids else []

    def list_after(self, last_id: int) -> Any:
        """Page 2 of the customer list (newest first) with children."""
        ids = [
            r[0]
            for r in self.db.execute(
                "SELECT id FROM core_customer WHERE merged_into_id IS NULL AND id < ? ORDER BY id DESC LIMIT ?",
                (last_id, PAGE + 1),
            )
        ]
        return self.customers_with_children(ids)


def _cursor(values: list[Any], list_name: str = "customers", sort: str = "-id") -> str:
    from payvand.core.listing import encode_cursor

    return encode_cursor(list_name, sort, values)


def _persian(text: str) -> str:
    from payvand.core.normalize import to_persian_digits

    return to_persian_digits(text)


def build_endpoints(raw: Raw, data: Any, n: int, rng: random.Random) -> list[Endpoint]:
    """The read paths to measure, each with `n` requests on random rows."""
    from urllib.parse import quote

    from payvand.core.normalize import fold

    customer_ids = [rng.randrange(1, data.customers + 1) for _ in range(n)]
    other_ids = [rng.randrange(1, data.customers + 1) for _ in range(n)]
    heavy = [rng.choice(data.heavy_ids) for _ in range(n)]
    db = raw.db

    def sample(sql: str, ids: list[int]) -> list[tuple[Any, ...]]:
        found = {}
        for customer_id in ids:
            row = db.execute(sql, (customer_id,)).fetchone()
            if row is not None:
                found[customer_id] = row
        return [found[i] for i in ids if i in found]

    emails = sample(
        "SELECT customer_id, email FROM core_customer_email WHERE customer_id = ? ORDER BY random() LIMIT 1",
        other_ids,
    )
    phones = sample(
        "SELECT customer_id, number FROM core_customer_phone WHERE customer_id = ? ORDER BY random() LIMIT 1",
        customer_ids,
    )
    people = sample(
        "SELECT id, given_name, family_name FROM core_customer WHERE id = ? AND kind = 'person'",
        other_ids + [rng.randrange(1, data.customers + 1) for _ in range(n)],
    )[:n]

    def contains(ids: list[int]) -> Callable[[int, dict[str, Any]], bool]:
        return lambda i, body: ids[i] in {c["id"] for c in body["items"]}

    email_ids = [cid for cid, _ in emails]
    phone_ids = [cid for cid, _ in phones]
    forms: dict[str, Callable[[str], str]] = {
        "e164": lambda number: number,
        "national": lambda number: "0" + number[3:],
        "persian_digits": lambda number: _persian("0" + number[3:]),
        "spaced": lambda number: f"0{number[3:6]} {number[6:9]} {number[9:]}",
    }
    endpoints = [
        Endpoint(
            "customer_get",
            [f"/api/v1/customers/{i}" for i in customer_ids],
            lambda i: raw.customer(customer_ids[i]),
            10.0,
            notes="uniformly random customer ids",
        ),
        Endpoint(
            "timeline_first_page",
            [f"/api/v1/customers/{i}/interactions" for i in customer_ids],
            lambda i: raw.timeline(customer_ids[i]),
            10.0,
            notes="uniformly random customers (most have a handful of interactions)",
        ),
        Endpoint(
            "timeline_first_page_heavy",
            [f"/api/v1/customers/{i}/interactions" for i in heavy],
            lambda i: raw.timeline(heavy[i]),
            10.0,
            notes="customers with thousands of interactions",
        ),
        Endpoint(
            "search_email",
            [f"/api/v1/customers?q={quote(e)}" for _, e in emails],
            lambda i: raw.by_contact("core_customer_email", "email", emails[i][1]),
            20.0,
            check=contains(email_ids),
            notes="an existing customer's email",
        ),
    ]
    for form, shape in forms.items():
        endpoints.append(
            Endpoint(
                f"search_phone_{form}",
                [f"/api/v1/customers?q={quote(shape(p))}" for _, p in phones],
                lambda i: raw.by_contact("core_customer_phone", "number", phones[i][1]),
                20.0,
                check=contains(phone_ids),
                notes=f"an existing customer's mobile, written {form}: " + shape("+989121234567"),
            )
        )
    name_keys = [f"{given} {family[:2]}" for _, given, family in people]
    endpoints.append(
        Endpoint(
            "search_name_prefix",
            [f"/api/v1/customers?q={quote(k)}" for k in name_keys],
            lambda i: raw.by_name(fold(name_keys[i])),
            None,
            notes="given name and the first two letters of the family name, e.g. "
            + (name_keys[0] if name_keys else ""),
        )
    )
    list_after = [rng.randrange(PAGE + 2, data.customers + 1) for _ in range(n)]
    endpoints.append(
        Endpoint(
            "customers_page2",
            [f"/api/v1/customers?cursor={_cursor([i])}" for i in list_after],
            lambda i: raw.list_after(list_after[i]),
            None,
            notes="the list, newest first, from a cursor",
        )
    )
    cursors = []
    for customer_id in heavy:
        row = db.execute(
            "SELECT occurred_at, id FROM core_interaction WHERE customer_id = ? ORDER BY occurred_at DESC, id DESC"
            " LIMIT 1 OFFSET ?",
            (customer_id, PAGE - 1),
        ).fetchone()
        if row is None:
            raise SystemExit(
                f"customer {customer_id} has fewer than {PAGE} interactions: use a larger dataset"
            )
        cursors.append((row[0], row[1]))
    iso = [
        (when if isinstance(when, dt.datetime) else dt.datetime.fromisoformat(when))
        .replace(tzinfo=dt.UTC).isoformat()
        for when, _ in cursors
    ]
    endpoints.append(
        Endpoint(
            "timeline_page2_heavy",
            [
                f"/api/v1/customers/{c}/interactions?cursor={_cursor([iso[i], cursors[i][1]], 'interactions', '-occurred_at')}"
                for i, c in enumerate(heavy)
            ],
            lambda i: raw.timeline(heavy[i], cursors[i]),
            None,
            notes="page 2 of a long timeline",
        )
    )
    return endpoints


def run_endpoint(
    client: Any,
    headers: dict[str, str],
    endpoint: Endpoint,
    warmup: int,
    count_queries: Callable[[], int],
) -> dict[str, Any]:
    """Warm up, then time each request interleaved with its baseline; return the figures."""
    paths = endpoint.paths
    checked = failed = 0
    queries = []
    for i in range(min(warmup, len(paths))):
        before = count_queries()
        response = client.get(paths[i], headers=headers)
        queries.append(count_queries() - before)
        if response.status_code != 200:
            raise SystemExit(
                f"{endpoint.name}: {paths[i]} answered {response.status_code}: {response.get_data(as_text=True)[:300]}"
            )
        if endpoint.check is not None:
            checked += 1
            failed += not endpoint.check(i, response.get_json())
        endpoint.baseline(i)
    framework: list[int] = []
    framework_cpu: list[int] = []
    baseline: list[int] = []
    baseline_cpu: list[int] = []
    clock, cpu = time.perf_counter_ns, time.thread_time_ns

    def run_baseline(i: int) -> None:
        t0, c0 = clock(), cpu()
        endpoint.baseline(i)
        baseline.append(clock() - t0)
        baseline_cpu.append(cpu() - c0)

    for i, path in enumerate(paths):
        if i % 2:
            run_baseline(i)
        t0, c0 = clock(), cpu()
        response = client.get(path, headers=headers)
        framework.append(clock() - t0)
        framework_cpu.append(cpu() - c0)
        if response.status_code != 200:
            raise SystemExit(f"{endpoint.name}: {path} answered {response.status_code}")
        if not i % 2:
            run_baseline(i)
    api, raw = summary_ms(framework), summary_ms(baseline)
    result: dict[str, Any] = {
        "example": paths[0],
        "notes": endpoint.notes,
        "api_ms": api,
        "baseline_ms": raw,
        "ratio_p50": round(api["p50"] / raw["p50"], 1) if raw["p50"] else None,
        "api_cpu_ms": summary_ms(framework_cpu),
        "baseline_cpu_ms": summary_ms(baseline_cpu),
        "queries_per_request": max(queries) if queries else None,
    }
    if endpoint.check is not None:
        result["expected_customer_found"] = f"{checked - failed}/{checked}"
    if endpoint.target_p95_ms is not None:
        result["target_p95_ms"] = endpoint.target_p95_ms
        result["meets_target"] = api["p95"] < endpoint.target_p95_ms
    return result


def load_dataset(args: argparse.Namespace) -> Any:
    """The cached SQLite dataset, or its copy in the PostgreSQL database of `--database-url`."""
    if args.database_url:
        return ensure_postgres_dataset(args.database_url, args.customers, args.interactions, rebuild=args.rebuild)
    return ensure_dataset(args.customers, args.interactions, rebuild=args.rebuild)


def main() -> None:
    """Build or reuse the dataset, then measure every read path; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_size_arguments(parser)
    parser.add_argument(
        "--requests", type=int, default=1000, help="timed requests per endpoint (default 1000)"
    )
    parser.add_argument(
        "--warmup", type=int, default=200, help="untimed requests per endpoint first (default 200)"
    )
    parser.add_argument("--only", nargs="*", help="measure only these endpoints")
    parser.add_argument("--seed", type=int, default=7)
    add_database_argument(parser)
    args = parser.parse_args()

    data = load_dataset(args)
    from sqlalchemy import event

    from payvand.core import permissions as perm
    from payvand.core.app import create_app

    token = ensure_api_token(data.url, [perm.CUSTOMER_VIEW, perm.INTERACTION_VIEW])
    workdir = tempfile.TemporaryDirectory(prefix="payvand-bench-")
    instance = workdir.name
    app = create_app(
        {
            "PAYVAND_DATABASE_URL": data.url,
            "PAYVAND_INSTANCE": instance,
            "PAYVAND_PLUGINS": [],
            "PAYVAND_JOBS": "off",
            "SECRET_KEY": "benchmark",
        }
    )
    counter = [0]
    event.listen(
        app.extensions["payvand"].engine,
        "before_cursor_execute",
        lambda *a, **k: counter.__setitem__(0, counter[0] + 1),
    )
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    raw = Raw(data.path, data.postgres_url)
    rng = random.Random(args.seed)
    log(f"sampling {args.requests} requests per endpoint")
    endpoints = build_endpoints(raw, data, args.requests, rng)
    results: dict[str, Any] = {}
    began = time.perf_counter()
    for endpoint in endpoints:
        if args.only and endpoint.name not in args.only:
            continue
        log(f"measuring {endpoint.name}")
        results[endpoint.name] = run_endpoint(
            client, headers, endpoint, args.warmup, lambda: counter[0]
        )
        figures = results[endpoint.name]
        log(
            f"  api p50 {figures['api_ms']['p50']} p95 {figures['api_ms']['p95']} ms "
            f"(cpu p50 {figures['api_cpu_ms']['p50']} p95 {figures['api_cpu_ms']['p95']}); "
            f"baseline p50 {figures['baseline_ms']['p50']} ms"
        )
    targets = {k: v["meets_target"] for k, v in results.items() if "meets_target" in v}
    cpu_targets = {
        k: v["api_cpu_ms"]["p95"] < v["target_p95_ms"]
        for k, v in results.items()
        if "target_p95_ms" in v
    }
    print(
        json.dumps(
            {
                "benchmark": "read_paths",
                "database": "postgresql" if data.postgres_url else "sqlite",
                "dataset": {
                    "customers": data.customers,
                    "interactions": data.interactions,
                    "path": data.path.name,
                    "build_seconds": data.build_seconds,
                },
                "machine": machine(),
                "requests_per_endpoint": args.requests,
                "warmup_per_endpoint": args.warmup,
                "seconds": round(time.perf_counter() - began, 1),
                "endpoints": results,
                "targets_met": all(targets.values()) if targets else None,
                "targets_missed": sorted(k for k, ok in targets.items() if not ok),
                "targets_met_in_cpu_time": all(cpu_targets.values()) if cpu_targets else None,
                "machine_at_end": machine(),
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    app.extensions["payvand"].engine.dispose()
    workdir.cleanup()


if __name__ == "__main__":
    main()
