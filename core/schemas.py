"""marshmallow schemas of the core resources: the one description for input, output and OpenAPI."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from payvand.core.contracts import CustomerField
from payvand.core.dates import BusinessDate, BusinessDateTime, business_date
from payvand.core.db import MAX_ID
from payvand.core.digits import plain_decimal
from payvand.core.models import CustomerKind, Direction, LifecycleStage
from payvand.core.normalize import (
    NormalizationError,
    clean_text,
    is_time_zone,
    keep_text,
    normalize_email,
    normalize_phone,
    to_latin_digits,
)

_KIND_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$")
_TAG_MAX = 64
#: The character that joins a customer's tags in CSV exports and splits them on import: no tag holds it.
TAG_SEPARATOR = "|"
TAG_SEPARATOR_MESSAGE = "A tag cannot contain “|”: it separates tags in CSV exports and imports."


def _no_tag_separator(tag: str) -> None:
    """Refuse a tag holding `TAG_SEPARATOR` (it could not survive a CSV export → import)."""
    if TAG_SEPARATOR in tag:
        raise ValidationError(TAG_SEPARATOR_MESSAGE)
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
_UTC = dt.UTC

#: Oldest birthday (interaction times: the business-date range of `payvand.core.dates`).
MIN_BIRTHDAY = dt.date(1900, 1, 1)
#: Interaction amounts: at most 16 integer digits and 4 decimals (NUMERIC(20, 4)).
MAX_AMOUNT = decimal.Decimal("1e15")
AMOUNT_PLACES = 4


def _unstorable(value: Any, path: str, errors: dict[str, list[str]], depth: int = 0) -> None:
    """Collect strings no database can store (NUL, lone surrogates) anywhere in `value`."""
    if depth > 64:
        errors[path or "_schema"] = ["Nested too deeply."]
    elif isinstance(value, str):
        if "\x00" in value:
            errors[path or "_schema"] = ["Text may not contain NUL characters."]
        else:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                errors[path or "_schema"] = ["Text must be valid Unicode (no lone surrogates)."]
    elif isinstance(value, dict):
        for key, item in value.items():
            _unstorable(key, path or "_schema", errors, depth + 1)
            _unstorable(item, f"{path}.{key}" if path else str(key), errors, depth + 1)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _unstorable(item, f"{path}.{index}" if path else str(index), errors, depth + 1)


def unstorable_fields(value: Any) -> dict[str, list[str]]:
    """Field path -> messages for every string in `value` no database can store (empty when none)."""
    errors: dict[str, list[str]] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            _unstorable(key, "_schema", errors)
            _unstorable(item, str(key), errors)
    else:
        _unstorable(value, "", errors)
    return errors


class SafeSchema(Schema):
    """A schema that refuses text no database can store, before any field sees it.

    PostgreSQL rejects NUL characters in text and JSON, and no driver can encode a lone
    surrogate; both would otherwise surface as a 500 at the INSERT.
    """

    @pre_load
    def _storable(self, data: Any, **_: Any) -> Any:
        errors: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            items = list(data.items())
        else:
            items = [("_schema", data)]
        for key, value in items:
            _unstorable(value, str(key), errors)
        if errors:
            raise ValidationError(errors)
        return data


class CleanString(fields.String):
    """A name or label with Persian normalisation (ی/ک, spaces, ZWNJ; digits kept); blank becomes None.

    Validators see the cleaned text; a blank value where None is not allowed is an error.
    """

    #: How the text is tidied: `clean_text` for names and labels.
    clean = staticmethod(clean_text)

    # blank text becomes None (unlike fields.String, whose _deserialize is typed to return str)
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:  # type: ignore[override]
        raw = super()._deserialize(value, attr, data, **kwargs)
        for validator in self.validators:  # the documented maxLength holds for the text as sent
            if isinstance(validator, validate.Length) and validator.max is not None and len(raw) > validator.max:
                raise ValidationError(f"Longer than maximum length {validator.max}.")
        text = self.clean(raw)
        if text is None and not self.allow_none:
            raise ValidationError("Field may not be blank.")
        return text

    def _validate(self, value: Any) -> None:
        if value is not None:
            super()._validate(value)


class FreeText(CleanString):
    """Free text a person wrote (a summary, a note, a message), stored exactly as sent: only the
    white space around it is dropped (`keep_text`); blank becomes None."""

    clean = staticmethod(keep_text)


class DecimalString(fields.Decimal):
    """An exact amount, written as a plain decimal string (`"1250000.5"`, never an exponent)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", **kwargs["metadata"]}
        super().__init__(as_string=True, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else plain_decimal(value)


def _amount(value: decimal.Decimal) -> None:
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return
    while digits and digits[-1] == 0 and exponent < 0:
        digits, exponent = digits[:-1], exponent + 1
    if exponent < -AMOUNT_PLACES:
        raise ValidationError(f"Use at most {AMOUNT_PLACES} decimal places.")


def _time_zone(value: str | None) -> None:
    """An IANA time zone name zoneinfo knows (`Asia/Tehran`, `Europe/Berlin`, `UTC`)."""
    if value is None:
        return
    if not is_time_zone(value):
        raise ValidationError("Unknown time zone; use an IANA name such as Asia/Tehran.")


def _past_birthday(value: dt.date) -> None:
    if not MIN_BIRTHDAY <= value <= dt.date.today() + dt.timedelta(days=1):
        raise ValidationError(f"Give a date between {MIN_BIRTHDAY.isoformat()} and today.")


class Id(fields.Integer):
    """A positive database id within 64 bits."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID))
        super().__init__(strict=True, **kwargs)


class ContactItem(fields.Field):
    """An email or phone given as a plain string or as `{"value": ..., "label": ...}`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"anyOf": [
            {"type": "string", "minLength": 1, "maxLength": 254},
            {"type": "object", "required": ["value"], "additionalProperties": False, "properties": {
                "value": {"type": "string", "minLength": 1, "maxLength": 254},
                "label": {"type": ["string", "null"], "maxLength": 32},
            }},
        ]})
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        if isinstance(value, str):
            value = {"value": value}
        if not isinstance(value, dict) or not isinstance(value.get("value"), str):
            raise ValidationError("Give a string or an object with a string 'value'.")
        unknown = set(value) - {"value", "label"}
        if unknown:
            raise ValidationError(f"Unknown key(s): {', '.join(sorted(unknown))}.")
        label = value.get("label")
        if label is not None and (not isinstance(label, str) or len(label) > 32):
            raise ValidationError("'label' must be a string of at most 32 characters.")
        if len(value["value"]) > 254:
            raise ValidationError("Longer than 254 characters.")
        return {"value": value["value"], "label": clean_text(label)}


class ContactOut(Schema):
    """An email or phone of a customer, as returned."""

    value = fields.String(required=True)
    label = fields.String(allow_none=True, required=True)


#: The fields of a postal address, in the order of `CustomerAddress`'s columns.
ADDRESS_FIELDS = ("label", "line1", "line2", "city", "region", "postal_code", "country")


def normalize_postal_code(value: str) -> str:
    """A postal code as stored: Persian or Arabic digits as Latin ones, no surrounding spaces."""
    return to_latin_digits(value).strip()


class AddressSchema(SafeSchema):
    """A postal address.

    The customer import applies these fields one by one (`payvand.core.importing.records`),
    with `normalize_postal_code`: one rule for the API, the forms and the import.
    """

    class Meta:
        unknown = RAISE

    label = CleanString(allow_none=True, validate=validate.Length(max=32))
    line1 = CleanString(required=True, validate=validate.Length(min=1, max=250))
    line2 = CleanString(allow_none=True, validate=validate.Length(max=250))
    city = CleanString(allow_none=True, validate=validate.Length(max=120))
    region = CleanString(allow_none=True, validate=validate.Length(max=120))
    postal_code = fields.String(allow_none=True, validate=validate.Length(max=20))
    country = fields.String(allow_none=True, validate=validate.Regexp(r"^[A-Z]{2}$", error="Use an ISO 3166 two-letter code."))

    @post_load
    def _digits(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("postal_code"):
            data["postal_code"] = normalize_postal_code(data["postal_code"])
        if data.get("line1") is None:
            raise ValidationError({"line1": ["Field may not be empty."]})
        return data


class ConsentIn(SafeSchema):
    """A consent decision to record for a channel and purpose."""

    class Meta:
        unknown = RAISE

    channel = fields.String(required=True, validate=validate.Length(min=1, max=32))
    purpose = fields.String(load_default="marketing", validate=validate.Length(min=1, max=32))
    granted = fields.Boolean(required=True)
    source = fields.String(allow_none=True, validate=validate.Length(max=120))


class ConsentOut(Schema):
    """The current consent for one channel and purpose."""

    channel = fields.String(required=True)
    purpose = fields.String(required=True)
    granted = fields.Boolean(required=True)
    recorded_at = fields.DateTime(required=True)
    source = fields.String(allow_none=True, required=True)


#: Dumping needs no per-call state; building a schema costs ~0.1 ms, once per consent otherwise.
_CONSENT_OUT = ConsentOut()


def _validate_attribute(field: CustomerField, value: Any) -> Any:
    """Check and coerce one custom-field value; raise ValidationError with a clear message."""
    if value is None:
        if field.required:
            raise ValidationError("This field is required.")
        return None
    kind = field.type
    if kind in ("string", "text", "choice"):
        if not isinstance(value, str):
            raise ValidationError("Not a valid string.")
        value = (keep_text(value) if kind == "text" else clean_text(value)) or ""  # "text": free text, as written
        if len(value) > field.max_length:
            raise ValidationError(f"Longer than {field.max_length} characters.")
        if kind == "choice" and value not in field.choices:
            raise ValidationError(f"Must be one of: {', '.join(field.choices)}.")
        return value
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Not a valid integer.")
        return value
    if kind == "decimal":
        try:
            number = decimal.Decimal(to_latin_digits(str(value)))
        except (decimal.InvalidOperation, ValueError):
            raise ValidationError("Not a valid decimal number.") from None
        if not number.is_finite():
            raise ValidationError("Not a valid decimal number.")
        return str(number)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValidationError("Not a valid boolean.")
        return value
    if kind == "date":
        try:
            day = dt.date.fromisoformat(to_latin_digits(str(value)))
        except ValueError:
            raise ValidationError("Not a valid date (YYYY-MM-DD).") from None
        business_date(day)
        return day.isoformat()
    raise ValidationError(f"Unsupported field type {kind!r}.")


def validate_attributes(
    values: dict[str, Any], declared: dict[str, CustomerField], *, partial: bool
) -> dict[str, Any]:
    """Validate custom-field values against the declared fields; raise with per-key messages."""
    errors: dict[str, list[str]] = {}
    result: dict[str, Any] = {}
    for key, value in values.items():
        field = declared.get(key)
        if field is None:
            errors[key] = ["Unknown field: no enabled plugin declares it."]
            continue
        try:
            result[key] = _validate_attribute(field, value)
        except ValidationError as exc:
            errors[key] = exc.messages if isinstance(exc.messages, list) else [str(exc.messages)]
    if not partial:
        for name, field in declared.items():
            if field.required and name not in values:
                errors[name] = ["This field is required."]
    if errors:
        raise ValidationError(errors)
    return result


class CustomerIn(SafeSchema):
    """Input for creating (all rules) or patching (`partial=True`) a customer.

    Emails and phones are normalised (E.164 in the configured region); names are cleaned
    of Arabic letter forms and stray spaces; `attributes` are checked against the fields the
    enabled plugins declare.
    """

    class Meta:
        unknown = RAISE

    kind = fields.String(validate=validate.OneOf([k.value for k in CustomerKind]))
    given_name = CleanString(allow_none=True, validate=validate.Length(max=120))
    family_name = CleanString(allow_none=True, validate=validate.Length(max=120))
    organization_name = CleanString(allow_none=True, validate=validate.Length(max=200))
    emails = fields.List(ContactItem(), validate=validate.Length(max=20))
    phones = fields.List(ContactItem(), validate=validate.Length(max=20))
    addresses = fields.List(fields.Nested(AddressSchema), validate=validate.Length(max=20))
    birthday = BusinessDate(allow_none=True, validate=_past_birthday)
    preferred_language = fields.String(
        allow_none=True, validate=validate.Regexp(_LANG_RE, error="Use a language code such as 'fa' or 'en'."))
    preferred_channel = fields.String(allow_none=True, validate=validate.Length(max=32))
    timezone = fields.String(allow_none=True, validate=_time_zone,
                             metadata={"description": "An IANA time zone such as `Asia/Tehran`; null: the site's zone"})
    lifecycle_stage = fields.String(validate=validate.OneOf([s.value for s in LifecycleStage]))
    owner_id = Id(allow_none=True)
    referred_by_id = Id(allow_none=True, metadata={"description": "The customer who referred this one; null: nobody"})
    tags = fields.List(CleanString(validate=[validate.Length(min=1, max=_TAG_MAX), _no_tag_separator],
                                   metadata={"pattern": r"^[^|]+$", "description": "A label without `|`"}),
                       validate=validate.Length(max=50))
    consents = fields.List(fields.Nested(ConsentIn), validate=validate.Length(max=50))
    attributes = fields.Dict(keys=fields.String(validate=validate.Length(max=120)))
    version = fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1))

    def __init__(self, *args: Any, region: str = "IR", declared: dict[str, CustomerField] | None = None,
                 channels: dict[str, str] | None = None, **kwargs: Any) -> None:
        if kwargs.get("partial") is True:
            # Partial at the top level only: an address or consent given must still be whole.
            kwargs["partial"] = tuple(self._declared_fields)
        super().__init__(*args, **kwargs)
        self.region = region
        self.declared = declared or {}
        self.channels = channels

    @pre_load
    def _digits_in_birthday(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("birthday"), str):
            data = {**data, "birthday": to_latin_digits(data["birthday"])}
        return data

    @validates_schema
    def _names(self, data: dict[str, Any], partial: Any = None, **_: Any) -> None:
        if partial:
            return
        kind = data.get("kind", CustomerKind.person.value)
        if kind == CustomerKind.organization.value and not data.get("organization_name"):
            raise ValidationError({"organization_name": ["An organisation needs a name."]})
        if kind == CustomerKind.person.value and not (data.get("given_name") or data.get("family_name")):
            raise ValidationError({"family_name": ["Give a given name or a family name."]})

    @post_load
    def _normalise(self, data: dict[str, Any], partial: Any = None, **_: Any) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        for key, normaliser in (("emails", normalize_email), ("phones", lambda v: normalize_phone(v, self.region))):
            if key not in data:
                continue
            items, item_errors, seen = [], {}, set()
            for index, item in enumerate(data[key]):
                try:
                    value = normaliser(item["value"])
                except NormalizationError as exc:
                    item_errors[index] = [str(exc)]
                    continue
                if value not in seen:
                    seen.add(value)
                    items.append({"value": value, "label": item.get("label")})
            if item_errors:
                errors[key] = item_errors
            data[key] = items
        if "tags" in data:
            data["tags"] = sorted({t for t in data["tags"] if t})
        if self.channels is not None:
            if data.get("preferred_channel") and data["preferred_channel"] not in self.channels:
                errors["preferred_channel"] = [f"Unknown channel; use one of: {', '.join(self.channels)}."]
            for index, consent in enumerate(data.get("consents", [])):
                if consent["channel"] not in self.channels:
                    errors.setdefault("consents", {})[index] = {"channel": ["Unknown channel."]}
        if "attributes" in data:
            try:
                data["attributes"] = validate_attributes(data["attributes"], self.declared, partial=bool(partial))
            except ValidationError as exc:
                errors["attributes"] = exc.messages
        elif not partial and any(f.required for f in self.declared.values()):
            try:
                validate_attributes({}, self.declared, partial=False)
            except ValidationError as exc:
                errors["attributes"] = exc.messages
        if errors:
            raise ValidationError(errors)
        return data


_KINDS = [k.value for k in CustomerKind]
_STAGES = [s.value for s in LifecycleStage]
_DIRECTIONS = [d.value for d in Direction]


class CustomerOut(Schema):
    """A customer as the API returns it (every key is always present; absent values are null)."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": _KINDS})
    given_name = fields.String(allow_none=True, required=True)
    family_name = fields.String(allow_none=True, required=True)
    organization_name = fields.String(allow_none=True, required=True)
    display_name = fields.String(required=True)
    emails = fields.Method("_emails", required=True,
                           metadata={"type": "array", "items": {"$ref": "#/components/schemas/ContactOut"}})
    phones = fields.Method("_phones", required=True,
                           metadata={"type": "array", "items": {"$ref": "#/components/schemas/ContactOut"}})
    addresses = fields.List(fields.Nested(AddressSchema), required=True)
    birthday = fields.Date(allow_none=True, required=True)
    preferred_language = fields.String(allow_none=True, required=True)
    preferred_channel = fields.String(allow_none=True, required=True)
    timezone = fields.String(allow_none=True, required=True)
    lifecycle_stage = fields.String(required=True, metadata={"enum": _STAGES})
    owner_id = fields.Integer(allow_none=True, required=True)
    referred_by_id = fields.Integer(allow_none=True, required=True)
    tags = fields.Method("_tags", required=True, metadata={"type": "array", "items": {"type": "string"}})
    consents = fields.Method("_consents", required=True,
                             metadata={"type": "array", "items": {"$ref": "#/components/schemas/ConsentOut"}})
    attributes = fields.Dict(required=True)
    merged_into_id = fields.Integer(allow_none=True, required=True)
    erased_at = fields.DateTime(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    version = fields.Integer(required=True)

    def _emails(self, obj: Any) -> list[dict[str, Any]]:
        return [{"value": e.email, "label": e.label} for e in obj.emails]

    def _phones(self, obj: Any) -> list[dict[str, Any]]:
        return [{"value": p.number, "label": p.label} for p in obj.phones]

    def _tags(self, obj: Any) -> list[str]:
        return obj.tag_names

    def _consents(self, obj: Any) -> list[dict[str, Any]]:
        current = obj.current_consents()
        return [_CONSENT_OUT.dump(c) for _, c in sorted(current.items())]


#: Schemas that computed fields above name in a `$ref`; the API registers them under these names.
REFERENCED_SCHEMAS: tuple[type[Schema], ...] = (ContactOut, ConsentOut)


class InteractionIn(SafeSchema):
    """Input for recording an interaction."""

    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=[
        validate.Length(max=64),
        validate.Regexp(_KIND_RE, error="Use a namespaced kind such as 'core.note' or 'sales.order'."),
    ])
    channel = fields.String(required=True, validate=validate.Length(min=1, max=32))
    direction = fields.String(load_default=Direction.inbound.value, validate=validate.OneOf(_DIRECTIONS))
    summary = FreeText(load_default="", allow_none=True, validate=validate.Length(max=500))
    occurred_at = BusinessDateTime(default_timezone=_UTC)
    value = fields.Decimal(
        allow_none=True, places=None, allow_nan=False,
        validate=[validate.Range(min=-MAX_AMOUNT, max=MAX_AMOUNT), _amount],
        metadata={"type": ["number", "string"], "minimum": -int(MAX_AMOUNT), "maximum": int(MAX_AMOUNT),
                  "pattern": r"^-?[0-9]{1,16}(\.[0-9]{1,4})?$",
                  "description": "An exact amount (a JSON number or a decimal string), at most 4 decimals"},
    )
    currency = fields.String(
        allow_none=True, validate=validate.Regexp(r"^[A-Z]{3}$", error="Use an ISO 4217 code such as 'IRR'."))
    source_type = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))
    source_id = fields.String(allow_none=True, validate=validate.Length(max=64))
    payload = fields.Dict(load_default=dict)

    @validates_schema
    def _currency_with_value(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("value") is not None and not data.get("currency"):
            raise ValidationError({"currency": ["A value needs a currency."]})
        if data.get("source_id") and not data.get("source_type"):
            raise ValidationError({"source_type": ["A source id needs a source type."]})


class InteractionOut(Schema):
    """An interaction as the API returns it (every key is always present; absent values are null)."""

    id = fields.Integer(required=True)
    customer_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    channel = fields.String(required=True)
    direction = fields.String(required=True, metadata={"enum": _DIRECTIONS})
    occurred_at = fields.DateTime(required=True)
    summary = fields.String(required=True)
    value = DecimalString(allow_none=True, required=True)
    currency = fields.String(allow_none=True, required=True)
    source_type = fields.String(allow_none=True, required=True)
    source_id = fields.String(allow_none=True, required=True)
    payload = fields.Dict(required=True)
    created_at = fields.DateTime(required=True)
