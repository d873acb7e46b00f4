"""The dispatcher: sends queued messages through their channels, at each channel's rate.

Run by the job runner on every round (`JobRunner.run_pending`, woken after a commit that
queued messages) in `payvand run`'s thread or in each `payvand worker`. Per channel it claims
a batch of due rows — `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`
on PostgreSQL, so concurrent workers take disjoint rows — setting them `sending` with a lease
(`claimed_until`, also written to `next_attempt_at`): the rows of a worker killed before it
recorded the result are due again when the lease ends. It then waits for the channel's rate,
hands the batch to `channel.send` and records each result: `sent` (provider id, `sent_at`),
`failed` (reason), or back to `queued` with a backoff (`retry`, up to `MAX_ATTEMPTS`).

Crash windows: a kill between queueing and sending leaves a `queued` (or leased `sending`)
row that is sent once after the restart. A kill after the provider accepted a message and
before its row was written sends it again when the lease ends (at-least-once): the message
keeps its reference (an email's `Message-ID`), so the receiver — or a provider given it as
its client reference — can recognise the second copy.

Rate: `PAYVAND_CHANNEL_<NAME>_RATE` (messages per second; default the channel's
`rate_per_second`, none = unlimited) is a token bucket kept in the database (a `core_setting`
row per channel holding the next free send time, taken under a row lock), so every process
shares it. Quiet hours: a marketing message due in `PAYVAND_QUIET_HOURS` (default
`21:00-08:00`) of its customer's time zone (`Customer.timezone`, else the site's zone) is
put back to the end of the quiet time.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core.db import utcnow
from payvand.core.mail import Attachment
from payvand.core.messaging.contract import MessageChannel, OutboundMessage, SendResult, needs_consent
from payvand.core.models import Customer, Interaction, Setting
from payvand.core.models.message import Message, MessageAttachment

if TYPE_CHECKING:
    from payvand.core.runtime import Runtime

log = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=120)
MAX_ATTEMPTS = 8
BASE_BACKOFF_SECONDS = 30
MAX_BACKOFF = dt.timedelta(hours=2)
DEFAULT_QUIET_HOURS = "21:00-08:00"
#: Transport headers a channel is given from the stored ones (the rest is the core's bookkeeping).
TRANSPORT_HEADERS = ("In-Reply-To", "References")
MESSAGES: sa.Table = Message.__table__  # type: ignore[assignment]


def backoff(attempts: int, after: float | None = None) -> dt.timedelta:
    """Delay before the next try: the channel's `retry_after`, else 30 s, 60 s, ... capped at two hours."""
    if after is not None:
        return dt.timedelta(seconds=max(after, 0))
    return min(dt.timedelta(seconds=BASE_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


# --------------------------------------------------------------------------- settings


def _config_value(config: Mapping[str, Any], key: str) -> Any:
    value = config.get(key)
    return value if value not in (None, "") else os.environ.get(key)


def channel_rate(config: Mapping[str, Any], channel: MessageChannel) -> float | None:
    """Messages per second for `channel`: `PAYVAND_CHANNEL_<NAME>_RATE`, else its default (None = unlimited)."""
    raw = _config_value(config, f"PAYVAND_CHANNEL_{channel.name.upper()}_RATE")
    if raw is not None:
        rate = float(raw)
        return rate if rate > 0 else None
    return channel.rate_per_second


def quiet_hours(config: Mapping[str, Any]) -> tuple[dt.time, dt.time] | None:
    """The quiet window (`PAYVAND_QUIET_HOURS`, `21:00-08:00`; `off` or empty for none)."""
    raw = _config_value(config, "PAYVAND_QUIET_HOURS")
    text = DEFAULT_QUIET_HOURS if raw is None else str(raw).strip()
    if not text or text.lower() == "off":
        return None
    start, _, end = text.partition("-")
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


def quiet_until(moment: dt.datetime, zone: dt.tzinfo, window: tuple[dt.time, dt.time] | None) -> dt.datetime | None:
    """When the quiet time `moment` falls in ends (UTC), or None when it is not quiet then."""
    if window is None:
        return None
    start, end = window
    local = moment.astimezone(zone)
    now = local.time()
    quiet = (start <= now or now < end) if start > end else (start <= now < end)
    if not quiet:
        return None
    day = local.date() if now < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=zone).astimezone(dt.UTC)


def _zone(name: Any, fallback: dt.tzinfo) -> dt.tzinfo:
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return fallback


def site_zone(runtime: Runtime, session: Session) -> dt.tzinfo:
    """The business time zone: the `core.timezone` setting, else `PAYVAND_TIMEZONE`, else Asia/Tehran."""
    name = None
    try:
        name = runtime.setting(session, "core.timezone")
    except Exception:  # no such setting declared
        name = None
    return _zone(name or runtime.config.get("PAYVAND_TIMEZONE"), ZoneInfo("Asia/Tehran"))


# --------------------------------------------------------------------------- the rate bucket


def reserve(runtime: Runtime, channel: str, count: int, rate: float | None, now: dt.datetime | None = None) -> float:
    """Reserve `count` sends on `channel`'s bucket; return how many seconds to wait before sending.

    The bucket is the next free send time (`core_setting` `messaging.rate.<channel>`), moved
    on by `count / rate` under a row lock, so all processes share the rate.
    """
    if not rate:
        return 0.0
    now = now or utcnow()
    key = f"messaging.rate.{channel}"
    for attempt in range(3):
        try:
            with runtime.sessionmaker.begin() as session:
                row = session.get(Setting, key, with_for_update=True)
                free = dt.datetime.fromisoformat(row.value) if row is not None and row.value else now
                start = max(free, now)
                after = (start + dt.timedelta(seconds=count / rate)).isoformat()
                if row is None:
                    session.add(Setting(key=key, value=after))
                else:
                    row.value = after
            return (start - now).total_seconds()
        except sa.exc.IntegrityError:  # two processes created the row at once
            if attempt == 2:
                raise
    return 0.0


# --------------------------------------------------------------------------- claiming


def _due(now: dt.datetime) -> Any:
    return sa.and_(Message.direction == "outbound", Message.status.in_(("queued", "sending")),
                   Message.next_attempt_at <= now)


def claim(runtime: Runtime, channel: str, limit: int, now: dt.datetime, lease: dt.timedelta | None = None) -> list[Message]:
    """Lease up to `limit` due messages of `channel` (`sending`, due again when the lease ends)."""
    until = now + (lease or LEASE)
    with runtime.sessionmaker.begin() as session:
        due = sa.select(Message.id).where(_due(now), Message.channel == channel).order_by(
            Message.next_attempt_at, Message.id).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        statement = (sa.update(Message).where(Message.id.in_(due.scalar_subquery()))
                     .values(status="sending", claimed_until=until, next_attempt_at=until,
                             attempts=Message.attempts + 1)
                     .returning(Message))
        rows = sorted(session.scalars(statement, execution_options={"synchronize_session": False}),
                      key=lambda m: m.id)
        session.expunge_all()
        return rows


# --------------------------------------------------------------------------- sending


def dispatch_due(runtime: Runtime, now: dt.datetime | None = None, *, budget_seconds: float | None = None) -> int:
    """Send due messages, channel by channel, until none is due (or `budget_seconds` passed);
    return how many were handed to channels.

    One read finds the channels with due messages (an idle round writes nothing); messages of a
    channel no active plugin provides are put back for an hour rather than claimed in vain.
    """
    channels = runtime.message_channels(fresh=True)  # settings saved on the Channels page apply now
    moment = now or utcnow()
    with runtime.sessionmaker() as session:
        due = set(session.scalars(sa.select(Message.channel).where(_due(moment)).distinct()))
    if due - set(channels):
        _park_unknown(runtime, due - set(channels), moment)
    # a channel an administrator switched off sends nothing: its messages wait until it is on again
    active = {name: channels[name] for name in sorted(due & set(channels)) if channels[name].switched_on}
    handed = 0
    started = time.monotonic()
    while active and (budget_seconds is None or time.monotonic() - started < budget_seconds):
        moment = now or utcnow()
        for name, channel in list(active.items()):
            sent = dispatch_channel(runtime, channel, moment)
            if sent == 0:
                del active[name]  # nothing due now (or all deferred): not asked again this call
            handed += sent
    return handed


def _park_unknown(runtime: Runtime, names: set[str], now: dt.datetime) -> None:
    """Due messages of channels no active plugin provides wait an hour."""
    with runtime.sessionmaker.begin() as session:
        session.execute(sa.update(Message).where(_due(now), Message.channel.in_(names)).values(
            status="queued", next_attempt_at=now + dt.timedelta(hours=1),
            error="no active channel of this name").execution_options(synchronize_session=False))


def dispatch_channel(runtime: Runtime, channel: MessageChannel, now: dt.datetime) -> int:
    """Claim and send one batch of `channel`'s due messages; return how many were handed to it (deferred ones not counted)."""
    rate = channel_rate(runtime.config, channel)
    size = max(1, min(channel.max_batch, math.ceil(rate) if rate else channel.max_batch))
    rows: list[Message] = []
    while not rows:  # a batch wholly deferred to the end of quiet hours: claim the next one
        claimed = claim(runtime, channel.name, size, now)
        if not claimed:
            return 0
        rows = _defer_quiet(runtime, claimed, now)
    wait = reserve(runtime, channel.name, len(rows), rate, utcnow())
    if wait > 0:
        time.sleep(min(wait, LEASE.total_seconds() / 2))
    outbound = _outbound(runtime, rows)
    try:
        results = list(channel.send(outbound))
        if len(results) != len(rows):
            raise RuntimeError(f"channel {channel.name} returned {len(results)} results for {len(rows)} messages")
    except Exception as exc:  # a channel must not raise; if it does, the whole batch is retried later
        log.exception("channel %s failed to send a batch", channel.name)
        results = [SendResult.retry(f"the channel raised {type(exc).__name__}: {exc}"[:480]) for _ in rows]
    record_results(runtime, rows, results, max(now, utcnow()))
    return len(rows)


def _defer_quiet(runtime: Runtime, rows: list[Message], now: dt.datetime) -> list[Message]:
    """Put marketing messages due in their customer's quiet hours back until those end; return the rest."""
    window = quiet_hours(runtime.config)
    marketing = [row for row in rows if needs_consent(row.purpose)]
    if window is None or not marketing:
        return rows
    with runtime.sessionmaker.begin() as session:
        fallback = site_zone(runtime, session)
        zones = {cid: _zone(name, fallback) for cid, name in session.execute(
            sa.select(Customer.id, Customer.timezone).where(Customer.id.in_({r.customer_id for r in marketing})))}
        deferred: list[dict[str, Any]] = []
        for row in marketing:
            until = quiet_until(now, zones.get(row.customer_id, fallback), window)
            if until is not None:
                deferred.append({"b_id": row.id, "b_next": until, "b_attempts": max(row.attempts - 1, 0)})
        if deferred:
            session.execute(
                MESSAGES.update().where(MESSAGES.c.id == sa.bindparam("b_id"))
                .values(status="queued", next_attempt_at=sa.bindparam("b_next"), claimed_until=None,
                        attempts=sa.bindparam("b_attempts")), deferred)
    skipped = {d["b_id"] for d in deferred}
    return [row for row in rows if row.id not in skipped]


def _outbound(runtime: Runtime, rows: Sequence[Message]) -> list[OutboundMessage]:
    files: dict[int, list[Attachment]] = {}
    with runtime.sessionmaker() as session:
        for item in session.scalars(sa.select(MessageAttachment).where(
                MessageAttachment.message_id.in_([r.id for r in rows])).order_by(MessageAttachment.id)):
            files.setdefault(item.message_id, []).append(Attachment(item.filename, item.content, item.content_type))
    return [OutboundMessage(
        id=row.id, customer_id=row.customer_id, channel=row.channel, address=row.address, purpose=row.purpose,
        subject=row.subject, body=row.body, reference=row.reference, html=row.html,
        attachments=tuple(files.get(row.id, ())), language=row.language or "fa",
        headers={k: str(v) for k, v in (row.headers or {}).items() if k in TRANSPORT_HEADERS and v},
    ) for row in rows]


def record_results(runtime: Runtime, rows: Sequence[Message], results: Sequence[SendResult],
                   now: dt.datetime | None = None) -> None:
    """Write each message's result (only while it is still `sending`) and its interaction's status."""
    now = now or utcnow()
    updates: list[dict[str, Any]] = []
    statuses: dict[int, str] = {}
    for row, result in zip(rows, results, strict=True):
        values: dict[str, Any] = {"b_id": row.id, "b_provider": row.provider_id, "b_sent": row.sent_at,
                                  "b_next": None, "b_error": None, "b_status": "sent"}
        if result.outcome == "accepted":
            values.update(b_provider=(result.provider_id or row.reference)[:255], b_sent=now)
        elif result.outcome == "failed" or row.attempts >= MAX_ATTEMPTS:
            reason = result.reason if result.outcome == "failed" else f"gave up after {row.attempts} attempts: {result.reason}"
            values.update(b_status="failed", b_error=reason[:500])
        else:
            values.update(b_status="queued", b_error=result.reason[:500],
                          b_next=now + backoff(row.attempts, result.retry_after))
        updates.append(values)
        if values["b_status"] != "queued" and row.interaction_id is not None:
            statuses[row.interaction_id] = values["b_status"]
    with runtime.sessionmaker.begin() as session:
        session.execute(
            MESSAGES.update().where(MESSAGES.c.id == sa.bindparam("b_id"), MESSAGES.c.status == "sending")
            .values(status=sa.bindparam("b_status"), provider_id=sa.bindparam("b_provider"),
                    sent_at=sa.bindparam("b_sent"), next_attempt_at=sa.bindparam("b_next"),
                    error=sa.bindparam("b_error"), claimed_until=None, status_at=now), updates)
        if statuses:
            table: sa.Table = Interaction.__table__  # type: ignore[assignment]
            query = sa.select(table.c.id, table.c.payload).where(table.c.id.in_(list(statuses)))
            payloads = {row.id: row.payload for row in session.execute(query)}
            session.execute(table.update().where(table.c.id == sa.bindparam("b_id")).values(
                payload=sa.bindparam("b_payload")),
                [{"b_id": i, "b_payload": {**(payloads.get(i) or {}), "status": s}} for i, s in statuses.items()])
