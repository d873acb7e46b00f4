"""payvand.sdk.records: the database and the core's records, as a plugin reads and writes them.

The session of the request, job or command (`session`, `transaction`), settings (`setting`),
what a plugin's models are built from (`Base` and the column types), the core's models and
schemas, the customer and timeline calls that keep the core's rules (`create_customer`,
`record_interaction`, `audit`, ...), the normalisation every stored value goes through, and
CSV files in and out.

Stability: every name is stable (semantic versioning: no incompatible change within a major
version, and a deprecation first) except those in `PROVISIONAL`, which may change in any minor
release: `search_customers` and `phone_search_prefixes` (customer search is moving onto the
shared list kit), `CsvSource`/`CsvSourceError` (the importer's reader, which the list
kit's CSV support may replace), `bulk_insert`/`reserve_ids`/`read_in_child`/`copy_formatter`/
`bulk_insert_text` (the bulk path
of imports, new in the scale work), `tag_customers` (tagging a set of customers, new for
analytics' saved target lists), `create_customers` (many customers at once for imports, new
with the order history import's speed work) and `user_actor` (the actor of a staff user for
work a job does on their behalf, new with the dashboard's scheduled mail).

Who acts and what they may see: `Actor` (one type for staff users, API tokens, the system and
portal customers; `SYSTEM`, `ANONYMOUS`, `current_actor()`), and the kernel's record rules
(declared with `payvand.sdk.hooks.RecordRule`) applied by `restrict`, `record_clause`,
`may_see` and `get_visible`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core.actor import ANONYMOUS, SYSTEM, Actor, current_actor
from payvand.core.db import (
    Base,
    BigId,
    ExactDecimal,
    JSONText,
    UTCDateTime,
    current_session,
    session_scope,
    utcnow,
)
from payvand.core.importing.guard import guard as csv_guard  # CSV writing: the formula guard
from payvand.core.importing.source import CsvSource  # CSV reading: encoding, delimiter
from payvand.core.importing.source import SourceError as CsvSourceError
from payvand.core.locks import transaction_lock
from payvand.core.models import Customer, CustomerEmail, CustomerPhone, Interaction, User
from payvand.core.normalize import NormalizationError, keep_text, normalize_email, normalize_phone
from payvand.core.normalize import clean_text as clean_name
from payvand.core.normalize import fold as fold_text
from payvand.core.records import clause as record_clause
from payvand.core.records import get_visible, may_see, restrict
from payvand.core.schemas import CustomerOut, InteractionOut
from payvand.core.services.customers import CustomerInactive
from payvand.core.services.interactions import InteractionError, Source, build_interaction, record
from payvand.sdk import _context

__all__ = [
    # who acts and what they may see
    "Actor", "SYSTEM", "ANONYMOUS", "current_actor", "user_actor", "restrict", "record_clause", "may_see", "get_visible",
    # the session and settings
    "session", "transaction", "setting", "transaction_lock", "bulk_insert", "reserve_ids",
    "copy_formatter", "bulk_insert_text",
    # building a plugin's models
    "Base", "BigId", "ExactDecimal", "JSONText", "UTCDateTime", "utcnow",
    # the core's records
    "Customer", "CustomerEmail", "CustomerPhone", "Interaction", "User", "CustomerOut", "InteractionOut",
    "create_customer", "create_customers", "find_customer_ids_by_email", "search_customers", "tag_customers",
    "record_interaction", "record_interactions", "InteractionError", "CustomerInactive", "audit",
    # values as the core stores them
    "NormalizationError", "clean_name", "keep_text", "fold_text", "normalize_email", "normalize_phone",
    "phone_region", "phone_search_prefixes",
    # CSV files
    "CsvSource", "CsvSourceError", "csv_guard", "read_in_child",
]

T = TypeVar("T")
#: Names that may change in a minor release (the rest are stable).
PROVISIONAL = frozenset({"user_actor", "search_customers", "tag_customers", "phone_search_prefixes", "CsvSource",
                         "CsvSourceError", "bulk_insert", "reserve_ids", "create_customers", "copy_formatter",
                         "bulk_insert_text",
                         "read_in_child"})


def user_actor(user_id: int) -> Actor | None:
    """The actor of active staff user `user_id` with their roles' permissions (None for a missing or
    inactive user): for work a job does on a user's behalf, such as a scheduled report, so it
    shows only what the user may see."""
    from payvand.core.auth import actor_for_user

    user = current_session().get(User, user_id)
    if user is None or not user.is_active:
        return None
    return actor_for_user(current_session(), user)


def session() -> Session:
    """The current database session (the request's, the job's or the event delivery's).

    Plugins add and query through it. The job runner commits it after a job or an event hook
    returns; in a plugin's own route, call `session().commit()` once the change is complete
    (an uncommitted request session is rolled back at the end of the request).
    """
    return current_session()


@contextlib.contextmanager
def transaction() -> Iterator[Session]:
    """Open a session of the running app or CLI command, current for SDK calls, and commit it.

    For a plugin's CLI commands and scripts::

        with transaction() as s:
            s.add(Card(customer_id=1))
    """
    with session_scope(_context.runtime().sessionmaker) as opened:
        yield opened


def bulk_insert(table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert many rows into one of your tables in the current session's transaction; the row count.

    `rows` are sequences of Python values in `columns` order, as you would give the model
    (aware datetimes, dicts for JSON columns, decimals): each is converted by its column type.
    On PostgreSQL the rows go in through `COPY` (several times faster than INSERT for
    thousands of rows), on SQLite as multi-row INSERTs. No ORM objects, defaults or events:
    give every column a value, and the primary key from `reserve_ids` where you need it later
    (nothing is returned). A refused row (a constraint) raises SQLAlchemy's error for the whole
    call: run it inside `session().begin_nested()` to keep the rest of the transaction.
    """
    from payvand.core.importing.tables import bulk_insert as insert

    return insert(current_session().connection(), table, columns, rows)


def copy_formatter(table: sa.Table, columns: Sequence[str]) -> Callable[[Sequence[Any]], str]:
    """A function writing one row of Python values (in `columns` order, as for `bulk_insert`) as one
    line of PostgreSQL `COPY` text (no line end), for `bulk_insert_text`.

    It needs no database connection, so a forked reader (`read_in_child`) can format the rows
    while your process writes: the writing process then only joins strings.
    """
    from payvand.core.importing.tables import copy_formatter as formatter

    return formatter(table, columns)


def bulk_insert_text(table: sa.Table, columns: Sequence[str], lines: Sequence[str]) -> int:
    """`COPY` rows already written by `copy_formatter` (one line each, `columns` order) into your
    table in the current transaction; the row count. PostgreSQL only (where `reserve_ids` gives
    ids): raises RuntimeError elsewhere. A refused row raises for the whole call, as `bulk_insert`.
    """
    from payvand.core.importing.tables import bulk_insert_text as insert

    return insert(current_session().connection(), table, columns, lines)


def reserve_ids(table: sa.Table, count: int) -> list[int] | None:
    """`count` new primary-key values of `table` (ascending) for `bulk_insert`, or None on SQLite.

    PostgreSQL: taken from the key's sequence at once, yours even if your transaction rolls
    back (which leaves a gap, as any insert would). SQLite has no sequence: None, so insert
    there without ids (e.g. `INSERT … RETURNING`) and read them back.
    """
    from payvand.core.importing.tables import sequence_ids

    return sequence_ids(current_session().connection(), table, count)


def read_in_child(chunks: Iterator[T], total_bytes: int | None) -> Iterator[T]:
    """`chunks` read in a forked child process when that is safe and worth it, else here as they are.

    For an import: `chunks` is a generator that reads and parses the file and yields batches
    (with their rejects); in the child it runs while you write the previous batch, on another
    core. The same rule as the customer import (`payvand.core.importing.pipeline.can_fork`):
    a process with one thread (a CLI command or a worker's job, not a web request's thread), a
    file of at least 1 MB (`total_bytes`, e.g. `CsvSource.total_bytes`); the variable
    `PAYVAND_IMPORT_READER_PROCESS` forces it on ("1") or off ("0"). The generator must only
    read and compute — no database, no session, no threads (the child has copies) — and what
    it yields must pickle. An exception it raises is raised here; closing the returned
    iterator early stops the child.
    """
    from payvand.core.importing.pipeline import can_fork, forked_chunks

    return forked_chunks(chunks) if can_fork(total_bytes) else chunks


def setting(key: str) -> Any:
    """The value of a setting declared through `payvand_settings` (stored, else its default)."""
    return _context.runtime().setting(current_session(), key)


def phone_region() -> str:
    """The deployment's phone region (setting `core.phone_region`, default `PAYVAND_PHONE_REGION`),
    in which a phone typed without a country code is read; "IR" outside an app or command."""
    from payvand.core.settings import phone_region as lookup

    try:
        runtime = _context.runtime()
    except RuntimeError:
        return lookup()
    return lookup(runtime, current_session())


def phone_search_prefixes(text: str, region: str | None = None) -> list[str]:
    """The E.164 prefixes a typed phone fragment may stand for (`۰۹۱۲ ۹۹` → `+98912 99`…), as the
    customer search matches them; `region` defaults to `phone_region()`."""
    from payvand.core.services.customer_list import phone_prefixes

    return phone_prefixes(text, region or phone_region())


def record_interaction(
    customer_id: int,
    kind: str,
    channel: str,
    summary: str,
    *,
    value: decimal.Decimal | int | str | None = None,
    currency: str | None = None,
    occurred_at: dt.datetime | None = None,
    payload: dict[str, Any] | None = None,
    source: Source = None,
    direction: str = "inbound",
) -> Interaction:
    """Record a customer-facing event on the timeline, in the current session.

    `kind` is namespaced by the plugin (`sales.order_placed`); `value` is an exact decimal
    with its ISO `currency`; `source` points at the plugin's row, as `("sales.order", 42)` or
    `"sales.order:42"`. `payvand_interaction_recorded` is delivered after the commit. Raises
    InteractionError on a malformed argument and CustomerInactive (nothing recorded) when the
    customer was merged into another or erased; in a route, an uncaught CustomerInactive is
    answered 409 (`customer_inactive` in the API).
    """
    values = build_interaction(
        customer_id, kind, channel, summary, channels=_context.known_channels(), direction=direction,
        value=value, currency=currency, occurred_at=occurred_at, payload=payload, source=source,
    )
    return record(current_session(), values)


def record_interactions(items: list[dict[str, Any]], *, skip_inactive: bool = False) -> list[int]:
    """Record many timeline events at once (one INSERT, one `payvand_interaction_recorded` event).

    Each item holds `record_interaction`'s arguments by name (`customer_id`, `kind`, `channel`,
    `summary`, `value`, `currency`, `payload`, `source`, `direction`, ...); returns the new ids.
    For set-based jobs (e.g. expiring quotes) that would otherwise record one row at a time.
    Raises CustomerInactive (nothing recorded) when any of the customers was merged or erased;
    with `skip_inactive=True` those customers' items are left out instead (a nightly job).
    """
    from payvand.core.services.interactions import record_many

    channels = _context.known_channels()
    rows = [build_interaction(channels=channels, **item) for item in items]
    return record_many(current_session(), rows, skip_inactive=skip_inactive)


def create_customer(data: dict[str, Any], *, source: str = "plugin") -> Customer:
    """Create a customer in the current session from API-style input (as `POST /api/v1/customers`).

    `data` is validated with the core's customer schema (names, `emails`/`phones` as strings,
    `consents`, `tags`, `owner_id`, ...; phones read in the deployment's phone region); the
    creation is audited as the request's caller (else the system) and
    `payvand_customer_created` is queued. Raises `ApiError(422)` with field messages on
    invalid input. The caller commits.
    """
    from marshmallow import ValidationError

    from payvand.core.api.errors import ApiError
    from payvand.core.schemas import CustomerIn
    from payvand.core.services.customers import InvalidChange
    from payvand.core.services.customers import create_customer as create

    runtime = _context.runtime()
    schema = CustomerIn(region=phone_region(), declared=runtime.customer_fields(), channels=runtime.channels())
    try:
        values = schema.load(data)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ApiError(422, "The customer has invalid fields.", fields=messages) from None
    try:
        return create(current_session(), values, _context.acting(), source=source)
    except InvalidChange as exc:
        raise ApiError(422, "The customer has invalid fields.", fields=exc.fields) from None


def tag_customers(customer_ids: Any, tag: str) -> int:
    """Give tag `tag` to every active customer whose id `customer_ids` (a select of one id column)
    yields and who lacks it, in the current session, set-based; returns how many got it.

    Audited per customer as the request's caller (else the system), and
    `payvand_customer_updated` is queued for them. The caller commits. A saved list of
    customers (e.g. analytics' "target customers by profitability") becomes a tag the
    customer list and marketing segments filter on. Raises `ApiError(422)` for an empty tag, one
    longer than 64 characters or one with `|`.
    """
    from payvand.core.api.errors import ApiError
    from payvand.core.services.customers import InvalidChange
    from payvand.core.services.customers import tag_customers as tag_them

    try:
        return tag_them(current_session(), customer_ids, tag, _context.acting())
    except InvalidChange as exc:
        raise ApiError(422, "The tag is not valid.", fields=exc.fields) from None


def create_customers(items: Sequence[dict[str, Any]], *, source: str = "plugin") -> list[int | str]:
    """Create many customers at once in the current session; per item its new id, or the reason it was refused.

    For imports that meet thousands of unknown customers: each item has `given_name`,
    `family_name`, `organization_name`, `kind`, `lifecycle_stage` (prospect by default) and
    `emails` / `phones` as lists of text (phones read in the deployment's phone region) —
    no other keys. The rows go in set-based (`COPY` on PostgreSQL, multi-row INSERTs on
    SQLite); one audit entry (action `import`, the ids, `source`) and one
    `payvand_customer_created` event cover them all. Nothing is deduplicated: look your keys
    up first. A refused item's reason names its field (`given_name: longer than 120
    characters`). The caller commits; run it in `session().begin_nested()` to keep the rest
    of the transaction should the database refuse a row.
    """
    from payvand.core.importing.new_customers import create_customers as create

    return create(current_session(), items, _context.acting(), source=source, region=phone_region())


def find_customer_ids_by_email(email: str) -> list[int]:
    """Ids of the live (not merged, not erased) customers having `email` (lower-cased), oldest first."""
    import sqlalchemy as sa

    query = (
        sa.select(Customer.id).join(CustomerEmail, CustomerEmail.customer_id == Customer.id)
        .where(CustomerEmail.email == email.strip().lower(), Customer.merged_into_id.is_(None),
               Customer.erased_at.is_(None))
        .order_by(Customer.id)
    )
    return list(current_session().scalars(query))


def search_customers(q: str, limit: int = 10) -> list[Customer]:
    """Live (not merged, not erased) customers matching `q` as the staff customer list searches.

    `q` is an email prefix, a phone fragment (any digits: Persian, Arabic or Latin; `0912…` is
    read in the deployment's phone region) or a name prefix in either order (Persian letters
    folded). At most `limit` (1–100), newest first, with their emails and phones loaded (three
    queries whatever the number); an empty `q` finds nothing.
    """
    import sqlalchemy as sa
    from sqlalchemy.orm import selectinload

    from payvand.core.services.customer_list import search_filter

    if not q or not q.strip():
        return []
    query = (
        sa.select(Customer)
        .where(search_filter(q, phone_region()), Customer.merged_into_id.is_(None), Customer.erased_at.is_(None))
        .options(selectinload(Customer.emails), selectinload(Customer.phones))
        .order_by(Customer.id.desc()).limit(max(1, min(int(limit), 100)))
    )
    return list(current_session().scalars(query))


def audit(action: str, object_type: str, object_id: Any, *, before: dict[str, Any] | None = None,
          after: dict[str, Any] | None = None) -> None:
    """Write an audit-log entry in the current session (committed or rolled back with the change).

    The actor is the request's caller (a staff user or an API token), else the system. Name
    the object type after the plugin's table (`sales_deal`); `before`/`after` hold JSON-ready
    values of the fields that changed.
    """
    from payvand.core.audit import record as write

    write(current_session(), _context.acting(), action, object_type, None if object_id is None else str(object_id),
          before=before, after=after)
