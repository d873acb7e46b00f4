"""The audit log as a list of the list kit: newest first, keyset on (at, id).

Each filter combination is served by an index of `core_audit_log`: the user by (actor_id, at),
the object by (object_type, object_id, at), the object type alone by (object_type, at), the
action by (action, at); no filter (or dates only) walks (at) in order and stops after one page.
Dates are whole days in the deployment's time zone (pass `zone=` to `page`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from payvand.core.actor import SYSTEM
from payvand.core.listing import Column, Filter, ListContext, ListSpec, Sort, SortKey
from payvand.core.models import AuditLog

_LOG = AuditLog.__table__.c


def day_start(day: dt.date, zone: str) -> dt.datetime:
    """Midnight at the start of `day` in the time zone `zone`, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zoneinfo.ZoneInfo(zone))


def _from(value: dt.date, _operator: str, context: ListContext) -> Any:
    return _LOG.at >= day_start(value, context.extra.get("zone") or "UTC")


def _to(value: dt.date, _operator: str, context: ListContext) -> Any:
    return _LOG.at < day_start(value + dt.timedelta(days=1), context.extra.get("zone") or "UTC")


def _base(_context: ListContext) -> sa.Select[Any]:
    return sa.select(_LOG.id, _LOG.at, _LOG.actor_id, _LOG.actor_label, _LOG.action, _LOG.object_type,
                     _LOG.object_id, _LOG.before, _LOG.after)


#: The audit log: filters `actor` (a user id), `object_type`, `object_id`, `action`, `date_from`, `date_to`.
AUDIT = ListSpec(
    name="audit",
    model=AuditLog,
    columns=(
        Column("at", _l("When"), format="datetime", sortable=True),
        Column("actor_label", _l("User"), format="user_text"),
        Column("action", _l("Action")),
        Column("object_type", _l("Object type")),
        Column("object_id", _l("Object id"), format="user_text"),
    ),
    filters=(
        Filter("actor", "id", column=_LOG.actor_id, label=_l("User")),
        Filter("object_type", "text", column=_LOG.object_type, label=_l("Object type"), max_length=64),
        Filter("object_id", "text", column=_LOG.object_id, label=_l("Object id"), max_length=64),
        Filter("action", "text", column=_LOG.action, label=_l("Action"), max_length=32),
        Filter("date_from", "date", apply=_from, label=_l("From date")),
        Filter("date_to", "date", apply=_to, label=_l("To date")),
    ),
    sorts=(Sort("-at", (SortKey(_LOG.at, "at", "datetime", True), SortKey(_LOG.id, "id", "id", True)),
                _l("Newest first")),),
    base=_base,
)


def filtered_query(filters: Mapping[str, Any], zone: str) -> sa.Select[Any]:
    """The audit rows matching `filters` (the list kit's AUDIT), newest first, after the (at, id) in
    `after` when given (not yet limited)."""
    context = ListContext(None, SYSTEM, {"zone": zone})  # the audit log has no record rules: the page permission guards it
    query = AUDIT.select({k: v for k, v in filters.items() if k != "after"}, context)
    sort = AUDIT.sort(None)
    if filters.get("after"):
        query = query.where(sort.seek(list(filters["after"])))
    return query.order_by(*sort.order_by())
