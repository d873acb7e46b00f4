"""The SLA achievement report page: a Chart.js bar chart and the same figures as a table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import render_template, request

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.labels import PRIORITY_LABELS
from payvand.plugins.service.services.reports import sla_achievement
from payvand.plugins.service.views import bp
from payvand.sdk import current_actor, session, staff_required, utcnow


@bp.route("/service/reports/sla")
@staff_required(perm.TICKET_VIEW)
def sla_report() -> Any:
    """SLA achievement per priority over the last `days` days (30 by default, at most 366)."""
    try:
        days = max(1, min(int(request.args.get("days", "30")), 366))
    except ValueError:
        days = 30
    end = utcnow() + dt.timedelta(minutes=1)
    rows = sla_achievement(session(), current_actor(), end - dt.timedelta(days=days), end)
    chart = {"labels": [str(PRIORITY_LABELS.get(row["priority"], row["priority"])) for row in rows],
             "first": [row["first_rate"] or 0 for row in rows],
             "resolution": [row["resolution_rate"] or 0 for row in rows]}
    return render_template("service/sla_report.html", rows=rows, chart=chart, days=days)
