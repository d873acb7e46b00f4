"""A customer's timeline as a list of the list kit: the API's `GET /customers/{id}/interactions`
and the 360 page's timeline read the same rows, newest first, keyed on (occurred_at, id) over the
`(customer_id, occurred_at, id)` index.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from payvand.core.actor import Actor
from payvand.core.db import utcnow
from payvand.core.listing import Column, Filter, ListContext, ListSpec, Sort, SortKey
from payvand.core.models import Customer, Interaction, User

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


# --------------------------------------------------------------------------- key figures


_FIGURES: dict[int, sa.Select[Any]] = {}


def _figures_statement(cap: int) -> sa.Select[Any]:
    """Key figures in ONE statement (built once per cap): per (channel, kind) over the latest
    `cap` + 1 rows, plus the first interaction's date (a MIN on the index: one probe)."""
    found = _FIGURES.get(cap)
    if found is None:
        customer_id: sa.BindParameter[Any] = sa.bindparam("customer_id")
        latest = (
            sa.select(_I.channel, _I.kind, _I.occurred_at)
            .where(_I.customer_id == customer_id)
            .order_by(_I.occurred_at.desc(), _I.id.desc())
            .limit(cap + 1)
            .subquery("latest")
        )
        first = sa.select(sa.func.min(_I.occurred_at)).where(_I.customer_id == customer_id).scalar_subquery()
        found = _FIGURES[cap] = (
            sa.select(
                latest.c.channel, latest.c.kind,
                sa.func.count().label("n"),
                sa.func.max(latest.c.occurred_at).label("last"),
                sa.func.sum(sa.case((latest.c.occurred_at >= sa.bindparam("since", type_=_I.occurred_at.type), 1),
                                    else_=0)).label("recent"),
                first.label("first"),
            )
            .group_by(latest.c.channel, latest.c.kind)
        )
    return found


def timeline_figures(session: Session, customer_id: int, *, cap: int, recent_days: int) -> dict[str, Any]:
    """Counts and dates of the customer's interactions in ONE query over at most the latest
    `cap` rows (`total` is then `cap` and `capped` true); `recent` counts the last `recent_days`."""
    since = utcnow() - dt.timedelta(days=recent_days)
    rows = session.connection().execute(_figures_statement(cap), {"customer_id": customer_id, "since": since}).all()
    by_channel: dict[str, int] = {}
    kinds: set[str] = set()
    total = recent = 0
    first = last = None
    for row in rows:
        by_channel[row.channel] = by_channel.get(row.channel, 0) + row.n
        kinds.add(row.kind)
        total += row.n
        recent += int(row.recent or 0)
        first = first or row.first
        last = row.last if last is None or (row.last is not None and row.last > last) else last
    return {
        "total": min(total, cap), "capped": total > cap, "first": first, "last": last,
        "recent": recent, "recent_days": recent_days,
        "by_channel": sorted(by_channel.items(), key=lambda item: (-item[1], item[0])), "kinds": sorted(kinds),
    }


def recent_interactions(session: Session, limit: int) -> list[Any]:
    """The interactions recorded last, by id (indexed), with their customer's id and name."""
    return list(session.execute(
        sa.select(_I.id, _I.kind, _I.channel, _I.summary, _I.payload, _I.occurred_at,
                  Customer.id.label("customer_id"), Customer.display_name)
        .join(Customer, Customer.id == _I.customer_id)
        .order_by(_I.id.desc())
        .limit(limit)
    ).all())
