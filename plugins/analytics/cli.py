"""`payvand analytics ...`: fit lifetime value on the instance or on an outside file, score RFM."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from payvand.plugins.analytics.services import local_days
from payvand.sdk import transaction

if TYPE_CHECKING:
    from payvand.plugins.analytics.services.lifetime import ClvOptions

F = TypeVar("F", bound=Callable[..., Any])
#: The models' time units (numpy and scipy load only when a command runs).
PERIODS = ("day", "week", "month")


def _options(calibration_end: dt.datetime, period: str, horizon: int, discount_rate: float,
             holdout_end: dt.datetime | None) -> ClvOptions:
    from payvand.plugins.analytics.services.lifetime import ClvOptions

    return ClvOptions(calibration_end.date(), period, horizon, discount_rate, holdout_end.date() if holdout_end else None)


def _clv_options(command: F) -> F:
    for option in reversed([
        click.option("--calibration-end", type=click.DateTime(["%Y-%m-%d"]), required=True,
                     help="Last day of the calibration period (YYYY-MM-DD); later purchases are the holdout."),
        click.option("--period", type=click.Choice(PERIODS), default="week", show_default=True,
                     help="Time unit of the models."),
        click.option("--horizon", type=click.IntRange(1, 520), default=52, show_default=True,
                     help="Periods ahead for expected purchases and CLV."),
        click.option("--discount-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True,
                     help="Discount rate per period for CLV."),
        click.option("--holdout-end", type=click.DateTime(["%Y-%m-%d"]), default=None,
                     help="Last day of the holdout period, for the model-fit checks."),
        click.option("--json", "as_json", is_flag=True, help="Print the fitted parameters as JSON."),
    ]):
        command = option(command)
    return command


@click.group("analytics")
def analytics_cli() -> None:
    """Analytics: lifetime value (BG/NBD, Gamma-Gamma) and RFM."""


def _print(result: object, as_json: bool, began: float, extra: str = "") -> None:
    from payvand.plugins.analytics.services.lifetime import ClvResult

    assert isinstance(result, ClvResult)
    if as_json:
        click.echo(json.dumps(result.as_json()))
        return
    b, g = result.bgnbd, result.spend
    click.echo(f"Fitted on {len(result.summary):,} customers in {time.perf_counter() - began:.1f} s{extra}.")
    click.echo(f"BG/NBD: r={b.r:.4f} alpha={b.alpha:.4f} a={b.a:.4f} b={b.b:.4f} (log-likelihood {b.log_likelihood:.1f})")
    click.echo(f"Gamma-Gamma: p={g.p:.4f} q={g.q:.4f} gamma={g.v:.4f} (log-likelihood {g.log_likelihood:.1f})")
    click.echo(f"Expected purchases in the horizon: {result.scored_values.expected_purchases.sum():,.1f}; "
               f"total CLV: {result.scored_values.clv.sum():,.2f}")


@analytics_cli.command("clv")
@_clv_options
@click.option("--currency", default=None, help="Fit on purchases in this currency (default: the most used).")
def clv_command(calibration_end: dt.datetime, period: str, horizon: int, discount_rate: float,
                holdout_end: dt.datetime | None, as_json: bool, currency: str | None) -> None:
    """Fit lifetime value on the instance's purchases (from every plugin's purchase facts) and store
    the results (the analytics pages and the customers' analytics fields show them)."""
    from payvand.plugins.analytics.services.lifetime import NoPurchases, run_instance

    began = time.perf_counter()
    try:
        with transaction():
            run, result = run_instance(_options(calibration_end, period, horizon, discount_rate, holdout_end),
                                       currency=currency)
            run_id = run.id
    except NoPurchases as exc:
        raise click.ClickException(str(exc)) from None
    _print(result, as_json, began, f"; stored as run {run_id}")


@analytics_cli.command("clv-csv")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--customer", "customer_column", required=True, help="Column with the customer id.")
@click.option("--date", "date_column", required=True, help="Column with the purchase date (YYYY-MM-DD or YYYYMMDD).")
@click.option("--amount", "amount_column", required=True, help="Column with the amount.")
@_clv_options
def clv_csv_command(file: str, customer_column: str, date_column: str, amount_column: str, calibration_end: dt.datetime,
                    period: str, horizon: int, discount_rate: float, holdout_end: dt.datetime | None, as_json: bool) -> None:
    """Fit lifetime value on an outside transaction file (CSV with a header); nothing is stored."""
    from payvand.plugins.analytics.services.lifetime import NoPurchases, run_csv

    began = time.perf_counter()
    try:
        result = run_csv(file, customer_column, date_column, amount_column,
                         _options(calibration_end, period, horizon, discount_rate, holdout_end))
    except (NoPurchases, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    _print(result, as_json, began)


@analytics_cli.command("rfm")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day of the period (default: a year before the end).")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day of the period (default: today).")
@click.option("--currency", default=None, help="Score purchases in this currency (default: the most used).")
def rfm_command(start: dt.datetime | None, end: dt.datetime | None, currency: str | None) -> None:
    """Score every customer who bought in the period (RFM quintiles and segments) and store the run."""
    from payvand.plugins.analytics.services.rfm import SEGMENTS, RfmOptions, run_rfm

    last = end.date() if end else local_days.today()
    first = start.date() if start else last - dt.timedelta(days=364)
    if first > last:
        raise click.ClickException("the start must not be after the end")
    began = time.perf_counter()
    try:
        with transaction():
            run = run_rfm(RfmOptions(first, last, currency))
            sizes, run_id, customers = run.results["segments"], run.id, run.customers
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Scored {customers:,} customers in {time.perf_counter() - began:.1f} s (run {run_id}).")
    for name in SEGMENTS:
        click.echo(f"  {name}: {sizes[name]:,}")


@analytics_cli.command("refresh")
def refresh_command() -> None:
    """Score RFM over the last year and refit lifetime value (what the nightly job does)."""
    from payvand.plugins.analytics.services.refresh import refresh

    began = time.perf_counter()
    with transaction():
        done = refresh()
    seconds = done.pop("seconds")
    click.echo(f"Refreshed in {time.perf_counter() - began:.1f} s: "
               + "; ".join(f"{key}: {'run ' + str(value) if isinstance(value, int) else value}"
                           + (f" ({seconds[key]:.1f} s)" if key in seconds else "") for key, value in done.items()))


@analytics_cli.command("prune-runs")
def prune_runs_command() -> None:
    """Delete the stored runs the retention settings no longer keep (the nightly refresh does it
    too): the newest `analytics.keep_recent_runs` of each kind and the newest of each of the last
    `analytics.keep_monthly_runs` months stay."""
    from payvand.plugins.analytics.services.retention import prune_runs

    with transaction():
        deleted = prune_runs()
    click.echo("Deleted " + (", ".join(f"{n} {kind} run(s)" for kind, n in sorted(deleted.items())) or "no run") + ".")


@analytics_cli.command("recommend")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Fit on purchases before this day (default: all).")
@click.option("--evaluate-from", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Also measure hit-rate@10 on a time split at this day (fit before it, check the 90 days after).")
@click.option("--neighbours", type=click.IntRange(1, 500), default=50, show_default=True,
              help="Most similar products kept per product.")
@click.option("--customer", "customer_id", type=click.IntRange(1), default=None,
              help="Print this customer's suggestions from the newest fit instead of fitting.")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True, help="Suggestions to print.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def recommend_command(until: dt.datetime | None, evaluate_from: dt.datetime | None, neighbours: int,
                      customer_id: int | None, limit: int, as_json: bool) -> None:
    """Fit the recommendations model (customers who bought this also bought) and store it, or print
    one customer's suggestions (`--customer`)."""
    from payvand.plugins.analytics.services import recommend

    if customer_id is not None:
        with transaction():
            found = recommend.for_customer(customer_id, limit)
        rows = [{"product_id": r.product_id, "name": r.name, "score": r.score, "kind": r.kind,
                 "because": list(r.because)} for r in found]
        if as_json:
            click.echo(json.dumps({"customer_id": customer_id, "recommendations": rows}, ensure_ascii=False))
            return
        if not rows:
            click.echo("No suggestions (no fit yet, or nothing to suggest).")
        for row in rows:
            click.echo(f"  {row['product_id']}: {row['name']} ({row['kind']}, {row['score']:.3f})")
        return
    began = time.perf_counter()
    try:
        with transaction():
            run = recommend.run_recommend(recommend.RecommendOptions(until.date() if until else None, neighbours),
                                          evaluate_from=evaluate_from.date() if evaluate_from else None)
            run_id, results, customers = run.id, dict(run.results), run.customers
    except recommend.NoPurchases as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"run": run_id, "customers": customers, **results}))
        return
    click.echo(f"Fitted on {customers:,} customers and {results['products']:,} products in "
               f"{time.perf_counter() - began:.1f} s (run {run_id}, {results['neighbour_rows']:,} neighbour rows).")
    evaluation = results.get("evaluation")
    if evaluation and evaluation["customers"]:
        click.echo(f"Hit-rate@{evaluation['k']} on {evaluation['customers']:,} customers after {evaluation['split']}: "
                   f"model {evaluation['model_hit_rate']:.3f}, most popular {evaluation['popular_hit_rate']:.3f}")


@analytics_cli.command("costs")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="A day of the first month (default: the month a year before the end's, plus one).")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day of the period (default: today).")
@click.option("--currency", default=None, help="Purchases and costs in this currency (default: the most used).")
@click.option("--json", "as_json", is_flag=True, help="Print the months and totals as JSON.")
def costs_command(start: dt.datetime | None, end: dt.datetime | None, currency: str | None, as_json: bool) -> None:
    """Allocate marketing costs over acquired and retained customers (CAC, cost to keep per month)
    and rank customers by profitability; store the run."""
    from payvand.plugins.analytics.services.profit import CostsOptions, default_options, run_costs

    defaults = default_options(end.date() if end else None)
    first, last = (start.date() if start else defaults.start), defaults.end
    if first > last:
        raise click.ClickException("the start must not be after the end")
    began = time.perf_counter()
    try:
        with transaction():
            run = run_costs(CostsOptions(first, last, currency))
            run_id, customers, results = run.id, run.customers, dict(run.results)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"run": run_id, "customers": customers, **results}))
        return
    click.echo(f"Ranked {customers:,} customers in {time.perf_counter() - began:.1f} s (run {run_id}, "
               f"{results['currency']}).")
    for month in results["periods"]:
        cac = "-" if month["cac"] is None else f"{month['cac']:,.0f}"
        keep = "-" if month["cost_to_keep"] is None else f"{month['cost_to_keep']:,.0f}"
        click.echo(f"  {month['month']}: acquired {month['acquired']:,}, CAC {cac}; "
                   f"retained {month['retained']:,}, cost to keep {keep}")


@analytics_cli.command("import-costs")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_costs_command(file: str) -> None:
    """Import marketing costs from a CSV file (header: period_start, period_end, purpose, channel,
    campaign, amount, currency, note); bad rows are listed and the good ones kept."""
    from payvand.plugins.analytics.services.costs import import_costs

    with transaction():
        report = import_costs(file)
    click.echo(f"{report.created:,} costs added, {report.updated:,} updated, {report.refused:,} rows refused.")
    for line, reason in report.errors:
        click.echo(f"  line {line}: {reason}", err=True)


@analytics_cli.command("social")
@click.option("--days", type=click.IntRange(1, 3650), default=365, show_default=True,
              help="The window of engagement and influence, ending today.")
@click.option("--top", type=click.IntRange(0, 1000), default=10, show_default=True, help="Customers to print.")
@click.option("--json", "as_json", is_flag=True, help="Print the top customers and their parts as JSON.")
def social_command(days: int, top: int, as_json: bool) -> None:
    """Score social value (referrals, reach, engagement, influence) and store the run."""
    import sqlalchemy as sa

    from payvand.plugins.analytics.models import CustomerSocial
    from payvand.plugins.analytics.services.social import SocialOptions, explain, run_social
    from payvand.sdk import session

    today = local_days.today()
    with transaction():
        run = run_social(SocialOptions(today - dt.timedelta(days=days - 1), today))
        rows = session().scalars(sa.select(CustomerSocial).where(CustomerSocial.run_id == run.id)
                                 .order_by(CustomerSocial.rank).limit(top)).all()
        shown: list[dict[str, Any]] = [{"customer_id": r.customer_id, "rank": r.rank, "score": round(r.score, 2),
                                        "parts": explain(r, run)} for r in rows]
        run_id, customers, weights = run.id, run.customers, run.results["weights"]
    if as_json:
        click.echo(json.dumps({"run": run_id, "customers": customers, "weights": weights, "top": shown}))
        return
    click.echo(f"Scored {customers:,} customers (run {run_id}); weights {weights}.")
    for item in shown:
        parts = ", ".join(f"{p['part']} {p['value']:,.0f} → {p['points']:.1f}" for p in item["parts"])
        click.echo(f"  #{item['rank']} customer {item['customer_id']}: {item['score']:.1f} ({parts})")
