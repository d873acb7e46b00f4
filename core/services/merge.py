"""Merging duplicate customers, recording every moved row so that a merge can be undone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core import audit, events
from payvand.core.actor import Actor
from payvand.core.contracts import MovedRows
from payvand.core.db import MAX_ID, metadata, table_of, utcnow
from payvand.core.models import (
    Customer,
    CustomerAddress,
    CustomerConsent,
    CustomerEmail,
    CustomerMerge,
    CustomerPhone,
    CustomerTag,
    Interaction,
)
from payvand.core.plugins import PluginManager
from payvand.core.services.customers import names, snapshot

#: Fields of the target that a merge fills from the source when the target has none.
FILLABLE = ("given_name", "family_name", "organization_name", "birthday", "preferred_language", "preferred_channel",
            "timezone", "owner_id")

#: Keys of `CustomerMerge.target_before` next to the target's snapshot: what the merge added.
FILLED_KEY = "_filled"
ATTRIBUTES_KEY = "_attributes_added"
#: Key of `CustomerMerge.target_before`: the target's referrer when it was the source (cleared by the merge).
REFERRER_KEY = "_referrer_cleared"


class MergeError(ValueError):
    """A merge that cannot be done or undone (same customer, already merged, erased, ...)."""


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


#: Keys per UPDATE, well below SQLite's limit on bound parameters.
CHUNK = 5000


def _chunks(keys: list[Any]) -> list[list[Any]]:
    return [keys[i:i + CHUNK] for i in range(0, len(keys), CHUNK)]


def _move(session: Session, table: sa.Table, column: str, key: str, keys: list[Any], to: int) -> dict[str, Any] | None:
    if not keys:
        return None
    for chunk in _chunks(keys):
        session.execute(sa.update(table).where(table.c[key].in_(chunk)).values({column: to}))
    return {"table": table.name, "column": column, "key": key, "ids": keys}


def _check_mergeable(target: Customer, source: Customer) -> None:
    if target.id == source.id:
        raise MergeError("a customer cannot be merged into itself")
    for customer in (target, source):
        if customer.merged_into_id is not None:
            raise MergeError(f"customer {customer.id} was already merged into {customer.merged_into_id}")
        if customer.erased_at is not None:
            raise MergeError(f"customer {customer.id} is erased")


def _plugin_moves(plugins: PluginManager, target: Customer, source: Customer) -> list[dict[str, Any]]:
    """Let each plugin re-point its rows (or veto with PluginError); return what moved."""
    moves = []
    for moved in plugins.call("payvand_customer_merge", target=target, source=source):
        if not isinstance(moved, MovedRows) or not moved.ids:
            continue
        table = metadata.tables.get(moved.table)
        if table is None or moved.column not in table.c or moved.key not in table.c:
            raise MergeError(f"a plugin reported moving rows of {moved.table}.{moved.column}, which does not exist")
        moves.append({"table": moved.table, "column": moved.column, "key": moved.key, "ids": list(moved.ids)})
    return moves


def merge_customers(
    session: Session, target: Customer, source: Customer, actor: Actor, plugins: PluginManager
) -> CustomerMerge:
    """Merge `source` into `target`: move its history, contacts and plugin rows; keep an undo record.

    Plugins go first (`payvand_customer_merge`), so a veto (PluginError) comes before the
    core has moved anything; the caller rolls back on any exception. The source row stays,
    marked `merged_into_id`, so the merge can be undone and links to it still resolve.
    Emails and phones the target already has stay on the source.
    """
    _check_mergeable(target, source)
    target_before = snapshot(target)
    t_id, s_id = target.id, source.id
    moves = _plugin_moves(plugins, target, source)

    def ids_of(model: Any) -> list[Any]:
        return list(session.scalars(sa.select(model.id).where(model.customer_id == s_id).order_by(model.id)))

    have_emails = {e.email for e in target.emails}
    have_phones = {p.number for p in target.phones}
    have_tags = set(target.tag_names)
    plan = [
        (table_of(Interaction), "id", ids_of(Interaction)),
        (table_of(CustomerEmail), "id", [e.id for e in source.emails if e.email not in have_emails]),
        (table_of(CustomerPhone), "id", [p.id for p in source.phones if p.number not in have_phones]),
        (table_of(CustomerAddress), "id", ids_of(CustomerAddress)),
        (table_of(CustomerConsent), "id", ids_of(CustomerConsent)),
    ]
    for table, key, keys in plan:
        move = _move(session, table, "customer_id", key, keys, t_id)
        if move:
            moves.append(move)
    # The customers the source referred were referred by the merged person: re-point them (the
    # target itself excepted: it cannot refer itself).
    referred = list(session.scalars(sa.select(Customer.id).where(Customer.referred_by_id == s_id, Customer.id != t_id)
                                    .order_by(Customer.id)))
    move = _move(session, table_of(Customer), "referred_by_id", "id", referred, t_id)
    if move:
        moves.append(move)
    referrer_cleared = None
    if target.referred_by_id == s_id:
        referrer_cleared, target.referred_by_id = s_id, None
    new_tags = [t.tag for t in source.tags if t.tag not in have_tags]
    if new_tags:
        tag_table = table_of(CustomerTag)
        session.execute(sa.update(tag_table)
                        .where(tag_table.c.customer_id == s_id, tag_table.c.tag.in_(new_tags)).values(customer_id=t_id))
        moves.append({"table": tag_table.name, "column": "customer_id", "key": "tag", "ids": new_tags})

    filled: dict[str, Any] = {}
    for field in FILLABLE:
        if getattr(target, field) in (None, "") and getattr(source, field) not in (None, ""):
            setattr(target, field, getattr(source, field))
            filled[field] = _json_value(getattr(source, field))
    if target.referred_by_id is None and source.referred_by_id not in (None, t_id) and referrer_cleared is None:
        target.referred_by_id = filled["referred_by_id"] = source.referred_by_id
    added = {k: v for k, v in (source.attributes or {}).items() if k not in (target.attributes or {})}
    if added:
        target.attributes = {**(target.attributes or {}), **added}
    target.display_name, target.search_name, target.search_name_alt = names(
        target.kind, target.given_name, target.family_name, target.organization_name
    )
    source.merged_into_id = t_id
    now = utcnow()
    target.updated_at = source.updated_at = now
    record = CustomerMerge(
        target_id=t_id, source_id=s_id, moves=moves, merged_at=now, merged_by_id=actor.user_id,
        target_before={**target_before, FILLED_KEY: filled, ATTRIBUTES_KEY: added, REFERRER_KEY: referrer_cleared},
    )
    session.add(record)
    session.flush()
    session.expire(target)
    session.expire(source)
    audit.record(session, actor, "merge", "customer", t_id, before={"source_id": s_id},
                 after={"merge_id": record.id, "moved": moved_summary(moves), "filled": sorted(filled)})
    events.emit(session, "payvand_customer_updated", [t_id, s_id], {"changes": {
        t_id: {"merged_from": [None, s_id]}, s_id: {"merged_into_id": [None, t_id]}}})
    return record


def moved_summary(moves: list[dict[str, Any]]) -> dict[str, int]:
    """How many rows a merge moved, per table (a table moved by the core and a plugin adds up)."""
    summary: dict[str, int] = {}
    for move in moves:
        summary[move["table"]] = summary.get(move["table"], 0) + len(move["ids"])
    return summary


def undo_merge(session: Session, merge: CustomerMerge, actor: Actor) -> None:
    """Put every recorded row that is still on the target back on the source.

    Fields the merge filled on the target are emptied again unless they were changed since,
    and custom-field values it added are removed likewise. Refused (MergeError) when the
    merge was undone already, when either customer is erased, or when the target has since
    been merged into another customer (undo that merge first).
    """
    if merge.undone_at is not None:
        raise MergeError("this merge was already undone")
    target = session.get(Customer, merge.target_id)
    source = session.get(Customer, merge.source_id)
    if target is None or source is None:
        raise MergeError("a customer of this merge no longer exists")
    if target.erased_at is not None or source.erased_at is not None:
        raise MergeError("a customer of this merge is erased")
    if target.merged_into_id is not None:
        raise MergeError(f"customer {target.id} was merged into {target.merged_into_id} since; undo that merge first")
    for move in reversed(merge.moves):
        table = metadata.tables.get(move["table"])
        if table is None or move["column"] not in table.c or move["key"] not in table.c:
            continue
        column = table.c[move["column"]]
        for chunk in _chunks(move["ids"]):
            session.execute(
                sa.update(table)
                .where(table.c[move["key"]].in_(chunk), column == merge.target_id)
                .values({move["column"]: merge.source_id})
            )
    before = merge.target_before or {}
    for field, value in (before.get(FILLED_KEY) or {}).items():
        if field in (*FILLABLE, "referred_by_id") and _json_value(getattr(target, field)) == value:
            setattr(target, field, None)
    if before.get(REFERRER_KEY) is not None and target.referred_by_id is None:
        target.referred_by_id = before[REFERRER_KEY]
    added = before.get(ATTRIBUTES_KEY) or {}
    if added:
        attributes = dict(target.attributes or {})
        for key, value in added.items():
            if attributes.get(key) == value:
                attributes.pop(key)
        target.attributes = attributes
    target.display_name, target.search_name, target.search_name_alt = names(
        target.kind, target.given_name, target.family_name, target.organization_name
    )
    now = utcnow()
    target.updated_at = source.updated_at = now
    source.merged_into_id = None
    merge.undone_at = now
    session.flush()
    session.expire(target)
    session.expire(source)
    audit.record(session, actor, "unmerge", "customer", merge.target_id, before={"merge_id": merge.id},
                 after={"source_id": merge.source_id})
    ids = [merge.target_id, merge.source_id]
    events.emit(session, "payvand_customer_updated", ids, {"changes": {i: {"unmerged": [merge.id, None]} for i in ids}})


def get_merge(session: Session, merge_id: int) -> CustomerMerge | None:
    """The recorded merge with this id, or None."""
    return session.get(CustomerMerge, merge_id) if 0 < merge_id <= MAX_ID else None


def moving_rows(session: Session, source_id: int) -> dict[str, int]:
    """How many interactions, addresses and consent records of `source_id` a merge would move
    (one statement)."""
    counted = session.execute(sa.select(*(
        sa.select(sa.func.count()).select_from(model).where(model.customer_id == source_id)
        .scalar_subquery().label(label)
        for label, model in (("interactions", Interaction), ("addresses", CustomerAddress),
                             ("consents", CustomerConsent))
    ))).one()
    return dict(counted._mapping)
