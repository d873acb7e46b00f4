"""`load_sales_demo`: the expected counts, exact totals, the same rows for a seed, and a guard against reloading."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from payvand.plugins.sales.demo import load_sales_demo
from payvand.plugins.sales.models import (
    Activity,
    Category,
    Deal,
    Invoice,
    Lead,
    Order,
    OrderLine,
    Price,
    PriceList,
    Product,
    ProductDay,
    Quote,
)
from payvand.sdk import Interaction

NOW = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def loaded(in_app, db_session, make_customer, make_user, payvand_seed):
    """The demo loaded on 12 customers and two sales reps: built once per module, each test
    gets its own copy (`payvand_seed`)."""

    def build():
        make_user(email="rep1@example.com")
        make_user(email="rep2@example.com")
        for n in range(12):
            make_customer(given_name=f"Demo{n}")
        counts = load_sales_demo(seed=7, now=NOW)
        db_session.commit()
        return counts

    return payvand_seed("sales demo", build)


def _count(db_session, model, *where) -> int:
    return db_session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_demo_creates_the_catalog_leads_deals_and_documents(loaded, db_session):
    counts = loaded
    assert (_count(db_session, Category), _count(db_session, Product), _count(db_session, PriceList)) == (2, 25, 2)
    assert _count(db_session, Price) == 50
    assert _count(db_session, Lead) == counts["leads"] == 150
    assert _count(db_session, Deal) == counts["deals"] == 120
    assert _count(db_session, Quote) == counts["quotes"] == 80
    assert counts["orders"] == 60 and counts["history_orders"] > 0  # placed now, and past orders imported
    assert _count(db_session, Order) == counts["orders"] + counts["history_orders"]
    assert _count(db_session, Invoice) == counts["invoices"] == 40
    assert _count(db_session, Activity) == counts["activities"] > 20
    assert _count(db_session, Activity, Activity.done_at.is_not(None)) > 0
    assert _count(db_session, Activity, Activity.remind_at.is_not(None), Activity.done_at.is_(None)) > 0
    assert counts["customers"] == 12
    assert _count(db_session, Deal, Deal.status == "won") > 0
    assert _count(db_session, Deal, Deal.status == "lost", Deal.reason_id.is_not(None)) == _count(
        db_session, Deal, Deal.status == "lost") > 0
    assert {"paid", "partially_paid", "unpaid"} <= set(db_session.scalars(sa.select(Invoice.status)))
    assert _count(db_session, Lead, Lead.score != 0) > 0
    assert _count(db_session, Lead, Lead.utm_source.is_not(None)) > 0


def test_demo_spreads_orders_over_the_last_twelve_months_and_rolls_them_up(loaded, db_session):
    placed = [at.replace(tzinfo=at.tzinfo or dt.UTC)
              for at in db_session.scalars(sa.select(Order.placed_at).where(Order.channel != "import"))]
    assert min(placed) >= NOW - dt.timedelta(days=366) and max(placed) <= NOW
    assert len({at.strftime("%Y-%m") for at in placed}) >= 10
    assert _count(db_session, ProductDay) > 0
    counted = db_session.scalar(sa.select(sa.func.sum(ProductDay.revenue_minor)).where(ProductDay.currency == "IRR"))
    expected = sum(db_session.scalars(
        sa.select(OrderLine.total).join(Order).where(Order.status.in_(("placed", "paid", "shipped", "delivered")),
                                                Order.currency == "IRR")))
    assert Decimal(counted) == expected
    stamped = db_session.scalars(sa.select(Interaction.occurred_at).where(Interaction.kind == "sales.order_placed"))
    assert min(at.replace(tzinfo=at.tzinfo or dt.UTC) for at in stamped) < NOW - dt.timedelta(days=60)


def test_every_invoice_total_equals_the_sum_of_its_orders_lines(loaded, db_session):
    for invoice in db_session.scalars(sa.select(Invoice)):
        lines = db_session.scalars(sa.select(OrderLine.total).where(OrderLine.order_id == invoice.order_id)).all()
        assert invoice.total == sum(lines, Decimal(0))
        assert invoice.paid_total == sum((p.amount for p in invoice.payments), Decimal(0))
        assert invoice.status == {True: "paid", False: "partially_paid" if invoice.payments else "unpaid"}[
            invoice.paid_total == invoice.total]


def test_loading_the_demo_again_changes_nothing(loaded, db_session):
    assert load_sales_demo(seed=8, now=NOW) == {}
    assert _count(db_session, Order) == 60 + loaded["history_orders"] and _count(db_session, Lead) == 150


def test_the_same_seed_gives_the_same_documents(in_app, db_session, make_customer):
    make_customer(given_name="Only")
    first = load_sales_demo(seed=3, now=NOW)
    rows = db_session.execute(sa.select(Order.number, Order.total, Order.placed_at).order_by(Order.id)).all()
    db_session.rollback()
    assert load_sales_demo(seed=3, now=NOW) == first
    assert db_session.execute(sa.select(Order.number, Order.total, Order.placed_at).order_by(Order.id)).all() == rows


def test_without_customers_the_demo_converts_qualified_leads(in_app, db_session):
    counts = load_sales_demo(seed=5, now=NOW)
    assert counts["customers"] == 20 and counts["orders"] == 60
    assert _count(db_session, Lead, Lead.status == "converted") == 20
