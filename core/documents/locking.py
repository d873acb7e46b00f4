"""Row locks for state changes: lock a document's row, then check and change it.

Every change of a document's state (in sales: accept, reject, send a quote, a payment, void,
invoicing an order, an order's status; `flow.transition` for declared flows) first calls
`lock_row`, so its check ("only a sent quote can be accepted", "a refund may not exceed what
was paid") and its write see the latest committed
row and no other writer can come between them until the transaction ends. Concurrent requests
for one document queue; the first wins and the others see its result and are refused.

- PostgreSQL: `SELECT … FOR UPDATE` (the row is locked; other documents are not).
- SQLite has no row locks and runs reads outside a write transaction: a no-op `UPDATE` of the
  row starts the write transaction first (SQLite's single writer lock, held to the commit), and
  the row is then read again inside it.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

T = TypeVar("T")


def lock_row(session: Session, instance: T) -> T:
    """Lock `instance`'s row until the transaction ends and reload its columns from the database.

    Pending changes in the session are flushed first. Returns the same (refreshed) instance.
    Only the model's own table is locked (`FOR UPDATE OF`): a relationship loaded with it by an
    outer join (the service ticket's SLA clock) is read, not locked — PostgreSQL refuses to lock
    the nullable side of an outer join.
    """
    model: Any = type(instance)
    table = model.__table__
    key = table.c.id
    ident = cast(Any, instance).id  # every locked model has an integer `id` primary key
    if session.get_bind().dialect.name == "sqlite":
        touched = table.c.status if "status" in table.c else key
        session.execute(sa.update(table).where(key == ident).values({touched.name: touched}))
    return session.execute(sa.select(model).where(model.id == ident).with_for_update(of=table)
                           .execution_options(populate_existing=True)).scalar_one()
