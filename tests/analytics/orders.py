"""Purchases for the analytics tests, written as sales orders (what `payvand_purchase_facts` reads)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from payvand.plugins.sales.models import Order, OrderLine

_numbers = itertools.count(1)


def add_orders(db_session: Any, purchases: list[tuple[int, str, str]], currency: str = "IRR") -> None:
    """One order per (customer_id, ISO date, amount), placed at noon UTC that day."""
    for customer_id, day, amount in purchases:
        n = next(_numbers)
        placed = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12), tzinfo=dt.UTC)
        order = Order(number=f"T-{n}", customer_id=customer_id, currency=currency, total=Decimal(amount), placed_at=placed)
        order.lines.append(OrderLine(description="Item", quantity=Decimal(1), total=Decimal(amount)))
        db_session.add(order)
    db_session.commit()


def add_orders_at(db_session: Any, purchases: list[tuple[int, dt.datetime, str]], currency: str = "IRR") -> None:
    """One order per (customer_id, aware moment, amount), placed at that moment (stored in UTC)."""
    for customer_id, moment, amount in purchases:
        n = next(_numbers)
        order = Order(number=f"T-{n}", customer_id=customer_id, currency=currency, total=Decimal(amount),
                      placed_at=moment)
        order.lines.append(OrderLine(description="Item", quantity=Decimal(1), total=Decimal(amount)))
        db_session.add(order)
    db_session.commit()


def set_site_zone(db_session: Any, zone: str) -> None:
    """Set the site's time zone (the `core.timezone` setting) for the rest of the test."""
    from payvand.core.models import Setting

    db_session.merge(Setting(key="core.timezone", value=zone))
    db_session.commit()
