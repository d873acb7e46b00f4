"""The service contracts list (list kit): the contracts of the customers the reader may see.

The kit applies the record rules of the listed model; a contract has none of its own, so the
list's base joins the customer and narrows it by the customers' rules (one query a page).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Contract
from payvand.sdk import Actor, Column, Customer, Filter, ListSpec, Sort, SortKey, lazy_gettext, restrict


def _base(ctx: Any) -> Any:
    return restrict(sa.select(Contract).join(Customer, Customer.id == Contract.customer_id), ctx.actor, Customer)


CONTRACTS = ListSpec(
    name="service.contracts",
    model=Contract,
    columns=(
        Column("id", lazy_gettext("Number"), format="id", sortable=True),
        Column("name", lazy_gettext("Name"), format="user_text"),
        Column("customer_id", lazy_gettext("Customer"), format="id"),
        Column("starts_on", lazy_gettext("Starts"), format="date"),
        Column("ends_on", lazy_gettext("Ends"), format="date"),
    ),
    filters=(Filter("customer_id", "id", column=Contract.customer_id),),
    sorts=(Sort("newest", (SortKey(Contract.id, "id", "id", descending=True),), label=lazy_gettext("Newest first")),),
    base=_base,
)


def visible_contracts(session: Session, actor: Actor, limit: int = 500) -> list[Contract]:
    """The newest contracts of customers `actor` may see (one query)."""
    return list(session.scalars(restrict(sa.select(Contract).join(Customer, Customer.id == Contract.customer_id),
                                         actor, Customer).order_by(Contract.id.desc()).limit(limit)))
