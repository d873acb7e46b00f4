"""Demo data for the sales plugin: a small catalog, leads, deals, quotes, orders and invoices.

`load_sales_demo(seed=...)` works in the current session (`payvand.sdk.session()`) through the
plugin's own services, so every row obeys the same rules as one entered by staff (prices,
taxes, numbering, timeline interactions). The services date everything "now"; the demo then
moves the dates back over the last twelve months (documents, stage changes, payments and their
timeline interactions) and rebuilds the monthly product rollup. The same seed gives the same
rows (for the same `now`). Nothing is done when the database already has sales data.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa

from payvand.plugins.sales.models import (
    CustomerKey,
    Deal,
    DealStageChange,
    Lead,
    Order,
    Payment,
    Product,
    Quote,
    ScoringRule,
)
from payvand.plugins.sales.services import catalog, documents, leads, pipeline, rollup, scoring
from payvand.plugins.sales.services.documents import LineIn
from payvand.sdk import Customer, Interaction, User, session, setting, utcnow

DEFAULT_SEED = 1404
YEAR = dt.timedelta(days=365)

#: (Persian, English) names: the demo speaks the instance's default language (`core.default_locale`).
CATEGORIES = (("خوراکی و نوشیدنی", "Food & drink"), ("خدمات", "Services"))
PRICE_LISTS = (("خرده‌فروشی", "Retail"), ("عمده‌فروشی", "Wholesale"))
#: Units of the catalog in Persian.
UNITS_FA = {"pack": "بسته", "box": "جعبه", "kg": "کیلو", "sack": "کیسه", "jar": "شیشه", "bottle": "بطری",
            "trip": "سفر", "parcel": "مرسوله", "unit": "عدد", "event": "مراسم", "hour": "ساعت", "session": "جلسه",
            "basket": "سبد", "month": "ماه"}
#: The pipeline and its stages are the default one, named in the same language (`pipeline.ensure_default_pipeline`).
#: (sku, Persian name, English name, unit, retail price in IRR, category index, tax class, kind)
PRODUCTS: tuple[tuple[str, str, str, str, int, int, str, str], ...] = (
    ("TEA-LAH-500", "چای سیاه لاهیجان ۵۰۰ گرمی", "Lahijan black tea 500 g", "pack", 2_450_000, 0, "standard", "product"),
    ("TEA-GRN-250", "چای سبز ۲۵۰ گرمی", "Green tea 250 g", "pack", 1_380_000, 0, "standard", "product"),
    ("SAF-1G", "زعفران سرگل ۱ گرمی", "Saffron (sargol) 1 g", "box", 3_900_000, 0, "standard", "product"),
    ("SAF-5G", "زعفران نگین ۵ گرمی", "Saffron (negin) 5 g", "box", 17_500_000, 0, "standard", "product"),
    ("PIS-AKB-1K", "پسته اکبری ۱ کیلویی", "Akbari pistachios 1 kg", "kg", 14_200_000, 0, "exempt", "product"),
    ("PIS-FAN-1K", "پسته فندقی ۱ کیلویی", "Fandoghi pistachios 1 kg", "kg", 11_800_000, 0, "exempt", "product"),
    ("DAT-MAZ-1K", "خرمای مضافتی ۱ کیلویی", "Mazafati dates 1 kg", "kg", 1_950_000, 0, "exempt", "product"),
    ("RIC-HSH-10K", "برنج هاشمی ۱۰ کیلویی", "Hashemi rice 10 kg", "sack", 19_800_000, 0, "exempt", "product"),
    ("HON-KVN-1K", "عسل کوهستان ۱ کیلویی", "Mountain honey 1 kg", "jar", 6_300_000, 0, "standard", "product"),
    ("GAZ-ISF-450", "گز اصفهان ۴۵۰ گرمی", "Isfahan gaz 450 g", "box", 2_150_000, 0, "standard", "product"),
    ("SOH-QOM-400", "سوهان قم ۴۰۰ گرمی", "Qom sohan 400 g", "box", 1_250_000, 0, "standard", "product"),
    ("BAR-ZER-500", "زرشک پفکی ۵۰۰ گرمی", "Barberries 500 g", "pack", 2_600_000, 0, "exempt", "product"),
    ("ROS-KSH-250", "گلاب کاشان ۲۵۰ میلی‌لیتری", "Kashan rosewater 250 ml", "bottle", 480_000, 0, "standard", "product"),
    ("DOO-ABD-1L", "دوغ آبعلی ۱ لیتری", "Abali doogh 1 l", "bottle", 310_000, 0, "standard", "product"),
    ("NUT-MIX-1K", "آجیل مخلوط ۱ کیلویی", "Mixed nuts 1 kg", "kg", 9_700_000, 0, "standard", "product"),
    ("KSK-500", "کشک محلی ۵۰۰ گرمی", "Kashk 500 g", "jar", 890_000, 0, "standard", "product"),
    ("SRV-DLV-CITY", "ارسال درون‌شهری", "City delivery", "trip", 750_000, 1, "standard", "service"),
    ("SRV-DLV-POST", "ارسال پستی", "Post delivery", "parcel", 1_100_000, 1, "standard", "service"),
    ("SRV-GIFT-WRAP", "بسته‌بندی هدیه", "Gift wrapping", "unit", 350_000, 1, "standard", "service"),
    ("SRV-CATER-S", "پذیرایی مراسم کوچک", "Small event catering", "event", 85_000_000, 1, "standard", "service"),
    ("SRV-CATER-L", "پذیرایی مراسم بزرگ", "Large event catering", "event", 240_000_000, 1, "standard", "service"),
    ("SRV-CONSULT", "مشاوره خرید سازمانی", "Corporate purchase consulting", "hour", 4_500_000, 1, "exempt", "service"),
    ("SRV-TASTING", "جلسه چشیدن چای", "Tea tasting session", "session", 12_000_000, 1, "standard", "service"),
    ("SRV-NOWRUZ", "سبد نوروزی سازمانی", "Corporate Nowruz basket", "basket", 28_000_000, 1, "standard", "service"),
    ("SRV-SUBS-M", "اشتراک ماهانه چای", "Monthly tea subscription", "month", 5_200_000, 1, "standard", "service"),
)
GIVEN = ("علی", "مریم", "رضا", "زهرا", "حسین", "فاطمه", "محمد", "سارا", "امیر", "نگار", "Reza", "Sara", "Kian", "Leila")
FAMILY = ("احمدی", "رضایی", "کریمی", "حسینی", "موسوی", "محمدی", "جعفری", "Tehrani", "Farahani", "Karimi")
ORGS = ("شرکت پارس تجارت", "هلدینگ آریا", "کافه نارنج", "هتل پرسپولیس", "Kish Foods", "Tabriz Trading Co.")
UTMS: tuple[tuple[dict[str, str], str], ...] = (
    ({"source": "google", "medium": "cpc", "campaign": "nowruz-1404"}, "web_form"),
    ({"source": "instagram", "medium": "social", "campaign": "yalda"}, "web_form"),
    ({"source": "newsletter", "medium": "email", "campaign": "autumn-tea"}, "web_form"),
    ({}, "manual"),
    ({}, "import"),
    ({"source": "partner", "medium": "referral"}, "api"),
)
SCORING_RULES = (
    (("از فرم وب‌سایت", "From the web form"), "source", "eq", "web_form", 15),
    (("جست‌وجوی پولی", "Paid search"), "utm_medium", "eq", "cpc", 10),
    (("تلفن دارد", "Has a phone"), "has_phone", "eq", "true", 5),
    (("رضایت داده", "Consented"), "consent", "eq", "true", 5),
    (("ردشده", "Disqualified"), "status", "eq", "disqualified", -30),
)
WON_REASONS = (("بهترین قیمت", "Best price"), ("تحویل سریع", "Fast delivery"))
LOST_REASONS = (("گران بود", "Too expensive"), ("رقیب را برگزید", "Chose a competitor"), ("بودجه نداشت", "No budget"))
COUNTS = {"leads": 150, "deals": 120, "quotes": 80, "orders": 60, "invoices": 40}


def _in(names: tuple[str, str], lang: str) -> str:
    """The Persian or the English one of (Persian, English) names."""
    return names[0] if lang == "fa" else names[1]


def demo_language() -> str:
    """The instance's default language (`core.default_locale`): `fa` unless it is English."""
    try:
        value = setting("core.default_locale")
    except Exception:  # noqa: BLE001 - no app or setting: the deployment default
        value = None
    return "en" if str(value or "fa").startswith("en") else "fa"


def has_sales_data() -> bool:
    """True when the database already holds products, leads, deals or orders (the demo is then skipped)."""
    s = session()
    return any(s.scalar(sa.select(model.id).limit(1)) is not None for model in (Product, Lead, Deal, Order, Quote))


def _ago(rng: random.Random, now: dt.datetime, earliest: dt.timedelta = YEAR,
        latest: dt.timedelta = dt.timedelta(0)) -> dt.datetime:
    """A moment between `earliest` and `latest` before `now`, on a whole second."""
    span = int((earliest - latest).total_seconds())
    return (now - latest - dt.timedelta(seconds=rng.randint(0, span))).replace(microsecond=0)


def _later(rng: random.Random, start: dt.datetime, now: dt.datetime, max_days: int) -> dt.datetime:
    """A moment up to `max_days` after `start`, never after `now`."""
    return min(now, start + dt.timedelta(seconds=rng.randint(3600, max_days * 86400)))


def _catalog(rng: random.Random, lang: str) -> tuple[list[Product], dict[int, Decimal]]:
    s = session()
    categories = [catalog.create_category(s, _in(names, lang)) for names in CATEGORIES]
    retail = catalog.create_price_list(s, _in(PRICE_LISTS[0], lang), "IRR", is_default=True)
    wholesale = catalog.create_price_list(s, _in(PRICE_LISTS[1], lang), "IRR")
    products: list[Product] = []
    prices: dict[int, Decimal] = {}
    for sku, fa, en, unit, price, category, tax_class, kind in PRODUCTS:
        product = catalog.create_product(s, {
            "sku": sku, "name": _in((fa, en), lang), "unit": _in((UNITS_FA.get(unit, unit), unit), lang), "kind": kind,
            "tax_class": tax_class,
            "category_id": categories[category].id, "in_stock": rng.random() > 0.1,
            "description": f"{_in((fa, en), lang)}."})
        catalog.set_price(s, retail, product.id, Decimal(price))
        catalog.set_price(s, wholesale, product.id, Decimal(price) * Decimal("0.85"))
        products.append(product)
        prices[product.id] = Decimal(price)
    return products, prices


def _leads(rng: random.Random, now: dt.datetime, owners: list[int | None], lang: str) -> list[Lead]:
    s = session()
    if s.scalar(sa.select(ScoringRule.id).limit(1)) is None:
        for names, field, operator, value, points in SCORING_RULES:
            scoring.create_rule({"name": _in(names, lang), "field": field, "operator": operator, "value": value,
                                 "points": points})
    made: list[Lead] = []
    for n in range(COUNTS["leads"]):
        utm, source = UTMS[rng.randrange(len(UTMS))]
        person = rng.random() < 0.75
        data: dict[str, Any] = {
            "given_name": rng.choice(GIVEN) if person else None,
            "family_name": rng.choice(FAMILY) if person else None,
            "organization_name": rng.choice(ORGS) if not person or rng.random() < 0.3 else None,
            "email": f"lead{n + 1}@demo.example.com",
            "phone": f"+98912{rng.randint(0, 9_999_999):07d}" if rng.random() < 0.7 else None,
            "source": source, "utm": dict(utm), "consent": rng.random() < 0.6,
            "status": rng.choices(("new", "contacted", "qualified", "disqualified"), (5, 3, 2, 1))[0],
            "message": rng.choice((None, "قیمت عمده را می‌خواهم.", "Please call me about catering.")),
        }
        lead = leads.create_lead({k: v for k, v in data.items() if v is not None}, owner_id=rng.choice(owners))
        lead.created_at = _ago(rng, now)
        made.append(lead)
    session().flush()
    return made


def _customers(rng: random.Random, lead_rows: list[Lead]) -> list[int]:
    """Live customers to sell to (the 200 oldest); converts 20 qualified leads when there are none."""
    s = session()
    ids = list(s.scalars(sa.select(Customer.id).where(Customer.merged_into_id.is_(None), Customer.erased_at.is_(None))
                         .order_by(Customer.id).limit(200)))
    if ids:
        return ids
    for lead in sorted((lead for lead in lead_rows if lead.status == "qualified"), key=lambda lead: lead.id)[:20]:
        ids.append(leads.convert_lead(lead).customer_id)
    return ids


def _lines(rng: random.Random, products: list[Product], count: int) -> list[LineIn]:
    picked = rng.sample(products, count)
    lines = []
    for product in picked:
        discount = Decimal(rng.choice((5, 10))) if rng.random() < 0.2 else None
        lines.append(LineIn(product_id=product.id, quantity=Decimal(rng.randint(1, 12)), discount_percent=discount))
    return lines


def _deals(rng: random.Random, now: dt.datetime, customers: list[int], owners: list[int | None],
           products: list[Product], prices: dict[int, Decimal], lang: str) -> tuple[list[Deal], dict[int, dt.datetime]]:
    s = session()
    stages = pipeline.ensure_default_pipeline(s).stages
    reasons = {outcome: {r.name: r.id for r in pipeline.list_reasons(s, outcome)} for outcome in ("won", "lost")}
    for outcome, pairs in (("won", WON_REASONS), ("lost", LOST_REASONS)):
        for name in (_in(pair, lang) for pair in pairs):
            if name not in reasons[outcome]:
                reasons[outcome][name] = pipeline.add_reason(s, outcome, name).id
    weights = [18 if stage.outcome == "open" else 14 for stage in stages]
    made: list[Deal] = []
    dates: dict[int, dt.datetime] = {}
    for _ in range(COUNTS["deals"]):
        stage = rng.choices(stages, weights)[0]
        items = rng.sample(products, rng.randint(1, 3))
        lines: list[dict[str, Any]] = [{"product_id": p.id, "quantity": rng.randint(1, 20), "unit_price": prices[p.id]}
                                       for p in items]
        amount = sum((Decimal(line["quantity"]) * line["unit_price"] for line in lines), Decimal(0))
        created = _ago(rng, now, latest=dt.timedelta(days=3))
        reason = rng.choice(sorted(reasons[stage.outcome].values())) if stage.outcome != "open" else None
        deal = pipeline.create_deal(s, {
            "title": f"{items[0].name.split(' (')[0]} — {rng.choice(ORGS)}", "customer_id": rng.choice(customers),
            "owner_id": rng.choice(owners), "amount": amount, "currency": "IRR", "stage_id": stage.id,
            "expected_close": (created + dt.timedelta(days=rng.randint(7, 90))).date(), "products": lines,
            "reason_id": reason})
        deal.created_at = created
        if deal.status != "open":
            deal.closed_at = _later(rng, created, now, 60)
            dates[deal.id] = deal.closed_at
        made.append(deal)
    s.flush()
    ids = [deal.id for deal in made]
    created_at = {deal.id: deal.created_at for deal in made}
    for change in s.scalars(sa.select(DealStageChange).where(DealStageChange.deal_id.in_(ids))):
        change.changed_at = created_at[change.deal_id]
    return made, dates


ACTIVITY_SUBJECTS = {
    "call": ("تماس پیگیری", "تماس برای هماهنگی تحویل", "پیگیری پرداخت فاکتور"),
    "meeting": ("جلسهٔ معرفی محصول", "بازدید از دفتر مشتری", "جلسهٔ مذاکرهٔ قیمت"),
    "task": ("ارسال پیش‌فاکتور", "آماده‌سازی پیشنهاد قیمت", "ارسال کاتالوگ"),
    "email": ("ایمیل شرایط پرداخت", "ایمیل زمان‌بندی تحویل"),
}


def _activities(rng: random.Random, now: dt.datetime, deals: list[Deal]) -> int:
    """Calls, meetings, tasks and emails on the open deals: a few done, some overdue, most in
    the coming month at working hours in Tehran, each with a reminder half an hour before."""
    from zoneinfo import ZoneInfo

    from payvand.plugins.sales.services import activities

    s = session()
    tehran = ZoneInfo("Asia/Tehran")
    made = 0
    for deal in (d for d in deals if d.status == "open"):
        for _ in range(rng.randint(0, 2)):
            kind = rng.choice(sorted(ACTIVITY_SUBJECTS))
            day = (now.astimezone(tehran) + dt.timedelta(days=rng.randint(-10, 30))).date()
            due = dt.datetime.combine(day, dt.time(rng.choice((9, 10, 11, 14, 15, 16)), rng.choice((0, 30))), tehran)
            data = {"kind": kind, "subject": rng.choice(ACTIVITY_SUBJECTS[kind]), "deal_id": deal.id,
                    "owner_id": deal.owner_id, "due_at": due.astimezone(dt.UTC)}
            if due > now:
                data["remind_at"] = (due - dt.timedelta(minutes=30)).astimezone(dt.UTC)
            activity = activities.create_activity(s, data)
            if due < now and rng.random() < 0.6:
                activities.complete_activity(s, activity)
                activity.done_at = due.astimezone(dt.UTC)
                s.execute(sa.update(Interaction).where(Interaction.source_type == "sales.activity",
                                                       Interaction.source_id == str(activity.id))
                          .values(occurred_at=activity.done_at))
            made += 1
    s.flush()
    return made


def _documents(rng: random.Random, now: dt.datetime, customers: list[int], products: list[Product],
               deals: list[Deal]) -> dict[str, Any]:
    """Quotes (some accepted into orders), direct orders, status changes, invoices and payments."""
    s = session()
    when: dict[tuple[str, int], dt.datetime] = {}  # (interaction source type, id) -> when it happened
    orders: list[tuple[Order, dt.datetime]] = []
    quotes: list[Quote] = []
    won = [d for d in deals if d.status == "won" and d.customer_id]
    accepted_quotes = 35
    for n in range(COUNTS["quotes"]):
        deal = won[n] if n < len(won) and n < accepted_quotes else None
        customer_id = deal.customer_id if deal else rng.choice(customers)
        assert customer_id is not None  # `won` holds deals with a customer only
        created = _ago(rng, now, latest=dt.timedelta(days=2))
        quote = documents.create_quote(s, customer_id, _lines(rng, products, rng.randint(1, 4)),
                                       deal_id=deal.id if deal else None)
        quotes.append(quote)
        if n < accepted_quotes or rng.random() < 0.6:
            documents.send_quote(s, quote)
            quote.sent_at = _later(rng, created, now, 2)
            when[("sales.quote", quote.id)] = quote.sent_at
        if n < accepted_quotes:
            order = documents.accept_quote(s, quote)
            quote.accepted_at = _later(rng, quote.sent_at or created, now, 10)
            orders.append((order, quote.accepted_at))
        elif quote.status == "sent":
            quote.status = rng.choice(("sent", "rejected", "expired"))
        quote.created_at = created
        quote.valid_until = (created + dt.timedelta(days=30)).date()
    for _ in range(COUNTS["orders"] - accepted_quotes):
        order = documents.place_order(s, rng.choice(customers), _lines(rng, products, rng.randint(1, 5)),
                                      channel=rng.choice(("staff", "web", "api")))
        orders.append((order, _ago(rng, now, latest=dt.timedelta(days=1))))
    orders.sort(key=lambda pair: pair[1])
    for order, placed in orders:
        order.placed_at = order.created_at = placed
        when[("sales.order", order.id)] = placed
    invoiced = set(rng.sample(range(len(orders)), min(COUNTS["invoices"], len(orders))))
    invoices = paid_full = paid_part = 0
    for index, (order, placed) in enumerate(orders):
        if index not in invoiced:
            if rng.random() < 0.3:
                documents.change_order_status(s, order, "cancelled")
                order.status_changed_at = _later(rng, placed, now, 5)
            continue
        issued = _later(rng, placed, now, 3)
        invoice = documents.create_invoice(s, order, due_at=(issued + dt.timedelta(days=30)).date())
        invoice.issued_at = invoice.created_at = issued
        when[("sales.invoice", invoice.id)] = issued
        invoices += 1
        roll = rng.random()
        if roll < 0.55:
            first = _later(rng, issued, now, 20)
            if rng.random() < 0.4:  # two instalments
                half = (invoice.total / 2).quantize(Decimal(1))
                documents.record_payment(s, invoice, half, method="card", paid_at=first)
                documents.record_payment(s, invoice, invoice.total - half, method="transfer",
                                         paid_at=_later(rng, first, now, 20))
            else:
                documents.record_payment(s, invoice, invoice.total, method=rng.choice(documents.PAYMENT_METHODS),
                                         paid_at=first)
            paid_full += 1
            if rng.random() < 0.7:
                for status in ("shipped", "delivered"):
                    documents.change_order_status(s, order, status)
                order.status_changed_at = _later(rng, first, now, 7)
        elif roll < 0.85:
            part = (invoice.total * Decimal(rng.choice(("0.3", "0.5", "0.6")))).quantize(Decimal(1))
            documents.record_payment(s, invoice, part, method="cheque", reference=f"CHQ-{rng.randint(100000, 999999)}",
                                     paid_at=_later(rng, issued, now, 20))
            paid_part += 1
    s.flush()
    return {"quotes": len(quotes), "orders": len(orders), "invoices": invoices, "paid_invoices": paid_full,
            "partly_paid_invoices": paid_part, "when": when}


def _redate_interactions(when: dict[tuple[str, int], dt.datetime], deal_dates: dict[int, dt.datetime]) -> None:
    """Move the timeline interactions the services recorded "now" to when their event happened."""
    s = session()
    s.flush()
    moves = dict(when)
    moves.update({("sales.deal", deal_id): at for deal_id, at in deal_dates.items()})
    paid = s.execute(sa.select(Payment.invoice_id, sa.func.max(Payment.paid_at)).group_by(Payment.invoice_id))
    paid_at = dict(paid.all())
    table = cast(sa.Table, Interaction.__table__)
    rows = [{"st": kind, "sid": str(row_id), "at": at} for (kind, row_id), at in moves.items()]
    if rows:
        s.execute(sa.update(table).where(table.c.source_type == sa.bindparam("st"), table.c.source_id == sa.bindparam("sid"),
                                         table.c.kind != "sales.invoice_paid")
                  .values(occurred_at=sa.bindparam("at")), rows)
    paid_rows = [{"sid": str(invoice_id), "at": at} for invoice_id, at in paid_at.items()]
    if paid_rows:
        s.execute(sa.update(table).where(table.c.source_type == "sales.invoice", table.c.source_id == sa.bindparam("sid"),
                                         table.c.kind == "sales.invoice_paid")
                  .values(occurred_at=sa.bindparam("at")), paid_rows)


def _history(rng: random.Random, now: dt.datetime, customers: list[int], products: list[Product],
             lead_rows: list[Lead]) -> int:
    """Three years of past orders for most demo customers, brought in by the order history import
    (as a business adopting Payvand would): some buy once, some come back, some spend more each
    year, some stop — so the analytics pages (cycle, cohorts, lifetime value) have a story."""
    import io

    from payvand.plugins.sales.services.order_import import import_orders

    # the demo customers' numbers "in the old system", so the file names them as an export would
    session().add_all([CustomerKey(external_id=f"D{customer_id}", customer_id=customer_id) for customer_id in customers])
    session().flush()
    out = io.StringIO()
    out.write("order_number,date,customer_id,sku,quantity,amount\n")
    number = 0
    buyers: list[int] = []
    for customer_id in customers:
        kind = rng.random()
        if kind < 0.15:
            continue  # a prospect: no history
        if kind < 0.40:
            days = [rng.randint(30, 1000)]  # bought once
        elif kind < 0.60:
            start = rng.randint(500, 1090)  # came back for a while, then stopped
            days = sorted({start - rng.randint(0, 300) for _ in range(rng.randint(2, 5))}, reverse=True)
        else:
            days = sorted({rng.randint(1, 1090) for _ in range(rng.randint(2, 10))}, reverse=True)
        buyers.append(customer_id)
        growing = rng.random() < 0.4
        for day in days:
            number += 1
            scale = 1 + (3 * (1090 - day) / 1090 if growing else 0)
            picks = rng.sample(products, k=min(len(products), 1 + (growing and day < 365) + rng.randint(0, 1)))
            for product in picks:
                amount = int(rng.randint(2, 40) * 100_000 * scale)
                out.write(f"H{number},{(now - dt.timedelta(days=day)).date().isoformat()},D{customer_id},"
                          f"{product.sku},1,{amount}\n")
    out.seek(0)
    created = import_orders(out, name="demo history").created
    # some qualified leads became these customers (the funnel lead → customer → repeat → loyal),
    # unless the demo's customers were made from leads already
    if any(lead.customer_id for lead in lead_rows):
        return created
    for lead in sorted((lead for lead in lead_rows if lead.status == "qualified" and lead.customer_id is None),
                       key=lambda lead: lead.id)[:30]:
        if buyers:
            lead.customer_id, lead.status = rng.choice(buyers), "converted"
            lead.converted_at = min(lead.created_at + dt.timedelta(days=rng.randint(1, 20)), now)
    return created


def load_sales_demo(seed: int = DEFAULT_SEED, now: dt.datetime | None = None) -> dict[str, int]:
    """Create the sales demo in the current session (flushed, not committed); return what was made.

    Returns an empty dict, doing nothing, when sales data already exists. Sells to the existing
    live customers (converting 20 qualified demo leads into customers when there are none);
    deal and lead owners are the existing active users (none: unassigned).
    """
    if has_sales_data():
        return {}
    rng = random.Random(seed)
    now = (now or utcnow()).replace(microsecond=0)
    s = session()
    owners: list[int | None] = list(s.scalars(sa.select(User.id).where(User.is_active.is_(True)).order_by(User.id))) or [None]
    lang = demo_language()
    products, prices = _catalog(rng, lang)
    lead_rows = _leads(rng, now, owners, lang)
    customers = _customers(rng, lead_rows)
    scored = scoring.recompute_scores(s, now=now).leads
    deals, deal_dates = _deals(rng, now, customers, owners, products, prices, lang)
    made = _documents(rng, now, customers, products, deals)
    made["history_orders"] = _history(rng, now, customers, products, lead_rows)
    _redate_interactions(made.pop("when"), deal_dates)
    planned = _activities(rng, now, deals)
    s.flush()
    rollup_rows = rollup.rebuild()
    return {"categories": len(CATEGORIES), "products": len(products), "price_lists": 2, "leads": len(lead_rows),
            "scored_leads": scored, "customers": len(customers), "deals": len(deals),
            "won_deals": sum(d.status == "won" for d in deals), "lost_deals": sum(d.status == "lost" for d in deals),
            **made, "activities": planned, "rollup_rows": rollup_rows}
