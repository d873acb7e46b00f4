"""Lead scoring: configurable rules, activity facts, recency and other plugins' points, in bulk SQL.

A `ScoringRule` gives `points` when its `field` matches `operator`/`value`. The fields
(`FIELDS`; the same list is shown on the staff scoring page):

profile (the lead's own columns)
    `source`, `status`, `campaign`, `utm_source`, `utm_medium`, `utm_campaign` — text:
    `eq`, `ne`, `contains` (case-insensitive), `exists`;
    `email_domain` — `eq` (`example.com`), `ne`, `contains`, `exists`;
    `has_phone`, `consent` — `eq` with `true`/`false`, or `exists` (= true).
activity (core interactions of the lead's customer and of every live customer with the lead's
email, during the last `ACTIVITY_DAYS` days)
    `web_visits` (kind `core.web_visit`), `email_opens` (any `*.email_opened`, e.g.
    `marketing.email_opened`), `form_fills` (`core.form_submitted`), `interactions` (any kind)
    — counts: `gte`, `lte`, `eq`, `ne`, `exists` (at least one).
recency
    `recency` with operator `decay` and `value` = a half-life in days (default 7): the full
    points while the lead is younger than one half-life, half in the second, a quarter in the
    third, an eighth in the fourth, none after.

Other plugins add points through `payvand_lead_score(leads)` (rows of lead_id, rule, points).

`recompute_scores` writes `score` (the sum), `score_details` (`[[rule, points], ...]`, the
explanation shown on the lead) and `scored_at` for every lead, or the given ones, with one
UPDATE whose per-rule CASE expressions build both the sum and the JSON; activity facts and
plugin points go first into temporary tables filled by INSERT ... SELECT. No Python loop
touches a lead row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, cast

import sqlalchemy as sa
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import Session

from payvand.plugins.sales.models import Lead, ScoringRule
from payvand.sdk import Customer, CustomerEmail, Interaction, call_hook, clean_name, utcnow
from payvand.sdk import session as current_session

ACTIVITY_DAYS = 30
TEXT_FIELDS = ("source", "status", "campaign", "utm_source", "utm_medium", "utm_campaign")
BOOL_FIELDS = ("has_phone", "consent")
#: Activity facts: name -> the interaction kinds counted (None: any kind; '%' patterns use LIKE).
ACTIVITY_FIELDS: dict[str, str | None] = {
    "web_visits": "core.web_visit",
    "email_opens": "%.email_opened",
    "form_fills": "core.form_submitted",
    "interactions": None,
}
FIELDS = (*TEXT_FIELDS, "email_domain", *BOOL_FIELDS, *ACTIVITY_FIELDS, "recency")
#: The fields whose `value` is a number (a count, a half-life in days).
NUMBER_FIELDS = (*ACTIVITY_FIELDS, "recency")
#: Arabic letters the leads' names and labels are stored without (`clean_name`), and their Persian forms.
_FOLDED_LETTERS = (("ي", "ی"), ("ى", "ی"), ("ك", "ک"))
OPERATORS = ("eq", "ne", "contains", "gte", "lte", "exists", "decay")
_ALLOWED: dict[str, tuple[str, ...]] = {
    **{name: ("eq", "ne", "contains", "exists") for name in (*TEXT_FIELDS, "email_domain")},
    **{name: ("eq", "exists") for name in BOOL_FIELDS},
    **{name: ("gte", "lte", "eq", "ne", "exists") for name in ACTIVITY_FIELDS},
    "recency": ("decay",),
}
DECAY_STEPS = 4
MAX_POINTS = 10_000


class RuleIn(Schema):
    """A scoring rule as given by the API or the staff page."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    field = fields.String(required=True, validate=validate.OneOf(FIELDS))
    operator = fields.String(required=True, validate=validate.OneOf(OPERATORS))
    value = fields.String(allow_none=True, validate=validate.Length(max=200))
    points = fields.Integer(required=True, strict=False, validate=validate.Range(min=-MAX_POINTS, max=MAX_POINTS))
    active = fields.Boolean(load_default=True)

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        field, operator, value = data.get("field"), data.get("operator"), data.get("value")
        if field is None or operator is None:
            return
        if operator not in _ALLOWED[field]:
            raise ValidationError({"operator": [f"Use one of: {', '.join(_ALLOWED[field])}."]})
        if operator in ("exists",):
            return
        if field == "recency":
            if value not in (None, "") and not (str(value).isdigit() and 0 < int(value) <= 3650):
                raise ValidationError({"value": ["A half-life in days, 1 to 3650."]})
            return
        if value in (None, ""):
            raise ValidationError({"value": ["This operator needs a value."]})
        if field in ACTIVITY_FIELDS and not str(value).isdigit():
            raise ValidationError({"value": ["A whole number."]})
        if field in BOOL_FIELDS and str(value).lower() not in ("true", "false"):
            raise ValidationError({"value": ["true or false."]})


class RuleOut(Schema):
    """A scoring rule."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    field = fields.String(required=True)
    operator = fields.String(required=True)
    value = fields.String(allow_none=True, required=True)
    points = fields.Integer(required=True)
    active = fields.Boolean(required=True)


@dataclasses.dataclass(frozen=True)
class RuleSpec:
    """The parts of a rule the SQL needs (a plain value, so rules can be given without rows)."""

    name: str
    field: str
    operator: str
    value: str | None
    points: int


def active_rules(s: Session) -> list[RuleSpec]:
    """The active rules, in id order."""
    rows = s.scalars(sa.select(ScoringRule).where(ScoringRule.active.is_(True)).order_by(ScoringRule.id))
    return [RuleSpec(r.name, r.field, r.operator, r.value, r.points) for r in rows]


# --------------------------------------------------------------------------- SQL building blocks


def _text_condition(column: Any, operator: str, value: str | None) -> Any:
    if operator == "exists":
        return sa.and_(column.is_not(None), column != "")
    text = folded_value(value)
    folded = folded_column(column)
    if operator == "eq":
        return folded == text
    if operator == "ne":
        return sa.or_(column.is_(None), folded != text)
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return folded.like(f"%{escaped}%", escape="\\")


def folded_value(value: str | None) -> str:
    """A rule's text value as it is compared: `clean_name`'s folding (Arabic ي/ى/ك as Persian ی/ک,
    spaces tidied), lower-cased. The rule keeps the value as typed, for display."""
    return (clean_name(value) or "").lower()


def folded_column(column: Any) -> Any:
    """A lead's text column as it is compared: lower-cased with Arabic ي/ى/ك as Persian ی/ک (in SQL,
    so rows stored before `clean_name` folded them, and UTM values kept as sent, match too)."""
    folded = sa.func.lower(column)
    for arabic, persian in _FOLDED_LETTERS:
        folded = sa.func.replace(folded, arabic, persian)
    return folded


def _email_domain_condition(operator: str, value: str | None) -> Any:
    email = sa.func.lower(Lead.email)
    if operator == "exists":
        return Lead.email.is_not(None)
    text = (value or "").lower().lstrip("@").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if operator == "eq":
        return email.like(f"%@{text}", escape="\\")
    if operator == "ne":
        return sa.or_(Lead.email.is_(None), sa.not_(email.like(f"%@{text}", escape="\\")))
    return email.like(f"%@%{text}%", escape="\\")


def _bool_condition(field: str, operator: str, value: str | None) -> Any:
    truth = sa.and_(Lead.phone.is_not(None), Lead.phone != "") if field == "has_phone" else Lead.consent.is_(True)
    if operator == "exists" or (value or "").lower() == "true":
        return truth
    return sa.not_(truth)


def _count_condition(count: Any, operator: str, value: str | None) -> Any:
    number = int(value or 0)
    return {
        "exists": count > 0, "gte": count >= number, "lte": count <= number, "eq": count == number,
        "ne": count != number,
    }[operator]


def _fragment(name: str, points: int) -> str:
    """The JSON text `,["name",points]` one rule adds to the explanation."""
    return "," + json.dumps([name, points], ensure_ascii=False, separators=(",", ":"))


@dataclasses.dataclass
class _Parts:
    """Per-rule SQL expressions: points (added up) and JSON fragments (concatenated)."""

    points: list[Any] = dataclasses.field(default_factory=list)
    fragments: list[Any] = dataclasses.field(default_factory=list)

    def fixed(self, condition: Any, rule: RuleSpec) -> None:
        if rule.points == 0:
            return
        self.points.append(sa.case((condition, rule.points), else_=0))
        self.fragments.append(sa.case((condition, _fragment(rule.name, rule.points)), else_=""))


def _decay(parts: _Parts, rule: RuleSpec, now: dt.datetime) -> None:
    half_life = dt.timedelta(days=int(rule.value) if rule.value and str(rule.value).isdigit() else 7)
    whens_points, whens_text = [], []
    for step in range(DECAY_STEPS):
        points = int(rule.points / (2 ** step))
        if points == 0:
            break
        condition = Lead.created_at >= now - half_life * (step + 1)
        whens_points.append((condition, points))
        whens_text.append((condition, _fragment(rule.name, points)))
    if whens_points:
        parts.points.append(sa.case(*whens_points, else_=0))
        parts.fragments.append(sa.case(*whens_text, else_=""))


def _facts_table(name: str) -> sa.Table:
    return sa.Table(
        name, sa.MetaData(),
        sa.Column("lead_id", sa.BigInteger, primary_key=True),
        *(sa.Column(fact, sa.Integer, nullable=False) for fact in ACTIVITY_FIELDS),
        prefixes=["TEMPORARY"],
    )


def _extra_table(name: str) -> sa.Table:
    return sa.Table(
        name, sa.MetaData(),
        sa.Column("lead_id", sa.BigInteger, primary_key=True),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        prefixes=["TEMPORARY"],
    )


def _lead_filter(leads: Any, lead_ids: Sequence[int] | None) -> Any:
    return sa.true() if lead_ids is None else leads.c.id.in_(list(lead_ids))


def fill_facts(s: Session, table: sa.Table, lead_ids: Sequence[int] | None, now: dt.datetime) -> None:
    """INSERT ... SELECT each lead's activity counts over its customers' recent interactions."""
    lead = Lead.__table__
    email = CustomerEmail.__table__
    customer = Customer.__table__
    linked = sa.select(lead.c.id.label("lead_id"), lead.c.customer_id.label("customer_id")).where(
        lead.c.customer_id.is_not(None), _lead_filter(lead, lead_ids))
    by_email = (
        sa.select(lead.c.id.label("lead_id"), email.c.customer_id.label("customer_id"))
        .select_from(lead.join(email, email.c.email == lead.c.email)
                     .join(customer, customer.c.id == email.c.customer_id))
        .where(customer.c.merged_into_id.is_(None), _lead_filter(lead, lead_ids))
    )
    pairs = sa.union(linked, by_email).subquery("pairs")
    interaction = Interaction.__table__
    counts = []
    for fact, kind in ACTIVITY_FIELDS.items():
        if kind is None:
            counts.append(sa.func.count(interaction.c.id).label(fact))
            continue
        match = interaction.c.kind.like(kind) if "%" in kind else interaction.c.kind == kind
        counts.append(sa.func.coalesce(sa.func.sum(sa.case((match, 1), else_=0)), 0).label(fact))
    query = (
        sa.select(pairs.c.lead_id, *counts)
        .select_from(pairs.join(interaction, interaction.c.customer_id == pairs.c.customer_id))
        .where(interaction.c.occurred_at >= now - dt.timedelta(days=ACTIVITY_DAYS))
        .group_by(pairs.c.lead_id)
    )
    s.execute(sa.insert(table).from_select(["lead_id", *ACTIVITY_FIELDS], query))


def _escape_json_text(expr: Any) -> Any:
    return sa.func.replace(sa.func.replace(expr, "\\", "\\\\"), '"', '\\"')


def fill_extra(s: Session, table: sa.Table, selects: Iterable[Any]) -> int:
    """Add up the plugins' `(lead_id, rule, points)` rows per lead, with their JSON fragments."""
    selects = [q for q in selects if q is not None]
    if not selects:
        return 0
    rows = sa.union_all(*[sa.select(*q.subquery().c) for q in selects]).subquery("extra_rows")
    lead_id, rule, points = list(rows.c)[:3]
    fragment = (sa.literal(',["') + _escape_json_text(sa.cast(rule, sa.String)) + sa.literal('",')
                + sa.cast(points, sa.String) + sa.literal("]"))
    query = (
        sa.select(lead_id, sa.func.sum(points), sa.func.aggregate_strings(fragment, ""))
        .where(points != 0).group_by(lead_id)
    )
    s.execute(sa.insert(table).from_select(["lead_id", "points", "details"], query))
    return len(selects)


def plugin_contributions(leads_subquery: Any) -> list[Any]:
    """The other plugins' points: each `payvand_lead_score(leads=...)` result (a select of lead_id, rule, points)."""
    return call_hook("payvand_lead_score", leads=leads_subquery)


def leads_subquery(lead_ids: Sequence[int] | None = None) -> Any:
    """The leads being scored, as the `payvand_lead_score` hook receives them."""
    lead = Lead.__table__
    return (sa.select(lead.c.id, lead.c.email, lead.c.phone, lead.c.customer_id, lead.c.created_at)
            .where(_lead_filter(lead, lead_ids)).subquery("leads"))


@dataclasses.dataclass
class Recompute:
    """What a recompute did: leads updated, rules applied, plugins that contributed."""

    leads: int
    rules: int
    plugins: int


def recompute_scores(
    s: Session | None = None,
    *,
    lead_ids: Sequence[int] | None = None,
    rules: Sequence[RuleSpec] | None = None,
    contributions: Sequence[Any] | None = None,
    now: dt.datetime | None = None,
    changed_only: bool = False,
) -> Recompute:
    """Recompute `score`, `score_details` and `scored_at` of every lead (or of `lead_ids`) in SQL.

    `rules` default to the active `ScoringRule` rows; `contributions` to the plugins'
    (`plugin_contributions`). Runs in `s` (default: the current session) without committing.
    With `changed_only`, a lead whose score and details come out as they are is not written
    (its `scored_at` kept): for leads just written with their `scored_at` and a zero score, as
    the lead import writes them, so an import does not rewrite every lead it has just added.
    """
    s = s or current_session()
    now = now or utcnow()
    rules = list(active_rules(s) if rules is None else rules)
    if contributions is None:
        contributions = plugin_contributions(leads_subquery(lead_ids))
    tag = uuid.uuid4().hex[:8]
    parts = _Parts()
    facts = extra = None
    if any(rule.field in ACTIVITY_FIELDS for rule in rules):
        facts = _facts_table(f"tmp_sales_lead_facts_{tag}")
        facts.create(s.connection())
        fill_facts(s, facts, lead_ids, now)
    for rule in rules:
        if rule.field in TEXT_FIELDS:
            parts.fixed(_text_condition(getattr(Lead, rule.field), rule.operator, rule.value), rule)
        elif rule.field == "email_domain":
            parts.fixed(_email_domain_condition(rule.operator, rule.value), rule)
        elif rule.field in BOOL_FIELDS:
            parts.fixed(_bool_condition(rule.field, rule.operator, rule.value), rule)
        elif rule.field in ACTIVITY_FIELDS and facts is not None:
            count = sa.func.coalesce(
                sa.select(facts.c[rule.field]).where(facts.c.lead_id == Lead.id).scalar_subquery(), 0)
            parts.fixed(_count_condition(count, rule.operator, rule.value), rule)
        elif rule.field == "recency" and rule.operator == "decay":
            _decay(parts, rule, now)
    if contributions:
        extra = _extra_table(f"tmp_sales_lead_extra_{tag}")
        extra.create(s.connection())
        fill_extra(s, extra, contributions)
        parts.points.append(sa.func.coalesce(
            sa.select(extra.c.points).where(extra.c.lead_id == Lead.id).scalar_subquery(), 0))
        parts.fragments.append(sa.func.coalesce(
            sa.select(extra.c.details).where(extra.c.lead_id == Lead.id).scalar_subquery(), ""))
    score = sa.literal(0)
    for expression in parts.points:
        score = score + expression
    joined: Any = sa.literal("")
    for fragment in parts.fragments:
        joined = joined + fragment
    details: Any = sa.literal("[") + sa.func.substr(joined, 2) + sa.literal("]") if parts.fragments else sa.literal("[]")
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        details = sa.cast(details, JSONB)
    else:
        details = sa.type_coerce(details, sa.Text)
    table = cast(sa.Table, Lead.__table__)
    statement = sa.update(table).values(score=score, score_details=details, scored_at=now)
    if lead_ids is not None and s.get_bind().dialect.name == "postgresql":  # one array parameter, not thousands
        from sqlalchemy.dialects.postgresql import ARRAY

        statement = statement.where(table.c.id == sa.any_(sa.bindparam("lead_ids_", list(lead_ids),
                                                                      type_=ARRAY(sa.BigInteger))))
    elif lead_ids is not None:
        statement = statement.where(table.c.id.in_(list(lead_ids)))
    if changed_only:
        statement = statement.where(sa.or_(table.c.score.is_distinct_from(score),
                                           table.c.score_details.is_distinct_from(details)))
    result = cast(sa.CursorResult[Any], s.execute(statement.execution_options(synchronize_session=False)))
    for scratch in (facts, extra):
        if scratch is not None:
            scratch.drop(s.connection())
    return Recompute(leads=result.rowcount, rules=len(rules), plugins=len(contributions))


def explain(lead: Lead) -> list[tuple[str, int]]:
    """The lead's score as (rule, points) pairs, largest first."""
    pairs = [(str(rule), int(points)) for rule, points in (lead.score_details or [])]
    return sorted(pairs, key=lambda pair: -abs(pair[1]))


def create_rule(data: dict[str, Any]) -> ScoringRule:
    """Add a rule from validated `RuleIn` data (flushed)."""
    rule = ScoringRule(**data)
    current_session().add(rule)
    current_session().flush()
    return rule


def recompute_job() -> int:
    """Recompute every lead's score in the current session (for `payvand_jobs` and `payvand sales scores`)."""
    return recompute_scores().leads


def jobs() -> list[Any]:
    """`payvand_jobs`: recompute scores nightly, so recency decay and new activity show."""
    from payvand.sdk import JobSpec

    return [JobSpec("sales.lead_scores", recompute_job, 24 * 3600, "Recompute every lead's score")]
