"""The sales plugin's tables, all prefixed `sales_`.

Money is `ExactDecimal` with its currency beside it; every list the UI or API filters has an
index on its filter and sort key. Customer-facing events are also core interactions (the
timeline), recorded by the services, not by these models.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payvand.sdk import Base, BigId, ExactDecimal, JSONText, UTCDateTime, utcnow
from payvand.sdk.documents import CounterMixin, DocumentMixin, LineMixin

#: The largest id a `BigId` column holds (ids outside 1..MAX_ID are refused before any query).
MAX_ID = 2**63 - 1
_CUSTOMER = "core_customer.id"
_USER = "core_user.id"


def _money(**kwargs: Any) -> Any:
    return mapped_column(ExactDecimal, default=decimal.Decimal(0), **kwargs)


# --------------------------------------------------------------------------- leads


class Lead(Base):
    """A prospective customer captured from a form, the API, an import or by hand."""

    __tablename__ = "sales_lead"
    __table_args__ = (
        sa.Index(None, "status", "id"),
        sa.Index(None, "owner_id", "id"),
        sa.Index(None, "score", "id"),
        sa.Index(None, "source", "id"),
        sa.Index(None, "email"),
        sa.Index(None, "phone"),
        sa.Index(None, "family_name"),
        sa.Index(None, "given_name"),
        sa.Index(None, "organization_name"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="new")  # new, contacted, qualified, converted, disqualified
    given_name: Mapped[str | None] = mapped_column(sa.String(120))
    family_name: Mapped[str | None] = mapped_column(sa.String(120))
    organization_name: Mapped[str | None] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    message: Mapped[str | None] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(32), default="manual")  # web_form, api, import, manual
    campaign: Mapped[str | None] = mapped_column(sa.String(120))
    referrer: Mapped[str | None] = mapped_column(sa.String(500))
    utm: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)  # source, medium, campaign, term, content
    # The UTM keys that scoring and filters read, copied out of `utm` so SQL needs no JSON functions.
    utm_source: Mapped[str | None] = mapped_column(sa.String(120))
    utm_medium: Mapped[str | None] = mapped_column(sa.String(120))
    utm_campaign: Mapped[str | None] = mapped_column(sa.String(120))
    consent: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    score: Mapped[int] = mapped_column(sa.Integer, default=0)
    score_details: Mapped[list[Any]] = mapped_column(JSONText, default=list)  # [[rule, points], ...]
    scored_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    owner_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey(_USER, ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey(_CUSTOMER, ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    converted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ScoringRule(Base):
    """One lead-scoring rule: when `field` matches `operator`/`value`, add `points`."""

    __tablename__ = "sales_scoring_rule"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    field: Mapped[str] = mapped_column(sa.String(64))  # e.g. source, email_domain, visits_30d, opened_email_30d
    operator: Mapped[str] = mapped_column(sa.String(16))  # eq, ne, contains, gte, lte, exists
    value: Mapped[str | None] = mapped_column(sa.String(200))
    points: Mapped[int] = mapped_column(sa.Integer)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# --------------------------------------------------------------------------- pipeline


class Pipeline(Base):
    """A sales process with its ordered stages."""

    __tablename__ = "sales_pipeline"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    is_default: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)

    stages: Mapped[list[Stage]] = relationship(order_by="Stage.position", cascade="all, delete-orphan")


class Stage(Base):
    """A step of a pipeline with the probability of winning from it; `outcome` marks won/lost stages."""

    __tablename__ = "sales_stage"
    __table_args__ = (sa.UniqueConstraint("pipeline_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("sales_pipeline.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    probability: Mapped[int] = mapped_column(sa.Integer, default=0)  # percent
    outcome: Mapped[str] = mapped_column(sa.String(8), default="open")  # open, won, lost


class Reason(Base):
    """Why deals are won or lost (configurable lists)."""

    __tablename__ = "sales_reason"
    __table_args__ = (sa.UniqueConstraint("outcome", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outcome: Mapped[str] = mapped_column(sa.String(8))  # won, lost
    name: Mapped[str] = mapped_column(sa.String(120))


class Deal(Base):
    """An opportunity moving through a pipeline."""

    __tablename__ = "sales_deal"
    __table_args__ = (
        # a kanban column in order (moving renumbers by it); covers the pipeline-by-stage report too
        sa.Index(None, "stage_id", "position", "currency", "amount"),
        sa.Index(None, "owner_id", "status", "expected_close"),
        # covering indexes of the forecasts (GROUP BY month or owner, currency, stage over open deals)
        sa.Index(None, "status", "expected_close", "currency", "stage_id", "amount"),
        sa.Index(None, "status", "owner_id", "currency", "stage_id", "amount"),
        sa.Index(None, "status", "closed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    pipeline_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("sales_pipeline.id"))
    stage_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("sales_stage.id"))
    position: Mapped[int] = mapped_column(sa.Integer, default=0)  # order within the stage's kanban column
    customer_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey(_CUSTOMER, ondelete="SET NULL"), index=True)
    lead_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sales_lead.id", ondelete="SET NULL"), index=True)
    owner_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey(_USER, ondelete="SET NULL"))
    amount: Mapped[decimal.Decimal] = _money()
    currency: Mapped[str] = mapped_column(sa.String(3), default="IRR")
    expected_close: Mapped[dt.date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(8), default="open")  # open, won, lost
    reason_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sales_reason.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DealStageChange(Base):
    """A deal entering a stage (on creation, then on every move to another stage): its stage history."""

    __tablename__ = "sales_deal_stage_change"
    __table_args__ = (sa.Index(None, "deal_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    deal_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("sales_deal.id", ondelete="CASCADE"))
    from_stage_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sales_stage.id", ondelete="SET NULL"))
    to_stage_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sales_stage.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey(_USER, ondelete="SET NULL"))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DealProduct(Base):
    """A product on a deal, with the quantity and the agreed unit price."""

    __tablename__ = "sales_deal_product"

    deal_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("sales_deal.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("sales_product.id"), primary_key=True)
    quantity: Mapped[decimal.Decimal] = mapped_column(ExactDecimal, default=decimal.Decimal(1))
    unit_price: Mapped[decimal.Decimal] = _money()


class Activity(Base):
    """A task, call or meeting planned on a deal, lead or customer, with a due time and a reminder."""

    __tablename__ = "sales_activity"
    __table_args__ = (
        sa.Index(None, "owner_id", "done_at", "due_at"),  # my open activities by due time; my done ones
        sa.Index(None, "done_at", "due_at"),  # everyone's open activities by due time (managers, calendar)
        sa.Index(None, "remind_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default="task")  # task, call, meeting, email
    subject: Mapped[str] = mapped_column(sa.String(200))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    deal_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sales_deal.id", ondelete="CASCADE"), index=True)
    lead_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sales_lead.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey(_CUSTOMER, ondelete="CASCADE"), index=True)
    owner_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey(_USER, ondelete="SET NULL"))
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    remind_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# --------------------------------------------------------------------------- catalog


class Category(Base):
    """A product category (a tree through `parent_id`)."""

    __tablename__ = "sales_category"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    parent_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sales_category.id", ondelete="SET NULL"))


class Product(Base):
    """A product or service of the catalog."""

    __tablename__ = "sales_product"
    __table_args__ = (sa.Index(None, "category_id", "id"), sa.Index(None, "active", "name"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(8), default="product")  # product, service
    category_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sales_category.id", ondelete="SET NULL"))
    unit: Mapped[str] = mapped_column(sa.String(32), default="unit")
    tax_class: Mapped[str] = mapped_column(sa.String(32), default="standard")  # standard, exempt, ...
    in_stock: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    source: Mapped[str | None] = mapped_column(sa.String(64))  # the plugin of an outside catalog it came from
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PriceList(Base):
    """A named list of prices in one currency (retail, wholesale, ...)."""

    __tablename__ = "sales_price_list"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    currency: Mapped[str] = mapped_column(sa.String(3), default="IRR")
    is_default: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class Price(Base):
    """A product's unit price in a price list."""

    __tablename__ = "sales_price"

    price_list_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("sales_price_list.id", ondelete="CASCADE"),
                                               primary_key=True)
    product_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("sales_product.id", ondelete="CASCADE"),
                                            primary_key=True, index=True)
    unit_price: Mapped[decimal.Decimal] = _money()


class Attachment(Base):
    """An image or brochure (PDF or image) of a product, stored under the instance folder."""

    __tablename__ = "sales_attachment"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("sales_product.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default="brochure")  # image, brochure
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.Integer)
    stored_path: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# --------------------------------------------------------------------------- quotes, orders, invoices


class Counter(CounterMixin, Base):
    """The last number given per document kind and fiscal year (quotes, orders, invoices): the
    document kit's counter columns (kind, year, last)."""

    __tablename__ = "sales_counter"


class _Document(DocumentMixin):
    """Columns shared by quotes, orders and invoices: number, customer, currency and totals (the kit's)."""


class _Line(LineMixin):
    """Columns shared by quote and order lines (amounts as computed by `pricing.compute_line`)."""

    product_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sales_product.id", ondelete="SET NULL"))


class Quote(_Document, Base):
    """A priced offer to a customer; accepting it makes an order."""

    __tablename__ = "sales_quote"
    # (status, valid_until): the daily expiry finds the draft and sent quotes past their date
    __table_args__ = (sa.Index(None, "status", "id"), sa.Index(None, "status", "valid_until"))

    status: Mapped[str] = mapped_column(sa.String(12), default="draft")  # draft, sent, accepted, rejected, expired
    deal_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sales_deal.id", ondelete="SET NULL"), index=True)
    price_list_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sales_price_list.id", ondelete="SET NULL"))
    valid_until: Mapped[dt.date | None] = mapped_column(sa.Date)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rejected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str | None] = mapped_column(sa.String(500))
    expired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # the staff user who wrote it (a rep sees the quotes they wrote: services/rules.py)
    created_by_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey(_USER, ondelete="SET NULL"), index=True)

    lines: Mapped[list[QuoteLine]] = relationship(order_by="QuoteLine.position", cascade="all, delete-orphan")


class QuoteLine(_Line, Base):
    """A line of a quote."""

    __tablename__ = "sales_quote_line"

    quote_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("sales_quote.id", ondelete="CASCADE"), index=True)


REVENUE_INDEX = "ix_sales_order_revenue"
LIVE_INVOICE_INDEX = "uq_sales_invoice_live_order_id"


class Order(_Document, Base):
    """An order placed by staff, online by the customer or through the API."""

    __tablename__ = "sales_order"
    # (owner_id, placed_at): revenue by owner over a period
    # (status, placed_at, currency, total, owner_id) covers the revenue reports: the counted
    # statuses × the period are read from the index alone (a year of a million orders in
    # 0.5 s instead of 2 s on SQLite, where the planner otherwise takes the status index)
    # quote_id unique: one quote makes one order (NULLs, orders without a quote, are not compared);
    # (owner_id, id): a rep's orders (services/rules.py) read by index
    __table_args__ = (sa.Index(None, "status", "id"),
                      sa.Index(REVENUE_INDEX, "status", "placed_at", "currency", "total", "owner_id"),
                      sa.Index(None, "owner_id", "id"), sa.UniqueConstraint("quote_id"),
                      sa.UniqueConstraint("external_number"))

    status: Mapped[str] = mapped_column(sa.String(12), default="placed")  # placed, paid, shipped, delivered, cancelled, returned
    channel: Mapped[str] = mapped_column(sa.String(16), default="staff")  # staff, web, api
    quote_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sales_quote.id", ondelete="SET NULL"))
    # who the sale counts for: the deal's owner, else the customer's, else the staff user who placed it
    owner_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey(_USER, ondelete="SET NULL"))
    # the staff user who placed it (a rep sees the orders they placed: services/rules.py)
    created_by_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey(_USER, ondelete="SET NULL"), index=True)
    placed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # the order's number in the system it was imported from (`import-orders`): a re-run updates it
    external_number: Mapped[str | None] = mapped_column(sa.String(64))

    lines: Mapped[list[OrderLine]] = relationship(order_by="OrderLine.position", cascade="all, delete-orphan")


class OrderLine(_Line, Base):
    """A line of an order; what `payvand_purchase_facts` reads."""

    __tablename__ = "sales_order_line"
    __table_args__ = (sa.Index(None, "product_id", "order_id"),)

    order_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("sales_order.id", ondelete="CASCADE"), index=True)


class OrderLineReturn(Base):
    """Units of an order line a return took back (`service.return_refunded`) or replaced
    (`service.return_replaced`): one row per line and return, so a redelivered event records
    nothing twice. An order is `returned` once every line's refunded units reach its quantity;
    a replacement points at the order that sends the new units (`replacement_order_id`)."""

    __tablename__ = "sales_order_line_return"
    __table_args__ = (sa.UniqueConstraint("order_line_id", "reference"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("sales_order.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("sales_order_line.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(sa.String(64))  # service.return:<id>
    kind: Mapped[str] = mapped_column(sa.String(12))  # refunded, replaced
    quantity: Mapped[decimal.Decimal] = mapped_column(ExactDecimal)
    replacement_order_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sales_order.id",
                                                                                   ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerKey(Base):
    """A customer's id in an outside system (the `customer_id` column of an order import)."""

    __tablename__ = "sales_customer_key"

    external_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_CUSTOMER, ondelete="CASCADE"), index=True)


class Invoice(_Document, Base):
    """An invoice made from an order, numbered per fiscal year, paid in one or more payments."""

    __tablename__ = "sales_invoice"
    # one live invoice per order: unique order_id among the invoices that are not void (a partial
    # index on both databases), so a voided order can be invoiced again
    __table_args__ = (sa.Index(None, "status", "due_at"),
                      sa.Index(LIVE_INVOICE_INDEX, "order_id", unique=True,
                               postgresql_where=sa.text("status <> 'void'"), sqlite_where=sa.text("status <> 'void'")))

    order_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("sales_order.id", ondelete="SET NULL"), index=True)
    year: Mapped[int] = mapped_column(sa.Integer)
    sequence: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(16), default="unpaid")  # unpaid, partially_paid, paid, overpaid, void
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[dt.date | None] = mapped_column(sa.Date)
    paid_total: Mapped[decimal.Decimal] = _money()
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(sa.String(500))

    payments: Mapped[list[Payment]] = relationship(order_by="Payment.id", cascade="all, delete-orphan")


class Payment(Base):
    """A payment (negative: a refund) against an invoice."""

    __tablename__ = "sales_payment"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("sales_invoice.id", ondelete="CASCADE"), index=True)
    amount: Mapped[decimal.Decimal] = mapped_column(ExactDecimal)
    method: Mapped[str] = mapped_column(sa.String(32), default="transfer")  # cash, card, transfer, online, cheque
    reference: Mapped[str | None] = mapped_column(sa.String(120))
    paid_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# --------------------------------------------------------------------------- report rollups


class ProductDay(Base):
    """Sales per product, currency and local day (in the rollup's time zone), kept up to date as
    orders are placed, cancelled or returned — so revenue by product over any run of whole days
    (Gregorian or Jalali months, years) reads a compact table, not millions of order lines.

    Amounts are integers — quantity in thousandths, revenue in the currency's minor units — so
    sums are exact and fast on both databases. Clustered by (product, currency, day) on SQLite
    (WITHOUT ROWID), so grouping per product streams in key order with no sort.
    """

    __tablename__ = "sales_product_day"
    __table_args__ = {"sqlite_with_rowid": False}

    product_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("sales_product.id", ondelete="CASCADE"),
                                            primary_key=True)
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    quantity_milli: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    revenue_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class RollupState(Base):
    """Which time zone a rollup's days are in, and when it was last rebuilt."""

    __tablename__ = "sales_rollup_state"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    zone: Mapped[str] = mapped_column(sa.String(64))
    rebuilt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
