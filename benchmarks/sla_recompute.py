"""SLA recompute (`plugins/service/services/sla.py`, `recompute`) of 1,000,000 open tickets after a calendar change.

The tickets are generated set-based like `service_inbox.py`'s (the same arithmetic), every one
unfinished (new, open, pending, on hold; paused minutes on three in five), under four policies
(one per priority: 60/120/480/240 business minutes first response and 480–1920 resolution) on
one default calendar (the Iranian week, Asia/Tehran, the fixed-date holidays); each ticket's
clock (due moments, marks) in `service_ticket_sla`. SQLite builds are cached in
`benchmarks/.data/` and a PostgreSQL database keeps its copy (labelled); either is brought to
the migration head first (a copy built before service_0011 has its clocks moved then).

Timed (`recompute`): every working day of the calendar opens half an hour later (earlier again
on the next run) — nearly every due time moves, so nearly every ticket is written, the worst
case — then `recompute(session, calendar_id)` and the commit: wall clock, this process's CPU and
(PostgreSQL) the backend's CPU, and how many tickets changed (only those are written). Then
(`recompute_one_holiday`) the calendar gains one holiday: only the tickets whose clocks run over
that day change.
Baseline in the same run, right after: the best raw way to do the same physical work — the same
due times (read back from the clocks just written) written again through the bare driver in one
transaction into `service_ticket_sla`, where they live since service_0011 (SQLite: executemany
UPDATE by primary key; PostgreSQL: `UPDATE … FROM unnest(…)` per 50,000 rows), then the time to
read the recompute's inputs alone (the unfinished tickets joined to their clocks). `--per-ticket N` also times the
previous per-ticket computation (`hours.add_business_minutes` for each ticket, no writes) on the
first N tickets, for the computing share of the old path. A sample of `--check` tickets is
compared with the per-ticket `set_due_times`: `identical` must equal the sample size. Prints JSON.

    python benchmarks/sla_recompute.py
    python benchmarks/sla_recompute.py --tickets 50000                     # quick
    python benchmarks/sla_recompute.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_sla
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

from _dataset import DATA_DIR, add_database_argument, log, machine, psycopg_url, reset_postgres_schema
from service_inbox import SLA_COLUMNS, TICKET_COLUMNS, _plugins, customers_sql, seed_sql, ticket_select

SHAPE = 1
TICKETS = 1_000_000


def _backend_cpu(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _cpu() -> float:
    usage = os.times()
    return usage.user + usage.system


def build(url: str, backend: str, tickets: int) -> None:
    """Migrate and generate the open tickets (skipped when the database holds them)."""
    import sqlalchemy as sa

    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade

    label = f"payvand-bench sla-v{SHAPE}-{tickets}t"
    if backend == "postgresql":
        import psycopg

        with psycopg.connect(psycopg_url(url), autocommit=True) as connection:
            row = connection.execute("SELECT obj_description(to_regclass('public.service_ticket'), 'pg_class')"
                                     ).fetchone()
        if row and row[0] == label:
            engine = make_engine(url)
            upgrade(engine, _plugins())
            engine.dispose()
            return
        reset_postgres_schema(url)
    elif Path(url.removeprefix("sqlite:///")).exists():
        engine = make_engine(url)
        upgrade(engine, _plugins())  # a cached file is brought to head (a new migration's data move runs here)
        engine.dispose()
        return
    began = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine, _plugins())
    with engine.begin() as connection:
        for statement in [*seed_sql(backend), customers_sql(backend)]:
            connection.exec_driver_sql(statement)
        from payvand.plugins.service.models import Calendar

        connection.execute(sa.insert(Calendar.__table__).values(
            id=1, name="Tehran office", timezone="Asia/Tehran", schedule=_week(), holidays=_holidays(), is_default=True,
            version=1))
        connection.exec_driver_sql("UPDATE service_sla_policy SET calendar_id = 1")
        log(f"inserting {tickets:,} open tickets")
        for table, columns, part in (("service_ticket", TICKET_COLUMNS, "ticket"),
                                     ("service_ticket_sla", SLA_COLUMNS, "sla")):
            series = (f"WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {tickets}) "
                      f"{ticket_select('sqlite', tickets, open_only=True, part=part)} FROM s" if backend == "sqlite" else
                      f"{ticket_select('postgresql', tickets, open_only=True, part=part)} "
                      f"FROM generate_series(1::bigint, {tickets}) AS x")
            statement = f"INSERT INTO {table} ({columns}) {series}"
            connection.exec_driver_sql(statement.replace("%", "%%") if backend == "postgresql" else statement)
        if backend == "postgresql":
            for table in ("core_user", "core_customer", "service_team", "service_sla_policy", "service_calendar",
                          "service_ticket"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            connection.exec_driver_sql(f"COMMENT ON TABLE service_ticket IS '{label}'")
    if backend == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE service_ticket")
            connection.exec_driver_sql("VACUUM ANALYZE service_ticket_sla")
    engine.dispose()
    log(f"generated in {time.perf_counter() - began:.0f} s")


def _week() -> dict[str, Any]:
    from payvand.plugins.service.services.hours import IRANIAN_WEEK

    return IRANIAN_WEEK


def _holidays() -> list[dict[str, Any]]:
    from payvand.plugins.service.services.hours import IRANIAN_HOLIDAYS

    return IRANIAN_HOLIDAYS


def main() -> None:
    """Build or reuse the tickets; time the recompute after a calendar change and the raw write; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_database_argument(parser)
    parser.add_argument("--tickets", type=int, default=TICKETS)
    parser.add_argument("--check", type=int, default=2000, help="tickets compared with the per-ticket computation")
    parser.add_argument("--per-ticket", type=int, default=100_000,
                        help="tickets timed through the previous per-ticket computation (0: skip)")
    parser.add_argument("--skip-raw", action="store_true", help="no baseline (a second run on the same data)")
    args = parser.parse_args()
    load_start = os.getloadavg()
    if args.database_url:
        url, backend = args.database_url, "postgresql"
    else:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url, backend = f"sqlite:///{DATA_DIR / f'sla-v{SHAPE}-{args.tickets}t.sqlite3'}", "sqlite"
    build(url, backend, args.tickets)

    import numpy as np
    import sqlalchemy as sa

    from payvand.core.db import make_engine
    from payvand.plugins.service.models import Calendar, SlaPolicy, Ticket, TicketSla
    from payvand.plugins.service.services import hours as bh
    from payvand.plugins.service.services import sla

    engine = make_engine(url)
    from sqlalchemy.orm import Session

    result: dict[str, Any] = {"benchmark": "sla_recompute", "backend": backend, "tickets": args.tickets,
                              "goal_s": 60}
    with Session(engine) as session:
        pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar() if backend == "postgresql" else None
        calendar = session.get(Calendar, 1)
        assert calendar is not None

        def timed(name: str) -> int:
            session.flush()
            stats: dict[str, int] = {}
            cpu0, backend0, wall0 = _cpu(), _backend_cpu(pid), time.perf_counter()
            done = sla.recompute(session, calendar.id, stats=stats)
            session.commit()
            wall = time.perf_counter() - wall0
            backend1 = _backend_cpu(pid)
            result[name] = {"tickets": done, "changed": stats.get("changed"), "wall_s": round(wall, 2),
                            "cpu_s": round(_cpu() - cpu0, 2), "backend_cpu_s": None if backend0 is None
                            or backend1 is None else round(backend1 - backend0, 2)}
            log(f"{name}: {done:,} tickets, {stats.get('changed'):,} changed, {wall:.1f} s")
            return done

        # every working day opens half an hour later (or earlier again, on the next run): nearly
        # every due time moves, so nearly every ticket is written (the worst case)
        opening = "08:30" if calendar.schedule["6"][0][0] == "08:00" else "08:00"
        calendar.schedule = {day: [[opening, end] for _start, end in spans] for day, spans in calendar.schedule.items()}
        calendar.version += 1
        done = timed("recompute")
        # one more holiday: only the tickets whose clocks run over that day move
        stamp = int(time.time())
        calendar.holidays = [*_holidays(), {"date": f"2025-{1 + stamp % 12:02d}-{1 + stamp % 28:02d}",
                                            "calendar": "gregorian", "name": "bench"}]
        calendar.version += 1
        timed("recompute_one_holiday")

        # the check: a random sample against the per-ticket computation
        rng = random.Random(7)
        sample = sorted(rng.sample(range(1, args.tickets + 1), min(args.check, args.tickets)))
        identical = 0
        policies = {p.id: p for p in session.scalars(sa.select(SlaPolicy))}
        for ticket in session.scalars(sa.select(Ticket).where(Ticket.id.in_(sample))):
            expected = Ticket(created_at=ticket.created_at, paused_minutes=ticket.paused_minutes)
            sla.set_due_times(session, expected, policies[ticket.sla_policy_id])
            identical += (expected.first_response_due_at, expected.resolution_due_at) == (
                ticket.first_response_due_at, ticket.resolution_due_at)
        result["check"] = {"sample": len(sample), "identical": identical}
        session.expunge_all()

        # the previous per-ticket computation (no writes) on the first N tickets
        if args.per_ticket:
            hours = sla.hours_of(session, calendar.id)
            rows = session.execute(sa.select(Ticket.sla_policy_id, Ticket.created_at, Ticket.paused_minutes)
                                   .order_by(Ticket.id).limit(args.per_ticket)).all()
            cpu0, wall0 = _cpu(), time.perf_counter()
            for row in rows:
                policy = policies[row.sla_policy_id]
                bh.add_business_minutes(hours, row.created_at, policy.first_response_minutes or 0)
                bh.add_business_minutes(hours, row.created_at, (policy.resolution_minutes or 0)
                                        + (row.paused_minutes or 0))
            per = time.perf_counter() - wall0
            result["per_ticket_compute"] = {"tickets": len(rows), "wall_s": round(per, 2),
                                            "cpu_s": round(_cpu() - cpu0, 2),
                                            "estimated_s_for_all": round(per * done / max(1, len(rows)), 1)}

    table, clock = Ticket.__table__, TicketSla.__table__
    if args.skip_raw:
        engine.dispose()
        result["load_start"], result["machine"] = [round(x, 2) for x in load_start], machine()
        print(json.dumps(result, indent=2))
        return
    # baseline: the same values written through the bare driver, one transaction
    with engine.connect() as connection:
        rows = connection.execute(sa.select(clock.c.ticket_id, clock.c.first_response_due_at, clock.c.resolution_due_at)
                                  .order_by(clock.c.ticket_id)).all()
    if backend == "sqlite":
        raw = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=NORMAL")
        values = [(f.strftime("%Y-%m-%d %H:%M:%S.%f") if f else None, r.strftime("%Y-%m-%d %H:%M:%S.%f"), i)
                  for i, f, r in rows]
        cpu0, wall0 = _cpu(), time.perf_counter()
        raw.execute("BEGIN")
        raw.executemany("UPDATE service_ticket_sla SET first_response_due_at = ?, resolution_due_at = ?, sla_warned = 0, "
                        "sla_breached = 0 WHERE ticket_id = ?", values)
        raw.execute("COMMIT")
        raw_wall, raw_cpu, raw_backend = time.perf_counter() - wall0, _cpu() - cpu0, None
        raw.close()
    else:
        import psycopg

        with psycopg.connect(psycopg_url(url)) as raw:
            raw_pid = raw.execute("SELECT pg_backend_pid()").fetchone()[0]
            b0, cpu0, wall0 = _backend_cpu(raw_pid), _cpu(), time.perf_counter()
            for start in range(0, len(rows), 50_000):
                part = rows[start:start + 50_000]
                raw.execute("UPDATE service_ticket_sla t SET first_response_due_at = v.f, resolution_due_at = v.r, "
                            "sla_warned = false, sla_breached = false FROM unnest(%s::bigint[], %s::timestamptz[], "
                            "%s::timestamptz[]) AS v(id, f, r) WHERE t.ticket_id = v.id",
                            [[r[0] for r in part], [r[1] for r in part], [r[2] for r in part]])
            raw.commit()
            raw_wall, raw_cpu = time.perf_counter() - wall0, _cpu() - cpu0
            b1 = _backend_cpu(raw_pid)
            raw_backend = None if b0 is None or b1 is None else round(b1 - b0, 2)
    result["raw_write_baseline"] = {"rows": len(rows), "wall_s": round(raw_wall, 2), "cpu_s": round(raw_cpu, 2),
                                    "backend_cpu_s": raw_backend}
    with engine.connect() as connection:  # reading the inputs alone (what the recompute reads)
        cpu0, wall0 = _cpu(), time.perf_counter()
        count = 0
        for _ in connection.execute(sa.select(table.c.id, table.c.sla_policy_id, table.c.created_at,
                                              table.c.paused_minutes, clock.c.first_response_due_at,
                                              clock.c.resolution_due_at)
                                    .join_from(table, clock, clock.c.ticket_id == table.c.id)
                                    .where(table.c.status.in_(sla.UNFINISHED))):
            count += 1
        result["read_inputs"] = {"rows": count, "wall_s": round(time.perf_counter() - wall0, 2),
                                 "cpu_s": round(_cpu() - cpu0, 2)}
    engine.dispose()
    result["ratio_wall_vs_raw_write"] = round(result["recompute"]["wall_s"] / max(0.01, raw_wall), 2)
    result["load_start"] = [round(x, 2) for x in load_start]
    result["machine"] = machine()
    del np
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
