"""Which column of the file feeds which customer field: automatic for common headers, or given.

Targets are the customer fields (`given_name`, `family_name`, `organization_name`, `kind`,
`email`, `phone`, `mobile`, `birthday`, `tags`, `lifecycle_stage`, `preferred_language`,
`preferred_channel`, `timezone`), `full_name` (split at the first space), `consent:<channel>` (a yes/no
cell recorded as a marketing consent), `attributes.<field>` (a custom field declared by a
plugin) and `ignore`. Several columns may feed `email`, `phone`, `mobile` and `tags`.

Who referred the row's customer: `referrer_external_id`, `referrer_email`, `referrer_phone`
(tried in that order, as the order import finds a customer), resolved after all rows are in
(`payvand.core.importing.referrers`). `external_id` is the row's id in the system the file
comes from, the key a `referrer_external_id` names a row of the same file by; it is not stored.
A Payvand export's `id` and `referred_by_id` columns map to these two, so an export brings its
referrals along.

One postal address per row: `address_line1` (needed when any other address cell is filled),
`address_line2`, `city`, `region`, `postal_code`, `country` (a two-letter code or a country
name) and `address_label`. A Payvand export's `addresses` column (every address of the customer
as a JSON list) maps to `addresses` (`EXPORT_ADDRESSES`), as its `attributes` column does.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence

from payvand.core.importing.guard import guarded_indexes
from payvand.core.normalize import fold

#: The columns of one postal address, by the `CustomerAddress` field each fills.
ADDRESS_COLUMNS = {
    "address_label": "label",
    "address_line1": "line1",
    "address_line2": "line2",
    "city": "city",
    "region": "region",
    "postal_code": "postal_code",
    "country": "country",
}
ADDRESS_TARGETS = tuple(ADDRESS_COLUMNS)
SINGLE_TARGETS = (
    "given_name",
    "family_name",
    "full_name",
    "organization_name",
    "kind",
    "birthday",
    "lifecycle_stage",
    "preferred_language",
    "preferred_channel",
    "timezone",
    "external_id",
    "referrer_external_id",
    "referrer_email",
    "referrer_phone",
    *ADDRESS_TARGETS,
)
#: The targets naming a row's referrer (`payvand.core.importing.referrers`).
REFERRER_TARGETS = ("referrer_external_id", "referrer_email", "referrer_phone")
MULTI_TARGETS = ("email", "phone", "mobile", "tags")
IGNORE = "ignore"
#: The `attributes` column of a Payvand export: every custom field as one JSON object.
EXPORT_ATTRIBUTES = "attributes.*"
#: The `addresses` column of a Payvand export: every address as a JSON list of objects.
EXPORT_ADDRESSES = "addresses"

_ALIASES: dict[str, tuple[str, ...]] = {
    "given_name": (
        "given name",
        "first name",
        "firstname",
        "first",
        "forename",
        "نام",
        "اسم",
        "نام کوچک",
    ),
    "family_name": (
        "family name",
        "last name",
        "lastname",
        "surname",
        "family",
        "نام خانوادگی",
        "فامیلی",
        "نام فامیل",
        "فامیل",
    ),
    "full_name": (
        "name",
        "full name",
        "fullname",
        "contact name",
        "customer name",
        "نام کامل",
        "نام و نام خانوادگی",
        "نام مشتری",
    ),
    "organization_name": (
        "organization",
        "organisation",
        "organization name",
        "company",
        "company name",
        "org",
        "business",
        "employer",
        "شرکت",
        "سازمان",
        "نام شرکت",
        "نام سازمان",
    ),
    "kind": ("kind", "type", "customer type", "نوع", "نوع مشتری"),
    "email": (
        "email",
        "e mail",
        "mail",
        "email address",
        "emails",
        "ایمیل",
        "پست الکترونیک",
        "پست الکترونیکی",
        "رایانامه",
        "آدرس ایمیل",
    ),
    "mobile": (
        "mobile",
        "mobile phone",
        "mobile number",
        "cell",
        "cellphone",
        "cell phone",
        "موبایل",
        "تلفن همراه",
        "همراه",
        "شماره همراه",
        "شماره موبایل",
    ),
    "phone": (
        "phone",
        "phones",
        "telephone",
        "tel",
        "phone number",
        "landline",
        "تلفن",
        "شماره تلفن",
        "تلفن ثابت",
        "شماره",
        "تماس",
        "شماره تماس",
    ),
    "birthday": (
        "birthday",
        "birth date",
        "birthdate",
        "date of birth",
        "dob",
        "born",
        "تاریخ تولد",
        "تولد",
    ),
    "tags": ("tags", "tag", "labels", "label", "برچسب", "برچسب ها", "برچسبها", "تگ", "تگ ها"),
    "lifecycle_stage": ("lifecycle stage", "lifecycle", "stage", "مرحله", "وضعیت مشتری"),
    "preferred_language": ("preferred language", "language", "lang", "زبان"),
    "preferred_channel": ("preferred channel", "channel", "کانال", "کانال ترجیحی"),
    "timezone": ("timezone", "time zone", "tz", "منطقه زمانی"),
    "consent:email": (
        "email consent",
        "consent email",
        "email opt in",
        "newsletter",
        "رضایت ایمیل",
    ),
    "external_id": ("external id", "id", "customer id", "customer number", "customer code", "شناسه",
                    "شناسه مشتری", "کد مشتری", "شماره مشتری"),
    "referrer_external_id": ("referrer external id", "referrer id", "referrer customer id", "referred by id",
                             "referrer code", "شناسه معرف", "کد معرف"),
    "referrer_email": ("referrer email", "referred by email", "referrer e mail", "ایمیل معرف"),
    "referrer_phone": ("referrer phone", "referrer mobile", "referred by phone", "referrer phone number",
                       "تلفن معرف", "موبایل معرف", "شماره معرف"),
    "consent:sms": ("sms consent", "consent sms", "sms opt in", "رضایت پیامک"),
    "address_line1": ("address", "street", "street address", "address line 1", "address 1", "street 1",
                      "postal address", "mailing address", "آدرس", "نشانی", "آدرس پستی", "نشانی پستی",
                      "خیابان", "آدرس 1", "نشانی 1"),
    "address_line2": ("address line 2", "address 2", "street 2", "address line two", "apartment", "suite",
                      "unit", "آدرس 2", "نشانی 2", "ادامه آدرس", "ادامه نشانی", "واحد"),
    "city": ("city", "town", "شهر"),
    "region": ("region", "province", "state", "county", "استان", "منطقه"),
    "postal_code": ("postal code", "postcode", "post code", "zip", "zip code", "zipcode", "کد پستی", "کدپستی"),
    "country": ("country", "country code", "کشور"),
    "address_label": ("address label", "address type", "address kind", "نوع آدرس", "نوع نشانی",
                      "عنوان آدرس"),
}

_NOISE = re.compile(r"[\s_\-.:/()\[\]]+")


class MappingError(ValueError):
    """The column mapping cannot be built (unknown column or target); the message says why."""


def header_key(header: str) -> str:
    """A header reduced for matching: folded, without punctuation, spaces or a trailing number."""
    key = _NOISE.sub("", fold(header.lstrip("\ufeff")))
    return key.rstrip("0123456789") or key


def _exact_key(header: str) -> str:
    """`header_key` keeping a trailing number ("address line 2" is not "address line 1")."""
    return _NOISE.sub("", fold(header.lstrip("\ufeff")))


_LOOKUP: dict[str, str] = {
    header_key(alias): target
    for target, aliases in _ALIASES.items()
    for alias in aliases
    if not alias[-1].isdigit()
}
#: Aliases whose trailing number tells them apart (`address line 1` / `address line 2`), looked up
#: first by `_exact_key`; their numberless form stays with the first line.
_NUMBERED: dict[str, str] = {
    _exact_key(alias): target
    for target, aliases in _ALIASES.items()
    for alias in aliases
    if alias[-1].isdigit()
}


def valid_target(target: str, declared: Iterable[str] = ()) -> bool:
    """True when `target` is something a column can be mapped to."""
    if target in SINGLE_TARGETS or target in MULTI_TARGETS or target == IGNORE:
        return True
    if target.startswith("consent:"):
        return bool(re.fullmatch(r"[a-z][a-z0-9_]{0,31}", target[8:]))
    if target in (EXPORT_ATTRIBUTES, EXPORT_ADDRESSES):
        return True
    if target.startswith("attributes."):
        return target[11:] in set(declared)
    return False


@dataclasses.dataclass
class ColumnMap:
    """The resolved mapping: for each target, the column indexes feeding it."""

    header: list[str]
    targets: dict[int, str]
    ignored: list[str]
    #: Columns whose formula guard (`guard.py`) is removed: set when the file is a Payvand export.
    guarded: tuple[int, ...] = ()

    @property
    def payvand_export(self) -> bool:
        """True when the file is Payvand's own customer export (its exact header row)."""
        return bool(self.guarded)

    def columns_for(self, target: str) -> list[int]:
        """The indexes of the columns mapped to `target`, in file order."""
        return [i for i, t in self.targets.items() if t == target]

    def describe(self) -> dict[str, str]:
        """`{column header: target}` for reports."""
        return {self.header[i]: t for i, t in sorted(self.targets.items())}


def parse_map_options(items: Sequence[str]) -> dict[str, str]:
    """Read `--map "Column=target"` options into a dict; an empty target means ignore."""
    result: dict[str, str] = {}
    for item in items:
        column, sep, target = item.partition("=")
        if not sep or not column.strip():
            raise MappingError(f'--map {item!r}: use COLUMN=FIELD, e.g. --map "Mobile=phone"')
        result[column.strip()] = target.strip() or IGNORE
    return result


def build_mapping(
    header: Sequence[str], overrides: Mapping[str, str] | None = None, declared: Iterable[str] = ()
) -> ColumnMap:
    """Map each header to a target: explicit `overrides` first, then the known aliases.

    Overrides name a column by its exact header or by its reduced form (`header_key`), and a
    target as listed in this module's docstring. A declared custom field's own name is also
    recognised as a header. Raises MappingError for an unknown column or target.
    """
    declared = list(declared)
    header = [h.lstrip("\ufeff").strip() for h in header]
    keys = [header_key(h) for h in header]
    targets: dict[int, str] = {}
    for column, target in (overrides or {}).items():
        if target in _LOOKUP.values() or valid_target(target, declared):
            resolved = target
        elif valid_target("attributes." + target, declared):
            resolved = "attributes." + target
        else:
            raise MappingError(f"--map {column}={target}: unknown field {target!r}")
        if column in header:
            index = header.index(column)
        elif header_key(column) in keys:
            index = keys.index(header_key(column))
        else:
            raise MappingError(
                f"--map {column}={target}: the file has no column {column!r} "
                f"(columns: {', '.join(header)})"
            )
        targets[index] = resolved
    for index, key in enumerate(keys):
        if index in targets:
            continue
        found = _NUMBERED.get(_exact_key(header[index])) or _LOOKUP.get(key)
        if found is None and header[index] in declared:
            found = "attributes." + header[index]
        if found is not None and (found in MULTI_TARGETS or found not in targets.values()):
            targets[index] = found
    guarded = guarded_indexes(header)
    if guarded and EXPORT_ATTRIBUTES not in targets.values():
        targets.setdefault(header.index("attributes"), EXPORT_ATTRIBUTES)
    if guarded and "addresses" in header and EXPORT_ADDRESSES not in targets.values():
        targets.setdefault(header.index("addresses"), EXPORT_ADDRESSES)
    ignored = [header[i] for i in range(len(header)) if targets.get(i, IGNORE) == IGNORE]
    targets = {i: t for i, t in targets.items() if t != IGNORE}
    useful = {
        "given_name",
        "family_name",
        "full_name",
        "organization_name",
        "email",
        "phone",
        "mobile",
    }
    if not useful & set(targets.values()):
        raise MappingError(
            'no column maps to a name, email or phone; use --map "Column=field" '
            f"(columns: {', '.join(header)})"
        )
    return ColumnMap(header=header, targets=targets, ignored=ignored, guarded=guarded)
