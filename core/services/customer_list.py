"""The customer list: search, filters, sort and keyset pages, shared by the API and the staff UI.

Every filter is answered from an index (names and contacts by prefix, tags by `(tag,
customer_id)`, stage and owner by `(column, id)`, consent by its two indexes, see
`consent_filter`), and pages are keyed on the sort value and the id, so a page costs the same
on the first page as on the thousandth and with a thousand customers as with a million.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import phonenumbers
import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core.db import MAX_ID
from payvand.core.models import Customer, CustomerConsent, CustomerEmail, CustomerPhone, CustomerTag
from payvand.core.normalize import fold, looks_like_email, looks_like_phone, to_latin_digits
from payvand.core.services.customers import CustomerView, read_customers

#: The sort keys a list accepts: by id (creation order) or by folded name, either way.
SORTS = ("-id", "id", "name", "-name")
#: The purpose a `consent` filter checks when none is given.
DEFAULT_PURPOSE = "marketing"
#: Above every character, so `value <= x < value + TOP` is "x starts with value" in code-point order.
_TOP = "\U0010ffff"


class BadCursor(ValueError):
    """A pagination cursor this list did not make (tampered, truncated or from another sort)."""


def encode_cursor(values: list[Any]) -> str:
    """An opaque cursor for the last row of a page."""
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[Any]:
    """The values of a cursor made by `encode_cursor`; BadCursor for anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, UnicodeError, RecursionError):
        raise BadCursor(cursor) from None
    if not isinstance(values, list) or len(values) != length:
        raise BadCursor(cursor)
    return values


def _cursor_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise BadCursor(str(value))
    return value


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


def list_query(session: Session, args: dict[str, Any], region: str) -> sa.Select[Any]:
    """`select(Customer)` with the filters of `args`, merged-away customers left out.

    Filters: `q`, `tag`, `stage`, `owner_id`, `consent` (a channel; `consent_purpose`
    overrides the default purpose).
    """
    query = sa.select(Customer).where(Customer.merged_into_id.is_(None))
    if args.get("q"):
        query = query.where(search_filter(args["q"], region))
    if args.get("tag"):
        query = query.where(Customer.id.in_(sa.select(CustomerTag.customer_id).where(CustomerTag.tag == args["tag"])))
    if args.get("stage"):
        query = query.where(Customer.lifecycle_stage == args["stage"])
    if args.get("owner_id"):
        query = query.where(Customer.owner_id == args["owner_id"])
    if args.get("consent"):
        query = query.where(consent_filter(session, args["consent"], args.get("consent_purpose") or DEFAULT_PURPOSE))
    return query


def list_customers(session: Session, args: dict[str, Any], region: str) -> tuple[list[CustomerView], str | None]:
    """One page of customers for `args` and the cursor of the next page (None on the last).

    `args`: the filters of `list_query`, `sort` (one of SORTS, default newest first),
    `limit` (default 50) and `cursor` (a previous page's `next_cursor`). Runs one statement
    for the customers and one per child table. Raises BadCursor for a cursor it did not make.
    """
    query = list_query(session, args, region)
    sort = args.get("sort") or "-id"
    if sort not in SORTS:
        raise ValueError(f"Unknown sort {sort!r}")
    descending = sort.startswith("-")
    key = Customer.search_name if sort.lstrip("-") == "name" else None
    if args.get("cursor"):
        if key is None:
            (last_id,) = decode_cursor(args["cursor"], 1)
            last_id = _cursor_id(last_id)
            query = query.where(Customer.id < last_id if descending else Customer.id > last_id)
        else:
            last_name, last_id = decode_cursor(args["cursor"], 2)
            last_id = _cursor_id(last_id)
            if not isinstance(last_name, str) or len(last_name) > 250:
                raise BadCursor(args["cursor"])
            row = sa.tuple_(Customer.search_name, Customer.id)
            query = query.where(row < (last_name, last_id) if descending else row > (last_name, last_id))
    order: list[sa.UnaryExpression[Any]] = [Customer.id.desc() if descending else Customer.id.asc()]
    if key is not None:
        order.insert(0, key.desc() if descending else key.asc())
    limit = int(args.get("limit") or 50)
    rows = read_customers(session, query.order_by(*order).limit(limit + 1))
    items, more = rows[:limit], len(rows) > limit
    cursor = None
    if more:
        last = items[-1]
        cursor = encode_cursor([last.id] if key is None else [last.search_name, last.id])
    return items, cursor
