"""Creating, changing and deleting customers, with audit entries and events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from payvand.core import audit, events
from payvand.core.audit import Actor
from payvand.core.db import MAX_ID, utcnow
from payvand.core.models import (
    Customer,
    CustomerAddress,
    CustomerConsent,
    CustomerEmail,
    CustomerKind,
    CustomerPhone,
    CustomerTag,
)
from payvand.core.normalize import fold

SCALAR_FIELDS = (
    "kind", "given_name", "family_name", "organization_name", "birthday", "preferred_language",
    "preferred_channel", "lifecycle_stage", "owner_id",
)

LOAD_ALL = (
    selectinload(Customer.emails),
    selectinload(Customer.phones),
    selectinload(Customer.addresses),
    selectinload(Customer.tags),
    selectinload(Customer.consents),
)


class StaleVersion(Exception):
    """The customer changed since the caller read it (optimistic concurrency)."""

    def __init__(self, current: int) -> None:
        super().__init__(f"customer is at version {current}")
        self.current = current


def names(kind: str, given: str | None, family: str | None, organization: str | None) -> tuple[str, str, str]:
    """Display name and the two folded search keys for a customer's names."""
    if kind == CustomerKind.organization.value:
        display = organization or ""
        return display, fold(display), fold(display)
    display = " ".join(p for p in (given, family) if p) or organization or ""
    alt = " ".join(p for p in (family, given) if p)
    return display, fold(display), fold(alt or display)


def get_customer(session: Session, customer_id: int, *, with_children: bool = True) -> Customer | None:
    """Load one customer with its child rows in a bounded number of queries."""
    if not 0 < customer_id <= MAX_ID:
        return None
    query = sa.select(Customer).where(Customer.id == customer_id)
    if with_children:
        query = query.options(*LOAD_ALL)
    return session.scalars(query).first()


def snapshot(customer: Customer) -> dict[str, Any]:
    """A JSON-ready picture of a customer for audit entries and change events."""
    data: dict[str, Any] = {f: getattr(customer, f) for f in SCALAR_FIELDS}
    if isinstance(data.get("birthday"), dt.date):
        data["birthday"] = data["birthday"].isoformat()
    data["emails"] = [e.email for e in customer.emails]
    data["phones"] = [p.number for p in customer.phones]
    data["addresses"] = [_address_dict(a) for a in customer.addresses]
    data["tags"] = customer.tag_names
    data["attributes"] = dict(customer.attributes or {})
    return data


def _address_dict(address: CustomerAddress) -> dict[str, Any]:
    return {k: getattr(address, k) for k in ("label", "line1", "line2", "city", "region", "postal_code", "country")}


def _apply(customer: Customer, data: dict[str, Any], *, source: str) -> None:
    for field in SCALAR_FIELDS:
        if field in data:
            setattr(customer, field, data[field])
    if "emails" in data:
        keep = {e.email: e for e in customer.emails}
        customer.emails = [
            _reuse(keep.get(item["value"]), CustomerEmail, email=item["value"], label=item.get("label"))
            for item in data["emails"]
        ]
    if "phones" in data:
        keep_p = {p.number: p for p in customer.phones}
        customer.phones = [
            _reuse(keep_p.get(item["value"]), CustomerPhone, number=item["value"], label=item.get("label"))
            for item in data["phones"]
        ]
    if "addresses" in data:
        customer.addresses = [CustomerAddress(**address) for address in data["addresses"]]
    if "tags" in data:
        existing = {t.tag: t for t in customer.tags}
        customer.tags = [existing.get(tag) or CustomerTag(tag=tag) for tag in data["tags"]]
    if "attributes" in data:
        merged = dict(customer.attributes or {})
        for key, value in data["attributes"].items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        customer.attributes = merged
    if "consents" in data:
        current = customer.current_consents()
        now = utcnow()
        for consent in data["consents"]:
            key = (consent["channel"], consent.get("purpose", "marketing"))
            latest = current.get(key)
            if latest is None or latest.granted != consent["granted"]:
                customer.consents.append(
                    CustomerConsent(
                        channel=key[0], purpose=key[1], granted=consent["granted"],
                        recorded_at=now, source=consent.get("source") or source,
                    )
                )
    display, search, alt = names(customer.kind, customer.given_name, customer.family_name, customer.organization_name)
    customer.display_name, customer.search_name, customer.search_name_alt = display, search, alt


def _reuse(existing: Any, cls: type, **values: Any) -> Any:
    if existing is not None:
        for key, value in values.items():
            setattr(existing, key, value)
        return existing
    return cls(**values)


def create_customer(session: Session, data: dict[str, Any], actor: Actor, *, source: str = "api") -> Customer:
    """Create a customer from validated input; audit it and queue `payvand_customer_created`."""
    customer = Customer(
        kind=data.get("kind", CustomerKind.person.value),
        attributes={},
        emails=[], phones=[], addresses=[], tags=[], consents=[],
    )
    _apply(customer, data, source=source)
    session.add(customer)
    session.flush()
    audit.record(session, actor, "create", "customer", customer.id, after=snapshot(customer))
    events.emit(session, "payvand_customer_created", [customer.id])
    return customer


def update_customer(
    session: Session,
    customer: Customer,
    data: dict[str, Any],
    actor: Actor,
    *,
    expected_version: int | None = None,
    source: str = "api",
) -> dict[str, list[Any]]:
    """Apply a validated partial change; return the changed fields as `{field: [old, new]}`.

    Raises StaleVersion when `expected_version` is given and the row has moved on; the
    version column also guards concurrent writers at the database (UPDATE ... WHERE version).
    """
    if expected_version is not None and expected_version != customer.version:
        raise StaleVersion(customer.version)
    before = snapshot(customer)
    consent_rows = len(customer.consents)
    _apply(customer, data, source=source)
    after = snapshot(customer)
    changes = audit.diff(before, after)
    if len(customer.consents) != consent_rows:
        changes["consents"] = [None, [
            {"channel": c.channel, "purpose": c.purpose, "granted": c.granted}
            for c in customer.consents[consent_rows:]
        ]]
    if not changes:
        return {}
    customer.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, "update", "customer", customer.id,
                 before={k: v[0] for k, v in changes.items()}, after={k: v[1] for k, v in changes.items()})
    events.emit(session, "payvand_customer_updated", [customer.id], {"changes": {customer.id: changes}})
    return changes


def delete_customer(session: Session, customer: Customer, actor: Actor) -> None:
    """Delete a customer with their child rows and interactions; audit it, queue the event."""
    audit.record(session, actor, "delete", "customer", customer.id, before=snapshot(customer))
    customer_id = customer.id
    session.delete(customer)
    session.flush()
    events.emit(session, "payvand_customer_deleted", [customer_id])


def load_customers(session: Session, ids: Sequence[int]) -> list[Customer]:
    """Load customers by id with their children, in the order given (missing ones skipped)."""
    rows = {c.id: c for c in session.scalars(sa.select(Customer).where(Customer.id.in_(ids)).options(*LOAD_ALL))}
    return [rows[i] for i in ids if i in rows]
