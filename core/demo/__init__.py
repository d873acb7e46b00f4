"""Demo data: a realistic Iranian customer base with two years of interactions.

`load_demo()` inserts customers (with emails, phones, addresses, tags and consents) and
interactions through bulk Core inserts, a batch per transaction. Each batch emits one event
(`payvand_customer_created`, `payvand_interaction_recorded`) so plugins see the demo
customers as they would see an import. The same seed and `now` give the same rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from payvand.core import audit, events
from payvand.core.actor import Actor
from payvand.core.db import utcnow
from payvand.core.demo.generate import CustomerDraft
from payvand.core.demo.generate import customers as draft_customers
from payvand.core.demo.generate import interactions as draft_interactions
from payvand.core.models import (
    Customer,
    CustomerAddress,
    CustomerConsent,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
)
from payvand.core.services.interactions import record_many

__all__ = ["DEFAULT_SEED", "DemoResult", "has_customers", "load_demo"]

DEFAULT_SEED = 1404
CUSTOMER_BATCH = 1_000
INTERACTION_BATCH = 2_000


@dataclasses.dataclass(frozen=True)
class DemoResult:
    """What `load_demo` inserted and how long it took."""

    customers: int
    interactions: int
    seconds: float


def has_customers(session_factory: sessionmaker[Session]) -> bool:
    """True when the database holds at least one customer (demo data is then not loaded)."""
    with session_factory() as session:
        return session.scalar(sa.select(Customer.id).limit(1)) is not None


def _insert_customers(session: Session, drafts: Sequence[CustomerDraft]) -> None:
    table = Customer.__table__
    ids = session.scalars(
        sa.insert(table).returning(table.c.id, sort_by_parameter_order=True),  # type: ignore[arg-type]
        [d.row for d in drafts],
    ).all()
    for draft, customer_id in zip(drafts, ids, strict=True):
        draft.id = customer_id
    children: list[tuple[Any, list[dict[str, Any]]]] = [
        (CustomerEmail, [{"customer_id": d.id, "email": e, "label": label}
                         for d in drafts for e, label in d.emails]),
        (CustomerPhone, [{"customer_id": d.id, "number": n, "label": label}
                         for d in drafts for n, label in d.phones]),
        (CustomerAddress, [{"customer_id": d.id, **a} for d in drafts for a in d.addresses]),
        (CustomerTag, [{"customer_id": d.id, "tag": t} for d in drafts for t in d.tags]),
        (CustomerConsent, [{"customer_id": d.id, **c} for d in drafts for c in d.consents]),
    ]
    for model, rows in children:
        if rows:
            session.execute(sa.insert(model.__table__), rows)
    events.emit(session, "payvand_customer_created", list(ids))


def load_demo(
    session_factory: sessionmaker[Session],
    customers: int = 500,
    interactions: int = 10_000,
    seed: int | None = DEFAULT_SEED,
    *,
    now: dt.datetime | None = None,
    actor: Actor = audit.SYSTEM,
) -> DemoResult:
    """Insert demo customers and interactions; return the counts.

    Rows are inserted in batches (one transaction and one event per batch) and one audit
    entry records the load. It does not check for existing data: callers decide (see
    `has_customers`).
    """
    if customers < 0 or interactions < 0:
        raise ValueError("counts cannot be negative")
    if interactions and not customers:
        raise ValueError("interactions need at least one customer")
    started = time.perf_counter()
    rng = random.Random(seed)
    now = (now or utcnow()).replace(microsecond=0)
    drafts = draft_customers(rng, customers, now)
    for start in range(0, len(drafts), CUSTOMER_BATCH):
        with session_factory.begin() as session:
            _insert_customers(session, drafts[start:start + CUSTOMER_BATCH])
    rows = draft_interactions(rng, drafts, interactions, now)
    for start in range(0, len(rows), INTERACTION_BATCH):
        with session_factory.begin() as session:
            record_many(session, rows[start:start + INTERACTION_BATCH])
    result = DemoResult(len(drafts), len(rows), 0.0)
    with session_factory.begin() as session:
        audit.record(session, actor, "load", "demo", None,
                     after={"customers": result.customers, "interactions": result.interactions, "seed": seed})
    return dataclasses.replace(result, seconds=round(time.perf_counter() - started, 3))
