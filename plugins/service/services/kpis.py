"""The service plugin's KPI widgets for the analytics KPI dashboard (`payvand_dashboard_widgets`,
purpose "kpi"): SLA achievement, customer satisfaction (CSAT) and the Net Promoter Score (NPS).

Each reuses the service's own report or evaluation summary over the period (one aggregate query,
or the period's answers), so the dashboard and the service pages never disagree. SLA follows the
tickets' record rule (an agent's figure covers the tickets they may see).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.services.evaluation import csat_summary
from payvand.plugins.service.services.nps import DETRACTORS, PROMOTERS, nps_summary
from payvand.plugins.service.services.reports import sla_achievement
from payvand.sdk import Actor, EvaluationRow, KpiData, KpiPeriod, KpiWidget, lazy_gettext, session


def _sla_rate(actor: Any, period: KpiPeriod) -> tuple[float | None, list[dict[str, Any]]]:
    rows = sla_achievement(session(), actor, period.start, period.end)
    due = sum(row["resolution_due"] for row in rows)
    met = sum(row["resolution_met"] for row in rows)
    return (round(100.0 * met / due, 1) if due else None), rows


def _sla(actor: Any, period: KpiPeriod, comparison: KpiPeriod | None) -> KpiData:
    value, rows = _sla_rate(actor, period)
    previous = _sla_rate(actor, comparison)[0] if comparison else None
    columns = [str(lazy_gettext("Priority")), str(lazy_gettext("Tickets")), str(lazy_gettext("First response in time, %")),
               str(lazy_gettext("Resolved in time, %")), str(lazy_gettext("Breached"))]
    return KpiData(value=value, previous=previous, columns=columns,
                   rows=[[row["priority"], row["tickets"], row["first_rate"], row["resolution_rate"], row["breached"]]
                         for row in rows])


def _csat_average(actor: Any, period: KpiPeriod) -> float | None:
    rows: Sequence[EvaluationRow] = csat_summary(session(), actor, period.start, period.end, "period")
    answers = sum(row.responses for row in rows)
    if not answers:
        return None
    return round(sum((row.score or 0) * row.responses for row in rows) / answers, 2)


def _csat(actor: Any, period: KpiPeriod, comparison: KpiPeriod | None) -> KpiData:
    return KpiData(value=_csat_average(actor, period),
                   previous=_csat_average(actor, comparison) if comparison else None,
                   note=str(lazy_gettext("Average rating from 1 to 5 of the solved tickets' surveys.")))


def _count(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) else 0


def _nps_score(actor: Any, period: KpiPeriod) -> float | None:
    rows = nps_summary(session(), actor, period.start, period.end, "period")
    answers = sum(row.responses for row in rows)
    if not answers:
        return None
    promoters = sum(_count(row.detail.get(PROMOTERS)) for row in rows)
    detractors = sum(_count(row.detail.get(DETRACTORS)) for row in rows)
    return round(100.0 * (promoters - detractors) / answers, 1)


def _nps(actor: Any, period: KpiPeriod, comparison: KpiPeriod | None) -> KpiData:
    return KpiData(value=_nps_score(actor, period), previous=_nps_score(actor, comparison) if comparison else None,
                   note=str(lazy_gettext("Promoters (9–10) minus detractors (0–6), in % of the answers.")))


def widgets(actor: Actor) -> list[KpiWidget]:
    """The service KPIs `actor` may see."""
    found = []
    if actor.can(perm.TICKET_VIEW):
        found.append(KpiWidget("service.sla_achievement", str(lazy_gettext("SLA achievement")), "table", _sla,
                               unit="percent", permission=perm.TICKET_VIEW, order=30,
                               description=str(lazy_gettext("Tickets opened in the period under an SLA and solved: "
                                                            "the share solved in time; per priority in the table."))))
    if actor.can(perm.TICKET_ALL):
        found.append(KpiWidget("service.csat", str(lazy_gettext("Customer satisfaction (CSAT)")), "number", _csat,
                               unit="decimal", permission=perm.TICKET_ALL, order=31,
                               description=str(lazy_gettext("Average rating of the satisfaction surveys answered "
                                                            "in the period."))))
    found.append(KpiWidget("service.nps", str(lazy_gettext("Net Promoter Score (NPS)")), "number", _nps,
                           unit="decimal", order=32,
                           description=str(lazy_gettext("NPS of the answers given in the period."))))
    return found
