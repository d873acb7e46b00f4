"""The sales plugin's schemas: what the API, the staff pages and the CLI read and answer, for
leads, deals and pipelines, activities and the catalog (the documents' live with their kit).

One module so that pages, API handlers and commands share one set of rules: a handler or a page
parses with a schema here, calls a service and renders. The list arguments are generated from
the services' `ListSpec`s (the list kit). Field types (`Amount`, `BusinessDate`, `id_field`, …)
are in `fields.py`, shared with the documents' schemas.
"""

from __future__ import annotations

import decimal
from typing import Any

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from payvand.plugins.sales.fields import Amount, BusinessDate, BusinessDateTime, id_field, strict_bool
from payvand.plugins.sales.models import MAX_ID
from payvand.plugins.sales.services import activities, catalog, leads, pipeline
from payvand.plugins.sales.services.leads import (
    OPEN_STATUSES,
    SOURCES,
    STATUSES,
    UTM_KEYS,
    normalize_lead,
    valid_phone,
)
from payvand.sdk import business_date, phone_region, to_latin_digits
from payvand.sdk import gettext as _

# --------------------------------------------------------------------------- leads


class _Text(fields.String):
    """A stripped string; empty becomes None."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        text = " ".join(text.split()) if "\n" not in text else text.strip()
        return text or None

    def _validate(self, value: Any) -> None:
        if value is not None:  # blank input became None: nothing to check
            super()._validate(value)


class _Bool(fields.Boolean):
    """A JSON boolean only (not 0/1 or "yes"): forms pass Python booleans."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class LeadIn(Schema):
    """A lead as given by the API, the staff form, an import or the public form.

    A person's name or an organisation's is required, and an email or a phone to reach them.
    Every value first goes through `normalize_lead` (names: ی/ک folded; email lower-cased; phone
    E.164 in the deployment's region, Persian digits accepted; the message kept as written).
    `utm` takes the five UTM keys (`source`, `medium`, `campaign`, `term`, `content`).
    """

    class Meta:
        unknown = RAISE

    def __init__(self, *args: Any, region: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region = region

    given_name = _Text(allow_none=True, validate=validate.Length(max=120))
    family_name = _Text(allow_none=True, validate=validate.Length(max=120))
    organization_name = _Text(allow_none=True, validate=validate.Length(max=200))
    email = fields.String(allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    message = fields.String(allow_none=True, validate=validate.Length(max=5000))
    source = fields.String(validate=validate.OneOf(SOURCES), metadata={"description": "Default: api (API), manual (staff)"})
    campaign = _Text(allow_none=True, validate=validate.Length(max=120))
    referrer = fields.String(allow_none=True, validate=validate.Length(max=500))
    utm = fields.Dict(keys=fields.String(validate=validate.OneOf(UTM_KEYS)),
                      values=fields.String(validate=validate.Length(max=120)), load_default=dict)
    consent = _Bool(load_default=False)
    owner_id = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=MAX_ID),
                              metadata={"description": "Another user only with sales.manage (else 422); "
                                                       "default: the caller"})
    status = fields.String(validate=validate.OneOf(OPEN_STATUSES))

    @pre_load
    def _clean(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if self.region is None:
            self.region = phone_region()
        return normalize_lead(data, self.region)

    @validates_schema
    def _check(self, data: dict[str, Any], partial: Any = None, **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        email = data.get("email")
        if email:
            try:
                fields.Email().deserialize(email)
            except ValidationError:
                errors["email"] = ["Not a valid email address."]
        phone = data.get("phone")
        if phone and not valid_phone(phone):
            errors["phone"] = ["Not a valid phone number."]
        if not partial:
            if not (data.get("given_name") or data.get("family_name") or data.get("organization_name")):
                errors.setdefault("family_name", []).append("Give a name or an organisation.")
            if not (email or phone):
                errors.setdefault("email", []).append("Give an email or a phone number.")
        if errors:
            raise ValidationError(errors)

    @post_load
    def _utm(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "utm" in data:
            data["utm"] = {k: v.strip()[:120] for k, v in (data["utm"] or {}).items() if v and v.strip()}
        return data


class LeadPatch(LeadIn):
    """A partial change of a lead (the same rules per field; `source` cannot change)."""

    source = fields.String(validate=validate.OneOf(SOURCES), metadata={"readOnly": True})

    @pre_load
    def _no_source(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict) and "source" in data:
            raise ValidationError({"source": ["The source of a lead cannot change."]})
        return data


class LeadOut(Schema):
    """A lead with its score and, once converted, its customer."""

    id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    given_name = fields.String(allow_none=True, required=True)
    family_name = fields.String(allow_none=True, required=True)
    organization_name = fields.String(allow_none=True, required=True)
    email = fields.String(allow_none=True, required=True)
    phone = fields.String(allow_none=True, required=True)
    message = fields.String(allow_none=True, required=True)
    source = fields.String(required=True, metadata={"enum": list(SOURCES)})
    campaign = fields.String(allow_none=True, required=True)
    referrer = fields.String(allow_none=True, required=True)
    utm = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    consent = fields.Boolean(required=True)
    score = fields.Integer(required=True)
    score_details = fields.List(fields.Tuple((fields.String(), fields.Integer())), required=True,
                                metadata={"description": "Which rule gave how many points: [[rule, points], ...]"})
    scored_at = fields.DateTime(allow_none=True, required=True)
    owner_id = fields.Integer(allow_none=True, required=True)
    customer_id = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    converted_at = fields.DateTime(allow_none=True, required=True)


class ConvertIn(Schema):
    """How to convert a lead: into a new or the given customer, with or without a deal."""

    class Meta:
        unknown = RAISE

    customer_id = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=MAX_ID),
                                 metadata={"description": "Link to this customer; by default a customer with "
                                                          "the lead's email, else a new one"})
    create_deal = _Bool(load_default=False)
    deal_title = fields.String(allow_none=True, validate=validate.Length(min=1, max=200))
    deal_amount = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9]{1,15}(\.[0-9]{1,4})?$",
                                                                        error="A positive amount, e.g. 1500000 or 12.50."),
                                metadata={"description": "Exact decimal as a string (Persian or Arabic-Indic digits "
                                                         "accepted)",
                                          "pattern": r"^[0-9۰-۹٠-٩]{1,15}([.٫][0-9۰-۹٠-٩]{1,4})?$"})
    deal_currency = fields.String(load_default="IRR", validate=validate.Regexp(r"^[A-Z]{3}$"))

    @pre_load
    def _digits(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("deal_amount"), str):
            data = {**data, "deal_amount": to_latin_digits(data["deal_amount"]).replace("٫", ".")}
        return data


#: The query arguments of the lead list (generated from `leads.LEADS`).
LeadListArgs = leads.LEADS.args_schema("LeadListArgs")


class LeadPage(Schema):
    """One page of leads; pass `next_cursor` as `cursor` for the next."""

    items = fields.List(fields.Nested(LeadOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ConversionOut(Schema):
    """The converted lead, its customer and the deal opened for it, if any."""

    lead = fields.Nested(LeadOut, required=True)
    customer_id = fields.Integer(required=True)
    created_customer = fields.Boolean(required=True, metadata={"description": "False when linked to an existing customer"})
    deal_id = fields.Integer(allow_none=True, required=True)


# --------------------------------------------------------------------------- deals and pipelines


CURRENCY = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"), metadata={"description": "ISO 4217 code, e.g. IRR",
                                                                             "examples": ["IRR"]})


class StageOut(Schema):
    """A stage of a pipeline."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    position = fields.Integer(required=True)
    probability = fields.Integer(required=True, metadata={"description": "Chance of winning from this stage, in percent"})
    outcome = fields.String(required=True, metadata={"enum": list(pipeline.OUTCOMES)})


class PipelineOut(Schema):
    """A pipeline with its stages in order."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    is_default = fields.Boolean(required=True)
    stages = fields.List(fields.Nested(StageOut), required=True)


class ReasonOut(Schema):
    """A won or lost reason."""

    id = fields.Integer(required=True)
    outcome = fields.String(required=True, metadata={"enum": ["won", "lost"]})
    name = fields.String(required=True)


class DealProductIn(Schema):
    """A product on a deal."""

    product_id = id_field(required=True)
    quantity = Amount(minimum=decimal.Decimal("0.001"), load_default="1")
    unit_price = Amount(minimum=decimal.Decimal(0), load_default="0")


class DealProductOut(Schema):
    """A product on a deal, with its name."""

    product_id = fields.Integer(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    quantity = Amount(required=True)
    unit_price = Amount(required=True)


class DealIn(Schema):
    """A new deal. Without `stage_id` it starts in the default pipeline's first stage."""

    class Meta:
        unknown = RAISE

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    amount = Amount(minimum=decimal.Decimal(0), load_default="0")
    currency = CURRENCY
    expected_close = BusinessDate(allow_none=True)
    customer_id = id_field(allow_none=True)
    owner_id = id_field(allow_none=True, metadata={"description": "Only with sales.manage; default: the caller"})
    stage_id = id_field()
    reason_id = id_field(allow_none=True, metadata={"description": "Needed when `stage_id` is a lost stage"})
    products = fields.List(fields.Nested(DealProductIn), validate=validate.Length(max=200))


class DealPatch(Schema):
    """Changes to a deal (the stage changes through `POST /deals/{id}/move`)."""

    class Meta:
        unknown = RAISE

    title = fields.String(validate=validate.Length(min=1, max=200))
    amount = Amount(minimum=decimal.Decimal(0))
    currency = CURRENCY
    expected_close = BusinessDate(allow_none=True)
    customer_id = id_field(allow_none=True)
    owner_id = id_field(allow_none=True)
    products = fields.List(fields.Nested(DealProductIn), validate=validate.Length(max=200))


class MoveIn(Schema):
    """Where to move a deal: a stage of its pipeline and a place in that column (0 = top)."""

    class Meta:
        unknown = RAISE

    stage_id = id_field(required=True)
    position = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=1_000_000),
                              metadata={"description": "0 is the top; absent or past the end: the bottom"})
    reason_id = id_field(allow_none=True, metadata={"description": "A lost reason (required for a lost stage) or a won reason"})


class DealOut(Schema):
    """A deal."""

    id = fields.Integer(required=True)
    title = fields.String(required=True)
    pipeline_id = fields.Integer(required=True)
    stage_id = fields.Integer(required=True)
    position = fields.Integer(
        required=True, metadata={"description": "Sort key in the stage's column (smaller is higher); not an index"})
    customer_id = fields.Integer(allow_none=True, required=True)
    owner_id = fields.Integer(allow_none=True, required=True)
    amount = Amount(required=True)
    currency = fields.String(required=True)
    expected_close = fields.Date(allow_none=True, required=True)
    status = fields.String(required=True, metadata={"enum": list(pipeline.OUTCOMES)})
    reason_id = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(allow_none=True, required=True)


class DealDetailOut(DealOut):
    """A deal with its products."""

    products = fields.List(fields.Nested(DealProductOut), required=True)


#: The query arguments of the deal list (generated from `pipeline.DEALS`).
DealListArgs = pipeline.DEALS.args_schema("DealListArgs")


class DealPage(Schema):
    """One page of deals; pass `next_cursor` as `cursor` for the next."""

    items = fields.List(fields.Nested(DealOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ForecastArgs(Schema):
    """Which forecast: by month of expected close (Gregorian or Jalali months), by owner or by stage."""

    by = fields.String(load_default="month", validate=validate.OneOf(["month", "owner", "stage"]))
    calendar = fields.String(load_default="gregorian", validate=validate.OneOf(["gregorian", "jalali"]))
    pipeline_id = id_field(strict=False)


class ForecastRowOut(Schema):
    """One figure: open deals (all deals for `by=stage`) of a month, owner or stage in one currency."""

    month = fields.String(allow_none=True, metadata={"description": "YYYY-MM (in the chosen calendar); null: no date"})
    owner_id = fields.Integer(allow_none=True)
    stage_id = fields.Integer()
    currency = fields.String(required=True)
    count = fields.Integer(required=True)
    amount = Amount(required=True, metadata={"description": "Sum of the amounts"})
    weighted = Amount(required=True, metadata={"description": "Sum of amount × stage probability / 100"})


class ForecastOut(Schema):
    """The weighted forecast."""

    by = fields.String(required=True)
    calendar = fields.String(required=True)
    rows = fields.List(fields.Nested(ForecastRowOut), required=True)


class DealForm(Schema):
    """The deal form (the API's fields, as text)."""

    class Meta:
        unknown = EXCLUDE

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    amount = Amount(minimum=decimal.Decimal(0), load_default="0")
    currency = fields.String(load_default="IRR", validate=validate.Regexp(r"^[A-Z]{3}$"))
    expected_close = BusinessDate(allow_none=True)
    customer_id = id_field(strict=False, allow_none=True)
    owner_id = id_field(strict=False, allow_none=True)
    stage_id = id_field(strict=False)


class MoveForm(Schema):
    """Where to move a card."""

    class Meta:
        unknown = EXCLUDE

    stage_id = id_field(strict=False, required=True)
    position = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=1_000_000))
    reason_id = id_field(strict=False, allow_none=True)


class PipelineForm(Schema):
    """A new pipeline: a name and its stages, one per line as `name, probability, outcome`."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    stages = fields.List(fields.String(validate=validate.Length(max=200)), required=True,
                         validate=validate.Length(min=1, max=30))


class ReasonForm(Schema):
    """A new won or lost reason."""

    class Meta:
        unknown = EXCLUDE

    outcome = fields.String(required=True, validate=validate.OneOf(["won", "lost"]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))


# --------------------------------------------------------------------------- activities


_WHEN = {"description": "An ISO 8601 time with its offset, e.g. 2026-12-01T10:30:00+03:30",
         "examples": ["2026-12-01T10:30:00+03:30"]}


class AwareDateTime(BusinessDateTime):
    """An ISO 8601 time that must carry its offset (`Z` or `+03:30`), in the business-date range."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", _WHEN)
        super().__init__(**kwargs)


class ActivityIn(Schema):
    """A new activity: attach it to a deal, a lead or a customer (at least one)."""

    class Meta:
        unknown = RAISE

    kind = fields.String(load_default="task", validate=validate.OneOf(activities.KINDS))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))
    deal_id = id_field(allow_none=True)
    lead_id = id_field(allow_none=True)
    customer_id = id_field(allow_none=True)
    owner_id = id_field(allow_none=True, metadata={"description": "Only with sales.manage; default: the caller"})
    due_at = AwareDateTime(allow_none=True)
    remind_at = AwareDateTime(allow_none=True, metadata={**_WHEN, "description": "When to mail the owner a "
                                                         "reminder; not after `due_at`"})

    @validates_schema
    def _attached(self, data: dict[str, Any], **_: Any) -> None:
        if not any(data.get(k) for k in ("deal_id", "lead_id", "customer_id")):
            raise ValidationError("Attach the activity to a deal, a lead or a customer.", "_schema")


class ActivityPatch(Schema):
    """Changes to an activity (completion goes through `POST .../done`, reopening through `done: false`)."""

    class Meta:
        unknown = RAISE

    kind = fields.String(validate=validate.OneOf(activities.KINDS))
    subject = fields.String(validate=validate.Length(min=1, max=200))
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))
    deal_id = id_field(allow_none=True)
    lead_id = id_field(allow_none=True)
    customer_id = id_field(allow_none=True)
    owner_id = id_field(allow_none=True)
    due_at = AwareDateTime(allow_none=True)
    remind_at = AwareDateTime(allow_none=True)
    done = fields.Boolean(metadata={"description": "true completes the activity, false reopens it"})


class ActivityOut(Schema):
    """An activity."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": list(activities.KINDS)})
    subject = fields.String(required=True)
    notes = fields.String(allow_none=True, required=True)
    deal_id = fields.Integer(allow_none=True, required=True)
    lead_id = fields.Integer(allow_none=True, required=True)
    customer_id = fields.Integer(allow_none=True, required=True)
    owner_id = fields.Integer(allow_none=True, required=True)
    due_at = fields.DateTime(allow_none=True, required=True)
    remind_at = fields.DateTime(allow_none=True, required=True)
    reminded_at = fields.DateTime(allow_none=True, required=True)
    done_at = fields.DateTime(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


#: The query arguments of the activity list (generated from `activities.ACTIVITIES`). Open lists
#: come by due time (those without one last), done ones most recently done first.
ActivityListArgs = activities.ACTIVITIES.args_schema("ActivityListArgs")


class ActivityPage(Schema):
    """One page of activities; pass `next_cursor` as `cursor` for the next."""

    items = fields.List(fields.Nested(ActivityOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


#: The earliest reminder, in minutes before the due time (an API client may have set any offset).
MAX_REMIND_BEFORE = 60 * 24 * 60


class ActivityForm(Schema):
    """The add and edit forms of an activity: what, when, the reminder, what it is about and (edit,
    managers) the owner."""

    class Meta:
        unknown = EXCLUDE

    kind = fields.String(load_default="task", validate=validate.OneOf(activities.KINDS))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    notes = fields.String(validate=validate.Length(max=5000))
    due_at = fields.DateTime(allow_none=True, format="%Y-%m-%dT%H:%M", validate=business_date)
    remind_before = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=MAX_REMIND_BEFORE))
    deal_id = id_field(strict=False, allow_none=True)
    lead_id = id_field(strict=False, allow_none=True)
    customer_id = id_field(strict=False, allow_none=True)
    owner_id = id_field(strict=False, allow_none=True)

    @validates_schema
    def _reminder_needs_a_due_time(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("remind_before") is not None and data.get("due_at") is None:
            raise ValidationError(_("A reminder needs a due time."), "remind_before")

    @validates_schema
    def _linked(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not any(data.get(k) for k in ("deal_id", "lead_id", "customer_id")):
            raise ValidationError(_("Choose a deal, a lead or a customer."), "deal_id")


class DealActivityForm(ActivityForm):
    """The activity form of a deal's page: the deal is the page's, so no link is asked for."""

    def _linked(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Nothing to check: the page gives the deal."""


class ActivityPageArgs(Schema):
    """The filters of the activity page (query string)."""

    class Meta:
        unknown = EXCLUDE

    scope = fields.String(load_default="mine", validate=validate.OneOf(["mine", "all"]))
    status = fields.String(validate=validate.OneOf(activities.STATUSES))
    kind = fields.String(validate=validate.OneOf(activities.KINDS))
    day = BusinessDate()
    deal_id = id_field(strict=False)
    lead_id = id_field(strict=False)
    customer_id = id_field(strict=False)
    cursor = fields.String(validate=validate.Length(max=200))


# --------------------------------------------------------------------------- catalog


class ProductIn(Schema):
    """A product or service of the catalog."""

    class Meta:
        unknown = RAISE

    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(validate=validate.OneOf(catalog.KINDS))
    category_id = id_field(allow_none=True)
    unit = fields.String(validate=validate.Length(min=1, max=32))
    tax_class = fields.String(validate=validate.OneOf(catalog.TAX_CLASSES),
                              metadata={"description": "`standard` pays the VAT setting, `exempt` none"})
    in_stock = strict_bool()
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    active = strict_bool()


class ProductPatch(ProductIn):
    """Some fields of a product."""

    sku = fields.String(validate=validate.Length(min=1, max=64))
    name = fields.String(validate=validate.Length(min=1, max=200))


class ProductOut(Schema):
    """A product."""

    id = fields.Integer(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    category_id = fields.Integer(allow_none=True, required=True)
    unit = fields.String(required=True)
    tax_class = fields.String(required=True)
    in_stock = fields.Boolean(required=True)
    description = fields.String(allow_none=True, required=True)
    active = fields.Boolean(required=True)
    source = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


#: The query arguments of the product list (generated from `catalog.PRODUCTS`).
ProductListArgs = catalog.PRODUCTS.args_schema("ProductListArgs")


class ProductPage(Schema):
    """One page of products; pass `next_cursor` as `cursor` for the next."""

    items = fields.List(fields.Nested(ProductOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CategoryIn(Schema):
    """A product category."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    parent_id = id_field(allow_none=True)


class CategoryOut(Schema):
    """A product category."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    parent_id = fields.Integer(allow_none=True, required=True)


class PriceListIn(Schema):
    """A price list."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    currency = fields.String(load_default="IRR", validate=validate.Regexp(r"^[A-Z]{3}$"))
    is_default = strict_bool(load_default=False)


class PriceListOut(Schema):
    """A price list."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    currency = fields.String(required=True)
    is_default = fields.Boolean(required=True)


class PriceIn(Schema):
    """A product's unit price in a list."""

    class Meta:
        unknown = RAISE

    unit_price = Amount(required=True, minimum=decimal.Decimal(0))


class PriceOut(Schema):
    """A product's unit price in a list."""

    price_list_id = fields.Integer(required=True)
    product_id = fields.Integer(required=True)
    unit_price = Amount(required=True)
