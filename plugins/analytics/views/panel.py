"""The analytics panel of the customer 360 page: the figures of the last CLV and RFM runs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import render_template

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.models import CustomerClv, CustomerRfm, Run
from payvand.sdk import Actor, Panel, lazy_gettext, session


def _latest(kind: str) -> Any:
    return sa.select(sa.func.max(Run.id)).where(Run.kind == kind).scalar_subquery()


def customer_panel(customer: Any, actor: Actor) -> Panel | None:
    """CLV, P(alive), expected purchases and the RFM segment of `customer`; None when `actor` may
    not see analytics or the customer is in no run (two queries)."""
    if not actor.can(perm.VIEW):
        return None
    db = session()
    value = db.scalars(sa.select(CustomerClv).where(CustomerClv.run_id == _latest("clv"),
                                                    CustomerClv.customer_id == customer.id)).first()
    rfm = db.scalars(sa.select(CustomerRfm).where(CustomerRfm.run_id == _latest("rfm"),
                                                  CustomerRfm.customer_id == customer.id)).first()
    if value is None and rfm is None:
        return None
    from payvand.plugins.analytics.services.rfm import SEGMENT_LABELS

    html = render_template("analytics/panel.html", value=value, rfm=rfm, segment_labels=SEGMENT_LABELS)
    return Panel(title=str(lazy_gettext("Analytics")), html=html, order=60, key="analytics")
