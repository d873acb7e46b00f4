"""The outbox lease: short, renewed by a heartbeat while a worker delivers its batch, so a
crashed worker's events are picked up within seconds and a live worker's long batch is not
taken from it."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import Any

import pytest

from payvand.core.db import utcnow
from payvand.core.jobs import LEASE, JobRunner, Lease
from payvand.core.models import Customer
from payvand.core.runtime import Runtime
from payvand.sdk import PluginMeta, hookimpl

from .test_outbox import Recorder, new_customer, outbox


class Blocking:
    """A plugin whose delivery waits until the test lets it go (a long batch)."""

    def __init__(self) -> None:
        self.meta = PluginMeta("blocking", "1.0")
        self.entered = threading.Event()
        self.release = threading.Event()
        self.delivered: list[int] = []

    @hookimpl
    def payvand_customer_created(self, customers: Sequence[Customer]) -> None:
        """Signal that delivery started, then wait to be released."""
        self.entered.set()
        assert self.release.wait(60), "the test never released the delivery"
        self.delivered.extend(c.id for c in customers)


blocking = Blocking()
recorder = Recorder("lease_recorder", write=False)


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [recorder]


@pytest.fixture(autouse=True)
def _reset() -> None:
    recorder.delivered.clear()
    blocking.entered.clear()
    blocking.release.clear()
    blocking.delivered.clear()


def test_the_default_lease_is_seconds_and_the_heartbeat_a_third_of_it(runtime):
    assert LEASE <= dt.timedelta(seconds=30)
    runner = JobRunner(runtime)
    assert runner.lease == LEASE and runner.heartbeat_seconds == LEASE.total_seconds() / 3
    runtime.config["PAYVAND_WORKER_LEASE_SECONDS"] = 12
    assert JobRunner(runtime).lease == dt.timedelta(seconds=12)


def test_a_dead_workers_batch_is_picked_up_once_its_short_lease_ends(runtime):
    ids = [new_customer(runtime, f"C{i}") for i in range(3)]
    now = utcnow()
    dead = JobRunner(runtime)
    assert len(dead.claim(now)) == 3  # ... and the worker dies: no heartbeat, no delivery
    other = JobRunner(runtime)
    assert other.claim(now + dt.timedelta(seconds=1)) == []  # still leased
    assert other.deliver_due(now + dt.timedelta(seconds=31)) == 3  # within seconds, not after 5 minutes
    assert sorted(recorder.delivered) == sorted(ids)


def test_a_renewed_lease_keeps_the_batch_from_other_workers(runtime):
    new_customer(runtime)
    now = utcnow()
    live = JobRunner(runtime)
    lease = Lease(live, live.claim(now))
    assert len(lease.renew(now + dt.timedelta(seconds=20))) == 1  # a heartbeat 20 s in
    other = JobRunner(runtime)
    assert other.claim(now + LEASE + dt.timedelta(seconds=1)) == []  # the first lease is over, the renewed one is not
    assert len(other.claim(now + dt.timedelta(seconds=20) + LEASE + dt.timedelta(seconds=1))) == 1  # beats stopped


def test_a_renewal_leaves_events_that_are_no_longer_this_workers_alone(runtime):
    new_customer(runtime, "A")
    new_customer(runtime, "B")
    now = utcnow()
    slow = JobRunner(runtime)
    lease = Lease(slow, slow.claim(now))
    taker = JobRunner(runtime)  # the slow worker missed its beats: another claims the batch
    taken = taker.claim(now + LEASE + dt.timedelta(seconds=1))
    assert len(taken) == 2
    assert lease.renew(now + LEASE + dt.timedelta(seconds=2)) == []  # it does not extend the taker's lease
    assert [e.next_attempt_at for e in outbox(runtime)] == [e.next_attempt_at for e in taken]


@pytest.mark.parametrize("payvand_plugins", [[blocking]])
def test_a_live_worker_keeps_a_long_batch(runtime, payvand_plugins, payvand_database):
    """Past the first lease, a slow batch is still its worker's: on SQLite (one event per
    transaction) the heartbeat renews the waiting event's lease; on PostgreSQL the plugin's
    transaction holds the batch's rows locked, so claims skip them meanwhile."""
    ids = [new_customer(runtime, "A"), new_customer(runtime, "B")]
    lease_length = dt.timedelta(seconds=1)
    live = JobRunner(runtime, lease=lease_length)
    worker = threading.Thread(target=live.deliver_due, daemon=True)
    worker.start()
    try:
        assert blocking.entered.wait(30)  # the first event is being delivered, the second waits its turn
        first_end = outbox(runtime)[1].next_attempt_at
        give_up = utcnow() + dt.timedelta(seconds=30)  # a guard against hanging, not a measurement
        if payvand_database == "sqlite":
            # Wait (no assertion on time) until the first lease is over and a beat has renewed the batch.
            while not (utcnow() > first_end and outbox(runtime)[1].next_attempt_at > first_end):
                assert utcnow() < give_up, "no heartbeat renewed the batch's lease"
                threading.Event().wait(0.05)
        else:
            while utcnow() <= first_end + dt.timedelta(milliseconds=100):  # the lease as claimed is over
                threading.Event().wait(0.05)
        second = Runtime(runtime.config)
        second.activate_plugins()
        try:
            assert JobRunner(second, lease=lease_length).claim() == []  # not stolen
        finally:
            second.engine.dispose()
    finally:
        blocking.release.set()
        worker.join(timeout=30)
    assert all(event.delivered_at is not None and event.attempts == 1 for event in outbox(runtime))
    assert blocking.delivered == ids
