"""Data-protection requests: export everything about a customer, or erase (anonymise) them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core import audit, events
from payvand.core.audit import Actor
from payvand.core.db import utcnow
from payvand.core.models import AuditLog, Customer, CustomerAddress, CustomerEmail, CustomerMerge, CustomerPhone, Interaction
from payvand.core.plugins import PluginManager
from payvand.core.schemas import ConsentOut, CustomerOut, InteractionOut

ERASED = {"erased": True}


def export_customer(session: Session, customer: Customer, plugins: PluginManager) -> dict[str, Any]:
    """Everything Payvand holds about a customer, the plugins' parts included, as JSON values."""
    interactions = session.scalars(
        sa.select(Interaction).where(Interaction.customer_id == customer.id).order_by(Interaction.occurred_at, Interaction.id)
    ).all()
    merges = session.scalars(
        sa.select(CustomerMerge).where(sa.or_(CustomerMerge.target_id == customer.id, CustomerMerge.source_id == customer.id))
    ).all()
    return {
        "format": "payvand.customer-export/1",
        "exported_at": utcnow().isoformat(),
        "customer": CustomerOut().dump(customer),
        "consent_history": ConsentOut(many=True).dump(sorted(customer.consents, key=lambda c: (c.recorded_at, c.id))),
        "interactions": InteractionOut(many=True).dump(interactions),
        "merges": [
            {"id": m.id, "target_id": m.target_id, "source_id": m.source_id,
             "merged_at": m.merged_at.isoformat(), "undone_at": m.undone_at.isoformat() if m.undone_at else None}
            for m in merges
        ],
        "plugins": plugins.call_by_plugin("payvand_customer_export", customer=customer),
    }


def erase_customer(session: Session, customer: Customer, actor: Actor, plugins: PluginManager) -> None:
    """Anonymise a customer across the core and plugins, keeping counts, dates and amounts.

    Plugins go first so one can veto (raise PluginError) before anything changes. Names,
    contacts, addresses, birthday, custom fields, interaction summaries and payloads go; the
    audit trail of this customer keeps its entries but loses the personal values in them.
    """
    plugins.call("payvand_customer_erase", customer=customer)
    cid = customer.id
    for model in (CustomerEmail, CustomerPhone, CustomerAddress):
        session.execute(sa.delete(model).where(model.customer_id == cid))
    session.execute(
        sa.update(Interaction).where(Interaction.customer_id == cid).values(summary="", payload={})
    )
    session.execute(
        sa.update(AuditLog)
        .where(AuditLog.object_type == "customer", AuditLog.object_id == str(cid))
        .values(before=ERASED, after=ERASED)
    )
    session.execute(
        sa.update(CustomerMerge)
        .where(sa.or_(CustomerMerge.target_id == cid, CustomerMerge.source_id == cid))
        .values(target_before=ERASED)
    )
    session.expire(customer)
    customer.given_name = customer.family_name = customer.organization_name = None
    customer.display_name = f"Erased customer #{cid}"
    customer.search_name = customer.search_name_alt = ""
    customer.birthday = None
    customer.attributes = {}
    customer.preferred_language = customer.preferred_channel = None
    customer.erased_at = utcnow()
    customer.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, "erase", "customer", cid, before=None, after=ERASED)
    events.emit(session, "payvand_customer_updated", [cid], {"changes": {cid: {"erased": [False, True]}}})
