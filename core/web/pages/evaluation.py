"""The Evaluation report: every registered evaluation program (CSAT, NPS, ...) with a chart and a table."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext
from marshmallow import Schema, ValidationError, fields, validate

from payvand.core import permissions as perm
from payvand.core.db import current_session, utcnow
from payvand.core.normalize import to_latin_digits
from payvand.core.services import evaluation
from payvand.core.web.access import staff_required, staff_user
from payvand.core.web.i18n import N_, current_locale, select_timezone

#: How the report names the usual dimensions and figures (others are shown as given, translated if they can be).
LABELS = {"period": N_("Month"), "agent": N_("Agent"), "team": N_("Team"), "category": N_("Category"),
          "score": N_("Score"), "details": N_("Details")}

bp = Blueprint("evaluation", __name__)


def row_label(dimension: str, key: str) -> str:
    """A row's key as shown: a month (`1405-04`) as `1405/04`, as the analytics pages write
    months; other dimensions' keys (agent, team, category names) as they are."""
    return key.replace("-", "/") if dimension == "period" else key


class ReportArgs(Schema):
    """The report's query: how many months back (this one included): months of the site's time
    zone, Jalali for a Persian reader, Gregorian otherwise."""

    months = fields.Integer(load_default=6, validate=validate.Range(min=1, max=36))


@bp.get("/reports/evaluation")
@staff_required(perm.EVALUATION_VIEW)
def index() -> Any:
    """Each program the user may see, summarised over the last `months` months by its chosen dimension.

    `by.<program key>` picks a program's dimension (one of its `dimensions`; period otherwise).
    """
    user = staff_user()
    assert user is not None
    raw = {key: to_latin_digits(value) for key, value in request.args.items() if key == "months" and value}
    errors: dict[str, list[str]] = {}
    try:
        months = ReportArgs().load(raw)["months"]
    except ValidationError as exc:
        errors = {key: [str(m) for m in value] for key, value in exc.normalized_messages().items()}
        months = 6
    now, zone = utcnow(), ZoneInfo(select_timezone())
    calendar = "jalali" if current_locale() == "fa" else "gregorian"  # the months the programs group by
    start = evaluation.local_month_start(now, months - 1, zone, calendar)
    end = evaluation.local_month_start(now, -1, zone, calendar)
    chosen = {key[3:]: value for key, value in request.args.items() if key.startswith("by.")}
    runtime = current_app.extensions["payvand"]
    found = evaluation.summaries(runtime, current_session(), user, start, end, chosen)
    charts = {item.program.key: {"labels": [row_label(item.dimension, row.key) for row in item.rows],
                                 "verbatim_labels": item.dimension != "period",  # names, as typed
                                 "scores": [row.score for row in item.rows],
                                 "responses": [row.responses for row in item.rows]} for item in found}
    return render_template("evaluation/index.html", programs=found, charts=charts, months=months,
                           errors=errors, start=start, end=end, labels=LABELS, row_label=row_label,
                           tr=lambda text: gettext(str(text))), 400 if errors else 200
