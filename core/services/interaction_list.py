"""A customer's timeline as a list of the list kit: the API's `GET /customers/{id}/interactions`
and the 360 page's timeline read the same rows, newest first, keyed on (occurred_at, id) over the
`(customer_id, occurred_at, id)` index.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from payvand.core.actor import Actor
from payvand.core.listing import Column, Filter, ListContext, ListSpec, Sort, SortKey
from payvand.core.models import Interaction, User

_I = Interaction.__table__.c
_U = User.__table__.c


def _base(context: ListContext) -> sa.Select[Any]:
    """Every column of the customer's interactions and the name of who logged each (LEFT JOIN)."""
    return (
        sa.select(*Interaction.__table__.columns, sa.func.coalesce(_U.name, _U.email).label("created_by_name"))
        .select_from(Interaction.__table__.outerjoin(User.__table__, _U.id == _I.created_by_id))
        .where(_I.customer_id == context.extra["customer_id"])
    )


#: A customer's interactions (pass `customer_id=` to `page`); filters `kind` and `channel`.
INTERACTIONS = ListSpec(
    name="interactions",
    model=Interaction,
    columns=(
        Column("occurred_at", _l("When"), format="datetime", sortable=True),
        Column("kind", _l("Type")),
        Column("channel", _l("Channel")),
        Column("summary", _l("Summary"), format="user_text"),
    ),
    filters=(
        Filter("kind", "text", column=_I.kind, label=_l("Type"), max_length=64),
        Filter("channel", "text", column=_I.channel, label=_l("Channel"), max_length=32),
    ),
    sorts=(Sort("-occurred_at", (SortKey(_I.occurred_at, "occurred_at", "datetime", True),
                                 SortKey(_I.id, "id", "id", True)), _l("Newest first")),),
    base=_base,
)
#: The query arguments of a timeline (API and page).
InteractionListArgs = INTERACTIONS.args_schema("InteractionListArgs")


def timeline_entry(session: Session, customer_id: int, interaction_id: int, actor: Actor | None) -> Any:
    """One entry of a customer's timeline as INTERACTIONS lists it (the same columns), or None;
    e.g. the row just logged, shown by the 360 page without reloading the timeline."""
    statement = INTERACTIONS.select({}, INTERACTIONS.context(session, actor, customer_id=customer_id))
    return session.connection().execute(statement.where(_I.id == interaction_id)).first()
