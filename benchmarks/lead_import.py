"""Lead import from CSV (`payvand sales import-leads`) on 100,000 rows (SQLite).

Writes a CSV of leads (Persian and English names, unique emails and phones, campaigns, UTM
source, consent; 1 % duplicates of earlier rows and 0.5 % bad rows), then imports it through
the plugin's own `import_leads` (read, held to the API's lead rules, deduplicated in the file
and against the database, multi-row inserts per batch of 1,000, scores recomputed in SQL, one
audit entry) into a freshly migrated database; `cpu_seconds` is the process time of the same
work, which other load on the machine does not inflate. Then imports the same file again with
`on_duplicate="update"` (every row now matches an open lead). The baseline, measured in the
same run into a copy of the same empty database: raw sqlite3 executemany of the same rows,
already parsed and prepared (no reading, validation, deduplication or scoring). Prints JSON.

On PostgreSQL (`--database-url postgresql+psycopg://...`; the database's `public` schema is
emptied and migrated with the core and the sales plugin for each run) the import writes its
new leads through `COPY` with ids reserved from the sequence. The baseline is psycopg's `COPY`
of exactly the rows the import left in `sales_lead` (every column, ids and scores included,
read back with `COPY TO`) into a freshly migrated schema — the same table, the same indexes —
in one transaction, as the import is one transaction; `ratio` is baseline time over import
time (goal ≥ 0.6). `--repeat N` runs both N times and keeps the fastest of each;
`cpu_seconds` is the import process's own CPU time.

    python benchmarks/lead_import.py                  # 100,000 rows
    python benchmarks/lead_import.py --rows 20000     # quick
    python benchmarks/lead_import.py --rows 100000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_leads
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

from _dataset import add_database_argument, backend_cpu, log, machine

GIVEN = ["سارا", "علی", "مریم", "رضا", "نگار", "حسین", "Sara", "Reza", "Nima", "Lena"]
FAMILY = ["احمدی", "کریمی", "رضایی", "حسینی", "Ahmadi", "Karimi", "Rahimi", "Moradi"]
CAMPAIGNS = ["بهار", "spring-sale", "expo-2026", "newsletter", ""]
UTM = ["google", "instagram", "newsletter", ""]
COLUMNS = ["status", "given_name", "family_name", "organization_name", "email", "phone", "message", "source",
           "campaign", "referrer", "utm", "utm_source", "utm_medium", "utm_campaign", "consent", "score",
           "score_details", "owner_id", "customer_id", "created_at"]


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """The import file: `rows` data rows, Persian headers for half the columns."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["نام", "نام خانوادگی", "company", "ایمیل", "تلفن همراه", "کمپین", "utm_source", "notes", "رضایت"])
        for n in range(rows):
            if n > 100 and rng.random() < 0.01:  # a duplicate of an earlier row
                m = rng.randrange(n)
                writer.writerow(["تکراری", "", "", f"lead{m}@example.com", "", "", "", "", ""])
                continue
            if rng.random() < 0.005:  # a bad row: no way to reach the person
                writer.writerow([rng.choice(GIVEN), rng.choice(FAMILY), "", "", "", "", "", "", ""])
                continue
            writer.writerow([rng.choice(GIVEN), rng.choice(FAMILY), "Acme" if n % 20 == 0 else "",
                             f"lead{n}@example.com", f"0912{n:07d}", rng.choice(CAMPAIGNS), rng.choice(UTM),
                             "met at the fair" if n % 7 == 0 else "", "بله" if n % 3 == 0 else "خیر"])


def empty_database(path: Path) -> None:
    """A database migrated with the core and the sales plugin."""
    import payvand.plugins.sales as sales
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade
    from payvand.core.plugins import InstalledPlugin

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, [InstalledPlugin(name="sales", obj=sales, meta=sales.meta, source="payvand.plugins.sales")])
    engine.dispose()


def prepared_rows(path: Path) -> list[tuple[Any, ...]]:
    """The rows of the file as sales_lead values, parsed beforehand (what the baseline inserts)."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    rows: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for given, family, company, email, phone, campaign, utm_source, notes, consent in reader:
            if not (email or phone) or email in seen:
                continue
            seen.add(email)
            utm = json.dumps({"source": utm_source} if utm_source else {})
            rows.append(("new", given, family or None, company or None, email, phone or None, notes or None, "import",
                         campaign or None, None, utm, utm_source or None, None, None, consent == "بله", 0, "[]",
                         None, None, now))
    return rows


def baseline(path: Path, rows: list[tuple[Any, ...]]) -> float:
    """Seconds for raw executemany of `rows` into sales_lead, with the app's pragmas, and a commit."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    sql = f"INSERT INTO sales_lead ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    t0 = time.perf_counter()
    db.executemany(sql, rows)
    db.commit()
    seconds = time.perf_counter() - t0
    db.close()
    return seconds


#: CPU seconds of this process's finished children so far (each import's reader is one).
CHILD_CPU = [0.0]


def run_import(path: Path | str, csv_path: Path, on_duplicate: str,
               profile: dict[str, list[float]] | None = None) -> tuple[float, float, Any]:
    """Seconds (wall clock, then CPU) for `import_leads` of the file through the plugin (committed), and its result.

    `path` is a SQLite file or a database URL. On PostgreSQL the result also carries
    `database_cpu_seconds`, the CPU its backend used (from /proc); `profile`, when given,
    receives per statement kind [count, wall seconds, backend CPU seconds] (`--profile`).
    """
    import payvand.plugins.sales as sales
    from payvand.core.app import create_app
    from payvand.core.db import bind_session
    from payvand.plugins.sales.services.lead_import import import_leads

    url = path if isinstance(path, str) else f"sqlite:///{path}"
    instance = csv_path.parent / "instance"
    app = create_app({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": str(instance),
                      "PAYVAND_PLUGINS": ["sales"], "PAYVAND_EXTRA_PLUGINS": [sales], "PAYVAND_JOBS": "off",
                      "SECRET_KEY": "benchmark"})
    runtime = app.extensions["payvand"]
    postgresql = url.startswith("postgresql")
    with app.app_context(), runtime.sessionmaker() as session, bind_session(session):
        backend = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar() if postgresql else None
        if profile is not None and backend is not None:
            _profile_statements(runtime.engine, backend, profile)
        backend_before = backend_cpu([backend]) if backend is not None else None
        t0, c0 = time.perf_counter(), time.process_time()
        result = import_leads(csv_path, on_duplicate=on_duplicate)
        session.commit()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        backend_after = backend_cpu([backend]) if backend is not None else None
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the forked reader (read_in_child), joined
    result.reader_cpu_seconds = round(children.ru_utime + children.ru_stime - CHILD_CPU[0], 2)
    CHILD_CPU[0] = children.ru_utime + children.ru_stime
    result.database_cpu_seconds = (None if backend_before is None or backend_after is None
                                   else round(backend_after - backend_before, 2))
    runtime.engine.dispose()
    return seconds, cpu, result



def _statement_kind(statement: str) -> str:
    """A statement's kind for the profile: its first words, the table it names."""
    words = " ".join(statement.split()).split(" ")
    head = " ".join(words[:2])
    for word in words:
        if word.startswith(("sales_", "core_", "tmp_")):
            return f"{head} … {word.rstrip(',(')}"
    return head


def _profile_statements(engine: Any, backend: int, profile: dict[str, list[float]]) -> None:
    """Add each statement's wall and backend CPU time to `profile` by kind; COPYs through `BulkInsert` too."""
    import sqlalchemy as sa

    from payvand.core.importing import tables

    started: list[tuple[float, float | None]] = []

    def add(kind: str, wall: float, before: float | None) -> None:
        after = backend_cpu([backend])
        entry = profile.setdefault(kind, [0, 0.0, 0.0])
        entry[0] += 1
        entry[1] += wall
        entry[2] += (after - before) if after is not None and before is not None else 0.0

    @sa.event.listens_for(engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started.append((time.perf_counter(), backend_cpu([backend])))

    @sa.event.listens_for(engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        t0, before_cpu = started.pop()
        add(_statement_kind(statement), time.perf_counter() - t0, before_cpu)

    for name in ("_copy", "run_text"):
        original = getattr(tables.BulkInsert, name)

        def timed(self: Any, connection: Any, rows: Any, _original: Any = original) -> None:
            t0, before_cpu = time.perf_counter(), backend_cpu([backend])
            try:
                _original(self, connection, rows)
            finally:
                add(f"COPY … {self.table.name}", time.perf_counter() - t0, before_cpu)

        setattr(tables.BulkInsert, name, timed)


def reset_postgres(url: str) -> None:
    """Empty the PostgreSQL database's `public` schema and migrate the core and the sales plugin."""
    import sqlalchemy as sa

    import payvand.plugins.sales as sales
    from payvand.core.migrations.runner import upgrade
    from payvand.core.plugins import InstalledPlugin

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    upgrade(engine, [InstalledPlugin(name="sales", obj=sales, meta=sales.meta, source="payvand.plugins.sales")])
    engine.dispose()


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def dump_leads(url: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every column name of sales_lead and every row the import left there (text form, `COPY TO`)."""
    import psycopg

    with psycopg.connect(_psycopg_url(url)) as connection:
        columns = [row[0] for row in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'sales_lead' "
            "ORDER BY ordinal_position")]
        with connection.cursor() as cursor, cursor.copy("COPY sales_lead TO STDOUT") as copy:
            return columns, list(copy.rows())


def copy_baseline(url: str, columns: list[str], rows: list[tuple[Any, ...]]) -> tuple[float, float, float | None]:
    """Seconds to `COPY` `rows` into sales_lead of a freshly migrated schema in one transaction,
    with the CPU seconds of this client and of its backend (None when /proc cannot tell)."""
    import psycopg

    reset_postgres(url)
    with psycopg.connect(_psycopg_url(url)) as connection:
        backend = connection.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        backend_before = backend_cpu([backend])
        c0 = time.process_time()
        started = time.perf_counter()
        with connection.transaction(), connection.cursor() as cursor, cursor.copy(
                f"COPY sales_lead ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        seconds = time.perf_counter() - started
        client = time.process_time() - c0
        backend_after = backend_cpu([backend])
    return seconds, client, None if backend_before is None or backend_after is None else backend_after - backend_before


def main_postgres(args: argparse.Namespace) -> None:
    """The PostgreSQL run: per round, import the file into a fresh schema, then at once the raw COPY
    baseline of the rows it left (interleaved); the last round also re-imports; print JSON."""
    folder = Path(tempfile.mkdtemp(prefix="payvand-lead-import-"))
    try:
        csv_path = folder / "leads.csv"
        write_csv(csv_path, args.rows)
        log(f"file of {args.rows:,} rows written ({csv_path.stat().st_size / 1e6:.1f} MB)")
        load_before = machine()
        rounds: list[dict[str, Any]] = []
        first_profile: dict[str, list[float]] = {}
        profile: dict[str, list[float]] | None = first_profile if args.profile else None
        again_seconds = again_cpu = 0.0
        again: Any = None
        for index in range(args.repeat):
            reset_postgres(args.database_url)
            seconds, cpu, result = run_import(args.database_url, csv_path, "skip", profile)
            profile = None  # the first round only: the listeners stay on that engine
            columns, rows = dump_leads(args.database_url)
            if index == args.repeat - 1:
                again_seconds, again_cpu, again = run_import(args.database_url, csv_path, "update")
                log(f"re-import, every row a duplicate to update: {again_seconds:.2f} s, {again.summary()}")
            raw_seconds, raw_client, raw_database = copy_baseline(args.database_url, columns, rows)
            import_cpu = cpu + (result.reader_cpu_seconds or 0) + (result.database_cpu_seconds or 0)
            raw_cpu = raw_client + (raw_database or 0)
            rounds.append({
                "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                "reader_cpu_seconds": result.reader_cpu_seconds, "database_cpu_seconds": result.database_cpu_seconds,
                "raw_copy_seconds": round(raw_seconds, 2), "raw_copy_client_cpu_seconds": round(raw_client, 2),
                "raw_copy_database_cpu_seconds": None if raw_database is None else round(raw_database, 2),
                "ratio": round(raw_seconds / seconds, 3), "cpu_ratio": round(raw_cpu / import_cpu, 3),
                "leads": len(rows), **result.summary(), "scored": result.scored, "loadavg": machine()["loadavg"],
            })
            log(f"round {index + 1}: import {seconds:.2f} s (cpu {cpu:.2f} + reader {result.reader_cpu_seconds} + "
                f"database {result.database_cpu_seconds}), raw COPY {raw_seconds:.2f} s (cpu {raw_client:.2f} + "
                f"{raw_database}), ratio {rounds[-1]['ratio']}, cpu ratio {rounds[-1]['cpu_ratio']}")
        ratios = sorted(r["ratio"] for r in rounds)
        cpu_ratios = sorted(r["cpu_ratio"] for r in rounds)
        print(json.dumps({
            "benchmark": "lead_import", "database": "postgresql", "rows": args.rows,
            "rounds": rounds,
            "ratio_median": ratios[len(ratios) // 2], "cpu_ratio_median": cpu_ratios[len(cpu_ratios) // 2],
            "reimport_update": {"seconds": round(again_seconds, 2), "rows_per_second": round(args.rows / again_seconds),
                                "cpu_seconds": round(again_cpu, 2),
                                "database_cpu_seconds": getattr(again, "database_cpu_seconds", None),
                                **again.summary()},
            "profile_first_round": None if not args.profile else {
                kind: {"count": int(n), "seconds": round(wall, 3), "database_cpu_seconds": round(db, 2)}
                for kind, (n, wall, db) in sorted(first_profile.items(), key=lambda item: -item[1][1])},
            "baseline": "psycopg COPY (write_row) of exactly the sales_lead rows the import left (every column, ids "
                        "and scores included, read back with COPY TO) into a freshly migrated schema with the same "
                        "indexes, in one transaction as the import is one; no reading, validation, dedupe or scoring; "
                        "run right after each import round (interleaved); cpu_ratio = (COPY client + its backend) / "
                        "(import process + its forked reader + its backend), from /proc",
            "machine_before": load_before, "machine": machine(),
        }, indent=2))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    """Write the file, import it twice through the plugin and once raw; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000)
    add_database_argument(parser)  # its public schema is emptied
    parser.add_argument("--repeat", type=int, default=1,
                        help="PostgreSQL: rounds, each an import then the raw COPY of its rows (median ratio)")
    parser.add_argument("--profile", action="store_true",
                        help="PostgreSQL: wall and backend CPU per statement kind in the first round")
    args = parser.parse_args()
    if args.database_url:
        main_postgres(args)
        return
    folder = Path(tempfile.mkdtemp(prefix="payvand-lead-import-"))
    try:
        csv_path = folder / "leads.csv"
        write_csv(csv_path, args.rows)
        template = folder / "empty.sqlite3"
        empty_database(template)
        ours, raw = folder / "payvand.sqlite3", folder / "raw.sqlite3"
        shutil.copy(template, ours)
        shutil.copy(template, raw)
        rows = prepared_rows(csv_path)
        log(f"file of {args.rows:,} rows written ({csv_path.stat().st_size / 1e6:.1f} MB); {len(rows):,} good and new")
        raw_seconds = baseline(raw, rows)
        log(f"raw executemany: {raw_seconds:.2f} s")
        seconds, cpu, result = run_import(ours, csv_path, "skip")
        log(f"import: {seconds:.2f} s, {result.summary()}")
        again_seconds, again_cpu, again = run_import(ours, csv_path, "update")
        log(f"re-import, every row a duplicate to update: {again_seconds:.2f} s, {again.summary()}")
        check = sqlite3.connect(ours).execute(
            "SELECT count(*), sum(score > 0 OR scored_at IS NOT NULL) FROM sales_lead"
        ).fetchone()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({
            "benchmark": "lead_import", "rows": args.rows,
            "import": {"seconds": round(seconds, 2), "rows_per_second": round(args.rows / seconds),
                       "cpu_seconds": round(cpu, 2), **result.summary(), "scored": result.scored},
            "reimport_update": {"seconds": round(again_seconds, 2), "rows_per_second": round(args.rows / again_seconds),
                                "cpu_seconds": round(again_cpu, 2), **again.summary()},
            "baseline_raw_executemany": {"seconds": round(raw_seconds, 2), "rows": len(rows),
                                         "rows_per_second": round(len(rows) / raw_seconds)},
            "ratio_of_rows_per_second": round((args.rows / seconds) / (len(rows) / raw_seconds), 3),
            "leads_in_database": check[0], "leads_scored": check[1], "peak_rss_mb": round(peak_mb),
            "machine": machine(),
        }, indent=2))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
