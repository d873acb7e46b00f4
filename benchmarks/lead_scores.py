"""Benchmark: recompute the scores of 1,000,000 leads in SQL on SQLite (target: under 30 s).

Builds (and caches in `benchmarks/.data/`) a database from the migrations with `--leads`
leads, customers sharing the email of one lead in twenty, and interactions of the kinds the
activity rules count; then times `scoring.recompute_scores` with eleven rules (profile,
email domain, phone, consent, UTM, web visits, email opens, form fills, recency decay) and
one plugin contribution, writing `score`, `score_details` and `scored_at` of every lead.

Baseline, in the same run: a raw `sqlite3` UPDATE of `score` alone with the same profile
conditions (no activity facts, no explanation JSON), i.e. the cheapest bulk update possible.

    python benchmarks/lead_scores.py                 # 1M leads
    python benchmarks/lead_scores.py --leads 50000   # quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from _dataset import add_database_argument
from read_paths import PostgresRaw

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
SHAPE = 1
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
DOMAINS = ("gmail.com", "yahoo.com", "acme.ir", "behsaz.ir", "example.com", "outlook.com")
SOURCES = ("web_form", "api", "import", "manual")
UTM_SOURCES = (None, "google", "newsletter", "instagram", "linkedin")
KINDS = ("core.web_visit", "core.web_visit", "core.web_visit", "marketing.email_opened", "core.form_submitted", "core.note")


def _ts(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def build(path: Path, leads: int) -> None:
    """Create the schema from the migrations and load the rows with raw executemany."""
    import payvand.plugins.sales as sales
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade
    from payvand.core.plugins import InstalledPlugin

    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, [InstalledPlugin(name="sales", obj=sales, meta=sales.meta, source="payvand.plugins.sales")])
    engine.dispose()
    rng = random.Random(7)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")

    def lead_rows():
        for i in range(1, leads + 1):
            created = NOW - dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 120))
            utm_source = rng.choice(UTM_SOURCES)
            yield (i, "new", f"Given{i}", f"Family{i}", None, f"lead{i}@{rng.choice(DOMAINS)}",
                   f"+98912{i:07d}" if rng.random() < 0.6 else None, None, rng.choice(SOURCES),
                   "spring-sale" if rng.random() < 0.2 else None, None,
                   json.dumps({"source": utm_source} if utm_source else {}), utm_source, None,
                   "spring-2026" if rng.random() < 0.1 else None, int(rng.random() < 0.5), 0, "[]", _ts(created))

    conn.executemany(
        "INSERT INTO sales_lead (id, status, given_name, family_name, organization_name, email, phone, message, source,"
        " campaign, referrer, utm, utm_source, utm_medium, utm_campaign, consent, score, score_details, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", lead_rows())
    customers = max(1, leads // 20)
    emails = conn.execute("SELECT id, email FROM sales_lead WHERE id % 20 = 0 LIMIT ?", (customers,)).fetchall()
    created = _ts(NOW - dt.timedelta(days=400))
    conn.executemany(
        "INSERT INTO core_customer (id, kind, given_name, family_name, display_name, search_name, search_name_alt,"
        " attributes, lifecycle_stage, version, created_at, updated_at)"
        " VALUES (?, 'person', 'C', 'C', 'C C', 'c c', 'c c', '{}', 'lead', 1, ?, ?)",
        [(n, created, created) for n in range(1, len(emails) + 1)])
    conn.executemany("INSERT INTO core_customer_email (customer_id, email) VALUES (?, ?)",
                     [(n, email) for n, (_, email) in enumerate(emails, start=1)])

    def interactions():
        for n in range(1, len(emails) + 1):
            for _ in range(rng.randrange(0, 12)):
                when = NOW - dt.timedelta(hours=rng.randrange(0, 24 * 60))
                yield (n, rng.choice(KINDS), "web", "inbound", _ts(when), "", "{}", _ts(when))

    conn.executemany(
        "INSERT INTO core_interaction (customer_id, kind, channel, direction, occurred_at, summary, payload, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", interactions())
    conn.commit()
    conn.close()


RULES = (
    ("Web form", "source", "eq", "web_form", 10),
    ("Imported", "source", "eq", "import", -5),
    ("Company email", "email_domain", "eq", "acme.ir", 15),
    ("Free email", "email_domain", "eq", "gmail.com", -3),
    ("Reachable by phone", "has_phone", "exists", None, 5),
    ("Consented", "consent", "eq", "true", 3),
    ("Newsletter", "utm_source", "eq", "newsletter", 4),
    ("Spring campaign", "utm_campaign", "contains", "spring", 6),
    ("Visited 3+ times", "web_visits", "gte", "3", 20),
    ("Opened an email", "email_opens", "exists", None, 5),
    ("Filled a form", "form_fills", "gte", "1", 8),
    ("Fresh", "recency", "decay", "14", 16),
)

BASELINE_SQL = """
UPDATE sales_lead SET score =
  (CASE WHEN lower(source) = 'web_form' THEN 10 ELSE 0 END)
+ (CASE WHEN lower(source) = 'import' THEN -5 ELSE 0 END)
+ (CASE WHEN lower(email) LIKE '%@acme.ir' THEN 15 ELSE 0 END)
+ (CASE WHEN lower(email) LIKE '%@gmail.com' THEN -3 ELSE 0 END)
+ (CASE WHEN phone IS NOT NULL AND phone != '' THEN 5 ELSE 0 END)
+ (CASE WHEN consent IS TRUE THEN 3 ELSE 0 END)
+ (CASE WHEN lower(utm_source) = 'newsletter' THEN 4 ELSE 0 END)
+ (CASE WHEN lower(utm_campaign) LIKE '%spring%' THEN 6 ELSE 0 END)
"""


def run_payvand(url: str) -> dict[str, float | int]:
    """Time `recompute_scores` over every lead (one transaction, committed)."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from payvand.core.db import make_engine
    from payvand.plugins.sales.services import scoring

    engine = make_engine(url)
    rules = [scoring.RuleSpec(*rule) for rule in RULES]
    with Session(engine) as s:
        leads = scoring.leads_subquery()
        plugin = sa.select(leads.c.id.label("lead_id"), sa.literal("Tehran mobile").label("rule"),
                           sa.literal(2).label("points")).where(leads.c.phone.like("+98912%"))
        started = time.perf_counter()
        result = scoring.recompute_scores(s, rules=rules, contributions=[plugin], now=NOW)
        s.commit()
        seconds = time.perf_counter() - started
        sample = s.execute(sa.text("SELECT score, score_details FROM sales_lead ORDER BY score DESC LIMIT 1")).one()
    engine.dispose()
    return {"seconds": round(seconds, 2), "leads": result.leads, "rules": result.rules, "plugins": result.plugins,
            "top_score": sample[0],
            "top_details": json.loads(sample[1]) if isinstance(sample[1], str) else sample[1]}


def run_baseline(path: Path, url: str | None = None) -> float:
    """Time the raw UPDATE of the score sum (profile rules only, no details): sqlite3, or psycopg."""
    conn: Any = PostgresRaw(url) if url else sqlite3.connect(path)
    started = time.perf_counter()
    conn.execute(BASELINE_SQL)
    conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return round(seconds, 2)


def main() -> None:
    """Build or reuse the database, run baseline and Payvand, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    add_database_argument(parser)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / f"lead_scores_{args.leads}_v{SHAPE}.db"
    if args.rebuild or not path.exists():
        print(f"building {path.name} ...", file=sys.stderr)
        started = time.perf_counter()
        build(path, args.leads)
        print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    url = f"sqlite:///{path}"
    if args.database_url:  # the same rows copied into PostgreSQL
        from pipeline_reports import copy_to_postgres

        url = args.database_url
        copy_to_postgres(path, url)
    baseline = run_baseline(path, args.database_url)
    payvand = run_payvand(url)
    conn = sqlite3.connect(path)
    interactions = conn.execute("SELECT count(*) FROM core_interaction").fetchone()[0]
    customers = conn.execute("SELECT count(*) FROM core_customer").fetchone()[0]
    conn.close()
    print(json.dumps({
        "benchmark": "lead_scores", "database": "postgresql" if args.database_url else "sqlite",
        "baseline": "one raw UPDATE of the profile rules' sum (sqlite3, psycopg on PostgreSQL)",
        "leads": args.leads, "customers": customers, "interactions": interactions,
        "target_seconds": 30, "payvand": payvand, "baseline_raw_sum_seconds": baseline,
        "ratio": round(payvand["seconds"] / baseline, 2) if baseline else None,
        "meets_target": payvand["seconds"] < 30, "load_average": os.getloadavg(),
    }, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
