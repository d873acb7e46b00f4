"""The query arguments of a list as a marshmallow schema, generated from its filters and sorts.

flask-smorest documents the schema as the route's OpenAPI query parameters; a bad filter,
operator or value is a 422 with a message on its parameter, an unknown parameter too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marshmallow import RAISE, fields, validate
from webargs.fields import DelimitedList

from payvand.core.dates import BusinessDateTime
from payvand.core.db import MAX_ID

if TYPE_CHECKING:
    from payvand.core.listing.spec import Filter, ListSpec

#: Values an `in` filter accepts at most.
MAX_IN = 100


def _value_field(flt: Filter) -> fields.Field:
    kind = flt.type
    if kind in ("text", "tag"):
        return fields.String(validate=validate.Length(min=1, max=flt.max_length))
    if kind == "choice":
        return fields.String(validate=validate.OneOf([str(value) for value, _label in flt.choice_values()]))
    if kind == "integer":
        return fields.Integer(validate=validate.Range(min=flt.bounds[0], max=flt.bounds[1]))
    if kind == "id":
        return fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    if kind == "decimal":
        return fields.Decimal(places=None, allow_nan=False, validate=validate.Range(min=-10**16, max=10**16))
    if kind == "date":
        return fields.Date()
    if kind == "datetime":  # with its offset, in the business-date range (a far time is a 422, never an overflow)
        return BusinessDateTime()
    return fields.Boolean()


def _operator_field(flt: Filter, operator: str) -> fields.Field:
    description = flt.description or str(flt.label or flt.name)
    metadata = {"description": f"{description} ({operator})" if operator != "eq" else description}
    if operator == "is_null":
        return fields.Boolean(metadata=metadata)
    if operator == "in":
        return DelimitedList(_value_field(flt), validate=validate.Length(min=1, max=MAX_IN), metadata=metadata)
    if operator == "between":
        return DelimitedList(_value_field(flt), validate=validate.Length(equal=2), metadata=metadata)
    field = _value_field(flt)
    field.metadata = {**field.metadata, **metadata}
    return field


def build_schema(spec: ListSpec, name: str | None = None) -> Any:
    """A Schema class with one field per filter parameter, `sort` (when several), `limit` and `cursor`."""
    from payvand.core.schemas import SafeSchema

    attrs: dict[str, Any] = {}
    for param, (flt, operator) in spec.filter_params().items():
        attrs[param] = _operator_field(flt, operator)
    if len(spec.sorts) > 1:
        attrs["sort"] = fields.String(load_default=spec.default_sort,
                                      validate=validate.OneOf([s.key for s in spec.sorts]))
    attrs["limit"] = fields.Integer(load_default=spec.default_limit, validate=validate.Range(min=1, max=spec.max_limit))
    attrs["cursor"] = fields.String(validate=validate.Length(max=500),
                                    metadata={"description": "`next_cursor` of the previous page"})
    attrs["Meta"] = type("Meta", (), {"unknown": RAISE})
    schema_name = name or "".join(part.capitalize() for part in spec.name.replace(".", "_").split("_")) + "ListArgs"
    attrs["__doc__"] = f"Query arguments of the {spec.name} list (an unknown one is refused, so a typo is not ignored)."
    return type(schema_name, (SafeSchema,), attrs)
