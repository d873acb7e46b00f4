"""Building demo rows in memory, deterministically from a `random.Random`.

Nothing here touches the database: `customers()` returns drafts (a customer row and its
child rows), `interactions()` returns interaction rows for customers that have ids.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import random
import re
from collections.abc import Sequence
from typing import Any

from payvand.core.demo import vocabulary as v
from payvand.core.normalize import to_persian_digits
from payvand.core.services.customers import names
from payvand.core.services.interactions import build_interaction

#: How far back the demo history reaches.
HISTORY = dt.timedelta(days=730)
#: Tehran is UTC+03:30; interactions happen between 08:00 and 21:00 local time.
_DAY_OPENS_UTC = dt.timedelta(hours=4, minutes=30)
_DAY_HOURS = 13
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


@dataclasses.dataclass
class CustomerDraft:
    """One demo customer before insertion: its row, child rows and activity profile."""

    row: dict[str, Any]
    emails: list[tuple[str, str]]
    phones: list[tuple[str, str]]
    addresses: list[dict[str, Any]]
    tags: list[str]
    consents: list[dict[str, Any]]
    language: str
    activity: float
    active_until: dt.datetime
    id: int | None = None


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _slug(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


class _Unique:
    """Hands out values not seen before, adding a number when a candidate is taken."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def email(self, rng: random.Random, local: str, domain: str) -> str:
        candidate = f"{local}@{domain}"
        while candidate in self.seen:
            candidate = f"{local}{rng.randint(2, 999)}@{domain}"
        self.seen.add(candidate)
        return candidate

    def phone(self, rng: random.Random, make: Any) -> str:
        number = make()
        while number in self.seen:
            number = make()
        self.seen.add(number)
        return number


def _mobile(rng: random.Random) -> str:
    return f"+98{rng.choice(v.MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}"


def _landline(rng: random.Random, area: str) -> str:
    return f"+98{area}{rng.choice('3456789')}{rng.randint(0, 9_999_999):07d}"


def _postal_code(rng: random.Random) -> str:
    head = "".join(rng.choice("13456789") for _ in range(5))
    return head + f"{rng.randint(0, 99_999):05d}"


def _address(rng: random.Random, language: str, label: str) -> tuple[dict[str, Any], tuple[Any, ...]]:
    city = rng.choices(v.CITIES, weights=[c[4] for c in v.CITIES])[0]
    street_fa, street_en = rng.choice(v.STREETS)
    alley, number = rng.randint(1, 40), rng.randint(1, 250)
    if language == "fa":
        line1 = to_persian_digits(f"خیابان {street_fa}، کوچه {alley}، پلاک {number}")
        line2 = to_persian_digits(f"واحد {rng.randint(1, 20)}") if rng.random() < 0.4 else None
        city_name, region = city[0], city[2]
    else:
        line1 = f"No. {number}, Alley {alley}, {street_en} St."
        line2 = f"Unit {rng.randint(1, 20)}" if rng.random() < 0.4 else None
        city_name, region = city[1], city[3]
    row = {"label": label, "line1": line1, "line2": line2, "city": city_name, "region": region,
           "postal_code": _postal_code(rng), "country": "IR"}
    return row, city


def _person(rng: random.Random, segment: str) -> tuple[str, str, str, str, str]:
    """(given, family, latin given, latin family, language) for a person of a segment."""
    if segment == "en":
        given, family = rng.choice(v.GIVEN_NAMES_EN), rng.choice(v.FAMILY_NAMES_EN)
        return given, family, given, family, "en"
    (given_fa, given_en), (family_fa, family_en) = rng.choice(v.GIVEN_NAMES_FA), rng.choice(v.FAMILY_NAMES_FA)
    if segment == "fa":
        return given_fa, family_fa, given_en, family_en, "fa" if rng.random() < 0.95 else "en"
    return given_en, family_en, given_en, family_en, "fa" if rng.random() < 0.5 else "en"


def _between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    if end <= start:
        return start
    return start + (end - start) * rng.random()


def _consents(rng: random.Random, created: dt.datetime, now: dt.datetime, preferred: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for channel in v.CONSENT_CHANNELS:
        if rng.random() > 0.75 and channel != preferred:
            continue
        chance = {"email": 0.7, "sms": 0.6, "phone": 0.5}[channel] + (0.2 if channel == preferred else 0.0)
        granted = rng.random() < chance
        at = min(created + dt.timedelta(hours=rng.uniform(0, 72)), now)
        rows.append({"channel": channel, "purpose": "marketing", "granted": granted,
                     "recorded_at": at.replace(microsecond=0), "source": rng.choice(v.CONSENT_SOURCES)})
        if granted and rng.random() < 0.12:
            rows.append({"channel": channel, "purpose": "marketing", "granted": False,
                         "recorded_at": _between(rng, at, now).replace(microsecond=0),
                         "source": rng.choice(v.WITHDRAWAL_SOURCES)})
    return rows


def _tags(rng: random.Random, organization: bool) -> list[str]:
    count = rng.choices((0, 1, 2, 3), weights=(35, 35, 20, 10))[0]
    tags = {_weighted(rng, v.TAGS) for _ in range(count)}
    if organization:
        tags.add("b2b")
    return sorted(tags)


def customers(rng: random.Random, count: int, now: dt.datetime) -> list[CustomerDraft]:
    """Draft `count` customers: people with Persian or English names and a few organisations."""
    unique = _Unique()
    drafts = []
    for _ in range(count):
        segment = _weighted(rng, (("fa", 60), ("fa_latin", 22), ("en", 12), ("org", 6)))
        created = _between(rng, now - HISTORY, now - dt.timedelta(days=7)).replace(microsecond=0)
        stage = _weighted(rng, v.LIFECYCLE_STAGES)
        preferred = _weighted(rng, v.PREFERRED_CHANNELS)
        emails: list[tuple[str, str]] = []
        phones: list[tuple[str, str]] = []
        addresses: list[dict[str, Any]] = []
        if segment == "org":
            brand_fa, brand_en = rng.choice(v.ORG_BRANDS)
            language = "fa" if rng.random() < 0.7 else "en"
            if language == "fa":
                org = f"{rng.choice(v.ORG_KINDS_FA)} {brand_fa}"
            else:
                org = f"{brand_en} {rng.choice(v.ORG_KINDS_EN)}"
            kind, given, family, birthday = "organization", None, None, None
            domain = f"{_slug(brand_en)}{rng.randint(1, 99)}.{rng.choice(v.EMAIL_DOMAINS)}"
            emails.append((unique.email(rng, rng.choice(("info", "sales", "office")), domain), "work"))
            address, city = _address(rng, language, "office")
            addresses.append(address)
            area = city[5]
            phones.append((unique.phone(rng, functools.partial(_landline, rng, area)), "office"))
            if rng.random() < 0.5:
                phones.append((unique.phone(rng, lambda: _mobile(rng)), "mobile"))
        else:
            kind, org = "person", None
            given, family, latin_given, latin_family, language = _person(rng, segment)
            age = rng.randint(18, 75)
            birthday = None
            if rng.random() < 0.88:
                birthday = dt.date(now.year - age, rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.85:
                first, last = _slug(latin_given), _slug(latin_family)
                local = rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{first}{last}", f"{last}.{first}"))
                emails.append((unique.email(rng, local, rng.choice(v.EMAIL_DOMAINS)), "personal"))
                if rng.random() < 0.15:
                    work_domain = f"work.{rng.choice(v.EMAIL_DOMAINS)}"
                    emails.append((unique.email(rng, f"{first}.{last}", work_domain), "work"))
            if rng.random() < 0.92:
                phones.append((unique.phone(rng, lambda: _mobile(rng)), "mobile"))
                if rng.random() < 0.1:
                    phones.append((unique.phone(rng, lambda: _mobile(rng)), "work"))
            if rng.random() < 0.8:
                addresses.append(_address(rng, language, rng.choice(("home", "home", "work", "billing")))[0])
        display, search, alt = names(kind, given, family, org)
        consents = _consents(rng, created, now, preferred)
        updated = max([created] + [c["recorded_at"] for c in consents])
        active_until = now
        if stage == "churned":
            active_until = created + (now - created) * rng.uniform(0.3, 0.8)
        row = {
            "kind": kind, "given_name": given, "family_name": family, "organization_name": org,
            "display_name": display, "search_name": search, "search_name_alt": alt,
            "birthday": birthday, "preferred_language": language, "preferred_channel": preferred,
            "lifecycle_stage": stage, "owner_id": None, "attributes": {}, "merged_into_id": None,
            "erased_at": None, "created_at": created, "updated_at": updated, "version": 1,
        }
        activity = v.STAGE_ACTIVITY[stage] * rng.paretovariate(2.0) * (2.0 if kind == "organization" else 1.0)
        drafts.append(CustomerDraft(row, emails, phones, addresses, _tags(rng, kind == "organization"),
                                    consents, language, activity, active_until))
    return drafts


def _occurred(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    day = _between(rng, start, end).replace(hour=0, minute=0, second=0, microsecond=0)
    moment = day + _DAY_OPENS_UTC + dt.timedelta(seconds=rng.randint(0, _DAY_HOURS * 3600))
    return min(max(moment, start), end)


def _payload(rng: random.Random, kind: str, product_en: str, platform_en: str, order: str) -> dict[str, Any]:
    payload: dict[str, Any] = {"product": product_en}
    if kind == "core.web_visit":
        payload["path"] = "/products/" + product_en.lower().replace(" ", "-")
    elif kind == "core.call":
        payload["duration_seconds"] = rng.randint(30, 1200)
    elif kind == "core.chat":
        payload["messages"] = rng.randint(2, 30)
    elif kind.startswith("core.social"):
        payload["platform"] = platform_en
    elif kind == "core.purchase":
        payload["order_number"] = order
    return payload


def interactions(
    rng: random.Random, drafts: Sequence[CustomerDraft], count: int, now: dt.datetime
) -> list[dict[str, Any]]:
    """`count` interaction rows spread over `drafts` (which have ids), oldest first."""
    if count and not drafts:
        raise ValueError("interactions need at least one customer")
    if any(d.id is None for d in drafts):
        raise ValueError("insert the customers first: every draft needs its id")
    buying = [k[3] for k in v.KINDS]
    browsing = [0 if k[6] and k[0] != "core.quote" else k[3] for k in v.KINDS]
    owners = rng.choices(drafts, weights=[d.activity for d in drafts], k=count)
    rows = []
    for number, draft in enumerate(owners, start=1):
        stage = draft.row["lifecycle_stage"]
        weights = browsing if stage in ("prospect", "lead") else buying
        kind, channel, directions, _, summary_fa, summary_en, valued = rng.choices(v.KINDS, weights=weights)[0]
        product_fa, product_en, low, high = rng.choice(v.PRODUCTS)
        branch_fa, branch_en = rng.choice(v.BRANCHES)
        platform_fa, platform_en = rng.choice(v.SOCIAL_PLATFORMS)
        order = f"PV-{100_000 + number}"
        if draft.language == "fa":
            summary = summary_fa.format(product=product_fa, branch=branch_fa, platform=platform_fa, order=order)
        else:
            summary = summary_en.format(product=product_en, branch=branch_en, platform=platform_en, order=order)
        value = rng.randint(low // 10_000, high // 10_000) * 10_000 if valued else None
        occurred = _occurred(rng, draft.row["created_at"], draft.active_until)
        row = build_interaction(
            draft.id, kind, channel, summary,  # type: ignore[arg-type]
            direction=rng.choice(directions),
            value=value, currency="IRR" if valued else None,
            occurred_at=occurred,
            payload=_payload(rng, kind, product_en, platform_en, order),
            source=("demo.order", order) if kind == "core.purchase" else None,
        )
        row["created_at"] = occurred  # recorded as it happened
        rows.append(row)
    rows.sort(key=lambda r: r["occurred_at"])
    return rows
