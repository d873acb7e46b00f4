"""Marketing costs: recorded per campaign, channel and period (page, CSV import, API), and
contributed by other plugins through the `payvand_marketing_costs` data hook.

A cost is keyed by (purpose, channel, campaign, period, currency): saving or importing the same
key again updates the amount instead of adding a second row, so an import can be re-run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from decimal import Decimal
from typing import IO, Any

import sqlalchemy as sa
from marshmallow import ValidationError

from payvand.plugins.analytics.models import Cost
from payvand.plugins.analytics.schemas import CostIn
from payvand.sdk import MARKETING_COSTS, CsvSource, CsvSourceError, audit, call_hook, session

log = logging.getLogger(__name__)

#: The columns of a costs CSV (the header row names them; order free, `channel`, `campaign` and
#: `note` optional).
CSV_COLUMNS = ("period_start", "period_end", "purpose", "channel", "campaign", "amount", "currency", "note")
REQUIRED_COLUMNS = ("period_start", "period_end", "purpose", "amount", "currency")
#: Most bad rows an import reports (the rest are counted).
MAX_REPORTED = 1000


class DuplicateCost(ValueError):
    """Another cost has the same purpose, channel, campaign, period and currency."""


def _key(data: dict[str, Any]) -> Any:
    return sa.and_(Cost.purpose == data["purpose"], Cost.channel == data.get("channel", ""),
                   Cost.campaign == data.get("campaign", ""), Cost.period_start == data["period_start"],
                   Cost.period_end == data["period_end"], Cost.currency == data["currency"])


def _audit_values(cost: Cost) -> dict[str, Any]:
    return {"period": f"{cost.period_start}..{cost.period_end}", "purpose": cost.purpose, "channel": cost.channel,
            "campaign": cost.campaign, "amount": str(cost.amount), "currency": cost.currency}


def save_cost(data: dict[str, Any], cost: Cost | None = None) -> Cost:
    """Create a cost from validated `data` (`CostIn`), or change `cost`; audited, not committed.

    Raises DuplicateCost when another cost has the same key."""
    db = session()
    other = db.scalars(sa.select(Cost).where(_key(data))).first()
    if other is not None and (cost is None or other.id != cost.id):
        raise DuplicateCost(other.id)
    before = _audit_values(cost) if cost is not None else None
    cost = cost or Cost()
    for name in CSV_COLUMNS:
        if name in data:
            setattr(cost, name, data[name])
    db.add(cost)
    db.flush()
    audit("update" if before else "create", "analytics_cost", cost.id, before=before, after=_audit_values(cost))
    return cost


def delete_cost(cost: Cost) -> None:
    """Remove a cost (audited, not committed)."""
    audit("delete", "analytics_cost", cost.id, before=_audit_values(cost), after=None)
    session().delete(cost)
    session().flush()


@dataclasses.dataclass
class ImportReport:
    """What a costs import did: rows created and updated, and the refused rows with their reasons."""

    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    refused: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON values."""
        return {"created": self.created, "updated": self.updated, "refused": self.refused,
                "errors": [{"line": line, "reason": reason} for line, reason in self.errors]}


def _messages(exc: ValidationError) -> str:
    messages = exc.messages if isinstance(exc.messages, dict) else {"row": exc.messages}
    return "; ".join(f"{field}: {' '.join(map(str, texts if isinstance(texts, list) else [texts]))}"
                     for field, texts in messages.items())


def import_costs(source: str | IO[Any]) -> ImportReport:
    """Import costs from a CSV file (path or binary stream) with a header naming `CSV_COLUMNS`.

    Each row is validated as the page and the API validate; a bad row is reported with its
    line and reason and the good rows are kept. A row whose key exists updates its amount and
    note. Not committed: the caller commits (all good rows at once).
    """
    report = ImportReport()
    try:
        csv = CsvSource(source)
    except CsvSourceError as exc:
        report.errors.append((1, str(exc)))
        report.refused = 1
        return report
    header = [name.strip().lower() for name in csv.header]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        report.errors.append((csv.header_line, f"the header lacks the columns: {', '.join(missing)}"))
        report.refused = 1
        return report
    schema = CostIn()
    seen: dict[tuple[Any, ...], int] = {}
    rows: list[tuple[int, dict[str, Any]]] = []
    for line, cells, problem in csv.rows():
        if problem is not None or cells is None:
            _refuse(report, line, problem or "unreadable line")
            continue
        raw = {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header) if name in CSV_COLUMNS}
        try:
            data = schema.load(raw)
        except ValidationError as exc:
            _refuse(report, line, _messages(exc))
            continue
        key = (data["purpose"], data["channel"], data["campaign"], data["period_start"], data["period_end"],
               data["currency"])
        if key in seen:
            _refuse(report, line, f"the same cost as line {seen[key]}")
            continue
        seen[key] = line
        rows.append((line, data))
    _store(rows, report)
    return report


def _refuse(report: ImportReport, line: int, reason: str) -> None:
    report.refused += 1
    if len(report.errors) < MAX_REPORTED:
        report.errors.append((line, reason))


def _store(rows: list[tuple[int, dict[str, Any]]], report: ImportReport) -> None:
    """Upsert the validated rows: one read of the existing keys, then bulk inserts and updates."""
    if not rows:
        return
    db = session()
    starts = {data["period_start"] for _line, data in rows}
    existing = {(c.purpose, c.channel, c.campaign, c.period_start, c.period_end, c.currency): c
                for c in db.scalars(sa.select(Cost).where(Cost.period_start.in_(sorted(starts))))}
    new = []
    for _line, data in rows:
        key = (data["purpose"], data["channel"], data["campaign"], data["period_start"], data["period_end"],
               data["currency"])
        found = existing.get(key)
        if found is None:
            new.append(data)
        else:
            found.amount, found.note = data["amount"], data["note"] or found.note
            report.updated += 1
    if new:
        db.execute(sa.insert(Cost), new)
        report.created += len(new)
    db.flush()
    audit("import", "analytics_cost", None, before=None,
          after={"created": report.created, "updated": report.updated, "refused": report.refused})


# --------------------------------------------------------------------------- every plugin's costs


def own_costs() -> sa.Select[dt.date, dt.date, str, str, str, Decimal, str]:
    """The costs recorded here as a select of `MARKETING_COSTS` rows."""
    select = sa.select(Cost.period_start.label("period_start"), Cost.period_end.label("period_end"),
                     Cost.purpose.label("purpose"), Cost.channel.label("channel"), Cost.campaign.label("campaign"),
                     Cost.amount.label("amount"), Cost.currency.label("currency"))
    return select


@dataclasses.dataclass(frozen=True)
class CostLine:
    """One cost as analytics allocates it (from this plugin's table or another plugin's hook)."""

    period_start: dt.date
    period_end: dt.date
    purpose: str
    channel: str
    campaign: str
    amount: Decimal
    currency: str


def all_costs(start: dt.date, end: dt.date) -> list[CostLine]:
    """Every cost overlapping `start`..`end`: the ones recorded here and every plugin's
    `payvand_marketing_costs` rows (a select whose columns differ is left out and logged).
    Costs are a small table (a few rows per campaign and month): read whole."""
    selects = [own_costs()]
    for select in call_hook("payvand_marketing_costs"):
        problems = MARKETING_COSTS.problems(select)
        if problems:
            log.warning("analytics: marketing costs left out: %s", "; ".join(problems))
            continue
        selects.append(sa.select(select.subquery()))  # a plugin's UNION stays whole inside ours
    union = sa.union_all(*selects).subquery("costs") if len(selects) > 1 else selects[0].subquery("costs")
    query = sa.select(union).where(union.c.period_start <= end, union.c.period_end >= start)
    lines = []
    for row in session().execute(query):
        if row.purpose not in ("acquisition", "retention") or row.period_end < row.period_start:
            continue
        lines.append(CostLine(_as_date(row.period_start), _as_date(row.period_end), row.purpose,
                              (row.channel or "").lower(), row.campaign or "", Decimal(str(row.amount)),
                              str(row.currency).upper()))
    return lines


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
