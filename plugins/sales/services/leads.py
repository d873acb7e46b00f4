"""Leads: capture (web form, API, import, manual), the record rule, keyset lists, and conversion.

A lead is not a customer yet, so nothing about it reaches the core timeline until it is
converted: `convert_lead` creates (or finds, by email) the customer, optionally opens a deal in
the default pipeline's first stage, and then records `sales.lead_created` (dated when the lead
came in) and `sales.lead_converted` on the customer, so its history starts with the lead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from payvand.plugins.sales.models import MAX_ID, Deal, Lead
from payvand.plugins.sales.services import pipeline, rules
from payvand.sdk import (
    SYSTEM,
    Actor,
    Customer,
    Filter,
    ListContext,
    ListSpec,
    NormalizationError,
    Sort,
    SortKey,
    User,
    by_share,
    clean_name,
    create_customer,
    find_customer_ids_by_email,
    get_visible,
    keep_text,
    phone_region,
    phone_search_prefixes,
    record_interaction,
    restrict,
    session,
    to_latin_digits,
    to_persian_digits,
    utcnow,
)
from payvand.sdk import (
    BadCursor as BadCursor,  # the lead API and page catch service.BadCursor
)
from payvand.sdk import normalize_phone as sdk_normalize_phone

SOURCES = ("web_form", "api", "import", "manual")
STATUSES = ("new", "contacted", "qualified", "converted", "disqualified")
#: Statuses staff may set by hand; `converted` is reached only through `convert_lead`.
OPEN_STATUSES = ("new", "contacted", "qualified", "disqualified")
UTM_KEYS = ("source", "medium", "campaign", "term", "content")
PAGE_SIZE = 50
MAX_PAGE = 200

_PHONE_RE = re.compile(r"^\+?[0-9]{5,20}$")


class LeadError(ValueError):
    """A lead change that cannot be made; `fields` maps fields to messages, `status` the HTTP answer."""

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None, status: int = 409,
                 code: str = "lead_refused") -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.status = status
        self.code = code


def normalize_email(raw: str) -> str:
    """An email as typed reduced as `LeadIn` stores it: Latin digits, stripped, lower-cased ('' when blank)."""
    return to_latin_digits(raw).strip().lower()


def valid_phone(phone: str) -> bool:
    """Whether a normalised phone (`normalize_phone`) is one `LeadIn` accepts: `+` and 5 to 20 digits."""
    return _PHONE_RE.match(phone) is not None


def _loose_phone(raw: str) -> str:
    """A phone reduced to `+` and Latin digits (for a number the phone library cannot read)."""
    text = to_latin_digits(raw).strip()
    plus = text.startswith("+") or text.startswith("00")
    digits = re.sub(r"[^0-9]", "", text)
    if text.startswith("00"):
        digits = digits[2:]
    return ("+" if plus else "") + digits


def normalize_phone(raw: str, region: str = "IR") -> str:
    """A phone as typed (Persian digits, spaces, dashes, brackets) in E.164 as customers store it
    (`۰۹۱۲ ۹۹۹ ۸۸۷۷` → `+989129998877`, read in `region`); a number the phone library cannot
    read is kept as `+` and Latin digits ('' when blank), for `valid_phone` to judge."""
    if not raw.strip():
        return ""
    try:
        return sdk_normalize_phone(raw, region)
    except NormalizationError:
        return _loose_phone(raw)


#: The lead fields holding names and labels (`clean_name`: ی/ک folded, spaces tidied, digits
#: kept) and free text (`keep_text`: as written).
NAME_FIELDS = ("given_name", "family_name", "organization_name", "campaign")
FREE_TEXT_FIELDS = ("message",)


def normalize_lead(data: Mapping[str, Any], region: str = "IR") -> dict[str, Any]:
    """The one normalisation of a lead's input, whichever the entry point (public form, API,
    staff page, import): names and campaign get `clean_name`, the message `keep_text`, the
    email is lower-cased with Latin digits, the phone becomes E.164 in `region`; the referrer
    and UTM values are stripped. Only string values are touched (the schema judges the rest).
    """
    out = dict(data)
    for key in NAME_FIELDS:
        if isinstance(out.get(key), str):
            out[key] = clean_name(out[key])
    for key in FREE_TEXT_FIELDS:
        if isinstance(out.get(key), str):
            out[key] = keep_text(out[key])
    if isinstance(out.get("email"), str):
        out["email"] = normalize_email(out["email"]) or None
    if isinstance(out.get("phone"), str):
        out["phone"] = normalize_phone(out["phone"], region) or None
    if isinstance(out.get("referrer"), str):
        out["referrer"] = out["referrer"].strip() or None
    return out


# --------------------------------------------------------------------------- create / read / change


def _apply(lead: Lead, data: dict[str, Any]) -> None:
    for key, value in data.items():
        if key == "utm":
            lead.utm = dict(value or {})
            lead.utm_source = lead.utm.get("source")
            lead.utm_medium = lead.utm.get("medium")
            lead.utm_campaign = lead.utm.get("campaign")
        else:
            setattr(lead, key, value)
    if "utm" in data and not lead.campaign and lead.utm_campaign:
        lead.campaign = lead.utm_campaign


def check_owner(owner_id: int | None) -> None:
    """Raise LeadError (422) when `owner_id` names no active user."""
    if owner_id is None:
        return
    found = session().scalar(sa.select(User.id).where(User.id == owner_id, User.is_active.is_(True)))
    if found is None:
        raise LeadError("The request has invalid fields.", fields={"owner_id": [f"There is no user {owner_id}."]},
                        status=422, code="invalid")


def _refuse_owner() -> LeadError:
    return LeadError("The request has invalid fields.",
                     fields={"owner_id": ["Only a sales manager may give a lead to someone else."]},
                     status=422, code="invalid")


def create_lead(data: dict[str, Any], *, owner_id: int | None = None, actor: Actor = SYSTEM) -> Lead:
    """Add a lead from validated `LeadIn` data in the current session (flushed, not committed);
    the values go through `normalize_lead` whoever calls.

    `owner_id` in `data` wins over the argument (the creator, for manual entry); the public
    form passes none, leaving the lead unassigned. The owner is held to the record rule: a rep may own the
    lead themselves only (`rules.may_assign`);
    another owner is refused with 422, never replaced.
    """
    values = normalize_lead(data, phone_region())  # already done by `LeadIn`; kept here for any other caller
    values.setdefault("owner_id", owner_id)
    values.setdefault("source", "manual")
    if not rules.may_assign(actor, values.get("owner_id")):
        raise _refuse_owner()
    check_owner(values.get("owner_id"))
    lead = Lead(status=values.pop("status", "new"), utm={}, score=0, score_details=[])
    _apply(lead, values)
    session().add(lead)
    session().flush()
    return lead


def get_lead(lead_id: int, actor: Actor) -> Lead | None:
    """The lead with this id if the actor may see it, else None."""
    if not 0 < lead_id <= MAX_ID:
        return None
    return get_visible(session(), Lead, lead_id, actor)


def update_lead(lead: Lead, data: dict[str, Any], actor: Actor = SYSTEM) -> dict[str, list[Any]]:
    """Apply a validated `LeadPatch`; return the changes as `{field: [old, new]}`.

    A new owner is held to the record rule (`rules.may_assign`: 422 for a rep
    giving the lead to someone else)."""
    if lead.status == "converted" and "status" in data:
        raise LeadError("A converted lead keeps its status.", fields={"status": ["Already converted."]},
                        code="lead_converted")
    data = normalize_lead(data, phone_region())  # already done by `LeadPatch`; kept for any other caller
    if "owner_id" in data and not rules.may_assign(actor, data["owner_id"], lead.owner_id):
        raise _refuse_owner()
    if "owner_id" in data:
        check_owner(data["owner_id"])
    changes: dict[str, list[Any]] = {}
    for key, value in data.items():
        old = getattr(lead, key)
        if old != value:
            changes[key] = [old, value]
    _apply(lead, data)
    session().flush()
    return changes


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _search_conditions(raw: str) -> list[Any]:
    """What a search matches, normalised as the leads were (`normalize_lead`): an email prefix
    (Latin digits, lower case), a phone fragment in any digits as E.164 prefixes (`0912…` and
    `+98912…` alike), or a name prefix with Arabic ي/ك read as Persian ی/ک and digits in any
    script (`شرکت 12` finds `شرکت ۱۲`)."""
    text = to_latin_digits(raw)
    conditions = [Lead.email.like(_like_prefix(text.lower() if "@" in text else text), escape="\\")]
    if _PHONE_RE.match(_loose_phone(text) or "x") or text.replace(" ", "").lstrip("+").isdigit():
        prefixes = {*phone_search_prefixes(text), _loose_phone(text)}
        conditions += [Lead.phone.like(_like_prefix(p), escape="\\") for p in sorted(prefixes) if p]
    else:
        name = clean_name(raw) or raw  # names keep their digits: try the Latin and the Persian spelling
        for spelling in sorted({name, to_latin_digits(name), to_persian_digits(to_latin_digits(name))}):
            conditions += [column.like(_like_prefix(spelling), escape="\\")
                           for column in (Lead.given_name, Lead.family_name, Lead.organization_name)]
    return conditions


def _search(value: str, _operator: str, _context: ListContext) -> Any:
    return sa.or_(*_search_conditions(value.strip()))


def _by_newest(column: Any) -> Any:
    """Status, owner and source: their `(column, id)` indexes serve `newest`; under `score` a common
    value walks the score index and a rare one is read and sorted (`by_share`); a search narrows first."""
    return by_share(column, served=("newest",), narrowing=("q",))


#: The lead list (API and page): filters `status`, `owner_id`, `source`, `min_score`, `q` (prefix of a
#: name, organisation, email or phone); sorts `newest` (id) and `score` (score, id), both indexed.
LEADS = ListSpec(
    name="sales.leads",
    model=Lead,
    filters=(
        Filter("status", "choice", column=Lead.status, choices=STATUSES, apply=_by_newest(Lead.status)),
        Filter("owner_id", "id", column=Lead.owner_id, apply=_by_newest(Lead.owner_id)),
        Filter("source", "choice", column=Lead.source, choices=SOURCES, apply=_by_newest(Lead.source)),
        Filter("min_score", "integer", apply=lambda value, _op, _ctx: Lead.score >= value, bounds=(-1_000_000, 1_000_000),
               description="Leads scoring at least this"),
        Filter("q", "text", apply=_search, max_length=120,
               description="Prefix of a name, an organisation, an email or a phone"),
    ),
    sorts=(
        Sort("newest", (SortKey(Lead.id, "id", "id", descending=True),)),
        Sort("score", (SortKey(Lead.score, "score", "int", descending=True),
                       SortKey(Lead.id, "id", "id", descending=True))),
    ),
    default_limit=PAGE_SIZE,
    max_limit=MAX_PAGE,
)


def list_leads(args: dict[str, Any], actor: Actor) -> tuple[list[Lead], str | None]:
    """One page of leads the actor may see (the record rules of leads), filtered, newest first or by score; and the next cursor.

    Raises BadCursor for a cursor the lead list did not make.
    """
    page = LEADS.page(session(), args, actor)
    return page.items, page.next_cursor


def owner_names(leads: list[Lead]) -> dict[int, str]:
    """Display names of the owners of `leads` (one query)."""
    return owner_names_by_id([lead.owner_id for lead in leads if lead.owner_id])


def owner_names_by_id(user_ids: list[int]) -> dict[int, str]:
    """Display names of these users (one query)."""
    ids = set(user_ids)
    if not ids:
        return {}
    rows = session().execute(sa.select(User.id, User.name, User.email).where(User.id.in_(ids)))
    return {row.id: row.name or row.email for row in rows}


def owner_choices(limit: int = 500) -> list[tuple[int, str]]:
    """Active users a lead may be assigned to, by name (at most `limit`)."""
    rows = session().execute(sa.select(User.id, User.name, User.email).where(User.is_active.is_(True))
                             .order_by(User.name, User.email).limit(limit))
    return [(row.id, row.name or row.email) for row in rows]


def display_name(lead: Lead) -> str:
    """The lead's person name, else its organisation, else its email or phone."""
    person = " ".join(p for p in (lead.given_name, lead.family_name) if p)
    return person or lead.organization_name or lead.email or lead.phone or f"#{lead.id}"


# --------------------------------------------------------------------------- conversion


def _customer_data(lead: Lead) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if lead.given_name or lead.family_name:
        data.update(kind="person", given_name=lead.given_name, family_name=lead.family_name)
        if lead.organization_name:
            data["organization_name"] = lead.organization_name
    else:
        data.update(kind="organization", organization_name=lead.organization_name)
    if lead.email:
        data["emails"] = [lead.email]
    if lead.phone:
        data["phones"] = [lead.phone]
    if lead.owner_id:
        data["owner_id"] = lead.owner_id
    if lead.consent:
        data["consents"] = [{"channel": "email" if lead.email else "sms", "granted": True,
                             "source": f"sales lead {lead.id}"}]
    return {k: v for k, v in data.items() if v is not None}


@dataclasses.dataclass
class Conversion:
    """What a conversion made: the customer (new or existing), and the deal if one was asked for."""

    lead: Lead
    customer_id: int
    created_customer: bool
    deal: Deal | None


def convert_lead(lead: Lead, options: dict[str, Any] | None = None) -> Conversion:
    """Turn the lead into a customer (and a deal), keeping its history; flushed, not committed.

    The customer is `options["customer_id"]`, else the oldest live customer with the lead's
    email, else a new one made from the lead. With `create_deal`, a deal opens in the default
    pipeline's first stage (through the pipeline service, which makes a default pipeline if there is none). The customer's
    timeline gets `sales.lead_created` at the lead's arrival and `sales.lead_converted` now.
    """
    options = options or {}
    if lead.status == "converted":
        raise LeadError("This lead is already converted.", code="lead_converted")
    s = session()
    created = False
    customer_id = options.get("customer_id")
    if customer_id is not None:
        customer = s.get(Customer, customer_id)
        if customer is None or customer.merged_into_id is not None or customer.erased_at is not None:
            raise LeadError("The request has invalid fields.",
                            fields={"customer_id": [f"There is no customer {customer_id}."]}, status=422, code="invalid")
    else:
        found = find_customer_ids_by_email(lead.email) if lead.email else []
        if found:
            customer_id = found[0]
        else:
            customer_id = create_customer(_customer_data(lead), source="sales.lead").id
            created = True
    deal = None
    if options.get("create_deal"):
        data = {"title": options.get("deal_title") or display_name(lead), "customer_id": customer_id,
                "lead_id": lead.id, "owner_id": lead.owner_id, "amount": options.get("deal_amount") or 0,
                "currency": options.get("deal_currency") or "IRR"}
        try:  # the default pipeline's first stage (made if there is no pipeline yet)
            deal = pipeline.create_deal(s, data)
        except pipeline.PipelineError as exc:
            raise LeadError("The request has invalid fields.", fields={"deal_" + exc.field: [exc.message]},
                            status=422, code="invalid") from None
    now = utcnow()
    created_at = lead.created_at if lead.created_at.tzinfo else lead.created_at.replace(tzinfo=dt.UTC)
    record_interaction(
        customer_id, "sales.lead_created", _channel(lead), f"Lead from {lead.source}" + (
            f" ({lead.campaign})" if lead.campaign else ""),
        occurred_at=created_at, source=("sales.lead", lead.id),
        payload={k: v for k, v in {"source": lead.source, "campaign": lead.campaign, "referrer": lead.referrer,
                                   "utm": lead.utm or None, "message": (lead.message or "")[:500] or None,
                                   "score": lead.score}.items() if v},
    )
    record_interaction(
        customer_id, "sales.lead_converted", "web" if lead.source == "web_form" else _channel(lead),
        "Lead converted" + (f"; deal {deal.title}" if deal else ""), occurred_at=now, direction="internal",
        source=("sales.lead", lead.id), payload={"deal_id": deal.id, "deal_title": deal.title} if deal else {},
    )
    lead.status = "converted"
    lead.customer_id = customer_id
    lead.converted_at = now
    s.flush()
    return Conversion(lead=lead, customer_id=customer_id, created_customer=created, deal=deal)


def _channel(lead: Lead) -> str:
    """The interaction channel a lead came through (core channels: `web` or `other`)."""
    return "web" if lead.source in ("web_form", "api") else "other"


# --------------------------------------------------------------------------- customer hooks (wired in __init__.py)


def merge_customer(target: Any, source: Any) -> list[Any]:
    """`payvand_customer_merge`: re-point the leads converted into `source` to `target` (one UPDATE)."""
    from payvand.sdk import MovedRows

    s = session()
    ids = list(s.scalars(sa.select(Lead.id).where(Lead.customer_id == source.id)))
    if not ids:
        return []
    s.execute(sa.update(Lead).where(Lead.id.in_(ids)).values(customer_id=target.id)
              .execution_options(synchronize_session=False))
    return [MovedRows(table=Lead.__tablename__, column="customer_id", ids=ids)]


def phone_variants(numbers: Any) -> set[str]:
    """The forms a lead may hold a customer's E.164 phone in: as is, without `+`, and national (`0912…` for +98)."""
    found: set[str] = set()
    for number in numbers:
        if not number:
            continue
        found.update({number, number.lstrip("+")})
        if number.startswith("+98"):
            found.add("0" + number[3:])
    return found


def of_customer(customer: Any) -> Any:
    """SQL: the leads about `customer` — converted into it, or sharing one of its emails or phones."""
    emails = sorted({e.email.lower() for e in customer.emails if e.email})
    phones = sorted(phone_variants(p.number for p in customer.phones))
    conditions = [Lead.customer_id == customer.id]
    if emails:
        conditions.append(Lead.email.in_(emails))
    if phones:
        conditions.append(Lead.phone.in_(phones))
    return sa.or_(*conditions)


def customer_leads(customer: Any, actor: Actor = SYSTEM) -> list[Lead]:
    """The leads about `customer` (`of_customer`) that `actor` may see, oldest first (the
    data-portability export dumps them with `schemas.LeadOut`)."""
    query = restrict(sa.select(Lead).where(of_customer(customer)), actor, Lead)
    return list(session().scalars(query.order_by(Lead.id)))


def erase_customer(customer: Any) -> list[int]:
    """`payvand_customer_erase`: blank the personal fields of the leads about `customer` — converted into it
    or sharing one of its emails or phones — keeping dates, source, status and score; returns their ids."""
    s = session()
    ids = list(s.scalars(sa.select(Lead.id).where(of_customer(customer))))
    if ids:
        s.execute(
            sa.update(Lead).where(Lead.id.in_(ids)).values(
                given_name=None, family_name=None, organization_name=None, email=None, phone=None, message=None,
                referrer=None, utm={}, utm_source=None, utm_medium=None, utm_campaign=None,
            ).execution_options(synchronize_session=False)
        )
    return ids
