"""The analytics REST API under `/api/v1/analytics/...` (read-only: the stored runs)."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.api.blueprint import blp
from payvand.plugins.analytics.api.run_schemas import PeriodRunOut, RunOut
from payvand.plugins.analytics.models import CustomerClv, CustomerRfm, Run
from payvand.plugins.analytics.schemas import DashboardArgs
from payvand.sdk import ApiError, Customer, current_actor, get_visible, require, session


class BgNbdOut(Schema):
    r = fields.Float(required=True)
    alpha = fields.Float(required=True)
    a = fields.Float(required=True)
    b = fields.Float(required=True)


class GammaGammaOut(Schema):
    p = fields.Float(required=True)
    q = fields.Float(required=True)
    v = fields.Float(required=True, metadata={"description": "The note's gamma (scale of the spend distribution)"})


class ClvRunOut(RunOut):
    calibration_end = fields.String(required=True, metadata={"format": "date"})
    holdout_end = fields.String(allow_none=True, metadata={"format": "date"})
    period = fields.String(required=True)
    horizon = fields.Integer(required=True)
    discount_rate = fields.Float(required=True)
    bgnbd = fields.Nested(BgNbdOut, required=True)
    gamma_gamma = fields.Nested(GammaGammaOut, required=True)
    bgnbd_log_likelihood = fields.Float(required=True)
    gamma_gamma_log_likelihood = fields.Float(required=True)


class RfmRunOut(PeriodRunOut):
    segments = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class RfmRunsArgs(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class RfmTransitionsArgs(Schema):
    from_run = fields.Integer(data_key="from", load_default=None, validate=validate.Range(min=1),
                              metadata={"description": "The earlier RFM run (default: the one before `to`)"})
    to_run = fields.Integer(data_key="to", load_default=None, validate=validate.Range(min=1),
                            metadata={"description": "The later RFM run (default: the newest)"})


class RfmTransitionsOut(Schema):
    from_run = fields.Nested(RfmRunOut, data_key="from", required=True)
    to_run = fields.Nested(RfmRunOut, data_key="to", required=True)
    matrix = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer()),
                         required=True, metadata={"description": "matrix[before][after]: customers in both runs"})


class CycleMonthsOut(Schema):
    labels = fields.List(fields.String(), required=True, metadata={"description": "Months, oldest first (YYYY/MM)"})
    counts = fields.Dict(keys=fields.String(), values=fields.List(fields.Integer()), required=True,
                         metadata={"description": "Customers per stage at each month end"})
    flows = fields.List(fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(),
                                                                             values=fields.Integer())),
                        required=True, metadata={"description": "flows[i]: {from: {to: customers}} from month i to i+1"})


class CycleRunOut(RunOut):
    end = fields.String(required=True, metadata={"format": "date"})
    stages = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         metadata={"description": "Customers per stage (selection, acquisition, retention, expansion)"})
    gregorian = fields.Nested(CycleMonthsOut, required=True)
    jalali = fields.Nested(CycleMonthsOut, required=True)
    funnel_leads = fields.List(fields.Integer(), required=True,
                               metadata={"description": "[leads, customers, repeat, loyal] of the leads"})
    funnel_all = fields.List(fields.Integer(), required=True,
                             metadata={"description": "[buyers, buyers, repeat, loyal] of every buyer"})


class CustomerClvOut(Schema):
    run_id = fields.Integer(required=True)
    frequency = fields.Integer(required=True)
    recency = fields.Float(required=True)
    age = fields.Float(required=True)
    monetary = fields.Float(required=True)
    p_alive = fields.Float(required=True)
    expected_purchases = fields.Float(required=True)
    expected_spend = fields.Float(required=True)
    clv = fields.Float(required=True)
    next_purchase_on = fields.Date(allow_none=True, required=True,
                                   metadata={"description": "The day by which a purchase is more likely than not "
                                                            "(null: more likely gone)"})


class CustomerRfmOut(Schema):
    run_id = fields.Integer(required=True)
    recency_days = fields.Integer(required=True)
    frequency = fields.Integer(required=True)
    monetary = fields.Float(required=True)
    r = fields.Integer(required=True)
    f = fields.Integer(required=True)
    m = fields.Integer(required=True)
    segment = fields.String(required=True)


class CustomerAnalyticsOut(Schema):
    customer_id = fields.Integer(required=True)
    clv = fields.Nested(CustomerClvOut, allow_none=True, required=True)
    rfm = fields.Nested(CustomerRfmOut, allow_none=True, required=True)


def _latest(kind: str) -> Run:
    run = session().scalars(sa.select(Run).where(Run.kind == kind).order_by(Run.id.desc()).limit(1)).first()
    if run is None:
        raise ApiError(404, f"No {kind} run yet.")
    return run


@blp.route("/clv")
class ClvRun(MethodView):
    @require(perm.VIEW)
    @blp.response(200, ClvRunOut)
    def get(self) -> dict[str, Any]:
        """The newest lifetime-value fit: options and parameters (404 before the first run)."""
        run = _latest("clv")
        return {"id": run.id, "created_at": run.created_at, "customers": run.customers, **run.options, **run.results}


@blp.route("/rfm")
class RfmRun(MethodView):
    @require(perm.VIEW)
    @blp.response(200, RfmRunOut)
    def get(self) -> dict[str, Any]:
        """The newest RFM scoring: its period and the customers per segment (404 before the first run)."""
        return _rfm_out(_latest("rfm"))


def _rfm_out(run: Run) -> dict[str, Any]:
    return {"id": run.id, "created_at": run.created_at, "customers": run.customers, **run.options,
            "segments": run.results.get("segments", {})}


def _rfm_runs(limit: int, *where: Any) -> list[Run]:
    return list(session().scalars(sa.select(Run).where(Run.kind == "rfm", *where).order_by(Run.id.desc()).limit(limit)))


@blp.route("/rfm/runs")
class RfmRuns(MethodView):
    @require(perm.VIEW)
    @blp.arguments(RfmRunsArgs, location="query")
    @blp.response(200, RfmRunOut(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """The stored RFM runs, newest first (as many as the retention settings keep)."""
        return [_rfm_out(run) for run in _rfm_runs(args["limit"])]


@blp.route("/rfm/transitions")
class RfmTransitions(MethodView):
    @require(perm.VIEW)
    @blp.arguments(RfmTransitionsArgs, location="query")
    @blp.response(200, RfmTransitionsOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """How many customers moved from each segment of an earlier RFM run to each of a later one
        (404 when a run is missing; 422 when `from` is not older than `to`)."""
        from payvand.plugins.analytics.services.rfm import transitions

        later = _rfm_run(args["to_run"]) if args["to_run"] else _latest("rfm")
        if args["from_run"]:
            earlier = _rfm_run(args["from_run"])
        else:
            before = _rfm_runs(1, Run.id < later.id)
            if not before:
                raise ApiError(404, "There is no RFM run before this one.")
            earlier = before[0]
        if earlier.id >= later.id:
            raise ApiError(422, "`from` must be an earlier run than `to`.", fields={"from": ["Not older than `to`."]})
        return {"from_run": _rfm_out(earlier), "to_run": _rfm_out(later), "matrix": transitions(earlier.id, later.id)}


def _rfm_run(run_id: int) -> Run:
    run = session().get(Run, run_id)
    if run is None or run.kind != "rfm":
        raise ApiError(404, f"There is no RFM run {run_id}.")
    return run


@blp.route("/cycle")
class CycleRun(MethodView):
    @require(perm.VIEW)
    @blp.response(200, CycleRunOut)
    def get(self) -> dict[str, Any]:
        """The newest e-CRM cycle: customers per stage, monthly counts and flows, the funnels (404 before the first run)."""
        run = _latest("cycle")
        results = run.results
        return {"id": run.id, "created_at": run.created_at, "customers": run.customers, "end": run.options["end"],
                "currency": results.get("currency", ""), "stages": results["stages"],
                "gregorian": results["months"]["gregorian"], "jalali": results["months"]["jalali"],
                "funnel_leads": results["funnel_leads"], "funnel_all": results["funnel_all"]}


@blp.route("/customers/<int:customer_id>")
class CustomerAnalytics(MethodView):
    @require(perm.VIEW)
    @blp.response(200, CustomerAnalyticsOut)
    def get(self, customer_id: int) -> dict[str, Any]:
        """One customer's figures in the newest CLV and RFM runs (null where the customer is in none)."""
        db = session()

        def newest(kind: str) -> Any:
            return sa.select(sa.func.max(Run.id)).where(Run.kind == kind).scalar_subquery()

        clv = db.scalars(sa.select(CustomerClv).where(CustomerClv.run_id == newest("clv"),
                                                      CustomerClv.customer_id == customer_id)).first()
        rfm = db.scalars(sa.select(CustomerRfm).where(CustomerRfm.run_id == newest("rfm"),
                                                      CustomerRfm.customer_id == customer_id)).first()
        return {"customer_id": customer_id, "clv": clv, "rfm": rfm}


class LimitArgs(Schema):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100),
                           metadata={"description": "How many suggestions (1-100)"})


class RecommendationOut(Schema):
    product_id = fields.Integer(required=True)
    name = fields.String(required=True)
    score = fields.Float(required=True, metadata={"description": "Orders one customer's suggestions"})
    kind = fields.String(required=True, validate=validate.OneOf(["cross_sell", "up_sell", "related", "popular"]))
    because = fields.List(fields.Integer(), required=True,
                          metadata={"description": "Products the customer bought that led to this one"})


class CustomerRecommendationsOut(Schema):
    customer_id = fields.Integer(required=True)
    run_id = fields.Integer(allow_none=True, required=True)
    recommendations = fields.List(fields.Nested(RecommendationOut), required=True)


class AlsoBoughtOut(Schema):
    product_id = fields.Integer(required=True)
    name = fields.String(required=True)
    similarity = fields.Float(required=True)


class ProductAlsoBoughtOut(Schema):
    product_id = fields.Integer(required=True)
    run_id = fields.Integer(allow_none=True, required=True)
    also_bought = fields.List(fields.Nested(AlsoBoughtOut), required=True)


@blp.route("/customers/<int:customer_id>/recommendations")
class CustomerRecommendations(MethodView):
    @require(perm.VIEW)
    @blp.arguments(LimitArgs, location="query")
    @blp.response(200, CustomerRecommendationsOut)
    def get(self, args: dict[str, Any], customer_id: int) -> dict[str, Any]:
        """Products to suggest to one customer from the newest fit, best first (404 for a customer
        the caller may not see; an empty list before the first fit)."""
        from payvand.plugins.analytics.services import recommend

        if customer_id >= 2**63 or get_visible(session(), Customer, customer_id, current_actor()) is None:
            raise ApiError(404, "Customer not found.")
        run = recommend.latest_run()
        found = recommend.for_customer(customer_id, args["limit"], run=run)
        return {"customer_id": customer_id, "run_id": run.id if run else None,
                "recommendations": [{"product_id": r.product_id, "name": r.name, "score": r.score, "kind": r.kind,
                                     "because": list(r.because)} for r in found]}


@blp.route("/products/<int:product_id>/also-bought")
class ProductAlsoBought(MethodView):
    @require(perm.VIEW)
    @blp.arguments(LimitArgs, location="query")
    @blp.response(200, ProductAlsoBoughtOut)
    def get(self, args: dict[str, Any], product_id: int) -> dict[str, Any]:
        """"Customers who bought this also bought": the product's most similar products in the newest fit."""
        from payvand.plugins.analytics.services import recommend

        run = recommend.latest_run()
        found = recommend.also_bought(product_id, args["limit"], run=run) if product_id < 2**63 else []
        return {"product_id": product_id, "run_id": run.id if run else None,
                "also_bought": [{"product_id": p, "name": n, "similarity": s} for p, n, s in found]}


# --------------------------------------------------------------------------- the KPI dashboard


class DashboardArgsApi(DashboardArgs):
    """The dashboard's query arguments (the page's, `DashboardArgs`)."""


class KpiPeriodOut(Schema):
    first_day = fields.Date(required=True)
    last_day = fields.Date(required=True)
    label = fields.String(required=True, metadata={"description": "The days in the caller's calendar"})


class KpiSeriesOut(Schema):
    label = fields.String(required=True)
    data = fields.List(fields.Float(allow_none=True), required=True)


class KpiWidgetOut(Schema):
    key = fields.String(required=True, metadata={"description": "`<plugin>.<name>`"})
    plugin = fields.String(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["number", "series", "distribution", "table"]))
    unit = fields.String(required=True, validate=validate.OneOf(["count", "percent", "money", "decimal"]))
    available = fields.Boolean(required=True, metadata={"description": "False when the widget failed (recorded on "
                                                                       "its plugin); its figures are then null"})
    value = fields.Float(allow_none=True, required=True)
    previous = fields.Float(allow_none=True, required=True,
                            metadata={"description": "The same figure over the comparison period"})
    change = fields.Float(allow_none=True, required=True, metadata={"description": "Relative change in %"})
    currency = fields.String(required=True)
    labels = fields.List(fields.String(), required=True)
    series = fields.List(fields.Nested(KpiSeriesOut), required=True)
    columns = fields.List(fields.String(), required=True)
    rows = fields.List(fields.List(fields.Raw(allow_none=True)), required=True)
    note = fields.String(required=True)
    as_of = fields.DateTime(allow_none=True, required=True,
                            metadata={"description": "When the figures were computed, for figures read from a snapshot"})
    pending = fields.Boolean(required=True, metadata={
        "description": "True while a shared widget's figures are computed in the background: the figures are the "
                       "last snapshot's (see as_of), or null when there is none yet; ask again later"})


class DashboardOut(Schema):
    calendar = fields.String(required=True, validate=validate.OneOf(["gregorian", "jalali"]))
    period = fields.Nested(KpiPeriodOut, required=True)
    comparison = fields.Nested(KpiPeriodOut, allow_none=True, required=True)
    widgets = fields.List(fields.Nested(KpiWidgetOut), required=True,
                          metadata={"description": "The caller's dashboard: their layout's order, hidden ones left out"})


def _period_out(period: Any) -> dict[str, Any] | None:
    from payvand.plugins.analytics.services import periods

    if period is None:
        return None
    return {"first_day": period.first_day, "last_day": period.last_day, "label": periods.label(period)}


@blp.route("/dashboard")
class Dashboard(MethodView):
    @require(perm.VIEW)
    @blp.arguments(DashboardArgsApi, location="query")
    @blp.response(200, DashboardOut)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The caller's KPI dashboard for a period and a comparison: every widget's figures.

        Jalali months and dates (`YYYY/MM/DD` accepted) for a caller whose language is Persian,
        Gregorian otherwise. A widget that fails is listed with `available` false. A shared widget
        whose stored figures are missing or stale is never computed by the request: it is listed
        with `pending` true (the last figures, or none) and computed in the background.
        """
        import datetime as dt

        from payvand.plugins.analytics.services import dashboard
        from payvand.sdk import current_locale, local_zone

        actor = current_actor()
        layout = dashboard.effective_layout(actor.user_id)
        preset = args.get("period") or (layout.period if layout else "this_month")
        kind = args.get("comparison") or (layout.comparison if layout else "previous")
        if preset == "custom" and not (args.get("start_day") and args.get("end_day")):
            raise ApiError(422, "A custom period needs start and end.",
                           fields={"start": ["Required for a custom period."], "end": ["Required for a custom period."]})
        calendar: Literal["jalali", "gregorian"] = "jalali" if current_locale() == "fa" else "gregorian"
        choice = dashboard.choose(preset, kind, calendar, dt.datetime.now(local_zone()).date(),
                                  args.get("start_day"), args.get("end_day"))
        results = dashboard.compute(actor, dashboard.entries(actor, layout), choice.period, choice.comparison,
                                    background=True)
        session().commit()  # the background computations just queued
        widgets = []
        for r in results:
            data = r.data
            widgets.append({
                "key": r.widget.key, "plugin": r.plugin, "title": r.widget.title, "kind": r.widget.kind,
                "unit": r.widget.unit, "available": data is not None,
                "value": data.value if data else None, "previous": data.previous if data else None,
                "change": r.change, "currency": data.currency if data else "",
                "labels": list(data.labels) if data else [],
                "series": [{"label": s.label, "data": list(s.data)} for s in data.series] if data else [],
                "columns": list(data.columns) if data else [], "rows": [list(row) for row in data.rows] if data else [],
                "note": data.note if data else "", "as_of": r.as_of, "pending": r.pending})
        return {"calendar": calendar, "period": _period_out(choice.period),
                "comparison": _period_out(choice.comparison), "widgets": widgets}


from payvand.plugins.analytics.api import costs as _costs  # noqa: E402,F401 - its routes join `blp`
