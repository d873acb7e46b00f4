"""Creating, changing and deleting customers, with audit entries and events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, immediateload

from payvand.core import audit, events
from payvand.core.actor import Actor
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
    "preferred_channel", "timezone", "lifecycle_stage", "owner_id", "referred_by_id",
)

#: The same children for one customer: one plain query per collection as the row loads.
#: For a single parent this costs about half of `selectinload`'s machinery (see
#: benchmarks/read_paths.py); the customers event hooks receive are loaded with `selectinload`
#: (one query per collection, see `payvand.core.events`).
LOAD_ONE = tuple(
    immediateload(relation)
    for relation in (Customer.emails, Customer.phones, Customer.addresses, Customer.tags, Customer.consents)
)


#: Width of `display_name`, `search_name` and `search_name_alt`.
NAME_WIDTH = 250


class InvalidChange(ValueError):
    """A change that would leave the customer invalid; `fields` maps each field to messages."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))
        self.fields = fields


class CustomerInactive(Exception):
    """A merged-away or erased customer cannot be changed, nor have anything recorded on it.

    Every door (API, pages, CLI, SDK, import) gets this same error from the services; the API
    answers 409 `customer_inactive`, the pages a 409 or a form error. `merged_into_id` names
    the customer it was merged into (None when erased).
    """

    code = "customer_inactive"

    def __init__(self, customer_id: int, merged_into_id: int | None) -> None:
        self.customer_id = customer_id
        self.merged_into_id = merged_into_id
        self.erased = merged_into_id is None
        super().__init__(f"Customer {customer_id} is erased." if self.erased
                         else f"Customer {customer_id} was merged into {merged_into_id}.")


def is_active(customer: Any) -> bool:
    """False when `customer` (any object with `merged_into_id` and `erased_at`: an entity, a
    view or a row) was merged away or erased, so it can no longer be changed."""
    return customer.merged_into_id is None and customer.erased_at is None


def check_active(customer: Any) -> None:
    """Raise CustomerInactive when `customer` was merged away or erased (see `is_active`)."""
    if not is_active(customer):
        raise CustomerInactive(customer.id, customer.merged_into_id)


_STATES = sa.select(Customer.__table__.c.id, Customer.__table__.c.merged_into_id, Customer.__table__.c.erased_at).where(
    Customer.__table__.c.id.in_(sa.bindparam("ids", expanding=True)),
    sa.or_(Customer.__table__.c.merged_into_id.is_not(None), Customer.__table__.c.erased_at.is_not(None)))


def inactive_customers(session: Session, customer_ids: Iterable[int]) -> dict[int, CustomerInactive]:
    """Which of these customers were merged away or erased, each with the error a change of it
    raises; one primary-key query per thousand ids. Unknown ids are left to the foreign key."""
    ids = sorted({int(i) for i in customer_ids if 0 < int(i) <= MAX_ID})
    found: dict[int, CustomerInactive] = {}
    for start in range(0, len(ids), 1000):
        for row in session.connection().execute(_STATES, {"ids": ids[start:start + 1000]}):
            found[row.id] = CustomerInactive(row.id, row.merged_into_id)
    return found


def check_active_ids(session: Session, customer_ids: Iterable[int]) -> None:
    """Raise CustomerInactive for the first (lowest id) of these customers that was merged
    away or erased."""
    found = inactive_customers(session, customer_ids)
    if found:
        raise found[min(found)]


class StaleVersion(Exception):
    """The customer changed since the caller read it (optimistic concurrency)."""

    def __init__(self, current: int) -> None:
        super().__init__(f"customer is at version {current}")
        self.current = current


def names(kind: str, given: str | None, family: str | None, organization: str | None) -> tuple[str, str, str]:
    """Display name and the two folded search keys for a customer's names.

    Folding (NFKC) can lengthen text, so the keys are cut to the column width; a prefix
    search still finds the customer by any prefix that fits.
    """
    if kind == CustomerKind.organization.value:
        display = organization or ""
        key = fold(display)[:NAME_WIDTH]
        return display[:NAME_WIDTH], key, key
    display = " ".join(p for p in (given, family) if p) or organization or ""
    alt = " ".join(p for p in (family, given) if p)
    return display[:NAME_WIDTH], fold(display)[:NAME_WIDTH], fold(alt or display)[:NAME_WIDTH]


def name_problems(customer: Customer) -> dict[str, list[str]]:
    """What is missing for the customer's kind: a person needs a name, an organisation its name."""
    if customer.kind == CustomerKind.organization.value:
        if not customer.organization_name:
            return {"organization_name": ["An organisation needs a name."]}
    elif not (customer.given_name or customer.family_name):
        return {"family_name": ["Give a given name or a family name."]}
    return {}


def get_customer(session: Session, customer_id: int, *, with_children: bool = True) -> Customer | None:
    """Load one customer with its child rows in a bounded number of queries."""
    if not 0 < customer_id <= MAX_ID:
        return None
    query = sa.select(Customer).where(Customer.id == customer_id)
    if with_children:
        query = query.options(*LOAD_ONE)
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


#: How far up the referral chain a new referrer is checked for a loop.
REFERRAL_DEPTH = 64


def referrer_problems(session: Session, customer_id: int | None, referrer_id: int | None) -> dict[str, list[str]]:
    """Why `referrer_id` cannot be the referrer of `customer_id` (None: a new customer), as field
    messages under `referred_by_id`; empty when it can (or when it is None).

    The referrer must exist and be active (not merged away, not erased), must not be the
    customer itself and must not have been referred, directly or down the chain, by the
    customer (a loop): one recursive query up the referrer's chain.
    """
    if referrer_id is None:
        return {}
    if referrer_id == customer_id:
        return {"referred_by_id": ["A customer cannot refer themselves."]}
    row = session.execute(sa.select(Customer.merged_into_id, Customer.erased_at).where(Customer.id == referrer_id)).first()
    if row is None:
        return {"referred_by_id": [f"There is no customer {referrer_id}."]}
    if row.merged_into_id is not None or row.erased_at is not None:
        return {"referred_by_id": ["The referrer was merged away or erased; choose an active customer."]}
    if customer_id is not None:
        table = Customer.__table__
        chain = sa.select(table.c.referred_by_id.label("id"), sa.literal(1).label("depth")).where(
            table.c.id == referrer_id).cte("chain", recursive=True)
        chain = chain.union_all(
            sa.select(table.c.referred_by_id, chain.c.depth + 1).join(chain, table.c.id == chain.c.id)
            .where(chain.c.depth < REFERRAL_DEPTH))
        if session.execute(sa.select(chain.c.id).where(chain.c.id == customer_id).limit(1)).first():
            return {"referred_by_id": ["That customer was referred through this one: a referral loop."]}
    return {}


def create_customer(session: Session, data: dict[str, Any], actor: Actor, *, source: str = "api") -> Customer:
    """Create a customer from validated input; audit it and queue `payvand_customer_created`.

    Raises InvalidChange when `referred_by_id` names no active customer."""
    problems = referrer_problems(session, None, data.get("referred_by_id"))
    if problems:
        raise InvalidChange(problems)
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
    version column also guards concurrent writers at the database (UPDATE ... WHERE version,
    raising SQLAlchemy's StaleDataError). Raises InvalidChange when the result would have no
    name, and CustomerInactive when the customer was merged away or erased; the caller rolls
    the session back after any of them.
    """
    check_active(customer)
    if expected_version is not None and expected_version != customer.version:
        raise StaleVersion(customer.version)
    if data.get("referred_by_id") is not None and data["referred_by_id"] != customer.referred_by_id:
        problems = referrer_problems(session, customer.id, data["referred_by_id"])
        if problems:
            raise InvalidChange(problems)
    before = snapshot(customer)
    consent_rows = len(customer.consents)
    _apply(customer, data, source=source)
    problems = name_problems(customer)
    if problems:
        raise InvalidChange(problems)
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


#: Customers tagged per statement by `tag_customers`.
TAG_CHUNK = 1000


def tag_customers(session: Session, customer_ids: sa.Select[Any], tag: str, actor: Actor) -> int:
    """Give `tag` to the active customers among `customer_ids` (a select of ids) who lack it.

    The ids are read once, then tags and audit entries go in by executemany per chunk and one
    `payvand_customer_updated` event is queued for them all; returns how many were tagged.
    Raises InvalidChange for an empty tag, one longer than 64 characters or one with `|`.
    """
    tag = tag.strip()
    if not tag or len(tag) > 64 or "|" in tag:
        raise InvalidChange({"tag": ["Give a tag of 1 to 64 characters without |."]})
    wanted = customer_ids.subquery("wanted")
    query = (sa.select(Customer.id).join(wanted, wanted.c[wanted.c.keys()[0]] == Customer.id)
             .where(Customer.merged_into_id.is_(None), Customer.erased_at.is_(None),
                    ~sa.exists().where(CustomerTag.customer_id == Customer.id, CustomerTag.tag == tag))
             .order_by(Customer.id).distinct())
    ids = list(session.scalars(query))
    if not ids:
        return 0
    from payvand.core.models import AuditLog

    label = actor.label if actor.token_id is None else f"{actor.label} (token {actor.token_id})"
    for start in range(0, len(ids), TAG_CHUNK):
        part = ids[start:start + TAG_CHUNK]
        session.execute(sa.insert(CustomerTag), [{"customer_id": cid, "tag": tag} for cid in part])
        session.execute(sa.insert(AuditLog), [
            {"actor_id": actor.user_id, "actor_label": label, "action": "update", "object_type": "customer",
             "object_id": str(cid), "before": {"tags_added": None}, "after": {"tags_added": [tag]}} for cid in part])
    events.emit(session, "payvand_customer_updated", ids,
                {"changes": {cid: {"tags_added": [None, [tag]]} for cid in ids}})
    return len(ids)


def consent_history(session: Session, customer_id: int) -> list[CustomerConsent]:
    """Every consent decision of the customer, newest first."""
    return list(session.scalars(
        sa.select(CustomerConsent).where(CustomerConsent.customer_id == customer_id)
        .order_by(CustomerConsent.recorded_at.desc(), CustomerConsent.id.desc())))


def merged_into_ids(session: Session, customer_id: int) -> list[int]:
    """Ids of the customers merged into `customer_id`, directly or through other merges."""
    found: list[int] = []
    frontier = [customer_id]
    while frontier:
        rows = [r for r in session.scalars(sa.select(Customer.id).where(Customer.merged_into_id.in_(frontier)))
                if r not in found and r != customer_id]
        found.extend(rows)
        frontier = rows
    return found


def delete_customer(session: Session, customer: Customer, actor: Actor) -> list[int]:
    """Delete a customer with their child rows and interactions; audit it, queue the event.

    Customers merged into this one are the same person and are deleted with it (otherwise
    they would come back as empty duplicates). Returns the ids deleted.
    """
    doomed = [customer] + [c for c in (get_customer(session, i) for i in merged_into_ids(session, customer.id)) if c]
    ids = [c.id for c in doomed]
    for each in doomed:
        audit.record(session, actor, "delete", "customer", each.id, before=snapshot(each))
        session.delete(each)
    session.flush()
    events.emit(session, "payvand_customer_deleted", ids)
    return ids


# --------------------------------------------------------------------------- read views


class CustomerView:
    """A customer read for output only: its columns as attributes and its child rows as lists.

    `CustomerOut` dumps it exactly as it dumps a `Customer` (the computed properties are the
    model's own), but it is loaded with plain Core statements, several times cheaper than ORM
    entities on the hot read paths (see benchmarks/read_paths.py). It is detached from any
    session: to change a customer, load the entity with `get_customer`.
    """

    primary_email = Customer.primary_email
    primary_phone = Customer.primary_phone
    tag_names = Customer.tag_names
    current_consents = Customer.current_consents
    has_consent = Customer.has_consent

    if TYPE_CHECKING:  # the columns of `Customer`, set from the row by __init__
        id: int
        kind: str
        given_name: str | None
        family_name: str | None
        organization_name: str | None
        display_name: str
        search_name: str
        search_name_alt: str
        birthday: dt.date | None
        preferred_language: str | None
        preferred_channel: str | None
        timezone: str | None
        lifecycle_stage: str
        owner_id: int | None
        referred_by_id: int | None
        attributes: dict[str, Any]
        merged_into_id: int | None
        erased_at: dt.datetime | None
        created_at: dt.datetime
        updated_at: dt.datetime
        version: int

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
        self.emails: list[Any] = []
        self.phones: list[Any] = []
        self.addresses: list[Any] = []
        self.tags: list[Any] = []
        self.consents: list[Any] = []


#: For each of the view's lists: the statement reading it for a set of customers, in the
#: order of the model's relationship. Built once; executed with `ids`.
_VIEW_CHILDREN = tuple(
    (attribute, sa.select(model.__table__)
     .where(model.__table__.c.customer_id.in_(sa.bindparam("ids", expanding=True)))
     .order_by(model.__table__.c.customer_id, order))
    for model, attribute, order in (
        (CustomerEmail, "emails", CustomerEmail.__table__.c.id),
        (CustomerPhone, "phones", CustomerPhone.__table__.c.id),
        (CustomerAddress, "addresses", CustomerAddress.__table__.c.id),
        (CustomerTag, "tags", CustomerTag.__table__.c.tag),
        (CustomerConsent, "consents", CustomerConsent.__table__.c.id),
    )
)
_VIEW_ONE = sa.select(Customer.__table__).where(Customer.__table__.c.id == sa.bindparam("id"))
_EXISTS = sa.select(Customer.__table__.c.id).where(Customer.__table__.c.id == sa.bindparam("id"))


def _views(session: Session, rows: Sequence[sa.Row[Any]]) -> list[CustomerView]:
    views = [CustomerView(row._asdict()) for row in rows]
    if views:
        by_id = {view.id: view for view in views}
        ids = list(by_id)
        connection = session.connection()
        for attribute, statement in _VIEW_CHILDREN:
            for child in connection.execute(statement, {"ids": ids}):
                getattr(by_id[child.customer_id], attribute).append(_Row(child._asdict()))
    return views


def read_customers(session: Session, query: sa.Select[Any]) -> list[CustomerView]:
    """Run a `select(Customer)` query (filters, order, limit) for output, children included.

    One statement for the customers and one per child table, whatever the page size.
    """
    rows = session.connection().execute(query.with_only_columns(*Customer.__table__.columns)).all()
    return _views(session, rows)


def customer_exists(session: Session, customer_id: int) -> bool:
    """True when a customer row has this id (merged and erased ones included)."""
    if not 0 < customer_id <= MAX_ID:
        return False
    return session.connection().execute(_EXISTS, {"id": customer_id}).first() is not None


def read_customer(session: Session, customer_id: int) -> CustomerView | None:
    """One customer for output (see `read_customers`), or None when there is no such id."""
    if not 0 < customer_id <= MAX_ID:
        return None
    found = _views(session, session.connection().execute(_VIEW_ONE, {"id": customer_id}).all())
    return found[0] if found else None


class _Row:
    """A child row with attribute access (email.email, consent.channel, ...)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
