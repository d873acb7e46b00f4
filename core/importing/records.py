"""Turning one CSV row into a normalised customer record, or a reason why it cannot be one.

This is the hot loop of an import: the mapping is resolved once into column indexes, the
name normalisation is cached per distinct name part (names repeat a lot), and emails and
phones go through the fast paths of `payvand.core.normalize`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, cast

from payvand.core.contracts import CustomerField
from payvand.core.importing.guard import unguard
from payvand.core.importing.mapping import ADDRESS_COLUMNS, EXPORT_ADDRESSES, EXPORT_ATTRIBUTES, ColumnMap
from payvand.core.importing.values import (
    ValueProblem,
    country_message,
    parse_birthday,
    parse_bool,
    parse_country,
    parse_kind,
    parse_stage,
    split_export_tags,
    split_tags,
)
from payvand.core.locale_format import parse_number
from payvand.core.models import CustomerKind
from payvand.core.normalize import (
    NormalizationError,
    clean_text,
    fold,
    is_time_zone,
    normalize_email,
    normalize_phone,
)

MAX_CONTACTS = 20
MAX_TAGS = 50
TAG_MAX_LENGTH = 64
#: An external id (the row's own or its referrer's) is cut to this length, as the order import's.
EXTERNAL_ID_LENGTH = 64
NAME_LIMITS = {"given_name": 120, "family_name": 120, "organization_name": 200}
_EMAIL_SPLIT = re.compile(r"[|,;\s]+")
_PHONE_SPLIT = re.compile(r"[|,;]")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
_ORGANIZATION = CustomerKind.organization.value
_PERSON = CustomerKind.person.value

clean_name = functools.lru_cache(maxsize=1 << 15)(clean_text)
fold_part = functools.lru_cache(maxsize=1 << 15)(fold)

#: A postal address as the import carries it: the values of `ADDRESS_FIELDS`, in that order
#: (label, line1, line2, city, region, postal_code, country).
Address = tuple[str | None, ...]
#: The address fields whose values repeat from row to row (their checks are remembered).
_REPEATING = frozenset({"label", "city", "region", "country"})


class RowError(ValueError):
    """A row that cannot be imported; the message is the reason reported with its line and
    `code` the stable reason code (`payvand.core.importing.reasons.REASON_CODES`)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def customer_names(
    kind: str, given: str | None, family: str | None, organization: str | None
) -> tuple[str, str, str]:
    """Display name and folded search keys, equal to `services.customers.names` but cached per part.

    Folding works character by character and collapses spaces, so folding "given family"
    equals joining the folded parts with a space; a test checks the equality on many inputs.
    """
    if kind == _ORGANIZATION:
        display = organization or ""
        key = fold_part(display)
        return display, key, key
    if given or family:
        display = f"{given} {family}" if given and family else (given or family or "")
        fg = fold_part(given) if given else ""
        ff = fold_part(family) if family else ""
        search = f"{fg} {ff}" if fg and ff else (fg or ff)
        alt = f"{ff} {fg}" if fg and ff else (ff or fg)
        return display, search, alt
    display = organization or ""
    key = fold_part(display)
    return display, key, key


def _clean(raw: str, field: str, limit: int) -> str | None:
    """A cleaned name or tag (cached: they repeat), or RowError when it is too long."""
    if len(raw) > 2 * limit + 20:  # hopeless, and not worth a cache entry
        raise RowError(f"{field} is longer than {limit} characters", "too_long")
    value = clean_name(raw)
    if value is not None and len(value) > limit:
        raise RowError(f"{field} is longer than {limit} characters", "too_long")
    return value


class Record:
    """One normalised customer row, ready to be deduplicated and written."""

    __slots__ = (
        "addresses",
        "attributes",
        "birthday",
        "cells",
        "channel",
        "consents",
        "copy",
        "emails",
        "ext",
        "family",
        "given",
        "kind",
        "lang",
        "line",
        "org",
        "phones",
        "ref",
        "stage",
        "tags",
        "tz",
    )

    def __init__(self, line: int, cells: list[str]) -> None:
        self.line = line
        self.cells = cells
        self.kind: str | None = None
        self.given: str | None = None
        self.family: str | None = None
        self.org: str | None = None
        self.birthday: dt.date | None = None
        self.stage: str | None = None
        self.lang: str | None = None
        self.channel: str | None = None
        self.tz: str | None = None
        self.emails: list[str] = []
        self.phones: list[tuple[str, str | None]] = []
        self.tags: list[str] = []
        self.consents: list[tuple[str, bool]] = []
        self.attributes: dict[str, Any] = {}
        #: Postal addresses (`Address`), without two equal by `address_key`; a tuple, so a file
        #: without addresses allocates nothing for them.
        self.addresses: tuple[Address, ...] = ()
        #: The row's id in the system the file comes from (`external_id`; names it for referrers).
        self.ext: str | None = None
        #: Who referred the row's customer: (external id, email, phone, problem code), each None
        #: when not given; a problem code when a referrer cell cannot be read (`referrers.py`).
        self.ref: tuple[str | None, str | None, str | None, str | None] | None = None
        #: The row as COPY text, built by the reader process (`writer.copy_text`); None: build it when writing.
        self.copy: tuple[str, str, str, str] | None = None

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled as one flat tuple (the forked reader sends records by the thousand): smaller
        and quicker to load than the default state dict of every slot."""
        return _restore, tuple(getattr(self, name) for name in _FIELDS)

    @property
    def keys(self) -> list[str]:
        """The dedupe keys of this row: its emails and phone numbers."""
        return self.emails + [p for p, _ in self.phones]

    def absorb(self, other: Record) -> None:
        """Fill this record's empty fields from `other` and add its new contacts and tags."""
        self.copy = None  # the text built from the fields before is stale
        for name in ("given", "family", "org", "birthday", "stage", "lang", "channel", "tz"):
            if getattr(self, name) is None:
                setattr(self, name, getattr(other, name))
        self.emails += [e for e in other.emails if e not in self.emails]
        known = {p for p, _ in self.phones}
        self.phones += [p for p in other.phones if p[0] not in known]
        self.tags += [t for t in other.tags if t not in self.tags]
        channels = {c for c, _ in self.consents}
        self.consents += [c for c in other.consents if c[0] not in channels]
        for key, value in other.attributes.items():
            self.attributes.setdefault(key, value)
        if other.addresses:
            self.addresses = add_addresses(self.addresses, other.addresses)


_FIELDS = Record.__slots__
_ADDRESS_KEYS = frozenset(ADDRESS_COLUMNS.values())


def _restore(*values: Any) -> Record:
    """A Record from `Record.__reduce__`'s values."""
    record = Record.__new__(Record)
    for name, value in zip(_FIELDS, values, strict=True):
        setattr(record, name, value)
    return record


def address_key(address: Address) -> tuple[str, ...]:
    """What makes two addresses the same: line1, line2, city, region, postal code and country,
    text folded (`fold`: letter forms, case, spaces, digits); the label does not count."""
    return tuple(fold(value) if value else "" for value in address[1:])


def add_addresses(known: tuple[Address, ...], more: tuple[Address, ...] | list[Address]) -> tuple[Address, ...]:
    """`known` followed by the addresses of `more` that are not the same (`address_key`) as one before."""
    keys = {address_key(a) for a in known}
    added = list(known)
    for address in more:
        key = address_key(address)
        if key not in keys:
            keys.add(key)
            added.append(address)
    return tuple(added)


@functools.cache
def _address_rules() -> tuple[dict[str, Any], int]:
    """The API's address rule, field by field (`AddressSchema`'s fields), and how many addresses a
    customer may have (`CustomerIn.addresses`)."""
    from marshmallow import validate

    from payvand.core.schemas import AddressSchema, CustomerIn

    most = next(v.max for v in CustomerIn().fields["addresses"].validators if isinstance(v, validate.Length))
    return dict(AddressSchema().fields), int(most or 0)


def _refusal(name: str, field: Any, raw: str, exc: Any) -> RowError:
    """The RowError for an address field `field` (named `name`) refusing `raw` with `exc`."""
    from marshmallow import validate

    messages = exc.messages
    detail = " ".join(str(m) for m in messages) if isinstance(messages, list) else str(messages)
    target = _TARGET_OF[name]
    if name == "country":
        return RowError(country_message(raw), "invalid_country")
    if name == "postal_code":
        return RowError(f"postal code {raw!r} is refused: {detail}", "invalid_postal_code")
    limit = next((v.max for v in field.validators if isinstance(v, validate.Length)), None)
    if limit is not None and len(raw) > limit:
        return RowError(f"{target} is longer than {limit} characters", "too_long")
    if name == "line1":
        return RowError(_NO_LINE1, "address_without_line1")
    return RowError(f"{target}: {detail}", "invalid_address")


def _field_check(name: str) -> Callable[[str], str | None]:
    """The check of one address field: its `AddressSchema` field's `deserialize` (cleaning, limits,
    pattern), the postal code's `normalize_postal_code`, a country's name read first
    (`parse_country`); a refusal raises RowError. Fields whose values repeat remember them."""
    from marshmallow import ValidationError

    from payvand.core.schemas import normalize_postal_code

    field = _address_rules()[0][name]
    deserialize = field.deserialize

    def check(raw: str, shown: str | None = None) -> str | None:
        try:
            return cast("str | None", deserialize(raw))
        except ValidationError as exc:
            raise _refusal(name, field, shown or raw, exc) from None

    if name == "postal_code":
        def postal_code(raw: str) -> str | None:
            value = check(raw)
            return None if value is None else normalize_postal_code(value)

        return postal_code
    if name == "country":
        def country(raw: str) -> str | None:
            try:
                code = parse_country(raw)
            except ValueProblem as exc:
                raise RowError(str(exc), exc.code) from None
            return check(code, raw)

        return functools.lru_cache(maxsize=1 << 10)(country)
    return functools.lru_cache(maxsize=1 << 12)(check) if name in _REPEATING else check


@functools.cache
def _address_checks() -> tuple[tuple[str, Callable[[str], str | None]], ...]:
    """(field, check) for each field of an address, in `Address` order."""
    from payvand.core.schemas import ADDRESS_FIELDS

    return tuple((name, _field_check(name)) for name in ADDRESS_FIELDS)


_TARGET_OF = {field: target for target, field in ADDRESS_COLUMNS.items()}
_NO_LINE1 = "the address has no first line (address_line1)"


def read_address(values: Mapping[str, str | None]) -> Address:
    """An address from its fields' raw text (blank: not given), checked by the API's rule; raise
    RowError with the reason (`address_without_line1`, `too_long`, `invalid_country`, ...)."""
    result: list[str | None] = []
    for name, check in _address_checks():
        raw = values.get(name)
        if raw:
            raw = raw.strip()
        result.append(check(raw) if raw else None)
    if result[1] is None:
        raise RowError(_NO_LINE1, "address_without_line1")
    return tuple(result)


class RowParser:
    """Parses rows according to a ColumnMap, in one phone region."""

    def __init__(
        self,
        mapping: ColumnMap,
        region: str,
        declared: dict[str, CustomerField] | None = None,
        today: dt.date | None = None,
    ) -> None:
        self.region = region
        self.today = today or dt.date.today()
        self.width = len(mapping.header)
        self.declared = declared or {}
        single = {t: i for i, t in mapping.targets.items()}
        self.given = single.get("given_name")
        self.family = single.get("family_name")
        self.full = single.get("full_name")
        self.org = single.get("organization_name")
        self.kind = single.get("kind")
        self.birthday = single.get("birthday")
        self.stage = single.get("lifecycle_stage")
        self.lang = single.get("preferred_language")
        self.channel = single.get("preferred_channel")
        self.tz = single.get("timezone")
        self.emails = mapping.columns_for("email")
        self.phones = [
            (i, "mobile" if t == "mobile" else None)
            for i, t in sorted(mapping.targets.items())
            if t in ("phone", "mobile")
        ]
        self.tags = mapping.columns_for("tags")
        self.consents = [(i, t[8:]) for i, t in mapping.targets.items() if t.startswith("consent:")]
        self.attributes = [
            (i, t[11:]) for i, t in mapping.targets.items()
            if t.startswith("attributes.") and t != EXPORT_ATTRIBUTES
        ]
        self.attributes_json = single.get(EXPORT_ATTRIBUTES)
        #: The address columns: (index, `CustomerAddress` field); the export's JSON list column.
        self.address = [(i, ADDRESS_COLUMNS[t]) for i, t in sorted(mapping.targets.items()) if t in ADDRESS_COLUMNS]
        self.addresses_json = single.get(EXPORT_ADDRESSES)
        self.ext = single.get("external_id")
        self.ref_ext = single.get("referrer_external_id")
        self.ref_email = single.get("referrer_email")
        self.ref_phone = single.get("referrer_phone")
        self.referrer = any(i is not None for i in (self.ref_ext, self.ref_email, self.ref_phone))
        self.last_index = max(mapping.targets) if mapping.targets else -1
        self.guarded = mapping.guarded
        #: A Payvand export joins tags with `|` only, so a tag may hold a comma.
        self.split_tags = split_export_tags if mapping.payvand_export else split_tags

    def parse(self, line: int, cells: list[str]) -> Record:
        """Normalise one row; raise RowError with the reason when it cannot be imported."""
        if len(cells) <= self.last_index:
            cells = cells + [""] * (self.last_index + 1 - len(cells))
        elif len(cells) > self.width and any(c.strip() for c in cells[self.width :]):
            raise RowError(f"the row has {len(cells)} fields but the header has {self.width}", "field_count")
        record = Record(line, cells)
        if self.guarded:
            cells = cells.copy()
            for index in self.guarded:
                if index < len(cells):
                    cells[index] = unguard(cells[index])
        try:
            self._names(record, cells)
            self._contacts(record, cells)
            self._details(record, cells)
        except ValueProblem as exc:
            raise RowError(str(exc), exc.code) from None
        if not (record.given or record.family or record.org or record.emails or record.phones):
            raise RowError("the row has no name, email or phone", "no_name_or_contact")
        return record

    def _names(self, record: Record, cells: list[str]) -> None:
        if self.full is not None:
            full = _clean(
                cells[self.full], "name", NAME_LIMITS["given_name"] + NAME_LIMITS["family_name"]
            )
            if full:
                given, _, family = full.partition(" ")
                record.given, record.family = given, family or None
        if self.given is not None:
            record.given = (
                _clean(cells[self.given], "given_name", NAME_LIMITS["given_name"]) or record.given
            )
        if self.family is not None:
            record.family = (
                _clean(cells[self.family], "family_name", NAME_LIMITS["family_name"])
                or record.family
            )
        if self.org is not None:
            record.org = _clean(
                cells[self.org], "organization_name", NAME_LIMITS["organization_name"]
            )
        if self.kind is not None and cells[self.kind].strip():
            record.kind = parse_kind(cells[self.kind])
        if record.kind is None:
            record.kind = (
                _ORGANIZATION if record.org and not (record.given or record.family) else _PERSON
            )
        elif record.kind == _ORGANIZATION and not record.org:
            raise RowError("an organization needs an organization name", "organization_without_name")

    def _contacts(self, record: Record, cells: list[str]) -> None:
        emails = record.emails
        try:
            for index in self.emails:
                raw = cells[index].strip()
                if not raw:
                    continue
                if _EMAIL_SPLIT.search(raw) is None:  # the common case: one address
                    email = normalize_email(raw)
                    if email not in emails:
                        emails.append(email)
                    continue
                for part in _EMAIL_SPLIT.split(raw):
                    if part:
                        email = normalize_email(part)
                        if email not in emails:
                            emails.append(email)
        except NormalizationError as exc:
            raise RowError(str(exc), "invalid_email") from None
        phones = record.phones
        region = self.region
        try:
            for index, label in self.phones:
                raw = cells[index]
                if not raw or raw.isspace():
                    continue
                for part in _PHONE_SPLIT.split(raw) if _PHONE_SPLIT.search(raw) else (raw,):
                    if part.strip():
                        number = normalize_phone(part, region)
                        if not phones or all(number != p for p, _ in phones):
                            phones.append((number, label))
        except NormalizationError as exc:
            raise RowError(str(exc), "invalid_phone") from None
        if len(emails) > MAX_CONTACTS or len(phones) > MAX_CONTACTS:
            raise RowError(f"more than {MAX_CONTACTS} emails or phones", "too_many_contacts")

    def _details(self, record: Record, cells: list[str]) -> None:
        if self.birthday is not None and cells[self.birthday].strip():
            record.birthday = parse_birthday(cells[self.birthday], self.today)
        if self.stage is not None and cells[self.stage].strip():
            record.stage = parse_stage(cells[self.stage])
        if self.lang is not None and cells[self.lang].strip():
            lang = cells[self.lang].strip()
            if not _LANG.match(lang):
                raise RowError(f"language {lang!r} is not a language code such as 'fa' or 'en'",
                               "invalid_language")
            record.lang = lang
        if self.channel is not None and cells[self.channel].strip():
            record.channel = cells[self.channel].strip()[:32]
        if self.tz is not None and cells[self.tz].strip():
            zone = cells[self.tz].strip()
            if not is_time_zone(zone):
                raise RowError(f"time zone {zone!r} is not an IANA time zone such as 'Asia/Tehran'",
                               "invalid_timezone")
            record.tz = zone
        for index in self.tags:
            if not cells[index]:
                continue
            for raw in self.split_tags(cells[index]):
                tag = _clean(raw, "a tag", TAG_MAX_LENGTH)
                if tag and tag not in record.tags:
                    record.tags.append(tag)
        if len(record.tags) > MAX_TAGS:
            raise RowError(f"more than {MAX_TAGS} tags", "too_many_tags")
        for index, channel in self.consents:
            if cells[index].strip():
                record.consents.append((channel, parse_bool(cells[index])))
        if self.attributes or self.attributes_json is not None:
            self._attributes(record, cells)
        if self.address or self.addresses_json is not None:
            self._addresses(record, cells)
        if self.ext is not None:
            record.ext = cells[self.ext].strip()[:EXTERNAL_ID_LENGTH] or None
        if self.referrer:
            self._referrer(record, cells)

    def _referrer(self, record: Record, cells: list[str]) -> None:
        """Read the referrer's cells. A cell that cannot be read does not refuse the row: the
        customer is imported and the referrer reported (`referrers.py`), as one that names nobody."""
        ext = cells[self.ref_ext].strip()[:EXTERNAL_ID_LENGTH] if self.ref_ext is not None else ""
        email_raw = cells[self.ref_email].strip() if self.ref_email is not None else ""
        phone_raw = cells[self.ref_phone].strip() if self.ref_phone is not None else ""
        if not (ext or email_raw or phone_raw):
            return
        email = phone = problem = None
        if email_raw:
            try:
                email = normalize_email(email_raw)
            except NormalizationError:
                problem = "invalid_referrer_email"
        if phone_raw:
            try:
                phone = normalize_phone(phone_raw, self.region)
            except NormalizationError:
                problem = problem or "invalid_referrer_phone"
        record.ref = (ext or None, email, phone, problem)

    def _addresses(self, record: Record, cells: list[str]) -> None:
        """The row's address (its address columns) and the addresses of an export's JSON list."""
        found: list[Address] = []
        if self.addresses_json is not None and cells[self.addresses_json].strip():
            try:
                items = json.loads(cells[self.addresses_json])
            except ValueError:
                items = None
            if not isinstance(items, list) or not all(
                isinstance(item, dict) and set(item) <= _ADDRESS_KEYS
                and all(v is None or isinstance(v, str) for v in item.values())
                for item in items
            ):
                raise RowError("addresses: not a JSON list of addresses", "invalid_address")
            found += [read_address(item) for item in items]
        if self.address:
            values = {name: cells[index] for index, name in self.address if cells[index] and not cells[index].isspace()}
            if values:
                found.append(read_address(values))
        if len(found) == 1:  # the common case (one address column set): nothing to compare
            record.addresses = (found[0],)
        elif found:
            record.addresses = add_addresses((), found)
            most = _address_rules()[1]
            if len(record.addresses) > most:
                raise RowError(f"addresses: more than {most} addresses", "invalid_address")

    def _attributes(self, record: Record, cells: list[str]) -> None:
        from marshmallow import ValidationError

        from payvand.core.schemas import validate_attributes

        values: dict[str, Any] = {}
        if self.attributes_json is not None and cells[self.attributes_json].strip():
            try:
                found = json.loads(cells[self.attributes_json])
            except ValueError:
                found = None
            if not isinstance(found, dict):
                raise RowError("attributes: not a JSON object", "invalid_attributes")
            values.update(found)
        for index, name in self.attributes:
            raw = cells[index].strip()
            if not raw:
                continue
            field = self.declared[name]
            if field.type == "boolean":
                values[name] = parse_bool(raw)
            elif field.type == "integer":
                try:  # the staff forms' number rule: any digits, separators between groups of three
                    number = parse_number(raw)
                except ValueError:
                    number = None
                if number is None or number != number.to_integral_value():
                    raise RowError(f"{name}: {raw!r} is not a whole number", "not_whole_number") from None
                values[name] = int(number)
            elif field.type == "decimal":
                try:
                    values[name] = str(parse_number(raw))
                except ValueError:
                    values[name] = raw  # the field's own message says why
            else:
                values[name] = raw
        try:
            record.attributes = validate_attributes(values, self.declared, partial=True)
        except ValidationError as exc:
            messages = exc.messages if isinstance(exc.messages, dict) else {"": exc.messages}
            raise RowError(
                "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in messages.items()),
                "invalid_attribute",
            ) from None
