"""The analytics panel of the customer 360 page: the figures of the last CLV, RFM, costs and social
runs (the social score explained part by part, beside CLV) and the customer's suggested products."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import render_template

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.models import CustomerClv, CustomerProfit, CustomerRfm, CustomerSocial, Run
from payvand.sdk import Actor, Panel, lazy_gettext, session


def _latest(kind: str) -> Any:
    return sa.select(sa.func.max(Run.id)).where(Run.kind == kind).scalar_subquery()


#: How the panel names each kind of suggestion.
KIND_LABELS = {"cross_sell": lazy_gettext("cross-sell"), "up_sell": lazy_gettext("up-sell"),
               "related": lazy_gettext("related"), "popular": lazy_gettext("popular")}


def customer_panel(customer: Any, actor: Actor) -> Panel | None:
    """CLV, P(alive), expected purchases, the RFM segment and the top five suggestions of
    `customer`; None when `actor` may not see analytics or there is nothing to show (a bounded
    number of indexed queries)."""
    if not actor.can(perm.VIEW):
        return None
    db = session()
    value = db.scalars(sa.select(CustomerClv).where(CustomerClv.run_id == _latest("clv"),
                                                    CustomerClv.customer_id == customer.id)).first()
    rfm = db.scalars(sa.select(CustomerRfm).where(CustomerRfm.run_id == _latest("rfm"),
                                                  CustomerRfm.customer_id == customer.id)).first()
    from payvand.plugins.analytics.services.recommend import for_customer

    suggestions = for_customer(customer.id, 5)
    profit = db.scalars(sa.select(CustomerProfit).where(CustomerProfit.run_id == _latest("costs"),
                                                        CustomerProfit.customer_id == customer.id)).first()
    social = db.scalars(sa.select(CustomerSocial).where(CustomerSocial.run_id == _latest("social"),
                                                        CustomerSocial.customer_id == customer.id)).first()
    social_run = db.get(Run, social.run_id) if social is not None else None
    if value is None and rfm is None and not suggestions and profit is None and social is None:
        return None
    from payvand.plugins.analytics.services.rfm import SEGMENT_LABELS
    from payvand.plugins.analytics.services.social import explain
    from payvand.plugins.analytics.views.social import PART_LABELS

    html = render_template("analytics/panel.html", value=value, rfm=rfm, segment_labels=SEGMENT_LABELS,
                           suggestions=suggestions, kind_labels=KIND_LABELS, profit=profit, social=social,
                           parts=explain(social, social_run) if social and social_run else [], part_labels=PART_LABELS)
    return Panel(title=str(lazy_gettext("Analytics")), html=html, order=60, key="analytics")
