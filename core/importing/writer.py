"""Writing one batch of records: dedupe, insert the new customers, merge or skip duplicates.

A batch is one transaction: the set-based owner lookups, the inserts of customers and their
emails, phones, tags and consents, the updates of merged customers, one audit entry and one
outbox event per event hook, then commit.

Imports may run at the same time (two web processes, a worker, the CLI). Each batch first
takes the import lock (`payvand.core.locks.transaction_lock`, `IMPORT_LOCK`: a PostgreSQL
advisory lock held to the commit; SQLite's write lock), then catches its key filter up with
the keys other imports committed (`KeyIndex.catch_up`), looks the batch's keys up and writes.
So the check (is this email or phone known?) and the insert of a new person are never
separated by another import's insert: batches of concurrent imports take turns, and a person
two files share is created once and merged into by the other. A dry run writes nothing and
takes no lock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Callable
from typing import Any, Self, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from payvand.core import audit, events
from payvand.core.actor import Actor
from payvand.core.db import json_dumps, table_of, utcnow
from payvand.core.importing.keys import KeyIndex
from payvand.core.importing.records import Address, Record, add_addresses, customer_names
from payvand.core.importing.referrers import ReferrerStage, Resolution
from payvand.core.importing.tables import (
    COPY_NULL,
    ImportTables,
    address_dict,
    addresses_by_customer,
    allocate_ids,
    among,
    children_by_customer,
    copy_value,
    insert_returning_ids,
    owners,
    sequence_ids,
)
from payvand.core.locks import transaction_lock
from payvand.core.models import (
    Customer,
    CustomerEmail,
    CustomerPhone,
    LifecycleStage,
)

log = logging.getLogger(__name__)

DEFAULT_STAGE = LifecycleStage.prospect.value
#: The lock every customer import batch holds while it dedupes and writes (see the module doc).
IMPORT_LOCK = "payvand.core.import.customers"
#: Connection settings for the duration of an import on SQLite: a 64 MB page cache keeps the
#: growing indexes in memory, and rarer WAL checkpoints write each page once per many batches.
SQLITE_IMPORT_PRAGMAS = {"cache_size": -65536, "wal_autocheckpoint": 10000}
#: PostgreSQL: new customer ids are reserved for this many batches at a time (`BatchWriter._new_ids`).
ID_BLOCK = 8
_FILLABLE = (
    ("given", "given_name"),
    ("family", "family_name"),
    ("org", "organization_name"),
    ("birthday", "birthday"),
    ("lang", "preferred_language"),
    ("channel", "preferred_channel"),
    ("tz", "timezone"),
)


#: A character COPY's text format must escape (or the id stand-in \\x01): `copy_text`'s check.
_COPY_SPECIAL = re.compile(r"[\\\t\n\r\x01]")


class ConcurrentChange(RuntimeError):
    """A customer to merge into changed while the batch ran; the batch is retried."""


@dataclasses.dataclass
class BatchOutcome:
    """What one batch did: new ids, rows merged (line, customer id or None), rows skipped."""

    inserted_ids: list[int] = dataclasses.field(default_factory=list)
    inserted_lines: list[int] = dataclasses.field(default_factory=list)
    merged: list[tuple[int, int | None]] = dataclasses.field(default_factory=list)
    skipped: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    changes: dict[int, dict[str, list[Any]]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class _Plan:
    new: list[Record]
    merges: dict[int, list[Record]]
    outcome: BatchOutcome
    #: Rows merged or skipped that carry an external id or a referrer, with their target.
    linked: list[tuple[Record, int]] = dataclasses.field(default_factory=list)


class BatchWriter:
    """Writes batches for one import run (one connection, one duplicate policy).

    Use as a context manager: it holds one database connection for the whole run (tuned for
    bulk work on SQLite, restored afterwards); each batch is a session on that connection.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        on_duplicate: str = "merge",
        dry_run: bool = False,
        actor: Actor = audit.SYSTEM,
        source: str = "import",
        file_bytes: int | None = None,
        referrers: ReferrerStage | None = None,
    ) -> None:
        self.factory = factory
        #: Where the rows' external ids and referrers go, to be resolved after the last batch.
        self.referrers = referrers
        self.merge = on_duplicate == "merge"
        self.dry_run = dry_run
        self.actor = actor
        self.source = source
        self.keys = KeyIndex(dry_run=dry_run, file_bytes=file_bytes)
        self.connection: Connection | None = None
        self._restore: dict[str, Any] = {}
        self._tables: ImportTables | None = None
        self._id_pool: list[int] = []

    def __enter__(self) -> Self:
        with self.factory() as probe:
            engine = probe.get_bind()
        self.connection = engine.connect()  # type: ignore[union-attr]
        if self.connection.dialect.name == "sqlite":
            for name, value in SQLITE_IMPORT_PRAGMAS.items():
                self._restore[name] = self.connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                self.connection.exec_driver_sql(f"PRAGMA {name} = {int(value)}")
            self.connection.commit()
        self._tables = ImportTables(self.connection.dialect)
        if self.referrers is not None:
            self.referrers.create(self.connection)
        return self

    @property
    def copies(self) -> bool:
        """Whether new customers go in as COPY text (PostgreSQL): the reader may then build it (`with_copy_text`)."""
        return self._tables is not None and self._tables.customer.copies

    def __exit__(self, *exc: object) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                connection.rollback()
            if self.referrers is not None:
                try:
                    self.referrers.drop(connection)
                except sa.exc.SQLAlchemyError:  # the connection is gone (and its temporary tables with it)
                    log.warning("could not drop the import's referrer tables", exc_info=True)
            for name, value in self._restore.items():
                connection.exec_driver_sql(f"PRAGMA {name} = {int(value)}")
            connection.commit()
        finally:
            connection.close()

    def write(self, records: list[Record]) -> BatchOutcome:
        """Process one batch in one transaction; raise (and roll back) on a database error."""
        if self.connection is None:
            raise RuntimeError("use BatchWriter as a context manager")
        session = self.factory(bind=self.connection)
        try:
            connection = session.connection()
            if not self.dry_run:  # held to the commit: no other import writes between lookup and insert
                transaction_lock(connection, IMPORT_LOCK)
            self.keys.preload(connection)
            self.keys.catch_up(connection)
            emails = [e for r in records for e in r.emails]
            phones = [p for r in records for p, _ in r.phones]
            # Two IN-list statements: one statement with an array per kind (a UNION ALL of two GROUP BY lookups)
            # was measured to double the database's CPU of the whole import (benchmarks/README.md).
            email_owner = owners(
                connection, table_of(CustomerEmail).c.email, self.keys.candidates(emails)
            )
            phone_owner = owners(
                connection, table_of(CustomerPhone).c.number, self.keys.candidates(phones)
            )
            plan = self._plan(records, email_owner, phone_owner)
            if self.dry_run:
                self.keys.add(emails)
                self.keys.add(phones)
                plan.outcome.inserted_lines = [r.line for r in plan.new]
                session.rollback()
                if self.referrers is not None:  # the temporary tables only, for the check at the end
                    if not connection.in_transaction():  # COPY goes to the driver: begin here, so commit commits it
                        connection.begin()
                    self.referrers.add_check(connection, records)
                    connection.commit()
                return plan.outcome
            now = utcnow()
            self._insert_new(connection, plan, now)
            if plan.merges:
                self._apply_merges(connection, plan, now)
            if self.referrers is not None:
                self._stage_referrers(connection, plan)
            self._record(session, plan.outcome, records)
            self.keys.settle(connection)
            session.commit()
            self.keys.add(emails)  # rows merged or skipped add keys already known: harmless
            self.keys.add(phones)
            return plan.outcome
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def resolve_referrers(self) -> Resolution:
        """Set the staged referrers after the last batch, in one transaction under the import lock
        (a dry run only checks them: `ReferrerStage.check`)."""
        if self.connection is None:
            raise RuntimeError("use BatchWriter as a context manager")
        if self.referrers is None:
            return Resolution()
        session = self.factory(bind=self.connection)
        try:
            if self.dry_run:
                result = self.referrers.check(session)
                session.rollback()
                return result
            transaction_lock(session.connection(), IMPORT_LOCK)
            result = self.referrers.resolve(session, self.actor, self.source, utcnow())
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    # ------------------------------------------------------------------ dedupe

    def _plan(
        self, records: list[Record], email_owner: dict[str, int], phone_owner: dict[str, int]
    ) -> _Plan:
        """Decide per record: new customer, merge into a target, or skip.

        Targets are database ids (> 0), new records of this batch (-1, -2, ...) or, in a dry
        run, 0 for "an earlier batch's row".
        """
        new: list[Record] = []
        merges: dict[int, list[Record]] = {}
        outcome = BatchOutcome()
        claimed: dict[str, int] = {}
        plan_links: list[tuple[Record, int]] = []
        dry_seen = self.keys.seen_before if self.dry_run else None
        # A record none of whose keys another record of the batch shares or the database holds is
        # new, and nothing else will look its keys up in `claimed`: decided without the loop below.
        counts = Counter(e for r in records for e in r.emails)
        counts.update(p for r in records for p, _ in r.phones)
        hot = {key for key, count in counts.items() if count > 1}
        hot.update(email_owner, phone_owner)
        for record in records:
            if dry_seen is None and hot.isdisjoint(record.emails):
                phones = record.phones
                if not phones or (phones[0][0] not in hot if len(phones) == 1
                                  else hot.isdisjoint([p for p, _ in phones])):
                    new.append(record)
                    continue
            target: int | None = None
            for email in record.emails:
                target = claimed.get(email, email_owner.get(email))
                if target is not None:
                    break
            if target is None:
                for number, _ in record.phones:
                    target = claimed.get(number, phone_owner.get(number))
                    if target is not None:
                        break
            if target is None and dry_seen is not None and any(dry_seen(k) for k in record.keys):
                target = 0
            if target is None:
                new.append(record)
                position = -len(new)
                for email in record.emails:
                    claimed[email] = position
                for number, _ in record.phones:
                    claimed[number] = position
                continue
            if record.ext is not None or record.ref is not None:
                plan_links.append((record, target))
            if not self.merge:
                outcome.skipped.append((record.line, self._describe(target, new)))
                continue
            self._drop_foreign_contacts(record, target, claimed, email_owner, phone_owner)
            for key in record.keys:
                claimed.setdefault(key, target)
            if target < 0:
                new[-target - 1].absorb(record)
            elif target > 0:
                merges.setdefault(target, []).append(record)
            outcome.merged.append((record.line, target if target > 0 else None))
        return _Plan(new, merges, outcome, plan_links)

    @staticmethod
    def _describe(target: int, new: list[Record]) -> str:
        if target > 0:
            return f"duplicate of customer #{target}"
        if target < 0:
            return f"duplicate of line {new[-target - 1].line}"
        return "duplicate of an earlier row"

    @staticmethod
    def _drop_foreign_contacts(
        record: Record,
        target: int,
        claimed: dict[str, int],
        email_owner: dict[str, int],
        phone_owner: dict[str, int],
    ) -> None:
        """Keep only the contacts that are new or already the target's (never steal another's)."""
        record.copy = None
        record.emails = [
            e
            for e in record.emails
            if claimed.get(e, target) == target and email_owner.get(e, target) == target
        ]
        record.phones = [
            p
            for p in record.phones
            if claimed.get(p[0], target) == target and phone_owner.get(p[0], target) == target
        ]

    # ------------------------------------------------------------------ inserts

    def _insert_new(self, connection: Any, plan: _Plan, now: dt.datetime) -> None:
        tables = self._tables
        assert tables is not None
        stamp = tables.timestamp(now)
        ids = self._new_ids(connection, len(plan.new))
        if ids is not None and tables.customer.copies:
            self._copy_new(connection, ids, plan.new, now)
            plan.outcome.inserted_ids = ids
            plan.outcome.inserted_lines = [r.line for r in plan.new]
            return
        date, json_value, empty = tables.date, tables.json, tables.empty_attributes
        default_stage = DEFAULT_STAGE
        rows = [
            (
                new_id,
                r.kind,
                r.given,
                r.family,
                r.org,
                *customer_names(cast(str, r.kind), r.given, r.family, r.org),  # parsing always sets kind
                None if r.birthday is None else date(r.birthday),
                r.lang,
                r.channel,
                r.tz,
                r.stage or default_stage,
                json_value(r.attributes) if r.attributes else empty,
                stamp,
                stamp,
                1,
            )
            for new_id, r in zip(cast("list[int | None]", ids) or [None] * len(plan.new), plan.new, strict=False)
        ]
        if ids is None:  # a dialect without id blocks: let the database number the rows
            columns = tables.customer.columns[1:]
            ids = insert_returning_ids(connection, [dict(zip(columns, row[1:], strict=False)) for row in rows])
        else:
            tables.customer.run(connection, rows)
        self._insert_children(connection, list(zip(ids, plan.new, strict=False)), stamp)
        plan.outcome.inserted_ids = ids
        plan.outcome.inserted_lines = [r.line for r in plan.new]

    def _copy_new(self, connection: Any, ids: list[int], new: list[Record], now: dt.datetime) -> None:
        """COPY the new customers and their emails, phones and tags as text (PostgreSQL).

        Each record's text was built by the reader (`with_copy_text`), with \\x01 standing for
        its id; only records changed since (a duplicate absorbed) are built here. This process
        just puts ids in and joins: one string and one COPY call per table.
        """
        tables = self._tables
        assert tables is not None
        stamp = tables.timestamp(now).isoformat()  # as the column's type stores it (aware UTC)
        tail = f"\t{stamp}\t{stamp}\t1\n"
        customers: list[str] = []
        emails: list[str] = []
        phones: list[str] = []
        tags: list[str] = []
        consents: list[tuple[int, Record]] = []
        addresses: list[tuple[int, Record]] = []
        for new_id, record in zip(ids, new, strict=True):
            text = record.copy or copy_text(record)
            number = str(new_id)
            customers.append(f"{number}\t{text[0]}{tail}")
            if text[1]:
                emails.append(text[1].replace("\x01", number))
            if text[2]:
                phones.append(text[2].replace("\x01", number))
            if text[3]:
                tags.append(text[3].replace("\x01", number))
            if record.consents:
                consents.append((new_id, record))
            if record.addresses:
                addresses.append((new_id, record))
        tables.customer.run_text(connection, "".join(customers))
        tables.email.run_text(connection, "".join(emails))
        tables.phone.run_text(connection, "".join(phones))
        tables.tag.run_text(connection, "".join(tags))
        if consents:
            tables.consent.run(connection, [
                (i, channel, "marketing", tables.boolean(granted), tables.timestamp(now), self.source)
                for i, r in consents
                for channel, granted in r.consents
            ])
        if addresses:
            tables.address.run(connection, [(i, *a) for i, r in addresses for a in r.addresses])

    def _new_ids(self, connection: Any, count: int) -> list[int] | None:
        """`count` new customer ids: on PostgreSQL from a pool reserved `ID_BLOCK` batches at a time.

        The sequence's ids are this import's once taken, whatever happens to a batch, so one
        `nextval` query serves several batches (a round trip less per batch; ids left over at
        the end are a gap, as a rolled-back batch's are). SQLite's ids come from the table's
        maximum under the write lock, so they are taken per batch (`allocate_ids`).
        """
        if connection.dialect.name != "postgresql":
            return allocate_ids(connection, count)
        pool = self._id_pool
        if len(pool) < count:
            pool.extend(sequence_ids(connection, table_of(Customer), max(count - len(pool), count * ID_BLOCK)) or [])
        ids, self._id_pool = pool[:count], pool[count:]
        return ids

    def _insert_children(
        self, connection: Any, pairs: list[tuple[int, Record]], stamp: Any
    ) -> None:
        tables = self._tables
        assert tables is not None
        tables.email.run(connection, [(i, e, None) for i, r in pairs for e in r.emails])
        tables.phone.run(connection, [(i, p, label) for i, r in pairs for p, label in r.phones])
        tables.tag.run(connection, [(i, t) for i, r in pairs for t in r.tags])
        consents = [
            (i, channel, "marketing", tables.boolean(granted), stamp, self.source)
            for i, r in pairs
            for channel, granted in r.consents
        ]
        tables.consent.run(connection, consents)
        tables.address.run(connection, [(i, *a) for i, r in pairs if r.addresses for a in r.addresses])

    def _stage_referrers(self, connection: Any, plan: _Plan) -> None:
        """Stage each row's customer id with its external id and referrer (`referrers.py`).

        A merged row stages its referrer with the customer it merged into; a skipped row only
        its external id (so others may name it), as skipping changes nothing on its customer.
        """
        stage = self.referrers
        assert stage is not None
        ids = plan.outcome.inserted_ids
        rows: list[tuple[int, int, Record]] = [
            (r.line, i, r) for i, r in zip(ids, plan.new, strict=True) if r.ext is not None or r.ref is not None
        ]
        for record, target in plan.linked:
            customer_id = target if target > 0 else ids[-target - 1]
            if not self.merge:
                if record.ext is None:
                    continue
                record = _without_referrer(record)
            rows.append((record.line, customer_id, record))
        stage.add(connection, rows)

    # ------------------------------------------------------------------ merges

    def _apply_merges(self, connection: Any, plan: _Plan, now: dt.datetime) -> None:
        """Fill empty fields and add new contacts, tags and consents to existing customers."""
        table = table_of(Customer)
        ids = list(plan.merges)
        current = {
            row.id: row for row in connection.execute(sa.select(table).where(among(connection, table.c.id, ids)))
        }
        emails, phones, tags, consents = children_by_customer(connection, ids)
        # Read only when a row brings an address: a file without addresses costs no statement more.
        addresses = (
            addresses_by_customer(connection, ids)
            if any(r.addresses for records in plan.merges.values() for r in records)
            else {}
        )
        updates: list[dict[str, Any]] = []
        additions: list[tuple[int, Record]] = []
        for customer_id, records in plan.merges.items():
            row = current.get(customer_id)
            if row is None:
                raise ConcurrentChange(f"customer #{customer_id} was deleted during the import")
            extra, changes, values = _merge_values(
                row,
                records,
                emails.get(customer_id, []),
                phones.get(customer_id, []),
                tags.get(customer_id, []),
                set(consents.get(customer_id, [])),
                addresses.get(customer_id, []),
            )
            if not changes:
                continue
            plan.outcome.changes[customer_id] = changes
            additions.append((customer_id, extra))
            updates.append(
                {
                    "_id": customer_id,
                    "_version": row.version,
                    **values,
                    "updated_at": now,
                    "version": row.version + 1,
                }
            )
        self._insert_children(connection, additions, self._tables.timestamp(now))  # type: ignore[union-attr]
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for update in updates:
            groups.setdefault(tuple(sorted(update)), []).append(update)
        for columns, group in groups.items():  # one executemany per set of changed columns
            statement = (
                sa.update(table)
                .where(
                    table.c.id == sa.bindparam("_id"), table.c.version == sa.bindparam("_version")
                )
                .values({k: sa.bindparam(k) for k in columns if not k.startswith("_")})
            )
            updated = connection.execute(statement, group).rowcount
            if connection.dialect.supports_sane_multi_rowcount and updated != len(group):
                raise ConcurrentChange("a customer to merge into changed during the import")

    # ------------------------------------------------------------------ audit and events

    def _record(self, session: Session, outcome: BatchOutcome, records: list[Record]) -> None:
        ids = outcome.inserted_ids
        if not ids and not outcome.changes:
            return
        contiguous = bool(ids) and ids[-1] - ids[0] == len(ids) - 1
        after: dict[str, Any] = {
            "count": len(ids),
            "ids": [ids[0], ids[-1]] if contiguous else ids,
            "id_range": contiguous,
            "source": self.source,
            "lines": [records[0].line, records[-1].line],
            "merged": len(outcome.merged),
        }
        if outcome.changes:
            after["updated"] = {str(k): v for k, v in outcome.changes.items()}
        audit.record(session, self.actor, "import", "customer", None, after=after)
        if ids:
            events.emit(session, "payvand_customer_created", ids)
        if outcome.changes:
            events.emit(
                session,
                "payvand_customer_updated",
                list(outcome.changes),
                {"changes": outcome.changes},
            )


def copy_text(record: Record) -> tuple[str, str, str, str]:
    """A new customer's rows as COPY text, "\\x01" standing for its id (not known yet).

    (the customer's columns after the id up to `attributes`, its email lines, phone lines, tag
    lines); the writer adds the id and the batch's timestamps and version (`_copy_new`).
    Consents are rare and written per row. The reader process runs this for every row: the
    values are checked for a character COPY must escape once, all together, and only a row
    that has one is escaped value by value.
    """
    kind = cast(str, record.kind)
    given, family, org = record.given, record.family, record.org
    display, search, alt = customer_names(kind, given, family, org)
    lang, channel, tz = record.lang, record.channel, record.tz
    attributes = json_dumps(record.attributes) if record.attributes else "{}"
    emails, phones, tags = record.emails, record.phones, record.tags
    free = f"{given}{family}{org}{display}{search}{alt}{lang}{channel}{tz}{attributes}{''.join(emails)}{''.join(tags)}"
    birthday = COPY_NULL if record.birthday is None else record.birthday.isoformat()
    stage = record.stage or DEFAULT_STAGE
    if _COPY_SPECIAL.search(free) is None and all(label is None or label == "mobile" for _, label in phones):
        n = COPY_NULL
        customer = (f"{kind}\t{n if given is None else given}\t{n if family is None else family}\t"
                    f"{n if org is None else org}\t{display}\t{search}\t{alt}\t{birthday}\t"
                    f"{n if lang is None else lang}\t{n if channel is None else channel}\t{n if tz is None else tz}\t"
                    f"{stage}\t{attributes}")
        return (
            customer,
            "".join([f"\x01\t{e}\t{n}\n" for e in emails]),
            "".join([f"\x01\t{copy_value(p)}\t{n if label is None else label}\n" for p, label in phones]),
            "".join([f"\x01\t{t}\n" for t in tags]),
        )
    customer = "\t".join((
        copy_value(kind), copy_value(given), copy_value(family), copy_value(org),
        copy_value(display), copy_value(search), copy_value(alt), birthday,
        copy_value(lang), copy_value(channel), copy_value(tz), copy_value(stage), copy_value(attributes),
    ))
    return (
        customer,
        "".join(f"\x01\t{copy_value(e)}\t{COPY_NULL}\n" for e in emails),
        "".join(f"\x01\t{copy_value(p)}\t{copy_value(label)}\n" for p, label in phones),
        "".join(f"\x01\t{copy_value(t)}\n" for t in tags),
    )


def with_copy_text(parse: Callable[[int, list[str]], Record]) -> Callable[[int, list[str]], Record]:
    """`parse` that also builds the record's COPY text (`copy_text`), for a reader process to run."""

    def parse_with_text(line: int, cells: list[str]) -> Record:
        record = parse(line, cells)
        record.copy = copy_text(record)
        return record

    return parse_with_text


def _merge_values(
    row: Any,
    records: list[Record],
    emails: list[str],
    phones: list[str],
    tags: list[str],
    consent_channels: set[str],
    addresses: list[Address] | None = None,
) -> tuple[Record, dict[str, list[Any]], dict[str, Any]]:
    """What merging `records` into the customer `row` adds and changes.

    An address is added unless the customer has the same one (`records.address_key`); none is
    changed or removed. Returns the contacts/tags/consents/addresses to insert (as a Record), the changes as
    `{field: [old, new]}` (like `services.customers.update_customer`) and the column values
    to update.
    """
    extra = Record(records[0].line, [])
    values: dict[str, Any] = {}
    changes: dict[str, list[Any]] = {}
    for record in records:
        for attr, column in _FILLABLE:
            new = getattr(record, attr)
            if new is not None and getattr(row, column) is None and column not in values:
                values[column] = new
        extra.emails += [e for e in record.emails if e not in emails and e not in extra.emails]
        extra.phones += [
            p
            for p in record.phones
            if p[0] not in phones and all(p[0] != q for q, _ in extra.phones)
        ]
        extra.tags += [t for t in record.tags if t not in tags and t not in extra.tags]
        extra.consents += [
            c
            for c in record.consents
            if c[0] not in consent_channels and all(c[0] != d for d, _ in extra.consents)
        ]
        if record.addresses:
            known = (*(addresses or ()), *extra.addresses)
            extra.addresses += add_addresses(known, record.addresses)[len(known):]
        for key, value in record.attributes.items():
            if (row.attributes or {}).get(key) is None:
                values.setdefault("attributes", dict(row.attributes or {})).setdefault(key, value)
    for column, new in values.items():
        old = getattr(row, column)
        changes[column] = [_jsonable(old), _jsonable(new)]
    if {"given_name", "family_name", "organization_name"} & set(values):
        given = values.get("given_name", row.given_name)
        family = values.get("family_name", row.family_name)
        org = values.get("organization_name", row.organization_name)
        values["display_name"], values["search_name"], values["search_name_alt"] = customer_names(
            row.kind, given, family, org
        )
    if extra.emails:
        changes["emails"] = [list(emails), emails + extra.emails]
    if extra.phones:
        changes["phones"] = [list(phones), phones + [p for p, _ in extra.phones]]
    if extra.tags:
        changes["tags"] = [list(tags), tags + extra.tags]
    if extra.addresses:
        before = [address_dict(a) for a in addresses or ()]
        changes["addresses"] = [before, before + [address_dict(a) for a in extra.addresses]]
    if extra.consents:
        changes["consents"] = [
            None,
            [{"channel": c, "purpose": "marketing", "granted": g} for c, g in extra.consents],
        ]
    return extra, changes, values


def _without_referrer(record: Record) -> Record:
    """A copy of `record` keeping only its line, cells and external id (a skipped row's)."""
    copy = Record(record.line, record.cells)
    copy.ext = record.ext
    return copy


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
