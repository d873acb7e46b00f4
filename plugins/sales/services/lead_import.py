"""Importing leads from a CSV file: validated as the API validates them, deduplicated, inserted in batches.

Columns (English or Persian headers, any order): name (split at the first space) or first and
last, company, email, phone, source, campaign, referrer, utm_source … utm_content, notes,
owner (the email of an active user) and consent (yes/no). Each row is held to the API's
`LeadIn` rules, so a row the API would refuse is refused here with the same reason, reported
with its line; the good rows are kept. For speed a row is first checked by `quick_load`, the
same rules without marshmallow (limits read from the schema, proven equal to it by a property
test); a row it does not accept outright goes through `LeadIn` itself, which words the reason.

An open lead (new, contacted or qualified) with the same email or phone — already in the
database or on an earlier line of the file — makes the row a duplicate: skipped and reported,
or, with `on_duplicate="update"`, the lead is updated with the row's non-empty cells (never its
source or status). Per batch: one query finds the open leads sharing the batch's emails and
phones, the new leads are added in one go and one executemany UPDATE per set of columns changes
the known ones (PostgreSQL: the changes COPY'd into a temporary table, then one UPDATE … FROM),
inside a savepoint, so a batch the database refuses leaves nothing behind and its rows are
reported (the savepoints were measured to cost no database CPU worth counting,
`benchmarks/README.md`). On PostgreSQL the new leads' ids are reserved from the table's sequence
and the rows go in through `COPY` as text the reader wrote (`payvand.sdk.copy_formatter`, the
forked reader's work when there is one; `bulk_insert_text`: nothing to read back); on SQLite
a multi-row INSERT … RETURNING is written once and run by the driver, values converted by the
columns' own bind processors. Like a lead created through the API, an imported lead
records nothing on the customer timeline (it is not a customer yet); the import writes one
audit entry and then recomputes the scores of the leads it touched in SQL (a new lead is written
scored at zero, and rewritten only when a rule gives it points).

Two imports at the same time (two staff pages, a page and the command) would each look up the
other's new leads before either committed and insert them twice. So an import first takes the
lead-import lock (`transaction_lock`: a PostgreSQL advisory lock, SQLite's write lock), held
until the caller commits or rolls back: lead imports run one after another, and each sees the
leads the one before it committed. A dry run writes nothing and takes no lock.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import operator
import os
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, cast

import sqlalchemy as sa
from marshmallow import ValidationError, fields, validate
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from payvand.plugins.sales.models import Lead
from payvand.plugins.sales.schemas import LeadIn
from payvand.plugins.sales.services import rules, scoring
from payvand.plugins.sales.services.csv_rows import Columns, CsvRows, Record, batches, parse_yes_no
from payvand.plugins.sales.services.leads import (
    MAX_ID,
    SOURCES,
    UTM_KEYS,
    normalize_lead,
    valid_phone,
)
from payvand.sdk import (
    SYSTEM,
    Actor,
    User,
    audit,
    bulk_insert,
    bulk_insert_text,
    copy_formatter,
    phone_region,
    read_in_child,
    reserve_ids,
    restrict,
    session,
    transaction_lock,
    utcnow,
)

ON_DUPLICATE = ("skip", "update")
#: A lead in one of these statuses is open: a new row with its email or phone is a duplicate.
OPEN_STATUSES = ("new", "contacted", "qualified")
BATCH_SIZE = 1000
#: Leads scored per statement at the end (bound parameters stay under every database's limit).
SCORE_CHUNK = 5000
#: The lock an import holds from its first lookup to the caller's commit (see the module doc).
IMPORT_LOCK = "payvand.sales.import.leads"
#: What joins a batch's emails (or phones) into the one text the PostgreSQL lookup splits.
_SEPARATOR = "\x1f"

UTM_COLUMNS = tuple(f"utm_{key}" for key in UTM_KEYS)
COLUMNS = ("name", "first", "last", "company", "email", "phone", "source", "campaign", "referrer",
           *UTM_COLUMNS, "notes", "owner", "consent")
HEADERS: dict[str, str] = {
    **{name: name for name in COLUMNS},
    "full name": "name", "نام و نام خانوادگی": "name", "نام کامل": "name", "نام": "name",
    "first name": "first", "given name": "first", "نام کوچک": "first",
    "last name": "last", "family name": "last", "surname": "last", "نام خانوادگی": "last", "فامیلی": "last",
    "organization": "company", "organisation": "company", "شرکت": "company", "سازمان": "company",
    "نام شرکت": "company",
    "e-mail": "email", "ایمیل": "email", "رایانامه": "email", "پست الکترونیک": "email",
    "mobile": "phone", "تلفن": "phone", "موبایل": "phone", "تلفن همراه": "phone", "شماره تماس": "phone",
    "منبع": "source", "کمپین": "campaign", "کارزار": "campaign",
    "referer": "referrer", "ارجاع دهنده": "referrer", "ارجاع": "referrer",
    "message": "notes", "یادداشت": "notes", "توضیحات": "notes", "پیام": "notes",
    "مالک": "owner", "مسئول": "owner", "کارشناس": "owner",
    "رضایت": "consent", "رضایت تماس": "consent",
}
LEAD_COLUMNS = Columns(HEADERS, required=(("name", "first", "last", "company"), ("email", "phone")),
                       verbatim=("notes",))
#: Words a source cell may hold (the stored source is one of `leads.SOURCES`).
SOURCE_WORDS = {**{name: name for name in SOURCES}, "web form": "web_form", "فرم وب": "web_form",
                "فرم": "web_form", "وب": "web_form", "ورود از فایل": "import", "واردات": "import",
                "دستی": "manual", "ورود دستی": "manual"}
#: Schema fields -> the column a reader of the file knows them by.
FIELD_COLUMNS = {"given_name": "first", "family_name": "last/name", "organization_name": "company",
                 "message": "notes", "owner_id": "owner"}


# --------------------------------------------------------------------------- LeadIn without marshmallow

#: The `LeadIn` fields the quick path knows, with the marshmallow field class each must have.
_QUICK_FIELDS: dict[str, type] = {
    "given_name": fields.String, "family_name": fields.String, "organization_name": fields.String,
    "email": fields.String, "phone": fields.String, "message": fields.String, "source": fields.String,
    "campaign": fields.String, "referrer": fields.String, "utm": fields.Dict, "consent": fields.Boolean,
    "owner_id": fields.Integer, "status": fields.String,
}


def _max_length(field: fields.Field) -> int:
    """The `Length(max=…)` limit of a schema field (every text field of `LeadIn` has one)."""
    for validator in field.validators:
        if isinstance(validator, validate.Length) and validator.max is not None:
            return validator.max
    raise LookupError(field)


def _quick_rules() -> dict[str, int] | None:
    """The length limits of `LeadIn`, read from the schema itself, or None when it has changed shape.

    A field added, removed or retyped in `LeadIn` turns the quick path off (every row then goes
    through the schema) rather than let it apply stale rules; a test fails to say so.
    """
    declared = LeadIn._declared_fields
    if set(declared) != set(_QUICK_FIELDS) or any(not isinstance(declared[name], kind)
                                                   for name, kind in _QUICK_FIELDS.items()):
        return None
    try:
        limits = {name: _max_length(declared[name]) for name in
                  ("given_name", "family_name", "organization_name", "email", "phone", "message", "campaign",
                   "referrer")}
        limits["utm"] = _max_length(declared["utm"].value_field)  # type: ignore[attr-defined]
    except (LookupError, AttributeError):
        return None
    return limits


_LIMITS = _quick_rules()
_EMAIL = validate.Email()


class _Unsure(Exception):
    """The quick path cannot accept the row as it is: `LeadIn` decides (and words the reason)."""


def _text(value: Any, limit: int) -> str | None:
    """`LeadIn`'s `_Text`: spaces folded (or only stripped when there is a newline), empty as None."""
    if value is None:
        return None
    if type(value) is not str:
        raise _Unsure
    text = (" ".join(value.split()) if "\n" not in value else value.strip()) or None
    if text is not None and len(text) > limit:
        raise _Unsure
    return text


def _string(value: Any, limit: int) -> str | None:
    """A plain `fields.String(allow_none=True)` with a length limit."""
    if value is None:
        return None
    if type(value) is not str or len(value) > limit:
        raise _Unsure
    return value


def quick_load(data: dict[str, Any], region: str = "IR") -> dict[str, Any] | None:
    """What `LeadIn().load(data)` returns, computed without marshmallow, or None to let `LeadIn` decide.

    For the values an import row gives (strings, a UTM dict of strings, a boolean consent, an
    integer owner id) this applies the schema's own steps: `normalize_lead` (its `pre_load`), names and
    campaign folded as `_Text` folds them, the length limits
    read from the schema's fields, the source and UTM keys checked against the same choices, the
    email by marshmallow's own `Email` validator, the phone, name and contact rules of its
    `validates_schema`, and the UTM values trimmed as its `post_load` trims them. A row breaking
    any rule, or holding anything else, gets None: the caller then loads it with `LeadIn`, so a
    refused row is refused by the schema itself, with its reason.
    """
    limits = _LIMITS
    if limits is None:
        return None
    data = normalize_lead(data, region)  # the schema's `pre_load` step, the same function
    try:
        unknown = data.keys() - _QUICK_FIELDS.keys()
        if unknown or "status" in data:
            return None
        out: dict[str, Any] = {}
        for name in ("given_name", "family_name", "organization_name"):
            if name in data:
                out[name] = _text(data[name], limits[name])
        if "email" in data:
            out["email"] = email = _string(data["email"], limits["email"])
        if "phone" in data:
            out["phone"] = phone = _string(data["phone"], limits["phone"])
        if "message" in data:
            out["message"] = _string(data["message"], limits["message"])
        if "source" in data:
            if type(data["source"]) is not str or data["source"] not in SOURCES:
                return None
            out["source"] = data["source"]
        if "campaign" in data:
            out["campaign"] = _text(data["campaign"], limits["campaign"])
        if "referrer" in data:
            out["referrer"] = _string(data["referrer"], limits["referrer"])
        utm = data.get("utm", {})
        if type(utm) is not dict or any(key not in UTM_KEYS or type(key) is not str or type(value) is not str
                                        or len(value) > limits["utm"] for key, value in utm.items()):
            return None
        out["utm"] = {key: value.strip()[:120] for key, value in utm.items() if value and value.strip()}
        consent = data.get("consent", False)
        if type(consent) is not bool:
            return None
        out["consent"] = consent
        if "owner_id" in data:
            owner = data["owner_id"]
            if owner is not None and (type(owner) is not int or not 1 <= owner <= MAX_ID):
                return None
            out["owner_id"] = owner
    except _Unsure:
        return None
    email, phone = out.get("email"), out.get("phone")
    if email:
        try:
            _EMAIL(email)
        except ValidationError:
            return None
    if phone and not valid_phone(phone):
        return None
    if not (out.get("given_name") or out.get("family_name") or out.get("organization_name")):
        return None
    if not (email or phone):
        return None
    return out


class LeadImportError(Exception):
    """The import cannot run at all (unknown `on_duplicate` or source)."""


@dataclasses.dataclass
class LeadImportResult:
    """What an import did: leads created and updated, duplicates skipped and bad rows, each with its line."""

    created: int = 0
    updated: int = 0
    skipped: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    errors: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    dry_run: bool = False
    scored: int = 0

    @property
    def rejects(self) -> list[tuple[int, str]]:
        """Every row not imported (bad or skipped duplicate) as (line, reason), by line."""
        return sorted(self.errors + self.skipped)

    def summary(self) -> dict[str, Any]:
        """The counts, JSON-ready (for the audit log and the result page)."""
        return {"created": self.created, "updated": self.updated, "skipped": len(self.skipped),
                "rejected": len(self.errors), "dry_run": self.dry_run}


@dataclasses.dataclass(slots=True)
class _Target:
    """A lead a later row may duplicate: one already open in the database, or made from `line` of this file."""

    lead_id: int | None
    line: int | None = None
    pending: dict[str, Any] | None = None  # the insert values while its batch is not written yet
    utm: dict[str, Any] = dataclasses.field(default_factory=dict)
    campaign: str | None = None
    text: str | None = None  # `pending` as COPY text (PostgreSQL), while no later line has changed it


@dataclasses.dataclass(slots=True)
class _Row:
    """A good row: its line, the data `LeadIn` loaded and which fields the row itself gave."""

    line: int
    data: dict[str, Any]  # validated by LeadIn
    given: frozenset[str]  # the fields the row gave (the rest are defaults)
    text: str | None = None  # PostgreSQL: the row as a new lead in COPY text, id left out (built by the reader)


def _reason(messages: Any) -> str:
    """Marshmallow messages as one line naming the file's columns."""
    if not isinstance(messages, dict):
        return str(messages)
    parts = []
    for field, text in messages.items():
        flat = text if isinstance(text, list) else [text]
        words = "; ".join(str(t) if not isinstance(t, dict) else "; ".join(
            f"{k}: {' '.join(map(str, v if isinstance(v, list) else [v]))}" for k, v in t.items()) for t in flat)
        parts.append(f"{FIELD_COLUMNS.get(field, field)}: {words}")
    return "; ".join(parts)


class _Owners:
    """Active users by email, looked up once per distinct email."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self.known: dict[str, int | None] = {}

    def id_of(self, email: str) -> int | None:
        key = email.strip().lower()
        if key not in self.known:
            self.known[key] = self.s.scalar(sa.select(User.id).where(sa.func.lower(User.email) == key,
                                                                    User.is_active.is_(True)))
        return self.known[key]


class _Importer:
    """One import: its options, the leads met so far (by email and phone) and the counts."""

    def __init__(self, *, on_duplicate: str, default_source: str, owner_id: int | None, only_owner: int | None,
                 dry_run: bool) -> None:
        if on_duplicate not in ON_DUPLICATE:
            raise LeadImportError(f"on_duplicate must be {' or '.join(ON_DUPLICATE)}")
        if default_source not in SOURCES:
            raise LeadImportError(f"the source must be one of {', '.join(SOURCES)}")
        self.s = session()
        self.on_duplicate = on_duplicate
        self.default_source = default_source
        self.owner_id = owner_id
        self.only_owner = only_owner
        # the rep the import runs for, as the record rules see them (no `sales.manage`)
        self.actor = SYSTEM if only_owner is None else Actor.user(only_owner, f"user {only_owner}")
        self.dry_run = dry_run
        self.region = phone_region()
        self.schema = LeadIn(region=self.region)
        self.owners = _Owners(self.s)
        self.sources: dict[str, str] = {}
        self.inserter: _SqliteInsert | None = None
        self.targets: dict[tuple[str, str], _Target] = {}
        self.touched: set[int] = set()
        self.now = utcnow()
        self.result = LeadImportResult(dry_run=dry_run)
        self.postgresql = self.s.get_bind().dialect.name == "postgresql"
        self.created_ids: set[int] = set()
        # PostgreSQL: each good row is also written as a new lead's COPY text where it is read (the
        # forked reader, when there is one), so this process only puts the ids in (`write`)
        self.copy_line = copy_formatter(cast(sa.Table, Lead.__table__), INSERT_COLUMNS) \
            if self.postgresql and not dry_run else None
        self.scratch: sa.Table | None = None  # PostgreSQL: where a batch's changes of known leads go first
        self.scratch_line: Callable[[Sequence[Any]], str] = str

    # ------------------------------------------------------------------ one row

    def source_of(self, cell: str) -> str:
        """The source a cell names (`SOURCE_WORDS`), else the cell as written; cached per distinct cell."""
        found = self.sources.get(cell)
        if found is None:
            found = self.sources[cell] = SOURCE_WORDS.get(" ".join(cell.replace("_", " ").split()).lower(), cell)
        return found

    def parse(self, record: Record) -> _Row:
        """A record as validated `LeadIn` data; ValueError with the reason when it is bad."""
        cells = record.cells
        data: dict[str, Any] = {}
        first, last = cells.get("first"), cells.get("last")
        if cells.get("name") and not (first or last):
            first, _, last = cells["name"].partition(" ")
            last = last.strip() or None
        for key, value in (("given_name", first), ("family_name", last), ("organization_name", cells.get("company")),
                           ("email", cells.get("email")), ("phone", cells.get("phone")),
                           ("campaign", cells.get("campaign")), ("referrer", cells.get("referrer")),
                           ("message", cells.get("notes"))):
            if value:
                data[key] = value
        source = cells.get("source")
        data["source"] = self.source_of(source) if source else self.default_source
        utm = {key: cells[f"utm_{key}"] for key in UTM_KEYS if cells.get(f"utm_{key}")}
        if utm:
            data["utm"] = utm
        if cells.get("consent"):
            data["consent"] = parse_yes_no(cells["consent"], "consent")
        if cells.get("owner"):
            owner = self.owners.id_of(cells["owner"])
            if owner is None:
                raise ValueError(f"owner: there is no active user {cells['owner']!r}")
            data["owner_id"] = owner
        if self.only_owner is not None and not rules.may_assign(self.actor, data.get("owner_id", self.only_owner)):
            raise ValueError("owner: you can assign leads only to yourself")
        loaded = quick_load(data, self.region)
        if loaded is None:  # refused, or unusual: the schema decides and words the reason
            try:
                loaded = self.schema.load(data)
            except ValidationError as exc:
                raise ValueError(_reason(exc.messages)) from None
        text = self.copy_line(_INSERT_VALUES(self.insert_values(loaded))) if self.copy_line is not None else None
        return _Row(record.line, loaded, frozenset(data) - {"source"}, text)

    # ------------------------------------------------------------------ one batch

    @staticmethod
    def keys(data: dict[str, Any]) -> list[tuple[str, str]]:
        """The duplicate keys of a lead: its email and its phone."""
        email, phone = data.get("email"), data.get("phone")
        if email and phone:
            return [("email", email), ("phone", phone)]
        return [("email", email)] if email else [("phone", phone)] if phone else []

    def among(self, column: Any, name: str, values: list[str], params: dict[str, Any]) -> Any:
        """`column IN (values)`, the values bound as `name` in `params`: one parameter on PostgreSQL, expanded elsewhere.

        Expanded, a batch's thousand values are a thousand placeholders the driver has to find
        in the statement's text again on every batch (psycopg: a sizeable part of the import).
        On PostgreSQL they go as one text split by the server (`string_to_array`, folded to a
        constant array when the statement is planned): psycopg's dumping of a Python list as an
        array was most of the lookup's client time. A value holding the separator (a quoted
        email may) sends the list as an array instead.
        """
        if not self.postgresql:
            params[name] = values
            return column.in_(sa.bindparam(name, expanding=True))
        if any(_SEPARATOR in value for value in values):
            params[name] = values
            return column == sa.any_(sa.bindparam(name, type_=sa.ARRAY(sa.String)))
        params[name] = _SEPARATOR.join(values)
        return column == sa.any_(sa.func.string_to_array(sa.bindparam(name, type_=sa.String), _SEPARATOR))

    def known_in_database(self, batch: list[_Row]) -> None:
        """Add the open leads sharing the batch's emails or phones to `targets` (one query; oldest lead wins)."""
        emails = {row.data["email"] for row in batch
                  if row.data.get("email") and ("email", row.data["email"]) not in self.targets}
        phones = {row.data["phone"] for row in batch
                  if row.data.get("phone") and ("phone", row.data["phone"]) not in self.targets}
        conditions = []
        params: dict[str, Any] = {}
        if emails:  # one parameter per list: no per-value coercion when the statement is built
            conditions.append(self.among(Lead.email, "emails", sorted(emails), params))
        if phones:
            conditions.append(self.among(Lead.phone, "phones", sorted(phones), params))
        if not conditions:
            return
        # The status is checked here, not in SQL: with it there SQLite scans every open lead by
        # the status index instead of looking the emails and phones up in their own indexes.
        # A rep's import meets only the leads the rep sees (`rules.py`): another rep's lead is
        # neither changed nor revealed by a duplicate row.
        query = restrict(sa.select(Lead.id, Lead.status, Lead.email, Lead.phone, Lead.utm, Lead.campaign)
                         .where(sa.or_(*conditions)), self.actor, Lead)
        rows = self.s.execute(query.order_by(Lead.id.desc()), params)
        for row in rows:  # newest first, so the oldest lead is the one kept for each key
            if row.status not in OPEN_STATUSES:
                continue
            target = _Target(lead_id=row.id, utm=dict(row.utm or {}), campaign=row.campaign)
            if row.email in emails:
                self.targets[("email", row.email)] = target
            if row.phone in phones:
                self.targets[("phone", row.phone)] = target

    def insert_values(self, data: dict[str, Any]) -> dict[str, Any]:
        """The column values of a new lead (every column given, as one multi-row INSERT needs)."""
        utm = dict(data.get("utm") or {})
        return {
            "status": "new", "given_name": data.get("given_name"), "family_name": data.get("family_name"),
            "organization_name": data.get("organization_name"), "email": data.get("email"),
            "phone": data.get("phone"), "message": data.get("message"), "source": data["source"],
            "campaign": data.get("campaign") or utm.get("campaign"), "referrer": data.get("referrer"),
            "utm": utm, "utm_source": utm.get("source"), "utm_medium": utm.get("medium"),
            "utm_campaign": utm.get("campaign"), "consent": bool(data.get("consent")), "score": 0,
            "score_details": [], "scored_at": self.now, "owner_id": data.get("owner_id", self.owner_id),
            "customer_id": None, "created_at": self.now, "converted_at": None,
        }

    @staticmethod
    def changes(row: _Row, target: _Target) -> dict[str, Any]:
        """The columns a duplicate row changes on its lead: the fields it gave (not source or status)."""
        values: dict[str, Any] = {
            key: row.data[key] for key in ("given_name", "family_name", "organization_name", "email", "phone",
                                           "message", "campaign", "referrer", "consent", "owner_id")
            if key in row.given and row.data.get(key) is not None}
        if "utm" in row.given and row.data.get("utm"):
            target.utm = {**target.utm, **row.data["utm"]}
            values.update(utm=dict(target.utm), utm_source=target.utm.get("source"),
                          utm_medium=target.utm.get("medium"), utm_campaign=target.utm.get("campaign"))
            if not values.get("campaign") and not target.campaign and target.utm.get("campaign"):
                values["campaign"] = target.utm["campaign"]
        if values.get("campaign"):
            target.campaign = values["campaign"]
        return values

    def plan(self, batch: list[_Row]) -> tuple[list[tuple[_Row, dict[str, Any]]], dict[int, dict[str, Any]],
                                                list[tuple[int, str]], list[_Target], int]:
        """Sort the batch into new leads, updates of known leads (by id) and skipped duplicates.

        Also returns how many rows were applied to a lead met before (in the database or on an
        earlier line): the `updated` count is of rows, so the counts add up to the rows read.
        """
        self.known_in_database(batch)
        inserts: list[tuple[_Row, dict[str, Any]]] = []
        updates: dict[int, dict[str, Any]] = {}
        skipped: list[tuple[int, str]] = []
        new_targets: list[_Target] = []
        applied = 0
        for row in batch:
            keys = self.keys(row.data)
            found = next(((kind, self.targets[(kind, value)]) for kind, value in keys
                          if (kind, value) in self.targets), None)
            if found is None:
                values = self.insert_values(row.data)
                inserts.append((row, values))
                target = _Target(lead_id=None, line=row.line, pending=values, utm=dict(values["utm"]),
                                 campaign=values["campaign"], text=row.text)
                new_targets.append(target)
                for key in keys:
                    self.targets[key] = target
                continue
            kind, target = found
            if self.on_duplicate == "skip":
                where = f"line {target.line}" if target.line is not None else f"open lead #{target.lead_id}"
                skipped.append((row.line, f"duplicate: the same {kind} as {where}"))
                continue
            changes = self.changes(row, target)
            if target.pending is not None:  # made from an earlier line of this batch: not written yet
                target.pending.update(changes)
                if changes:
                    target.text = None  # its COPY text is built again when written
            elif target.lead_id is not None:
                updates.setdefault(target.lead_id, {}).update(changes)
            applied += 1
            for key in self.keys(row.data):
                self.targets.setdefault(key, target)
        return inserts, updates, skipped, new_targets, applied

    def write(self, inserts: list[tuple[_Row, dict[str, Any]]], updates: dict[int, dict[str, Any]],
              new_targets: Sequence[_Target] = ()) -> list[Any]:
        """The new leads in one go (PostgreSQL: ids reserved, then `COPY`; SQLite: multi-row INSERT …
        RETURNING), then one executemany UPDATE per set of columns.

        `new_targets` (in `inserts`' order) carry each new lead's COPY text when the reader built
        it: this process then only puts the ids in.

        Returns the new leads' (id, email, phone): the pair tells which row made each (a batch's
        new leads never share an email or a phone), so the rows need not come back in order.
        """
        s = self.s
        made: list[Any] = []
        if inserts:
            connection = s.connection()
            if _SqliteInsert.usable(connection):
                if self.inserter is None or self.inserter.connection is not connection:
                    self.inserter = _SqliteInsert(connection)
                made = self.inserter.run([values for _, values in inserts])
            else:
                table = cast(sa.Table, Lead.__table__)
                ids = reserve_ids(table, len(inserts))
                if ids is not None and self.copy_line is not None and len(new_targets) == len(inserts):
                    # PostgreSQL: the ids first, then one COPY of text lines (nothing to read back)
                    line = self.copy_line
                    bulk_insert_text(table, ("id", *INSERT_COLUMNS),
                                     [f"{lead_id}\t{target.text or line(_INSERT_VALUES(values))}"
                                      for lead_id, (_, values), target in zip(ids, inserts, new_targets, strict=True)])
                    made = [(lead_id, values["email"], values["phone"])
                            for lead_id, (_, values) in zip(ids, inserts, strict=True)]
                elif ids is not None:  # the ids first, then one COPY (nothing to read back)
                    pick = _INSERT_VALUES
                    bulk_insert(table, ("id", *INSERT_COLUMNS),
                                [(lead_id, *pick(values)) for lead_id, (_, values) in zip(ids, inserts, strict=True)])
                    made = [(lead_id, values["email"], values["phone"])
                            for lead_id, (_, values) in zip(ids, inserts, strict=True)]
                else:
                    made = list(s.execute(sa.insert(table).returning(table.c.id, table.c.email, table.c.phone),
                                          [values for _, values in inserts]))
        if self.copy_line is not None and updates:  # PostgreSQL: the changes COPY'd, then one UPDATE
            self.update_through_copy(updates)
            return made
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for lead_id, values in updates.items():
            if values:
                groups.setdefault(tuple(sorted(values)), []).append({"lead_id_": lead_id, **values})
        table = cast(sa.Table, Lead.__table__)
        by_id = sa.update(table).where(table.c.id == sa.bindparam("lead_id_"))
        for group in groups.values():  # one executemany (Core, no ORM bookkeeping) per set of columns
            s.connection().execute(by_id, group)
        return made

    def update_through_copy(self, updates: dict[int, dict[str, Any]]) -> None:
        """PostgreSQL: the batch's changes of known leads COPY'd into a scratch table, then one UPDATE.

        A change never sets a column to NULL (a duplicate row changes only the fields it gives,
        `changes`; the UTM mirror columns follow the merged `utm`, which keeps every key it had),
        so a NULL in the scratch table means "keep": each column is set to
        `COALESCE(change, current)`, and every set of changed columns goes in one statement
        instead of one UPDATE per lead. The scratch table is temporary, dropped at the commit.
        """
        connection = self.s.connection()
        scratch = self.scratch
        if scratch is None:
            lead = cast(sa.Table, Lead.__table__)
            scratch = self.scratch = sa.Table(
                f"tmp_sales_lead_changes_{uuid.uuid4().hex[:8]}", sa.MetaData(),
                sa.Column("id", sa.BigInteger, primary_key=True),
                *(sa.Column(name, lead.c[name].type) for name in UPDATE_COLUMNS),
                prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
            scratch.create(connection)
            self.scratch_line = copy_formatter(scratch, ("id", *UPDATE_COLUMNS))
        else:
            connection.execute(sa.text(f"TRUNCATE {scratch.name}"))
        line = self.scratch_line
        bulk_insert_text(scratch, ("id", *UPDATE_COLUMNS),
                         [line((lead_id, *(values.get(name) for name in UPDATE_COLUMNS)))
                          for lead_id, values in updates.items() if values])
        connection.execute(sa.text(f"ANALYZE {scratch.name}"))  # a thousand rows: a join by the primary key
        lead = cast(sa.Table, Lead.__table__)
        connection.execute(sa.update(lead).where(lead.c.id == scratch.c.id).values(
            {name: sa.func.coalesce(scratch.c[name], lead.c[name]) for name in UPDATE_COLUMNS}))

    def run(self, batch: list[_Row]) -> None:
        """Plan and write one batch inside a savepoint; a refused batch is rolled back and its rows reported."""
        inserts, updates, skipped, new_targets, applied = self.plan(batch)
        self.result.skipped.extend(skipped)
        if self.dry_run:  # nothing written: a stand-in id lets later lines find these leads
            for target in new_targets:
                target.lead_id, target.pending = -(target.line or 0), None
            self.result.created += len(inserts)
            self.result.updated += applied
            return
        try:
            with self.s.begin_nested():
                made = self.write(inserts, updates, new_targets)
        except SQLAlchemyError as exc:
            reason = f"not saved: the database refused the batch of lines {batch[0].line}–{batch[-1].line} " \
                     f"({type(getattr(exc, 'orig', exc)).__name__}: {str(getattr(exc, 'orig', exc)).splitlines()[0][:200]})"
            skipped_lines = {line for line, _ in skipped}
            self.result.errors.extend((row.line, reason) for row in batch if row.line not in skipped_lines)
            self.scratch = None  # made in the refused batch's savepoint maybe: the next batch makes its own
            lost = {id(target) for target in new_targets}
            for key, target in list(self.targets.items()):
                if id(target) in lost:
                    del self.targets[key]
            return
        by_contact = {(t.pending["email"], t.pending["phone"]): t for t in new_targets if t.pending is not None}
        for lead_id, email, phone in made:
            target = by_contact[(email, phone)]
            target.lead_id, target.pending = lead_id, None
        ids = [row[0] for row in made]
        self.created_ids.update(ids)
        self.touched.update(updates)
        self.result.created += len(ids)
        self.result.updated += applied


#: The columns a duplicate row may change on its lead (`_Importer.changes`).
UPDATE_COLUMNS = ("given_name", "family_name", "organization_name", "email", "phone", "message", "campaign",
                  "referrer", "consent", "owner_id", "utm", "utm_source", "utm_medium", "utm_campaign")
#: The columns of a new lead, in the order `_SqliteInsert` binds them.
INSERT_COLUMNS = ("status", "given_name", "family_name", "organization_name", "email", "phone", "message", "source",
                  "campaign", "referrer", "utm", "utm_source", "utm_medium", "utm_campaign", "consent", "score",
                  "score_details", "scored_at", "owner_id", "customer_id", "created_at", "converted_at")
#: A new lead's values in `INSERT_COLUMNS` order, as a tuple.
_INSERT_VALUES = operator.itemgetter(*INSERT_COLUMNS)
#: Bound parameters per statement on SQLite (its default limit since 3.32; older builds: 999).
SQLITE_MAX_PARAMETERS = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
_MISSING = object()


class _SqliteInsert:
    """New leads as multi-row `INSERT … VALUES (…), (…) RETURNING` statements run by the driver.

    SQLAlchemy's per-row parameter processing costs more than SQLite's own work on a large
    file, so the statement is written once and each value that needs converting (JSON,
    timestamps, booleans) goes through its column type's own bind processor, as SQLAlchemy
    would do; values that repeat (the UTM dicts, the import time) are converted once.
    """

    def __init__(self, connection: sa.Connection) -> None:
        dialect = connection.dialect
        table = Lead.__table__
        quote = dialect.identifier_preparer.quote
        self.processors: list[tuple[int, Any]] = []
        for index, name in enumerate(INSERT_COLUMNS):
            process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self.processors.append((index, process))
        self.head = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
                     f"({', '.join(quote(name) for name in INSERT_COLUMNS)}) VALUES ")
        self.group = "(" + ", ".join("?" * len(INSERT_COLUMNS)) + ")"
        self.tail = f" RETURNING {quote('id')}, {quote('email')}, {quote('phone')}"
        self.chunk = max(1, SQLITE_MAX_PARAMETERS // len(INSERT_COLUMNS))
        self.connection = connection
        self.converted: dict[tuple[int, Any], Any] = {}

    @staticmethod
    def usable(connection: sa.Connection) -> bool:
        """Whether `connection` is SQLite through the standard driver (qmark parameters, RETURNING)."""
        dialect = connection.dialect
        return (dialect.name == "sqlite" and dialect.paramstyle == "qmark"
                and sqlite3.sqlite_version_info >= (3, 35))

    def convert(self, index: int, process: Any, value: Any) -> Any:
        """`process(value)`, remembered per column and value (a file repeats its UTM dicts and booleans).

        Remembered: scalars (keyed by type too, so 1 and True differ), empty lists and dicts of
        strings (the UTM); anything else is converted each time.
        """
        if isinstance(value, dict):
            if not all(type(item) is str for item in value.values()):
                return process(value)
            key: tuple[Any, ...] = (index, dict, tuple(value.items()))
        elif isinstance(value, list):
            if value:
                return process(value)
            key = (index, list)
        else:
            key = (index, type(value), value)
        try:
            found = self.converted.get(key, _MISSING)
        except TypeError:  # unhashable: not remembered
            return process(value)
        if found is _MISSING:
            if len(self.converted) > 10_000:
                self.converted.clear()
            found = self.converted[key] = process(value)
        return found

    def run(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        """Insert `rows` (`insert_values` dicts); the new leads' (id, email, phone), in no promised order."""
        made: list[Any] = []
        for start in range(0, len(rows), self.chunk):
            params: list[Any] = []
            chunk = rows[start:start + self.chunk]
            for values in chunk:
                row = [values[name] for name in INSERT_COLUMNS]
                for index, process in self.processors:
                    row[index] = self.convert(index, process, row[index])
                params.extend(row)
            sql = self.head + ", ".join([self.group] * len(chunk)) + self.tail
            made.extend(self.connection.exec_driver_sql(sql, tuple(params)).all())
        return made


def _open_transaction(s: Session) -> None:
    """Make sure a real transaction is open before the first savepoint.

    Python's sqlite3 driver begins a transaction only before a data change; a SAVEPOINT issued
    outside one starts its own, which RELEASE would commit. An explicit BEGIN keeps every batch
    inside the caller's transaction (committed or rolled back as a whole by the caller).
    """
    connection = s.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN")


def _parsed_batches(rows: CsvRows, importer: _Importer,
                    batch_size: int) -> Iterator[tuple[list[_Row], list[tuple[int, str]]]]:
    """The file's good rows in batches, each with the (line, reason) of the rows refused while reading it."""
    errors: list[tuple[int, str]] = []
    for batch in batches(rows.parsed(importer.parse, errors), batch_size):
        refused = errors[:]
        errors.clear()
        yield batch, refused
    if errors:
        yield [], errors


def import_leads(source: str | os.PathLike[str] | IO[Any], *, on_duplicate: str = "skip", default_source: str = "import",
                 owner_id: int | None = None, only_owner: int | None = None, dry_run: bool = False,
                 batch_size: int = BATCH_SIZE, name: str | None = None) -> LeadImportResult:
    """Import the leads of a CSV file (a path, or a binary or text stream) in the current session.

    `default_source` is the source of rows without one; `owner_id` the owner of rows without
    an owner column (None: unassigned); `only_owner`, when given, refuses rows assigned to
    anyone else (a rep importing without `sales.manage`) and matches duplicates among that
    rep's own leads only (the record rule, `rules.py`). With `dry_run` nothing is written:
    the result says what would be done. Flushed, not committed. Raises `CsvFileError` when the
    file cannot be read at all and `LeadImportError` for bad options.
    """
    importer = _Importer(on_duplicate=on_duplicate, default_source=default_source, owner_id=owner_id,
                         only_owner=only_owner, dry_run=dry_run)
    with CsvRows(source, LEAD_COLUMNS) as rows:
        if not dry_run:
            transaction_lock(importer.s, IMPORT_LOCK)  # to the commit: another import waits here
            _open_transaction(importer.s)
        chunks: Iterator[tuple[list[_Row], list[tuple[int, str]]]] = _parsed_batches(rows, importer, batch_size)
        if "owner" not in rows.columns and only_owner is None:
            # parsing asks the database nothing (no owner to look up, no rep's rules): a big file is
            # read and checked in a child process while this one writes the previous batch
            chunks = read_in_child(chunks, rows.source.total_bytes)
        try:
            for batch, errors in chunks:
                importer.result.errors.extend(errors)
                if batch:
                    importer.run(batch)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
    result = importer.result
    result.errors.sort()
    result.skipped.sort()
    if dry_run:
        return result
    # new leads were written scored at zero (`insert_values`): only those a rule scores are rewritten
    result.scored = rescore(sorted(importer.created_ids - importer.touched), changed_only=True)
    result.scored += rescore(sorted(importer.touched))
    audit("import", Lead.__tablename__, None,
          after={"file": (name or (os.fspath(source) if isinstance(source, (str, os.PathLike)) else "upload"))[:200],
                 "on_duplicate": on_duplicate, "source": default_source, **result.summary()})
    importer.s.flush()
    return result


#: The stable codes of the `reason_code` column, with what each means (new ones may be added).
REASON_CODES: dict[str, str] = {
    "duplicate_email": "skipped: an open lead (or an earlier line) has the same email",
    "duplicate_phone": "skipped: an open lead (or an earlier line) has the same phone",
    "unreadable_csv": "the CSV record cannot be read",
    "bad_encoding": "the line holds bytes that are not text in the file's encoding",
    "field_count": "the row has more cells than the header has columns",
    "unknown_owner": "the owner column names no active user",
    "owner_not_allowed": "a rep without sales.manage assigned the lead to someone else",
    "missing_name": "no first, last or company name",
    "missing_contact": "neither an email nor a phone",
    "invalid_email": "the email is not valid", "invalid_phone": "the phone is not valid",
    "invalid_name": "a name is too long", "invalid_company": "the company is too long",
    "invalid_source": "the source is not a known source", "invalid_campaign": "the campaign is too long",
    "invalid_referrer": "the referrer is too long", "invalid_utm": "a UTM value is too long",
    "invalid_notes": "the notes are too long", "invalid_consent": "the consent is neither yes nor no",
    "invalid_owner": "the owner is refused", "database_refused": "the database refused the row's batch",
}
_DUPLICATE = re.compile(r"duplicate: the same (email|phone) as ")
_PREFIX_CODES = (("not saved: the database refused", "database_refused"), ("unreadable", "unreadable_csv"),
                 ("the line is not valid", "bad_encoding"), ("owner: there is no active user", "unknown_owner"),
                 ("owner: you can assign leads only to yourself", "owner_not_allowed"),
                 ("consent ", "invalid_consent"))
_CELLS = re.compile(r"\d+ cells for \d+ columns")
_MESSAGE_CODES = {"Give an email or a phone number.": "missing_contact", "Give a name or an organisation.": "missing_name"}
_COLUMN_CODES = {"first": "name", "last/name": "name"}


def reason_code(reason: str) -> str:
    """The stable code (`REASON_CODES`) of a reason this import gives for a row it did not import.

    The reasons are English sentences written where the row was refused (the file reader, the
    owner and consent checks, `LeadIn`'s messages per column, the duplicate check, the
    database); the code is read from their fixed parts, so it never depends on the values.
    """
    if match := _DUPLICATE.match(reason):
        return f"duplicate_{match[1]}"
    for prefix, code in _PREFIX_CODES:
        if reason.startswith(prefix):
            return code
    if _CELLS.fullmatch(reason):
        return "field_count"
    column, sep, message = reason.split("; ", 1)[0].partition(": ")
    if message in _MESSAGE_CODES:
        return _MESSAGE_CODES[message]
    return f"invalid_{_COLUMN_CODES.get(column, column)}" if sep else "invalid_row"


def rejects_csv(rejects: Sequence[Sequence[Any]], translate: Callable[[str], str] | None = None) -> str:
    """The rejected rows as CSV text: a `line,reason,reason_code` header, then a row each.

    `rejects` holds (line, reason) pairs with the reasons in English; `translate`, when given,
    words each reason in the reader's language (the staff page); the code stays as it is.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "reason", "reason_code"])
    for line, reason, *_ in rejects:
        writer.writerow([line, translate(reason) if translate else reason, reason_code(reason)])
    return out.getvalue()


def rescore(lead_ids: Sequence[int], *, changed_only: bool = False) -> int:
    """Recompute the scores of `lead_ids` with the set-based recompute, a chunk of ids per statement.

    Returns the leads scored: all of them, or with `changed_only` (leads just written with a zero
    score and their `scored_at`) all of them too, though only those whose score changed are written.
    With `changed_only` and nothing that could give points (no active rule, no plugin adding
    points to these leads), no statement is run at all: every score would come out as written.
    """
    s = session()
    rules = scoring.active_rules(s)
    done = 0
    for start in range(0, len(lead_ids), SCORE_CHUNK):
        chunk = lead_ids[start:start + SCORE_CHUNK]
        contributions = [select for select in scoring.plugin_contributions(scoring.leads_subquery(chunk))
                         if select is not None]
        if changed_only and not rules and not contributions:
            done += len(chunk)
            continue
        written = scoring.recompute_scores(s, lead_ids=chunk, rules=rules, contributions=contributions,
                                           changed_only=changed_only).leads
        done += len(chunk) if changed_only else written
    return done
