"""Social value: what a customer is worth beyond their own profit (a "social" run).

Four parts, each counted set-based in the database over a window (default the last 365 days):

- **referrals**: customers they referred (`Customer.referred_by_id`, merged-away rows left out),
  and at the second level the customers those referred;
- **reach**: the sum of the numeric customer fields that channel plugins declare under a name
  ending in `.followers` or `.reach` (e.g. `instagram.followers`, see the integrator guide), and
  of any other fields named in the setting `analytics.reach_fields` (comma-separated);
- **engagement**: inbound interactions with no money value in the window (web visits, reviews,
  replies, chats: whatever channel plugins record as the customer reaching out);
- **influence**: revenue in the window (main currency) of the customers they referred, plus
  the revenue of the customers those referred times the damping (setting
  `analytics.social_damping`, default 0.5).

Each part becomes a 0-100 score on a log scale against the largest value of the run,
`100 × ln(1 + x) / ln(1 + max)`, so one celebrity does not flatten everyone else; the social
score is the weighted mean of the four part scores (weights from the settings
`analytics.social_weight_<part>`, default 30/20/20/30). Only customers with some social
signal get a row; ranked, 1 the highest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from payvand.plugins.analytics.models import CustomerSocial, Run
from payvand.plugins.analytics.services import facts
from payvand.plugins.analytics.services.local_days import midnight
from payvand.plugins.analytics.services.profit import CHUNK, number_setting
from payvand.plugins.analytics.services.sqlbits import attribute_number, attribute_present
from payvand.sdk import Customer, Interaction, call_hook, session, setting

PARTS = ("referrals", "reach", "engagement", "influence")
DEFAULT_WEIGHTS = {"referrals": 30.0, "reach": 20.0, "engagement": 20.0, "influence": 30.0}
SETTING_REACH_FIELDS = "analytics.reach_fields"
SETTING_DAMPING = "analytics.social_damping"


def weight_key(part: str) -> str:
    """The setting holding the weight of `part`."""
    return f"analytics.social_weight_{part}"


def weights() -> dict[str, float]:
    """The configured weight of each part (defaults when unset or unreadable)."""
    return {part: number_setting(weight_key(part), DEFAULT_WEIGHTS[part]) for part in PARTS}


#: Endings of the customer field names counted as reach.
REACH_ENDINGS = (".followers", ".reach")


def reach_fields() -> list[str]:
    """The customer fields summed as reach: every declared integer or decimal field ending in
    `REACH_ENDINGS`, then those named in the setting `analytics.reach_fields` (at most 20)."""
    names = [field.name for field in call_hook("payvand_customer_fields")
             if field.name.endswith(REACH_ENDINGS) and field.type in ("integer", "decimal")]
    try:
        raw = str(setting(SETTING_REACH_FIELDS) or "")
    except (RuntimeError, KeyError):
        raw = ""
    names += [name.strip() for name in raw.split(",") if name.strip() and name.strip() not in names]
    return names[:20]


def part_score(value: float, largest: float) -> float:
    """`100 × ln(1 + value) / ln(1 + largest)` (0 when nothing is larger than 0)."""
    if largest <= 0 or value <= 0:
        return 0.0
    return 100.0 * math.log1p(value) / math.log1p(largest)


def combine(parts: dict[str, float], weight: dict[str, float]) -> float:
    """The weighted mean of the part scores (0 when every weight is 0)."""
    total = sum(weight.values())
    return sum(parts[p] * weight[p] for p in PARTS) / total if total > 0 else 0.0


@dataclasses.dataclass(frozen=True)
class SocialOptions:
    """The window counted (inclusive local days of the site) and the revenue currency (default: the most used)."""

    start: dt.date
    end: dt.date
    currency: str | None = None


def run_social(options: SocialOptions) -> Run:
    """Count the parts, score and rank every customer with a social signal; store the run and its
    rows. The caller commits."""
    db = session()
    start, end = midnight(options.start), midnight(options.end + dt.timedelta(days=1))  # local days
    values: dict[int, dict[str, float]] = defaultdict(lambda: dict.fromkeys((*PARTS, "second_level"), 0.0))
    live = Customer.merged_into_id.is_(None)
    child = sa.orm.aliased(Customer)
    parent = sa.orm.aliased(Customer)
    for referrer, count in db.execute(sa.select(child.referred_by_id, sa.func.count())
                                      .where(child.referred_by_id.is_not(None), child.merged_into_id.is_(None))
                                      .group_by(child.referred_by_id)):
        values[int(referrer or 0)]["referrals"] = float(count)
    for grand, count in db.execute(sa.select(parent.referred_by_id, sa.func.count())
                                   .select_from(child).join(parent, parent.id == child.referred_by_id)
                                   .where(parent.referred_by_id.is_not(None), child.merged_into_id.is_(None))
                                   .group_by(parent.referred_by_id)):
        values[int(grand or 0)]["second_level"] = float(count)
    fields = reach_fields()
    if fields:
        reach = sum((attribute_number(name) for name in fields), sa.literal(0.0))
        present = sa.or_(*(attribute_present(name) for name in fields))
        for cid, amount in db.execute(sa.select(Customer.id, reach).where(live, present)):
            if amount:
                values[int(cid)]["reach"] = float(amount)
    for cid, count in db.execute(
            sa.select(Interaction.customer_id, sa.func.count())
            .where(Interaction.direction == "inbound", Interaction.value.is_(None),
                   Interaction.occurred_at >= start, Interaction.occurred_at < end)
            .group_by(Interaction.customer_id)):
        values[int(cid)]["engagement"] = float(count)
    damping = min(number_setting(SETTING_DAMPING, 0.5), 1.0)
    currency = None
    subquery = facts.purchase_facts()
    if subquery is not None:
        currency = options.currency or facts.main_currency(subquery) or "IRR"
        c = subquery.c
        revenue = (sa.select(c.customer_id, sa.func.sum(c.amount).label("revenue"))
                   .where(c.currency == currency, c.occurred_at >= start, c.occurred_at < end)
                   .group_by(c.customer_id)).subquery("revenue")
        for referrer, amount in db.execute(
                sa.select(child.referred_by_id, sa.cast(sa.func.sum(revenue.c.revenue), sa.Float))
                .join(revenue, revenue.c.customer_id == child.id).where(child.referred_by_id.is_not(None))
                .group_by(child.referred_by_id)):
            values[int(referrer)]["influence"] += float(amount or 0)
        if damping > 0:
            for grand, amount in db.execute(
                    sa.select(parent.referred_by_id, sa.cast(sa.func.sum(revenue.c.revenue), sa.Float))
                    .select_from(child).join(parent, parent.id == child.referred_by_id)
                    .join(revenue, revenue.c.customer_id == child.id).where(parent.referred_by_id.is_not(None))
                    .group_by(parent.referred_by_id)):
                values[int(grand)]["influence"] += damping * float(amount or 0)
    # Erased or merged-away customers get no row (their parts still count for those they referred).
    gone = set(db.scalars(sa.select(Customer.id).where(Customer.id.in_(list(values)) if len(values) < 5000 else sa.true(),
                                                       sa.or_(Customer.merged_into_id.is_not(None),
                                                              Customer.erased_at.is_not(None)))))
    weight = weights()
    largest = {part: max((v[part] for cid, v in values.items() if cid not in gone), default=0.0) for part in PARTS}
    rows = []
    for cid, v in values.items():
        if cid in gone or not any(v[p] for p in PARTS):
            continue
        scores = {p: part_score(v[p], largest[p]) for p in PARTS}
        rows.append({"customer_id": cid, "referrals": int(v["referrals"]), "second_level": int(v["second_level"]),
                     "reach": v["reach"], "engagement": int(v["engagement"]), "influence": v["influence"],
                     **{f"{p}_score": scores[p] for p in PARTS}, "score": combine(scores, weight)})
    rows.sort(key=lambda r: (-r["score"], r["customer_id"]))
    run = Run(kind="social", options={"start": options.start.isoformat(), "end": options.end.isoformat(),
                                      "currency": currency or ""})
    db.add(run)
    db.flush()
    for rank, row in enumerate(rows, start=1):
        row["rank"], row["run_id"] = rank, run.id
    for begin in range(0, len(rows), CHUNK):
        db.execute(sa.insert(CustomerSocial), rows[begin:begin + CHUNK])
    run.customers = len(rows)
    run.results = {"weights": weight, "damping": damping, "reach_fields": fields, "largest": largest}
    return run


def latest_social_run() -> Run | None:
    """The newest social run, or None."""
    return session().scalars(sa.select(Run).where(Run.kind == "social").order_by(Run.id.desc()).limit(1)).first()


def explain(row: CustomerSocial, run: Run) -> list[dict[str, Any]]:
    """The parts of a customer's score: value, part score, weight and contribution (points of the
    total), in `PARTS` order."""
    weight = run.results.get("weights", DEFAULT_WEIGHTS)
    total = sum(weight.values()) or 1.0
    values = {"referrals": row.referrals, "reach": row.reach, "engagement": row.engagement, "influence": row.influence}
    return [{"part": p, "value": values[p], "score": getattr(row, f"{p}_score"), "weight": weight.get(p, 0.0),
             "points": getattr(row, f"{p}_score") * weight.get(p, 0.0) / total} for p in PARTS]
