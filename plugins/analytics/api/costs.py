"""The API of costs, profitability and social value under `/api/v1/analytics/...`: marketing costs
(list, create, change, delete, CSV import), the newest costs run's months (CAC and cost to
keep), CAC and cost to keep over any period, customers ranked by profitability and by social
score (list kit pages)."""

from __future__ import annotations

import io
from typing import Any

from flask import request
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validates_schema

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.api.blueprint import blp
from payvand.plugins.analytics.api.run_schemas import PeriodRunOut
from payvand.plugins.analytics.models import Cost, CustomerSocial
from payvand.plugins.analytics.schemas import CostIn, CostOut, business_day
from payvand.plugins.analytics.services import costs as service
from payvand.plugins.analytics.services import profit, social
from payvand.plugins.analytics.services.lists import COSTS, PROFIT, SOCIAL
from payvand.sdk import ApiError, Customer, api_page, current_actor, get_visible, require, session

#: The largest costs CSV the API imports in one request.
MAX_IMPORT = 10 * 1024 * 1024

CostListArgs = COSTS.args_schema("CostListArgs")
ProfitListArgs = PROFIT.args_schema("ProfitListArgs")
SocialListArgs = SOCIAL.args_schema("SocialListArgs")


class CostPage(Schema):
    """One page of costs; pass `next_cursor` as `cursor` for the next."""

    items = fields.List(fields.Nested(CostOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ImportErrorOut(Schema):
    line = fields.Integer(required=True)
    reason = fields.String(required=True)


class CostImportOut(Schema):
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    refused = fields.Integer(required=True)
    errors = fields.List(fields.Nested(ImportErrorOut), required=True,
                         metadata={"description": "The refused rows (at most 1,000): line and reason"})


def _cost_or_404(cost_id: int) -> Cost:
    cost = session().get(Cost, cost_id) if 0 < cost_id < 2**63 else None
    if cost is None:
        raise ApiError(404, f"There is no cost {cost_id}.")
    return cost


def _duplicate(exc: service.DuplicateCost) -> ApiError:
    session().rollback()
    return ApiError(409, "A cost with this purpose, channel, campaign, period and currency exists.",
                    code="duplicate_cost", fields={"period_start": [f"Change cost {exc.args[0]} instead."]})


@blp.route("/costs")
class Costs(MethodView):
    @require(perm.VIEW)
    @blp.arguments(CostListArgs, location="query")
    @blp.response(200, CostPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List marketing costs, newest period first; filter by purpose, channel, campaign, start."""
        return api_page(COSTS, session(), args, current_actor())

    @require(perm.COSTS)
    @blp.arguments(CostIn)
    @blp.response(201, CostOut)
    @blp.alt_response(409, description="A cost with the same purpose, channel, campaign, period and currency exists")
    def post(self, data: dict[str, Any]) -> Cost:
        """Record a cost of a campaign or channel over a period."""
        try:
            cost = service.save_cost(data)
        except service.DuplicateCost as exc:
            raise _duplicate(exc) from None
        session().commit()
        return cost


@blp.route("/costs/<int:cost_id>")
class CostItem(MethodView):
    @require(perm.VIEW)
    @blp.response(200, CostOut)
    def get(self, cost_id: int) -> Cost:
        """One cost."""
        return _cost_or_404(cost_id)

    @require(perm.COSTS)
    @blp.arguments(CostIn)
    @blp.response(200, CostOut)
    @blp.alt_response(409, description="Another cost has the same purpose, channel, campaign, period and currency")
    def put(self, data: dict[str, Any], cost_id: int) -> Cost:
        """Replace a cost's fields."""
        cost = _cost_or_404(cost_id)
        try:
            service.save_cost(data, cost)
        except service.DuplicateCost as exc:
            raise _duplicate(exc) from None
        session().commit()
        return cost

    @require(perm.COSTS)
    @blp.response(204)
    def delete(self, cost_id: int) -> None:
        """Delete a cost."""
        service.delete_cost(_cost_or_404(cost_id))
        session().commit()


@blp.route("/costs/import")
class CostImport(MethodView):
    @require(perm.COSTS)
    @blp.response(200, CostImportOut)
    @blp.doc(requestBody={"required": True, "description": "A CSV file whose header names "
                          + ", ".join(service.CSV_COLUMNS) + " (channel, campaign and note optional)",
                          "content": {"text/csv": {"schema": {"type": "string"}}}})
    def post(self) -> dict[str, Any]:
        """Import costs from a CSV body: good rows are kept (a row with an existing key updates it),
        bad rows come back with their line and reason."""
        if request.content_length is not None and request.content_length > MAX_IMPORT:
            raise ApiError(413, "The file is larger than 10 MB.")
        data = request.get_data(cache=False)
        if len(data) > MAX_IMPORT:
            raise ApiError(413, "The file is larger than 10 MB.")
        if not data.strip():
            raise ApiError(400, "Send the CSV file as the body.", fields={"body": ["Empty."]})
        report = service.import_costs(io.BytesIO(data))
        session().commit()
        return report.as_dict()


class PeriodArgs(Schema):
    start = fields.Date(required=True, validate=business_day, metadata={"description": "First day of the period"})
    end = fields.Date(required=True, validate=business_day, metadata={"description": "Last day of the period, included"})
    currency = fields.String(load_default=None, metadata={"description": "Default: the most used"})

    @validates_schema(skip_on_field_errors=True)
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        if data["end"] < data["start"]:
            raise ValidationError({"end": ["The period must not end before it starts."]})
        if (data["end"] - data["start"]).days > 366 * 10:
            raise ValidationError({"end": ["A period of at most ten years."]})


class PeriodCostOut(Schema):
    cost = fields.Float(required=True)
    customers = fields.Integer(required=True)
    per_customer = fields.Float(allow_none=True, required=True, metadata={"description": "null without customers"})
    currency = fields.String(required=True)


class CostFiguresOut(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    cac = fields.Nested(PeriodCostOut, required=True, metadata={"description": "Customer acquisition cost"})
    cost_to_keep = fields.Nested(PeriodCostOut, required=True)


@blp.route("/cac")
class CacFigures(MethodView):
    @require(perm.VIEW)
    @blp.arguments(PeriodArgs, location="query")
    @blp.response(200, CostFiguresOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """CAC (acquisition costs / customers acquired) and cost to keep (retention costs / customers
        retained) over a period, computed now (404 when no plugin offers purchase facts)."""
        period = (args["start"], args["end"])
        acquired = profit.cac(period, args["currency"])
        if acquired is None:
            raise ApiError(404, "No plugin offers purchase facts.")
        kept = profit.cost_to_keep(period, acquired.currency)
        return {"start": args["start"], "end": args["end"], "cac": acquired, "cost_to_keep": kept}


class MonthOut(Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM (UTC)"})
    acquisition_cost = fields.Float(required=True)
    acquired = fields.Integer(required=True)
    cac = fields.Float(allow_none=True, required=True)
    retention_cost = fields.Float(required=True)
    retained = fields.Integer(required=True)
    cost_to_keep = fields.Float(allow_none=True, required=True)
    unallocated = fields.Float(required=True)


class CostsRunOut(PeriodRunOut):
    margin_rate = fields.Float(required=True)
    service_cost_per_ticket = fields.Float(required=True)
    service_cost_per_hour = fields.Float(required=True)
    months = fields.List(fields.Nested(MonthOut), required=True)
    totals = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)


@blp.route("/costs-run")
class CostsRun(MethodView):
    @require(perm.VIEW)
    @blp.response(200, CostsRunOut)
    def get(self) -> dict[str, Any]:
        """The newest costs run: its months (CAC, cost to keep, unallocated) and totals (404 before the first)."""
        run = profit.latest_costs_run()
        if run is None:
            raise ApiError(404, "No costs run yet.")
        results = run.results
        return {"id": run.id, "created_at": run.created_at, "customers": run.customers, "start": run.options["start"],
                "end": run.options["end"], "currency": results["currency"], "margin_rate": results["margin_rate"],
                "service_cost_per_ticket": results["service_cost_per_ticket"],
                "service_cost_per_hour": results["service_cost_per_hour"], "months": results["periods"],
                "totals": results["totals"]}


class ProfitOut(Schema):
    customer_id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    rank = fields.Integer(required=True)
    revenue = fields.Float(required=True)
    margin = fields.Float(required=True)
    tickets = fields.Integer(required=True)
    service_cost = fields.Float(required=True)
    acquisition_cost = fields.Float(required=True)
    retention_cost = fields.Float(required=True)
    profit = fields.Float(required=True)


class ProfitPage(Schema):
    """One page of customers by profitability; pass `next_cursor` as `cursor` for the next."""

    items = fields.List(fields.Nested(ProfitOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


@blp.route("/profitability")
class Profitability(MethodView):
    @require(perm.VIEW)
    @blp.arguments(ProfitListArgs, location="query")
    @blp.response(200, ProfitPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Customers of the newest costs run ranked by profit (1 the most profitable); filter by profit,
        revenue and stage. Empty before the first run."""
        return api_page(PROFIT, session(), args, current_actor())


class SocialPartOut(Schema):
    part = fields.String(required=True)
    value = fields.Float(required=True)
    score = fields.Float(required=True, metadata={"description": "0-100 against the run's largest value, log scale"})
    weight = fields.Float(required=True)
    points = fields.Float(required=True, metadata={"description": "What this part adds to the social score"})


class SocialOut(Schema):
    customer_id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    rank = fields.Integer(required=True)
    score = fields.Float(required=True)
    referrals = fields.Integer(required=True)
    second_level = fields.Integer(required=True)
    reach = fields.Float(required=True)
    engagement = fields.Integer(required=True)
    influence = fields.Float(required=True)


class SocialPage(Schema):
    """One page of customers by social score; pass `next_cursor` as `cursor` for the next."""

    items = fields.List(fields.Nested(SocialOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CustomerSocialOut(Schema):
    customer_id = fields.Integer(required=True)
    run_id = fields.Integer(required=True)
    rank = fields.Integer(required=True)
    score = fields.Float(required=True)
    parts = fields.List(fields.Nested(SocialPartOut), required=True)


@blp.route("/social")
class SocialRanking(MethodView):
    @require(perm.VIEW)
    @blp.arguments(SocialListArgs, location="query")
    @blp.response(200, SocialPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Customers of the newest social run ranked by social score (1 the highest). Empty before the first run."""
        return api_page(SOCIAL, session(), args, current_actor())


@blp.route("/customers/<int:customer_id>/social")
class CustomerSocialScore(MethodView):
    @require(perm.VIEW)
    @blp.response(200, CustomerSocialOut)
    def get(self, customer_id: int) -> dict[str, Any]:
        """One customer's social score in the newest social run, explained part by part (404 when
        the customer is not visible or has no score)."""
        if customer_id >= 2**63 or get_visible(session(), Customer, customer_id, current_actor()) is None:
            raise ApiError(404, "Customer not found.")
        run = social.latest_social_run()
        row = session().get(CustomerSocial, (run.id, customer_id)) if run else None
        if run is None or row is None:
            raise ApiError(404, "The customer has no social score in the newest run.")
        return {"customer_id": customer_id, "run_id": run.id, "rank": row.rank, "score": row.score,
                "parts": social.explain(row, run)}
