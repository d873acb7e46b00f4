"""The sales plugin's answer source for the web chat's FAQ bot (`payvand_bot_answerers`):
"where is my order".

A question about an order (order, delivery, shipped, سفارش, ارسال, ...) is answered for the
conversation's customer: when it names an order number of theirs ("O-1405-000123", Persian
digits too) with that order's status; when the visitor is signed in (`verified`) with their
three latest orders; otherwise the bot asks for the order number — a typed email is no proof,
so a stranger never reads another customer's orders. Nothing is said without a customer or
about another customer's order number.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from payvand.plugins.sales.models import Order
from payvand.sdk import BotAnswer, BotAnswerer, BotQuestion, fold_text, session

ORDER_WORDS = frozenset("order orders delivery deliver delivered shipped shipping parcel package tracking "
                        "سفارش سفارشم سفارشها ارسال مرسوله بسته تحویل".split())
NUMBER = re.compile(r"\b([a-z]{1,3})-?(\d{4})-?(\d{3,})\b", re.IGNORECASE)
STATUS = {
    "en": {"placed": "received, being prepared", "paid": "paid, being prepared", "shipped": "shipped",
           "delivered": "delivered", "cancelled": "cancelled", "returned": "returned"},
    "fa": {"placed": "ثبت شده و در حال آماده‌سازی", "paid": "پرداخت شده و در حال آماده‌سازی", "shipped": "ارسال شده",
           "delivered": "تحویل شده", "cancelled": "لغو شده", "returned": "مرجوع شده"},
}
TEXTS = {
    "en": {"one": "Order {number}: {status}.", "latest": "Your latest orders: {rows}.",
           "none": "I find no orders of yours.", "ask": "Please write your order number (for example O-1405-000123) "
                                                       "and I will look it up."},
    "fa": {"one": "سفارش {number}: {status}.", "latest": "آخرین سفارش‌های شما: {rows}.",
           "none": "سفارشی از شما پیدا نکردم.", "ask": "لطفاً شماره‌ی سفارش خود را بنویسید (مثلاً O-1405-000123) تا "
                                                      "وضعیت آن را بگویم."},
}


def _line(order: Order, language: str) -> str:
    return TEXTS[language]["one"].format(number=order.number, status=STATUS[language].get(order.status, order.status))


def where_is_my_order(question: BotQuestion) -> BotAnswer | None:
    """The status of the customer's order(s), or a request for the order number; None when the
    question is not about an order or nobody is known."""
    folded = fold_text(question.text) or ""
    words = set(re.findall(r"\w+", folded))
    numbers = [f"{p.upper()}-{y}-{s}" for p, y, s in NUMBER.findall(folded)]
    if question.customer_id is None or not (words & ORDER_WORDS or numbers):
        return None
    language = question.language if question.language in TEXTS else "fa"
    if numbers:
        orders = list(session().scalars(sa.select(Order).where(
            Order.customer_id == question.customer_id, Order.number.in_(numbers[:5])).order_by(Order.id)))
        if orders:
            return BotAnswer(" ".join(_line(o, language) for o in orders), 0.95, source="sales.orders")
    if question.verified:
        orders = list(session().scalars(sa.select(Order).where(Order.customer_id == question.customer_id)
                                        .order_by(Order.placed_at.desc(), Order.id.desc()).limit(3)))
        if not orders:
            return BotAnswer(TEXTS[language]["none"], 0.8, source="sales.orders")
        rows = "; ".join(_line(o, language).rstrip(".") for o in orders)
        return BotAnswer(TEXTS[language]["latest"].format(rows=rows), 0.9, source="sales.orders")
    return BotAnswer(TEXTS[language]["ask"], 0.7, source="sales.orders")


ANSWERERS = (BotAnswerer("sales.orders", where_is_my_order, "Where is my order"),)
