"""Server time of the staff UI's customer list and customer 360 page on a large dataset.

Logs in through the login form like a sales rep (customer and timeline permissions), then
times whole page requests (routing, session, permission check, queries, Jinja rendering)
through Flask's test client, interleaved request by request with a baseline: hand-written
sqlite3 queries fetching the same rows (`read_paths.Raw`). Prints one JSON document.

    python benchmarks/web_pages.py                                   # 1M customers, 10M interactions
    python benchmarks/web_pages.py --customers 10000 --interactions 100000 --requests 200   # quick
    python benchmarks/web_pages.py --only-tags --requests 100        # the tag and stage filters in every sort
    python benchmarks/web_pages.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_web

The tag filter is measured at every share of the customers (`TAG_SHARES`: extra tags the
benchmark adds to the cached dataset once, from customer ids, so the shares are exact) and in
every sort the page offers, next to the stage filter in the same sort: the list kit's target is
a tag page within 2x of a stage page at any share. With `--database-url` the same SQLite dataset
is copied once into that PostgreSQL database (COPY, secondary indexes built afterwards, then
ANALYZE) and the baselines run there through psycopg.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from _dataset import BULK_TABLES, add_database_argument, add_size_arguments, ensure_dataset, log, machine, summary_ms
from read_paths import PAGE, Raw

TARGET_P95_MS = 50.0
EMAIL = "bench-rep@example.com"
PASSWORD = "benchmark password 1"


def ensure_rep(url: str) -> None:
    """A staff user with the rep's permissions and a known password (created on first use)."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from payvand.core import permissions as perm
    from payvand.core.db import make_engine
    from payvand.core.models import User
    from payvand.core.services.users import create_user

    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            if session.scalars(sa.select(User.id).where(User.email == EMAIL)).first() is None:
                create_user(session, EMAIL, password=PASSWORD, name="Benchmark rep", profile="fast",
                            permissions=[perm.CUSTOMER_VIEW, perm.INTERACTION_VIEW, perm.INTERACTION_CREATE])
    finally:
        engine.dispose()


def login(client: Any) -> None:
    """Log in through the form, CSRF token included."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit(f"login failed: {response.status_code}")


#: The baselines of the filtered pages: the same filter and order in the best raw SQL we know
#: (same rows, schema and indexes), each selecting one page of ids; `?` parameters, then the limit.
TAG_PAGE = ("SELECT t.customer_id FROM core_customer_tag t JOIN core_customer c ON c.id = t.customer_id"
            " WHERE t.tag = ? AND c.merged_into_id IS NULL ORDER BY t.customer_id DESC LIMIT ?")
STAGE_PAGE = ("SELECT id FROM core_customer WHERE lifecycle_stage = ? AND merged_into_id IS NULL"
              " ORDER BY id DESC LIMIT ?")
CONSENT_PAGE = ("SELECT c.id FROM core_customer c WHERE c.merged_into_id IS NULL AND (SELECT k.granted FROM"
                " core_customer_consent k WHERE k.customer_id = c.id AND k.channel = ? AND k.purpose = 'marketing'"
                " ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1) IS TRUE ORDER BY c.id DESC LIMIT ?")
NAME_PAGE = "SELECT id FROM core_customer WHERE merged_into_id IS NULL ORDER BY search_name, id LIMIT ?"

#: A name prefix under a name sort, best raw form: the name index read in order for the first
#: order's matches (one page), merged with the second order's matches read from their index and
#: sorted (`?1` prefix, `?2` prefix + top character, `?3` limit).
PREFIX_BY_NAME_PAGE = (
    "SELECT id, search_name FROM (SELECT id, search_name FROM core_customer WHERE merged_into_id IS NULL"
    " AND search_name >= ?1 AND search_name < ?2 ORDER BY search_name, id LIMIT ?3) AS first_order"
    " UNION SELECT id, search_name FROM (SELECT id, search_name FROM core_customer WHERE merged_into_id IS NULL"
    " AND search_name_alt >= ?1 AND search_name_alt < ?2 ORDER BY search_name, id LIMIT ?3) AS second_order"
    " ORDER BY 2, 1 LIMIT ?3")
#: A phone prefix (E.164 form), newest first / by name: the number index read, joined, sorted.
PHONE_PREFIX_PAGE = ("SELECT DISTINCT p.customer_id FROM core_customer_phone p JOIN core_customer c ON c.id = p.customer_id"
                     " WHERE p.number >= ?1 AND p.number < ?2 AND c.merged_into_id IS NULL"
                     " ORDER BY p.customer_id DESC LIMIT ?3")
PHONE_PREFIX_BY_NAME_PAGE = ("SELECT c.id FROM core_customer c WHERE c.merged_into_id IS NULL AND c.id IN"
                             " (SELECT p.customer_id FROM core_customer_phone p WHERE p.number >= ?1 AND p.number < ?2)"
                             " ORDER BY c.search_name, c.id LIMIT ?3")


def prefix_pages(raw: Raw, n: int) -> dict[str, tuple[list[str], Callable[[int], Any], str]]:
    """The search box with a common name prefix (the most frequent first two letters of the folded
    name) under the name sort and newest first, and a five-digit mobile prefix (the most frequent
    `09xxx`) in both sorts, each against the same filter in raw SQL."""
    top = "\U0010ffff"
    prefix = raw.db.execute("SELECT substr(search_name, 1, 2) AS p FROM core_customer WHERE merged_into_id IS NULL"
                            " GROUP BY p ORDER BY count(*) DESC, p LIMIT 1").fetchone()[0]
    number = raw.db.execute("SELECT substr(number, 1, 7) AS p FROM core_customer_phone GROUP BY p"
                            " ORDER BY count(*) DESC, p LIMIT 1").fetchone()[0]
    typed = "0" + number[3:]  # +989051 -> 09051
    share = raw.db.execute("SELECT count(*) FROM core_customer WHERE search_name >= ?1 AND search_name < ?2"
                           " OR search_name_alt >= ?1 AND search_name_alt < ?2", (prefix, prefix + top)).fetchone()[0]
    phones = raw.db.execute("SELECT count(DISTINCT customer_id) FROM core_customer_phone WHERE number >= ? AND number < ?",
                            (number, number + top)).fetchone()[0]
    return {
        "search_name_prefix_by_name": ([f"/customers?q={quote(prefix)}&sort=name"] * n,
                                       lambda i: raw.filtered(PREFIX_BY_NAME_PAGE, (prefix, prefix + top)),
                                       f"name prefix {prefix!r} ({share} customers), name A-Z"),
        "search_name_prefix_newest": ([f"/customers?q={quote(prefix)}"] * n,
                                      lambda i: raw.by_name(prefix),
                                      f"name prefix {prefix!r} ({share} customers), newest first"),
        "search_phone_prefix_newest": ([f"/customers?q={typed}"] * n,
                                       lambda i: raw.filtered(PHONE_PREFIX_PAGE, (number, number + top)),
                                       f"phone prefix {typed} ({phones} customers), newest first"),
        "search_phone_prefix_by_name": ([f"/customers?q={typed}&sort=name"] * n,
                                        lambda i: raw.filtered(PHONE_PREFIX_BY_NAME_PAGE, (number, number + top)),
                                        f"phone prefix {typed} ({phones} customers), name A-Z"),
    }


#: Tags at known shares of the customers: name -> (tag, SQL condition on the id choosing its customers).
#: `vip` is the dataset's own (about 9.7 %, random); the others are added once by `ensure_tag_shares`.
TAG_SHARES: dict[str, tuple[str, str | None]] = {
    "rare": ("bench-rare", "id % 10000 = 0"),      # 0.01 %
    "1pct": ("bench-1pct", "id % 100 = 0"),        # 1 %
    "10pct": ("vip", None),                        # about 9.7 %
    "half": ("bench-half", "id % 2 = 0"),          # 50 %
    "all": ("bench-all", "1 = 1"),                 # every customer
}
#: The sorts of the customers page: name in the figures -> (sort key, ORDER BY of the baseline).
SORTS = {"newest": ("-id", "DESC"), "oldest": ("id", "ASC"), "name": ("name", "ASC"), "name_desc": ("-name", "DESC")}


def ensure_tag_shares(path: Path) -> None:
    """Add the benchmark's tags at exact shares to the cached SQLite dataset (once)."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN")
        for tag, condition in TAG_SHARES.values():
            if condition and db.execute("SELECT 1 FROM core_customer_tag WHERE tag = ? LIMIT 1", (tag,)).fetchone() is None:
                log(f"adding tag {tag} ({condition})")
                db.execute(f"INSERT INTO core_customer_tag (customer_id, tag) SELECT id, ? FROM core_customer WHERE {condition}",
                           (tag,))
        db.execute("COMMIT")
    finally:
        db.close()


def tag_page_sql(share: str, sort: str, postgres: bool) -> str:
    """The best raw form we know of a tag page in `sort`: by id, the tag index read in order and
    joined; by name, the tagged ids sorted (rare), the name index walked against the id set (1 %),
    or walked with a probe per customer (frequent) — `+` keeps SQLite off the indexes it should not seek."""
    key, direction = SORTS[sort]
    if key.endswith("id"):
        return ("SELECT t.customer_id FROM core_customer_tag t JOIN core_customer c ON c.id = t.customer_id"
                f" WHERE t.tag = ? AND c.merged_into_id IS NULL ORDER BY t.customer_id {direction} LIMIT ?")
    plus = "" if postgres else "+"
    condition = {"rare": "c.id IN (SELECT customer_id FROM core_customer_tag WHERE tag = ?)",
                 "1pct": f"{plus}c.id IN (SELECT customer_id FROM core_customer_tag WHERE tag = ?)"}.get(
        share, "EXISTS (SELECT 1 FROM core_customer_tag t WHERE t.customer_id = c.id AND t.tag = ?)")
    return (f"SELECT c.id FROM core_customer c WHERE {condition} AND c.merged_into_id IS NULL"
            f" ORDER BY c.search_name {direction}, c.id {direction} LIMIT ?")


def stage_page_sql(sort: str, postgres: bool) -> str:
    """The stage filter in `sort` in raw SQL: the `(stage, id)` index by id, the name index walked by name."""
    key, direction = SORTS[sort]
    if key.endswith("id"):
        return (f"SELECT id FROM core_customer WHERE lifecycle_stage = ? AND merged_into_id IS NULL"
                f" ORDER BY id {direction} LIMIT ?")
    plus = "" if postgres else "+"
    return (f"SELECT id FROM core_customer WHERE {plus}lifecycle_stage = ? AND merged_into_id IS NULL"
            f" ORDER BY search_name {direction}, id {direction} LIMIT ?")


class PgRows:
    """`sqlite3`-style `execute` on a psycopg connection (`?` and `?N` placeholders rewritten)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """Run `sql` and return the cursor."""
        if re.search(r"\?\d", sql):
            sql = re.sub(r"\?(\d+)", r"%(p\1)s", sql)
            return self.connection.execute(sql, {f"p{i + 1}": value for i, value in enumerate(params)})
        return self.connection.execute(sql.replace("?", "%s"), params)


class RawPg(Raw):
    """The same hand-written baseline queries, on PostgreSQL."""

    def __init__(self, url: str) -> None:  # noqa: D107 - see the class
        self.db = PgRows(url)  # type: ignore[assignment]


def load_postgres(url: str, path: Path) -> None:
    """Copy the SQLite dataset at `path` into the PostgreSQL database at `url` (once: skipped when
    it has customers). Migrations first (the real schema), then COPY with the secondary indexes
    dropped and foreign-key triggers off, indexes rebuilt from their own definitions, then VACUUM
    (ANALYZE) as autovacuum would after a load."""
    import sqlalchemy as sa

    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade

    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as connection:
        loaded = connection.execute(sa.text("SELECT count(*) FROM core_customer")).scalar_one()
    tables = ("core_user", *BULK_TABLES)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET TIME ZONE 'UTC'")
        if not loaded:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s)"
                           " AND indexname NOT IN (SELECT conname FROM pg_constraint)", (list(tables),))
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")
            for table in tables:
                columns = [row[1] for row in source.execute(f"PRAGMA table_info({table})")]
                cursor.execute(f"DELETE FROM {table}")
                began, count = time.perf_counter(), 0
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in source.execute(f"SELECT {', '.join(columns)} FROM {table}"):
                        copy.write_row(row)
                        count += 1
                log(f"{table}: {count:,} rows in {time.perf_counter() - began:.0f} s")
                if "id" in columns:
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            raw.commit()
            for name, definition in indexes:
                log(f"creating index {name}")
                cursor.execute(definition)
                raw.commit()
        for tag, condition in TAG_SHARES.values():
            cursor.execute("SELECT 1 FROM core_customer_tag WHERE tag = %s LIMIT 1", (tag,))
            if condition and cursor.fetchone() is None:
                log(f"adding tag {tag} ({condition})")
                cursor.execute(f"INSERT INTO core_customer_tag (customer_id, tag) SELECT id, %s FROM core_customer"
                               f" WHERE {condition}", (tag,))
        raw.commit()
        # VACUUM too: autovacuum vacuums a table after a load of inserts (PostgreSQL 13+,
        # autovacuum_vacuum_insert_threshold) and so sets the visibility map that index-only
        # scans read; a benchmark run minutes after its copy should see what a deployment does.
        log("VACUUM (ANALYZE)")
        raw.driver_connection.autocommit = True
        cursor.execute("VACUUM (ANALYZE)")
        raw.driver_connection.autocommit = False
    finally:
        raw.close()
        source.close()
        engine.dispose()


def tag_pages(raw: Raw, n: int, postgres: bool) -> dict[str, tuple[list[str], Callable[[int], Any], str]]:
    """The stage filter and the tag filter at each share (`TAG_SHARES`), in each sort (`SORTS`)."""
    measured: dict[str, tuple[list[str], Callable[[int], Any], str]] = {}
    for sort, (key, _direction) in SORTS.items():
        suffix = "" if key == "-id" else f"&sort={key}"
        stage_sql = stage_page_sql(sort, postgres)
        measured[f"stage_{sort}"] = ([f"/customers?stage=churned{suffix}"] * n,
                                     lambda i, sql=stage_sql: raw.filtered(sql, ("churned",)),
                                     f"stage churned (7 %), sort {key}")
        for share, (tag, _condition) in TAG_SHARES.items():
            sql = tag_page_sql(share, sort, postgres)
            measured[f"tag_{share}_{sort}"] = ([f"/customers?tag={quote(tag)}{suffix}"] * n,
                                               lambda i, sql=sql, tag=tag: raw.filtered(sql, (tag,)),
                                               f"tag {tag} ({share} of the customers), sort {key}")
    return measured


def pages(raw: Raw, data: Any, n: int, rng: random.Random) -> dict[str, tuple[list[str], Callable[[int], Any], str]]:
    """name -> (paths, baseline(i), notes) for every page measured."""
    from payvand.core.listing import encode_cursor
    from payvand.core.normalize import fold

    db = raw.db
    ids = [rng.randrange(1, data.customers + 1) for _ in range(n)]
    heavy = [rng.choice(data.heavy_ids) for _ in range(n)]
    after = [rng.randrange(PAGE + 2, data.customers + 1) for _ in range(n)]
    phones = []
    for customer_id in ids:
        row = db.execute("SELECT number FROM core_customer_phone WHERE customer_id = ? LIMIT 1", (customer_id,)).fetchone()
        if row:
            phones.append(row[0])
    phones = (phones * (n // max(1, len(phones)) + 1))[:n]

    names = []
    for customer_id in ids:
        row = db.execute("SELECT given_name, family_name FROM core_customer WHERE id = ? AND kind = 'person'",
                         (customer_id,)).fetchone()
        if row and row[0] and row[1]:
            names.append(f"{row[0]} {row[1][:2]}")
    names = (names * (n // max(1, len(names)) + 1))[:n]

    def customer_page(customer_id: int) -> Any:
        raw.customer(customer_id)
        return raw.timeline(customer_id)

    return {
        "customer_list_first_page": (["/customers"] * n, lambda i: raw.list_after(data.customers + 1),
                                     "newest first, 50 rows with emails, phones, tags"),
        "customer_list_from_cursor": ([f"/customers?cursor={encode_cursor('customers', '-id', [i])}" for i in after],
                                      lambda i: raw.list_after(after[i]), "a page deep in the list"),
        "customer_list_search_phone": ([f"/customers?q={quote('0' + p[3:])}" for p in phones],
                                       lambda i: raw.by_contact("core_customer_phone", "number", phones[i]),
                                       "an existing mobile typed 09..."),
        "customer_list_filter_tag": (["/customers?tag=vip"] * n, lambda i: raw.filtered(TAG_PAGE, ("vip",)),
                                     "tag filter (baseline: the tag index read in customer order, joined)"),
        "customer_list_filter_stage": (["/customers?stage=churned"] * n, lambda i: raw.filtered(STAGE_PAGE, ("churned",)),
                                       "stage filter (baseline: the same filter in raw SQL)"),
        "customer_list_consent_email": (["/customers?consent=email"] * n, lambda i: raw.filtered(CONSENT_PAGE, ("email",)),
                                        "current marketing consent by email granted (40% of customers)"),
        "customer_list_consent_ungranted": (["/customers?consent=telegram_test"] * max(3, n // 50),
                                            lambda i: raw.filtered(CONSENT_PAGE, ("telegram_test",)),
                                            "a channel nobody granted: the worst case, every customer checked"),
        "customer_list_sorted_by_name": (["/customers?sort=name"] * n, lambda i: raw.filtered(NAME_PAGE),
                                         "name A-Z (baseline: the same order in raw SQL)"),
        "customer_list_search_name": ([f"/customers?q={quote(k)}" for k in names],
                                      lambda i: raw.by_name(fold(names[i])), "given name + two letters of the family name"),
        "customer_360": ([f"/customers/{i}" for i in ids], lambda i: customer_page(ids[i]),
                         "uniformly random customers"),
        "customer_360_heavy": ([f"/customers/{i}" for i in heavy], lambda i: customer_page(heavy[i]),
                               "customers with thousands of interactions"),
    }


def measure(client: Any, paths: list[str], baseline: Callable[[int], Any], warmup: int,
            queries: list[int]) -> dict[str, Any]:
    """Warm up, then time each page interleaved with its baseline."""
    for i in range(min(warmup, len(paths))):
        response = client.get(paths[i])
        if response.status_code != 200:
            raise SystemExit(f"{paths[i]} answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
        baseline(i)
    per_request = []
    page_ns, page_cpu, base_ns = [], [], []
    clock, cpu = time.perf_counter_ns, time.thread_time_ns
    for i, path in enumerate(paths):
        t0, c0, q0 = clock(), cpu(), queries[0]
        response = client.get(path)
        page_ns.append(clock() - t0)
        page_cpu.append(cpu() - c0)
        per_request.append(queries[0] - q0)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        t0 = clock()
        baseline(i)
        base_ns.append(clock() - t0)
    page, base = summary_ms(page_ns), summary_ms(base_ns)
    return {
        "example": paths[0],
        "page_ms": page,
        "page_cpu_ms": summary_ms(page_cpu),
        "baseline_ms": base,
        "ratio_p50": round(page["p50"] / base["p50"], 1) if base["p50"] else None,
        "queries_per_request": {"min": min(per_request), "max": max(per_request)},
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": page["p95"] < TARGET_P95_MS,
    }


def postgres_url(url: str) -> bool:
    """Whether `url` is a PostgreSQL database."""
    return url.startswith("postgresql")


def list_service_ratios(url: str, requests: int) -> dict[str, Any]:
    """The customer list service (`CUSTOMERS.page`: the filter's count, the page's SQL, its rows
    and children, no Flask) for each tag share against the stage filter in the same sort,
    interleaved call by call: p50 ms of each and tag/stage. Steadier than whole pages on a
    busy machine (one process, the two calls side by side)."""
    from payvand.core.actor import SYSTEM
    from payvand.core.runtime import Runtime
    from payvand.core.services import customer_list
    from payvand.core.services.customer_list import CUSTOMERS

    hashed = customer_list.HASHED_TAG

    runtime = Runtime({"PAYVAND_DATABASE_URL": url, "PAYVAND_PLUGINS": []})
    result: dict[str, Any] = {}
    with runtime.sessionmaker() as session:
        for sort_name, (sort, _order) in SORTS.items():
            for share, (tag, _c) in TAG_SHARES.items():
                times: dict[str, list[float]] = {"tag": [], "stage": [], "tag_no_hashed_walk": []}
                calls = {"tag": {"tag": tag, "sort": sort}, "stage": {"stage": "churned", "sort": sort},
                         "tag_no_hashed_walk": {"tag": tag, "sort": sort}}
                kinds = list(times) if sort.lstrip("-") == "name" and postgres_url(url) else ["tag", "stage"]
                for round_ in range(requests + 5):
                    for kind in (kinds if round_ % 2 else kinds[::-1]):
                        customer_list.HASHED_TAG = 0 if kind == "tag_no_hashed_walk" else hashed
                        began = time.perf_counter()
                        CUSTOMERS.page(session, calls[kind], SYSTEM, region="IR")
                        if round_ >= 5:
                            times[kind].append((time.perf_counter() - began) * 1000)
                        session.rollback()
                customer_list.HASHED_TAG = hashed
                tag_ms, stage_ms = statistics.median(times["tag"]), statistics.median(times["stage"])
                figures = {"tag_p50_ms": round(tag_ms, 2), "stage_p50_ms": round(stage_ms, 2),
                           "ratio": round(tag_ms / stage_ms, 2)}
                if times["tag_no_hashed_walk"]:
                    before = statistics.median(times["tag_no_hashed_walk"])
                    figures.update(tag_without_hashed_walk_p50_ms=round(before, 2),
                                   ratio_without_hashed_walk=round(before / stage_ms, 2))
                result[f"{share}_{sort_name}"] = figures
                log(f"list service {share} {sort_name}: {result[f'{share}_{sort_name}']}")
    runtime.engine.dispose()
    return result


def prefix_service(url: str, requests: int) -> dict[str, Any]:
    """The customer list service (`CUSTOMERS.page`, no Flask) searched by the most common name
    prefix under each name sort: the search read as two merged name orders (`Either`) against
    the plain OR it replaced (every match of both name indexes read and sorted), interleaved call
    by call; p50 of wall and CPU ms."""
    import sqlalchemy as sa

    from payvand.core.actor import SYSTEM
    from payvand.core.runtime import Runtime
    from payvand.core.services import customer_list
    from payvand.core.services.customer_list import CUSTOMERS

    merged = customer_list.Either
    runtime = Runtime({"PAYVAND_DATABASE_URL": url, "PAYVAND_PLUGINS": []})
    result: dict[str, Any] = {}
    with runtime.sessionmaker() as session:
        prefix = session.execute(sa.text(
            "SELECT substr(search_name, 1, 2) AS p FROM core_customer WHERE merged_into_id IS NULL"
            " GROUP BY p ORDER BY count(*) DESC, p LIMIT 1")).scalar_one()
        for sort in ("name", "-name"):
            wall: dict[str, list[float]] = {"merged": [], "or": []}
            cpu: dict[str, list[float]] = {"merged": [], "or": []}
            for round_ in range(requests + 5):
                for kind in (("merged", "or") if round_ % 2 else ("or", "merged")):
                    customer_list.Either = merged if kind == "merged" else (lambda arms: sa.or_(*arms))  # type: ignore[assignment,misc]
                    began, used = time.perf_counter(), time.thread_time()
                    CUSTOMERS.page(session, {"q": prefix, "sort": sort}, SYSTEM, region="IR")
                    if round_ >= 5:
                        wall[kind].append((time.perf_counter() - began) * 1000)
                        cpu[kind].append((time.thread_time() - used) * 1000)
                    session.rollback()
            customer_list.Either = merged  # type: ignore[misc]
            result[sort] = {"prefix": prefix, **{f"{kind}_p50_ms": round(statistics.median(wall[kind]), 2) for kind in wall},
                            **{f"{kind}_cpu_p50_ms": round(statistics.median(cpu[kind]), 2) for kind in cpu}}
            log(f"prefix service {sort}: {result[sort]}")
    runtime.engine.dispose()
    return result


def main() -> None:
    """Build or reuse the dataset, log in, measure each page; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_size_arguments(parser)
    parser.add_argument("--requests", type=int, default=500, help="timed requests per page (default 500)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests per page first (default 50)")
    parser.add_argument("--only", nargs="*", help="measure only these pages")
    parser.add_argument("--only-prefixes", action="store_true",
                        help="measure only a common name prefix and a five-digit phone prefix, in two sorts each")
    parser.add_argument("--prefix-service", action="store_true",
                        help="only the list service searched by a common name prefix by name: merged vs plain OR")
    parser.add_argument("--only-tags", action="store_true",
                        help="measure only the tag filter at each share and the stage filter, in every sort")
    add_database_argument(parser)  # the dataset is copied there once and measured there
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--list-service", action="store_true",
                        help="only the list service (no Flask): each tag share against the stage filter, interleaved")
    args = parser.parse_args()

    data = ensure_dataset(args.customers, args.interactions, rebuild=args.rebuild)
    ensure_tag_shares(data.path)
    postgres = bool(args.database_url)
    url = args.database_url or data.url
    if postgres:
        load_postgres(url, data.path)
    ensure_rep(url)
    if args.prefix_service:
        began, at_start = time.perf_counter(), machine()
        print(json.dumps({"benchmark": "web_pages --prefix-service", "database": "postgresql" if postgres else "sqlite",
                          "dataset": {"customers": data.customers, "interactions": data.interactions},
                          "what": "CUSTOMERS.page searched by the most common name prefix under a name sort: the two"
                                  " name orders merged (now) against the plain OR (before), interleaved, p50 ms",
                          "sorts": prefix_service(url, args.requests), "machine": at_start,
                          "machine_at_end": machine(), "seconds": round(time.perf_counter() - began, 1)}))
        return
    if args.list_service:
        began, at_start = time.perf_counter(), machine()
        print(json.dumps({"benchmark": "web_pages --list-service", "database": "postgresql" if postgres else "sqlite",
                          "dataset": {"customers": data.customers, "interactions": data.interactions},
                          "what": "CUSTOMERS.page for the tag filter and for stage=churned in the same sort, "
                                  "interleaved call by call, p50 ms; ratio = tag / stage (goal <= 2)",
                          "ratios": list_service_ratios(url, args.requests), "machine": at_start,
                          "machine_at_end": machine(), "seconds": round(time.perf_counter() - began, 1)}))
        return
    from sqlalchemy import event

    from payvand.core.app import create_app

    workdir = tempfile.TemporaryDirectory(prefix="payvand-bench-")
    app = create_app({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": workdir.name, "PAYVAND_PLUGINS": [],
                      "PAYVAND_JOBS": "off", "SECRET_KEY": "benchmark", "PAYVAND_PASSWORD_PROFILE": "fast"})
    queries = [0]
    event.listen(app.extensions["payvand"].engine, "before_cursor_execute",
                 lambda *a, **k: queries.__setitem__(0, queries[0] + 1))
    client = app.test_client()
    login(client)
    raw = RawPg(url) if postgres else Raw(data.path)
    rng = random.Random(args.seed)
    results: dict[str, Any] = {}
    began = time.perf_counter()
    machine_at_start = machine()
    if args.only_prefixes:
        measured = prefix_pages(raw, args.requests)
    elif args.only_tags:
        measured = tag_pages(raw, args.requests, postgres)
    else:
        measured = {**pages(raw, data, args.requests, rng), **tag_pages(raw, args.requests, postgres),
                    **prefix_pages(raw, args.requests)}
    for name, (paths, baseline, notes) in measured.items():
        if args.only and name not in args.only:
            continue
        log(f"measuring {name}")
        results[name] = {"notes": notes, **measure(client, paths, baseline, args.warmup, queries)}
        figures = results[name]
        log(f"  page p50 {figures['page_ms']['p50']} p95 {figures['page_ms']['p95']} ms "
            f"(cpu p95 {figures['page_cpu_ms']['p95']}); baseline p50 {figures['baseline_ms']['p50']} ms; "
            f"queries {figures['queries_per_request']}")
    def versus_stage(figure: str) -> dict[str, dict[str, float]]:
        return {sort: {share: round(results[f"tag_{share}_{sort}"][figure]["p50"] / results[f"stage_{sort}"][figure]["p50"], 2)
                       for share in TAG_SHARES if f"tag_{share}_{sort}" in results}
                for sort in SORTS if f"stage_{sort}" in results}

    print(json.dumps({
        "benchmark": "web_pages",
        "database": "postgresql" if postgres else "sqlite",
        "dataset": {"customers": data.customers, "interactions": data.interactions, "path": data.path.name,
                    "extra_tags": {share: tag for share, (tag, _c) in TAG_SHARES.items()}},
        "baseline": "hand-written SQL of the same filter and order (the best form we know, see tag_page_sql and"
                    " stage_page_sql), selecting the page's ids, then the rows with their children; interleaved",
        "tag_vs_stage_p50": versus_stage("page_ms"),
        "tag_vs_stage_cpu_p50": versus_stage("page_cpu_ms"),
        "tag_target": "each tag page within 2x of the stage page in the same sort (p50)",
        "machine": machine_at_start,
        "requests_per_page": args.requests,
        "seconds": round(time.perf_counter() - began, 1),
        "pages": results,
        "targets_met": all(r["meets_target"] for r in results.values()),
        "targets_missed": sorted(k for k, r in results.items() if not r["meets_target"]),
        "machine_at_end": machine(),
    }, indent=2, ensure_ascii=False))
    app.extensions["payvand"].engine.dispose()
    workdir.cleanup()


if __name__ == "__main__":
    main()
