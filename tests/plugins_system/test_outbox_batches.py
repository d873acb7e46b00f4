"""Batched delivery: a plugin gets a batch of events in one transaction; a failing event is
rolled back alone; a worker killed mid-batch loses nothing and delivers nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.jobs import JobRunner
from payvand.core.models import AuditLog, Customer, OutboxEvent
from payvand.sdk import hookimpl, record_interaction

from .test_outbox import Recorder, new_customer, outbox

HERE = Path(__file__).resolve().parent
PLUGINS = ("receipts_one", "receipts_two")


class Picky(Recorder):
    """Writes for every customer, and fails (after writing) for those named 'Bad'."""

    @hookimpl
    def payvand_customer_created(self, customers: Sequence[Customer]) -> None:
        """Write, then refuse the bad ones."""
        for customer in customers:
            record_interaction(customer.id, f"{self.meta.name}.seen", "other", "seen")
            if customer.given_name == "Bad":
                raise ValueError("cannot take this one")
        self.delivered.extend(c.id for c in customers)


picky = Picky("picky")
steady = Recorder("steady")
quiet_one, quiet_two = Recorder("quiet_one", write=False), Recorder("quiet_two", write=False)  # emit no events


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """A plugin that fails on one customer, and one that never fails."""
    picky.delivered.clear()
    steady.delivered.clear()
    return [picky, steady]


def _commits(runtime: Any) -> list[int]:
    counted = [0]
    sa.event.listen(runtime.engine, "commit", lambda _connection: counted.__setitem__(0, counted[0] + 1))
    return counted


@pytest.mark.parametrize("payvand_plugins", [[quiet_one, quiet_two]])
def test_each_plugin_gets_the_batch_in_one_transaction_on_postgresql(runtime: Any, payvand_database: str,
                                                                     payvand_plugins: list[Any]) -> None:
    quiet_one.delivered.clear()
    quiet_two.delivered.clear()
    ids = [new_customer(runtime, f"C{i}") for i in range(10)]
    runner = JobRunner(runtime, batch=50)
    runner.slice_seconds = 3600.0  # the budget never splits this batch, however slow the machine
    commits = _commits(runtime)
    assert runner.deliver_due() == 10
    # Claim, one transaction per plugin (SQLite: one per plugin and event), the attempts, and an empty claim.
    per_plugin = 1 if payvand_database == "postgresql" else 10
    assert commits[0] == 1 + 2 * per_plugin + 1 + 1
    assert sorted(quiet_one.delivered) == sorted(quiet_two.delivered) == sorted(ids)
    assert all(e.delivered_at is not None and e.attempts == 1 and e.pending == [] for e in outbox(runtime))


@pytest.mark.parametrize("payvand_plugins", [[quiet_one, quiet_two]])
def test_a_time_budget_splits_a_plugins_batch_into_transactions(runtime: Any, payvand_database: str,
                                                                payvand_plugins: list[Any]) -> None:
    if payvand_database != "postgresql":
        pytest.skip("SQLite delivers one event per transaction")
    quiet_two.delivered.clear()
    ids = [new_customer(runtime, f"C{i}") for i in range(6)]
    runner = JobRunner(runtime, batch=50)
    runner.slice_seconds = 0.0  # every event is over budget: one per transaction, as an unbatched runner
    commits = _commits(runtime)
    runner.deliver_due()
    assert commits[0] == 1 + 2 * 6 + 1 + 1
    assert sorted(quiet_two.delivered) == sorted(ids)


def test_a_failing_event_is_rolled_back_alone_and_retried_alone(runtime: Any, db_session: Any) -> None:
    good = [new_customer(runtime, f"Good{i}") for i in range(3)]
    bad = new_customer(runtime, "Bad")
    more = new_customer(runtime, "Good3")
    runner = JobRunner(runtime, batch=50)
    runner.slice_seconds = 3600.0
    runner.deliver_due()
    assert sorted(picky.delivered) == sorted([*good, more])  # the batch went on past the failure
    assert sorted(steady.delivered) == sorted([*good, bad, more])  # the other plugin is not affected
    seen = db_session.execute(sa.select(sa.func.count()).select_from(sa.text("core_interaction"))
                              .where(sa.text("kind = 'picky.seen'"))).scalar()
    assert seen == 4  # the failing event's write was rolled back, the others kept
    events = {e.payload["ids"][0]: e for e in outbox(runtime)}
    assert events[bad].pending == ["picky"] and events[bad].delivered_at is None and "cannot take" in events[bad].last_error
    assert all(events[i].delivered_at is not None for i in [*good, more])
    runner.deliver_due(events[bad].next_attempt_at)  # the retry calls only picky, only for this event
    assert steady.delivered.count(bad) == 1 and picky.delivered.count(more) == 1


@pytest.fixture
def receipts_runtime_config(payvand_database: str, payvand_database_url: str) -> str:
    """The database the test app and the worker process share (PostgreSQL only)."""
    if payvand_database != "postgresql":
        pytest.skip("several worker processes run on PostgreSQL")
    return payvand_database_url


@pytest.mark.parametrize("payvand_plugins", [[]])
def test_a_worker_killed_mid_batch_loses_no_event_and_delivers_none_twice(
        app: Any, runtime: Any, receipts_runtime_config: str, payvand_plugins: list[Any], tmp_path: Path) -> None:
    ids = [new_customer(runtime, f"K{i}") for i in range(12)]
    config = {"PAYVAND_DATABASE_URL": receipts_runtime_config, "PAYVAND_INSTANCE": str(tmp_path),
              "PAYVAND_SECRET_KEY": "x" * 32, "PAYVAND_WORKER_LEASE_SECONDS": 2.0, "PAYVAND_PLUGINS": "all",
              "PAYVAND_DISCOVER_PLUGINS": False,
              "BATCH": 50}
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent.parent), os.environ.get("PYTHONPATH", "")])}

    def start() -> subprocess.Popen[str]:
        process = subprocess.Popen([sys.executable, str(HERE / "worker_process.py"), json.dumps(config),
                                    "tests.plugins_system.receipts_plugins"],
                                   env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        return process

    def receipts(plugin: str) -> list[str]:
        with runtime.sessionmaker() as session:
            return list(session.scalars(sa.select(AuditLog.object_id).where(
                AuditLog.action == "receipt", AuditLog.object_type == plugin)))

    try:
        first = start()
        deadline = time.monotonic() + 60
        while not any(len(receipts(p)) == len(ids) for p in PLUGINS):  # one plugin's batch has committed…
            assert time.monotonic() < deadline and first.poll() is None, "the worker did not deliver"
            time.sleep(0.05)
        time.sleep(0.5)  # …and the other is inside its batch (12 × 0.2 s) when the worker dies
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert sorted(len(receipts(p)) for p in PLUGINS) == [0, len(ids)]  # its uncommitted batch died with it
        second = start()
        try:
            deadline = time.monotonic() + 60
            while True:
                with runtime.sessionmaker() as session:
                    left = session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)
                                          .where(OutboxEvent.delivered_at.is_(None)))
                if left == 0:
                    break
                assert time.monotonic() < deadline and second.poll() is None, "the second worker did not finish"
                time.sleep(0.1)
        finally:
            second.send_signal(signal.SIGKILL)
            second.wait(timeout=10)
        expected = sorted(str(i) for i in ids)
        for plugin in PLUGINS:
            assert sorted(receipts(plugin)) == expected  # exactly once each: nothing twice, nothing lost
    finally:
        with runtime.sessionmaker.begin() as session:  # rows the worker processes wrote
            session.execute(sa.delete(AuditLog).where(AuditLog.action == "receipt"))
