"""The analytics plugin's tables, all prefixed `analytics_`: stored results (snapshots) of runs.

A run (`analytics_run`) is one CLV fit, one RFM scoring or one recommendations fit; its per-customer rows are kept so
pages read stored figures instead of refitting. The latest run of a kind is what the pages
and the customer fields show; older runs stay for comparisons (RFM transitions).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.sdk import Base, BigId, ExactDecimal, JSONText, UTCDateTime, utcnow

_CUSTOMER = "core_customer.id"
_RUN = "analytics_run.id"


class Run(Base):
    """One analytics computation: `kind` "clv", "rfm" or "recommend", its options, fitted parameters and fit report."""

    __tablename__ = "analytics_run"
    __table_args__ = (sa.Index(None, "kind", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The options it ran with (calibration end, period, horizon, discount rate, currency, ...).
    options: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    #: Fitted parameters and log-likelihoods (CLV), or segment sizes (RFM).
    results: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    #: The model checks for the charts (CLV: histogram, conditional expectations, tracking).
    report: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    customers: Mapped[int] = mapped_column(sa.Integer, default=0)


class CustomerClv(Base):
    """One customer's figures in a CLV run (floats: model estimates, not money owed)."""

    __tablename__ = "analytics_customer_clv"
    __table_args__ = (sa.Index(None, "run_id", "clv"), sa.Index(None, "customer_id"))

    run_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_RUN, ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_CUSTOMER, ondelete="CASCADE"), primary_key=True)
    frequency: Mapped[int] = mapped_column(sa.Integer)
    recency: Mapped[float] = mapped_column(sa.Float)
    age: Mapped[float] = mapped_column(sa.Float)
    monetary: Mapped[float] = mapped_column(sa.Float)
    p_alive: Mapped[float] = mapped_column(sa.Float)
    expected_purchases: Mapped[float] = mapped_column(sa.Float)
    expected_spend: Mapped[float] = mapped_column(sa.Float)
    clv: Mapped[float] = mapped_column(sa.Float)
    #: The day by which a purchase is more likely than not (None: P(alive) ≤ ½), `clv.next_purchase_in`.
    next_purchase_on: Mapped[dt.date | None] = mapped_column(sa.Date)


class CustomerRfm(Base):
    """One customer's RFM scores (1-5 each, 5 best) and named segment in an RFM run."""

    __tablename__ = "analytics_customer_rfm"
    __table_args__ = (sa.Index(None, "run_id", "segment"), sa.Index(None, "customer_id"))

    run_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_RUN, ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_CUSTOMER, ondelete="CASCADE"), primary_key=True)
    recency_days: Mapped[int] = mapped_column(sa.Integer)
    frequency: Mapped[int] = mapped_column(sa.Integer)
    monetary: Mapped[float] = mapped_column(sa.Float)
    r: Mapped[int] = mapped_column(sa.SmallInteger)
    f: Mapped[int] = mapped_column(sa.SmallInteger)
    m: Mapped[int] = mapped_column(sa.SmallInteger)
    segment: Mapped[str] = mapped_column(sa.String(32))


class ItemStat(Base):
    """One product in a recommendations run: its buyers, popularity rank, typical unit price
    (in the run's currency) and category when fitted. `product_id` is the selling plugin's id
    (no foreign key: analytics never depends on that plugin's tables)."""

    __tablename__ = "analytics_item_stat"
    __table_args__ = (sa.Index(None, "run_id", "popularity_rank"),)

    run_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_RUN, ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    buyers: Mapped[int] = mapped_column(sa.Integer)
    popularity_rank: Mapped[int] = mapped_column(sa.Integer)
    unit_price: Mapped[float | None] = mapped_column(sa.Float)
    category: Mapped[str | None] = mapped_column(sa.String(120))


class ItemNeighbour(Base):
    """One kept similarity of a recommendations run: `neighbour_id` is among the products most
    similar to `product_id` (shrunk cosine over their buyers)."""

    __tablename__ = "analytics_item_neighbour"

    run_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_RUN, ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    neighbour_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    score: Mapped[float] = mapped_column(sa.Float)


class CustomerStage(Base):
    """Where one customer stands in the e-CRM cycle at a cycle run's end (selection, acquisition,
    retention, expansion), with the purchase days and spend behind it."""

    __tablename__ = "analytics_customer_stage"
    __table_args__ = (sa.Index(None, "run_id", "stage"), sa.Index(None, "customer_id"))

    run_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_RUN, ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_CUSTOMER, ondelete="CASCADE"), primary_key=True)
    stage: Mapped[str] = mapped_column(sa.String(16))
    purchase_days: Mapped[int] = mapped_column(sa.Integer, default=0)
    products: Mapped[int] = mapped_column(sa.Integer, default=0)
    spend_last_year: Mapped[float] = mapped_column(sa.Float, default=0.0)
    spend_year_before: Mapped[float] = mapped_column(sa.Float, default=0.0)


class Cost(Base):
    """Money spent on marketing: a campaign's or a channel's cost over a period (entered on the
    Costs page, imported from CSV or by API). `purpose` says whether it won new customers
    (`acquisition`) or kept existing ones (`retention`). Empty channel or campaign is "".
    One row per (purpose, channel, campaign, period, currency): an import of the same line updates it."""

    __tablename__ = "analytics_cost"
    __table_args__ = (
        sa.UniqueConstraint("purpose", "channel", "campaign", "period_start", "period_end", "currency",
                            name="uq_analytics_cost_key"),
        sa.Index(None, "period_start", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    period_start: Mapped[dt.date] = mapped_column(sa.Date)
    period_end: Mapped[dt.date] = mapped_column(sa.Date)
    purpose: Mapped[str] = mapped_column(sa.String(16))
    channel: Mapped[str] = mapped_column(sa.String(64), default="")
    campaign: Mapped[str] = mapped_column(sa.String(120), default="")
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(20, 4))
    currency: Mapped[str] = mapped_column(sa.String(3))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CostRate(Base):
    """How a costs run spread one month's costs: per purpose and (acquisition) per source group,
    the customers it was spread over and the cost per customer. `month` is `YYYY-MM` (UTC)."""

    __tablename__ = "analytics_cost_rate"

    run_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_RUN, ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    campaign: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    customers: Mapped[int] = mapped_column(sa.Integer)
    cost: Mapped[float] = mapped_column(sa.Float)
    per_customer: Mapped[float] = mapped_column(sa.Float)


class CustomerProfit(Base):
    """One customer's profitability in a costs run: margin from purchases minus service and
    marketing costs (floats in the run's currency), and the rank (1 = most profitable)."""

    __tablename__ = "analytics_customer_profit"
    __table_args__ = (sa.Index(None, "run_id", "rank"), sa.Index(None, "customer_id"))

    run_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_RUN, ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_CUSTOMER, ondelete="CASCADE"), primary_key=True)
    rank: Mapped[int] = mapped_column(sa.Integer)
    revenue: Mapped[float] = mapped_column(sa.Float, default=0.0)
    margin: Mapped[float] = mapped_column(sa.Float, default=0.0)
    tickets: Mapped[int] = mapped_column(sa.Integer, default=0)
    service_cost: Mapped[float] = mapped_column(sa.Float, default=0.0)
    acquisition_cost: Mapped[float] = mapped_column(sa.Float, default=0.0)
    retention_cost: Mapped[float] = mapped_column(sa.Float, default=0.0)
    profit: Mapped[float] = mapped_column(sa.Float, default=0.0)


class CustomerSocial(Base):
    """One customer's social value in a social run: the parts (referrals, reach, engagement,
    influence), each part's 0-100 score, and the weighted score (0-100) with its rank."""

    __tablename__ = "analytics_customer_social"
    __table_args__ = (sa.Index(None, "run_id", "rank"), sa.Index(None, "customer_id"))

    run_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_RUN, ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_CUSTOMER, ondelete="CASCADE"), primary_key=True)
    rank: Mapped[int] = mapped_column(sa.Integer)
    referrals: Mapped[int] = mapped_column(sa.Integer, default=0)
    second_level: Mapped[int] = mapped_column(sa.Integer, default=0)
    reach: Mapped[float] = mapped_column(sa.Float, default=0.0)
    engagement: Mapped[int] = mapped_column(sa.Integer, default=0)
    influence: Mapped[float] = mapped_column(sa.Float, default=0.0)
    referrals_score: Mapped[float] = mapped_column(sa.Float, default=0.0)
    reach_score: Mapped[float] = mapped_column(sa.Float, default=0.0)
    engagement_score: Mapped[float] = mapped_column(sa.Float, default=0.0)
    influence_score: Mapped[float] = mapped_column(sa.Float, default=0.0)
    score: Mapped[float] = mapped_column(sa.Float, default=0.0)
class DashboardLayout(Base):
    """A KPI dashboard layout: a user's personal one, or the shared default (`user_id` NULL).

    `widgets` lists `{"key": ..., "hidden": bool}` in the order chosen; widgets a plugin adds
    later come after them, shown. The mail fields schedule the user's dashboard by email
    (`mail_frequency` none, daily, weekly or monthly; `mail_next_at` when it is next due).
    """

    __tablename__ = "analytics_dashboard_layout"
    __table_args__ = (sa.UniqueConstraint("user_id"), sa.Index(None, "mail_next_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("core_user.id", ondelete="CASCADE"))
    widgets: Mapped[list[dict[str, Any]]] = mapped_column(JSONText, default=list)
    period: Mapped[str] = mapped_column(sa.String(16), default="this_month")
    comparison: Mapped[str] = mapped_column(sa.String(16), default="previous")
    mail_frequency: Mapped[str] = mapped_column(sa.String(8), default="none")
    mail_next_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    mail_last_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class KpiSnapshot(Base):
    """A KPI widget's stored figures for one period, comparison, calendar and language (a widget
    whose figures are the same for everyone: `KpiWidget.shared`), kept until `expires_at`."""

    __tablename__ = "analytics_kpi_snapshot"
    __table_args__ = (sa.UniqueConstraint("cache_key"), sa.Index(None, "expires_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cache_key: Mapped[str] = mapped_column(sa.String(64))
    widget: Mapped[str] = mapped_column(sa.String(120))
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class KpiRequest(Base):
    """A shared KPI widget's figures asked for by a page whose snapshot was missing or stale: one
    row per snapshot key while its background computation is queued or running (the unique key
    makes a second request for the same widget and periods a no-op). `calendar` and `locale`
    are the reader's; the periods are whole local days (`comparison_*` null: no comparison)."""

    __tablename__ = "analytics_kpi_request"
    __table_args__ = (sa.UniqueConstraint("cache_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cache_key: Mapped[str] = mapped_column(sa.String(64))
    plugin: Mapped[str] = mapped_column(sa.String(80))
    widget: Mapped[str] = mapped_column(sa.String(120))
    locale: Mapped[str] = mapped_column(sa.String(8))
    calendar: Mapped[str] = mapped_column(sa.String(16))
    first_day: Mapped[dt.date] = mapped_column(sa.Date)
    last_day: Mapped[dt.date] = mapped_column(sa.Date)
    comparison_first: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    comparison_last: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
