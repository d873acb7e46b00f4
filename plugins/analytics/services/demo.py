"""Demo data for costs and social value: twelve months of marketing costs per channel (acquisition
and retention), the acquisition channel of most demo customers, and referrals between them (about
one customer in six referred by an earlier one, a few of them prolific), written in bulk."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import cast

import sqlalchemy as sa

from payvand.plugins.analytics.models import Cost
from payvand.plugins.analytics.services.lifetime import update_attributes
from payvand.plugins.analytics.services.profit import FIELD_SOURCE_CHANNEL
from payvand.sdk import Customer, session, setting

#: Demo channels and their monthly acquisition budgets (in the main currency's units).
CHANNELS = {"search": 40_000_000, "instagram": 25_000_000, "email": 6_000_000, "referral": 10_000_000}


def demo_costs_and_referrals(seed: int, today: dt.date) -> dict[str, int]:
    """Write the demo's costs, customer channels and referrals; returns what was made."""
    rng = random.Random(seed + 14)
    db = session()
    currency = str(setting("core.currency") or "IRR")
    if db.scalar(sa.select(sa.func.count()).select_from(Cost)):
        return {}
    rows = []
    year, month = today.year - 1, today.month
    for _ in range(12):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        first = dt.date(year, month, 1)
        last = (dt.date(year + (month == 12), month % 12 + 1, 1)) - dt.timedelta(days=1)
        for channel, budget in CHANNELS.items():
            amount = Decimal(int(budget * rng.uniform(0.7, 1.3)) // 1000 * 1000)
            rows.append({"period_start": first, "period_end": last, "purpose": "acquisition", "channel": channel,
                         "campaign": "", "amount": amount, "currency": currency, "note": "demo"})
        rows.append({"period_start": first, "period_end": last, "purpose": "retention", "channel": "email",
                     "campaign": "loyalty", "amount": Decimal(int(15_000_000 * rng.uniform(0.8, 1.2)) // 1000 * 1000),
                     "currency": currency, "note": "demo"})
    db.execute(sa.insert(Cost), rows)
    ids = list(db.scalars(sa.select(Customer.id).where(Customer.merged_into_id.is_(None), Customer.erased_at.is_(None))
                          .order_by(Customer.id)))
    channels = list(CHANNELS)
    update_attributes({cid: {FIELD_SOURCE_CHANNEL: rng.choices(channels, weights=(5, 3, 1, 2))[0]}
                       for cid in ids if rng.random() < 0.8})
    connectors = ids[: max(1, len(ids) // 50)]
    referrals = []
    for index, cid in enumerate(ids[1:], start=1):
        if rng.random() < 1 / 6:
            earlier = [c for c in connectors if c < cid]
            referrer = rng.choice(earlier) if earlier and rng.random() < 0.4 else ids[rng.randrange(index)]
            referrals.append({"cid": cid, "referrer": referrer})  # always an earlier customer: no loop
    if referrals:
        table = cast(sa.Table, Customer.__table__)
        db.execute(table.update().where(table.c.id == sa.bindparam("cid")).values(referred_by_id=sa.bindparam("referrer")),
                   referrals)
    return {"marketing costs": len(rows), "referrals": len(referrals)}
