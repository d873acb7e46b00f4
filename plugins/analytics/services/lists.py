"""The analytics lists (list kit): marketing costs, customers ranked by profitability and by
social value. The ranked lists read the newest run of their kind; their rows are the customers
the reader may see (the customers' record rules, joined), in rank order (an indexed key)."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa

from payvand.plugins.analytics.models import Cost, CustomerProfit, CustomerSocial, Run
from payvand.plugins.analytics.schemas import PURPOSES
from payvand.sdk import Column, Customer, Filter, ListSpec, Sort, SortKey, lazy_gettext, restrict

#: What the amount filters accept: whole units of the run's currency (Rials run to 10^15).
AMOUNT_BOUNDS = (-10**15, 10**15)
PURPOSE_LABELS = {"acquisition": lazy_gettext("Acquisition"), "retention": lazy_gettext("Retention")}
STAGE_LABELS = {"prospect": lazy_gettext("Prospect"), "lead": lazy_gettext("Lead"), "customer": lazy_gettext("Customer"),
                "loyal": lazy_gettext("Loyal"), "churned": lazy_gettext("Churned")}


def _latest(kind: str) -> Any:
    return sa.select(sa.func.max(Run.id)).where(Run.kind == kind).scalar_subquery()


COSTS = ListSpec(
    name="analytics.costs",
    model=Cost,
    columns=(
        Column("period_start", lazy_gettext("From"), format="date"),
        Column("period_end", lazy_gettext("To"), format="date"),
        Column("purpose", lazy_gettext("Purpose"), value=lambda row: str(PURPOSE_LABELS.get(row.purpose, row.purpose))),
        Column("channel", lazy_gettext("Channel"), format="user_text"),
        Column("campaign", lazy_gettext("Campaign"), format="user_text"),
        Column("amount", lazy_gettext("Amount"), format="number"),
        Column("currency", lazy_gettext("Currency")),
        Column("note", lazy_gettext("Note"), format="user_text"),
    ),
    filters=(
        Filter("purpose", "choice", column=Cost.purpose, choices=lambda: [(p, str(PURPOSE_LABELS[p])) for p in PURPOSES],
               label=lazy_gettext("Purpose")),
        Filter("channel", "text", column=Cost.channel, max_length=64, label=lazy_gettext("Channel")),
        Filter("campaign", "text", column=Cost.campaign, max_length=120, label=lazy_gettext("Campaign")),
        Filter("since", "date", apply=lambda value, _op, _ctx: Cost.period_start >= value,
               label=lazy_gettext("Starting on or after")),
        Filter("until", "date", apply=lambda value, _op, _ctx: Cost.period_start <= value,
               label=lazy_gettext("Starting on or before")),
    ),
    sorts=(Sort("newest", (SortKey(Cost.period_start, "period_start", "date", descending=True),
                           SortKey(Cost.id, "id", "id", descending=True)), label=lazy_gettext("Newest period first")),),
)


def _profit_base(ctx: Any) -> Any:
    query = (sa.select(CustomerProfit.run_id, CustomerProfit.customer_id, CustomerProfit.rank, CustomerProfit.revenue,
                       CustomerProfit.margin, CustomerProfit.tickets, CustomerProfit.service_cost,
                       CustomerProfit.acquisition_cost, CustomerProfit.retention_cost, CustomerProfit.profit,
                       Customer.display_name, Customer.lifecycle_stage)
             .join(Customer, Customer.id == CustomerProfit.customer_id)
             .where(CustomerProfit.run_id == _latest("costs"), Customer.merged_into_id.is_(None)))
    return restrict(cast(Any, query), ctx.actor, Customer)


PROFIT = ListSpec(
    name="analytics.profit",
    model=CustomerProfit,
    columns=(
        Column("rank", lazy_gettext("Rank"), format="id"),
        Column("display_name", lazy_gettext("Customer"), format="user_text"),
        Column("customer_id", lazy_gettext("Number"), format="id"),
        Column("revenue", lazy_gettext("Revenue"), format="number"),
        Column("margin", lazy_gettext("Margin"), format="number"),
        Column("service_cost", lazy_gettext("Service cost"), format="number"),
        Column("acquisition_cost", lazy_gettext("Acquisition cost"), format="number"),
        Column("retention_cost", lazy_gettext("Retention cost"), format="number"),
        Column("profit", lazy_gettext("Profit"), format="number"),
    ),
    filters=(
        Filter("min_profit", "integer", apply=lambda value, _op, _ctx: CustomerProfit.profit >= value,
               bounds=AMOUNT_BOUNDS, label=lazy_gettext("Profit at least")),
        Filter("max_profit", "integer", apply=lambda value, _op, _ctx: CustomerProfit.profit <= value,
               bounds=AMOUNT_BOUNDS, label=lazy_gettext("Profit at most")),
        Filter("min_revenue", "integer", apply=lambda value, _op, _ctx: CustomerProfit.revenue >= value,
               bounds=AMOUNT_BOUNDS, label=lazy_gettext("Revenue at least")),
        Filter("stage", "choice", column=Customer.lifecycle_stage,
               choices=lambda: [(key, str(label)) for key, label in STAGE_LABELS.items()], label=lazy_gettext("Stage")),
    ),
    sorts=(Sort("rank", (SortKey(CustomerProfit.rank, "rank", "int"),), label=lazy_gettext("Most profitable first")),
           Sort("-rank", (SortKey(CustomerProfit.rank, "rank", "int", descending=True),),
                label=lazy_gettext("Least profitable first"))),
    base=_profit_base,
)


def _social_base(ctx: Any) -> Any:
    query = (sa.select(CustomerSocial.run_id, CustomerSocial.customer_id, CustomerSocial.rank, CustomerSocial.referrals,
                       CustomerSocial.second_level, CustomerSocial.reach, CustomerSocial.engagement,
                       CustomerSocial.influence, CustomerSocial.score, Customer.display_name)
             .join(Customer, Customer.id == CustomerSocial.customer_id)
             .where(CustomerSocial.run_id == _latest("social"), Customer.merged_into_id.is_(None)))
    return restrict(cast(Any, query), ctx.actor, Customer)


SOCIAL = ListSpec(
    name="analytics.social",
    model=CustomerSocial,
    columns=(
        Column("rank", lazy_gettext("Rank"), format="id"),
        Column("display_name", lazy_gettext("Customer"), format="user_text"),
        Column("customer_id", lazy_gettext("Number"), format="id"),
        Column("score", lazy_gettext("Social score"), value=lambda row: round(row.score, 1), format="number"),
        Column("referrals", lazy_gettext("Referred"), format="number"),
        Column("second_level", lazy_gettext("Referred by them"), format="number"),
        Column("reach", lazy_gettext("Reach"), format="number"),
        Column("engagement", lazy_gettext("Engagement"), format="number"),
        Column("influence", lazy_gettext("Influence"), format="number"),
    ),
    filters=(
        Filter("min_score", "integer", apply=lambda value, _op, _ctx: CustomerSocial.score >= value, bounds=(0, 100),
               label=lazy_gettext("Social score at least")),
        Filter("min_referrals", "integer", apply=lambda value, _op, _ctx: CustomerSocial.referrals >= value,
               bounds=(0, 2**31 - 1), label=lazy_gettext("Referred at least")),
    ),
    sorts=(Sort("rank", (SortKey(CustomerSocial.rank, "rank", "int"),), label=lazy_gettext("Highest first")),),
    base=_social_base,
)


def matching_ids(spec: ListSpec, args: dict[str, Any], actor: Any, db: Any) -> Any:
    """A select of the customer ids of every row of `spec` matching `args`' filters (for saving as a tag)."""
    statement = spec.select(args, spec.context(db, actor))
    rows = statement.subquery("matching")
    return sa.select(rows.c.customer_id)
