"""The job runner: delivers outbox events to plugins and runs their scheduled jobs.

The embedded default runs this loop in a thread of `payvand run`; at scale run
`payvand worker` in several processes against PostgreSQL: events are claimed with a lease
(`FOR UPDATE SKIP LOCKED`), so each is handled by one worker. The lease is short (30 s by
default, `PAYVAND_WORKER_LEASE_SECONDS`) and a live worker renews it by a heartbeat every
third of it while it works through its batch, so a long batch is not taken from it, and the
events of a crashed worker are claimed by another within the lease. A plugin that fails is
retried alone, with exponential backoff; the event is never dropped while the plugin stays
enabled.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core import events, idempotency
from payvand.core.contracts import Event, EventType, JobSpec
from payvand.core.db import bind_session, utcnow
from payvand.core.models import OutboxEvent, Setting
from payvand.core.observability import metrics

if TYPE_CHECKING:
    from payvand.core.runtime import Runtime

log = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=30)
MAX_BACKOFF = dt.timedelta(hours=1)
BASE_BACKOFF_SECONDS = 5
MAX_ROUNDS = 1000
#: A plugin's deliveries of a batch commit at least this often (seconds), bounding how long it holds locks.
SLICE_SECONDS = 0.25
#: The outbox table, for executemany updates by primary key.
OUTBOX: sa.Table = OutboxEvent.__table__  # type: ignore[assignment]


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next attempt: 5 s, 10 s, 20 s, ... capped at one hour."""
    return min(dt.timedelta(seconds=BASE_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclasses.dataclass
class Snapshot:
    """What one outbox event delivers, loaded once and shared by every receiving plugin.

    `kwargs` are the event hook's arguments (a core event with hook implementers among the
    receivers; `has_objects` False when every object is gone), `events` what subscribers get.
    """

    event_type: EventType | None
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    has_objects: bool = False
    events: list[Event] = dataclasses.field(default_factory=list)


class Lease:
    """The events of one claimed batch that a worker still holds, each with the lease end it
    set (`next_attempt_at`), renewed by `renew` until `release`d.

    A renewal is a compare-and-set: it extends only the rows whose lease end is still the one
    this worker wrote, so an event that its delivery rescheduled (a backoff), finished, or that
    another worker claimed after the lease ran out is left alone.
    """

    def __init__(self, runner: JobRunner, events: list[OutboxEvent]) -> None:
        self.runner = runner
        self._held = {event.id: event.next_attempt_at for event in events}
        self._lock = threading.Lock()

    def release(self, event_id: int) -> None:
        """Stop renewing `event_id` (its delivery is finished)."""
        with self._lock:
            self._held.pop(event_id, None)

    @property
    def held(self) -> dict[int, dt.datetime]:
        """The held event ids with the lease end each has now."""
        with self._lock:
            return dict(self._held)

    def renew(self, now: dt.datetime | None = None) -> list[int]:
        """Extend the lease of every held event to `now` + the lease; return the ids extended.

        On PostgreSQL a row being delivered right now (locked by the delivery) is skipped, not
        waited for: the lock protects it meanwhile, and the next beat renews it.
        """
        now = now or utcnow()
        until = now + self.runner.lease
        renewed: list[int] = []
        with self._lock:
            groups: dict[dt.datetime, list[int]] = {}
            for event_id, token in self._held.items():
                groups.setdefault(token, []).append(event_id)
            with self.runner.runtime.sessionmaker.begin() as session:
                postgres = session.get_bind().dialect.name == "postgresql"
                for token, ids in groups.items():
                    mine = sa.select(OutboxEvent.id).where(
                        OutboxEvent.id.in_(ids), OutboxEvent.next_attempt_at == token,
                        OutboxEvent.delivered_at.is_(None))
                    if postgres:
                        mine = mine.with_for_update(skip_locked=True)
                    statement = (sa.update(OutboxEvent).where(OutboxEvent.id.in_(mine.scalar_subquery()))
                                 .values(next_attempt_at=until).returning(OutboxEvent.id))
                    renewed += session.scalars(statement, execution_options={"synchronize_session": False}).all()
            for event_id in renewed:
                if event_id in self._held:
                    self._held[event_id] = until
        return renewed


class _Heartbeat:
    """A thread renewing a `Lease` every `interval` seconds until stopped."""

    def __init__(self, lease: Lease, interval: float) -> None:
        self.lease = lease
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="payvand-lease-heartbeat", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.lease.renew()
            except Exception:  # the database is briefly unreachable: the next beat tries again
                log.warning("could not renew the lease of %s events", len(self.lease.held), exc_info=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


class JobRunner:
    """Delivers outbox events and runs scheduled jobs for one Runtime."""

    def __init__(self, runtime: Runtime, *, batch: int = 50, idle_seconds: float = 2.0,
                 lease: dt.timedelta | None = None, app: Any = None) -> None:
        self.runtime = runtime
        self.app = app  # the Flask app, when there is one: jobs run in its app context (mail, translations)
        self.batch = batch
        self.idle_seconds = idle_seconds
        #: How long one transaction of a plugin's deliveries may run before it commits and a new one begins.
        self.slice_seconds = SLICE_SECONDS
        configured = runtime.config.get("PAYVAND_WORKER_LEASE_SECONDS")
        self.lease = lease or (dt.timedelta(seconds=float(configured)) if configured else LEASE)
        #: How often a worker renews the lease of the batch it works on: a third of the lease.
        self.heartbeat_seconds = self.lease.total_seconds() / 3
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ outbox

    def claim(self, now: dt.datetime | None = None) -> list[OutboxEvent]:
        """Take a lease on up to `batch` due events and return them (each to one worker only).

        One `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING` on
        PostgreSQL, so concurrent workers claim disjoint events; on SQLite the single UPDATE
        statement holds the write lock while it picks. A claimed event is due again when the
        lease expires (unless the worker renews it: `Lease`), which is how the events of a
        crashed worker are delivered. Each event
        gets its list of pending plugins (the active implementers) on its first claim.
        """
        now = now or utcnow()
        with self.runtime.sessionmaker.begin() as session:
            due = (
                sa.select(OutboxEvent.id)
                .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.next_attempt_at <= now)
                .order_by(OutboxEvent.id)
                .limit(self.batch)
            )
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            statement = (
                sa.update(OutboxEvent)
                .where(OutboxEvent.id.in_(due.scalar_subquery()))
                .values(next_attempt_at=now + self.lease)
                .returning(OutboxEvent)
            )
            claimed = sorted(
                session.scalars(statement, execution_options={"synchronize_session": False}),
                key=lambda e: e.id,
            )
            for event in claimed:
                if event.pending is None:
                    event.pending = self.runtime.event_recipients(event.hook)
            return claimed

    def deliver(self, event: OutboxEvent, now: dt.datetime | None = None) -> bool:
        """Deliver one claimed event to each plugin still pending; True when none failed."""
        return self.deliver_batch([event], now)[event.id]

    def deliver_batch(self, events: list[OutboxEvent], now: dt.datetime | None = None) -> dict[int, bool]:
        """Deliver claimed events, one transaction per plugin for the whole batch; {event id: none failed}.

        The receivers of an event are the plugins implementing its hook (the core's events)
        and those subscribed to its name. Each plugin gets every event of the batch still
        pending for it in one session and one transaction (inside the app's context when there
        is an app: templates, translations, mail): the batch's rows are locked by one
        statement, each event runs in a savepoint, and the removal of the plugin from each
        delivered event's pending list commits with the plugin's work. So a plugin that
        succeeded is never called again for an event, a failing event is rolled back alone
        (the plugin's other events of the batch still go through) and retried after a backoff,
        and other plugins are not affected. A pending plugin that no longer receives an event
        is dropped from it.
        """
        if not events:
            return {}
        recipients: dict[str, list[str]] = {}
        pending: dict[int, list[str]] = {}
        for event in events:
            active = recipients.setdefault(event.hook, self.runtime.event_recipients(event.hook))
            wanted = event.pending if event.pending is not None else active
            pending[event.id] = [p for p in wanted if p in active]
            dropped = [p for p in wanted if p not in active]
            if dropped:
                log.info("event %s: %s no longer active, not delivered to them", event.id, ", ".join(dropped))
        plugins = list(dict.fromkeys(p for event in events for p in pending[event.id]))  # in delivery order
        failed: dict[int, dict[str, str]] = {event.id: {} for event in events}
        context = self.app.app_context() if self.app is not None else contextlib.nullcontext()
        with context:
            snapshots = self._load_snapshots([e for e in events if pending[e.id]], pending)
            for plugin_name in plugins:
                mine = [e for e in events if plugin_name in pending[e.id]]
                for event_id, error in self._deliver_to_plugin(plugin_name, mine, snapshots).items():
                    failed[event_id][plugin_name] = error
        self._record_attempts(events, failed, now or utcnow())
        return {event_id: not errors for event_id, errors in failed.items()}

    def _deliver_to_plugin(self, plugin_name: str, events: list[OutboxEvent],
                           snapshots: dict[int, Snapshot]) -> dict[int, str]:
        """Hand `events` to one plugin, in as few transactions as the time budget allows; {event id: error}."""
        failed: dict[int, str] = {}
        remaining = list(events)
        while remaining:
            done, errors = self._deliver_slice(plugin_name, remaining, snapshots)
            failed.update(errors)
            remaining = remaining[done:]
        return failed

    def _deliver_slice(self, plugin_name: str, events: list[OutboxEvent],
                       snapshots: dict[int, Snapshot]) -> tuple[int, dict[int, str]]:
        """One transaction of one plugin's deliveries; returns how many events it took and
        {event id: error} of those that raised.

        PostgreSQL: the rows are locked first (`FOR UPDATE`) and who is still pending is read
        under the lock; then events in order until `slice_seconds` have passed (at least one),
        each in a savepoint, so a failing one is rolled back alone. SQLite: one event per
        transaction — it has one write lock for the whole database, which a plugin's batch
        would hold from its first write to its commit, while requests wait for it. Either way
        the plugin's work and its removal from the event's pending list commit together.
        """
        failed: dict[int, str] = {}
        taken = 0
        session = self.runtime.sessionmaker()
        one_per_transaction = session.get_bind().dialect.name == "sqlite"
        try:
            with bind_session(session):
                still = self._lock_pending(session, [e.id for e in (events[:1] if one_per_transaction else events)])
                delivered: list[dict[str, Any]] = []
                started = time.monotonic()
                for event in events:
                    if taken and (one_per_transaction or time.monotonic() - started >= self.slice_seconds):
                        break
                    taken += 1
                    waiting = still.get(event.id, [])
                    if plugin_name not in waiting:
                        continue  # handled meanwhile by a worker whose lease we outlived
                    try:
                        with contextlib.nullcontext() if one_per_transaction else session.begin_nested():
                            self._deliver_to(plugin_name, event.hook, snapshots[event.id])
                    except Exception as exc:
                        if one_per_transaction:
                            session.rollback()  # the event's transaction is the slice's
                        failed[event.id] = f"{type(exc).__name__}: {exc}"
                        self.runtime.plugins.report_error(plugin_name, event.hook, exc)
                        metrics.delivery_failed(plugin_name)
                        continue
                    delivered.append({"event_id": event.id, "left": [p for p in waiting if p != plugin_name]})
                if delivered:
                    session.execute(
                        sa.update(OUTBOX).where(OUTBOX.c.id == sa.bindparam("event_id"))
                        .values(pending=sa.bindparam("left", type_=OUTBOX.c.pending.type)), delivered)
                session.commit()
        except Exception as exc:  # the transaction itself failed (a conflicting write, a lost connection)
            session.rollback()
            self.runtime.plugins.report_error(plugin_name, events[0].hook, exc)
            metrics.delivery_failed(plugin_name)
            taken = taken or 1
            failed = {event.id: f"{type(exc).__name__}: {exc}" for event in events[:taken]}
        finally:
            session.close()
        return taken, failed

    def _lock_pending(self, session: Session, ids: list[int]) -> dict[int, list[str]]:
        """The plugins still pending for each undelivered event of `ids`, the rows locked on PostgreSQL."""
        query = sa.select(OUTBOX.c.id, OUTBOX.c.pending, OUTBOX.c.hook).where(
            OUTBOX.c.id.in_(ids), OUTBOX.c.delivered_at.is_(None))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        return {row.id: row.pending if row.pending is not None else self.runtime.event_recipients(row.hook)
                for row in session.execute(query)}

    def _record_attempts(self, events: list[OutboxEvent], failed: dict[int, dict[str, str]], now: dt.datetime) -> None:
        """One transaction: each event's attempt counted, then delivered, or scheduled for a retry of its failures."""
        with self.runtime.sessionmaker.begin() as session:
            rows = session.scalars(sa.select(OutboxEvent).where(OutboxEvent.id.in_([e.id for e in events]))
                                   .with_for_update().execution_options(populate_existing=True))
            for row in rows:
                errors = failed.get(row.id, {})
                row.attempts = (row.attempts or 0) + 1
                row.pending = sorted(errors)
                if errors:
                    row.last_error = "; ".join(f"{k}: {v}" for k, v in sorted(errors.items()))[:4000]
                    row.next_attempt_at = now + backoff(row.attempts)
                else:
                    row.delivered_at = now
                    metrics.events_delivered(row.hook)

    def _load_snapshots(self, events: list[OutboxEvent], receivers: dict[int, list[str]]) -> dict[int, Snapshot]:
        """Every event's snapshot, loaded in one session."""
        with self.runtime.sessionmaker() as session:
            snapshots = {event.id: self._load_snapshot(event, receivers[event.id], session) for event in events}
            session.expunge_all()
        return snapshots

    def _load_snapshot(self, event: OutboxEvent, receivers: list[str], session: Session) -> Snapshot:
        """The event's hook arguments and subscriber events, loaded once per event and detached.

        Only what the `receivers` need is loaded. Every plugin of the event gets the same
        objects (their columns and child rows are loaded), so fifty plugins cost one load, not
        fifty: read-only snapshots. A plugin that wants to change a customer does so through its
        own session (`session().get(Customer, c.id)`).
        """
        event_type = self.runtime.event_type(event.hook)
        snapshot = Snapshot(event_type)
        hooked = event_type is not None and event_type.hook is not None and any(
            p in self.runtime.plugins.implementers(event_type.hook) for p in receivers)
        subscribed = any(self.runtime.subscriptions(event.hook, p) for p in receivers)
        if hooked:
            assert event_type is not None
            snapshot.kwargs, snapshot.has_objects = events.hook_arguments(session, event, event_type)
        if subscribed:
            snapshot.events = events.subscriber_events(session, event, event_type)
        return snapshot

    def _deliver_to(self, plugin_name: str, name: str, snapshot: Snapshot) -> None:
        """Hand one event to one plugin: its hook implementation, then its subscriptions; exceptions propagate."""
        hook = snapshot.event_type.hook if snapshot.event_type is not None else None
        if hook is not None and snapshot.has_objects and plugin_name in self.runtime.plugins.implementers(hook):
            error = self.runtime.plugins.call_each(hook, snapshot.kwargs, only=[plugin_name]).get(plugin_name)
            if error is not None:
                raise error
        if snapshot.events:
            for subscription in self.runtime.subscriptions(name, plugin_name):
                subscription.handler(snapshot.events)

    def deliver_due(self, now: dt.datetime | None = None) -> int:
        """Deliver every due event, batch after batch; return how many deliveries were made.

        Events that plugins emit while handling others are delivered in the same call when
        they are due (always, when `now` is not given). While a batch is delivered, a heartbeat
        renews its lease (on the real clock: not when a test passes its own `now`).
        """
        handled = 0
        for _ in range(MAX_ROUNDS):
            claimed = self.claim(now)
            if not claimed:
                break
            lease = Lease(self, claimed)
            beat = _Heartbeat(lease, self.heartbeat_seconds) if now is None else contextlib.nullcontext()
            with beat:
                try:
                    self.deliver_batch(claimed, now)
                finally:
                    for event in claimed:
                        lease.release(event.id)
                handled += len(claimed)
        return handled

    # ------------------------------------------------------------------ scheduled jobs

    def jobs(self) -> list[tuple[str, JobSpec]]:
        """(owner, job) for the scheduled jobs of the core and of the active plugins."""
        core = [
            JobSpec("core.outbox_cleanup", self.cleanup_outbox, 3600, "Forget delivered events after a week"),
            JobSpec("core.idempotency_cleanup", idempotency.delete_expired, 3600,
                    "Forget idempotency keys after 24 hours"),
            JobSpec("core.import_cleanup", self.cleanup_imports, 3600,
                    "Delete import uploads and rejects files past their retention"),
        ]
        return [*(("core", job) for job in core), *self.runtime.channel_jobs(), *self.runtime.jobs()]

    def cleanup_outbox(self) -> None:
        """Delete events delivered more than seven days ago."""
        from payvand.core.db import current_session

        cutoff = utcnow() - dt.timedelta(days=7)
        current_session().execute(sa.delete(OutboxEvent).where(OutboxEvent.delivered_at < cutoff))

    def cleanup_imports(self) -> None:
        """Delete import files past their retention (`services.import_jobs.clean_up_files`)."""
        from payvand.core.services.import_jobs import clean_up_files

        clean_up_files(self.runtime)

    def _claim_job(self, job: JobSpec, now: dt.datetime) -> bool:
        key = f"job.last_run.{job.name}"
        with self.runtime.sessionmaker.begin() as session:
            row = session.get(Setting, key, with_for_update=True)
            last_run = dt.datetime.fromisoformat(row.value) if row is not None and row.value else None
            if last_run is not None and last_run + dt.timedelta(seconds=job.every_seconds) > now:
                return False
            if row is None:
                session.add(Setting(key=key, value=now.isoformat()))
            else:
                row.value = now.isoformat()
            return True

    def run_due_jobs(self, now: dt.datetime | None = None) -> list[str]:
        """Run each scheduled job whose interval has passed; return the names that ran.

        A job that raises is rolled back and recorded on its plugin's state; it runs again
        at its next interval.
        """
        now = now or utcnow()
        ran = []
        for owner, job in self.jobs():
            try:
                if not self._claim_job(job, now):
                    continue
            except Exception:  # another worker claimed it at the same moment: its turn
                log.debug("could not claim job %s", job.name, exc_info=True)
                continue
            ran.append(job.name)
            self._run_job(owner, job)
        return ran

    def _run_job(self, owner: str, job: JobSpec) -> None:
        session = self.runtime.sessionmaker()
        context = self.app.app_context() if self.app is not None else contextlib.nullcontext()
        try:
            with context, bind_session(session):
                job.func()
            session.commit()
        except Exception as exc:
            session.rollback()
            metrics.job_failed(job.name)
            if owner == "core":
                log.exception("core job %s failed", job.name)
            else:
                self.runtime.plugins.report_error(owner, f"job {job.name}", exc)
        finally:
            session.close()

    def run_pending(self) -> int:
        """Deliver due events and run due jobs once (what tests and `payvand worker --once` call).

        First picks up plugins enabled or disabled by another process.
        """
        self.runtime.refresh_plugins()
        handled = self.deliver_due()
        self.dispatch_messages()
        self.run_due_jobs()
        return handled

    def dispatch_messages(self) -> int:
        """Send the due queued messages (`core/messaging/dispatch.py`) for at most a minute per round."""
        from payvand.core.messaging.dispatch import dispatch_due

        context = self.app.app_context() if self.app is not None else contextlib.nullcontext()
        try:
            with context:
                return dispatch_due(self.runtime, budget_seconds=60.0)
        except Exception:
            log.exception("message dispatch failed")
            return 0

    # ------------------------------------------------------------------ the loop

    def wake(self) -> None:
        """Ask the loop to look at the outbox now (called after a commit wrote events)."""
        self._wake.set()

    def loop(self, should_stop: Callable[[], bool] | None = None) -> None:
        """Run until stopped: deliver, run jobs, sleep until woken or idle time passes."""
        while not self._stop.is_set() and not (should_stop and should_stop()):
            try:
                self.run_pending()
            except Exception:
                log.exception("job runner iteration failed")
                time.sleep(1)
            self._wake.wait(self.idle_seconds)
            self._wake.clear()

    def start_thread(self) -> None:
        """Run the loop in a daemon thread (the embedded default)."""
        if self._thread is not None:
            return
        events.add_waker(self.wake)
        self._thread = threading.Thread(target=self.loop, name="payvand-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop and wait for the thread."""
        self._stop.set()
        self._wake.set()
        events.remove_waker(self.wake)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
