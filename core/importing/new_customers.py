"""Creating many customers at once in the caller's transaction: the bulk path of plugins' imports.

`create_customer` (one ORM object, flush, audit entry and event per customer) costs a few
milliseconds each; an import that meets thousands of unknown customers (the sales plugin's
order history) creates them here instead: names cleaned and folded as the core's customer
import does them (`customer_names`), ids reserved in one statement, the customers and their
emails and phones written through the same compiled bulk inserts (`COPY` on PostgreSQL,
multi-row INSERTs on SQLite), one audit entry and one `payvand_customer_created` event for
the whole set. Invalid items are answered with a reason instead of an id; nothing is merged
or deduplicated (the caller has looked its keys up).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core import audit, events
from payvand.core.actor import Actor
from payvand.core.db import utcnow
from payvand.core.importing.records import NAME_LIMITS, customer_names
from payvand.core.importing.tables import ImportTables, allocate_ids, insert_returning_ids
from payvand.core.locks import transaction_lock
from payvand.core.models import CustomerKind, LifecycleStage
from payvand.core.normalize import NormalizationError, clean_text, normalize_email, normalize_phone

#: The keys an item may have (the others are refused: a typo must not drop data silently).
KEYS = frozenset({"kind", "given_name", "family_name", "organization_name", "emails", "phones", "lifecycle_stage"})
_KINDS = frozenset(kind.value for kind in CustomerKind)
_STAGES = frozenset(stage.value for stage in LifecycleStage)
#: The SQLite write lock is taken under this name (PostgreSQL ids come from the sequence: no lock).
LOCK = "payvand.core.customers.bulk"


@functools.lru_cache(maxsize=8)
def _tables(dialect: sa.Dialect) -> ImportTables:
    return ImportTables(dialect)


def _cleaned(item: Mapping[str, Any], region: str) -> tuple[str, str | None, str | None, str | None, str,
                                                            list[str], list[str]]:
    """The item's kind, names, stage, emails and phones, cleaned; ValueError with the reason when invalid."""
    unknown = set(item) - KEYS
    if unknown:
        raise TypeError(f"unknown customer keys: {', '.join(sorted(unknown))}")
    kind = item.get("kind") or CustomerKind.person.value
    if kind not in _KINDS:
        raise ValueError(f"kind: unknown kind {kind!r}")
    names: dict[str, str | None] = {}
    for field, limit in NAME_LIMITS.items():
        raw = item.get(field)
        value = clean_text(raw) if raw else None
        if value is not None and len(value) > limit:
            raise ValueError(f"{field}: longer than {limit} characters")
        names[field] = value
    if kind == CustomerKind.organization.value and not names["organization_name"]:
        raise ValueError("organization_name: an organisation needs a name")
    if kind == CustomerKind.person.value and not (names["given_name"] or names["family_name"]):
        raise ValueError("family_name: give a given name or a family name")
    stage = item.get("lifecycle_stage") or LifecycleStage.prospect.value
    if stage not in _STAGES:
        raise ValueError(f"lifecycle_stage: unknown stage {stage!r}")
    try:
        emails = list(dict.fromkeys(normalize_email(e) for e in item.get("emails") or ()))
    except NormalizationError:
        raise ValueError("emails: not a valid email address") from None
    try:
        phones = list(dict.fromkeys(normalize_phone(p, region) for p in item.get("phones") or ()))
    except NormalizationError:
        raise ValueError("phones: not a valid phone number") from None
    return kind, names["given_name"], names["family_name"], names["organization_name"], stage, emails, phones


def create_customers(session: Session, items: Sequence[Mapping[str, Any]], actor: Actor, *, source: str,
                     region: str) -> list[int | str]:
    """Create a customer per item in `session`'s transaction; per item its new id or why it was refused.

    Items are mappings of `KEYS` (names, `kind`, `lifecycle_stage` — prospect by default —,
    `emails` and `phones` as text, phones read in `region`). One audit entry (action
    `import`, the ids and `source`) and one `payvand_customer_created` event cover the
    created customers. Flushes the session first (the rows are written on its connection).
    """
    results: list[int | str] = []
    good: list[tuple[int, tuple[str, str | None, str | None, str | None, str, list[str], list[str]]]] = []
    for index, item in enumerate(items):
        try:
            good.append((index, _cleaned(item, region)))
            results.append("")
        except ValueError as exc:
            results.append(str(exc))
    if not good:
        return results
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "sqlite":  # new ids come from max(id): hold the write lock first
        transaction_lock(connection, LOCK)
    tables = _tables(connection.dialect)
    now = utcnow()
    stamp = tables.timestamp(now)
    rows = [(kind, given, family, org, *customer_names(kind, given, family, org), None, None, None, None, stage,
             tables.empty_attributes, stamp, stamp, 1)
            for _, (kind, given, family, org, stage, _e, _p) in good]
    ids = allocate_ids(connection, len(rows))
    if ids is None:
        columns = tables.customer.columns[1:]
        ids = insert_returning_ids(connection, [dict(zip(columns, row, strict=True)) for row in rows])
    else:
        tables.customer.run(connection, [(new_id, *row) for new_id, row in zip(ids, rows, strict=True)])
    pairs = list(zip(ids, (cleaned for _, cleaned in good), strict=True))
    tables.email.run(connection, [(cid, email, None) for cid, cleaned in pairs for email in cleaned[5]])
    tables.phone.run(connection, [(cid, phone, None) for cid, cleaned in pairs for phone in cleaned[6]])
    for (index, _), new_id in zip(good, ids, strict=True):
        results[index] = new_id
    contiguous = ids[-1] - ids[0] == len(ids) - 1
    audit.record(session, actor, "import", "customer", None,
                 after={"count": len(ids), "ids": [ids[0], ids[-1]] if contiguous else ids, "id_range": contiguous,
                        "source": source})
    events.emit(session, "payvand_customer_created", ids)
    return results
