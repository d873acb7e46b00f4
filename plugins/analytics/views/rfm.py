"""The RFM page: segment sizes of the last scoring (chart and table) and the transitions from
an earlier scoring (the one before, or one picked); a form to score a period."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.models import Run
from payvand.plugins.analytics.services import local_days
from payvand.plugins.analytics.views import bp
from payvand.sdk import gettext, lazy_gettext, parse_date, session, staff_required

#: The most runs offered to compare with (retention keeps about 7 + 2 x 13).
COMPARE_CHOICES = 60


def _runs() -> list[Run]:
    """The stored RFM runs, newest first (as many as retention keeps, at most COMPARE_CHOICES + 1)."""
    return list(session().scalars(sa.select(Run).where(Run.kind == "rfm").order_by(Run.id.desc())
                                  .limit(COMPARE_CHOICES + 1)))


@bp.get("/analytics/rfm")
@staff_required(perm.VIEW)
def rfm_page() -> str:
    """Segment sizes of the last RFM scoring and the transition matrix from an earlier one (`compare`:
    a stored run's id; default the one before)."""
    from payvand.plugins.analytics.services.rfm import SEGMENT_LABELS, transitions

    runs = _runs()
    run = runs[0] if runs else None
    labels = {key: gettext(label) for key, label in SEGMENT_LABELS.items()}
    chart = None
    if run:
        sizes = run.results.get("segments", {})
        chart = {"id": "rfm-segments", "type": "bar", "title": str(lazy_gettext("Customers per segment")),
                 "x": str(lazy_gettext("Segment")), "labels": [labels[k] for k in SEGMENT_LABELS],
                 "series": [{"label": str(lazy_gettext("Customers")), "data": [sizes.get(k, 0) for k in SEGMENT_LABELS]}]}
    earlier = runs[1:]
    wanted = request.args.get("compare", type=int)
    previous = next((r for r in earlier if r.id == wanted), earlier[0] if earlier else None)
    matrix = transitions(previous.id, run.id) if previous and run else None
    choices = [(r.id, _dates(r), r.created_at) for r in earlier]
    return render_template("analytics/rfm.html", run=run, previous=previous, chart=chart, matrix=matrix, labels=labels,
                           dates=_dates(run), previous_dates=_dates(previous), choices=choices)


def _dates(run: Run | None) -> tuple[dt.date, dt.date] | None:
    if run is None:
        return None
    return dt.date.fromisoformat(run.options["start"]), dt.date.fromisoformat(run.options["end"])


@bp.post("/analytics/rfm")
@staff_required(perm.RUN)
def rfm_run() -> Any:
    """Score the form's period (default: the last 365 days)."""
    from payvand.plugins.analytics.services.rfm import RfmOptions, run_rfm

    locale = str(get_locale() or "en")
    today = local_days.today()
    try:
        start_text, end_text = request.form.get("start", "").strip(), request.form.get("end", "").strip()
        end = parse_date(end_text, locale) if end_text else today
        start = parse_date(start_text, locale) if start_text else end - dt.timedelta(days=364)
    except ValueError:
        flash(str(lazy_gettext("Not a valid date.")), "danger")
        return redirect(url_for("analytics.rfm_page"))
    if start > end:
        flash(str(lazy_gettext("The start must not be after the end.")), "danger")
        return redirect(url_for("analytics.rfm_page"))
    try:
        run_rfm(RfmOptions(start, end))
    except ValueError as exc:
        session().rollback()
        flash(str(exc), "warning")
        return redirect(url_for("analytics.rfm_page"))
    session().commit()
    flash(str(lazy_gettext("Customers scored.")), "success")
    return redirect(url_for("analytics.rfm_page"))
