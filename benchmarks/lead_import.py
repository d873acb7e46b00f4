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

from _dataset import add_database_argument, log, machine

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


def run_import(path: Path | str, csv_path: Path, on_duplicate: str) -> tuple[float, float, Any]:
    """Seconds (wall clock, then CPU) for `import_leads` of the file through the plugin (committed), and its result.

    `path` is a SQLite file or a database URL.
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
    with app.app_context(), runtime.sessionmaker() as session, bind_session(session):
        t0, c0 = time.perf_counter(), time.process_time()
        result = import_leads(csv_path, on_duplicate=on_duplicate)
        session.commit()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the forked reader (read_in_child), joined
    result.reader_cpu_seconds = round(children.ru_utime + children.ru_stime - CHILD_CPU[0], 2)
    CHILD_CPU[0] = children.ru_utime + children.ru_stime
    runtime.engine.dispose()
    return seconds, cpu, result


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


def copy_baseline(url: str, columns: list[str], rows: list[tuple[Any, ...]]) -> float:
    """Seconds to `COPY` `rows` into sales_lead of a freshly migrated schema in one transaction."""
    import psycopg

    reset_postgres(url)
    with psycopg.connect(_psycopg_url(url)) as connection:
        started = time.perf_counter()
        with connection.transaction(), connection.cursor() as cursor, cursor.copy(
                f"COPY sales_lead ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return time.perf_counter() - started


def main_postgres(args: argparse.Namespace) -> None:
    """The PostgreSQL run: import the file (fresh schema each round), then the raw COPY baseline; print JSON."""
    folder = Path(tempfile.mkdtemp(prefix="payvand-lead-import-"))
    try:
        csv_path = folder / "leads.csv"
        write_csv(csv_path, args.rows)
        log(f"file of {args.rows:,} rows written ({csv_path.stat().st_size / 1e6:.1f} MB)")
        load_before = machine()
        rounds = []
        for _ in range(args.repeat):
            reset_postgres(args.database_url)
            rounds.append(run_import(args.database_url, csv_path, "skip"))
            log(f"import: {rounds[-1][0]:.2f} s (cpu {rounds[-1][1]:.2f} s), {rounds[-1][2].summary()}")
        seconds, cpu, result = min(rounds, key=lambda r: r[0])
        columns, rows = dump_leads(args.database_url)
        again_seconds, again_cpu, again = run_import(args.database_url, csv_path, "update")
        log(f"re-import, every row a duplicate to update: {again_seconds:.2f} s, {again.summary()}")
        raw_seconds = min(copy_baseline(args.database_url, columns, rows) for _ in range(args.repeat))
        log(f"raw COPY of the {len(rows):,} leads: {raw_seconds:.2f} s")
        print(json.dumps({
            "benchmark": "lead_import", "database": "postgresql", "rows": args.rows,
            "import": {"seconds": round(seconds, 2), "rows_per_second": round(args.rows / seconds),
                       "cpu_seconds": round(cpu, 2), "reader_cpu_seconds": getattr(result, "reader_cpu_seconds", None),
                       **result.summary(), "scored": result.scored,
                       "all_seconds": [round(r[0], 2) for r in rounds]},
            "reimport_update": {"seconds": round(again_seconds, 2), "rows_per_second": round(args.rows / again_seconds),
                                "cpu_seconds": round(again_cpu, 2), **again.summary()},
            "baseline_raw_copy": {"seconds": round(raw_seconds, 2), "leads": len(rows),
                                  "rows_per_second": round(args.rows / raw_seconds)},
            "baseline": "psycopg COPY (write_row) of exactly the sales_lead rows the import left (every column, ids "
                        "and scores included, read back with COPY TO) into a freshly migrated schema with the same "
                        "indexes, in one transaction as the import is one; no reading, validation, dedupe or scoring",
            "ratio": round(raw_seconds / seconds, 3),
            "machine_before": load_before, "machine": machine(),
        }, indent=2))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    """Write the file, import it twice through the plugin and once raw; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000)
    add_database_argument(parser)  # its public schema is emptied
    parser.add_argument("--repeat", type=int, default=1, help="PostgreSQL: rounds; the fastest of each is kept")
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
