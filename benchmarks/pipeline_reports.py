"""Pipeline reports on many deals: weighted forecast by month and by owner, pipeline by stage.

    python benchmarks/pipeline_reports.py                  # 1,000,000 deals (cached in benchmarks/.data/)
    python benchmarks/pipeline_reports.py --deals 100000   # quick

Builds a SQLite database from the real migrations (core + sales), loads the deals with raw
`sqlite3` executemany, then times the service functions of `plugins/sales/services/pipeline.py`
(SQLAlchemy, GROUP BY in SQL) against the same GROUP BY run through raw `sqlite3`, interleaved
in the same run. Prints one JSON document; target: each report under 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _dataset import add_database_argument, copy_sqlite_into_postgres, machine, reset_postgres_schema
from read_paths import PostgresRaw
from sqlalchemy.orm import Session

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"


def build(path: Path, deals: int) -> None:
    """Create the schema from the migrations and load `deals` deals with raw executemany."""
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade
    from payvand.core.plugins import InstalledPlugin
    from payvand.plugins import sales
    from payvand.plugins.sales.services import pipeline as svc

    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    plugin = InstalledPlugin(name="sales", obj=sales, meta=sales.meta, source="payvand.plugins.sales")
    upgrade(engine, [plugin])
    with Session(engine) as s:
        pipeline = svc.ensure_default_pipeline(s)
        stages = [(st.id, st.outcome) for st in pipeline.stages]
        s.commit()
        pipeline_id = pipeline.id
    engine.dispose()
    rng = random.Random(42)
    owners = 50
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.executemany("INSERT INTO core_user (id, email, name, is_active, is_superuser, created_at) VALUES (?, ?, ?, 1, 0, ?)",
                     [(i, f"rep{i}@example.com", f"Rep {i}", "2026-01-01 00:00:00.000000") for i in range(1, owners + 1)])
    start = dt.date(2025, 1, 1)

    def rows():
        for i in range(1, deals + 1):
            r = rng.random()
            stage_id, outcome = stages[4] if r < 0.2 else stages[5] if r < 0.3 else stages[rng.randrange(4)]
            currency = "USD" if rng.random() < 0.1 else "IRR"
            amount = str(rng.randrange(100, 100_000)) + ".50" if currency == "USD" else str(rng.randrange(1, 10_000) * 100_000)
            close = (start + dt.timedelta(days=rng.randrange(1095))).isoformat() if rng.random() < 0.95 else None
            yield (i, f"Deal {i}", pipeline_id, stage_id, i * svc.GAP, rng.randrange(1, owners + 1), amount, currency, close,
                   outcome, "2026-01-01 00:00:00.000000")

    conn.executemany("INSERT INTO sales_deal (id, title, pipeline_id, stage_id, position, owner_id, amount, currency,"
                     " expected_close, status, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows())
    conn.commit()
    conn.close()


#: The same GROUP BY statements through raw sqlite3 (the service adds only the month folding and weighting).
RAW = {
    "forecast_by_month": "SELECT expected_close, currency, stage_id, count(*), sum(CAST(amount AS REAL))"
                         " FROM sales_deal WHERE status = 'open' GROUP BY expected_close, currency, stage_id",
    "forecast_by_owner": "SELECT owner_id, currency, stage_id, count(*), sum(CAST(amount AS REAL))"
                         " FROM sales_deal WHERE status = 'open' GROUP BY owner_id, currency, stage_id",
    "pipeline_by_stage": "SELECT stage_id, currency, count(*), sum(CAST(amount AS REAL))"
                         " FROM sales_deal GROUP BY stage_id, currency",
}


def main() -> None:
    """Build (or reuse) the dataset, time each report and its raw baseline, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    add_database_argument(parser)
    args = parser.parse_args()
    from payvand.core.db import make_engine
    from payvand.plugins.sales.services import pipeline as svc

    DATA.mkdir(exist_ok=True)
    path = DATA / f"pipeline-{args.deals}.sqlite3"
    if args.rebuild or not path.exists():
        print(f"building {path} ...", file=sys.stderr)
        began = time.perf_counter()
        partial = path.with_suffix(".partial")
        build(partial, args.deals)
        partial.replace(path)  # only a complete build is reused
        print(f"built in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    url = f"sqlite:///{path}"
    raw: Any = sqlite3.connect(path)
    if args.database_url:  # the same rows copied into PostgreSQL; the baseline through psycopg
        url = args.database_url
        copy_to_postgres(path, url)
        raw = PostgresRaw(url)
    engine = make_engine(url)
    reports = {
        "forecast_by_month": lambda s: svc.forecast_by_month(s),
        "forecast_by_month_jalali": lambda s: svc.forecast_by_month(s, calendar="jalali"),
        "forecast_by_owner": lambda s: svc.forecast_by_owner(s),
        "pipeline_by_stage": lambda s: svc.pipeline_by_stage(s),
    }
    results = {}
    with Session(engine) as s:
        for name, run in reports.items():
            ours, base = [], []
            sql = RAW[name.removesuffix("_jalali")]
            for _ in range(args.repeat):
                began = time.perf_counter()
                rows = run(s)
                ours.append(time.perf_counter() - began)
                began = time.perf_counter()
                raw_rows = raw.execute(sql).fetchall()
                base.append(time.perf_counter() - began)
            payvand_s, raw_s = statistics.median(ours), statistics.median(base)
            results[name] = {"payvand_s": round(payvand_s, 4), "raw_sqlite3_s": round(raw_s, 4),
                             "ratio": round(payvand_s / raw_s, 2), "rows": len(rows), "raw_rows": len(raw_rows),
                             "under_2s": payvand_s < 2.0}
            print(name, results[name], file=sys.stderr)
    import tempfile

    import payvand.plugins.sales as sales
    from payvand.core.app import create_app

    with tempfile.TemporaryDirectory(prefix="payvand-bench-") as instance:
        app = create_app({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": instance,
                          "PAYVAND_PLUGINS": ["sales"], "PAYVAND_EXTRA_PLUGINS": [sales], "PAYVAND_JOBS": "off",
                          "SECRET_KEY": "benchmark"})
        with app.app_context():  # a move into Won emits an event: it needs the running app
            moves = time_moves(engine, raw, args.repeat)
        app.extensions["payvand"].engine.dispose()
    print("moves", moves, file=sys.stderr)
    print(json.dumps({"benchmark": "pipeline_reports", "deals": args.deals, "repeat": args.repeat,
                      "database": "postgresql" if args.database_url else "sqlite",
                      "baseline": "the same GROUP BY through raw sqlite3 (psycopg on PostgreSQL), interleaved",
                      "machine": machine(), "reports": results, "moves": moves}, indent=2))


def copy_to_postgres(path: Path, url: str) -> None:
    """Replace the PostgreSQL database's tables by the SQLite file's (migrated, then COPY)."""
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade
    from payvand.core.plugins import InstalledPlugin
    from payvand.plugins import sales

    reset_postgres_schema(url)
    engine = make_engine(url)
    upgrade(engine, [InstalledPlugin(name="sales", obj=sales, meta=sales.meta, source="payvand.plugins.sales")])
    engine.dispose()
    copy_sqlite_into_postgres(path, url)


def time_moves(engine, raw: Any, repeat: int) -> dict:
    """Median time of `move_deal` + flush (top, middle, bottom of a big column; into Won), rolled back
    after each; baseline: a raw one-row UPDATE by id with commit."""
    from payvand.core.db import bind_session
    from payvand.plugins.sales.models import Deal
    from payvand.plugins.sales.services import pipeline as svc

    out = {}
    with Session(engine) as s, bind_session(s):  # moves are audited in the current session
        stages = {st.name: st.id for st in svc.ensure_default_pipeline(s).stages}
        deal_id = s.scalar(sa_select_first_open(Deal))
        for label, stage, position in (("top", "Qualified", 0), ("middle", "Qualified", 1000),
                                       ("bottom", "Qualified", None), ("into_won", "Won", None)):
            ours, base = [], []
            for _ in range(repeat):
                deal = s.get(Deal, deal_id)
                began = time.perf_counter()
                svc.move_deal(s, deal, stages[stage], position)
                s.flush()
                ours.append(time.perf_counter() - began)
                s.rollback()
                began = time.perf_counter()
                raw.execute("UPDATE sales_deal SET position = position WHERE id = ?", (deal_id,))
                raw.commit()
                base.append(time.perf_counter() - began)
            out[label] = {"payvand_ms": round(statistics.median(ours) * 1000, 2),
                          "raw_update_ms": round(statistics.median(base) * 1000, 2)}
    return out


def sa_select_first_open(model):
    """The first open deal of the `New` column (a column of about 175,000 cards at 1M deals)."""
    import sqlalchemy as sa

    return sa.select(model.id).where(model.status == "open", model.stage_id == 1).order_by(model.id).limit(1)


if __name__ == "__main__":
    main()
