"""The customer list: search, filters, sort and keyset pages, shared by the API and the staff UI.

Every filter is answered from an index (names and contacts by prefix, tags by `(tag,
customer_id)`, stage and owner by `(column, id)`, consent by its two indexes, see
`consent_filter`), and pages are keyed on the sort value and the id, so a page costs the same
on the first page as on the thousandth and with a thousand customers as with a million.
"""

from __future__ import annotations

from typing import Any

import phonenumbers
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from payvand.core.listing import (
    Column,
    Drive,
    Either,
    Filter,
    ListContext,
    ListSpec,
    Sort,
    SortKey,
    by_share,
    count_up_to,
    plans_without_statistics,
    unindexed,
)
from payvand.core.models import (
    Customer,
    CustomerConsent,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
    LifecycleStage,
)
from payvand.core.normalize import fold, looks_like_email, looks_like_phone, to_latin_digits
from payvand.core.services.customers import read_customers
from payvand.core.web.labels import STAGES

#: The longest tag (as in the customer schema).
_TAG_MAX = 64
#: The purpose a `consent` filter checks when none is given.
DEFAULT_PURPOSE = "marketing"
#: Above every character, so `value <= x < value + TOP` is "x starts with value" in code-point order.
_TOP = "\U0010ffff"


def phone_prefixes(text: str, region: str) -> list[str]:
    """The E.164 prefixes a typed phone fragment may stand for (`0912…` → `+98912…`)."""
    digits = "".join(ch for ch in to_latin_digits(text) if ch.isdigit())
    code = str(phonenumbers.country_code_for_region(region) or "")
    if text.strip().startswith("+") or digits.startswith("00"):
        return ["+" + digits.removeprefix("00")]
    candidates = ["+" + digits]
    if digits.startswith("0"):
        candidates.append("+" + code + digits[1:])
    elif code and not digits.startswith(code):
        candidates.append("+" + code + digits)
    return candidates


def _prefix(column: Any, value: str) -> Any:
    return sa.and_(column >= value, column < value + _TOP)


def search_filter(q: str, region: str) -> Any:
    """The WHERE clause for `q`: email, phone (any digits) or name prefix (either order), all indexed."""
    q = q.strip()
    if looks_like_email(q):
        sub = sa.select(CustomerEmail.customer_id).where(_prefix(CustomerEmail.email, to_latin_digits(q).lower()))
        return Customer.id.in_(sub)
    if looks_like_phone(q):
        prefixes = phone_prefixes(q, region)
        sub = sa.select(CustomerPhone.customer_id).where(sa.or_(*[_prefix(CustomerPhone.number, p) for p in prefixes]))
        return Customer.id.in_(sub)
    key = fold(q)
    return sa.or_(_prefix(Customer.search_name, key), _prefix(Customer.search_name_alt, key))


#: Below this many grant decisions for a channel, the consent filter starts from the grants.
RARE_GRANTS = 5000


def consent_filter(session: Session, channel: str, purpose: str = DEFAULT_PURPOSE) -> Any:
    """Customers whose latest consent decision for `channel` and `purpose` is a grant.

    Consents are append-only, so the state is the newest row (by time, then id), checked with
    one probe of the `(customer_id, channel, purpose, recorded_at)` index per customer. How
    the page finds its rows depends on how common grants are, read first from the
    `(channel, purpose, granted, customer_id)` index (at most RARE_GRANTS entries):
    common grants (40 % of a million) — walk the list's sort index and probe each customer
    until a page is full; rare ones (a new channel) — start from those few grants, so a
    channel nobody granted costs one empty index probe instead of a walk over every customer.
    """
    latest = (
        sa.select(CustomerConsent.granted)
        .where(CustomerConsent.customer_id == Customer.id, CustomerConsent.channel == channel,
               CustomerConsent.purpose == purpose)
        .order_by(CustomerConsent.recorded_at.desc(), CustomerConsent.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    grants = (
        sa.select(CustomerConsent.customer_id)
        .where(CustomerConsent.channel == channel, CustomerConsent.purpose == purpose,
               CustomerConsent.granted.is_(True))
    )
    sample = session.execute(
        sa.select(sa.func.count()).select_from(grants.limit(RARE_GRANTS).subquery())
    ).scalar_one()
    if sample < RARE_GRANTS:
        return sa.and_(Customer.id.in_(grants), latest.is_(True))
    return latest.is_(True)


#: How many customers carry a tag decides how a page sorted by name finds them (counted with a
#: LIMIT, so the count stops at FREQUENT_TAG): below RARE_TAG the tagged customers are read from
#: the `(tag, customer_id)` index and sorted (at most that many rows); from FREQUENT_TAG on, the
#: name index is walked and each customer's tag probed (about `limit / share` probes); in between
#: the tag's ids are read once into a set and the name index walked against it (cheap checks).
RARE_TAG = 2000
FREQUENT_TAG = 40000
#: The tag table as the driving side of a page sorted by id (an alias: the statement may join
#: `core_customer_tag` for another reason).
_DRIVING_TAG = CustomerTag.__table__.alias("tagged")


def _by_id(sort: Sort | None) -> bool:
    return sort is None or sort.keys[0].column is Customer.id


def _tag_ids(value: str) -> Any:
    return sa.select(CustomerTag.customer_id).where(CustomerTag.tag == value)


#: PostgreSQL, under a name sort: a tag on at least RARE_TAG and fewer than HASHED_TAG customers
#: (counted with a LIMIT) drives the page through `_walk_names_against`: its ids hashed once, the
#: name index walked index-only against them. A more frequent tag is left to the planner's probe
#: walk (its page is near, and hashing every id would cost more than the probes); a rarer one is
#: read and sorted.
HASHED_TAG = 20000
#: The customers table walked in name order by the hashed drive (an alias: the page's own
#: `core_customer` is joined to it by primary key).
_WALK = Customer.__table__.alias("walk")


def _tag_drive(value: str, _operator: str, context: ListContext, sort: Sort) -> Drive | None:
    """Pages sorted by id are read from the `(tag, customer_id)` index in order, joined to the
    customers: one page's worth of index entries whatever the tag's share (a rare tag, or one on
    every customer). A search (`q`) narrows first instead, and name sorts use `_tag_clause`,
    except on PostgreSQL for a tag of middling size (`_walk_names_against`)."""
    if "q" in context.filters:
        return None
    if not _by_id(sort):
        if context.session is None or plans_without_statistics(context.session):
            return None
        size = count_up_to(context.session, _tag_ids(value), HASHED_TAG)
        return _walk_names_against(value) if RARE_TAG <= size < HASHED_TAG else None
    tagged = _DRIVING_TAG
    return Drive(
        join=lambda statement: statement.join(
            tagged, sa.and_(tagged.c.customer_id == Customer.id, tagged.c.tag == value)),
        stand_ins=((Customer.id, tagged.c.customer_id),),
    )


def _walk_names_against(value: str) -> Drive:
    """PostgreSQL, a name sort, a tag on 0.2–2 % of a million customers: walk the name index
    `(search_name, id) INCLUDE (merged_into_id)` index-only, in the sort's order, checking each
    entry against the tag's ids hashed once, and join the page's customers by primary key.

    The alternatives read ~100 customers per match: probing the tag index for each (15,000
    probes for a page) or reading every tagged customer's row to sort them. The membership test
    is written `id IN (…) OR false` so PostgreSQL keeps it a hashed subplan (its planner turns
    a bare `IN` into a semi-join, which under a LIMIT becomes the per-row probe); the constant
    is folded away after that choice. Record rules and other filters still apply to the joined
    customer, before the LIMIT."""
    walk = _WALK
    hashed = sa.or_(walk.c.id.in_(_tag_ids(value)), sa.literal_column("false"))
    return Drive(
        join=lambda statement: statement.join(
            walk, sa.and_(walk.c.id == Customer.id, walk.c.merged_into_id.is_(None), hashed)),
        stand_ins=((Customer.search_name, walk.c.search_name), (Customer.id, walk.c.id)),
    )


def _tag_clause(value: str, _operator: str, context: ListContext) -> Any:
    """Customers carrying the tag, when the tag does not drive the page (see `_tag_drive`).

    With a search the few customers found are probed (EXISTS on the primary key); without a
    session or a sort (the bare set of matching rows) the tag's index is read (`id IN`). Under a
    name sort the tag's size decides on SQLite (see RARE_TAG, FREQUENT_TAG); PostgreSQL plans the
    semi-join from its statistics (the same choices: walk and probe, or read and sort).
    """
    probe = sa.exists().where(CustomerTag.customer_id == Customer.id, CustomerTag.tag == value)
    if "q" in context.filters:
        return probe
    if context.sort is None or not plans_without_statistics(context.session):
        return Customer.id.in_(_tag_ids(value))
    assert context.session is not None
    size = count_up_to(context.session, _tag_ids(value), FREQUENT_TAG)
    if size >= FREQUENT_TAG:
        return probe
    if size >= RARE_TAG:
        return unindexed(Customer.id).in_(_tag_ids(value))
    return Customer.id.in_(_tag_ids(value))


#: A name prefix found on this many customers or more (counted with a LIMIT) is checked while a
#: page sorted by id walks the table (`limit / share` rows) instead of every match read from the
#: two name indexes and sorted: `مح` starts a fifth of a million Iranian names (750 ms that way).
#: Under a name sort (SQLite) the search is an `Either`: the name index read in order from the
#: prefix (one page) merged with the other order's matches read from its index and sorted — a
#: prefix of the family name lies anywhere in the order of the first, so walking for it can cost
#: the whole table, and reading both indexes' matches and sorting them read a fifth of the table
#: for `مح`.
RARE_NAMES = 5000


def _search_clause(value: str, _operator: str, context: ListContext) -> Any:
    """The `q` filter; a phone is read in the region the caller passed, else the deployment's.

    On SQLite a name prefix that many customers share is checked row by row as a page sorted by
    id walks the table, and a page sorted by name merges the two name orders read apart (see
    RARE_NAMES); PostgreSQL weighs that from its statistics."""
    from payvand.core.settings import phone_region

    q = value.strip()
    condition = search_filter(q, context.extra.get("region") or phone_region(session=context.session))
    if looks_like_email(q) or looks_like_phone(q) or context.sort is None \
            or not plans_without_statistics(context.session):
        return condition
    if not _by_id(context.sort):
        key = fold(q)
        return Either((_prefix(Customer.search_name, key), _prefix(Customer.search_name_alt, key)))
    assert context.session is not None
    found = count_up_to(context.session, sa.select(sa.literal(1)).select_from(Customer).where(condition), RARE_NAMES)
    if found < RARE_NAMES:
        return condition
    key = fold(q)
    return sa.or_(_prefix(unindexed(Customer.search_name), key), _prefix(unindexed(Customer.search_name_alt), key))


def _consent_clause(value: str, _operator: str, context: ListContext) -> Any:
    if context.session is None:
        raise ValueError("the consent filter reads the current consents: it needs a session")
    return consent_filter(context.session, value, context.extra.get("consent_purpose") or DEFAULT_PURPOSE)


def _base(_context: ListContext) -> sa.Select[Any]:
    return sa.select(Customer).where(Customer.merged_into_id.is_(None))


def _sort(key: str, label: Any, *columns: tuple[Any, str, str]) -> Sort:
    descending = key.startswith("-")
    return Sort(key, tuple(SortKey(column, attr, kind, descending) for column, attr, kind in columns), label)


_ID = (Customer.id, "id", "id")


def _indexed_by_id(column: Any) -> Any:
    """Stage and owner: their `(column, id)` indexes serve the id sorts; name sorts walk the name
    index for a common value and read a rare one (see `by_share`); a search narrows first."""
    return by_share(column, served=("-id", "id"), narrowing=("q",))
_NAME = (Customer.search_name, "search_name", "str")

#: The customer list (API `GET /api/v1/customers` and the staff page): merged-away customers
#: are left out; filters `q`, `tag`, `stage`, `owner_id`, `consent` (a channel: the current
#: marketing consent for it is granted); sorts newest/oldest first and by folded name.
CUSTOMERS = ListSpec(
    name="customers",
    model=Customer,
    columns=(
        Column("id", _l("Number"), format="id"),
        Column("display_name", _l("Name"), format="user_text"),
        Column("lifecycle_stage", _l("Stage"), value=lambda c: getattr(c.lifecycle_stage, "value", c.lifecycle_stage)),
        Column("owner_id", _l("Owner"), format="id"),
        Column("created_at", _l("Created"), format="datetime", sortable=True),
    ),
    filters=(
        Filter("q", "text", apply=_search_clause, label=_l("Search"),
               description="Name (either order), email (with `@`) or phone prefix, any digits"),
        Filter("tag", "tag", apply=_tag_clause, drive=_tag_drive, label=_l("Tag"), max_length=_TAG_MAX),
        Filter("stage", "choice", column=Customer.lifecycle_stage, apply=_indexed_by_id(Customer.lifecycle_stage),
               label=_l("Stage"),
               choices=tuple((stage.value, STAGES[stage.value]) for stage in LifecycleStage)),
        Filter("owner_id", "id", column=Customer.owner_id, apply=_indexed_by_id(Customer.owner_id), label=_l("Owner")),
        Filter("consent", "text", apply=_consent_clause, label=_l("Consent"), max_length=32,
               description="A channel (e.g. `email`): only customers whose current marketing consent for it is granted"),
    ),
    sorts=(
        _sort("-id", _l("Newest first"), _ID),
        _sort("id", _l("Oldest first"), _ID),
        _sort("name", _l("Name A–Z"), _NAME, _ID),
        _sort("-name", _l("Name Z–A"), _NAME, _ID),
    ),
    default_limit=50,
    max_limit=200,
    base=_base,
    fetch=read_customers,
)
#: The sort keys a list accepts: by id (creation order) or by folded name, either way.
SORTS = tuple(sort.key for sort in CUSTOMERS.sorts)
#: The query arguments of the customer list (API and page).
CustomerListArgs = CUSTOMERS.args_schema("CustomerListArgs")
