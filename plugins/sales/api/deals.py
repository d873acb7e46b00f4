"""`/api/v1/sales/pipelines`, `/deals` and `/forecast`: pipelines, deals, moving deals, weighted forecast.

The record rule applies everywhere: without `sales.manage` a caller sees, changes and moves
only the deals they own (others answer 404).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import RAISE

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.api import blp
from payvand.plugins.sales.api.fields import (
    MAX_ID,
    needs_json,
)
from payvand.plugins.sales.schemas import (
    DealDetailOut,
    DealIn,
    DealListArgs,
    DealOut,
    DealPage,
    DealPatch,
    ForecastArgs,
    ForecastOut,
    MoveIn,
    PipelineOut,
    ReasonOut,
)
from payvand.plugins.sales.services import pipeline as service
from payvand.sdk import ApiError, api_page, current_actor, require, session


def _fail(exc: service.PipelineError) -> ApiError:
    session().rollback()
    return ApiError(422, exc.message, fields={exc.field: [exc.message]})


def _deal_or_404(deal_id: int) -> Any:
    if not 1 <= deal_id <= MAX_ID:
        raise ApiError(404, f"There is no deal {deal_id}.")
    try:
        return service.get_deal(session(), deal_id, current_actor())
    except service.DealNotFound:
        raise ApiError(404, f"There is no deal {deal_id}.") from None


def _detail(deal: Any) -> dict[str, Any]:
    out = {c: getattr(deal, c) for c in DealOut._declared_fields}
    out["products"] = [row._asdict() for row in service.deal_products(session(), deal.id)]
    return out


@blp.route("/pipelines")
class Pipelines(MethodView):
    """The pipelines."""

    @require(perm.DEAL_VIEW)
    @blp.response(200, PipelineOut(many=True))
    def get(self) -> Any:
        """Every pipeline with its stages in order (the default pipeline is made on first use)."""
        found = service.list_pipelines(session())
        session().commit()
        return found


@blp.route("/reasons")
class Reasons(MethodView):
    """Won and lost reasons."""

    @require(perm.DEAL_VIEW)
    @blp.response(200, ReasonOut(many=True))
    def get(self) -> Any:
        """Every won and lost reason."""
        return service.list_reasons(session())


@blp.route("/deals")
class Deals(MethodView):
    """The deal collection."""

    @require(perm.DEAL_VIEW)
    @blp.arguments(DealListArgs, location="query")
    @blp.response(200, DealPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List deals newest first (own only without `sales.manage`): filter by status, pipeline, stage, owner, customer."""
        return api_page(service.DEALS, session(), args, current_actor())

    @require(perm.DEAL_EDIT)
    @needs_json
    @blp.arguments(DealIn, example={"title": "50 routers for Pars Co.", "amount": "1250000000", "currency": "IRR",
                                    "expected_close": "2026-12-20", "customer_id": 1})
    @blp.response(201, DealDetailOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a deal at the bottom of its stage; owned by the caller unless a manager names `owner_id`."""
        try:
            deal = service.create_deal(session(), data, current_actor())
        except service.PipelineError as exc:
            raise _fail(exc) from None
        session().commit()
        return _detail(deal), 201, {"Location": f"/api/v1/sales/deals/{deal.id}"}


@blp.route("/deals/<int:deal_id>")
class DealItem(MethodView):
    """One deal."""

    @require(perm.DEAL_VIEW)
    @blp.response(200, DealDetailOut)
    def get(self, deal_id: int) -> Any:
        """A deal with its products."""
        return _detail(_deal_or_404(deal_id))

    @require(perm.DEAL_EDIT)
    @needs_json
    @blp.arguments(DealPatch)
    @blp.response(200, DealDetailOut)
    def patch(self, data: dict[str, Any], deal_id: int) -> Any:
        """Change a deal's title, amount, currency, expected close, customer, owner (managers) or products."""
        deal = _deal_or_404(deal_id)
        try:
            service.update_deal(session(), deal, data, current_actor())
        except service.PipelineError as exc:
            raise _fail(exc) from None
        session().commit()
        return _detail(deal)


@blp.route("/deals/<int:deal_id>/move")
class DealMove(MethodView):
    """Move a deal on the board."""

    @require(perm.DEAL_EDIT)
    @needs_json
    @blp.arguments(MoveIn, example={"stage_id": 3, "position": 0})
    @blp.response(200, DealOut)
    def post(self, data: dict[str, Any], deal_id: int) -> Any:
        """Move a deal to a stage of its pipeline at a place in the column; a won/lost stage closes it
        (a lost one needs `reason_id`) and records `sales.deal_won`/`sales.deal_lost` on the customer."""
        deal = _deal_or_404(deal_id)
        try:
            service.move_deal(session(), deal, data["stage_id"], data.get("position"), data.get("reason_id"),
                              current_actor())
        except service.PipelineError as exc:
            raise _fail(exc) from None
        session().commit()
        return deal


@blp.route("/forecast")
class Forecast(MethodView):
    """The weighted forecast."""

    @require(perm.DEAL_VIEW)
    @blp.arguments(ForecastArgs, location="query", unknown=RAISE)
    @blp.response(200, ForecastOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Sum of amount × probability / 100 per currency of open deals, by month of expected close or by owner;
        `by=stage` gives count, sum and weighted sum per stage for every deal (own only without `sales.manage`)."""
        s, caller, pipeline_id = session(), current_actor(), args.get("pipeline_id")
        rows: list[dict[str, Any]] = []
        if args["by"] == "month":
            for r in service.forecast_by_month(s, caller, calendar=args["calendar"], pipeline_id=pipeline_id):
                month = None if r.key is None else f"{r.key[0]:04d}-{r.key[1]:02d}"
                rows.append({"month": month, "currency": r.currency, "count": r.count, "amount": r.amount,
                             "weighted": r.weighted})
        else:
            runner = service.forecast_by_owner if args["by"] == "owner" else service.pipeline_by_stage
            key = "owner_id" if args["by"] == "owner" else "stage_id"
            for r in runner(s, caller, pipeline_id=pipeline_id):
                rows.append({key: r.key, "currency": r.currency, "count": r.count, "amount": r.amount,
                             "weighted": r.weighted})
        return {"by": args["by"], "calendar": args["calendar"], "rows": rows}
