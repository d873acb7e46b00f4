"""Event delivery throughput: events/s through the outbox with 1, 10 and 50 plugins and 1, 2
and 4 worker processes, batched against one event per transaction.

Every plugin implements `payvand_customer_created` as a no-op (the no-op plugins of
`hook_overhead.py`), so the figure is the delivery machinery's own cost: claiming, loading
the customers once per event, locking, savepoints, commits, bookkeeping. The outbox holds
`--events` rows of one customer each (as single creations leave them). Each run resets them
to undelivered, starts the worker processes together and times until the outbox is empty.

Modes: `batched` is the runner as shipped (a plugin takes a claimed batch in one transaction,
committing at least every 0.25 s); `per_event` sets that budget to zero, so each plugin commits
each event on its own — the unbatched runner's transaction pattern, measured in the same run
as the baseline. On SQLite both are one event per transaction (one writer for the whole
database) and only one worker runs.

Usage: `python benchmarks/event_delivery.py [--database-url postgresql+psycopg://…] [--events 500]`.
Prints one JSON document on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _dataset import add_database_argument, log, machine


def _config(url: str, plugins: int, folder: str) -> dict[str, Any]:
    from hook_overhead import noop_plugins

    extra = noop_plugins(plugins)
    return {"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": folder, "PAYVAND_PLUGINS": [p.meta.name for p in extra],
            "PAYVAND_EXTRA_PLUGINS": extra, "PAYVAND_JOBS": "off", "PAYVAND_DISCOVER_PLUGINS": False,
            "SECRET_KEY": "benchmark"}


def _worker(url: str, plugins: int, folder: str, slice_seconds: float, ready: Any, start: Any, results: Any) -> None:
    """One worker process: deliver until the outbox is empty; report events handled and seconds."""
    import sqlalchemy as sa

    from payvand.core.app import create_app
    from payvand.core.jobs import JobRunner
    from payvand.core.models import OutboxEvent

    app = create_app(_config(url, plugins, folder))
    runtime = app.extensions["payvand"]
    runner = JobRunner(runtime, app=app)
    runner.slice_seconds = slice_seconds
    with runtime.engine.connect() as connection:  # the pool has a connection before the clock starts
        connection.exec_driver_sql("SELECT 1")
    ready.put(1)
    start.wait()
    began = time.perf_counter()
    handled = 0
    while True:
        done = runner.deliver_due()
        handled += done
        if done == 0:
            with runtime.engine.connect() as connection:
                left = connection.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)
                                         .where(OutboxEvent.delivered_at.is_(None)))
            if not left:
                break
            time.sleep(0.01)  # another worker holds the rest
    results.put((handled, time.perf_counter() - began))
    runtime.engine.dispose()


def prepare(url: str, events: int, folder: str) -> None:
    """A migrated database with `events` customers and one undelivered outbox row for each."""
    import sqlalchemy as sa

    from payvand.core.db import make_engine, utcnow
    from payvand.core.migrations.runner import upgrade
    from payvand.core.models import Customer, OutboxEvent

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    upgrade(engine)
    with engine.begin() as connection:
        now = utcnow()
        ids = connection.execute(sa.insert(Customer).returning(Customer.id), [
            {"kind": "person", "given_name": f"C{n}", "display_name": f"C{n}", "search_name": f"c{n}", "search_name_alt": f"c{n}",
             "lifecycle_stage": "lead", "created_at": now, "updated_at": now} for n in range(events)]).scalars().all()
        connection.execute(sa.insert(OutboxEvent), [
            {"hook": "payvand_customer_created", "payload": {"ids": [i]}, "created_at": now, "attempts": 0,
             "next_attempt_at": now} for i in ids])
    engine.dispose()


def reset(url: str) -> None:
    """Every outbox row undelivered and due again, as written."""
    import sqlalchemy as sa

    from payvand.core.db import make_engine, utcnow
    from payvand.core.models import OutboxEvent

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.update(OutboxEvent).values(delivered_at=None, pending=None, attempts=0,
                                                         next_attempt_at=utcnow(), last_error=None))
    engine.dispose()


def run(url: str, plugins: int, workers: int, slice_seconds: float, folder: str, events: int) -> dict[str, Any]:
    """Time `workers` processes delivering every event to `plugins` plugins."""
    reset(url)
    context = multiprocessing.get_context("spawn")
    ready, start, results = context.Queue(), context.Event(), context.Queue()
    processes = [context.Process(target=_worker, args=(url, plugins, folder, slice_seconds, ready, start, results))
                 for _ in range(workers)]
    for process in processes:
        process.start()
    for _ in processes:  # every process has built its app before the clock starts
        ready.get(timeout=600)
    began = time.perf_counter()
    start.set()
    reports = [results.get(timeout=1800) for _ in processes]
    seconds = time.perf_counter() - began
    for process in processes:
        process.join()
    handled = sum(r[0] for r in reports)
    return {"plugins": plugins, "workers": workers, "events": handled, "seconds": round(seconds, 3),
            "events_per_s": round(events / seconds, 1), "deliveries_per_s": round(events * plugins / seconds, 1)}


def main() -> None:
    """Measure and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_database_argument(parser)  # --database-url, default $PAYVAND_BENCH_DATABASE_URL
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--plugins", default="1,10,50")
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'events.sqlite3'}"
        postgres = url.startswith("postgresql")
        log(f"preparing {args.events} events on {'PostgreSQL' if postgres else 'SQLite'}")
        prepare(url, args.events, folder)
        figures = []
        for plugins in [int(n) for n in args.plugins.split(",")]:
            for workers in [int(n) for n in args.workers.split(",")] if postgres else [1]:
                row = {}
                for mode, budget in (("batched", 0.25), ("per_event", 0.0)):
                    result = run(url, plugins, workers, budget, folder, args.events)
                    row[mode] = result
                    log(f"{plugins} plugins, {workers} workers, {mode}: {result['events_per_s']} events/s")
                figures.append({"plugins": plugins, "workers": workers,
                                "batched_events_per_s": row["batched"]["events_per_s"],
                                "per_event_events_per_s": row["per_event"]["events_per_s"],
                                "speedup": round(row["batched"]["events_per_s"] / row["per_event"]["events_per_s"], 2),
                                "runs": row})
        print(json.dumps({"benchmark": "event_delivery", "machine": machine(),
                          "database": "postgresql" if postgres else "sqlite", "events": args.events,
                          "baseline": "per_event: the same runner committing each plugin's work per event "
                                      "(the unbatched transaction pattern), same database, same run",
                          "figures": figures}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
