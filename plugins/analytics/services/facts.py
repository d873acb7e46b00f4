"""Purchase facts from every plugin, through the `payvand_purchase_facts` data hook.

Each active plugin that sells returns a SQLAlchemy select of `PURCHASE_FACTS` rows; this
module checks each one's columns, unions them and aggregates in the database, so analytics
never imports the plugin that owns the orders and stays in SQL over millions of lines. Days are
the site's local days (`local_days`), not UTC days.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

import sqlalchemy as sa

from payvand.plugins.analytics.services.local_days import local_date, midnight
from payvand.sdk import PURCHASE_FACTS, call_hook, session

log = logging.getLogger(__name__)


def purchase_facts() -> sa.Subquery | None:
    """Every active plugin's purchase facts as one subquery (UNION ALL), or None when no plugin sells.

    A plugin whose select does not have the `PURCHASE_FACTS` columns is left out (and logged).
    """
    selects = []
    for select in call_hook("payvand_purchase_facts"):
        problems = PURCHASE_FACTS.problems(select)
        if problems:
            log.warning("analytics: purchase facts left out: %s", "; ".join(problems))
            continue
        selects.append(select)
    if not selects:
        return None
    if len(selects) == 1:
        return selects[0].subquery("facts")
    return sa.union_all(*selects).subquery("facts")


#: Figures computed once inside `memoized()` (None outside it: computed on every call).
_MEMO: contextvars.ContextVar[dict[Any, Any] | None] = contextvars.ContextVar("analytics_facts_memo", default=None)

T = TypeVar("T")


@contextlib.contextmanager
def memoized() -> Iterator[None]:
    """Within this block, figures over the purchase facts that many widgets ask for (the main
    currency, the customers acquired and kept per period) are computed once per distinct
    question. For a batch over unchanging facts, such as the nightly refresh's dashboard pass."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def remembered(key: Any, compute: Callable[[], T]) -> T:
    """`compute()`, or inside `memoized()` its earlier answer for the same `key`."""
    memo = _MEMO.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return cast(T, memo[key])


def main_currency(facts: sa.Subquery) -> str | None:
    """The currency most purchase lines are in (models are fitted on one currency at a time)."""
    query = (sa.select(facts.c.currency, sa.func.count().label("n")).group_by(facts.c.currency)
             .order_by(sa.desc("n"), facts.c.currency).limit(1))

    def compute() -> str | None:
        row = session().execute(query).first()
        return None if row is None else str(row[0])

    return remembered(("main_currency", str(query)), compute)


def daily_purchases(facts: sa.Subquery, currency: str, until: dt.date | None = None) -> list[tuple[Any, Any, Any]]:
    """(customer_id, day, amount) rows: each customer's purchases in `currency` summed per local day
    of the site (grouped in the database: same-day lines are one transaction for the models), up
    to the end of local day `until` when given. Days are dates, or ISO text on SQLite."""
    where = [facts.c.currency == currency]
    if until is not None:
        where.append(facts.c.occurred_at < midnight(until + dt.timedelta(days=1)))
    day = local_date(facts.c.occurred_at)
    query = (sa.select(facts.c.customer_id, day.label("day"), sa.func.sum(facts.c.amount).label("amount"))
             .where(*where).group_by(facts.c.customer_id, day))
    return [tuple(row) for row in session().execute(query)]
