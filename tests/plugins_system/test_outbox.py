"""Outbox delivery: retry with backoff of the failed plugin only, leases, crashes, two workers."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.audit import SYSTEM
from payvand.core.db import utcnow
from payvand.core.jobs import LEASE, MAX_BACKOFF, JobRunner, backoff
from payvand.core.models import Customer, Interaction, OutboxEvent, PluginState
from payvand.core.runtime import Runtime
from payvand.core.schemas import CustomerIn
from payvand.core.services.customers import create_customer
from payvand.sdk import PluginMeta, hookimpl, record_interaction


class Recorder:
    """A healthy plugin: records each delivery (and writes an interaction for it)."""

    def __init__(self, name: str, *, delay: float = 0.0, write: bool = True) -> None:
        self.meta = PluginMeta(name, "1.0")
        self.delay = delay
        self.write = write
        self.delivered: list[int] = []
        self._lock = threading.Lock()

    @hookimpl
    def payvand_customer_created(self, customers: Sequence[Customer]) -> None:
        """Record the customers, slowly if asked."""
        if self.delay:
            time.sleep(self.delay)
        for customer in customers:
            if self.write:
                record_interaction(customer.id, f"{self.meta.name}.seen", "other", "seen")
        with self._lock:
            self.delivered.extend(c.id for c in customers)


class Flaky(Recorder):
    """Writes, then fails `failures` times before it succeeds."""

    def __init__(self, name: str, failures: int) -> None:
        super().__init__(name)
        self.failures = failures
        self.calls = 0

    @hookimpl
    def payvand_customer_created(self, customers: Sequence[Customer]) -> None:
        """Write an interaction, then raise until the failures are used up."""
        self.calls += 1
        for customer in customers:
            record_interaction(customer.id, f"{self.meta.name}.seen", "other", f"attempt {self.calls}")
        if self.calls <= self.failures:
            raise ConnectionError(f"remote system down (attempt {self.calls})")
        self.delivered.extend(c.id for c in customers)


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it."""


class Crasher(Recorder):
    """Crashes the worker on its first call."""

    crashed = False

    @hookimpl
    def payvand_customer_created(self, customers: Sequence[Customer]) -> None:
        """Kill the worker once, then behave."""
        if not self.crashed:
            self.crashed = True
            raise Crash
        self.delivered.extend(c.id for c in customers)


healthy = Recorder("healthy")
flaky = Flaky("flaky", failures=2)
crasher = Crasher("a_crasher", write=False)
slow = Recorder("slow", delay=0.002, write=False)


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """Fresh plugin objects are not needed: each test resets them."""
    return [healthy, flaky]


@pytest.fixture(autouse=True)
def reset_plugins() -> None:
    for plugin in (healthy, flaky, crasher, slow):
        plugin.delivered.clear()
    flaky.calls = 0
    crasher.crashed = False


def new_customer(runtime: Runtime, name: str = "Test") -> int:
    with runtime.sessionmaker.begin() as session:
        return create_customer(session, CustomerIn().load({"given_name": name}), SYSTEM).id


def outbox(runtime: Runtime, hook: str | None = "payvand_customer_created") -> list[OutboxEvent]:
    query = sa.select(OutboxEvent).order_by(OutboxEvent.id)
    if hook:
        query = query.where(OutboxEvent.hook == hook)
    with runtime.sessionmaker() as session:
        return list(session.scalars(query))


def seen(runtime: Runtime, plugin: str) -> list[str]:
    with runtime.sessionmaker() as session:
        return list(session.scalars(sa.select(Interaction.summary).where(Interaction.kind == f"{plugin}.seen")))


def test_backoff_doubles_from_five_seconds_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff(30) == MAX_BACKOFF


def test_a_failing_plugin_is_retried_alone_with_backoff_until_it_succeeds(runtime, db_session):
    runner = runtime.job_runner
    customer_id = new_customer(runtime)
    t0 = utcnow()

    assert runner.deliver_due(t0) == 1
    [event] = outbox(runtime)
    assert healthy.delivered == [customer_id] and flaky.calls == 1
    assert (event.attempts, event.pending, event.delivered_at) == (1, ["flaky"], None)
    assert event.next_attempt_at == t0 + dt.timedelta(seconds=5)
    assert "flaky: ConnectionError: remote system down (attempt 1)" in event.last_error

    runner.deliver_due(t0 + dt.timedelta(seconds=4))  # backing off: not called
    assert flaky.calls == 1 and outbox(runtime)[0].attempts == 1

    t1 = t0 + dt.timedelta(seconds=6)
    runner.deliver_due(t1)
    [event] = outbox(runtime)
    assert (event.attempts, event.pending) == (2, ["flaky"])
    assert event.next_attempt_at == t1 + dt.timedelta(seconds=10)

    t2 = t1 + dt.timedelta(seconds=11)
    runner.deliver_due(t2)
    [event] = outbox(runtime)
    assert (event.attempts, event.pending, event.delivered_at) == (3, [], t2)
    assert "attempt 2" in event.last_error  # the history of the last failure stays

    assert flaky.calls == 3 and flaky.delivered == [customer_id]
    assert healthy.delivered == [customer_id]  # the healthy plugin was not called again
    assert seen(runtime, "healthy") == ["seen"]
    assert seen(runtime, "flaky") == ["attempt 3"]  # the failed attempts' writes were rolled back
    later = outbox(runtime, "payvand_interaction_recorded")
    assert len(later) == 2 and all(e.delivered_at is not None for e in later)  # the plugins' own events
    errors = db_session.get(PluginState, "flaky")
    assert errors.error_count == 2
    assert errors.last_error == "payvand_customer_created: ConnectionError: remote system down (attempt 2)"
    assert db_session.get(PluginState, "healthy") is None or db_session.get(PluginState, "healthy").error_count == 0


def test_an_event_is_kept_while_its_plugin_keeps_failing(runtime):
    flaky.failures = 1000
    try:
        new_customer(runtime)
        when = utcnow()
        for _ in range(12):
            runtime.job_runner.deliver_due(when)
            when += MAX_BACKOFF + dt.timedelta(seconds=1)
        [event] = outbox(runtime)
        assert event.delivered_at is None and event.pending == ["flaky"] and event.attempts == 12
        assert event.next_attempt_at - (when - MAX_BACKOFF - dt.timedelta(seconds=1)) == MAX_BACKOFF
        assert healthy.delivered and len(healthy.delivered) == 1
    finally:
        flaky.failures = 2


def test_an_expired_lease_leads_to_redelivery(runtime):
    customer_id = new_customer(runtime)
    crashed_worker = JobRunner(runtime)
    now = utcnow()
    assert len(crashed_worker.claim(now)) == 1  # ... and the worker dies before delivering
    other = JobRunner(runtime)
    assert other.deliver_due(now + dt.timedelta(seconds=1)) == 0  # leased: nobody else takes it
    other.deliver_due(now + LEASE + dt.timedelta(seconds=1))
    assert healthy.delivered == [customer_id]
    assert outbox(runtime)[0].pending == ["flaky"]  # flaky failed its first attempt, as it does


@pytest.mark.parametrize("payvand_plugins", [[crasher, healthy]])
def test_a_crash_mid_delivery_redelivers_only_to_plugins_that_had_not_committed(runtime, payvand_plugins):
    order = runtime.plugins.implementers("payvand_customer_created")
    assert order == ["healthy", "a_crasher"]  # healthy commits first, then the worker dies
    customer_id = new_customer(runtime)
    now = utcnow()
    with pytest.raises(Crash):
        runtime.job_runner.deliver_due(now)
    [event] = outbox(runtime)
    assert event.pending == ["a_crasher"] and event.delivered_at is None and event.attempts == 0
    runtime.job_runner.deliver_due(now + LEASE + dt.timedelta(seconds=1))
    assert healthy.delivered == [customer_id] and crasher.delivered == [customer_id]
    assert seen(runtime, "healthy") == ["seen"]
    [event] = outbox(runtime)
    assert event.delivered_at is not None and event.attempts == 1


@pytest.mark.parametrize("payvand_plugins", [[slow]])
def test_two_workers_never_deliver_the_same_event_twice(runtime, payvand_plugins):
    ids = [new_customer(runtime, f"C{i}") for i in range(60)]
    second = Runtime(runtime.config)
    second.activate_plugins()
    workers = [JobRunner(runtime, batch=5), JobRunner(second, batch=5)]
    barrier = threading.Barrier(2)
    handled = [0, 0]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait()
            handled[index] = workers[index].deliver_due()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    second.engine.dispose()
    assert not errors, errors
    assert sorted(slow.delivered) == sorted(ids)  # each event once: no duplicates, none lost
    assert sum(handled) == len(ids) and min(handled) > 0  # both workers took part
    assert all(e.delivered_at is not None and e.attempts == 1 for e in outbox(runtime))


def test_a_locked_event_is_skipped_not_waited_for_on_postgresql(runtime, payvand_database):
    if payvand_database != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's")
    first, second = new_customer(runtime), new_customer(runtime)
    with runtime.engine.connect() as other_worker, other_worker.begin():
        locked = other_worker.execute(
            sa.select(OutboxEvent.id).order_by(OutboxEvent.id).limit(1).with_for_update()).scalar_one()
        started = time.monotonic()
        claimed = JobRunner(runtime).claim()
        assert time.monotonic() - started < 2
        assert [e.id for e in claimed] == [locked + 1]
        assert [e.payload["ids"] for e in claimed] == [[second]]
    JobRunner(runtime).deliver_due()  # the lock is gone: the first one is delivered too
    assert first in healthy.delivered
