"""Pipelines, stages, won/lost reasons and deals: the rules of the pipeline area (activities: `activities.py`).

Used by the API (`api/deals.py`), the staff pages (`views/deals.py`) and scripts. Every
function works in the current session (`payvand.sdk.session()`) and leaves committing to
the caller.

- A default pipeline ("Sales", six stages) is created the first time pipelines are used.
- A deal's `position` is a sparse sort key of its kanban column (smallest at the top). A
  move gives the card a key between its new neighbours (one row written); only when there is
  no room left are the cards below shifted in one set-based UPDATE.
- Moving into a `won` or `lost` stage closes the deal (status, `closed_at`; a lost deal needs
  a lost reason) and records the core interaction `sales.deal_won` (with the amount) or
  `sales.deal_lost` on the customer; moving back to an open stage reopens it.
- Record rule (`rules.py`, applied by the kernel): an actor without `sales.manage` sees and changes only the deals they own,
  and may not give a deal to someone else.
- Forecasts are SQL aggregates (GROUP BY day and currency, or owner and currency); only the
  per-day rows are folded into Gregorian or Jalali months in Python.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from collections.abc import Sequence
from typing import Any, Literal, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, selectinload

from payvand.plugins.sales import events
from payvand.plugins.sales.models import (
    Activity,
    Deal,
    DealProduct,
    DealStageChange,
    Pipeline,
    Product,
    Reason,
    Stage,
)
from payvand.plugins.sales.pricing import currency_places, round_money
from payvand.plugins.sales.services import rules
from payvand.plugins.sales.services.local_time import as_date, month_of
from payvand.sdk import (
    SYSTEM,
    Actor,
    Customer,
    Filter,
    ListSpec,
    Page,
    Sort,
    SortKey,
    User,
    audit,
    by_share,
    get_visible,
    record_interaction,
    restrict,
    setting,
    utcnow,
)
from payvand.sdk.documents import plain

OUTCOMES = ("open", "won", "lost")

#: The pipeline made on first use: (name, probability %, outcome).
DEFAULT_PIPELINE = "Sales"
DEFAULT_STAGES: tuple[tuple[str, int, str], ...] = (
    ("New", 10, "open"),
    ("Qualified", 25, "open"),
    ("Proposal", 50, "open"),
    ("Negotiation", 75, "open"),
    ("Won", 100, "won"),
    ("Lost", 0, "lost"),
)
#: The default pipeline's and stages' names in Persian, used when the instance speaks Persian
#: (`core.default_locale`): they are data once made, so they are made in the instance's language.
DEFAULT_NAMES_FA = {"Sales": "فروش", "New": "جدید", "Qualified": "واجد شرایط", "Proposal": "پیشنهاد",
                    "Negotiation": "مذاکره", "Won": "برنده", "Lost": "باخته"}


def _default_name(name: str) -> str:
    """`name` in the instance's default language (Persian unless the setting says English)."""
    try:
        language = str(setting("core.default_locale") or "fa")
    except Exception:  # noqa: BLE001 - no app or CLI (the service used on its own): the names in code
        language = "en"
    return name if language.startswith("en") else DEFAULT_NAMES_FA.get(name, name)


class PipelineError(Exception):
    """A request the pipeline rules refuse: `field` names the offending input (or `_schema`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class DealNotFound(Exception):
    """No such deal, or one the caller may not see (the record rule answers 404, not 403)."""


# --------------------------------------------------------------------------- pipelines


def ensure_default_pipeline(s: Session) -> Pipeline:
    """The default pipeline, created with its six stages when no pipeline exists yet."""
    found = s.scalars(sa.select(Pipeline).order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.id)
                      .limit(1)).first()
    if found is not None:
        return found
    pipeline = Pipeline(name=_default_name(DEFAULT_PIPELINE), is_default=True, position=0)
    pipeline.stages = [Stage(name=_default_name(n), probability=p, outcome=o, position=i)
                       for i, (n, p, o) in enumerate(DEFAULT_STAGES)]
    s.add(pipeline)
    s.flush()
    return pipeline


def list_pipelines(s: Session) -> list[Pipeline]:
    """Every pipeline with its stages in order (two queries); makes the default one if none exists."""
    ensure_default_pipeline(s)
    return list(s.scalars(sa.select(Pipeline).options(selectinload(Pipeline.stages))
                          .order_by(Pipeline.position, Pipeline.id)))


def create_pipeline(s: Session, name: str, stages: Sequence[tuple[str, int, str]]) -> Pipeline:
    """A new pipeline with `stages` as (name, probability %, outcome) in order."""
    name = name.strip()
    if not name:
        raise PipelineError("name", "A pipeline needs a name.")
    if s.scalar(sa.select(Pipeline.id).where(Pipeline.name == name)) is not None:
        raise PipelineError("name", "A pipeline with this name exists.")
    if not stages:
        raise PipelineError("stages", "A pipeline needs at least one stage.")
    names = [n.strip() for n, _, _ in stages]
    if len(set(names)) != len(names) or not all(names):
        raise PipelineError("stages", "Stage names must be present and distinct.")
    for _, probability, outcome in stages:
        if outcome not in OUTCOMES:
            raise PipelineError("stages", f"Unknown outcome {outcome!r}.")
        if not 0 <= probability <= 100:
            raise PipelineError("stages", "A probability is a percentage from 0 to 100.")
    position = s.scalar(sa.select(sa.func.coalesce(sa.func.max(Pipeline.position), -1) + 1))
    pipeline = Pipeline(name=name, position=position, is_default=False)
    pipeline.stages = [Stage(name=n.strip(), probability=p, outcome=o, position=i) for i, (n, p, o) in enumerate(stages)]
    s.add(pipeline)
    s.flush()
    return pipeline


def get_stage(s: Session, stage_id: int) -> Stage | None:
    """The stage with this id, or None."""
    return s.get(Stage, stage_id)


# --------------------------------------------------------------------------- reasons


def add_reason(s: Session, outcome: str, name: str) -> Reason:
    """A new won or lost reason (names are unique per outcome)."""
    if outcome not in ("won", "lost"):
        raise PipelineError("outcome", "A reason is for won or lost deals.")
    name = name.strip()
    if not name:
        raise PipelineError("name", "A reason needs a name.")
    if s.scalar(sa.select(Reason.id).where(Reason.outcome == outcome, Reason.name == name)) is not None:
        raise PipelineError("name", "This reason exists.")
    reason = Reason(outcome=outcome, name=name)
    s.add(reason)
    s.flush()
    return reason


def list_reasons(s: Session, outcome: str | None = None) -> list[Reason]:
    """The reasons, of one outcome or all, by name."""
    query = sa.select(Reason).order_by(Reason.outcome, Reason.name)
    if outcome is not None:
        query = query.where(Reason.outcome == outcome)
    return list(s.scalars(query))


# --------------------------------------------------------------------------- deals


#: Room left between neighbouring cards of a column, so that most moves write one row only.
GAP = 64


def _next_position(s: Session, stage_id: int) -> int:
    """The sort key of a card added at the bottom of a column (one index lookup)."""
    last = s.scalar(sa.select(sa.func.max(Deal.position)).where(Deal.stage_id == stage_id))
    return 0 if last is None else int(last) + GAP


def _check_currency(currency: str) -> str:
    try:
        currency_places(currency)
    except ValueError:
        raise PipelineError("currency", f"Unknown currency {currency!r}.") from None
    return currency


def _check_refs(s: Session, data: dict[str, Any]) -> None:
    if data.get("customer_id") is not None and s.get(Customer, data["customer_id"]) is None:
        raise PipelineError("customer_id", "There is no such customer.")
    if data.get("owner_id") is not None and s.get(User, data["owner_id"]) is None:
        raise PipelineError("owner_id", "There is no such user.")


def _set_products(s: Session, deal: Deal, products: Sequence[dict[str, Any]]) -> None:
    ids = [int(p["product_id"]) for p in products]
    if len(set(ids)) != len(ids):
        raise PipelineError("products", "A product is listed twice.")
    if ids:
        known = set(s.scalars(sa.select(Product.id).where(Product.id.in_(ids))))
        missing = [i for i in ids if i not in known]
        if missing:
            raise PipelineError("products", f"There is no product {missing[0]}.")
    s.execute(sa.delete(DealProduct).where(DealProduct.deal_id == deal.id))
    for p in products:
        s.add(DealProduct(deal_id=deal.id, product_id=int(p["product_id"]),
                          quantity=decimal.Decimal(p.get("quantity", 1)),
                          unit_price=decimal.Decimal(p.get("unit_price", 0))))


def create_deal(s: Session, data: dict[str, Any], actor: Actor = SYSTEM) -> Deal:
    """A new deal at the bottom of its stage's column.

    `data`: title, amount, currency, expected_close, customer_id, owner_id (default: the
    caller), stage_id (default: the default pipeline's first stage), products
    ([{product_id, quantity, unit_price}]). An actor without `sales.manage` owns what they
    create: naming someone else is refused (`rules.may_assign`). A deal created straight into a won/lost
    stage is closed like a moved one.
    """
    data = dict(data)
    products = data.pop("products", None)
    if "owner_id" not in data:
        data["owner_id"] = actor.user_id
    elif not rules.may_assign(actor, data["owner_id"]):
        raise PipelineError("owner_id", "Only a sales manager may give a deal to someone else.")
    stage_id = data.pop("stage_id", None)
    if stage_id is None:
        pipeline = ensure_default_pipeline(s)
        stage = pipeline.stages[0]
    else:
        found = s.get(Stage, stage_id)
        if found is None:
            raise PipelineError("stage_id", "There is no such stage.")
        stage = found
    _check_refs(s, data)
    currency = _check_currency(data.pop("currency", None) or "IRR")
    amount = decimal.Decimal(data.pop("amount", 0) or 0)
    title = (data.pop("title", "") or "").strip()
    if not title:
        raise PipelineError("title", "A deal needs a title.")
    reason_id = data.pop("reason_id", None)
    deal = Deal(title=title, amount=round_money(amount, currency), currency=currency, pipeline_id=stage.pipeline_id,
                stage_id=stage.id, position=_next_position(s, stage.id), status="open", **data)
    s.add(deal)
    s.flush()
    s.add(DealStageChange(deal_id=deal.id, from_stage_id=None, to_stage_id=stage.id, user_id=actor.user_id))
    if products is not None:
        _set_products(s, deal, products)
    if stage.outcome != "open":
        _close(s, deal, stage, reason_id)
    audit("create", Deal.__tablename__, deal.id, after=_audited(deal))
    return deal


_AUDITED = ("title", "amount", "currency", "expected_close", "customer_id", "owner_id", "stage_id", "status")


def _audited(deal: Deal) -> dict[str, Any]:
    """The deal's fields as written to the audit log (JSON-ready)."""
    values = {key: getattr(deal, key) for key in _AUDITED}
    return {key: (str(v) if isinstance(v, (decimal.Decimal, dt.date)) else v) for key, v in values.items()}


def get_deal(s: Session, deal_id: int, actor: Actor = SYSTEM) -> Deal:
    """The deal with this id the actor may see; else DealNotFound."""
    deal = get_visible(s, Deal, deal_id, actor)
    if deal is None:
        raise DealNotFound(deal_id)
    return deal


def update_deal(s: Session, deal: Deal, data: dict[str, Any], actor: Actor = SYSTEM) -> Deal:
    """Change a deal's title, amount, currency, expected close, customer, owner or products.

    The stage changes only through `move_deal`. Only a manager may give the deal to someone else.
    """
    data = dict(data)
    before = _audited(deal)
    products = data.pop("products", None)
    if "owner_id" in data and not rules.may_assign(actor, data["owner_id"], deal.owner_id):
        raise PipelineError("owner_id", "Only a sales manager may give a deal to someone else.")
    _check_refs(s, data)
    if "currency" in data:
        deal.currency = _check_currency(data.pop("currency"))
    if "amount" in data:
        deal.amount = round_money(decimal.Decimal(data.pop("amount")), deal.currency)
    if "title" in data:
        title = (data.pop("title") or "").strip()
        if not title:
            raise PipelineError("title", "A deal needs a title.")
        deal.title = title
    for key in ("expected_close", "customer_id", "owner_id"):
        if key in data:
            setattr(deal, key, data.pop(key))
    if products is not None:
        _set_products(s, deal, products)
    s.flush()
    after = _audited(deal)
    changed = [key for key in _AUDITED if before[key] != after[key]]
    if changed:
        audit("update", Deal.__tablename__, deal.id, before={k: before[k] for k in changed},
              after={k: after[k] for k in changed})
    return deal


def _close(s: Session, deal: Deal, stage: Stage, reason_id: int | None) -> None:
    """Set the status of `deal` after it entered `stage`; record won/lost on the customer."""
    if stage.outcome == "open":
        deal.status, deal.closed_at, deal.reason_id = "open", None, None
        return
    reason = None
    if reason_id is not None:
        reason = s.get(Reason, reason_id)
        if reason is None or reason.outcome != stage.outcome:
            raise PipelineError("reason_id", "Choose a won reason." if stage.outcome == "won" else "Choose a lost reason.")
    elif stage.outcome == "lost":
        raise PipelineError("reason_id", "Say why the deal was lost.")
    was = deal.status
    deal.status, deal.reason_id = stage.outcome, reason_id
    if was == stage.outcome:
        return
    deal.closed_at = utcnow()
    events.deal_closed(deal)
    if deal.customer_id is not None:
        won = stage.outcome == "won"
        summary = f"Deal won: {deal.title}" if won else f"Deal lost: {deal.title}"
        if reason is not None:
            summary += f" ({reason.name})"
        record_interaction(
            deal.customer_id, f"sales.deal_{stage.outcome}", "other", summary[:500],
            value=deal.amount if won else None, currency=deal.currency if won else None,
            occurred_at=deal.closed_at, source=("sales.deal", deal.id), direction="outbound",
            payload={"deal_id": deal.id, "title": deal.title, "stage": stage.name,
                     "reason": reason.name if reason else None},
        )


def move_deal(s: Session, deal: Deal, stage_id: int, position: int | None = None,
              reason_id: int | None = None, actor: Actor = SYSTEM) -> Deal:
    """Move `deal` to `stage_id` at index `position` among the column's other cards (0 = top;
    None or past the end = bottom).

    Cards are ordered by a sparse sort key (`Deal.position`, then id): the moved card takes a
    key between its new neighbours, found with one indexed lookup, so a move writes one row
    whatever the size of the column. Only when two neighbours have no room left between them
    are the cards below shifted by `GAP` in one set-based UPDATE. The target stage must belong
    to the deal's pipeline. Entering a won/lost stage closes the deal (see `_close`).
    """
    stage = s.get(Stage, stage_id)
    if stage is None or stage.pipeline_id != deal.pipeline_id:
        raise PipelineError("stage_id", "Choose a stage of the deal's pipeline.")
    old_stage = deal.stage_id
    _close(s, deal, stage, reason_id)  # first: a refused close changes nothing
    in_column = (Deal.stage_id == stage.id, Deal.id != deal.id)
    prev: Sequence[Any] | None = None
    nxt: Sequence[Any] | None = None
    if position is None:
        last = s.scalar(sa.select(sa.func.max(Deal.position)).where(*in_column))
        target = 0 if last is None else int(last) + GAP
    else:
        index = max(0, int(position))
        rows = s.execute(sa.select(Deal.position, Deal.id).where(*in_column).order_by(Deal.position, Deal.id)
                         .offset(max(index - 1, 0)).limit(2)).all()
        if index == 0:
            nxt = rows[0] if rows else None
        elif rows:
            prev, nxt = rows[0], (rows[1] if len(rows) > 1 else None)
        else:  # past the end
            last = s.scalar(sa.select(sa.func.max(Deal.position)).where(*in_column))
            prev = None if last is None else (int(last), None)
        if prev is None and nxt is None:
            target = 0
        elif nxt is None:
            target = int(prev[0]) + GAP  # type: ignore[index]
        elif prev is None:
            target = int(nxt[0]) - GAP
        elif nxt[0] - prev[0] > 1:
            target = (int(prev[0]) + int(nxt[0])) // 2
        else:  # no room between the neighbours: push the cards below down, in one statement
            below = sa.or_(Deal.position > prev[0], sa.and_(Deal.position == prev[0], Deal.id > prev[1]))
            s.execute(sa.update(Deal).where(*in_column, below).values(position=Deal.position + GAP)
                      .execution_options(synchronize_session="evaluate"))
            target = int(prev[0]) + GAP // 2
    deal.stage_id, deal.position = stage.id, target
    if old_stage != stage.id:
        s.add(DealStageChange(deal_id=deal.id, from_stage_id=old_stage, to_stage_id=stage.id,
                              user_id=actor.user_id))
        audit("move", Deal.__tablename__, deal.id, before={"stage_id": old_stage},
              after={"stage_id": stage.id, "status": deal.status})
    s.flush()
    return deal


def stage_history(s: Session, deal_id: int) -> list[Any]:
    """A deal's stage changes, oldest first: (changed_at, from/to stage names, user name); one query."""
    before, after = aliased(Stage), aliased(Stage)
    return list(s.execute(
        sa.select(DealStageChange.changed_at, before.name.label("from_stage"), after.name.label("to_stage"),
                  sa.func.coalesce(sa.func.nullif(User.name, ""), User.email).label("user_name"))
        .outerjoin(before, before.id == DealStageChange.from_stage_id)
        .outerjoin(after, after.id == DealStageChange.to_stage_id)
        .outerjoin(User, User.id == DealStageChange.user_id)
        .where(DealStageChange.deal_id == deal_id).order_by(DealStageChange.id)))


#: The deal list (API and page): filters `status`, `pipeline_id`, `stage_id`, `owner_id`,
#: `customer_id`; newest first (keyset on the id), one opaque cursor; record rules of deals applied.
DEALS = ListSpec(
    name="sales.deals",
    model=Deal,
    filters=(
        # No index of theirs ends in the id: a common value walks the primary key, a rare one is
        # read from its index and sorted (`by_share`), never every matching deal sorted.
        Filter("status", "choice", column=Deal.status, choices=OUTCOMES, apply=by_share(Deal.status)),
        Filter("pipeline_id", "id", column=Deal.pipeline_id),
        Filter("stage_id", "id", column=Deal.stage_id, apply=by_share(Deal.stage_id)),
        Filter("owner_id", "id", column=Deal.owner_id, apply=by_share(Deal.owner_id)),
        Filter("customer_id", "id", column=Deal.customer_id),
    ),
    sorts=(Sort("newest", (SortKey(Deal.id, "id", "id", descending=True),)),),
)


def list_deals(s: Session, actor: Actor, args: dict[str, Any]) -> Page:
    """One page of the deals the actor may see, newest first, filtered by `args` (DEALS' arguments).

    Raises BadCursor for a cursor the deal list did not make.
    """
    return DEALS.page(s, args, actor)


def board(s: Session, pipeline: Pipeline, actor: Actor = SYSTEM, per_column: int = 200) -> dict[int, list[Any]]:
    """The cards of each stage of `pipeline` (id, title, amount, currency, owner, customer), in order.

    One query whatever the number of stages: a window function keeps the first `per_column`
    cards of each column.
    """
    rank = sa.func.row_number().over(partition_by=Deal.stage_id, order_by=(Deal.position, Deal.id)).label("rank")
    inner = restrict(cast(
        sa.Select[Any],
        sa.select(Deal.id, Deal.title, Deal.amount, Deal.currency, Deal.stage_id, Deal.position, Deal.status,
                  Deal.expected_close, Deal.customer_id, Deal.owner_id, rank)
        .where(Deal.stage_id.in_([stage.id for stage in pipeline.stages]))), actor, Deal).subquery()
    rows = s.execute(
        sa.select(inner, Customer.display_name.label("customer_name"), User.name.label("owner_name"))
        .outerjoin(Customer, Customer.id == inner.c.customer_id)
        .outerjoin(User, User.id == inner.c.owner_id)
        .where(inner.c.rank <= per_column)
        .order_by(inner.c.stage_id, inner.c.position, inner.c.id)
    ).all()
    columns: dict[int, list[Any]] = {stage.id: [] for stage in pipeline.stages}
    for row in rows:
        columns.setdefault(row.stage_id, []).append(row)
    return columns


def deal_products(s: Session, deal_id: int) -> list[Any]:
    """The products on a deal with their names, quantity and unit price."""
    return list(s.execute(sa.select(DealProduct.product_id, Product.sku, Product.name, DealProduct.quantity,
                                    DealProduct.unit_price)
                          .join(Product, Product.id == DealProduct.product_id)
                          .where(DealProduct.deal_id == deal_id).order_by(Product.name)))


# --------------------------------------------------------------------------- forecast and reports


@dataclasses.dataclass(frozen=True)
class ForecastRow:
    """A weighted forecast figure: (`month` (year, month) or `owner_id`), currency, count, sum, weighted."""

    key: Any
    currency: str
    count: int
    amount: decimal.Decimal
    weighted: decimal.Decimal


def _amount_expr(s: Session) -> Any:
    if s.get_bind().dialect.name == "sqlite":
        return sa.cast(sa.type_coerce(Deal.amount, sa.String), sa.Float)  # exact text → REAL for SUM
    return Deal.amount


def _grouped(s: Session, key: Any, actor: Actor, pipeline_id: int | None, open_only: bool = True) -> Sequence[Any]:
    """(key, currency, stage_id, count, sum) rows: one GROUP BY, served by a covering index."""
    query = (sa.select(key, Deal.currency, Deal.stage_id, sa.func.count(), sa.func.sum(_amount_expr(s)))
             .group_by(key, Deal.currency, Deal.stage_id))
    if open_only:
        query = query.where(Deal.status == "open")
    if pipeline_id is not None:  # through the stages, so that the covering indexes still serve
        query = query.where(Deal.stage_id.in_(sa.select(Stage.id).where(Stage.pipeline_id == pipeline_id)))
    return s.execute(restrict(query, actor, Deal)).all()


def _fold(s: Session, rows: Sequence[Any], key_of: Any) -> list[ForecastRow]:
    """Add up per-stage rows under `key_of(key)` and currency, weighting each by its stage's probability."""
    probability = dict(s.execute(sa.select(Stage.id, Stage.probability)).all())
    folded: dict[tuple[Any, str], list[Any]] = {}
    for key, currency, stage_id, count, total in rows:
        amount = decimal.Decimal(str(total or 0))
        acc = folded.setdefault((key_of(key), currency), [0, decimal.Decimal(0), decimal.Decimal(0)])
        acc[0] += count
        acc[1] += amount
        acc[2] += amount * probability.get(stage_id, 0) / 100
    order = sorted(folded, key=lambda k: (k[0] is None, k[0] if k[0] is not None else 0, k[1]))
    return [ForecastRow(k[0], k[1], folded[k][0], _dec(folded[k][1], k[1]), _dec(folded[k][2], k[1])) for k in order]


def _dec(value: decimal.Decimal, currency: str) -> decimal.Decimal:
    try:
        return round_money(value, currency)
    except ValueError:  # not an ISO code: shown unrounded
        return value


def forecast_by_month(s: Session, actor: Actor = SYSTEM, *, calendar: Literal["gregorian", "jalali"] = "gregorian",
                      pipeline_id: int | None = None) -> list[ForecastRow]:
    """Open deals' weighted amount (amount × stage probability / 100) per month of expected close and currency.

    SQL groups by expected close day, currency and stage (a few thousand rows at most, read
    from a covering index); those rows are folded into Gregorian or Jalali months and weighted
    exactly in Python. Deals without an expected close date come last under the key None. On
    SQLite the SQL sums are approximate (REAL over the exact text); exact on PostgreSQL.
    """
    rows = _grouped(s, Deal.expected_close, actor, pipeline_id)
    return _fold(s, rows, lambda day: None if day is None else month_of(as_date(day), calendar))


def forecast_by_owner(s: Session, actor: Actor = SYSTEM, *, pipeline_id: int | None = None) -> list[ForecastRow]:
    """Open deals' count, sum and weighted sum per owner and currency (key = owner id, None = nobody)."""
    return _fold(s, _grouped(s, Deal.owner_id, actor, pipeline_id), lambda owner: owner)


def pipeline_by_stage(s: Session, actor: Actor = SYSTEM, *, pipeline_id: int | None = None) -> list[ForecastRow]:
    """Count, sum and weighted sum of deals per stage and currency (key = stage id), every status."""
    rows = _grouped(s, Deal.stage_id, actor, pipeline_id, open_only=False)
    return _fold(s, [(k, c, st, n, t) for k, c, st, n, t in rows], lambda stage: stage)


def open_by_stage(s: Session, actor: Actor = SYSTEM, *, pipeline_id: int | None = None) -> list[ForecastRow]:
    """Count, sum and weighted sum of the open deals per stage and currency (key = stage id)."""
    return _fold(s, _grouped(s, Deal.stage_id, actor, pipeline_id), lambda stage: stage)


def owner_names(s: Session, ids: Sequence[int | None]) -> dict[int, str]:
    """Names of the users with these ids (one query)."""
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    return {i: (n or e) for i, n, e in s.execute(sa.select(User.id, User.name, User.email).where(User.id.in_(wanted)))}


# --------------------------------------------------------------------------- customer hooks (for __init__.py)


def merge_customer(target: Any, source: Any) -> list[Any]:
    """`payvand_customer_merge`: re-point the deals and activities of `source` to `target` (one UPDATE each)."""
    from payvand.sdk import MovedRows, session

    s = session()
    moved = []
    for model in (Deal, Activity):
        ids = list(s.scalars(sa.select(model.id).where(model.customer_id == source.id)))
        if ids:
            s.execute(sa.update(model).where(model.id.in_(ids)).values(customer_id=target.id)
                      .execution_options(synchronize_session=False))
            moved.append(MovedRows(table=model.__tablename__, column="customer_id", ids=ids))
    return moved


def _customer_activities(customer: Any, deal_ids: Any, lead_ids: Any = ()) -> Any:
    """SQL: the activities about `customer` — on it, on one of its deals or on one of `lead_ids`."""
    conditions = [Activity.customer_id == customer.id, Activity.deal_id.in_(deal_ids)]
    if lead_ids:
        conditions.append(Activity.lead_id.in_(list(lead_ids)))
    return sa.or_(*conditions)


def export_customer(customer: Any, actor: Actor = SYSTEM) -> dict[str, Any] | None:
    """`payvand_customer_export`: the customer's deals and the activities about it that `actor` may see (`rules.py`)."""
    from payvand.sdk import session

    s = session()
    deals = s.execute(restrict(cast(
        sa.Select[Any],
        sa.select(Deal.id, Deal.title, Deal.amount, Deal.currency, Deal.status, Deal.expected_close,
                  Deal.created_at, Deal.closed_at, Stage.name.label("stage"))
        .join(Stage, Stage.id == Deal.stage_id).where(Deal.customer_id == customer.id)), actor, Deal)
        .order_by(Deal.id)).all()
    customer_deals = sa.select(Deal.id).where(Deal.customer_id == customer.id)
    activities = s.execute(restrict(cast(
        sa.Select[Any],
        sa.select(Activity.id, Activity.kind, Activity.subject, Activity.notes, Activity.deal_id,
                  Activity.due_at, Activity.done_at)
        .where(_customer_activities(customer, customer_deals))), actor, Activity).order_by(Activity.id)).all()
    if not deals and not activities:
        return None

    def value(v: Any) -> Any:
        if isinstance(v, decimal.Decimal):
            return plain(v)  # as the API writes amounts
        return v.isoformat() if isinstance(v, dt.date) else v

    def jsonable(row: Any) -> dict[str, Any]:
        return {k: value(v) for k, v in row._asdict().items()}

    return {"deals": [jsonable(r) for r in deals], "activities": [jsonable(r) for r in activities]}


def erase_customer(customer: Any, lead_ids: Sequence[int] = ()) -> dict[str, list[int]]:
    """`payvand_customer_erase`: replace the free text of the customer's deals and of the activities about it
    (on it, its deals or the leads `lead_ids`), keeping amounts, stages and dates (deal titles become
    "Deal <id>"; activity subjects "Activity", notes gone). Returns the ids, per audit object type."""
    from payvand.sdk import session

    s = session()
    deal_ids = list(s.scalars(sa.select(Deal.id).where(Deal.customer_id == customer.id)))
    activity_ids = list(s.scalars(sa.select(Activity.id).where(_customer_activities(customer, deal_ids, lead_ids))))
    if deal_ids:
        s.execute(sa.update(Deal).where(Deal.id.in_(deal_ids))
                  .values(title=sa.literal("Deal ") + sa.cast(Deal.id, sa.String))
                  .execution_options(synchronize_session=False))
    if activity_ids:
        s.execute(sa.update(Activity).where(Activity.id.in_(activity_ids))
                  .values(subject="Activity", notes=None).execution_options(synchronize_session=False))
    return {Deal.__tablename__: deal_ids, Activity.__tablename__: activity_ids}
