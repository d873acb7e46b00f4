"""The job runner: delivers outbox events to plugins and runs their scheduled jobs.

The embedded default runs this loop in a thread of `payvand run`; at scale run
`payvand worker` in several processes against PostgreSQL: events are claimed with a lease
(`FOR UPDATE SKIP LOCKED`), so each is handled by one worker, and a crashed worker's lease
simply expires. A plugin that fails is retried alone, with exponential backoff; the event
is never dropped while the plugin stays enabled.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core import events
from payvand.core.contracts import JobSpec
from payvand.core.db import bind_session, utcnow
from payvand.core.models import OutboxEvent, Setting
from payvand.core.services.customers import load_customers
from payvand.core.services.interactions import load_interactions

if TYPE_CHECKING:
    from payvand.core.runtime import Runtime

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
MAX_BACKOFF = dt.timedelta(hours=1)
BASE_BACKOFF_SECONDS = 5


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next attempt: 5 s, 10 s, 20 s, ... capped at one hour."""
    return min(dt.timedelta(seconds=BASE_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _hook_kwargs(session: Session, event: OutboxEvent) -> dict[str, Any]:
    ids = [int(i) for i in event.payload.get("ids", [])]
    if event.hook in ("payvand_customer_created", "payvand_customer_updated"):
        kwargs: dict[str, Any] = {"customers": load_customers(session, ids)}
        if event.hook == "payvand_customer_updated":
            kwargs["changes"] = {int(k): v for k, v in event.payload.get("changes", {}).items()}
        return kwargs
    if event.hook == "payvand_interaction_recorded":
        return {"interactions": load_interactions(session, ids)}
    if event.hook == "payvand_customer_deleted":
        return {"customer_ids": ids}
    raise ValueError(f"no delivery for {event.hook}")


class JobRunner:
    """Delivers outbox events and runs scheduled jobs for one Runtime."""

    def __init__(self, runtime: Runtime, *, batch: int = 50, idle_seconds: float = 2.0) -> None:
        self.runtime = runtime
        self.batch = batch
        self.idle_seconds = idle_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ outbox

    def claim(self, now: dt.datetime | None = None) -> list[OutboxEvent]:
        """Take a lease on the due events (one worker each) and return them."""
        now = now or utcnow()
        with self.runtime.sessionmaker.begin() as session:
            query = (
                sa.select(OutboxEvent)
                .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.next_attempt_at <= now)
                .order_by(OutboxEvent.id)
                .limit(self.batch)
            )
            if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
                query = query.with_for_update(skip_locked=True)
            claimed = list(session.scalars(query))
            for event in claimed:
                event.next_attempt_at = now + LEASE
            return claimed

    def deliver(self, event: OutboxEvent) -> bool:
        """Deliver one event to each plugin still pending; return True when all succeeded."""
        plugins = self.runtime.plugins
        implementers = plugins.implementers(event.hook)
        pending = implementers if event.pending is None else [p for p in event.pending if p in implementers]
        failed: dict[str, str] = {}
        for plugin_name in pending:
            session = self.runtime.sessionmaker()
            try:
                with bind_session(session):
                    kwargs = _hook_kwargs(session, event)
                    outcome = plugins.call_each(event.hook, kwargs, only=[plugin_name])
                    error = outcome.get(plugin_name)
                    if error is not None:
                        raise error
                    session.commit()
            except Exception as exc:
                session.rollback()
                failed[plugin_name] = f"{type(exc).__name__}: {exc}"
                plugins.report_error(plugin_name, event.hook, exc)
            finally:
                session.close()
        now = utcnow()
        with self.runtime.sessionmaker.begin() as session:
            row = session.get(OutboxEvent, event.id)
            if row is None:
                return not failed
            row.attempts = (row.attempts or 0) + 1
            row.pending = sorted(failed)
            if failed:
                row.last_error = "; ".join(f"{k}: {v}" for k, v in sorted(failed.items()))[:4000]
                row.next_attempt_at = now + backoff(row.attempts)
            else:
                row.delivered_at = now
        return not failed

    def deliver_due(self, now: dt.datetime | None = None) -> int:
        """Deliver every due event (in batches); return how many were handled."""
        handled = 0
        while True:
            claimed = self.claim(now)
            if not claimed:
                return handled
            for event in claimed:
                self.deliver(event)
                handled += 1

    # ------------------------------------------------------------------ scheduled jobs

    def jobs(self) -> list[JobSpec]:
        """The scheduled jobs of the core and the enabled plugins."""
        core = [JobSpec("core.outbox_cleanup", self.cleanup_outbox, 3600, "Forget delivered events after a week")]
        return core + [j for j in self.runtime.plugins.call_cached("payvand_jobs") if isinstance(j, JobSpec)]

    def cleanup_outbox(self) -> None:
        """Delete events delivered more than seven days ago."""
        from payvand.core.db import current_session

        cutoff = utcnow() - dt.timedelta(days=7)
        current_session().execute(sa.delete(OutboxEvent).where(OutboxEvent.delivered_at < cutoff))

    def _claim_job(self, job: JobSpec, now: dt.datetime) -> bool:
        key = f"job.last_run.{job.name}"
        with self.runtime.sessionmaker.begin() as session:
            row = session.get(Setting, key, with_for_update=True)
            if row is not None and row.value and dt.datetime.fromisoformat(row.value) + dt.timedelta(seconds=job.every_seconds) > now:
                return False
            if row is None:
                session.add(Setting(key=key, value=now.isoformat()))
            else:
                row.value = now.isoformat()
            return True

    def run_due_jobs(self, now: dt.datetime | None = None) -> list[str]:
        """Run each scheduled job whose interval has passed; return the names that ran."""
        now = now or utcnow()
        ran = []
        for job in self.jobs():
            try:
                if not self._claim_job(job, now):
                    continue
            except Exception:  # e.g. two SQLite writers racing: try at the next tick
                log.debug("could not claim job %s", job.name, exc_info=True)
                continue
            ran.append(job.name)
            self._run_job(job)
        return ran

    def _run_job(self, job: JobSpec) -> None:
        session = self.runtime.sessionmaker()
        try:
            with bind_session(session):
                job.func()
            session.commit()
        except Exception as exc:
            session.rollback()
            owner = self.runtime.plugins.plugin_of(job.func) or "core"
            self.runtime.plugins.report_error(owner, f"job {job.name}", exc)
        finally:
            session.close()

    def run_pending(self) -> int:
        """Deliver due events and run due jobs once (what tests and `payvand worker --once` call)."""
        handled = self.deliver_due()
        self.run_due_jobs()
        return handled

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
