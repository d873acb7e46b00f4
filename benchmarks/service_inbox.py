"""The service inbox (`plugins/service/services/lists.py`, `TICKETS.page`) on 1,000,000 tickets
and 10,000,000 conversation entries (messages).

The dataset is generated set-based inside the database (SQLite: a recursive CTE; PostgreSQL:
`generate_series`), the same pseudo-random arithmetic on both so the rows are identical: the
schema from Payvand's migrations (core + service), secondary indexes of the two big tables dropped
for the load and recreated from their own DDL. SQLite builds are cached in `benchmarks/.data/`
(`service-inbox-v1-<tickets>t-<entries>e.sqlite3`); a PostgreSQL database keeps its copy,
labelled by a comment on `service_ticket`. A cached dataset is brought to the migration head
before each run (as a deployment would be: a migration's backfill runs on the full data).

Shapes: tickets in id = time order over two years; 10 teams of 5 agents; status new 5 %, open
8 %, pending 4 %, on hold 3 %, solved 10 %, closed 70 %; priority low 10 %, normal 70 %, high
15 %, urgent 5 %; 3 % without a team; tags `vip` (1 %), `billing` (10 %), `bench-rare` (0.01 %);
10 entries per ticket; each ticket's SLA clock (due moments, marks) in `service_ticket_sla`
(service_0011), which the inbox loads with the ticket (the raw SQL joins it too).

Timed, interleaved call by call with the raw SQL of the same page (the baseline, LIMIT 51 like
the kit's LIMIT n+1, the best index-friendly form we know): the first page and filtered views
through `TICKETS.page` with its arguments validated by the list's own schema, as a manager
(`service.ticket.all`: no record rule) and as an agent of one team (the record rule applied).
A saved view is read from `service_saved_view` and opened as the inbox opens it. Wall-clock
p50/p95 and the client's CPU per call (`thread_time`); on PostgreSQL also the backend's CPU per
call (`/proc/<pid>/stat` of the session's backend, when readable). Prints JSON.

    python benchmarks/service_inbox.py                                # SQLite, 1M tickets / 10M entries
    python benchmarks/service_inbox.py --tickets 20000 --entries 200000 --requests 20   # quick
    python benchmarks/service_inbox.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_inbox
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from _dataset import DATA_DIR, add_database_argument, log, machine, psycopg_url, summary_ms

SHAPE = 1
TICKETS = 1_000_000
ENTRIES = 10_000_000
TEAMS = 10
AGENTS_PER_TEAM = 5
MANAGER_ID = TEAMS * AGENTS_PER_TEAM + 1
START_EPOCH = 1_730_419_200  # 2024-11-01 00:00 UTC
SPAN_SECONDS = 2 * 365 * 86_400
BIG_TABLES = ("service_ticket", "service_ticket_entry", "service_ticket_sla")


def _plugins() -> list[Any]:
    from payvand.core.plugins import InstalledPlugin
    from payvand.plugins import service

    return [InstalledPlugin(name="service", obj=service, meta=service.meta, source="payvand.plugins.service")]


def _h(k: int) -> str:
    """A pseudo-random integer in [0, 1000003) from the row number `x` (the same on both databases)."""
    mult, add = ((7919, 104729), (15485863, 32452843), (49979687, 86028121), (67867967, 179424673),
                 (122949829, 198491317), (141650939, 236887691))[k]
    return f"((x * {mult} + {add}) % 1000003)"


def _case(hash_expr: str, shares: list[tuple[int, str]]) -> str:
    """CASE on `hash_expr % 100` over cumulative percentage thresholds."""
    terms, limit = [], 0
    for share, value in shares[:-1]:
        limit += share
        terms.append(f"WHEN {hash_expr} % 100 < {limit} THEN {value}")
    return f"CASE {' '.join(terms)} ELSE {shares[-1][1]} END"


def ticket_select(backend: str, tickets: int, open_only: bool = False, part: str = "ticket") -> str:
    """The SELECT producing every ticket row from a series `x` (1..tickets); `open_only`: every
    ticket unfinished (new, open, pending, on hold: the SLA recompute's dataset). `part`:
    `ticket` (the `TICKET_COLUMNS` of `service_ticket`) or `sla` (the `SLA_COLUMNS` of its clock
    in `service_ticket_sla`, from the same series)."""
    if backend == "sqlite":
        def ts(seconds: str) -> str:
            return f"strftime('%Y-%m-%d %H:%M:%f', {START_EPOCH} + ({seconds}), 'unixepoch') || '000'"
        true, false = "1", "0"
    else:
        def ts(seconds: str) -> str:
            return f"to_timestamp({START_EPOCH} + ({seconds}))"
        true, false = "true", "false"
    created = f"(x * {SPAN_SECONDS // tickets})" if tickets <= SPAN_SECONDS else "(x / 1)"
    status = _case(_h(1), [(5, "'new'"), (8, "'open'"), (4, "'pending'"), (3, "'on_hold'"), (10, "'solved'"),
                           (70, "'closed'")])
    priority = _case(_h(2), [(10, "'low'"), (70, "'normal'"), (15, "'high'"), (5, "'urgent'")])
    types = "CASE x % 5 WHEN 0 THEN 'question' WHEN 1 THEN 'request' WHEN 2 THEN 'problem' " \
            "WHEN 3 THEN 'complaint' ELSE 'return' END"
    rare, vip, billing = "(x % 10000 = 7)", f"({_h(3)} % 100 = 0)", f"({_h(4)} % 10 = 0)"
    combos = []
    for r in (0, 1):
        for v in (0, 1):
            for b in (0, 1):
                tags = [t for t, on in (("bench-rare", r), ("billing", b), ("vip", v)) if on]
                cond = " AND ".join(f"{'' if on else 'NOT '}{expr}" for expr, on in ((rare, r), (vip, v), (billing, b)))
                compact = json.dumps(tags, separators=(",", ":"))
                combos.append(f"WHEN {cond} THEN '{compact}'")
    json_cast = "" if backend == "sqlite" else "::jsonb"
    tags_expr = f"(CASE {' '.join(combos)} END){json_cast}"
    team = f"CASE WHEN {_h(5)} % 100 < 3 THEN NULL ELSE 1 + {_h(5)} % {TEAMS} END"
    assignee = (f"CASE WHEN {_h(5)} % 100 < 3 OR {_h(1)} % 100 < 5 THEN NULL "
                f"ELSE ({_h(5)} % {TEAMS}) * {AGENTS_PER_TEAM} + 1 + {_h(0)} % {AGENTS_PER_TEAM} END")
    unfinished = f"{_h(1)} % 100 < 20"
    if open_only:
        status = _case(_h(1), [(25, "'new'"), (40, "'open'"), (20, "'pending'"), (15, "'on_hold'")])
        unfinished = "1 = 1"
    first_response = f"CASE WHEN {_h(1)} % 100 < 5 THEN NULL ELSE {ts(created + ' + 3600')} END"
    solved = f"CASE WHEN {_h(1)} % 100 >= 20 THEN {ts(created + ' + 86400')} END"
    closed = f"CASE WHEN {_h(1)} % 100 >= 30 THEN {ts(created + ' + 4 * 86400')} END"
    policy = ("CASE " + " ".join(f"WHEN {_h(2)} % 100 < {t} THEN {i}" for i, t in ((1, 10), (2, 80), (3, 95)))
              + " ELSE 4 END")
    paused = f"CASE WHEN {_h(1)} % 100 BETWEEN 13 AND 16 THEN {ts(created + ' + 7200')} END"
    paused_minutes = "0"
    if open_only:
        solved = closed = "NULL"
        paused_minutes = f"CASE WHEN {_h(1)} % 100 < 40 THEN 0 ELSE x % 600 END"
    subject = "CASE x % 2 WHEN 0 THEN 'درخواست پشتیبانی شماره ' || x ELSE 'Support request ' || x END"
    if part == "sla":
        return (f"SELECT x, {ts(created + ' + 14400')}, CASE WHEN {unfinished} THEN {ts(created + ' + 28800')} END, "
                f"CASE WHEN {unfinished} THEN {ts(created + ' + 172800')} END, {false}, "
                f"CASE WHEN {_h(3)} % 50 = 0 THEN {true} ELSE {false} END")
    return (
        f"SELECT x, 1 + ({_h(0)} % 100000), {types}, {subject}, {status}, {priority}, NULL, {tags_expr}, "
        f"CASE WHEN x % 10 < 7 THEN 'fa' ELSE 'en' END, 'email', 'email', '[]'{json_cast}, {team}, {assignee}, NULL, NULL, 10, "
        f"{ts(created)}, {ts(created + ' + 86400')}, {first_response}, {solved}, {closed}, {policy}, "
        f"{paused}, {paused_minutes}, NULL"
    )


TICKET_COLUMNS = ("id, customer_id, type, subject, status, priority, category, tags, language, channel, source, "
                  '"references", team_id, assignee_id, created_by_id, merged_into_id, version, created_at, '
                  "updated_at, first_response_at, solved_at, closed_at, sla_policy_id, paused_at, paused_minutes, "
                  "contract_id")
#: The clock of each ticket (`service_ticket_sla`, service_0011), from the same series (`part="sla"`).
SLA_COLUMNS = "ticket_id, first_response_due_at, next_response_due_at, resolution_due_at, sla_warned, sla_breached"
ENTRY_COLUMNS = "id, ticket_id, kind, public, body, message_id, ticket_version, author_id, created_at"


#: The tag rows of the generated tickets (the service_0009 migration's backfill, for a dataset built at its head).
TAG_BACKFILL = {
    "sqlite": "INSERT INTO service_ticket_tag (tag, ticket_id) SELECT DISTINCT j.value, t.id FROM service_ticket t, "
              "json_each(t.tags) AS j",
    "postgresql": "INSERT INTO service_ticket_tag (tag, ticket_id) SELECT DISTINCT e.tag, t.id FROM service_ticket t, "
                  "jsonb_array_elements_text(t.tags) AS e(tag)",
}


def entry_select(backend: str, tickets: int, entries: int) -> str:
    """The SELECT producing every entry from a series `x` (1..entries): `entries // tickets` per ticket."""
    per = max(1, entries // tickets)
    if backend == "sqlite":
        ts = (f"strftime('%Y-%m-%d %H:%M:%f', {START_EPOCH} + ((x - 1) / {per} + 1) * {SPAN_SECONDS // tickets} "
              f"+ ((x - 1) % {per}) * 600, 'unixepoch') || '000'")
        true, false = "1", "0"
    else:
        ts = (f"to_timestamp({START_EPOCH} + ((x - 1) / {per} + 1) * {SPAN_SECONDS // tickets} "
              f"+ ((x - 1) % {per}) * 600)")
        true, false = "true", "false"
    kind = (f"CASE WHEN (x - 1) % {per} = 0 THEN 'inbound' WHEN (x - 1) % {per} % 5 = 4 THEN 'note' "
            f"WHEN (x - 1) % 2 = 0 THEN 'inbound' ELSE 'reply' END")
    public = f"CASE WHEN (x - 1) % {per} % 5 = 4 THEN {false} ELSE {true} END"
    body = ("CASE x % 2 WHEN 0 THEN 'سلام، سفارش من هنوز نرسیده است. لطفاً پیگیری کنید. پیام ' || x "
            "ELSE 'Hello, my order has not arrived yet; please look into it. Message ' || x END")
    return (f"SELECT x, (x - 1) / {per} + 1, {kind}, {public}, {body}, NULL, (x - 1) % {per} + 1, "
            f"CASE WHEN (x - 1) % 2 = 1 THEN 1 + x % {TEAMS * AGENTS_PER_TEAM} END, {ts}")


def seed_sql(backend: str) -> list[str]:
    """Users (50 agents, a manager), customers' stand-ins, teams, members, calendar, policies."""
    true = "1" if backend == "sqlite" else "true"
    now = "'2026-11-01 00:00:00.000000'"
    users = ", ".join(f"({i}, 'agent{i}@example.com', 'Agent {i}', {true}, {'0' if backend == 'sqlite' else 'false'}, "
                      f"'fa', {now})" for i in range(1, MANAGER_ID + 1))
    teams = ", ".join(f"({t}, 'Team {t}', '[\"fa\",\"en\"]', '[]', 'round_robin')" for t in range(1, TEAMS + 1))
    members = ", ".join(f"({t}, {(t - 1) * AGENTS_PER_TEAM + a}, {true})" for t in range(1, TEAMS + 1)
                        for a in range(1, AGENTS_PER_TEAM + 1))
    policies = ", ".join(f"({i}, 'Policy {p}', {i}, '{p}', {60 * i}, {120 * i}, {480 * i}, 30)"
                         for i, p in enumerate(("low", "normal", "high", "urgent"), start=1))
    return [
        "INSERT INTO core_user (id, email, name, is_active, is_superuser, locale, created_at) VALUES " + users,
        "INSERT INTO service_team (id, name, languages, skills, strategy) VALUES " + teams,
        "INSERT INTO service_team_member (team_id, user_id, available) VALUES " + members,
        "INSERT INTO service_sla_policy (id, name, position, priority, first_response_minutes, next_response_minutes,"
        " resolution_minutes, warn_minutes) VALUES " + policies,
    ]


def customers_sql(backend: str) -> str:
    """100,000 minimal customers (the tickets' customer ids)."""
    series = ("WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 100000) SELECT x FROM s"
              if backend == "sqlite" else "SELECT x FROM generate_series(1, 100000) AS x")
    now = "'2026-11-01 00:00:00.000000'"
    return ("INSERT INTO core_customer (id, kind, display_name, search_name, search_name_alt, lifecycle_stage, "
            f"attributes, created_at, updated_at, version) SELECT x, 'person', 'Customer ' || x, 'customer ' || x, "
            f"'customer ' || x, 'customer', '{{}}', {now}, {now}, 1 FROM ({series}) AS c")


def build_sqlite(path: Path, tickets: int, entries: int) -> None:
    """Build the SQLite dataset at `path` (through a temporary file)."""
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade

    began = time.perf_counter()
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{tmp}")
    upgrade(engine, _plugins())
    engine.dispose()
    connection = sqlite3.connect(tmp, isolation_level=None)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-262144")
    indexes = connection.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
        f"({', '.join('?' for _ in BIG_TABLES)})", BIG_TABLES).fetchall()
    connection.execute("BEGIN")
    for name, _ in indexes:
        connection.execute(f"DROP INDEX {name}")
    for statement in [*seed_sql("sqlite"), customers_sql("sqlite")]:
        connection.execute(statement)
    log("inserting tickets")
    connection.execute(f"INSERT INTO service_ticket ({TICKET_COLUMNS}) WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL "
                       f"SELECT x + 1 FROM s WHERE x < {tickets}) {ticket_select('sqlite', tickets)} FROM s")
    connection.execute(f"INSERT INTO service_ticket_sla ({SLA_COLUMNS}) WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL "
                       f"SELECT x + 1 FROM s WHERE x < {tickets}) {ticket_select('sqlite', tickets, part='sla')} FROM s")
    if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'service_ticket_tag'").fetchone():
        connection.execute(TAG_BACKFILL["sqlite"])
    log("inserting entries")
    connection.execute(f"INSERT INTO service_ticket_entry ({ENTRY_COLUMNS}) WITH RECURSIVE s(x) AS (SELECT 1 UNION "
                       f"ALL SELECT x + 1 FROM s WHERE x < {entries}) {entry_select('sqlite', tickets, entries)} FROM s")
    connection.execute("COMMIT")
    for name, sql in indexes:
        log(f"creating index {name}")
        connection.execute(sql)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.close()
    tmp.replace(path)
    log(f"built {path.name} in {time.perf_counter() - began:.0f} s ({path.stat().st_size / 2**20:,.0f} MiB)")


def postgres_label(tickets: int, entries: int) -> str:
    """The comment on `service_ticket` naming the dataset in a PostgreSQL database."""
    return f"payvand-bench service-inbox-v{SHAPE}-{tickets}t-{entries}e"


def build_postgres(url: str, tickets: int, entries: int, rebuild: bool) -> None:
    """Generate the dataset in the PostgreSQL database at `url` (its public schema replaced) unless it is there."""
    import psycopg
    from _dataset import reset_postgres_schema

    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade

    label = postgres_label(tickets, entries)
    with psycopg.connect(psycopg_url(url), autocommit=True) as connection:
        row = connection.execute("SELECT obj_description(to_regclass('public.service_ticket'), 'pg_class')").fetchone()
    if not rebuild and row and row[0] == label:
        engine = make_engine(url)
        upgrade(engine, _plugins())  # a cached copy is brought to head (a new migration's backfill runs here)
        engine.dispose()
        return
    began = time.perf_counter()
    reset_postgres_schema(url)
    engine = make_engine(url)
    upgrade(engine, _plugins())
    engine.dispose()
    with psycopg.connect(psycopg_url(url)) as connection:
        connection.execute("SET TIME ZONE 'UTC'")
        connection.execute("SET session_replication_role = replica")
        indexes = connection.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [list(BIG_TABLES)]).fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        for statement in [*seed_sql("postgresql"), customers_sql("postgresql")]:
            connection.execute(statement)
        log("inserting tickets")
        connection.execute(f"INSERT INTO service_ticket ({TICKET_COLUMNS}) {ticket_select('postgresql', tickets)} "
                            f"FROM generate_series(1::bigint, {tickets}) AS x")
        connection.execute(f"INSERT INTO service_ticket_sla ({SLA_COLUMNS}) "
                            f"{ticket_select('postgresql', tickets, part='sla')} FROM generate_series(1::bigint, {tickets}) AS x")
        if connection.execute("SELECT to_regclass('public.service_ticket_tag')").fetchone()[0]:
            connection.execute(TAG_BACKFILL["postgresql"])
        log("inserting entries")
        connection.execute(f"INSERT INTO service_ticket_entry ({ENTRY_COLUMNS}) "
                            f"{entry_select('postgresql', tickets, entries)} FROM generate_series(1::bigint, {entries}) AS x")
        for name, sql in indexes:
            log(f"creating index {name}")
            connection.execute(sql)
        for table in ("core_user", "core_customer", "service_team", "service_sla_policy", *BIG_TABLES[:2]):
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        connection.execute("SET session_replication_role = DEFAULT")
        connection.execute(f"COMMENT ON TABLE service_ticket IS '{label}'")
        connection.commit()
    with psycopg.connect(psycopg_url(url), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    log(f"generated in PostgreSQL in {time.perf_counter() - began:.0f} s")


def views() -> list[tuple[str, dict[str, str], str]]:
    """(name, inbox query arguments, who) of every timed page."""
    return [
        ("first_page", {}, "manager"),
        ("status_open", {"status": "open"}, "manager"),
        ("status_pending", {"status": "pending"}, "manager"),
        ("team", {"team_id": "3"}, "manager"),
        ("assignee", {"assignee_id": "17"}, "manager"),
        ("priority_urgent", {"priority": "urgent"}, "manager"),
        ("tag_vip_1pct", {"tag": "vip"}, "manager"),
        ("tag_billing_10pct", {"tag": "billing"}, "manager"),
        ("tag_rare_0.01pct", {"tag": "bench-rare"}, "manager"),
        ("queue_unassigned", {"queue": "unassigned"}, "manager"),
        ("queue_overdue", {"queue": "overdue"}, "manager"),
        ("saved_view", {}, "manager"),  # read from service_saved_view
        ("agent_first_page", {}, "agent"),
        ("agent_queue_mine", {"queue": "mine"}, "agent"),
        ("agent_status_open", {"status": "open"}, "agent"),
        ("agent_tag_vip", {"tag": "vip"}, "agent"),
    ]


SAVED_QUERY = "queue=open&team_id=3&priority=high"


def raw_sql(backend: str, args: dict[str, str], agent_id: int | None, has_tag_table: bool) -> tuple[str, list[Any]]:
    """The hand-written SQL of the same page (LIMIT 51), parameters in the driver's style."""
    mark = "?" if backend == "sqlite" else "%s"
    where: list[str] = []
    params: list[Any] = []
    source = "service_ticket t"
    unfinished = "t.status IN ('new', 'open', 'pending', 'on_hold')"
    for key, value in args.items():
        if key == "status":
            where.append(f"t.status = {mark}")
            params.append(value)
        elif key == "priority":
            where.append(f"t.priority = {mark}")
            params.append(value)
        elif key in ("team_id", "assignee_id"):
            where.append(f"t.{key} = {mark}")
            params.append(int(value))
        elif key == "tag":
            if has_tag_table:
                source = "service_ticket_tag g JOIN service_ticket t ON t.id = g.ticket_id + 0"
                where.append(f"g.tag = {mark}")
            else:
                where.append(f"t.tags LIKE {mark}" if backend == "sqlite" else f"t.tags @> jsonb_build_array({mark}::text)")
                value = f'%"{value}"%' if backend == "sqlite" else value
            params.append(value)
        elif key == "queue":
            if value == "unassigned":
                where.append(f"{unfinished} AND t.assignee_id IS NULL")
            elif value == "mine":
                where.append(f"{unfinished} AND t.assignee_id = {mark}")
                params.append(agent_id)
            elif value == "overdue":
                now = "CURRENT_TIMESTAMP" if backend == "postgresql" else "strftime('%Y-%m-%d %H:%M:%f', 'now')"
                walk = unfinished.replace("t.status", "+t.status") if backend == "sqlite" else unfinished
                where.append(f"{walk} AND EXISTS (SELECT 1 FROM service_ticket_sla s WHERE s.ticket_id = t.id AND "
                             f"((t.first_response_at IS NULL AND s.first_response_due_at < {now}) OR "
                             f"s.next_response_due_at < {now} OR (t.paused_at IS NULL AND s.resolution_due_at < {now})))")
            else:
                where.append(unfinished)
    if agent_id is not None:
        plus = "+" if backend == "sqlite" else ""  # SQLite: walk the page's order, check the rule per row
        where.append(f"({plus}t.assignee_id = {mark} OR {plus}t.team_id IS NULL OR {plus}t.team_id IN "
                     f"(SELECT team_id FROM service_team_member WHERE user_id = {mark}))")
        params += [agent_id, agent_id]
    order = "g.ticket_id DESC" if "service_ticket_tag" in source else "t.id DESC"
    clock = "LEFT JOIN service_ticket_sla c ON c.ticket_id = t.id"  # the clock, loaded with each ticket
    sql = (f"SELECT t.*, c.* FROM {source} {clock}{' WHERE ' + ' AND '.join(where) if where else ''} "
           f"ORDER BY {order} LIMIT 51")
    return sql, params


def _backend_cpu(pid: int | None) -> int | None:
    """utime + stime of a local PostgreSQL backend, in clock ticks (None when /proc is not readable)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def main() -> None:
    """Build or reuse the dataset, time each view against its raw SQL; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_database_argument(parser)
    parser.add_argument("--tickets", type=int, default=TICKETS)
    parser.add_argument("--entries", type=int, default=ENTRIES)
    parser.add_argument("--requests", type=int, default=60, help="timed calls per view (after 3 warm-up calls)")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated view names")
    args = parser.parse_args()
    load_start = os.getloadavg()
    if args.database_url:
        url, backend = args.database_url, "postgresql"
        build_postgres(url, args.tickets, args.entries, args.rebuild)
    else:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path = DATA_DIR / f"service-inbox-v{SHAPE}-{args.tickets}t-{args.entries}e.sqlite3"
        if args.rebuild or not path.exists():
            build_sqlite(path, args.tickets, args.entries)
        url, backend = f"sqlite:///{path}", "sqlite"

    import sqlalchemy as sa

    from payvand.core.app import create_app
    from payvand.core.db import bind_session, make_engine
    from payvand.core.migrations.runner import upgrade
    from payvand.plugins import service
    from payvand.plugins.service import permissions as perm
    from payvand.plugins.service.models_inbox import SavedView
    from payvand.plugins.service.services.lists import TICKETS as SPEC
    from payvand.sdk import Actor

    began = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine, _plugins())  # a cached dataset is brought to head first (migrations' backfills included):
    engine.dispose()  # an app built on a database behind the plugin's head leaves the plugin off
    migrate_seconds = round(time.perf_counter() - began, 1)
    app = create_app({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": str(DATA_DIR / "service-inbox-instance"),
                      "PAYVAND_PLUGINS": ["service"], "PAYVAND_EXTRA_PLUGINS": [service], "PAYVAND_JOBS": "off",
                      "SECRET_KEY": "benchmark"})
    runtime = app.extensions["payvand"]
    app.app_context().push()
    view_perms = frozenset({perm.TICKET_VIEW})
    actors = {"manager": Actor.user(MANAGER_ID, "manager", permissions=view_perms | {perm.TICKET_ALL}),
              "agent": Actor.user(12, "agent", permissions=view_perms)}
    schema = SPEC.args_schema()()
    has_tag = "tag" in SPEC.filter_params()
    with runtime.sessionmaker() as session:
        has_tag_table = sa.inspect(session.connection()).has_table("service_ticket_tag")
        session.execute(sa.delete(SavedView))
        session.add(SavedView(name="Team 3 open high", owner_id=MANAGER_ID, shared=True, query=SAVED_QUERY))
        session.commit()
    if backend == "sqlite":
        raw = sqlite3.connect(url.removeprefix("sqlite:///"))
    else:
        import psycopg

        raw = psycopg.connect(psycopg_url(url), autocommit=True)
    results: dict[str, Any] = {}
    only = set(filter(None, args.only.split(",")))
    with runtime.sessionmaker() as session, bind_session(session):
        pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar() if backend == "postgresql" else None
        raw_pid = raw.execute("SELECT pg_backend_pid()").fetchone()[0] if backend == "postgresql" else None
        for name, query, who in views():
            if only and name not in only:
                continue
            if "tag" in query and not has_tag:
                results[name] = {"skipped": "the list has no tag filter"}
                continue
            actor = actors[who]

            def service_page(query: dict[str, str] = query, name: str = name, actor: Actor = actor) -> Any:
                if name == "saved_view":
                    view = session.scalars(sa.select(SavedView).where(SavedView.name == "Team 3 open high")).one()
                    raw_args: dict[str, Any] = dict(parse_qsl(view.query))
                else:
                    raw_args = dict(query)
                page = SPEC.page(session, schema.load(raw_args), actor)
                items = [t.id for t in page.items]
                session.expunge_all()
                return items

            page_args = dict(parse_qsl(SAVED_QUERY)) if name == "saved_view" else query
            sql, params = raw_sql(backend, page_args, 12 if who == "agent" else None, has_tag_table)
            ids = service_page()
            raw_ids = [row[0] for row in raw.execute(sql, params).fetchall()][:50]
            if ids != raw_ids:
                log(f"{name}: the service's rows differ from the raw SQL's: {ids[:5]} … / {raw_ids[:5]} …")
            for _ in range(2):
                service_page()
                raw.execute(sql, params).fetchall()
            wall: list[int] = []
            cpu: list[int] = []
            base_wall: list[int] = []
            base_cpu: list[int] = []
            ticks = {"service": 0, "raw": 0}
            for _ in range(args.requests):
                b0 = _backend_cpu(pid)
                c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
                service_page()
                wall.append(time.perf_counter_ns() - w0)
                cpu.append(time.thread_time_ns() - c0)
                b1 = _backend_cpu(pid)
                if b0 is not None and b1 is not None:
                    ticks["service"] += b1 - b0
                r0 = _backend_cpu(raw_pid)
                c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
                raw.execute(sql, params).fetchall()
                base_wall.append(time.perf_counter_ns() - w0)
                base_cpu.append(time.thread_time_ns() - c0)
                r1 = _backend_cpu(raw_pid)
                if r0 is not None and r1 is not None:
                    ticks["raw"] += r1 - r0
            hz = os.sysconf("SC_CLK_TCK")
            entry: dict[str, Any] = {
                "who": who, "query": page_args, "rows": len(ids), "same_rows_as_raw": ids == raw_ids,
                "service_ms": summary_ms(wall), "service_cpu_ms": summary_ms(cpu),
                "raw_ms": summary_ms(base_wall), "raw_cpu_ms": summary_ms(base_cpu),
                "ratio_p50": round(sorted(wall)[len(wall) // 2] / max(1, sorted(base_wall)[len(base_wall) // 2]), 2),
            }
            if backend == "postgresql" and pid is not None and _backend_cpu(pid) is not None:
                entry["backend_cpu_ms_per_call"] = {k: round(v * 1000 / hz / args.requests, 3) for k, v in ticks.items()}
            results[name] = entry
            log(f"{name}: service p95 {entry['service_ms'].get('p95')} ms (cpu p50 "
                f"{entry['service_cpu_ms'].get('p50')}), raw p95 {entry['raw_ms'].get('p95')} ms")
    raw.close()
    usage = os.times()
    print(json.dumps({"benchmark": "service_inbox", "backend": backend, "tickets": args.tickets,
                      "entries": args.entries, "requests": args.requests, "goal_p95_ms": 50,
                      "tag_filter": has_tag, "tag_table": has_tag_table, "migrate_seconds": migrate_seconds,
                      "views": results, "process_cpu_s": round(usage.user + usage.system, 1),
                      "load_start": [round(x, 2) for x in load_start], "machine": machine()}, indent=2))


if __name__ == "__main__":
    main()
