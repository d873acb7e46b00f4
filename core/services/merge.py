"""Merging duplicate customers, recording every moved row so that a merge can be undone."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core import audit, events
from payvand.core.audit import Actor
from payvand.core.contracts import MovedRows
from payvand.core.db import metadata, utcnow
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
from payvand.core.services.customers import SCALAR_FIELDS, names, snapshot

FILLABLE = ("given_name", "family_name", "organization_name", "birthday", "preferred_language", "preferred_channel", "owner_id")


class MergeError(ValueError):
    """A merge that cannot be done (same customer, already merged, erased)."""


def _move(session: Session, table: sa.Table, column: str, key: str, keys: list[Any], to: int) -> dict[str, Any] | None:
    if not keys:
        return None
    session.execute(sa.update(table).where(table.c[key].in_(keys)).values({column: to}))
    return {"table": table.name, "column": column, "key": key, "ids": keys}


def merge_customers(
    session: Session, target: Customer, source: Customer, actor: Actor, plugins: PluginManager
) -> CustomerMerge:
    """Merge `source` into `target`: move its history, contacts and plugin rows; keep an undo record.

    The source row stays, marked `merged_into_id`, so the merge can be undone and links to it
    still resolve. Plugins move their rows through `payvand_customer_merge` (and may veto).
    """
    if target.id == source.id:
        raise MergeError("a customer cannot be merged into itself")
    for customer in (target, source):
        if customer.merged_into_id is not None:
            raise MergeError(f"customer {customer.id} was already merged into {customer.merged_into_id}")
        if customer.erased_at is not None:
            raise MergeError(f"customer {customer.id} is erased")
    target_before = snapshot(target)
    moves: list[dict[str, Any]] = []
    t_id, s_id = target.id, source.id

    def ids_of(model: Any, *extra: Any) -> list[Any]:
        return list(session.scalars(sa.select(model.id).where(model.customer_id == s_id, *extra)))

    have_emails = {e.email for e in target.emails}
    have_phones = {p.number for p in target.phones}
    have_tags = set(target.tag_names)
    plan = [
        (Interaction.__table__, "id", ids_of(Interaction)),
        (CustomerEmail.__table__, "id", [e.id for e in source.emails if e.email not in have_emails]),
        (CustomerPhone.__table__, "id", [p.id for p in source.phones if p.number not in have_phones]),
        (CustomerAddress.__table__, "id", ids_of(CustomerAddress)),
        (CustomerConsent.__table__, "id", ids_of(CustomerConsent)),
    ]
    for table, key, keys in plan:
        move = _move(session, table, "customer_id", key, keys, t_id)
        if move:
            moves.append(move)
    new_tags = [t.tag for t in source.tags if t.tag not in have_tags]
    if new_tags:
        tag_table = CustomerTag.__table__
        session.execute(sa.update(tag_table).where(tag_table.c.customer_id == s_id, tag_table.c.tag.in_(new_tags)).values(customer_id=t_id))
        moves.append({"table": tag_table.name, "column": "customer_id", "key": "tag", "ids": new_tags, "scope": s_id})

    filled = {}
    for field in FILLABLE:
        if getattr(target, field) in (None, "") and getattr(source, field) not in (None, ""):
            setattr(target, field, getattr(source, field))
            filled[field] = getattr(source, field)
    merged_attrs = {**(source.attributes or {}), **(target.attributes or {})}
    if merged_attrs != (target.attributes or {}):
        target.attributes = merged_attrs
    target.display_name, target.search_name, target.search_name_alt = names(
        target.kind, target.given_name, target.family_name, target.organization_name
    )

    for moved in plugins.call("payvand_customer_merge", target=target, source=source):
        if isinstance(moved, MovedRows) and moved.ids:
            if moved.table not in metadata.tables:
                continue
            moves.append({"table": moved.table, "column": moved.column, "key": moved.key, "ids": list(moved.ids)})

    source.merged_into_id = t_id
    target.updated_at = utcnow()
    record = CustomerMerge(target_id=t_id, source_id=s_id, moves=moves, target_before=target_before, merged_by_id=actor.user_id)
    session.add(record)
    session.flush()
    session.expire(target)
    session.expire(source)
    summary = {m["table"]: len(m["ids"]) for m in moves}
    audit.record(session, actor, "merge", "customer", t_id, before={"source_id": s_id},
                 after={"merge_id": record.id, "moved": summary, "filled": sorted(filled)})
    events.emit(session, "payvand_customer_updated", [t_id], {"changes": {t_id: {"merged_from": [None, s_id]}}})
    events.emit(session, "payvand_customer_updated", [s_id], {"changes": {s_id: {"merged_into_id": [None, t_id]}}})
    return record


def undo_merge(session: Session, merge: CustomerMerge, actor: Actor) -> None:
    """Put every recorded row back on the source customer and restore the target's fields."""
    if merge.undone_at is not None:
        raise MergeError("this merge was already undone")
    for move in reversed(merge.moves):
        table = metadata.tables.get(move["table"])
        if table is None or move["column"] not in table.c or move["key"] not in table.c:
            continue
        condition = table.c[move["key"]].in_(move["ids"])
        if move.get("scope") is not None:
            condition = sa.and_(condition, table.c[move["column"]] == merge.target_id)
        session.execute(sa.update(table).where(condition).values({move["column"]: merge.source_id}))
    target = session.get(Customer, merge.target_id)
    source = session.get(Customer, merge.source_id)
    if target is not None:
        before = merge.target_before or {}
        for field in FILLABLE:
            if field in before and field in SCALAR_FIELDS:
                value = before[field]
                if field == "birthday" and isinstance(value, str):
                    import datetime as dt

                    value = dt.date.fromisoformat(value)
                setattr(target, field, value)
        if "attributes" in before:
            target.attributes = before["attributes"]
        target.display_name, target.search_name, target.search_name_alt = names(
            target.kind, target.given_name, target.family_name, target.organization_name
        )
        target.updated_at = utcnow()
    if source is not None:
        source.merged_into_id = None
    merge.undone_at = utcnow()
    session.flush()
    audit.record(session, actor, "unmerge", "customer", merge.target_id, before={"merge_id": merge.id}, after={"source_id": merge.source_id})
    ids = [i for i in (merge.target_id, merge.source_id)]
    events.emit(session, "payvand_customer_updated", ids, {"changes": {i: {"unmerged": [merge.id, None]} for i in ids}})
