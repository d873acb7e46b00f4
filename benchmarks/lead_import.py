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

    python benchmarks/lead_import.py                  # 100,000 rows
    python benchmarks/lead_import.py --rows 20000     # quick
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


def empty_database(path: Path | str) -> None:
    """A database (a SQLite file, or a URL) migrated with the core and the sales plugin."""
    import payvand.plugins.sales as sales
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade
    from payvand.core.plugins import InstalledPlugin

    engine = make_engine(path if isinstance(path, str) else f"sqlite:///{path}")
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


def postgres_baseline(url: str, rows: list[tuple[Any, ...]]) -> float:
    """Seconds for psycopg executemany of `rows` into the emptied sales_lead, one transaction; then
    the table is emptied again for the import."""
    import psycopg
    from _dataset import psycopg_url

    with psycopg.connect(psycopg_url(url)) as connection:
        connection.execute("SET TIME ZONE 'UTC'")
        sql = f"INSERT INTO sales_lead ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        connection.commit()
        seconds = time.perf_counter() - t0
        connection.execute("TRUNCATE sales_lead CASCADE")
        connection.commit()
    return seconds


def run_import(path: Path | str, csv_path: Path, on_duplicate: str,
               instance: Path | None = None) -> tuple[float, float, Any]:
    """Seconds (wall clock, then CPU) for `import_leads` of the file through the plugin (committed), and its result."""
    import payvand.plugins.sales as sales
    from payvand.core.app import create_app
    from payvand.core.db import bind_session
    from payvand.plugins.sales.services.lead_import import import_leads

    url = path if isinstance(path, str) else f"sqlite:///{path}"
    folder = instance or (path.parent / "instance" if isinstance(path, Path) else Path("instance"))
    app = create_app({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": str(folder),
                      "PAYVAND_PLUGINS": ["sales"], "PAYVAND_EXTRA_PLUGINS": [sales], "PAYVAND_JOBS": "off",
                      "SECRET_KEY": "benchmark"})
    runtime = app.extensions["payvand"]
    with app.app_context(), runtime.sessionmaker() as session, bind_session(session):
        t0, c0 = time.perf_counter(), time.process_time()
        result = import_leads(csv_path, on_duplicate=on_duplicate)
        session.commit()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    runtime.engine.dispose()
    return seconds, cpu, result


def main() -> None:
    """Write the file, import it twice through the plugin and once raw; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000)
    add_database_argument(parser)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="payvand-lead-import-"))
    try:
        csv_path = folder / "leads.csv"
        write_csv(csv_path, args.rows)
        rows = prepared_rows(csv_path)
        log(f"file of {args.rows:,} rows written ({csv_path.stat().st_size / 1e6:.1f} MB); {len(rows):,} good and new")
        check_sql = "SELECT count(*), sum(CASE WHEN score > 0 OR scored_at IS NOT NULL THEN 1 ELSE 0 END) FROM sales_lead"
        ours: Path | str
        if args.database_url:  # the database's tables are replaced; the baseline first, then emptied
            from _dataset import reset_postgres_schema
            from read_paths import PostgresRaw

            reset_postgres_schema(args.database_url)
            empty_database(args.database_url)
            ours = args.database_url
            raw_seconds = postgres_baseline(args.database_url, rows)
        else:
            template = folder / "empty.sqlite3"
            empty_database(template)
            ours, raw = folder / "payvand.sqlite3", folder / "raw.sqlite3"
            shutil.copy(template, ours)
            shutil.copy(template, raw)
            raw_seconds = baseline(raw, rows)
        log(f"raw executemany: {raw_seconds:.2f} s")
        seconds, cpu, result = run_import(ours, csv_path, "skip", folder / "instance")
        log(f"import: {seconds:.2f} s, {result.summary()}")
        again_seconds, again_cpu, again = run_import(ours, csv_path, "update", folder / "instance")
        log(f"re-import, every row a duplicate to update: {again_seconds:.2f} s, {again.summary()}")
        if isinstance(ours, str):
            checker = PostgresRaw(ours)
            check = checker.execute(check_sql).fetchone()
            checker.close()
        else:
            check = sqlite3.connect(ours).execute(check_sql).fetchone()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({
            "benchmark": "lead_import", "database": "postgresql" if args.database_url else "sqlite",
            "baseline": "executemany of the same rows, parsed beforehand, one transaction (sqlite3; psycopg on"
                        " PostgreSQL)",
            "rows": args.rows,
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
