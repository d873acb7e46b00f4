"""A test plugin answering the cost data hooks: `payvand_marketing_costs` (what the coming
marketing plugin will do) and `payvand_service_facts` (what the service plugin does), from the
module lists `COSTS` and `CASES` that a test fills; and declaring `costs_test.followers`, a
channel's followers count as analytics reads it for reach."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from payvand.sdk import N_, CustomerField, PluginMeta, hookimpl

meta = PluginMeta(name="costs_test", version="0.1.0", title=N_("Costs test"), requires=("payvand>=0.1",))

#: (period_start, period_end, purpose, channel, campaign, amount, currency)
COSTS: list[tuple[dt.date, dt.date, str, str | None, str | None, str, str]] = []
#: (ticket_id, customer_id, opened_at, solved_at, handling_minutes)
CASES: list[tuple[int, int, dt.datetime, dt.datetime | None, int | None]] = []


def _union(selects: list[Any]) -> Any:
    return selects[0] if len(selects) == 1 else sa.union_all(*selects)


@hookimpl
def payvand_marketing_costs() -> Any:
    """The costs in `COSTS` as a select of `MARKETING_COSTS` rows (None when empty)."""
    if not COSTS:
        return None
    return _union([sa.select(sa.literal(start, sa.Date).label("period_start"), sa.literal(end, sa.Date).label("period_end"),
                             sa.literal(purpose).label("purpose"), sa.literal(channel, sa.String).label("channel"),
                             sa.literal(campaign, sa.String).label("campaign"),
                             sa.literal(Decimal(amount), sa.Numeric(20, 4)).label("amount"),
                             sa.literal(currency).label("currency"))
                   for start, end, purpose, channel, campaign, amount, currency in COSTS])


@hookimpl
def payvand_service_facts() -> Any:
    """The cases in `CASES` as a select of `SERVICE_FACTS` rows (None when empty)."""
    if not CASES:
        return None
    return _union([sa.select(sa.literal(tid).label("ticket_id"), sa.literal(cid).label("customer_id"),
                             sa.literal(opened, sa.DateTime(timezone=True)).label("opened_at"),
                             sa.literal(solved, sa.DateTime(timezone=True)).label("solved_at"),
                             sa.literal(minutes, sa.Integer).label("handling_minutes"))
                   for tid, cid, opened, solved, minutes in CASES])


@hookimpl
def payvand_customer_fields() -> list[CustomerField]:
    """A channel's followers count (a name ending in `.followers`: analytics counts it as reach)."""
    return [CustomerField("costs_test.followers", "integer", label="Followers")]
