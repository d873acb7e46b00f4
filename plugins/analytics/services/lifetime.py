"""Lifetime-value runs: the same fit over the instance's purchase facts (stored as a snapshot)
or over an outside CSV file (stored nowhere). The models themselves are in `clv.py`."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import numpy as np
import sqlalchemy as sa

from payvand.plugins.analytics.models import CustomerClv, Run
from payvand.plugins.analytics.services import churn, clv, facts
from payvand.sdk import Customer, bulk_insert, session

#: The customer fields a CLV run writes (`Customer.attributes`), declared in `__init__.py`.
FIELD_CLV = "analytics.clv"
FIELD_P_ALIVE = "analytics.p_alive"
FIELD_EXPECTED = "analytics.expected_purchases"
FIELD_NEXT = "analytics.next_purchase"


class NoPurchases(ValueError):
    """There is nothing to fit: no plugin offers purchase facts, or too few customers bought."""


class UnusableFit(NoPurchases):
    """The predictions came out non-finite, which no fit should produce (a fit at the edge of the
    parameter space is predicted by quadrature, `clv._expected_while_alive`): a guard, so that
    nothing non-finite is stored, and the caller says why, as for too few purchases."""


@dataclasses.dataclass(frozen=True)
class ClvOptions:
    """What a CLV run fits on and predicts for."""

    calibration_end: dt.date
    period: str = "week"
    horizon: int = 52  # periods ahead for expected purchases and CLV
    discount_rate: float = 0.0  # per period
    holdout_end: dt.date | None = None

    def as_dict(self) -> dict[str, Any]:
        """For the run's stored options (JSON)."""
        return {"calibration_end": self.calibration_end.isoformat(), "period": self.period, "horizon": self.horizon,
                "discount_rate": self.discount_rate,
                "holdout_end": self.holdout_end.isoformat() if self.holdout_end else None}


@dataclasses.dataclass(frozen=True)
class ClvResult:
    """A fit and its per-customer predictions.

    `summary` and `values` are at the calibration end (what the fit and its checks use);
    `scored` and `scored_values` are each customer's figures at the end of the data — the
    holdout end when there is one, so a purchase in the holdout counts and customers acquired in
    it are scored — with the same fitted parameters: what is stored and written to customers.
    """

    summary: clv.Summary
    bgnbd: clv.BgNbd
    spend: clv.GammaGamma
    values: clv.CustomerValue
    report: dict[str, Any]
    scored: clv.Summary
    scored_values: clv.CustomerValue

    @property
    def scored_on(self) -> dt.date:
        """The day the stored figures are as of (the holdout end, else the calibration end)."""
        return self.scored.calibration_end

    def as_json(self) -> dict[str, Any]:
        """What `payvand analytics clv --json` and `clv-csv --json` print."""
        return {"customers": len(self.summary), "bgnbd": self.bgnbd.as_dict(), "gamma_gamma": self.spend.as_dict()}


def fit(transactions: list[tuple[Any, Any, Any]], options: ClvOptions) -> ClvResult:
    """Summarise (customer, day, amount) rows and fit BG/NBD and Gamma-Gamma; NoPurchases when
    there is too little to fit (no customers, or no repeat buyer)."""
    summary = clv.summarize(transactions, options.calibration_end, options.period, holdout_end=options.holdout_end)
    if len(summary) < 2 or not (summary.x > 0).any():
        raise NoPurchases("too few purchases before the calibration end to fit the models "
                          "(at least two customers and one repeat purchase are needed)")
    bgnbd = clv.fit_bgnbd(summary)
    spend = clv.fit_gamma_gamma(summary)
    values = clv.customer_value(summary, bgnbd, spend, horizon=options.horizon, discount_rate=options.discount_rate)
    repeat = clv.repeat_days(transactions, summary.origin, options.holdout_end) if options.holdout_end else None
    report = clv.fit_report(summary, bgnbd, holdout_transactions=repeat)
    evaluation = churn.evaluate(summary, bgnbd, values.p_alive)
    if evaluation is not None:
        report["churn"] = evaluation
    scored, scored_values = summary, values
    if options.holdout_end is not None and options.holdout_end > options.calibration_end:
        scored = clv.summarize(transactions, options.holdout_end, options.period)
        scored_values = clv.customer_value(scored, bgnbd, spend, horizon=options.horizon,
                                           discount_rate=options.discount_rate)
    figures = (values.clv, values.expected_purchases, scored_values.clv, scored_values.expected_purchases)
    if not all(np.isfinite(each).all() for each in figures):
        raise UnusableFit(
            f"the models cannot predict from these purchases: the predictions are not finite (BG/NBD "
            f"r={bgnbd.r:.3g}, alpha={bgnbd.alpha:.3g}, a={bgnbd.a:.3g}, b={bgnbd.b:.3g}); try a later "
            "calibration end or the month unit")
    return ClvResult(summary, bgnbd, spend, values, report, scored, scored_values)


# --------------------------------------------------------------------------- the instance's purchases


def run_instance(options: ClvOptions, currency: str | None = None) -> tuple[Run, ClvResult]:
    """Fit on the instance's purchase facts (one currency: the most used unless given), store the
    run and its per-customer rows, and write the customer fields. The caller commits."""
    subquery = facts.purchase_facts()
    if subquery is None:
        raise NoPurchases("no active plugin offers purchase facts (enable the sales plugin)")
    currency = currency or facts.main_currency(subquery)
    if currency is None:
        raise NoPurchases("there are no purchases yet")
    rows = facts.daily_purchases(subquery, currency, until=options.holdout_end)
    result = fit(rows, options)
    results = {"currency": currency, "bgnbd": result.bgnbd.as_dict(), "gamma_gamma": result.spend.as_dict(),
               "bgnbd_log_likelihood": result.bgnbd.log_likelihood,
               "gamma_gamma_log_likelihood": result.spend.log_likelihood,
               "total_clv": float(result.scored_values.clv.sum()),
               "expected_purchases": float(result.scored_values.expected_purchases.sum()),
               "scored_on": result.scored_on.isoformat()}
    run = Run(kind="clv", options={**options.as_dict(), "currency": currency}, results=results,
              report=result.report, customers=len(result.scored))
    db = session()
    db.add(run)
    db.flush()
    bulk_insert(cast(sa.Table, CustomerClv.__table__), CLV_COLUMNS, sorted(_clv_rows(run.id, result)))  # key order
    write_customer_fields(run.id)
    return run, result


def next_purchase_days(result: ClvResult) -> list[dt.date | None]:
    """Each scored customer's expected next purchase day (`clv.next_purchase_in` after the scoring
    day, rounded to whole days), None where a purchase never becomes more likely than not."""
    unit = clv.PERIODS[result.scored.period]
    return [None if math.isnan(t) else result.scored_on + dt.timedelta(days=max(1, round(t * unit)))
            for t in result.scored_values.next_purchase.tolist()]


#: The columns `_clv_rows` gives, in order.
CLV_COLUMNS = ("run_id", "customer_id", "frequency", "recency", "age", "monetary", "p_alive", "expected_purchases",
               "expected_spend", "clv", "next_purchase_on")


def _clv_rows(run_id: int, result: ClvResult) -> Iterator[tuple[Any, ...]]:
    s, v = result.scored, result.scored_values
    for i, (customer_id, next_day) in enumerate(zip(s.customers, next_purchase_days(result), strict=True)):
        yield (run_id, int(customer_id), int(s.x[i]), float(s.t_x[i]), float(s.T[i]),  # type: ignore[call-overload]
               float(s.monetary[i]), float(v.p_alive[i]), float(v.expected_purchases[i]),
               float(v.expected_spend[i]), float(v.clv[i]), next_day)


def write_customer_fields(run_id: int) -> None:
    """Put CLV, P(alive), expected purchases and the expected next purchase day of `run_id`'s rows
    into each scored customer's attributes: one set-based UPDATE reading `analytics_customer_clv`
    (`field_write`; customers whose figures did not move are left alone). Numbers are written as
    fixed-point text, rounded by the database."""
    from payvand.plugins.analytics.services.field_write import date_text, fixed, write_fields

    row = CustomerClv.__table__.c
    write_fields(row.customer_id, {FIELD_CLV: fixed(row.clv, 2), FIELD_P_ALIVE: fixed(row.p_alive, 3),
                                   FIELD_EXPECTED: fixed(row.expected_purchases, 2),
                                   FIELD_NEXT: date_text(row.next_purchase_on)}, row.run_id == run_id)


def update_attributes(changes: dict[int, dict[str, Any]], chunk: int = 1000) -> None:
    """Merge `changes[customer_id]` into those customers' attributes: one read and one
    executemany per chunk (attributes are JSON, so the merge happens here)."""
    db = session()
    ids = sorted(changes)
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        query = sa.select(Customer.id, Customer.attributes, Customer.version).where(Customer.id.in_(part))
        current: dict[int, Any] = {row.id: (row.attributes, row.version) for row in db.execute(query)}
        params = [{"cid": cid, "seen": current[cid][1], "attrs": {**(current[cid][0] or {}), **changes[cid]}}
                  for cid in part if cid in current]
        if params:  # one executemany; the version moves on, so a form opened before refuses a stale save
            table = cast(sa.Table, Customer.__table__)  # Core: the ORM's bulk path wants each row's version
            # Only where the row is still the version read: a customer saved in between keeps that
            # save (the merge above would write its old attributes back); the next run fills it in.
            statement = (table.update().where(table.c.id == sa.bindparam("cid"), table.c.version == sa.bindparam("seen"))
                         .values(attributes=sa.bindparam("attrs"), version=table.c.version + 1))
            db.execute(statement, params)


def latest_run(kind: str) -> Run | None:
    """The newest run of `kind` ("clv" or "rfm"), or None."""
    return session().scalars(sa.select(Run).where(Run.kind == kind).order_by(Run.id.desc()).limit(1)).first()


# --------------------------------------------------------------------------- an outside file


def read_csv(path: str | Path, customer: str, date: str, amount: str) -> list[tuple[str, dt.date, Decimal]]:
    """(customer, date, amount) rows of a CSV file with a header; ValueError naming the line of a bad row.

    Dates are ISO (YYYY-MM-DD, a time after it is ignored) or YYYYMMDD; the delimiter is sniffed.
    """
    rows: list[tuple[str, dt.date, Decimal]] = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(handle, dialect=dialect)
        missing = [c for c in (customer, date, amount) if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"the file has no column {', '.join(missing)} (columns: {', '.join(reader.fieldnames or [])})")
        for line, row in enumerate(reader, start=2):
            try:
                rows.append((row[customer].strip(), clv._as_date(row[date]), Decimal(row[amount].strip())))
            except (ValueError, ArithmeticError, AttributeError) as exc:
                raise ValueError(f"line {line}: {exc}") from None
    return rows


def run_csv(path: str | Path, customer: str, date: str, amount: str, options: ClvOptions) -> ClvResult:
    """Fit on an outside transaction file; nothing is stored."""
    return fit(list(read_csv(path, customer, date, amount)), options)


def top(values: Iterable[float], n: int) -> np.ndarray:
    """Indexes of the `n` largest values (for the CLI's text output)."""
    return np.argsort(-np.asarray(list(values)))[:n]
